"""Caches that scale (issue 23, item 6), on the local control plane: streamed first lists, transforms, narrowed owned kinds.

The official client is the witness of what the server holds: a transform changes the cache only.
"""

from __future__ import annotations

from typing import Any, Iterator

import kubernetes
import pytest

import pykorm
from pykorm.controller import Informer, Manager, Request, Watch, strip_managed_fields
from pykorm.controller._feed import feeds_of
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster

from .helpers import wait_for
from .planes import new_namespace, own_session, private_plane


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
        wait_for(lambda: streamed.get("late", namespace) is not None, "a change after a streamed list", 30)
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
        wait_for(lambda: (cache.store.get(f"{namespace}/updated") or {}).get("data", {}).get("b") == "2", "the change", 30)
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
            wait_for(lambda: required.failures > 0, "a refused streaming list", 30)
            with pytest.raises(pykorm.CacheUnavailable, match="does not stream lists"):
                required.get("there", namespace)
        finally:
            informer.stop()
            required.stop()


def test_a_manager_and_pk_cache_share_one_watch_never_handing_slimmed_objects_to_pk_cache(k8s_cluster: Cluster) -> None:
    """One list and watch for a Manager's cache and pk.cache of the same objects (issue 21); both see the changes;
    pk.cache (whole objects asked) never gets the manager's slimmed ones; each stops on its own. About 3 s."""
    opened: list[str] = []

    def note(request: Any) -> None:
        if "/configmaps" in request.url and "watch=" in request.url:
            opened.append(request.url)

    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, make_default=False, field_manager="share-test",
                       event_hooks={"request": [note]})
    try:
        namespace = new_namespace(pk, "share")
        pk.save(ConfigMap(namespace=namespace, name="a", data={"k": "1"}))  # an Update entry in managedFields
        cache = pk.cache(ConfigMap, namespace)
        manager = Manager(pk, namespace=namespace)  # slim_managed_fields by default: it may get more, never less
        reconciled: list[str] = []

        @manager.reconciler(ConfigMap)
        def reconcile(request: Request[ConfigMap]) -> None:
            reconciled.append(request.name)

        manager.start()
        assert manager.synced(60)
        managed = manager.cache(ConfigMap)
        assert managed.store is cache.store  # one store
        pk.save(ConfigMap(namespace=namespace, name="b", data={"k": "2"}))
        wait_for(lambda: "b" in reconciled and cache.get("b", namespace) is not None, "the change seen by both", 30)
        streams = [url for url in opened if "sendInitialEvents" not in url]
        assert len(streams) == 1 and len(opened) == 2, opened  # one streamed first list, then one watch
        assert managers(cache.store.get(f"{namespace}/a") or {}) == [("share-test", "Update")]  # not slimmed
        live = sorted(c.metadata.name for c in witness(k8s_cluster).list_namespaced_config_map(namespace).items)
        assert sorted(c.name for c in cache.query.exclude(name="kube-root-ca.crt").all()) == \
            sorted(c.name for c in managed.query.exclude(name="kube-root-ca.crt").all()) == \
            [n for n in live if n != "kube-root-ca.crt"] == ["a", "b"]

        cache.stop()  # the manager's cache reads on
        with pytest.raises(pykorm.CacheUnavailable, match="stopped"):
            cache.get("a", namespace)
        pk.save(ConfigMap(namespace=namespace, name="c"))
        wait_for(lambda: "c" in reconciled and managed.get("c", namespace) is not None, "the manager goes on", 30)
        again = pk.cache(ConfigMap, namespace)  # a new informer on the running watch: no new request
        assert again is not cache and again.store is managed.store and len(opened) == 2
        manager.stop(30)  # pk.cache's informer keeps the watch open
        pk.save(ConfigMap(namespace=namespace, name="d"))
        wait_for(lambda: again.get("d", namespace) is not None, "pk.cache goes on", 30)
        assert "d" not in reconciled and managed.stopped
        again.stop()  # the last one: the watch closes, and the session's registry keeps no store alive
        assert again.stopped and not feeds_of(pk)._feeds
    finally:
        pk.close()


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


# -- objects a cache hands out: copied on first use (the store's JSON until then) ---------------------


def test_a_save_of_a_cached_object_sends_exactly_its_change(session: pykorm.Pykorm, k8s_cluster: Cluster) -> None:
    namespace = new_namespace(session, "handout")
    official = witness(k8s_cluster)
    official.create_namespaced_config_map(namespace, {"metadata": {"name": "cm", "labels": {"app": "web"}},
                                                      "data": {"a": "1", "b": "2", "c": "3"}})
    cache = session.cache(ConfigMap, namespace=namespace)
    wait_for(lambda: cache.get("cm", namespace) is not None, "the cache sees the object", 30)
    stale, other = cache.get("cm", namespace), cache.query.filter(name="cm").first()
    assert stale is not None and other is not None and "_raw" not in stale.__dict__
    official.patch_namespaced_config_map("cm", namespace, {"data": {"b": "from-the-other-writer"}})
    stale.data["a"] = "stale"
    with pytest.raises(pykorm.ConflictError):  # it kept the version it was handed, not the store's newer one
        session.save(stale)
    wait_for(lambda: (cache.get("cm", namespace) or stale).data.get("b") == "from-the-other-writer",
             "the watch brings the other writer's change", 30)
    mine = cache.get("cm", namespace)
    assert mine is not None
    mine.data["a"] = "changed"
    mine.labels["tier"] = "front"
    del mine.data["c"]
    stored = cache.store.get(f"{namespace}/cm")
    assert stored is not None and stored["data"] == {"a": "1", "b": "from-the-other-writer", "c": "3"}
    assert stored["metadata"]["labels"] == {"app": "web"}
    session.save(mine)
    seen = official.read_namespaced_config_map("cm", namespace)
    assert seen.data == {"a": "changed", "b": "from-the-other-writer"}
    assert seen.metadata.labels == {"app": "web", "tier": "front"}
    assert mine.data == seen.data and mine.resource_version == seen.metadata.resource_version
    ours = [e.fields_v1 for e in seen.metadata.managed_fields if e.manager == "caches-test"]
    assert ours == [{"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:tier": {}}}}]  # what changed, only
    assert other.data == {"a": "1", "b": "2", "c": "3"} and other.labels == {"app": "web"}  # as handed out
    wait_for(lambda: (cache.get("cm", namespace) or mine).resource_version == seen.metadata.resource_version,
             "the watch brings the saved version", 30)
    again = cache.get("cm", namespace)
    assert again is not None and again.data == seen.data and again.labels == seen.metadata.labels


def test_an_unchanged_cached_object_saves_nothing_and_refresh_reads_the_server(
        session: pykorm.Pykorm, k8s_cluster: Cluster) -> None:
    namespace = new_namespace(session, "handout")
    session.save(ConfigMap(namespace=namespace, name="cm", data={"a": "1"}))
    cache = session.cache(ConfigMap, namespace=namespace)
    handed = cache.get("cm", namespace)
    assert handed is not None
    version = handed.resource_version
    assert session.save(handed).resource_version == version  # nothing changed: nothing sent
    official = witness(k8s_cluster)
    assert official.read_namespaced_config_map("cm", namespace).metadata.resource_version == version
    official.patch_namespaced_config_map("cm", namespace, {"data": {"a": "2"}})
    session.refresh(handed)
    assert handed.data == {"a": "2"} and "_shared" not in handed.__dict__
    handed.data["a"] = "3"  # the refreshed object is the server's answer: the store is not touched either
    stored = cache.store.get(f"{namespace}/cm")
    assert stored is not None and stored["data"]["a"] in ("1", "2")
