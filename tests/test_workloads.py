"""Workloads on the local cluster: scheduler, default controllers and kwok nodes, seen through the official client.

The tests under "the cluster" need Ready nodes (the ``k8s_nodes`` fixture skips them on a bare
control plane) and run unchanged against any cluster; the ones that create or delete nodes need
kwok's (label ``pykorm.io/simulated-node``). Every wait polls with a generous bound: other jobs
share the machine.
"""

from __future__ import annotations

import ipaddress
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from pykorm.testing import Binaries, Cluster, LocalControlPlane, find_binaries
from pykorm.testing._kwok import NODE_LABEL, POD_CIDR, node_manifest

from .helpers import wait_for
from .test_control_plane import alive, api_client, core, is_gone  # noqa: F401 (fixtures)

IMAGE, NEW_IMAGE = "registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.10"
WAIT = 120.0  # seconds; converging takes one or two here, but the machine is shared


# -- the cluster --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apps(api_client: k8s.ApiClient) -> k8s.AppsV1Api:
    return k8s.AppsV1Api(api_client)


@pytest.fixture(scope="module")
def batch(api_client: k8s.ApiClient) -> k8s.BatchV1Api:
    return k8s.BatchV1Api(api_client)


def pod_spec(image: str = IMAGE, **extra: Any) -> dict[str, Any]:
    return {"containers": [{"name": "main", "image": image}], "terminationGracePeriodSeconds": 5, **extra}


def deployment(name: str, replicas: int, image: str = IMAGE, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec(image, **spec)},
        },
    }


def job(name: str, completions: int) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"completions": completions, "template": {"spec": pod_spec(restartPolicy="Never")}},
    }


def rolled_out(apps: k8s.AppsV1Api, name: str, namespace: str, replicas: int) -> Callable[[], bool]:
    """True once the Deployment's newest ReplicaSet has ``replicas`` ready pods and no other pod is left."""

    def check() -> bool:
        d = apps.read_namespaced_deployment(name, namespace)
        s = d.status
        return (
            (s.observed_generation or 0) >= d.metadata.generation
            and (s.updated_replicas or 0) == replicas
            and (s.ready_replicas or 0) == replicas
            and (s.available_replicas or 0) == replicas
            and (s.replicas or 0) == replicas
        )

    return check


def scene(core: k8s.CoreV1Api, namespace: str) -> str:
    """The nodes, the pods of ``namespace`` and its events, for the message of a failed wait."""
    lines = [f"node {n.metadata.name}: taints {[t.key for t in n.spec.taints or []]}, "
             f"ready {[c.status for c in n.status.conditions or [] if c.type == 'Ready']}"
             for n in core.list_node().items]
    lines += [f"pod {p.metadata.name}: node {p.spec.node_name}, phase {p.status.phase}, "
              f"conditions {[(c.type, c.status, c.reason) for c in p.status.conditions or []]}"
              for p in core.list_namespaced_pod(namespace).items]
    lines += [f"event {e.involved_object.kind}/{e.involved_object.name}: {e.reason}: {e.message}"
              for e in core.list_namespaced_event(namespace).items]
    return "\n".join(lines)


def app_pods(core: k8s.CoreV1Api, namespace: str, app: str) -> list[Any]:
    return list(core.list_namespaced_pod(namespace, label_selector=f"app={app}").items)


def is_ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def test_a_deployment_reaches_its_replicas_and_scales_through_scale(
    k8s_nodes: list[str], apps: k8s.AppsV1Api, core: k8s.CoreV1Api, k8s_namespace: str
) -> None:
    apps.create_namespaced_deployment(k8s_namespace, deployment("web", 3))
    wait_for(rolled_out(apps, "web", k8s_namespace, 3), "the Deployment has 3 ready replicas", WAIT)

    for replicas in (5, 0):
        scale = apps.patch_namespaced_deployment_scale("web", k8s_namespace, {"spec": {"replicas": replicas}})
        assert (scale.spec.replicas or 0) == replicas  # 0 is omitted from the JSON
        wait_for(rolled_out(apps, "web", k8s_namespace, replicas), f"the Deployment scaled to {replicas}", WAIT)
        wait_for(lambda: len(app_pods(core, k8s_namespace, "web")) == replicas, f"{replicas} pods are left", WAIT)

    assert not apps.read_namespaced_deployment_scale("web", k8s_namespace).status.replicas


def test_a_rolling_update_to_a_new_image_completes(
    k8s_nodes: list[str], apps: k8s.AppsV1Api, core: k8s.CoreV1Api, k8s_namespace: str
) -> None:
    apps.create_namespaced_deployment(k8s_namespace, deployment("api", 3))
    wait_for(rolled_out(apps, "api", k8s_namespace, 3), "the first rollout", WAIT)
    first = {rs.metadata.name for rs in apps.list_namespaced_replica_set(k8s_namespace).items}

    patch = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": NEW_IMAGE}]}}}}
    apps.patch_namespaced_deployment("api", k8s_namespace, patch)

    wait_for(rolled_out(apps, "api", k8s_namespace, 3), "the rolling update to the new image", WAIT)
    replica_sets = {rs.metadata.name: rs for rs in apps.list_namespaced_replica_set(k8s_namespace).items}
    (new,) = set(replica_sets) - first
    (old,) = first
    assert replica_sets[new].spec.template.spec.containers[0].image == NEW_IMAGE
    assert replica_sets[new].status.ready_replicas == 3
    assert replica_sets[old].spec.replicas == 0
    wait_for(
        lambda: sorted(p.spec.containers[0].image for p in app_pods(core, k8s_namespace, "api")) == [NEW_IMAGE] * 3,
        "only pods of the new image are left",
        WAIT,
    )


def job_condition(batch: k8s.BatchV1Api, name: str, namespace: str, kind: str) -> bool:
    conditions = batch.read_namespaced_job_status(name, namespace).status.conditions or []
    return any(c.type == kind and c.status == "True" for c in conditions)


def test_a_job_of_three_completions_completes(k8s_nodes: list[str], batch: k8s.BatchV1Api, k8s_namespace: str) -> None:
    batch.create_namespaced_job(k8s_namespace, job("count", 3))

    wait_for(lambda: job_condition(batch, "count", k8s_namespace, "Complete"), "the Job is Complete", WAIT)

    status = batch.read_namespaced_job_status("count", k8s_namespace).status
    assert (status.succeeded, status.failed or 0) == (3, 0)
    assert status.completion_time is not None


def test_a_cronjob_creates_a_job_that_completes(
    k8s_nodes: list[str], batch: k8s.BatchV1Api, k8s_namespace: str
) -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "tick"},
        "spec": {
            "schedule": "* * * * *",  # the next minute: up to 60 s away
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": job("unused", 1)["spec"]},
        },
    }
    uid = batch.create_namespaced_cron_job(k8s_namespace, cron).metadata.uid

    def owned_jobs() -> list[Any]:
        jobs = batch.list_namespaced_job(k8s_namespace).items
        return [j for j in jobs if any(o.uid == uid for o in j.metadata.owner_references or [])]

    wait_for(lambda: bool(owned_jobs()), "the CronJob created a Job", 60 + WAIT)
    name = owned_jobs()[0].metadata.name
    wait_for(lambda: job_condition(batch, name, k8s_namespace, "Complete"), "the CronJob's Job is Complete", WAIT)
    wait_for(
        lambda: batch.read_namespaced_cron_job("tick", k8s_namespace).status.last_successful_time is not None,
        "the CronJob records its success",
        WAIT,
    )


def test_a_pod_gets_a_node_an_ip_and_ready(
    k8s_cluster: Cluster, k8s_nodes: list[str], core: k8s.CoreV1Api, k8s_namespace: str
) -> None:
    core.create_namespaced_pod(k8s_namespace, {"metadata": {"name": "solo"}, "spec": pod_spec()})

    wait_for(lambda: is_ready(core.read_namespaced_pod("solo", k8s_namespace)), "the Pod is Ready", WAIT)

    pod = core.read_namespaced_pod("solo", k8s_namespace)
    assert pod.spec.node_name in k8s_nodes
    assert pod.status.phase == "Running"
    assert pod.status.pod_ip and pod.status.host_ip
    assert pod.status.container_statuses[0].ready and pod.status.container_statuses[0].state.running
    if k8s_cluster.control_plane is not None:
        assert ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network(POD_CIDR)


def test_deleted_pods_of_a_deployment_are_recreated(
    k8s_nodes: list[str], apps: k8s.AppsV1Api, core: k8s.CoreV1Api, k8s_namespace: str
) -> None:
    apps.create_namespaced_deployment(k8s_namespace, deployment("phoenix", 2))
    wait_for(rolled_out(apps, "phoenix", k8s_namespace, 2), "the Deployment is ready", WAIT)
    before = {p.metadata.uid for p in app_pods(core, k8s_namespace, "phoenix")}

    core.delete_collection_namespaced_pod(k8s_namespace, label_selector="app=phoenix")

    def replaced() -> bool:
        pods = app_pods(core, k8s_namespace, "phoenix")
        return len(pods) == 2 and not ({p.metadata.uid for p in pods} & before) and all(map(is_ready, pods))

    wait_for(replaced, "two new Ready pods replace the deleted ones (and the old ones are gone)", WAIT)


@pytest.fixture
def kwok_nodes(k8s_nodes: list[str], core: k8s.CoreV1Api) -> Iterator[Callable[[str], str]]:
    """Makes simulated nodes labelled ``pykorm.io/test-pool=<pool>``; deletes them after the test."""
    if not any(NODE_LABEL in (n.metadata.labels or {}) for n in core.list_node().items):
        pytest.skip("the cluster's nodes are not kwok's: a test cannot add one")
    made: list[str] = []

    def make(pool: str) -> str:
        name = f"pykorm-test-node-{secrets.token_hex(3)}"
        node = node_manifest(name)
        node["metadata"]["labels"]["pykorm.io/test-pool"] = pool
        core.create_node(node)
        made.append(name)
        wait_for(lambda: any(c.type == "Ready" and c.status == "True"
                               for c in core.read_node(name).status.conditions or []), f"node {name} is Ready", WAIT)
        return name

    yield make
    for name in made:
        try:
            core.delete_node(name)
        except ApiException as error:
            if error.status != 404:
                raise


def nodes_of(core: k8s.CoreV1Api, namespace: str, app: str) -> set[str]:
    return {p.spec.node_name for p in app_pods(core, namespace, app) if is_ready(p)}


def test_a_drained_and_deleted_node_s_pods_move_to_another_node(
    kwok_nodes: Callable[[str], str], apps: k8s.AppsV1Api, core: k8s.CoreV1Api, k8s_namespace: str
) -> None:
    pool = secrets.token_hex(4)
    first = kwok_nodes(pool)
    apps.create_namespaced_deployment(
        k8s_namespace, deployment("mover", 2, nodeSelector={"pykorm.io/test-pool": pool})
    )
    wait_for(rolled_out(apps, "mover", k8s_namespace, 2), "the Deployment is ready on the first node", WAIT)
    assert nodes_of(core, k8s_namespace, "mover") == {first}
    second = kwok_nodes(pool)

    evicted = {p.metadata.name for p in app_pods(core, k8s_namespace, "mover")}

    # kubectl drain: cordon, evict, wait until the pods are gone; then the node is deleted.
    core.patch_node(first, {"spec": {"unschedulable": True}})
    core.delete_collection_namespaced_pod(k8s_namespace, field_selector=f"spec.nodeName={first}")
    wait_for(lambda: all(is_gone(lambda n=n: core.read_namespaced_pod(n, k8s_namespace)) for n in evicted),
               "the evicted pods are gone", WAIT)
    core.delete_node(first)

    wait_for(lambda: nodes_of(core, k8s_namespace, "mover") == {second} and
               rolled_out(apps, "mover", k8s_namespace, 2)(), "the pods run again, on the second node", WAIT)


def test_pods_of_a_vanished_node_are_collected_and_recreated(
    kwok_nodes: Callable[[str], str], apps: k8s.AppsV1Api, core: k8s.CoreV1Api, k8s_namespace: str
) -> None:
    pool = secrets.token_hex(4)
    lost = kwok_nodes(pool)
    apps.create_namespaced_deployment(k8s_namespace, deployment("orphan", 2, nodeSelector={"pykorm.io/test-pool": pool}))
    wait_for(rolled_out(apps, "orphan", k8s_namespace, 2), "the Deployment is ready", WAIT)
    orphans = {p.metadata.name for p in app_pods(core, k8s_namespace, "orphan")}

    core.delete_node(lost)  # no drain: the node is just gone, as when a machine dies for good

    # The pod garbage collector deletes pods bound to a node that does not exist (after 40 s of
    # quarantine, checked every 20 s); the ReplicaSet replaces them, Pending until a node fits.
    wait_for(lambda: all(is_gone(lambda n=n: core.read_namespaced_pod(n, k8s_namespace)) for n in orphans),
               "the pods of the deleted node are garbage-collected", 60 + WAIT)
    wait_for(lambda: len(app_pods(core, k8s_namespace, "orphan")) == 2, "the ReplicaSet recreated two pods", WAIT)
    assert all(not p.spec.node_name for p in app_pods(core, k8s_namespace, "orphan"))
    replacement = kwok_nodes(pool)
    wait_for(lambda: nodes_of(core, k8s_namespace, "orphan") == {replacement}, "they run on the new node", WAIT)


def test_pod_logs_answer(k8s_cluster: Cluster, k8s_nodes: list[str], core: k8s.CoreV1Api, k8s_namespace: str) -> None:
    core.create_namespaced_pod(k8s_namespace, {"metadata": {"name": "chatty"}, "spec": pod_spec()})
    wait_for(lambda: is_ready(core.read_namespaced_pod("chatty", k8s_namespace)), "the Pod is Ready", WAIT)
    control_plane = k8s_cluster.control_plane
    marker = f"ERROR: lost the database {secrets.token_hex(3)}"
    if control_plane is not None:
        control_plane.append_pod_log(f"{marker}\nretrying")

    text = core.read_namespaced_pod_log("chatty", k8s_namespace, container="main")

    assert isinstance(text, str)
    if control_plane is not None:  # elsewhere a real pause container writes nothing
        assert text.endswith(f"{marker}\nretrying\n")
        assert core.read_namespaced_pod_log("chatty", k8s_namespace, tail_lines=1) == "retrying\n"


# -- a cluster of our own -----------------------------------------------------------------


@pytest.fixture(scope="module")
def workload_binaries() -> Binaries:
    found = find_binaries(workloads=True)
    if found is None:
        pytest.skip("no workload binaries yet (run `pykorm cluster install`)")
    return found


def test_a_cluster_of_our_own_survives_an_apiserver_restart_and_stops_clean(workload_binaries: Binaries) -> None:
    control_plane = LocalControlPlane(workload_binaries, workloads=True, nodes=2).start()
    pids, directory = control_plane.pids, control_plane.directory
    print(f"warm start with workloads and 2 nodes: {control_plane.startup_seconds:.1f} s")
    try:
        assert set(pids) == {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}
        with k8s.ApiClient(Cluster.local(control_plane).configuration()) as api_client:
            apps, core = k8s.AppsV1Api(api_client), k8s.CoreV1Api(api_client)
            ready = [n.metadata.name for n in core.list_node().items if n.status.conditions]
            assert sorted(ready) == control_plane.node_names == ["pykorm-node-0", "pykorm-node-1"]
            apps.create_namespaced_deployment("default", deployment("steady", 2))
            wait_for(rolled_out(apps, "steady", "default", 2), "the Deployment is ready", WAIT)

            control_plane.restart_apiserver()
            apps.patch_namespaced_deployment_scale("steady", "default", {"spec": {"replicas": 4}})

            wait_for(rolled_out(apps, "steady", "default", 4), "scaled to 4 after the restart", WAIT)
            assert nodes_of(core, "default", "steady") <= set(control_plane.node_names)
    finally:
        control_plane.stop()

    assert [name for name, pid in pids.items() if alive(pid)] == []
    assert not directory.exists()


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the processes through /proc")
def test_cluster_up_as_a_user_runs_it(tmp_path: Path, workload_binaries: Binaries) -> None:
    """``pykorm cluster up --nodes 2`` in its own process: a Deployment runs; Ctrl-C leaves nothing behind."""
    kubeconfig = tmp_path / "kubeconfig"
    up = subprocess.Popen(
        [sys.executable, "-m", "pykorm", "cluster", "up", "--nodes", "2", f"--kubeconfig={kubeconfig}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for(lambda: kubeconfig.exists() or up.poll() is not None, "cluster up wrote its kubeconfig", WAIT)
        assert up.poll() is None, up.communicate()[0]
        children = children_of(up.pid)
        assert len(children) == 5
        cluster = Cluster(kubeconfig)
        with k8s.ApiClient(cluster.configuration()) as api_client:
            apps, core = k8s.AppsV1Api(api_client), k8s.CoreV1Api(api_client)
            assert len(core.list_node().items) == 2
            apps.create_namespaced_deployment("default", deployment("hello", 2))
            try:
                wait_for(rolled_out(apps, "hello", "default", 2), "the Deployment is ready", WAIT)
            except pytest.fail.Exception:
                pytest.fail(f"the Deployment is not ready after {WAIT:g} s; what the cluster shows:\n{scene(core, 'default')}")

        up.send_signal(signal.SIGINT)
        output = up.communicate(timeout=60)[0]
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()

    assert up.returncode == 0, output
    assert "with 2 kwok node(s) ready in" in output
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in children if alive(pid)] == []
    assert not kubeconfig.exists()
