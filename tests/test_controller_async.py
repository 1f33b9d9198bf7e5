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
from pykorm.testing import Cluster, install_crds

from .helpers import wait_for
from .planes import new_namespace, own_session

LABELS = {"pykorm.io/test": "async"}
OPERATOR = "example.com/async-helpers"


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

        wait_for(written, "every child written", 60)
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
        wait_for(lambda: "done" in finished, "the retry after the timeout", 30)
        assert finished == ["cancelled", "done"]
        assert calls[1] - calls[0] < 10  # not the 60 s the first one would have slept
        assert manager.controllers[0].timeouts[f"{namespace}/slow"] == 1
    finally:
        manager.stop(30)



def test_async_helpers_keep_the_blocking_guarantees(session: pykorm.Pykorm, k8s_cluster: Cluster) -> None:
    """An ``async def`` WebSite reconcile written with apply_owned_async, update_status_async, set_condition and
    the manager's EventRecorder, awaiting an AsyncPykorm: one reconcile per object (the writes' echoes are no
    news), nothing written by a reconcile that finds everything in order, the status and its condition carrying
    the generation read, the child and the Event as the official client reads them."""
    from pykorm.controller import apply_owned_async, is_condition_true, set_condition, update_status_async

    from .test_controller import WebSite

    install_crds(k8s_cluster, pykorm.crd(WebSite))
    namespace = new_namespace(session, "async")
    apk = AsyncPykorm(k8s_cluster.kubeconfig, field_manager="async-helpers")
    writes: list[str] = []
    apk.event_hooks["request"].append(lambda r: writes.append(f"{r.method} {r.url}") if r.method != "GET" else None)
    manager = Manager(session, namespace=namespace, async_session=apk)
    events = manager.event_recorder(OPERATOR)

    @manager.reconciler(WebSite, owns=[ConfigMap], workers=2)
    async def reconcile(request: Request[WebSite]) -> None:
        site = request.get()
        if site is None:
            return
        await asyncio.sleep(0)  # a real suspension: the helpers are awaited on the loop
        child = await apply_owned_async(site, ConfigMap(namespace=namespace, name=f"{site.name}-content",
                                                        data={"index.html": site.content}))
        generation, was_ready = site.generation, is_condition_true(site, "Ready")

        async def mirror(target: WebSite) -> None:  # a coroutine function: awaited on each attempt
            target.ready_replicas = len(child.data or {})
            set_condition(target, "Ready", True, reason="Serving", message=f"{child.name} written",
                          observed_generation=generation)

        await update_status_async(site, mirror, observed_generation=generation)
        if not was_ready:
            events.event(site, "Normal", "Ready", "Reconcile", note=f"{child.name} written")

    names = ["a-1", "a-2", "a-3"]
    manager.start()
    try:
        for name in names:
            session.save(WebSite(namespace=namespace, name=name, content=f"<p>{name}</p>"))
        witness = kubernetes.client.ApiClient(k8s_cluster.configuration())
        core = kubernetes.client.CoreV1Api(witness)

        def converged() -> bool:
            sites = {s.name: s for s in WebSite.query.session(session).namespace(namespace)}
            maps = {c.metadata.name: c for c in core.list_namespaced_config_map(namespace).items}
            return all(n in sites and sites[n].observed_generation == sites[n].generation and
                       is_condition_true(sites[n], "Ready") and f"{n}-content" in maps and
                       maps[f"{n}-content"].data == {"index.html": f"<p>{n}</p>"} and
                       [r.uid for r in maps[f"{n}-content"].metadata.owner_references] == [sites[n].uid]
                       for n in names)

        wait_for(converged, "every WebSite converged", 60)
        controller = manager.controllers[0]
        time.sleep(1.5)  # the children's and statuses' events (after owned_delay): echoes, no reconcile
        assert {n: controller.reconciles[f"{namespace}/{n}"] for n in names} == {n: 1 for n in names}
        written = len(writes)

        for name in names:  # a reason to reconcile (an annotation), nothing to change: nothing written
            session.update(session.get(WebSite, name, namespace), lambda s: setattr(s, "annotations", {"poke": "1"}))
        wait_for(lambda: all(controller.reconciles[f"{namespace}/{n}"] == 2 for n in names), "reconciled again", 60)
        time.sleep(1.0)
        assert len(writes) == written and not controller.failures
        ready = next(c for c in session.get(WebSite, "a-1", namespace).conditions or [] if c.type == "Ready")
        assert (ready.status, ready.reason, ready.observed_generation) == ("True", "Serving", 1)

        assert events.flush(30)
        found = kubernetes.client.EventsV1Api(witness).list_namespaced_event(
            namespace, field_selector=f"reportingController={OPERATOR}").items
        assert sorted((e.regarding.name, e.reason, e.note) for e in found) == \
            [(n, "Ready", f"{n}-content written") for n in names]
    finally:
        manager.stop(30)
    assert manager.error is None

    async def stale_then_retried() -> None:
        async with AsyncPykorm(k8s_cluster.kubeconfig, field_manager="async-helpers") as own:
            stale = await own.get(WebSite, "a-2", namespace)
            session.update(session.get(WebSite, "a-2", namespace), lambda s: setattr(s, "content", "<p>new</p>"))
            done = await update_status_async(stale, lambda s: setattr(s, "ready_replicas", 7), observed_generation=1,
                                             session=own)  # a conflict, a fresh read, a retry
            assert (done.ready_replicas, done.observed_generation, done.generation) == (7, 1, 2)
        with pytest.raises(TypeError, match="AsyncPykorm"):
            await update_status_async(session.get(WebSite, "a-3", namespace), lambda s: None)  # a blocking session's

    asyncio.run(stale_then_retried())
