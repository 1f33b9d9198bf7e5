"""Objects a cache hands out (copied on first use) against the local control plane.

The official client is the witness: a save of a cached object sends exactly its change (a second
writer's change made after the object was handed out survives it), and neither the store nor
another object handed out sees the change before the watch brings the server's new version.
"""

from __future__ import annotations

from typing import Iterator

import kubernetes
import pytest

import pykorm
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster

from .helpers import wait_for
from .planes import new_namespace, own_session


@pytest.fixture
def session(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    with own_session(k8s_cluster, "handouts-test") as pk:
        yield pk


def witness(k8s_cluster: Cluster) -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(k8s_cluster.configuration()))


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
    ours = [e.fields_v1 for e in seen.metadata.managed_fields if e.manager == "handouts-test"]
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
