"""Workload state on kwok workloads: rolled out or why not, Jobs finished and why, a Deployment's pods by owner
references (not by labels), the logs of its pods with their pod and container, a followed log stopped from
another thread. The official client is the witness of which pods a Deployment owns."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Iterator

import pytest
from kubernetes import client as k8s

import pykorm
from pykorm.aio import AsyncPykorm
from pykorm.k8s import Deployment, Job, Pod
from pykorm.k8s.apps_v1 import DeploymentSpec
from pykorm.k8s.batch_v1 import JobSpec
from pykorm.k8s.core_v1 import Container, PodSpec, PodTemplateSpec
from pykorm.k8s.meta_v1 import LabelSelector, ObjectMeta
from pykorm.testing import Cluster

from .witness import official_client

WAIT = 120.0
IMAGE = "registry.k8s.io/pause:3.9"
NOWHERE = {"pykorm.io/no-such-node": "true"}  # pods that are never scheduled


@pytest.fixture
def pk(k8s_cluster: Cluster, k8s_nodes: list[str]) -> Iterator[pykorm.Pykorm]:
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    yield session
    session.close()


def web(namespace: str, name: str, replicas: int, node_selector: dict[str, str] | None = None,
        progress_deadline: int | None = None) -> Deployment:
    labels = {"app": "web"}  # both Deployments of a test share them: only owner references tell their pods apart
    return Deployment(namespace=namespace, name=name, spec=DeploymentSpec(
        replicas=replicas, progress_deadline_seconds=progress_deadline,
        selector=LabelSelector(match_labels={**labels, "deployment": name}),
        template=PodTemplateSpec(metadata=ObjectMeta(labels={**labels, "deployment": name}), spec=PodSpec(
            node_selector=node_selector, containers=[Container(name="web", image=IMAGE),
                                                     Container(name="proxy", image=IMAGE)]))))


def test_a_deployment_rolls_out_and_its_pods_are_those_it_owns(pk: pykorm.Pykorm, k8s_cluster: Cluster,
                                                               k8s_namespace: str) -> None:
    shop = pk.save(web(k8s_namespace, "shop", 2))
    other = pk.save(web(k8s_namespace, "other", 1))
    decoy = pk.save(Pod(namespace=k8s_namespace, name="decoy", labels={"app": "web", "deployment": "shop"},
                        spec=PodSpec(containers=[Container(name="web", image=IMAGE)])))  # matches, owned by none

    pk.wait_for(shop, pykorm.rolled_out, timeout=WAIT)
    pk.wait_for(other, pykorm.rolled_out, timeout=WAIT)

    state = pykorm.rollout_state(shop)
    assert (state.rolled_out, state.available, state.wanted, state.available_replicas, state.reason) == (
        True, True, 2, 2, None)
    pods = pk.pods_of(shop)
    with official_client(k8s_cluster) as client:
        apps, core = k8s.AppsV1Api(client), k8s.CoreV1Api(client)
        sets = {rs.metadata.uid for rs in apps.list_namespaced_replica_set(k8s_namespace).items
                if any(o.uid == shop.uid for o in rs.metadata.owner_references or [])}
        owned = {p.metadata.name for p in core.list_namespaced_pod(k8s_namespace).items
                 if any(o.uid in sets for o in p.metadata.owner_references or [])}
    assert {p.name for p in pods} == owned and len(owned) == 2 and decoy.name not in owned
    assert all(isinstance(p, Pod) for p in pods)

    async def from_async() -> tuple[set[str], set[tuple[str, str]]]:
        async with AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context) as apk:
            found = {p.name for p in await apk.pods_of(shop)}
            return found, {(line.pod, line.container) for line in await apk.workload_logs(shop, tail_lines=1)}

    async_pods, async_logs = asyncio.run(from_async())
    assert async_pods == owned and async_logs == {(p, c) for p in owned for c in ("web", "proxy")}

    lines = pk.workload_logs(shop, tail_lines=1)
    assert {(line.pod, line.container) for line in lines} == {(p.name, c) for p in pods for c in ("web", "proxy")}
    assert all(line.text == pk.logs(Pod(namespace=k8s_namespace, name=line.pod), line.container, tail_lines=1).rstrip("\n")
               for line in lines)
    assert str(lines[0]).startswith(f"[{lines[0].pod}/{lines[0].container}] ")
    assert {line.container for line in pk.workload_logs(shop, "proxy", tail_lines=1)} == {"proxy"}


def test_a_rollout_that_cannot_progress_says_why(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    stuck = pk.save(web(k8s_namespace, "stuck", 2, node_selector=NOWHERE, progress_deadline=1))

    pk.wait_for(stuck, lambda d: d is not None and pykorm.rollout_state(d).failed, timeout=WAIT)

    state = pykorm.rollout_state(stuck)
    assert not state.rolled_out and not state.available and state.available_replicas == 0
    assert state.reason is not None and state.reason.startswith("ProgressDeadlineExceeded: ")
    with pytest.raises(pykorm.WaitTimeout) as timed_out:
        pk.wait_for(stuck, pykorm.rolled_out, timeout=1)
    assert "ProgressDeadlineExceeded" in (pykorm.rollout_state(timed_out.value.last).reason or "")
    assert pk.workload_logs(stuck) == []  # pods never started: no log


def test_jobs_finish_succeeded_or_failed_with_the_reason(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    def job(name: str, **spec: object) -> Job:
        return Job(namespace=k8s_namespace, name=name, spec=JobSpec(backoff_limit=0, template=PodTemplateSpec(
            spec=PodSpec(restart_policy="Never", containers=[Container(name="main", image=IMAGE)],
                         node_selector=spec.pop("node_selector", None))), **spec))  # type: ignore[arg-type]

    done = pk.save(job("done", completions=2))
    late = pk.save(job("late", active_deadline_seconds=1, node_selector=NOWHERE))

    pk.wait_for(done, pykorm.job_finished, timeout=WAIT)
    pk.wait_for(late, pykorm.job_finished, timeout=WAIT)

    succeeded, failed = pykorm.job_state(done), pykorm.job_state(late)
    assert (succeeded.state, succeeded.succeeded) == ("succeeded", 2) and pykorm.job_succeeded(done)
    assert (failed.state, failed.reason) == ("failed", "DeadlineExceeded") and pykorm.job_failed(late)
    assert {p.name for p in pk.pods_of(done)} == {p.name for p in Pod.query.session(pk).namespace(k8s_namespace)
                                                  .filter_by_labels({"batch.kubernetes.io/job-name": "done"})}
    with pytest.raises(pykorm.ClientValidationError, match="owns no pods"):
        pk.pods_of(Pod(namespace=k8s_namespace, name="x"))  # type: ignore[arg-type]


def test_a_followed_log_is_stopped_from_another_thread(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    pod = pk.save(Pod(namespace=k8s_namespace, name="talker", spec=PodSpec(containers=[Container(name="c",
                                                                                                image=IMAGE)])))
    pk.wait_for(pod, lambda p: p is not None and p.status is not None and p.status.phase == "Running", timeout=WAIT)
    stream = pk.logs(pod, follow=True)  # no timeout: it would follow for ever
    first = next(stream)
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(stream), daemon=True)
    reader.start()
    time.sleep(0.5)  # the reader is blocked in a read of a silent log
    started = time.monotonic()
    stream.stop()
    reader.join(10)

    assert not reader.is_alive() and time.monotonic() - started < 5
    assert first and stream.stopped and list(stream) == []
