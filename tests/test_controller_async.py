"""``async def`` reconcilers (issue 23, item 8) on the local control plane: the blocking controller's queue and guarantees.

Each labelled ConfigMap gets an owned child ConfigMap written through an ``AsyncPykorm``; the
child's event is the echo of the reconcile's own write (one reconcile per object, as blocking);
never two reconciles of one key at once; a reconcile past its timeout is cancelled and retried.
The official client is the witness of the children.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Iterator

import kubernetes
import pytest

import pykorm
from pykorm.aio import AsyncPykorm
from pykorm.controller import Manager, Request
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster

from .planes import new_namespace, own_session, wait_for

LABELS = {"pykorm.io/test": "async"}


@pytest.fixture
def session(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    with own_session(k8s_cluster, "async-test") as pk:
        yield pk


def test_async_reconciles_write_through_the_async_session_once_per_object(
        session: pykorm.Pykorm, k8s_cluster: Cluster) -> None:
    namespace = new_namespace(session, "async")
    names = [f"p-{i}" for i in range(8)]
    for name in names:
        session.save(ConfigMap(namespace=namespace, name=name, labels=LABELS, data={"v": name}))
    apk = AsyncPykorm(k8s_cluster.kubeconfig, field_manager="async-test")
    manager = Manager(session, namespace=namespace, async_session=apk)
    children = manager.cache(ConfigMap)
    running: dict[str, int] = {}
    most = {"per key": 0, "at once": 0}
    lock = threading.Lock()

    @manager.reconciler(ConfigMap, selector=LABELS, owns=[ConfigMap], workers=2)
    async def reconcile(request: Request[ConfigMap]) -> None:
        with lock:
            running[request.key] = running.get(request.key, 0) + 1
            most["per key"] = max(most["per key"], running[request.key])
            most["at once"] = max(most["at once"], sum(running.values()))
        try:
            parent = request.get()
            if parent is None:
                return
            await asyncio.sleep(0.05)  # the loop runs other reconciles meanwhile
            if children.get(f"{parent.name}-child", namespace) is None:
                child = ConfigMap(namespace=namespace, name=f"{parent.name}-child", data=dict(parent.data or {}))
                await apk.adopt(child, parent)
                await apk.save(child)
        finally:
            with lock:
                running[request.key] -= 1

    manager.start()
    try:
        witness = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(k8s_cluster.configuration()))

        def written() -> bool:
            found = {c.metadata.name: c for c in witness.list_namespaced_config_map(namespace).items}
            return all(f"{n}-child" in found and found[f"{n}-child"].data == {"v": n} and
                       [r.name for r in found[f"{n}-child"].metadata.owner_references or ()] == [n] for n in names)

        wait_for(written, 60, "every child written")
        time.sleep(1.5)  # the children's events (after owned_delay): echoes, no reconcile
        controller = manager.controllers[0]
        assert {key: controller.reconciles[key] for key in controller.reconciles} == {f"{namespace}/{n}": 1 for n in names}
        assert most["per key"] == 1 and most["at once"] <= 2
        assert not controller.failures
    finally:
        manager.stop(30)
    assert manager._loop.loop is None  # the loop stopped, and apk closed on it
    assert apk._clusters == {}


def test_an_async_reconcile_past_its_timeout_is_cancelled_and_retried(session: pykorm.Pykorm) -> None:
    namespace = new_namespace(session, "async")
    session.save(ConfigMap(namespace=namespace, name="slow", labels=LABELS))
    manager = Manager(session, namespace=namespace)
    calls: list[float] = []
    finished: list[str] = []

    @manager.reconciler(ConfigMap, selector=LABELS, timeout=1.0)
    async def reconcile(request: Request[ConfigMap]) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            try:
                await asyncio.sleep(60)  # cancelled at 1 s
            except asyncio.CancelledError:
                finished.append("cancelled")
                raise
        finished.append("done")

    manager.start()
    try:
        wait_for(lambda: "done" in finished, 30, "the retry after the timeout")
        assert finished == ["cancelled", "done"]
        assert calls[1] - calls[0] < 10  # not the 60 s the first one would have slept
        assert manager.controllers[0].timeouts[f"{namespace}/slow"] == 1
    finally:
        manager.stop(30)
