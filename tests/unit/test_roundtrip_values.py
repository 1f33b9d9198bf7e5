"""Items of lists and dicts read as the scalar field reads them; errors in lists name the index (offline).

A ``list[datetime]`` read its items back as the JSON strings while ``datetime`` read an aware datetime
(a list of enums: strings, not members); these tests say what each read, write and lookup gives now.
"""

from __future__ import annotations

import copy
import datetime
import enum
from typing import Optional

import pytest

import pykorm
from pykorm import ClientValidationError
from pykorm._schema.validation import validate
from pykorm._select.lookups import Q, resolve

pytestmark = pytest.mark.unit

UTC = datetime.timezone.utc
NOON = datetime.datetime(2026, 12, 5, 12, 0, 0, 250, tzinfo=UTC)


class Tone(str, enum.Enum):
    LOW = "low"
    HIGH = "high"


class Slot(pykorm.Nested):
    n: int = pykorm.DataField("n")


class Rack(pykorm.Nested):
    row: int = pykorm.DataField("row")
    seen: list[datetime.datetime] = pykorm.DataField("seen", default_factory=list)
    slots: list[Slot] = pykorm.ListField(Slot, path="slots")


class Floor(pykorm.Nested):
    racks: list[Rack] = pykorm.ListField(Rack, path="racks")


@pykorm.k8s_custom_object("roundtrip.pykorm.io", "v1", "boxes")
class Box(pykorm.NamespacedModel):
    at: Optional[datetime.datetime] = pykorm.Spec("at", default=None)
    times: list[datetime.datetime] = pykorm.Spec("times", default_factory=list)
    stamps: dict[str, datetime.datetime] = pykorm.Spec("stamps", default_factory=dict)
    tones: list[Tone] = pykorm.Spec("tones", default_factory=list)
    by_tone: dict[str, Tone] = pykorm.Spec("byTone", default_factory=dict)
    racks: list[Rack] = pykorm.ListField(Rack, path="spec.racks")
    floors: list[Floor] = pykorm.ListField(Floor, path="spec.floors")
    by_name: dict[str, Rack] = pykorm.Spec("byName", default_factory=dict)


def stored(spec: dict[str, object]) -> Box:
    """A Box as read from the server (another writer's JSON)."""
    return Box._from_server({"apiVersion": "roundtrip.pykorm.io/v1", "kind": "Box",
                             "metadata": {"name": "b", "namespace": "n", "resourceVersion": "1"}, "spec": spec})


def test_list_and_dict_items_of_datetimes_read_as_aware_datetimes_as_the_scalar_field_does() -> None:
    box = stored({"at": "2026-12-05T13:00:00.000250+01:00", "times": ["2026-12-05T13:00:00.000250+01:00", "2026-12-05T12:00:00Z"],
                  "stamps": {"a": "2026-12-05T12:00:00.000250Z"}})
    assert box.at == NOON and box.at.tzinfo is not None
    assert list(box.times) == [NOON, NOON.replace(microsecond=0)]
    assert all(isinstance(t, datetime.datetime) and t.tzinfo is not None for t in box.times)
    assert box.times[0] == NOON and box.times[-1:] == [NOON.replace(microsecond=0)]
    assert box.stamps["a"] == NOON and dict(box.stamps) == {"a": NOON} and box.stamps == {"a": NOON}
    assert box.times == [NOON, NOON.replace(microsecond=0)]  # compares with a plain list
    assert box.to_dict()["spec"]["times"] == ["2026-12-05T13:00:00.000250+01:00", "2026-12-05T12:00:00Z"]  # JSON as stored


def test_items_of_datetimes_are_written_with_the_one_json_time_and_changes_are_saved() -> None:
    box = stored({"times": ["2026-01-01T00:00:00Z"], "stamps": {}})
    box.times.append(datetime.datetime(2026, 12, 5, 12, 0, 0, 250))  # naive: UTC, the fraction kept
    box.times[0] = NOON.astimezone(datetime.timezone(datetime.timedelta(hours=-3)))
    box.stamps["x"] = NOON
    assert box._raw["spec"]["times"] == ["2026-12-05T12:00:00.000250Z", "2026-12-05T12:00:00.000250Z"]
    assert box._raw["spec"]["stamps"] == {"x": "2026-12-05T12:00:00.000250Z"}
    assert box.original is not None and box.original["spec"]["times"] == ["2026-01-01T00:00:00Z"]  # a change: saved
    del box.stamps["x"]
    box.times[:] = [NOON]
    assert box._raw["spec"]["times"] == ["2026-12-05T12:00:00.000250Z"] and box._raw["spec"]["stamps"] == {}
    made = Box(name="b", namespace="n", times=(NOON,), stamps={"k": NOON})
    assert made._raw["spec"]["times"] == ["2026-12-05T12:00:00.000250Z"] and made.times == [NOON]


def test_enum_items_read_as_members() -> None:
    box = stored({"tones": ["low", "high", "odd"], "byTone": {"a": "high"}})
    assert list(box.tones) == [Tone.LOW, Tone.HIGH, "odd"]  # a value the model does not know: shown as it is
    assert box.by_tone["a"] is Tone.HIGH
    box.tones.append(Tone.HIGH)
    assert box._raw["spec"]["tones"] == ["low", "high", "odd", "high"]


def test_a_dict_of_nested_objects_reads_views_that_save_their_changes() -> None:
    box = stored({"byName": {"a": {"row": 1}}})
    assert isinstance(box.by_name["a"], Rack) and box.by_name["a"].row == 1
    box.by_name["a"].row = 2
    assert box._raw["spec"]["byName"] == {"a": {"row": 2}} and box.original is not None


def test_a_view_given_to_another_object_is_copied_not_stored_as_a_python_object() -> None:
    one = stored({"times": ["2026-12-05T12:00:00Z"], "racks": [{"row": 1}]})
    two = Box(name="c", namespace="n")
    two.racks = one.racks
    two.times = one.times
    assert two._raw["spec"]["racks"] == [{"row": 1}] and type(two._raw["spec"]["racks"]) is list
    assert two._raw["spec"]["times"] == ["2026-12-05T12:00:00Z"] and type(two._raw["spec"]["times"]) is list
    two.racks[0].row = 5
    assert one.racks[0].row == 1  # not the same JSON
    assert copy.deepcopy(two.to_dict())["spec"]["racks"] == [{"row": 5}]


def test_lookups_on_a_list_of_datetimes_compare_instants() -> None:
    raw = stored({"times": ["2026-12-05T13:00:00.000250+01:00", "2026-12-05T12:00:00Z"]})._raw

    def matches(**lookup: object) -> bool:
        return resolve(Box, Q(**lookup)).matches(raw)

    assert matches(times__contains=NOON)
    assert matches(times__contains="2026-12-05T12:00:00.000250Z")
    assert not matches(times__contains=NOON.replace(microsecond=1))
    assert matches(times=[NOON, NOON.replace(microsecond=0)])
    assert not matches(times=[NOON])
    assert matches(stamps__a__gt=NOON) is False
    assert resolve(Box, Q(tones=[Tone.LOW])).matches(stored({"tones": ["low"]})._raw)
    with pytest.raises(ClientValidationError, match="ISO 8601"):
        resolve(Box, Q(times__contains="not a time"))


@pytest.mark.parametrize(("make", "path"), [
    (lambda: Box(name="b", namespace="n", racks=[{"row": 1}, {"row": "x"}]), "spec.racks[1].row"),
    (lambda: Box(name="b", namespace="n", racks=[{"row": 1}, {"row": 2, "slots": [{"n": 1}, {"n": "x"}]}]),
     "spec.racks[1].slots[1].n"),
    (lambda: Box(name="b", namespace="n", floors=[{}, {"racks": [{"row": 1, "slots": [{"n": "x"}]}]}]),
     "spec.floors[1].racks[0].slots[0].n"),
    (lambda: Box(name="b", namespace="n", by_name={"k": {"row": "x"}}), "spec.byName.k.row"),
    (lambda: setattr(Box(name="b", namespace="n"), "racks", [{"row": 1}, {"row": "x"}]), "spec.racks[1].row"),
    (lambda: Box(name="b", namespace="n", racks=[{"row": 1}]).racks.append({"row": "x"}), "[1].row"),
])
def test_a_validation_error_in_a_list_names_the_index(make: object, path: str) -> None:
    with pytest.raises(ClientValidationError) as caught:
        make()  # type: ignore[operator]
    assert [cause.field for cause in caught.value.causes] == [path]
    assert f"{path}: expected an int" in str(caught.value)


def test_validation_before_sending_names_the_index_at_every_depth() -> None:
    box = Box(name="b", namespace="n", floors=[Floor(), Floor(racks=[Rack(row=1), Rack(row=2, slots=[Slot(n=1), Slot(n="x")])])])
    with pytest.raises(ClientValidationError) as caught:
        validate(box)
    assert [cause.field for cause in caught.value.causes] == ["spec.floors[1].racks[1].slots[1].n"]


# -- a request's body: what the API server would read otherwise than meant is refused before sending -------------

from pykorm._http.body import APPLY_PATCH, encode_body  # noqa: E402


@pytest.mark.parametrize(("body", "path", "words"), [
    ({"spec": {"ratio": float("nan")}}, "spec.ratio", "NaN or infinity"),
    ({"spec": {"free": {"a": [1, float("-inf")]}}}, "spec.free.a[1]", "NaN or infinity"),
    ({"spec": {"free": {"when": datetime.datetime(2026, 1, 1)}}}, "spec.free.when", "not a JSON value"),
    ({"spec": {"text": "a\ud800b"}}, "spec.text", "surrogate code points"),
    ({"spec": {"tags": ["ok", "\udc00"]}}, "spec.tags[1]", "surrogate code points"),
    ({"spec": {"names": {"k": "\ud83d\ude42"}}}, "spec.names.k", "surrogate code points"),  # a pair of code units
])
def test_a_body_the_server_would_misread_is_refused_with_the_path(body: dict[str, object], path: str, words: str) -> None:
    for content_type in ("application/json", APPLY_PATCH):
        with pytest.raises(ClientValidationError, match=words) as caught:
            encode_body(body, content_type)
        assert [cause.field for cause in caught.value.causes] == [path]


def test_an_apply_body_writes_characters_outside_the_bmp_as_yaml_reads_them() -> None:
    """The server reads an apply body as YAML, where json's surrogate pair escapes (an emoji) are an error."""
    import json

    import yaml

    body = {"spec": {"text": "🙂 é \x01 \\ud83d\\ude42 \\🙂", "names": {"🙂": "中"}}}
    data, _ = encode_body(body, APPLY_PATCH)
    assert data is not None and "\\ud83d\\ude42" not in data.decode().replace("\\\\ud83d\\\\ude42", "")
    assert yaml.safe_load(data) == body  # YAML reads what was meant (the literal text "\\ud83d" included)
    plain, _ = encode_body(body, "application/merge-patch+json")
    assert json.loads(plain or b"") == body


def test_a_float_field_reads_a_float_when_the_server_holds_a_whole_number() -> None:
    """The API server answers 2.0 as 2 (JSON has one number type): a float field read the int 2 (found by the
    differential test)."""

    class Weighed(pykorm.Nested):
        weight: float = pykorm.DataField("weight", default=1.0)
        weights: list[float] = pykorm.DataField("weights", default_factory=list)

    view = Weighed._wrap({"weight": 2, "weights": [0, 1.5, -3]})
    assert view.weight == 2.0 and type(view.weight) is float
    assert view.weights == [0, 1.5, -3] and isinstance(view.weights, list)  # a list's items: as the JSON has them
    assert type(Weighed._wrap({"weight": True}).weight) is bool  # not a number: shown as it is (validation says so)


@pykorm.k8s_custom_object("roundtrip.pykorm.io", "v1", "freeboxes")
class FreeBox(pykorm.NamespacedModel):
    free: dict[str, object] = pykorm.Spec("free", default_factory=dict)
    racks: list[Rack] = pykorm.ListField(Rack, path="spec.racks")


def test_an_integer_beyond_64_bits_in_a_free_form_value_is_refused_before_sending() -> None:
    """The API server keeps such a number as a float, another number (2**64 + 1 became 2**64), with no error."""
    for served in (None, {"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}):
        box = FreeBox(name="b", namespace="n", free={"ok": 2**63 - 1, "low": -(2**63), "big": [1, 2**64 + 1]})
        with pytest.raises(ClientValidationError, match="beyond a 64-bit integer") as caught:
            validate(box, served=served)
        assert [cause.field for cause in caught.value.causes] == ["spec.free.big[1]"]
        box.free = {"ok": 2**63 - 1, "nan": float("nan")}
        with pytest.raises(ClientValidationError, match="NaN") as caught:
            validate(box, served=served)
        assert "spec.free.nan" in [cause.field for cause in caught.value.causes]
    validate(FreeBox(name="b", namespace="n", free={"x": -(2**63), "y": 2**63 - 1, "t": True, "f": [False, None, 0.5, "s"]}))


def test_reading_an_absent_field_s_default_changes_nothing_the_object_holds() -> None:
    """A read of an absent list or dict field put its default in the object's JSON: an object read from the server
    stopped being equal to another copy of it, and its to_dict() (and what apply sends) grew the field."""
    one, two = stored({"racks": [{"row": 1}]}), stored({"racks": [{"row": 1}]})
    assert (list(one.tones), list(one.times), dict(one.stamps), list(one.floors), dict(one.by_name)) == ([], [], {}, [], {})
    assert list(one.racks[0].seen) == [] and list(one.racks[0].slots) == []
    assert one == two and one.to_dict() == two.to_dict() and one.original is None
    assert one._raw["spec"] == {"racks": [{"row": 1}]}
    # the first change puts the default in, through a temporary nested view too, and is saved
    seen = one.racks[0].seen
    import gc

    gc.collect()
    seen.append(NOON)
    one.by_name["a"] = Rack(row=2)
    one.tones.append(Tone.HIGH)
    assert one._raw["spec"] == {"racks": [{"row": 1, "seen": ["2026-12-05T12:00:00.000250Z"]}],
                                "byName": {"a": {"row": 2, "seen": [], "slots": []}}, "tones": ["high"]}
    assert one.original is not None and one.original["spec"] == {"racks": [{"row": 1}]}
    one.tones.append(Tone.LOW)  # the container now in the JSON: changes report to the model as any other
    assert one._raw["spec"]["tones"] == ["high", "low"]


def test_a_view_of_datetimes_sorts_adds_and_copies_as_a_list_does() -> None:
    box = stored({"times": ["2026-12-05T13:00:00+01:00", "2026-12-05T11:30:00Z", "2026-12-05T12:00:00.000250Z"]})
    box.times.sort()
    assert box._raw["spec"]["times"] == ["2026-12-05T11:30:00Z", "2026-12-05T12:00:00Z", "2026-12-05T12:00:00.000250Z"]
    box.times.sort(reverse=True)
    assert box.times[0] == NOON and box.original is not None
    assert box.times + [NOON] == [*box.times, NOON] and [NOON] + box.times == [NOON, *box.times]
    copied = box.times.copy()
    copied.append(NOON)
    assert len(box.times) == 3 and type(copied) is list and type(box.stamps.copy()) is dict


def test_a_datetime_before_the_year_1000_is_written_with_four_digits_and_orders_as_an_instant() -> None:
    """strftime wrote the year 1 as "1": "1-01-01T00:00:00Z" is no timestamp (validation refused datetime.min),
    and order_by sorted the year 999 after 2026 ("9" > "2")."""
    from pykorm._data.dicts import json_time
    from pykorm._select.ordering import json_sort_key

    assert json_time(datetime.datetime.min) == "0001-01-01T00:00:00Z"
    assert json_time(datetime.datetime(999, 5, 1, 0, 0, 0, 5)) == "0999-05-01T00:00:00.000005Z"
    box = Box(name="b", namespace="n", at=datetime.datetime.min, times=[datetime.datetime(999, 1, 1)])
    assert box._raw["spec"]["at"] == "0001-01-01T00:00:00Z" and box.at == datetime.datetime.min.replace(tzinfo=UTC)
    validate(box)
    key = json_sort_key(Box, ["at"])
    raws = [stored({"at": at})._raw for at in ("2026-01-01T00:00:00Z", "0999-05-01T00:00:00Z")]
    assert [r["spec"]["at"] for r in sorted(raws, key=key)] == ["0999-05-01T00:00:00Z", "2026-01-01T00:00:00Z"]


def test_a_datetime_outside_the_years_1_to_9999_in_utc_is_refused_with_the_field_named() -> None:
    """datetime.min at +01:00 is before the year 1 in UTC: an OverflowError came out of the constructor."""
    early = datetime.datetime.min.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    with pytest.raises(ClientValidationError, match="outside the years 1-9999") as caught:
        Box(name="b", namespace="n", at=early)
    assert [cause.field for cause in caught.value.causes] == ["spec.at"]
    with pytest.raises(ClientValidationError) as caught:
        Box(name="b", namespace="n", times=[NOON, early])
    assert [cause.field for cause in caught.value.causes] == ["spec.times[1]"]
