"""examples/k8s_doctor.py: the troubleshooting CLI, run in a fresh process as its user would.

The scene is built once for the module, in its own namespace, with pykorm: a healthy Deployment,
one whose pod no node can take (Pending, unavailable), a Job failed by its deadline, and two
Running pods made broken through ``/status`` — kwok cannot crash a container, so a test writes
the status a kubelet would write for a CrashLoopBackOff container and for a pod not Ready.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import secrets
import subprocess
import sys
from typing import Any, Iterator

import pytest

import pykorm
from pykorm.k8s import Deployment, Job, Namespace, Pod
from pykorm.k8s.apps_v1 import DeploymentSpec
from pykorm.k8s.batch_v1 import JobSpec
from pykorm.k8s.core_v1 import Container, ContainerState, ContainerStateWaiting, PodSpec, PodTemplateSpec
from pykorm.k8s.meta_v1 import LabelSelector, ObjectMeta
from pykorm.testing import Cluster

from .conftest import ROOT, WAIT, environment, kubeconfig_of, run

DOCTOR = str(ROOT / "examples" / "k8s_doctor.py")
NOWHERE = {"pykorm.io/test-pool": "no-such-node"}
FINDING = "doctor.examples.pykorm.io/finding"


def pod_spec(**extra: Any) -> PodSpec:
    return PodSpec(containers=[Container(name="main", image="registry.k8s.io/pause:3.9")],
                   termination_grace_period_seconds=0, **extra)


def deployment(namespace: str, name: str, replicas: int, **pod: Any) -> Deployment:
    labels = {"app": name}
    return Deployment(namespace=namespace, name=name, spec=DeploymentSpec(
        replicas=replicas, selector=LabelSelector(match_labels=labels),
        template=PodTemplateSpec(metadata=ObjectMeta(labels=labels), spec=pod_spec(**pod))))


def running(pk: pykorm.Pykorm, pod: Pod) -> Pod:
    pk.save(pod)
    found = pk.wait_for(pod, lambda p: p is not None and p.status is not None and p.status.phase == "Running"
                        and bool(p.status.pod_ip), timeout=WAIT)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def scene(k8s_cluster: Cluster, k8s_nodes: list[str]) -> Iterator[str]:
    """A namespace holding one of each problem the doctor finds, and one healthy Deployment."""
    namespace = f"doctor-{secrets.token_hex(4)}"
    with pykorm.Pykorm(kubeconfig=kubeconfig_of(k8s_cluster), context=k8s_cluster.context, make_default=False) as pk:
        pk.save(Namespace(name=namespace, labels={"pykorm.io/test": "true"}))
        try:
            web = pk.save(deployment(namespace, "web", 2))
            pk.save(deployment(namespace, "stuck", 1, node_selector=NOWHERE))
            pk.save(Job(namespace=namespace, name="late", spec=JobSpec(
                backoff_limit=0, active_deadline_seconds=1,
                template=PodTemplateSpec(spec=pod_spec(restart_policy="Never", node_selector=NOWHERE)))))

            crashy = running(pk, Pod(namespace=namespace, name="crashy", spec=pod_spec()))
            assert crashy.status and crashy.status.container_statuses
            crashy.status.container_statuses[0].state = ContainerState(waiting=ContainerStateWaiting(
                reason="CrashLoopBackOff", message="back-off 5m0s restarting failed container"))
            crashy.status.container_statuses[0].ready = False
            crashy.status.container_statuses[0].restart_count = 7
            pk.save_status(crashy)
            sleepy = running(pk, Pod(namespace=namespace, name="sleepy", spec=pod_spec()))
            assert sleepy.status and sleepy.status.conditions
            for condition in sleepy.status.conditions:
                if condition.type in ("Ready", "ContainersReady"):
                    condition.status, condition.reason = "False", "ReadinessProbeFailed"
            pk.save_status(sleepy)

            pk.wait_for(web, lambda d: d is not None and d.status is not None and d.status.available_replicas == 2,
                        timeout=WAIT)
            late = pk.get(Job, "late", namespace)
            pk.wait_for(late, lambda j: j is not None and j.status is not None
                        and any(c.type == "Failed" for c in j.status.conditions or []), timeout=WAIT)
            yield namespace
        finally:
            with contextlib.suppress(pykorm.NotFound):
                pk.delete(pk.get(Namespace, namespace))


def doctor(cluster: Cluster, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run("python", DOCTOR, "--kubeconfig", kubeconfig_of(cluster), *args, **env)


def test_the_report_names_every_broken_workload(k8s_cluster: Cluster, scene: str) -> None:
    result = doctor(k8s_cluster, "-n", scene)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KIND", "NAMESPACE", "NAME", "PROBLEM", "DETAIL"]
    rows = {(line.split()[0], line.split()[2], line.split()[3]) for line in lines[1:] if line.strip()
            and not line.endswith("found.")}
    pending = next(r for r in rows if r[0] == "Pod" and r[1].startswith("stuck-"))
    assert rows == {("Pod", "crashy", "crash-loop"), ("Pod", "sleepy", "not-ready"), pending,
                    ("Deployment", "stuck", "unavailable"), ("Job", "late", "failed")}, result.stdout
    assert pending[2] == "not-running"
    assert "restarted 7 times: back-off 5m0s" in result.stdout and "Pending: Unschedulable" in result.stdout
    assert "DeadlineExceeded" in result.stdout and "0/1 replicas available" in result.stdout
    assert lines[-1] == "5 problems found." and "\033[" not in result.stdout  # no colour into a pipe
    assert "web" not in result.stdout


def test_json_output_for_programs(k8s_cluster: Cluster, scene: str) -> None:
    result = doctor(k8s_cluster, "-n", scene, "--output", "json")

    findings = json.loads(result.stdout)
    assert result.returncode == 1
    assert {(f["kind"], f["name"][:5], f["problem"]) for f in findings} == {
        ("Pod", "crash", "crash-loop"), ("Pod", "sleep", "not-ready"), ("Pod", "stuck", "not-running"),
        ("Deployment", "stuck", "unavailable"), ("Job", "late", "failed")}
    assert [f["severe"] for f in findings] == sorted((f["severe"] for f in findings), reverse=True)


def test_tag_labels_and_annotates_what_is_broken(k8s_cluster: Cluster, scene: str, admin: pykorm.Pykorm) -> None:
    result = doctor(k8s_cluster, "-n", scene, "--tag")

    assert result.returncode == 1 and "tagged 5 objects" in result.stderr, result.stderr
    pods = Pod.query.session(admin).namespace(scene)
    tagged = {(p.name[:5], p.labels[FINDING]) for p in pods.filter(labels__has=FINDING)}
    assert tagged == {("crash", "crash-loop"), ("sleep", "not-ready"), ("stuck", "not-running")}
    assert Deployment.query.session(admin).namespace(scene).filter(labels__has=FINDING).pluck("name") == ["stuck"]
    assert Job.query.session(admin).namespace(scene).filter_by_labels({FINDING: "failed"}).pluck("name") == ["late"]
    assert all("doctor.examples.pykorm.io/seen-at" in p.annotations for p in pods.filter(labels__has=FINDING))
    assert FINDING not in admin.get(Deployment, "web", scene).labels


def test_scale_waits_until_the_deployment_is_healthy(k8s_cluster: Cluster, k8s_namespace: str,
                                                      k8s_nodes: list[str], admin: pykorm.Pykorm) -> None:
    admin.save(deployment(k8s_namespace, "api", 1))

    result = doctor(k8s_cluster, "-n", k8s_namespace, "--scale", "api=3", "--wait", str(WAIT))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "scaled to 3" in result.stderr and "healthy, 3/3 available" in result.stderr
    assert result.stdout.strip() == "No problems found."
    status = admin.get(Deployment, "api", k8s_namespace).status
    assert status is not None and status.available_replicas == 3


def test_a_scale_that_cannot_become_healthy_fails(k8s_cluster: Cluster, k8s_namespace: str,
                                                  k8s_nodes: list[str], admin: pykorm.Pykorm) -> None:
    admin.save(deployment(k8s_namespace, "gpu", 0, node_selector=NOWHERE))

    result = doctor(k8s_cluster, "-n", k8s_namespace, "--scale", "gpu=1", "--wait", "3")

    assert result.returncode == 1 and "not healthy after 3 s" in result.stderr, result.stderr
    assert "gpu" in result.stdout and "0/1 replicas available" in result.stdout


def test_colour_only_on_a_terminal(k8s_cluster: Cluster, scene: str) -> None:
    assert "\033[31m" in doctor(k8s_cluster, "-n", scene, "--color", "always").stdout
    assert "\033[" not in doctor(k8s_cluster, "-n", scene, "--color", "never").stdout

    primary, secondary = pty.openpty()  # the way a terminal runs it: auto means colour
    env = environment()
    env.pop("NO_COLOR", None)
    with subprocess.Popen([sys.executable, DOCTOR, "--kubeconfig", kubeconfig_of(k8s_cluster), "-n", scene],
                          cwd=ROOT, env={**env, "TERM": "xterm"}, stdout=secondary, stderr=subprocess.PIPE) as proc:
        os.close(secondary)
        output = b""
        with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
            while chunk := os.read(primary, 65536):
                output += chunk
        assert proc.wait(WAIT) == 1
    os.close(primary)
    assert b"\033[31m" in output and b"\033[1mKIND" in output
    no_colour = doctor(k8s_cluster, "-n", scene, NO_COLOR="1")
    assert "\033[" not in no_colour.stdout


def test_bad_arguments_and_missing_things_are_exit_status_2(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    missing = doctor(k8s_cluster, "-n", "no-such-namespace")
    assert missing.returncode == 2 and "no-such-namespace" in missing.stderr and not missing.stdout
    assert doctor(k8s_cluster, "-n", k8s_namespace, "--scale", "ghost=1").returncode == 2
    assert doctor(k8s_cluster, "-n", k8s_namespace, "--scale", "web=-1").returncode == 2   # argparse
    assert doctor(k8s_cluster, "-n", k8s_namespace, "-A").returncode == 2                  # exclusive options
    assert doctor(k8s_cluster, "-n", "Bad Namespace!").returncode == 2
    assert doctor(k8s_cluster, "-A", "--scale", "web=1").returncode == 2
    nowhere = run("python", DOCTOR, "--kubeconfig", str(ROOT / "no-such-kubeconfig"))
    assert nowhere.returncode == 2 and "cannot examine the cluster" in nowhere.stderr, nowhere.stderr
    empty = doctor(k8s_cluster, "-n", k8s_namespace)
    assert (empty.returncode, empty.stdout.strip()) == (0, "No problems found.")
