"""Cache transforms, offline: what each keeps of managedFields."""

from __future__ import annotations

import copy

import pytest

from pykorm.controller import slim_managed_fields, strip_managed_fields

pytestmark = pytest.mark.unit

OBJECT = {"metadata": {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "7", "managedFields": [
    {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:data": {}}},
    {"manager": "op", "operation": "Apply", "fieldsV1": {"f:data": {"f:a": {}}}},
    {"manager": "kcm", "operation": "Update", "subresource": "status", "fieldsV1": {}},
]}, "data": {"a": "1"}}


def test_strip_drops_every_entry_and_nothing_else() -> None:
    raw = strip_managed_fields(copy.deepcopy(OBJECT))
    assert raw == {"metadata": {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "7"}, "data": {"a": "1"}}


def test_slim_keeps_the_applies_only() -> None:
    raw = slim_managed_fields(copy.deepcopy(OBJECT))
    assert raw["metadata"]["managedFields"] == [OBJECT["metadata"]["managedFields"][1]]  # type: ignore[index]
    updates_only = copy.deepcopy(OBJECT)
    del updates_only["metadata"]["managedFields"][1]  # type: ignore[attr-defined]
    assert "managedFields" not in slim_managed_fields(updates_only)["metadata"]


@pytest.mark.parametrize("transform", [strip_managed_fields, slim_managed_fields])
def test_objects_without_managed_fields_or_metadata_pass_unchanged(transform: object) -> None:
    for raw in ({"metadata": {"name": "a"}}, {"kind": "X"}, {"metadata": {"name": "a", "managedFields": []}}):
        before = copy.deepcopy(raw)
        after = transform(raw)  # type: ignore[operator]
        assert {k: v for k, v in after.get("metadata", {}).items() if v != []} == \
            {k: v for k, v in before.get("metadata", {}).items() if v != []}


def test_a_stored_transform_keeps_all_an_asked_one_keeps_only_along_the_chain() -> None:
    from pykorm.controller._transforms import keeps_all_of, looser

    def mine(raw: dict[str, object]) -> dict[str, object]:
        return raw

    assert keeps_all_of(None, slim_managed_fields) and keeps_all_of(None, strip_managed_fields)
    assert keeps_all_of(slim_managed_fields, strip_managed_fields) and keeps_all_of(mine, mine)
    # never less than asked: a consumer of whole objects is never handed slimmed ones
    assert not keeps_all_of(slim_managed_fields, None) and not keeps_all_of(strip_managed_fields, slim_managed_fields)
    assert not keeps_all_of(None, mine) and not keeps_all_of(mine, None)  # a program's function: only itself
    assert looser(strip_managed_fields, slim_managed_fields) == (True, slim_managed_fields)
    assert looser(slim_managed_fields, None) == (True, None) and looser(mine, None) == (False, None)


def test_shared_informers_of_one_session_read_one_feed_with_their_own_handlers_and_indexes() -> None:
    import pykorm
    from pykorm.controller import Informer
    from pykorm.k8s.core_v1 import ConfigMap

    def mine(raw: dict[str, object]) -> dict[str, object]:
        return raw

    session = pykorm.Pykorm(make_default=False)  # nothing started: no request is made
    slim = Informer(ConfigMap, session=session, namespace="n", transform=slim_managed_fields, shared=True)
    whole = Informer(ConfigMap, session=session, namespace="n", shared=True)
    assert whole.store is slim.store  # one feed, loosened (not started yet) to keep whole objects
    assert slim._feed.transform is None
    others = [Informer(ConfigMap, session=session, namespace="n", transform=mine, shared=True),
              Informer(ConfigMap, session=session, namespace="m", shared=True),
              Informer(ConfigMap, session=session, namespace="n", selector={"a": "b"}, shared=True),
              Informer(ConfigMap, session=session, namespace="n"),  # not shared
              Informer(ConfigMap, session=pykorm.Pykorm(make_default=False), namespace="n", shared=True)]
    assert all(other.store is not slim.store for other in others)

    slim.add_index("by", lambda raw: [raw["data"]["a"]])
    whole.add_index("by", lambda raw: [raw["data"]["b"]])  # the same name, another function: each its own
    heard: dict[str, list[str]] = {"slim": [], "whole": []}
    slim.add_handler(lambda kind, old, new: heard["slim"].append(kind))
    whole.add_handler(lambda kind, old, new: heard["whole"].append(kind))
    item = {"metadata": {"name": "x", "namespace": "n", "uid": "u", "resourceVersion": "1"}, "data": {"a": "1", "b": "2"}}
    whole.replace([item])
    assert [c.name for c in slim.by_index("by", "1")] == ["x"] and slim.by_index("by", "2") == []
    assert [c.name for c in whole.by_index("by", "2")] == ["x"] and whole.by_index("by", "1") == []
    assert heard == {"slim": ["ADDED"], "whole": ["ADDED"]}
    slim.stop()  # one informer stopped: its handlers hear no more, the other reads on
    whole.replace([{**item, "metadata": {**item["metadata"], "resourceVersion": "2"}}])
    assert heard == {"slim": ["ADDED"], "whole": ["ADDED", "MODIFIED"]}
    assert whole.get("x", "n") is not None
    with pytest.raises(pykorm.CacheUnavailable, match="stopped"):
        slim.get("x", "n")
    with pytest.raises(KeyError, match="indexes are: by, namespace, owner"):
        whole.by_index("colour", "red")
