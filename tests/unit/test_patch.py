"""Offline: the JSON merge patch ``save`` sends, checked by applying it as RFC 7386 says the server does."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from pykorm._base.patch import merge_patch

pytestmark = pytest.mark.unit


def apply(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch(Target, Patch), written from the RFC's pseudo-code."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply(result.get(key), value)
    return result


def same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_no_change_is_an_empty_patch() -> None:
    obj = {"a": 1, "b": {"c": [1, {"d": None}]}, "e": None}
    assert merge_patch(obj, copy.deepcopy(obj)) == {}
    assert merge_patch({}, {}) == {}


def test_nested_dicts_patch_only_what_changed() -> None:
    old = {"spec": {"a": 1, "b": {"c": 2, "d": 3}, "keep": "x"}, "status": {"s": 1}}
    new = {"spec": {"a": 1, "b": {"c": 20, "d": 3}, "keep": "x"}, "status": {"s": 1}}
    assert merge_patch(old, new) == {"spec": {"b": {"c": 20}}}


def test_a_removed_key_is_sent_as_null_at_its_depth() -> None:
    old = {"spec": {"a": 1, "b": {"c": 2, "d": 3}}}
    assert merge_patch(old, {"spec": {"a": 1, "b": {"c": 2}}}) == {"spec": {"b": {"d": None}}}
    assert merge_patch(old, {"spec": {"a": 1}}) == {"spec": {"b": None}}
    assert merge_patch(old, {}) == {"spec": None}


def test_lists_are_replaced_whole() -> None:
    old = {"l": [1, 2, {"a": 1}]}
    assert merge_patch(old, {"l": [1, 2, {"a": 2}]}) == {"l": [1, 2, {"a": 2}]}
    assert merge_patch(old, {"l": []}) == {"l": []}
    assert merge_patch({"l": [{"a": 1, "b": None}]}, {"l": [{"a": 1}]}) == {"l": [{"a": 1}]}


def test_a_value_changing_shape_is_replaced() -> None:
    assert merge_patch({"a": {"b": 1}}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"a": [1]}, {"a": {"b": 1}}) == {"a": {"b": 1}}
    assert merge_patch({"a": "x"}, {"a": {"b": 1}}) == {"a": {"b": 1}}
    assert merge_patch({"a": None}, {"a": {}}) == {"a": {}}


def test_null_set_and_key_removed_are_both_a_deletion() -> None:
    """A merge patch cannot store a null: both mean "remove the key", as pykorm reads absent as None."""
    assert merge_patch({"a": 1}, {"a": None}) == {"a": None}
    assert merge_patch({"a": 1}, {}) == {"a": None}
    assert merge_patch({"a": None}, {"a": None}) == {}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"a": 1}, {"a": True}),
        ({"a": 0}, {"a": False}),
        ({"a": True}, {"a": 1}),
        ({"a": [1, 0]}, {"a": [True, False]}),
        ({"a": {"b": 1}}, {"a": {"b": True}}),
        ({"a": [{"b": 0}]}, {"a": [{"b": False}]}),
    ],
    ids=repr,
)
def test_json_true_is_not_one(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Python says ``1 == True``; JSON does not: the change must be sent."""
    patch = merge_patch(old, new)
    assert patch != {}
    assert same_json(apply(old, patch), new)


def test_one_and_one_point_zero_are_the_same_number() -> None:
    assert merge_patch({"a": 1}, {"a": 1.0}) == {}


def test_keys_that_look_special_are_plain_keys() -> None:
    old = {"$patch": "x", "": 1, "a.b": {"c/d": 2}, "ünï": None}
    new = {"$patch": "y", "": 1, "a.b": {"c/d": 3}, "ünï": 5}
    assert merge_patch(old, new) == {"$patch": "y", "a.b": {"c/d": 3}, "ünï": 5}


def test_the_inputs_are_not_changed() -> None:
    old = {"a": {"b": 1, "c": [1]}, "d": 1}
    new = {"a": {"b": 2, "c": [1, 2]}}
    old_copy, new_copy = copy.deepcopy(old), copy.deepcopy(new)
    merge_patch(old, new)
    assert (old, new) == (old_copy, new_copy)


def test_a_deep_object_is_patched() -> None:
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    o, n = old, new
    for _ in range(300):
        o["k"], n["k"] = {}, {}
        o, n = o["k"], n["k"]
    o["leaf"], n["leaf"] = 1, 2
    assert same_json(apply(old, merge_patch(old, new)), new)


def _random_json(rng: random.Random, depth: int) -> Any:
    choice = rng.randrange(9 if depth < 4 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, 1, -1, 2])
    if choice == 3:
        return rng.choice([0.5, 1.5])
    if choice in (4, 5):
        return rng.choice(["", "a", "b"])
    if choice == 6:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice("abcd"): _random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def _without_nulls(value: Any) -> Any:
    """What an object holds after the server applied a merge patch: no null in its objects."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def test_applying_the_patch_gives_the_new_object_for_random_objects() -> None:
    rng = random.Random(14)
    for _ in range(3000):
        old = _without_nulls({k: _random_json(rng, 1) for k in rng.sample("abcde", rng.randrange(5))})
        new = copy.deepcopy(old)
        for _ in range(rng.randrange(1, 4)):  # a few edits, as a program makes
            target = new
            while isinstance(target, dict) and target and rng.random() < 0.5 and isinstance(target[key := rng.choice(sorted(target))], dict):
                target = target[key]
            key = rng.choice("abcde")
            if rng.random() < 0.2:
                target.pop(key, None)
            else:
                target[key] = _random_json(rng, 2)
        assert same_json(apply(old, merge_patch(old, new)), _without_nulls(new)), (old, new)
