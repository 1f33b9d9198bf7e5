"""What the kwok controller is given: its configuration, the fake nodes it manages, the pod log it serves.

kwok (``sigs.k8s.io/kwok``) plays the kubelet for nodes that do not exist: it
marks them Ready and renews their leases, gives the pods bound to them an IP
and the Running/Ready status, completes the pods of Jobs and finishes deleting
pods. Which changes it makes is data, its *stages*; pykorm runs kwok's own
"fast" stages (copied from its module at build time, see ``_binaries``).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

__all__ = ["NODE_LABEL", "POD_CIDR", "cri_log_line", "kwok_configuration", "node_is_ready", "node_manifest"]

NODE_LABEL = "pykorm.io/simulated-node"
"""The label (value ``"true"``) on the nodes a local control plane creates."""

POD_CIDR = "10.244.0.0/16"
"""Where kwok takes pod IPs from; apart from the service range (10.0.0.0/24)."""


def kwok_configuration(stages: Path, pod_log: Path, exec_dir: Path | None = None) -> str:
    """The ``--config`` file of the kwok controller: its stages, one log served for every container,
    and (``exec_dir``) exec into every container.

    kwok serves ``GET pods/NAME/log`` (reached through kube-apiserver) from a file in the CRI
    log format; a ``ClusterLogs`` without selector applies to every pod. A ``ClusterExec``
    without selector runs every ``pods/NAME/exec`` as a local process of kwok's, in ``exec_dir``:
    ``pk.exec(pod, ["sh", "-c", ...])`` runs on the machine of the control plane.
    """
    cluster_logs = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        "metadata": {"name": "pykorm-pod-log"},
        "spec": {"logs": [{"logsFile": str(pod_log), "follow": False}]},
    }
    documents = [cluster_logs]
    if exec_dir is not None:
        documents.append({
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterExec",
            "metadata": {"name": "pykorm-local-exec"},
            "spec": {"execs": [{"local": {"workDir": str(exec_dir)}}]},
        })
    # JSON is YAML: kwok's loader reads these documents like the stages' YAML.
    return stages.read_text().rstrip("\n") + "".join("\n---\n" + json.dumps(d, indent=2) for d in documents) + "\n"


def node_manifest(name: str) -> dict[str, Any]:
    """A Node for kwok to manage, labelled like a kind or kubeadm node (amd64, linux)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
                NODE_LABEL: "true",
            },
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
        },
        "status": {
            "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
            "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
        },
    }


def node_is_ready(node: dict[str, Any]) -> bool:
    """True when a Node's ``Ready`` condition is ``True``."""
    conditions = node.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def cri_log_line(message: str, stream: str = "stdout", when: datetime.datetime | None = None) -> str:
    """One line of a container log in the CRI format kubelets write (and kwok reads).

    >>> cri_log_line("hello", when=datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc))
    '2026-01-02T00:00:00.000000000Z stdout F hello\\n'
    """
    moment = (when or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
    return f"{stamp} {stream} F {message}\n"
