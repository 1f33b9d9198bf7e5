"""Caches that scale (issue 23, item 6), on the local control plane: streamed first lists, transforms, narrowed owned kinds.

The official client is the witness of what the server holds: a transform changes the cache only.
"""

from __future__ import annotations

from typing import Any, Iterator

import kubernetes
import pytest

import pykorm
from pykorm.controller import Informer, Manager, Request, Watch, strip_managed_fields
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster

from .planes import new_namespace, own_session, private_plane, wait_for


@pytest.fixture
def session(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    with own_session(k8s_cluster, "caches-test") as pk:
        yield pk


def witness(k8s_cluster: Cluster) -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(k8s_cluster.configuration()))


def managers(raw: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in raw["metadata"].get("managedFields") or ()]


def test_the_first_list_is_streamed_where_served_and_matches_a_list(session: pykorm.Pykorm) -> None:
    namespace = new_namespace(session, "stream")
    for i in range(30):
        session.save(ConfigMap(namespace=namespace, name=f"c-{i:02d}", labels={"half": str(i % 2)}, data={"i": str(i)}))
    streamed = Informer(ConfigMap, session=session, namespace=namespace, selector={"half": "1"}).start()
    listed = Informer(ConfigMap, session=session, namespace=namespace, selector={"half": "1"}, stream=False).start()
    try:
        streamed.wait_synced(60)
        listed.wait_synced(60)
        assert streamed.streamed is True  # the pinned releases serve sendInitialEvents (WatchList)
        assert listed.streamed is False
        names = sorted(c.name for c in streamed.query.all())
        assert names == sorted(c.name for c in listed.query.all()) == [f"c-{i:02d}" for i in range(1, 30, 2)]
        session.save(ConfigMap(namespace=namespace, name="late", labels={"half": "1"}))  # then the watch goes on
        wait_for(lambda: streamed.get("late", namespace) is not None, 30, "a change after a streamed list")
    finally:
        streamed.stop()
        listed.stop()


def test_a_manager_keeps_only_server_side_applies_in_managed_fields_the_server_keeps_all(
        session: pykorm.Pykorm, k8s_cluster: Cluster) -> None:
    namespace = new_namespace(session, "slim")
    session.save(ConfigMap(namespace=namespace, name="updated", data={"a": "1"}))  # an Update entry
    session.apply(ConfigMap(namespace=namespace, name="applied", data={"a": "1"}))  # an Apply entry
    manager = Manager(session, namespace=namespace)
    full = Informer(ConfigMap, session=session, namespace=namespace)
    stripped = Informer(ConfigMap, session=session, namespace=namespace, transform=strip_managed_fields)
    cache = manager.cache(ConfigMap)
    manager.start()
    full.start()
    stripped.start()
    try:
        for informer in (cache, full, stripped):
            informer.wait_synced(60)
        raw = {name: cache.store.get(f"{namespace}/{name}") for name in ("updated", "applied")}
        assert raw["updated"] is not None and "managedFields" not in raw["updated"]["metadata"]
        assert raw["applied"] is not None and managers(raw["applied"]) == [("caches-test", "Apply")]
        assert managers(full.store.get(f"{namespace}/updated") or {}) == [("caches-test", "Update")]
        assert all("managedFields" not in r["metadata"] for r in stripped.store.items())
        # changes that come through the watch are transformed too
        session.apply(ConfigMap(namespace=namespace, name="updated", data={"a": "1", "b": "2"}))
        wait_for(lambda: (cache.store.get(f"{namespace}/updated") or {}).get("data", {}).get("b") == "2", 30, "the change")
        assert managers(cache.store.get(f"{namespace}/updated") or {}) == [("caches-test", "Apply")]
        # the server keeps every entry
        live = witness(k8s_cluster).read_namespaced_config_map("updated", namespace)
        assert sorted((m.manager, m.operation) for m in live.metadata.managed_fields) == [
            ("caches-test", "Apply"), ("caches-test", "Update")]
    finally:
        manager.stop(30)
        full.stop()
        stripped.stop()


def test_an_owned_kind_narrowed_by_a_selector_caches_only_those(session: pykorm.Pykorm) -> None:
    namespace = new_namespace(session, "narrow")
    for i in range(6):
        session.save(ConfigMap(namespace=namespace, name=f"cm-{i}", labels={"mine": "yes" if i < 2 else "no"}))
    manager = Manager(session, namespace=namespace)

    @manager.reconciler(ConfigMap, selector={"primary": "yes"}, owns=[Watch(ConfigMap, selector={"mine": "yes"})])
    def reconcile(request: Request[ConfigMap]) -> None:
        pass

    manager.start()
    try:
        assert manager.synced(60)
        owned = [i for i in manager.informers if i.selector == {"mine": "yes"}]
        assert len(owned) == 1 and sorted(owned[0].store.keys()) == [f"{namespace}/cm-0", f"{namespace}/cm-1"]
    finally:
        manager.stop(30)


def test_a_server_without_streaming_lists_is_listed_instead(k8s_cluster: Cluster) -> None:
    with private_plane(k8s_cluster, "--feature-gates=WatchList=false", why="WatchList switched off") as (_, admin):
        namespace = new_namespace(admin, "nostream")
        admin.save(ConfigMap(namespace=namespace, name="there", data={"a": "1"}))
        informer = Informer(ConfigMap, session=admin, namespace=namespace).start()
        required = Informer(ConfigMap, session=admin, namespace=namespace, stream=True).start()
        try:
            informer.wait_synced(60)
            assert informer.streamed is False and informer.stream is False  # asked once, remembered
            assert [c.name for c in informer.query.all()] == ["there"]
            wait_for(lambda: required.failures > 0, 30, "a refused streaming list")
            with pytest.raises(pykorm.CacheUnavailable, match="does not stream lists"):
                required.get("there", namespace)
        finally:
            informer.stop()
            required.stop()


def test_pk_cache_after_a_running_manager_with_slimmed_objects_gets_whole_objects(session: pykorm.Pykorm) -> None:
    """A running feed that drops managedFields entries cannot serve pk.cache (whole objects asked): it gets its own.
    About 2 s."""
    namespace = new_namespace(session, "slimfirst")
    session.save(ConfigMap(namespace=namespace, name="a", data={"k": "1"}))
    manager = Manager(session, namespace=namespace)
    managed = manager.cache(ConfigMap)
    manager.start()
    try:
        assert manager.synced(60)
        assert "managedFields" not in (managed.store.get(f"{namespace}/a") or {"metadata": {"managedFields": 1}})["metadata"]
        cache = session.cache(ConfigMap, namespace)
        assert cache.store is not managed.store
        assert managers(cache.store.get(f"{namespace}/a") or {}) == [("caches-test", "Update")]
        assert managers(cache.get("a", namespace)._raw) == [("caches-test", "Update")]  # type: ignore[union-attr]
    finally:
        manager.stop(30)
