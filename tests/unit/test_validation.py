"""Offline: client-side validation of a model's object — every finding names its field as the server would.

The rule (pykorm._schema.validation): pykorm never refuses a write the API server would accept,
and reports what it refuses at the path the server's own causes use.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any, Literal

import pytest

import pykorm
from pykorm._schema.openapi import schema_findings
from pykorm._schema.validation import check_names, validate
from pykorm.fields import DataField, ListField, Spec, Status

pytestmark = pytest.mark.unit


class Colour(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Seed(pykorm.Nested):
    kind: str = DataField("kind", required=True)
    weight: int | None = DataField("weight", default=None, minimum=0)


class Score(pykorm.Nested):
    exterior: int = DataField("exterior", required=True)
    taste: int | None = DataField("taste", default=None, maximum=10)


@pykorm.k8s_custom_object("validation.pykorm.io", "v1", "fruits")
class Fruit(pykorm.NamespacedModel):
    variety: str = Spec("variety", required=True, pattern="^[A-Z]", max_length=8)
    size: int | None = Spec("size", default=None, minimum=1, maximum=10, exclusive_maximum=True)
    step: float | None = Spec("step", default=None, multiple_of=0.1)
    even: int | None = Spec("even", default=None, multiple_of=2)
    colour: Colour | None = Spec("colour", default=None)
    mode: Literal["a", "b"] | None = Spec("mode", default=None)
    when: datetime.datetime | None = Spec("when", default=None)
    uid_ref: str | None = Spec("uidRef", default=None, format="uuid")
    tags: list[str] = Spec("tags", default_factory=list, max_items=2, pattern="^[a-z]+$")
    maybe: list[int | None] = Spec("maybe", default_factory=list)
    env: dict[str, int] = Spec("env", default_factory=dict, minimum=0)
    seeds: list[Seed] = ListField(Seed, path=["spec", "seeds"])
    score: Score | None = Spec("score", default=None)
    deep: str | None = Spec("deep.er.est", default=None, required=True)
    phase: str | None = Status("phase", default=None)


def findings(obj: Any) -> list[tuple[str, str]]:
    try:
        validate(obj)
    except pykorm.ClientValidationError as error:
        return [(c.field, c.reason) for c in error.causes]
    return []


def fruit(**kwargs: Any) -> Fruit:
    kwargs.setdefault("variety", "Frost")
    kwargs.setdefault("deep", "x")
    return Fruit(name="f", namespace="n", **kwargs)


def fruit_from(spec: dict[str, Any], **metadata: Any) -> Fruit:
    """A fruit as the server (or another program) might send it: anything in its JSON."""
    raw = {"apiVersion": "validation.pykorm.io/v1", "kind": "Fruit",
           "metadata": {"name": "f", "namespace": "n", **metadata}, "spec": {"variety": "Frost", "deep": {"er": {"est": "x"}}, **spec}}
    return Fruit._from_server(raw)


def test_a_valid_object_passes() -> None:
    validate(fruit(size=3, step=0.5, colour=Colour.RED, mode="a", tags=["a"], maybe=[1, None], env={"a": 0},
                   seeds=[Seed(kind="k", weight=0)], score=Score(exterior=1), uid_ref="3b241101-e2bb-4255-8caf-4136c566a962",
                   when=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)))


def test_required_fields_are_reported_where_the_server_reports_them() -> None:
    f = Fruit(name="f", namespace="n")  # a spec with the defaults of the other fields
    assert findings(f) == [("spec.variety", "FieldValueRequired"), ("spec.deep", "FieldValueRequired")]
    with pytest.raises(pykorm.ClientValidationError, match=r"^Fruit f is invalid: .*spec.deep: Required value: needed for spec.deep.er.est$"):
        validate(f)
    f._raw.pop("spec")
    assert findings(f) == [("spec", "FieldValueRequired")]
    assert findings(fruit_from({"deep": {"er": None}})) == [("spec.deep.er", "FieldValueRequired")]
    assert findings(fruit_from({"deep": {}})) == [("spec.deep.er", "FieldValueRequired")]
    assert findings(fruit_from({"deep": None})) == [("spec.deep", "FieldValueRequired")]


def test_a_required_string_must_not_be_empty() -> None:
    assert findings(fruit(variety="")) == [("spec.variety", "FieldValueRequired"), ("spec.variety", "FieldValueInvalid")]


@pytest.mark.parametrize(
    ("spec", "found"),
    [
        ({"size": 0}, ("spec.size", "FieldValueInvalid")),
        ({"size": 10}, ("spec.size", "FieldValueInvalid")),  # exclusive maximum
        ({"size": "3"}, ("spec.size", "FieldValueTypeInvalid")),
        ({"size": True}, ("spec.size", "FieldValueTypeInvalid")),
        ({"size": 3.5}, ("spec.size", "FieldValueTypeInvalid")),
        ({"variety": "frost"}, ("spec.variety", "FieldValueInvalid")),  # pattern
        ({"variety": "Frostbitten"}, ("spec.variety", "FieldValueTooLong")),
        ({"variety": 3}, ("spec.variety", "FieldValueTypeInvalid")),
        ({"variety": None}, ("spec.variety", "FieldValueRequired")),
        ({"even": 3}, ("spec.even", "FieldValueInvalid")),
        ({"colour": "green"}, ("spec.colour", "FieldValueNotSupported")),
        ({"mode": "c"}, ("spec.mode", "FieldValueNotSupported")),
        ({"mode": 1}, ("spec.mode", "FieldValueNotSupported")),
        ({"when": "yesterday"}, ("spec.when", "FieldValueTypeInvalid")),
        ({"when": "2024-01-01 00:00:00"}, ("spec.when", "FieldValueTypeInvalid")),
        ({"uidRef": "not-a-uuid"}, ("spec.uidRef", "FieldValueTypeInvalid")),
        ({"tags": ["a", "b", "c"]}, ("spec.tags", "FieldValueTooMany")),
        ({"tags": ["a", "B"]}, ("spec.tags[1]", "FieldValueInvalid")),
        ({"tags": "a"}, ("spec.tags", "FieldValueTypeInvalid")),
        ({"tags": [1]}, ("spec.tags[0]", "FieldValueTypeInvalid")),
        ({"maybe": [1, "x"]}, ("spec.maybe[1]", "FieldValueTypeInvalid")),
        ({"env": {"a": -1}}, ("spec.env.a", "FieldValueInvalid")),
        ({"env": {"a.b/c": "1"}}, ("spec.env.a.b/c", "FieldValueTypeInvalid")),
        ({"env": []}, ("spec.env", "FieldValueTypeInvalid")),
        ({"seeds": [{"kind": "k"}, {"weight": 1}]}, ("spec.seeds[1].kind", "FieldValueRequired")),
        ({"seeds": [{"kind": "k", "weight": -1}]}, ("spec.seeds[0].weight", "FieldValueInvalid")),
        ({"seeds": [{"kind": 5}]}, ("spec.seeds[0].kind", "FieldValueTypeInvalid")),
        ({"seeds": [None]}, ("spec.seeds[0]", "FieldValueInvalid")),
        ({"seeds": {"kind": "k"}}, ("spec.seeds", "FieldValueTypeInvalid")),
        ({"score": {}}, ("spec.score.exterior", "FieldValueRequired")),
        ({"score": {"exterior": 1, "taste": 11}}, ("spec.score.taste", "FieldValueInvalid")),
        ({"score": "good"}, ("spec.score", "FieldValueTypeInvalid")),
    ],
    ids=repr,
)
def test_each_finding_names_its_field(spec: dict[str, Any], found: tuple[str, str]) -> None:
    assert findings(fruit_from(spec)) == [found]


def test_every_finding_is_listed_at_once() -> None:
    got = findings(fruit_from({"size": 0, "mode": "c", "seeds": [{}], "env": {"x": -1}}))
    assert sorted(got) == [("spec.env.x", "FieldValueInvalid"), ("spec.mode", "FieldValueNotSupported"),
                           ("spec.seeds[0].kind", "FieldValueRequired"), ("spec.size", "FieldValueInvalid")]


def test_nulls_allowed_where_optional_and_in_optional_items() -> None:
    assert findings(fruit_from({"size": None, "maybe": [None, 1], "score": None})) == []


@pytest.mark.parametrize("value", [0.3, 0.7, 1.1, 4.4, 100.0, 0.0, -0.3], ids=repr)
def test_a_float_multiple_is_judged_as_the_server_judges_it(value: float) -> None:
    """0.3 is a multiple of 0.1 for the API server (it allows rounding); 0.3 / 0.1 is 2.9999999999999996 in Python."""
    assert findings(fruit(step=value)) == []


@pytest.mark.parametrize("value", [0.15, 0.05, 1.01], ids=repr)
def test_a_float_that_is_not_a_multiple_is_refused(value: float) -> None:
    assert findings(fruit(step=value)) == [("spec.step", "FieldValueInvalid")]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=repr)
def test_a_number_json_cannot_carry_is_refused_naming_the_field(value: float) -> None:
    """NaN and infinities are not JSON: the server could only answer that the body is not JSON."""
    assert findings(fruit(step=value)) == [("spec.step", "FieldValueInvalid")]


def test_status_and_metadata_fields_are_checked_too() -> None:
    assert findings(fruit_from({}, labels={"a": "b"})) == []
    bad = fruit_from({})
    bad._raw["status"] = {"phase": 3}
    assert findings(bad) == [("status.phase", "FieldValueTypeInvalid")]


@pytest.mark.parametrize(
    ("name", "namespace", "field"),
    [("", "n", "metadata.name"), ("Upper", "n", "metadata.name"), ("a/b", "n", "metadata.name"),
     ("ok", "Bad_NS", "metadata.namespace"), ("ok", "n" * 64, "metadata.namespace")],
)
def test_names_are_checked_before_anything_else(name: str, namespace: str, field: str) -> None:
    obj = Fruit(name=name, namespace=namespace, variety="Frost", deep="x")
    with pytest.raises(pykorm.ClientValidationError) as caught:
        check_names(obj)
    assert [c.field for c in caught.value.causes] == [field]
    assert findings(obj)[0][0] == field


def test_no_name_is_fine_with_generate_name() -> None:
    obj = Fruit(namespace="n", variety="Frost", deep="x")
    obj._raw["metadata"].pop("name", None)
    assert findings(obj) == [("metadata.name", "FieldValueRequired")]
    obj._raw["metadata"]["generateName"] = "fruit-"
    assert findings(obj) == []
    validate(obj, need_name=False)


def test_with_the_served_schema_only_that_schema_counts() -> None:
    served = {"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer", "maximum": 100}}}}}
    obj = fruit_from({"size": 50, "variety": "lower-case-and-long"})  # the model would refuse both
    validate(obj, served=served)
    with pytest.raises(pykorm.ClientValidationError, match=r"spec.size: Invalid value: 500: should be less than or equal to 100"):
        validate(fruit_from({"size": 500}), served=served)


# -- the served schema's checks (pykorm._schema.openapi), beyond tests/unit/test_names_and_schemas.py --


def served_findings(value: Any, schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.field, f.reason) for f in schema_findings({"spec": {"x": value}}, {"properties": {"spec": {"type": "object", "properties": {"x": schema}}}})]


@pytest.mark.parametrize(
    ("value", "schema", "found"),
    [
        (5, {"type": "integer", "minimum": 5, "exclusiveMinimum": True}, [("spec.x", "FieldValueInvalid")]),
        (5, {"type": "integer", "maximum": 5, "exclusiveMaximum": True}, [("spec.x", "FieldValueInvalid")]),
        (5.0, {"type": "integer"}, [("spec.x", "FieldValueTypeInvalid")]),
        (5, {"type": "number"}, []),
        ("ab", {"type": "string", "minLength": 3}, [("spec.x", "FieldValueInvalid")]),
        ("ü" * 3, {"type": "string", "maxLength": 3}, []),  # characters, not bytes
        ("x", {"type": "string", "pattern": "(?<=x)"}, []),  # a construct RE2 lacks: left to the server
        ("x", {"type": "string", "pattern": "[invalid"}, []),
        ([1, 2, 3], {"type": "array", "maxItems": 2}, [("spec.x", "FieldValueTooMany")]),
        ({}, {"type": "object", "minProperties": 1}, [("spec.x", "FieldValueInvalid")]),
        ({"a": 1}, {"type": "object", "properties": {"a": {"type": "string"}}}, [("spec.x.a", "FieldValueTypeInvalid")]),
        ({"a": {"b": [{"c": "no"}]}}, {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {
            "type": "array", "items": {"type": "object", "properties": {"c": {"type": "integer"}}}}}}}},
         [("spec.x.a.b[0].c", "FieldValueTypeInvalid")]),
        (True, {"x-kubernetes-int-or-string": True}, [("spec.x", "FieldValueTypeInvalid")]),
        ("3", {"x-kubernetes-int-or-string": True}, []),
        (None, {"type": "integer"}, []),
        ({"k": None}, {"type": "object", "required": ["k"]}, [("spec.x.k", "FieldValueRequired")]),
        ("a", {"enum": ["b"]}, [("spec.x", "FieldValueNotSupported")]),
        ("anything", {"$ref": "#/elsewhere"}, []),
        # list items whose only check is their type, and items with more to check
        (["a", 1, None, True], {"type": "array", "items": {"type": "string"}},
         [("spec.x[1]", "FieldValueTypeInvalid"), ("spec.x[3]", "FieldValueTypeInvalid")]),
        ([1, 2.5, True, "3"], {"type": "array", "items": {"type": "integer"}},
         [("spec.x[1]", "FieldValueTypeInvalid"), ("spec.x[2]", "FieldValueTypeInvalid"), ("spec.x[3]", "FieldValueTypeInvalid")]),
        ([1, 2.5, True], {"type": "array", "items": {"type": "number"}}, [("spec.x[2]", "FieldValueTypeInvalid")]),
        ([{"a": 1}, [], "s"], {"type": "array", "items": {"type": "object"}},
         [("spec.x[1]", "FieldValueTypeInvalid"), ("spec.x[2]", "FieldValueTypeInvalid")]),
        (["ab", "a"], {"type": "array", "items": {"type": "string", "minLength": 2}}, [("spec.x[1]", "FieldValueInvalid")]),
        ([True, "s"], {"type": "array", "items": {"x-kubernetes-int-or-string": True}}, [("spec.x[0]", "FieldValueTypeInvalid")]),
        ("not a list", {"type": "array", "items": {"type": "string"}}, [("spec.x", "FieldValueTypeInvalid")]),
        ([1], {"items": {"type": "string"}}, [("spec.x[0]", "FieldValueTypeInvalid")]),  # no type of its own
    ],
    ids=repr,
)
def test_served_schema_findings(value: Any, schema: dict[str, Any], found: list[tuple[str, str]]) -> None:
    assert served_findings(value, schema) == found


def changed_findings(obj: Fruit, served: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """What a save of ``obj`` reports: the findings about its changes since it was read."""
    from pykorm._base.patch import merge_patch

    try:
        validate(obj, served=served, changed=merge_patch(obj.original or obj._raw, obj._raw))
    except pykorm.ClientValidationError as error:
        return [(c.field, c.reason) for c in error.causes]
    return []


@pytest.mark.parametrize("served", [None, pykorm.crd(Fruit)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]],
                         ids=["model", "served"])
def test_a_save_reports_only_what_it_changes_as_the_server_ratchets(served: dict[str, Any] | None) -> None:
    """Invalid values the object was read with (a schema tightened since) are the server's to let
    through when an update leaves them as they were (CRD validation ratcheting): not findings of a
    save that changes something else. What the change touches — a value, a list replaced whole
    (with its items' paths), a key of a dict, a required field
    removed — is reported."""
    stored = {"size": 0, "mode": "c", "seeds": [{}], "env": {"x": -1}, "tags": ["a", "b", "c"]}
    f = fruit_from(stored, resourceVersion="1", uid="u")
    f.step = 0.5
    assert changed_findings(f, served) == []
    f = fruit_from(stored, resourceVersion="1", uid="u")
    f.size = 11
    assert changed_findings(f, served) == [("spec.size", "FieldValueInvalid")]
    f = fruit_from(stored, resourceVersion="1", uid="u")
    f.seeds.append(Seed(kind="k"))
    assert changed_findings(f, served) == [("spec.seeds[0].kind", "FieldValueRequired")]
    f = fruit_from(stored, resourceVersion="1", uid="u")
    f.env["y"] = -2
    assert changed_findings(f, served) == [("spec.env.y", "FieldValueInvalid")]  # a merge patch sends the new key
    f = fruit_from(stored, resourceVersion="1", uid="u")
    f.tags.append("d")
    assert [field for field, _ in changed_findings(f, served)] == ["spec.tags"]
    f = fruit_from(stored, resourceVersion="1", uid="u")
    f._will_change()
    f._raw["spec"].pop("variety")
    assert changed_findings(f, served) == [("spec.variety", "FieldValueRequired")]


def test_touches_compares_whole_path_segments() -> None:
    from pykorm._schema.validation import _changed_paths, _touches

    changed = _changed_paths({"spec": {"size": 3, "seeds": [], "env": {"x": None}}, "metadata": {"labels": {"a": "b"}}}, "")
    assert changed == ["spec.size", "spec.seeds", "spec.env.x", "metadata.labels.a"]
    assert [_touches(f, changed) for f in ("spec.size", "spec.sizes", "spec.seeds[0].kind", "spec", "spec.env",
                                           "spec.env.xy", "metadata.labels", "spec.variety")] == [
        True, False, True, True, True, False, True, False]
