"""Objects a cache hands out hold the store's JSON until first use, then a copy of their own.

Every way of changing a handed-out object (a field, a nested object, a list, a dict, labels, a
copy, a pickle, the JSON itself) must leave the store's dict and every other object handed out
of it as they were; reading scalars copies nothing. Offline: informers filled with ``replace()``.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any, Callable

import pytest

import pykorm
from pykorm.controller import CachedQuery, Informer, Store, when
from pykorm._data import objects as objects_module
from pykorm._data.tracking import TrackedDict, TrackedList, json_copy

pytestmark = pytest.mark.unit


class Port(pykorm.models.Nested):
    number: int = pykorm.fields.DataField("number")
    hosts: list[str] = pykorm.fields.DataField("hosts", default_factory=list)


class Limits(pykorm.models.Nested):
    cpu: str | None = pykorm.fields.DataField("cpu", default=None)


class Box(pykorm.models.Nested):
    """A nested object holding a nested object and a list of nested objects."""

    label: str = pykorm.fields.DataField("label")
    limits: Limits | None = pykorm.fields.DictNestedField(Limits, path="limits", default=None)
    ports: list[Port] = pykorm.fields.ListField(Port, path="ports")


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "crates")
class Crate(pykorm.NamespacedModel):
    size: int | None = pykorm.fields.Spec("size", default=None)
    colour: str = pykorm.fields.Spec("colour", "grey")
    tags: list[str] = pykorm.fields.Spec("tags", default_factory=list)
    extra: dict[str, Any] = pykorm.fields.Spec("extra", default_factory=dict)
    box: Box | None = pykorm.fields.DictNestedField(Box, path=["spec", "box"], default=None)
    boxes: list[Box] = pykorm.fields.ListField(Box, path=["spec", "boxes"])
    _shared: str | None = pykorm.fields.Spec("_shared", default=None)  # named like the internal attribute
    raw_: str | None = pykorm.fields.Spec("_raw", default=None)  # a JSON key named like it


def crate(name: str, version: str = "1", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "size": 3, "tags": ["a", "b"], "extra": {"k": {"deep": [1, 2]}},
        "box": {"label": "top", "limits": {"cpu": "1"}, "ports": [{"number": 80, "hosts": ["x"]}]},
        "boxes": [{"label": "b0", "ports": [{"number": 1, "hosts": ["h"]}, {"number": 2}]}],
        "_shared": "s", "_raw": "r",
    }
    body.update(spec)
    return {"apiVersion": "pykorm.infomaniak.com/v1", "kind": "Crate",
            "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "resourceVersion": version,
                         "labels": {"app": "crate"}, "annotations": {"note": "n"},
                         "creationTimestamp": "2026-01-02T03:04:05Z"},
            "spec": body}


def filled(*raws: dict[str, Any]) -> Informer[Crate]:
    session = pykorm.Pykorm(make_default=False)  # no request is made
    return Informer(Crate, session=session, namespace="ns").replace(raws)


def plain(value: Any) -> bool:
    """True when ``value`` holds only plain dicts and lists (no tracked container swapped in)."""
    if isinstance(value, dict):
        return type(value) is dict and all(plain(v) for v in value.values())
    if isinstance(value, list):
        return type(value) is list and all(plain(v) for v in value)
    return True


def _set_nested_in_list(c: Crate) -> None:
    c.boxes[0].ports[0].number = 9


def _append_nested(c: Crate) -> None:
    c.boxes.append(Box(label="new"))


def _nested_list_in_nested(c: Crate) -> None:
    assert c.box is not None
    c.box.ports[0].hosts.append("y")


def _nested_of_nested(c: Crate) -> None:
    assert c.box is not None and c.box.limits is not None
    c.box.limits.cpu = "2"


def _delete_label(c: Crate) -> None:
    del c.labels["app"]


def _deep_dict(c: Crate) -> None:
    c.extra["k"]["deep"].append(3)


def _raw_itself(c: Crate) -> None:
    c._raw["spec"]["size"] = 99


def _to_dict(c: Crate) -> None:
    d = c.to_dict()
    d["spec"]["tags"].append("z")
    d["spec"]["box"]["ports"][0]["hosts"].append("z")
    d["metadata"]["labels"]["app"] = "z"


def _to_k8s(c: Crate) -> None:
    d = c.to_k8s()
    d["spec"]["extra"]["k"]["deep"].append(9)
    d["metadata"]["resourceVersion"] = "999"


def _items_then_set(c: Crate) -> None:
    for _, value in c.extra.items():
        value["deep"].clear()


def _iterate_boxes(c: Crate) -> None:
    for box in c.boxes:
        box.label = "renamed"
        box.ports.clear()


CHANGES: list[tuple[str, Callable[[Crate], Any]]] = [
    ("scalar", lambda c: setattr(c, "size", 7)),
    ("scalar default", lambda c: setattr(c, "colour", "red")),
    ("internal-like field", lambda c: setattr(c, "_shared", "changed")),
    ("raw-like key", lambda c: setattr(c, "raw_", "changed")),
    ("nested", lambda c: setattr(c.box, "label", "changed")),
    ("nested of nested", _nested_of_nested),
    ("nested replaced", lambda c: setattr(c, "box", Box(label="other"))),
    ("list append", lambda c: c.tags.append("c")),
    ("list item", lambda c: c.tags.__setitem__(0, "z")),
    ("list of nested item", _set_nested_in_list),
    ("list of nested append", _append_nested),
    ("list in nested", _nested_list_in_nested),
    ("dict item", lambda c: c.extra.__setitem__("new", 1)),
    ("dict in dict", _deep_dict),
    ("dict items", _items_then_set),
    ("iterated boxes", _iterate_boxes),
    ("label", lambda c: c.labels.__setitem__("x", "y")),
    ("label deleted", _delete_label),
    ("annotations update", lambda c: c.annotations.update(other="o")),
    ("labels replaced", lambda c: setattr(c, "labels", {"only": "this"})),
    ("finalizers", lambda c: setattr(c, "finalizers", ["example.com/f"])),
    ("raw", _raw_itself),
    ("to_dict", _to_dict),
    ("to_k8s", _to_k8s),
    ("copy", lambda c: setattr(copy.copy(c), "size", 11)),
    ("copy's list", lambda c: copy.copy(c).tags.append("q")),
    ("deepcopy", lambda c: copy.deepcopy(c).labels.__setitem__("d", "d")),
    ("pickle", lambda c: pickle.loads(pickle.dumps(c)).extra.__setitem__("p", 1)),
    ("original", lambda c: (setattr(c, "size", 5), c.original["spec"].__setitem__("size", 6))),  # type: ignore[index]
]


@pytest.mark.parametrize("change", [c[1] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_no_change_of_a_handed_out_object_reaches_the_store_or_another_hand_out(change: Callable[[Crate], Any]) -> None:
    informer = filled(crate("c1"), crate("c2", size=4))
    stored = informer.store.get("ns/c1")
    assert stored is not None
    before = json_copy(stored)
    ways = [lambda: informer.query.filter(name="c1").all()[0], lambda: informer.get("c1", "ns"),
            lambda: informer.by_index("namespace", "ns")[0] if informer.by_index("namespace", "ns")[0].name == "c1"
            else informer.by_index("namespace", "ns")[1], lambda: informer.query.order_by("name").first(),
            lambda: next(iter(informer.query.filter(size=3))), lambda: informer.query.get("c1", "ns")]
    for way in ways:
        changed, other = way(), way()
        assert changed is not None and other is not None and changed.name == "c1"
        other.labels  # noqa: B018 - this one has made its own copy already, before the change
        change(changed)
        assert stored == before and plain(stored), "the store's dict changed"
        assert informer.store.get("ns/c1") is stored
        for seen in (other, way()):
            assert seen is not None
            assert seen.to_k8s() == before
            assert seen.size == 3 and seen.tags == ["a", "b"] and seen.labels == {"app": "crate"}
            assert seen.box is not None and seen.box.ports[0].hosts == ["x"]


def test_reading_scalars_copies_nothing_and_the_rest_copies_once(monkeypatch: pytest.MonkeyPatch) -> None:
    informer = filled(*(crate(f"c{i}", size=i) for i in range(10)))
    copies: list[Any] = []
    real = objects_module.json_copy
    monkeypatch.setattr(objects_module, "json_copy", lambda value: copies.append(value) or real(value))
    found = informer.query.filter(size__gte=2).order_by("-size").all()
    assert [c.name for c in found] == [f"c{i}" for i in range(9, 1, -1)]
    assert informer.query.count() == 10 and informer.query.exists()
    for c in found:
        assert (c.size, c.colour, c._shared, c.raw_, c.namespace, c.resource_version, c.uid) == (
            int(c.name[1:]), "grey", "s", "r", "ns", "1", f"uid-{c.name}")
        assert c.created_at is not None and c.created_at.year == 2026  # a conversion of a scalar
        assert c.is_stored and c.original is None and c == informer.get(c.name, "ns")
        assert hash(c) == hash(informer.get(c.name, "ns"))
        assert c.to_dict()["spec"]["size"] == c.size and c.to_k8s()["metadata"]["uid"] == c.uid
        assert "_raw" not in c.__dict__
    assert copies == []
    one = found[0]
    one.labels  # noqa: B018 - a container read: the object's own copy, once
    one.box  # noqa: B018
    one.size = 1
    assert len(copies) == 1 and "_raw" in one.__dict__ and "_shared" not in one.__dict__
    assert all("_raw" not in c.__dict__ for c in found[1:])


def test_a_hand_out_keeps_the_version_it_was_handed_after_the_store_moves_on() -> None:
    informer = filled(crate("c1"))
    first, read = informer.get("c1", "ns"), informer.get("c1", "ns")
    assert first is not None and read is not None
    assert read.tags == ["a", "b"]  # copied before the change
    informer._feed._apply("MODIFIED", crate("c1", version="2", size=8, tags=["new"]))  # as a watch event does
    second = informer.get("c1", "ns")
    assert second is not None and (second.resource_version, second.size, second.tags) == ("2", 8, ["new"])
    for old in (first, read):
        assert (old.resource_version, old.size) == ("1", 3)
        assert old.tags == ["a", "b"] and old.to_k8s()["spec"]["tags"] == ["a", "b"]


def test_changes_and_saves_of_a_hand_out_see_only_its_own_changes() -> None:
    informer = filled(crate("c1"))
    crate1 = informer.get("c1", "ns")
    assert crate1 is not None
    crate1.size = 10
    crate1.labels["x"] = "y"
    assert crate1.original is not None and crate1.original["spec"]["size"] == 3
    assert crate1.original["metadata"]["labels"] == {"app": "crate"}
    assert crate1.to_k8s()["spec"]["size"] == 10
    crate1._load(crate("c1", version="5", size=1))  # what a save or refresh does with the answer
    assert (crate1.size, crate1.resource_version, crate1.original) == (1, "5", None)
    assert "_shared" not in crate1.__dict__


def test_copies_and_pickles_of_a_hand_out_are_independent_of_each_other() -> None:
    informer = filled(crate("c1"))
    c = informer.get("c1", "ns")
    assert c is not None
    shallow, deep, pickled = copy.copy(c), copy.deepcopy(c), pickle.loads(pickle.dumps(c))
    assert "_shared" not in deep.__dict__ and "_shared" not in pickled.__dict__
    shallow.size, deep.size, pickled.size = 1, 2, 4
    assert (c.size, shallow.size, deep.size, pickled.size) == (3, 1, 2, 4)
    assert c == informer.get("c1", "ns") and "_raw" not in c.__dict__


def test_values_and_pluck_hand_out_copies_through_lists_too() -> None:
    informer = filled(crate("c1"), crate("c2"))
    query = informer.query.order_by("name")
    values = query.values("name", "tags", "labels", "spec.boxes.ports", "boxes__ports__number", "spec.extra")
    assert values[0]["boxes__ports__number"] == [1, 2]
    assert values[0]["spec.boxes.ports"] == [[{"number": 1, "hosts": ["h"]}, {"number": 2}]]  # a value per box
    for row in values:
        row["tags"].append("v")
        row["labels"]["v"] = "v"
        row["spec.boxes.ports"][0][0]["hosts"].append("v")
        row["spec.extra"]["k"]["deep"].append("v")
    for plucked in (query.pluck("spec.extra"), query.pluck("extra"), query.pluck("box")):
        for value in plucked:
            if isinstance(value, dict):
                value["v"] = 1
            else:
                value.label = "v"
    for name in ("c1", "c2"):
        stored = informer.store.get(f"ns/{name}")
        assert stored == crate(name) and plain(stored)


def test_a_predicate_of_two_objects_sees_old_and_new_and_changes_neither() -> None:
    old, new = crate("c1"), crate("c1", version="2", size=9)
    before_old, before_new = json_copy(old), json_copy(new)
    seen: list[tuple[Any, Any]] = []

    def changed(a: Crate | None, b: Crate | None) -> bool:
        assert a is not None and b is not None
        seen.append((a.size, b.size))
        a.tags.append("x")
        b.labels["y"] = "z"
        return a.size != b.size

    predicate = when(changed)
    assert predicate(Crate, old, new) and not predicate(Crate, new, new)
    assert seen == [(3, 9), (9, 9)]
    assert (old, new) == (before_old, before_new) and plain(old) and plain(new)


def test_a_cached_query_over_a_plain_store_sorts_by_the_json_and_wraps_only_the_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store()
    for i in range(40):
        store.put(crate(f"c{i:02d}", size=i % 7))
    made: list[Any] = []
    real = Crate._from_store.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(Crate, "_from_store", classmethod(lambda cls, *a: made.append(a) or real(cls, *a)))
    query = CachedQuery(Crate.query, store).order_by("size", "-name")
    assert query.count() == 40 and query.exists() and made == []
    page = query[3:8].all()
    by_size = sorted(sorted(((i % 7, f"c{i:02d}") for i in range(40)), key=lambda p: p[1], reverse=True), key=lambda p: p[0])
    assert [(c.size, c.name) for c in page] == by_size[3:8] and by_size[6][0] == 1  # across sizes
    assert len(made) == 5


def test_the_feed_stores_new_dicts_and_never_changes_a_stored_one() -> None:
    from pykorm.controller import slim_managed_fields
    from pykorm.controller._compact import Strings

    decoded = crate("c1")
    decoded["metadata"]["managedFields"] = [{"manager": "a", "operation": "Update"}, {"manager": "b", "operation": "Apply"}]
    kept = slim_managed_fields(Strings().share(decoded))  # what a feed's keep() stores
    assert kept is not decoded and kept["metadata"] is not decoded["metadata"]
    assert len(decoded["metadata"]["managedFields"]) == 2  # the transform changed the new dict only
    informer = filled(kept)
    snapshot = json_copy(kept)
    handed = informer.get("c1", "ns")
    informer._feed._apply("MODIFIED", crate("c1", version="2"))
    informer._feed._apply("DELETED", crate("c1", version="3"))
    assert kept == snapshot and handed is not None and handed.resource_version == "1"
    assert not isinstance(kept["spec"]["tags"], (TrackedDict, TrackedList))


def test_threads_making_a_hand_outs_copy_at_once_share_one_copy() -> None:
    import threading

    informer = filled(crate("c1"))
    for _ in range(20):
        handed = informer.get("c1", "ns")
        assert handed is not None
        start, seen = threading.Barrier(4), []

        def use(obj: Crate = handed) -> None:
            start.wait()
            seen.append(obj._raw)

        threads = [threading.Thread(target=use) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({id(raw) for raw in seen}) == 1 and seen[0] is handed._raw and "_shared" not in handed.__dict__
        assert seen[0] is not informer.store.get("ns/c1")


def test_reading_helpers_on_a_hand_out_copy_nothing() -> None:
    from pykorm._data.stored import adopt  # what pk.adopt and apply_owned run
    from pykorm.controller import is_deleting

    informer = filled(crate("owner"), crate("gone", deletionTimestamp=None))
    owner = informer.get("owner", "ns")
    assert owner is not None and not is_deleting(owner)
    child = Crate(name="child", namespace="ns")
    adopt(child, owner)
    assert child.owner_references is not None and child.owner_references[0].uid == "uid-owner"
    assert "_raw" not in owner.__dict__
    deleting = crate("deleting")
    deleting["metadata"]["deletionTimestamp"] = "2026-01-02T03:04:05Z"
    informer._feed._apply("ADDED", deleting)
    handed = informer.get("deleting", "ns")
    assert handed is not None and is_deleting(handed) and "_raw" not in handed.__dict__


@pytest.mark.parametrize("name", ["page", "page_size", "delete", "update", "label", "watch", "wait_until", "cached"])
def test_what_only_the_server_does_is_refused_by_a_cached_query_naming_the_way(name: str) -> None:
    query = CachedQuery(Crate.query, Store())
    with pytest.raises(AttributeError, match=rf"a cached query has no {name}\(\).*run {name}\(\) on the query itself"):
        getattr(query, name)
    with pytest.raises(AttributeError, match="has no attribute 'nothing_like_it'"):
        getattr(query, "nothing_like_it")
    assert not hasattr(query, name)
