"""Offline: paths into objects — parsing, reading through absent and broken parts, writing, the MISSING sentinel."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from pykorm._base.paths import MISSING, as_path, dotted, get_path, set_path

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ("spec", ("spec",)),
        ("spec.score.exterior", ("spec", "score", "exterior")),
        (".spec.score.", ("spec", "score")),
        ("a..b", ("a", "b")),
        (["metadata", "labels", "example.com/app"], ("metadata", "labels", "example.com/app")),
        (("a b", "ü"), ("a b", "ü")),
    ],
)
def test_as_path(given: Any, path: tuple[str, ...]) -> None:
    assert as_path(given) == path


@pytest.mark.parametrize("given", ["", ".", "...", [], (), ["a", ""], ["a", 1], ["a", None], b"a.b", [b"a"]], ids=repr)
def test_as_path_refuses_what_names_no_key(given: Any) -> None:
    with pytest.raises(ValueError, match="non-empty string keys"):
        as_path(given)


def test_dotted_is_how_causes_name_fields() -> None:
    assert dotted(("spec", "score", "exterior")) == "spec.score.exterior"


@pytest.mark.parametrize(
    ("data", "path", "value"),
    [
        ({"a": {"b": 1}}, ("a", "b"), 1),
        ({"a": {"b": None}}, ("a", "b"), None),
        ({"a": {"b": {}}}, ("a", "b"), {}),
        ({"a": None}, ("a", "b"), MISSING),
        ({"a": [{"b": 1}]}, ("a", "b"), MISSING),
        ({"a": "str"}, ("a", "b"), MISSING),
        ({}, ("a",), MISSING),
        (None, ("a",), MISSING),
        ([], ("a",), MISSING),
        ({"a": 0}, (), {"a": 0}),
    ],
    ids=repr,
)
def test_get_path_tells_absent_from_null(data: Any, path: tuple[str, ...], value: Any) -> None:
    got = get_path(data, path)
    assert got is value if value is MISSING or value is None else got == value


def test_set_path_creates_and_replaces_what_is_in_the_way() -> None:
    data: dict[str, Any] = {"a": None, "b": "scalar", "c": {"keep": 1}}
    set_path(data, ("a", "x"), 1)
    set_path(data, ("b", "y", "z"), 2)
    set_path(data, ("c", "new"), 3)
    set_path(data, ("d",), None)
    assert data == {"a": {"x": 1}, "b": {"y": {"z": 2}}, "c": {"keep": 1, "new": 3}, "d": None}


def test_missing_is_one_falsy_sentinel_that_survives_copies() -> None:
    assert not MISSING and MISSING is not None and repr(MISSING) == "MISSING"
    assert copy.copy(MISSING) is MISSING and copy.deepcopy(MISSING) is MISSING
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
    assert type(MISSING)() is MISSING
