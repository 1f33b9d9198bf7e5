"""The command lines of the local control plane's processes, and its admin kubeconfig: pure functions of ports
and paths (:class:`._controlplane.LocalControlPlane` chooses those, launches and waits)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Sequence

from ._kwok import POD_CIDR

__all__ = ["ADMIN_USER", "apiserver_args", "component_flags", "controller_manager_flags", "etcd_args",
           "kubeconfig_document", "kwok_args"]

ADMIN_USER = "pykorm-admin"  # in system:masters, through kube-apiserver's token file


def etcd_args(binary: Path, data: Path, client: int, peer: int) -> list[str]:
    """A single-member etcd on loopback, without fsync (a test cluster's data is thrown away)."""
    return [
        str(binary),
        f"--data-dir={data}",
        f"--listen-client-urls=http://127.0.0.1:{client}",
        f"--advertise-client-urls=http://127.0.0.1:{client}",
        f"--listen-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-cluster=default=http://127.0.0.1:{peer}",
        "--unsafe-no-fsync=true",
        "--log-level=warn",
    ]


def apiserver_args(binary: Path, etcd_url: str, certs: Path, port: int, tokens: Path, key: Path) -> list[str]:
    """kube-apiserver on 127.0.0.1:``port`` with RBAC, the admin token file and the service-account ``key``."""
    return [
        str(binary),
        f"--etcd-servers={etcd_url}",
        f"--cert-dir={certs}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={port}",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--allow-privileged=true",
        "--authorization-mode=RBAC",
        f"--token-auth-file={tokens}",
        f"--service-account-issuer=https://127.0.0.1:{port}/",
        f"--service-account-key-file={key}",
        f"--service-account-signing-key-file={key}",
        "--disable-admission-plugins=ServiceAccount",
        "--endpoint-reconciler-type=none",
        "--kubelet-preferred-address-types=InternalIP",  # kwok's nodes: 127.0.0.1, where it serves logs
        # A graceful shutdown that takes what a rolling restart does, not 10-60 s: by default open watches
        # hold it (kube-controller-manager's, any informer's) until the 60 s shutdown timeout. Here the
        # port closes at once (new connections are refused: clients retry at once, where
        # --shutdown-send-retry-after would tell them to wait 5 s), requests in flight finish, and
        # every watch is told to end and gets up to 2 s to (it takes milliseconds). The log then says
        # the requests have drained (genericapiserver.go's V(1) lines): see LocalControlPlane._stop_process.
        "--shutdown-delay-duration=0s",  # no load balancer to take us out of rotation first
        "--shutdown-watch-termination-grace-period=2s",
        "--vmodule=genericapiserver=1",
    ]


def component_flags(kubeconfig: Path, directory: Path, name: str, port: int) -> list[str]:
    """What kube-controller-manager and kube-scheduler are both told: the admin kubeconfig, alone, on loopback."""
    return [
        f"--kubeconfig={kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        f"--cert-dir={directory / (name + '-certs')}",
    ]


def controller_manager_flags(controllers: Sequence[str], service_account_key: Path, ca_file: Path) -> list[str]:
    """kube-controller-manager's own flags: which controllers, and what the token and root-CA controllers use."""
    return [
        f"--controllers={','.join(controllers)}",
        "--use-service-account-credentials=false",
        # For the token controller and the kube-root-ca.crt ConfigMap, when those controllers run.
        f"--service-account-private-key-file={service_account_key}",
        f"--root-ca-file={ca_file}",
    ]


def kwok_args(binary: Path, kubeconfig: Path, config: Path, port: int, certs: Path) -> list[str]:
    """kwok managing every node, its kubelet-like server (logs) on 127.0.0.1:``port`` with kube-apiserver's
    serving certificate (kube-apiserver does not verify kubelets without a CA)."""
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--config={config}",
        "--manage-all-nodes=true",
        f"--cidr={POD_CIDR}",
        "--node-ip=127.0.0.1",
        f"--node-port={port}",
        f"--server-address=127.0.0.1:{port}",
        f"--tls-cert-file={certs / 'apiserver.crt'}",
        f"--tls-private-key-file={certs / 'apiserver.key'}",
        # Renew a Lease per node, as kubelets do; kwok's default here is 0 (no leases), and then
        # the node lifecycle controller marks the nodes NotReady after 50 s.
        "--node-lease-duration-seconds=40",
    ]


def kubeconfig_document(host: str, ca: bytes, token: str) -> dict[str, Any]:
    """The admin kubeconfig of the server at ``host`` whose serving certificate ``ca`` verifies."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "pykorm-local",
                "cluster": {"server": host, "certificate-authority-data": base64.b64encode(ca).decode()},
            }
        ],
        "users": [{"name": ADMIN_USER, "user": {"token": token}}],
        "contexts": [{"name": "pykorm-local", "context": {"cluster": "pykorm-local", "user": ADMIN_USER}}],
        "current-context": "pykorm-local",
    }
