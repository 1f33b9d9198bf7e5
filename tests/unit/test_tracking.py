"""Offline: change tracking — every mutation reports before it happens, reads report nothing, copies are plain."""

from __future__ import annotations

import copy
import gc
import json
import pickle
from typing import Any, Callable

import pytest

from pykorm._data.tracking import TrackedDict, TrackedList, json_copy, tracked

pytestmark = pytest.mark.unit


class Owner:
    """What a model is to its tracked containers: something with ``_will_change``."""

    def __init__(self) -> None:
        self.reports = 0

    def _will_change(self) -> None:
        self.reports += 1


def tracked_in(value: Any) -> tuple[Owner, dict[str, Any], Any]:
    owner = Owner()
    parent = {"k": value}
    return owner, parent, tracked(parent, "k", value, owner)


DICT_CHANGES: list[Callable[[Any], Any]] = [
    lambda d: d.__setitem__("z", 1),
    lambda d: d.__delitem__("a"),
    lambda d: d.update(z=1),
    lambda d: d.pop("a"),
    lambda d: d.popitem(),
    lambda d: d.clear(),
    lambda d: d.setdefault("z", 1),
    lambda d: d.__ior__({"z": 1}),
]
LIST_CHANGES: list[Callable[[Any], Any]] = [
    lambda lst: lst.append(1),
    lambda lst: lst.extend([1]),
    lambda lst: lst.insert(0, 1),
    lambda lst: lst.pop(),
    lambda lst: lst.remove(1),
    lambda lst: lst.reverse(),
    lambda lst: lst.sort(),
    lambda lst: lst.clear(),
    lambda lst: lst.__setitem__(0, 9),
    lambda lst: lst.__setitem__(slice(0, 1), [9, 9]),
    lambda lst: lst.__delitem__(0),
    lambda lst: lst.__iadd__([1]),
    lambda lst: lst.__imul__(2),
]


@pytest.mark.parametrize("change", DICT_CHANGES)
def test_every_dict_mutation_reports_first(change: Callable[[Any], Any]) -> None:
    owner, parent, d = tracked_in({"a": 1, "b": 2})
    before = dict(d)
    seen: list[dict[str, Any]] = []
    owner._will_change = lambda: seen.append(dict(d))  # type: ignore[method-assign]
    change(d)
    assert seen and seen[0] == before  # reported before the change was made
    assert parent["k"] is d


@pytest.mark.parametrize("change", LIST_CHANGES)
def test_every_list_mutation_reports_first(change: Callable[[Any], Any]) -> None:
    owner, _, lst = tracked_in([1, 2, 3])
    seen: list[list[int]] = []
    owner._will_change = lambda: seen.append(list(lst))  # type: ignore[method-assign]
    change(lst)
    assert seen and seen[0] == [1, 2, 3]


def test_setdefault_of_a_present_key_is_not_a_change() -> None:
    owner, _, d = tracked_in({"a": 1})
    assert d.setdefault("a", 2) == 1
    assert owner.reports == 0


def test_reads_report_nothing() -> None:
    owner, _, d = tracked_in({"a": {"b": [1, {"c": 2}]}, "n": 1})
    d["a"]["b"][1]["c"]
    d.get("a"), d.get("missing"), list(d.items()), list(d.values()), list(d.keys()), len(d), "a" in d
    json.dumps(d)
    d == {"a": {"b": [1, {"c": 2}]}, "n": 1}
    for item in d["a"]["b"]:
        pass
    d["a"]["b"][0:1], list(reversed(d["a"]["b"]))
    assert owner.reports == 0


def test_containers_read_from_a_tracked_one_are_tracked_at_any_depth() -> None:
    owner, parent, d = tracked_in({"a": {"b": [1, {"c": 2}]}})
    d["a"]["b"][1]["c"] = 3
    assert owner.reports == 1
    for _, value in d.items():
        value["new"] = 1
    for value in d.values():
        value["newer"] = 1
    d.get("a")["b"].append(4)
    for item in d["a"]["b"]:
        if isinstance(item, dict):
            item["x"] = 1
    d["a"]["b"][0:2][1]["y"] = 1  # a slice is a new list, but its items are the tracked ones
    assert owner.reports == 6
    assert parent == {"k": {"a": {"b": [1, {"c": 3, "x": 1, "y": 1}, 4], "new": 1, "newer": 1}}}


def test_tracking_swaps_in_place_and_keeps_types_plain_for_everybody_else() -> None:
    owner, parent, d = tracked_in({"a": [1]})
    assert type(parent["k"]) is TrackedDict and isinstance(d, dict)
    assert type(d["a"]) is TrackedList and isinstance(d["a"], list)
    assert d == {"a": [1]} and json.loads(json.dumps(d)) == {"a": [1]}


@pytest.mark.parametrize("make_copy", [copy.copy, copy.deepcopy, json_copy, lambda v: pickle.loads(pickle.dumps(v))],
                         ids=["copy", "deepcopy", "json_copy", "pickle"])
def test_copies_are_plain_and_detached(make_copy: Callable[[Any], Any]) -> None:
    owner, _, d = tracked_in({"a": [1, {"b": 2}]})
    d["a"][1]  # make the children tracked too
    copied = make_copy(d)
    assert type(copied) is dict and copied == {"a": [1, {"b": 2}]}
    if make_copy is not copy.copy:
        assert type(copied["a"]) is list and type(copied["a"][1]) is dict
    copied["z"] = 1
    if make_copy is not copy.copy:
        copied["a"].append(2)
    assert owner.reports == 0 and "z" not in d


def test_json_copy_is_deep_and_plain() -> None:
    source = {"a": [{"b": [1, 2]}], "c": None}
    copied = json_copy(source)
    assert copied == source
    copied["a"][0]["b"].append(3)
    assert source["a"][0]["b"] == [1, 2]


def test_a_container_holds_its_owner_weakly() -> None:
    owner, _, d = tracked_in({"a": 1})
    del owner
    gc.collect()
    d["a"] = 2  # the model is gone: nothing to report to, no error
    assert d == {"a": 2}


def test_a_container_read_through_another_owner_reports_to_it() -> None:
    first, parent, d = tracked_in({"a": 1})
    second = Owner()
    again = tracked(parent, "k", parent["k"], second)
    assert again is d
    d["a"] = 2
    assert (first.reports, second.reports) == (0, 1)
