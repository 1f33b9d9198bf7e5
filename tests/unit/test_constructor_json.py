"""What a model's constructor stores for each kind of value: the JSON it must hold, or the typed error.

The constructor's conversions have fast paths (a ``str`` for a ``str`` field, a list of strings, a dict
given for a nested object whose values are plain); this table pins what each kind of field makes of each
kind of value, so that a shortcut cannot drop a default, keep a value it should convert, share a list
the caller still holds, or let through what the slow path refuses.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any, Literal, Optional, Union

import pytest

import pykorm
from pykorm import ClientValidationError
from pykorm._data.convert import to_json
from pykorm._data.dicts import checked
from pykorm._data.types import TypeInfo
from pykorm.fields import DataField, DictNestedField, ListField, Spec

pytestmark = pytest.mark.unit


class Tone(str, enum.Enum):
    LOW = "low"
    HIGH = "high"


class Level(enum.Enum):
    ONE = 1
    TWO = 2


class Rack(pykorm.Nested):
    row: str = DataField("row")
    slot: int = DataField("slot", default=0)
    weight: float = DataField("weight", default=1.5)
    kind: Literal["a", "b"] = DataField("kind", default="a")
    tone: Optional[Tone] = DataField("tone", default=None)
    since: Optional[datetime.datetime] = DataField("since", default=None)
    size: Union[int, str] = DataField("size", default=1)
    tags: list[str] = DataField("tags", default_factory=list)
    extra: dict[str, int] = DataField("extra", default_factory=dict)
    deep: str = DataField("a.b", default="x")  # a two-key path inside the nested object
    row_count: int = DataField("rowCount", default=0)


@pykorm.k8s_custom_object("ctor.pykorm.io", "v1", "boxes")
class Box(pykorm.NamespacedModel):
    text: str = Spec("text", default="")
    count: int = Spec("count", default=1)
    ratio: float = Spec("ratio", default=0.5)
    on: bool = Spec("on", default=True)
    any_value: Any = Spec("anyValue", default=None)
    free: dict[str, Any] = Spec("free", default_factory=dict)
    tone: Optional[Tone] = Spec("tone", default=None)
    level: Optional[Level] = Spec("level", default=None)
    kind: Literal["a", "b"] = Spec("kind", default="a")
    size: Union[int, str] = Spec("size", default=1)
    since: Optional[datetime.datetime] = Spec("since", default=None)
    tags: list[str] = Spec("tags", default_factory=list)
    numbers: list[int] = Spec("numbers", default_factory=list)
    tones: list[Tone] = Spec("tones", default_factory=list)
    times: list[datetime.datetime] = Spec("times", default_factory=list)
    names: dict[str, str] = Spec("names", default_factory=dict)
    groups: dict[str, list[str]] = Spec("groups", default_factory=dict)
    rack: Optional[Rack] = DictNestedField(Rack, path="spec.rack", default=None)
    racks: list[Rack] = ListField(Rack, path="spec.racks")


NOON = datetime.datetime(2026, 12, 5, 12, 0, 0, tzinfo=datetime.timezone.utc)
RACK_DEFAULTS = {"rowCount": 0, "slot": 0, "weight": 1.5, "kind": "a", "size": 1, "tags": [], "extra": {}, "a": {"b": "x"}}
SPEC_DEFAULTS = {"text": "", "count": 1, "ratio": 0.5, "on": True, "free": {}, "kind": "a", "size": 1, "tags": [],
                 "numbers": [], "tones": [], "times": [], "names": {}, "groups": {}, "racks": []}

CASES: list[tuple[str, Any, Any]] = [  # (field, value given, the JSON the object holds at the field's path)
    ("text", "hello", "hello"),
    ("text", 5, 5),  # not converted (validation before a write says it is no string)
    ("count", 3, 3),
    ("count", True, True),
    ("ratio", 2, 2),
    ("on", False, False),
    ("any_value", [1, "a", None], [1, "a", None]),
    ("free", {"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}),
    ("tone", Tone.HIGH, "high"),
    ("tone", "low", "low"),
    ("level", Level.TWO, 2),
    ("kind", "b", "b"),
    ("size", "10%", "10%"),
    ("size", 7, 7),
    ("since", NOON, "2026-12-05T12:00:00Z"),
    ("since", datetime.datetime(2026, 12, 5, 13, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))), "2026-12-05T12:00:00Z"),
    ("since", datetime.datetime(2026, 12, 5, 12, 0, 0), "2026-12-05T12:00:00Z"),  # naive: UTC
    ("since", "2026-12-05T12:00:00Z", "2026-12-05T12:00:00Z"),
    # a fraction of a second is kept (it was cut: a datetime read back differed from the one saved)
    ("since", NOON.replace(microsecond=500_000), "2026-12-05T12:00:00.500000Z"),
    ("since", datetime.datetime(2026, 12, 5, 13, 0, 0, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
     "2026-12-05T12:00:00.000001Z"),
    ("times", [NOON.replace(microsecond=250)], ["2026-12-05T12:00:00.000250Z"]),
    ("rack", {"row": "r", "since": NOON.replace(microsecond=7)}, {**RACK_DEFAULTS, "row": "r", "since": "2026-12-05T12:00:00.000007Z"}),
    ("tags", ["a", "b"], ["a", "b"]),
    ("tags", ("a", "b"), ["a", "b"]),  # a tuple becomes a list
    ("tags", ["a", None, 3], ["a", None, 3]),
    ("numbers", [1, 2.5, True], [1, 2.5, True]),
    ("tones", [Tone.LOW, "high"], ["low", "high"]),
    ("times", [NOON, "2026-01-01T00:00:00Z"], ["2026-12-05T12:00:00Z", "2026-01-01T00:00:00Z"]),
    ("names", {"a": "x", "b": "y"}, {"a": "x", "b": "y"}),
    ("groups", {"g": ["a", "b"], "h": []}, {"g": ["a", "b"], "h": []}),
    ("rack", {"row": "r1"}, {"row": "r1", **RACK_DEFAULTS}),
    ("rack", {"row": "r1", "slot": 4, "weight": 2, "kind": "b", "tone": Tone.LOW, "since": NOON, "size": "5",
              "tags": ("t",), "extra": {"e": 1}, "deep": "y"},
     {**RACK_DEFAULTS, "row": "r1", "slot": 4, "weight": 2, "kind": "b", "tone": "low", "since": "2026-12-05T12:00:00Z",
      "size": "5", "tags": ["t"], "extra": {"e": 1}, "a": {"b": "y"}}),
    ("rack", {"row": "r", "rowCount": 2}, {**RACK_DEFAULTS, "row": "r", "rowCount": 2}),  # by JSON key
    ("rack", {"row": "r", "row_count": 3}, {**RACK_DEFAULTS, "row": "r", "rowCount": 3}),  # by Python name
    ("rack", Rack(row="r2"), {"row": "r2", **RACK_DEFAULTS}),
    ("racks", [{"row": "r1"}, Rack(row="r2", slot=2)], [{"row": "r1", **RACK_DEFAULTS}, {**RACK_DEFAULTS, "row": "r2", "slot": 2}]),
    ("racks", [], []),
]


@pytest.mark.parametrize(("name", "value", "stored"), CASES, ids=lambda v: repr(v)[:40])
def test_the_constructor_stores_each_value_as_its_json(name: str, value: Any, stored: Any) -> None:
    box = Box(name="b", namespace="n", **{name: value})
    path = Box._fields[name].path
    expected = {**SPEC_DEFAULTS, path[-1]: stored}
    assert box._raw["spec"] == expected
    assert box._raw["metadata"] == {"name": "b", "namespace": "n", "labels": {}, "annotations": {}}
    assert box._raw["apiVersion"] == "ctor.pykorm.io/v1" and box._raw["kind"] == "Box"
    # Set again on an existing object: the same JSON.
    again = Box(name="b", namespace="n")
    setattr(again, name, value)
    assert again._raw["spec"] == expected


def test_a_nested_dicts_key_is_a_field_name_or_a_one_key_json_path() -> None:
    with pytest.raises(ClientValidationError, match=r"spec\.rack\.a: Rack has no field 'a'"):
        Box(name="b", rack={"a": {"b": "z"}, "row": "r"})


def test_lists_and_dicts_given_are_copied_not_shared() -> None:
    tags, names, groups = ["a"], {"a": "x"}, {"g": ["a"]}
    rack = {"row": "r", "tags": ["t"], "extra": {"e": 1}}
    box = Box(name="b", tags=tags, names=names, groups=groups, rack=rack)
    tags.append("b"), names.update(b="y"), groups["g"].append("b"), rack["tags"].append("u"), rack["extra"].update(f=2)  # type: ignore[func-returns-value]
    assert box._raw["spec"]["tags"] == ["a"] and box._raw["spec"]["names"] == {"a": "x"}
    assert box._raw["spec"]["groups"] == {"g": ["a"]}
    assert box._raw["spec"]["rack"]["tags"] == ["t"] and box._raw["spec"]["rack"]["extra"] == {"e": 1}


REFUSED: list[tuple[str, Any, str]] = [  # (field, value, what the error says)
    ("rack", "r1", r"expected Rack or a dict, got str"),
    ("rack", 3, r"expected Rack or a dict, got int"),
    ("rack", {"row": 1}, r"spec\.rack\.row: expected a str, got int"),
    ("rack", {"row": "r", "slot": "1"}, r"spec\.rack\.slot: expected an int, got str"),
    ("rack", {"row": "r", "slot": True}, r"spec\.rack\.slot: expected an int, got bool"),
    ("rack", {"row": "r", "weight": "1"}, r"spec\.rack\.weight: expected a number, got str"),
    ("rack", {"row": "r", "kind": "c"}, r"spec\.rack\.kind: expected one of 'a', 'b', got 'c'"),
    ("rack", {"row": "r", "tone": "mid"}, r"spec\.rack\.tone: expected one of 'low', 'high', got 'mid'"),
    ("rack", {"row": "r", "size": 1.5}, r"spec\.rack\.size: expected an int or a str, got float"),
    ("rack", {"row": "r", "size": False}, r"spec\.rack\.size: expected an int or a str, got bool"),
    ("rack", {"row": "r", "since": 5}, r"spec\.rack\.since: expected a datetime, got int"),
    ("rack", {"row": "r", "tags": "t"}, r"spec\.rack\.tags: expected a list, got str"),
    ("rack", {"row": "r", "tags": ["t", 2]}, r"spec\.rack\.tags\[1\]: expected a str, got int"),
    ("rack", {"row": "r", "extra": {"e": "1"}}, r"spec\.rack\.extra\.e: expected an int, got str"),
    ("rack", {"row": "r", "extra": []}, r"spec\.rack\.extra: expected a dict, got list"),
    ("rack", {"row": "r", "rows": "x"}, r"spec\.rack\.rows: Rack has no field 'rows'; did you mean 'row'\?"),
    ("rack", {"deep": "y", "a": "z"}, r"Rack has no field 'a'"),
    ("racks", ["r"], r"expected Rack or a dict, got str"),
    ("racks", [{"row": "r"}, {"row": 2}], r"row: expected a str, got int"),  # (the message lacks the index [1])
]


@pytest.mark.parametrize(("name", "value", "says"), REFUSED, ids=lambda v: repr(v)[:40])
def test_what_a_nested_field_refuses_raises_before_anything_is_stored(name: str, value: Any, says: str) -> None:
    with pytest.raises(ClientValidationError, match=says):
        Box(name="b", **{name: value})
    box = Box(name="b")
    before = repr(box._raw)
    with pytest.raises(ClientValidationError):
        setattr(box, name, value)
    assert repr(box._raw) == before


def test_a_nested_dict_naming_a_field_twice_is_refused() -> None:
    with pytest.raises(ClientValidationError, match="given twice"):
        Box(name="b", rack={"row": "r", "row_count": 1, "rowCount": 2})


def test_a_subclass_of_a_nested_class_has_its_own_keys() -> None:
    class WideRack(Rack):
        width: int = DataField("width", default=3)

    assert WideRack(row="r")._raw["width"] == 3
    box = Box(name="b", rack=WideRack(row="r", width=4))
    assert box._raw["spec"]["rack"]["width"] == 4
    with pytest.raises(ClientValidationError, match="Rack has no field 'width'"):
        Box(name="b", rack={"row": "r", "width": 4})  # the field's class is Rack: no width
    from pykorm._data.dicts import nested_json
    assert nested_json(WideRack, {"row": "r", "width": 5})["width"] == 5
    with pytest.raises(ClientValidationError, match="Rack has no field 'width'"):
        nested_json(Rack, {"row": "r", "width": 5})  # asked after the subclass: its keys are not Rack's


SCALAR_KINDS = ("any", "str", "int", "float", "bool", "datetime", "int_or_string", "object", "literal", "enum", "list", "dict")
SCALARS = ("s", "", 0, 7, -1, 2.5, float("inf"), True, False)


@pytest.mark.parametrize("kind", SCALAR_KINDS)
def test_the_scalar_fast_paths_decide_as_the_full_checks(kind: str) -> None:
    """``checked`` and ``to_json`` pass a str/int/float/bool through only where their full rules do."""
    choices = ("s", 7) if kind in ("literal", "enum") else ()
    info = TypeInfo(kind, choices=choices, python=Tone if kind == "enum" else None)  # type: ignore[arg-type]
    for value in SCALARS:
        assert to_json(info, value, None) is value
        expected_ok = {
            "any": True, "object": True, "str": type(value) is str, "datetime": type(value) is str,
            "int": type(value) is int, "float": type(value) in (int, float), "bool": type(value) is bool,
            "int_or_string": type(value) in (int, str), "literal": value in choices, "enum": value in choices,
            "list": False, "dict": False,
        }[kind]
        if expected_ok:
            assert checked(info, value) is value
        else:
            with pytest.raises(ClientValidationError):
                checked(info, value)


def test_a_datetime_reads_back_as_it_was_set_to_the_microsecond() -> None:
    moment = datetime.datetime(2026, 12, 5, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    box = Box(name="b", namespace="n", since=moment, times=[moment, NOON])
    assert box.since == moment and box._raw["spec"]["times"] == ["2026-12-05T12:00:00.123456Z", "2026-12-05T12:00:00Z"]
    again = Box._from_server(box.to_k8s())
    assert again.since == moment
