"""Schema generation, a pure function: each supported annotation and field option, and clear errors."""

from __future__ import annotations

import datetime
import enum
from typing import Any, List, Literal, Optional, Union

import pytest

import pykorm
from pykorm.fields import DataField, DictNestedField, ListField, Metadata, MetadataLabel, Spec, Status

pytestmark = pytest.mark.unit  # pure functions of model classes: no control plane


class Colour(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class Size(enum.Enum):
    SMALL = 1
    LARGE = 2


class Score(pykorm.Nested):
    """How good it is."""

    exterior: int = DataField("exterior", required=True)
    taste: int | None = DataField("taste", default=None)


def spec_of(*fields: tuple[str, Any, Any]) -> dict[str, Any]:
    """The ``spec`` schema of a model made of ``(name, annotation, field)`` triples."""
    namespace: dict[str, Any] = {"__annotations__": {name: annotation for name, annotation, _ in fields}}
    namespace.update({name: field for name, _, field in fields})
    model = pykorm.k8s_custom_object("schema.pykorm.io", "v1", "things")(type("Thing", (pykorm.NamespacedModel,), namespace))
    return schema_of(model)["properties"]["spec"]


def schema_of(model: type) -> dict[str, Any]:
    schema: dict[str, Any] = pykorm.crd(model)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def one(annotation: Any, field: Any = None) -> dict[str, Any]:
    """The schema of one spec field ``x``."""
    result: dict[str, Any] = spec_of(("x", annotation, field or Spec("x")))["properties"]["x"]
    return result


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (datetime.datetime, {"type": "string", "format": "date-time"}),
        (Colour, {"type": "string", "enum": ["red", "green"]}),
        (Size, {"type": "integer", "enum": [1, 2]}),
        (Literal["a", "b"], {"type": "string", "enum": ["a", "b"]}),
        (Literal[1, 2.5], {"type": "number", "enum": [1, 2.5]}),
        (Literal[True], {"type": "boolean", "enum": [True]}),
        (Optional[int], {"type": "integer"}),  # may be absent: the server drops nulls, as pykorm reads None
        (int | None, {"type": "integer"}),
        (int | str, {"x-kubernetes-int-or-string": True}),
        (list[str], {"type": "array", "items": {"type": "string"}}),
        (List[int], {"type": "array", "items": {"type": "integer"}}),
        (list[int | None], {"type": "array", "items": {"type": "integer", "nullable": True}}),
        (list[list[bool]], {"type": "array", "items": {"type": "array", "items": {"type": "boolean"}}}),
        (list, {"type": "array", "items": {"x-kubernetes-preserve-unknown-fields": True}}),
        (dict[str, int], {"type": "object", "additionalProperties": {"type": "integer"}}),
        (dict[str, list[str]], {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}),
        (dict[str, Any], {"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
        (dict, {"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
        (Any, {"x-kubernetes-preserve-unknown-fields": True}),
        (object, {"x-kubernetes-preserve-unknown-fields": True}),
    ],
    ids=repr,
)
def test_each_annotation_has_its_schema(annotation: Any, expected: dict[str, Any]) -> None:
    assert one(annotation) == expected


SCORE = {
    "description": "How good it is.",
    "type": "object",
    "properties": {"exterior": {"type": "integer"}, "taste": {"type": "integer"}},
    "required": ["exterior"],
}


def test_a_nested_class_is_an_object_described_by_its_docstring() -> None:
    assert one(Score, DictNestedField(Score, "spec.x")) == SCORE
    assert one(Score | None, Spec("x")) == SCORE  # the annotation alone says it too


def test_a_list_of_nested_objects_is_an_array_of_them() -> None:
    assert one(list[Score], ListField(Score, "spec.x")) == {"type": "array", "items": SCORE}
    assert one(dict[str, Score]) == {"type": "object", "additionalProperties": SCORE}


def test_fields_sharing_a_path_share_its_objects() -> None:
    spec = spec_of(("exterior", int, Spec("score.exterior", required=True)), ("taste", int, Spec("score.taste")))

    assert spec == {
        "type": "object",
        "properties": {
            "score": {
                "type": "object",
                "properties": {"exterior": {"type": "integer"}, "taste": {"type": "integer"}},
                "required": ["exterior"],
            },
        },
        "required": ["score"],  # the objects on the way to a required field are required too
    }


def test_a_path_field_inside_a_nested_field_merges_with_it() -> None:
    spec = spec_of(("score", Score, DictNestedField(Score, "spec.score")), ("juice", int, Spec("score.juice")))

    assert list(spec["properties"]["score"]["properties"]) == ["exterior", "taste", "juice"]
    assert spec["properties"]["score"]["required"] == ["exterior"]


def test_required_puts_the_key_in_the_parents_required_list_and_forbids_empty_values() -> None:
    assert one(str, Spec("x", required=True)) == {"type": "string", "minLength": 1}
    assert one(list[str], Spec("x", required=True)) == {"type": "array", "minItems": 1, "items": {"type": "string"}}
    assert one(dict[str, str], Spec("x", required=True))["minProperties"] == 1
    assert one(Score, DictNestedField(Score, "spec.x", required=True))["minProperties"] == 1
    assert one(str, Spec("x", required=True, allow_empty=True)) == {"type": "string"}
    assert one(int, Spec("x", required=True)) == {"type": "integer"}
    assert one(Colour, Spec("x", required=True)) == {"type": "string", "enum": ["red", "green"]}
    assert one(str, Spec("x", required=True, min_length=3))["minLength"] == 3
    assert spec_of(("x", str, Spec("x", required=True)))["required"] == ["x"]


def test_defaults_are_written_as_json() -> None:
    assert one(int, Spec("x", default=3))["default"] == 3
    assert one(Colour, Spec("x", default=Colour.RED))["default"] == "red"
    assert one(list[str], Spec("x", default=["a"]))["default"] == ["a"]
    moment = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    assert one(datetime.datetime, Spec("x", default=moment))["default"] == "2024-05-01T12:00:00Z"
    assert one(Score, DictNestedField(Score, "spec.x", default=Score(exterior=1)))["default"] == {"exterior": 1}
    assert "default" not in one(list[str], Spec("x", default_factory=list))  # any callable: not in the CRD
    assert "default" not in one(Any, Spec("x", default=object()))  # not JSON: a client-side default only


def test_descriptions_come_from_the_field_argument() -> None:
    assert one(int, Spec("x", description="How many."))["description"] == "How many."
    assert one(Score, DictNestedField(Score, "spec.x", description="Its score."))["description"] == "Its score."


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"minimum": 1, "maximum": 9}, {"minimum": 1, "maximum": 9}),
        ({"minimum": 0, "exclusive_minimum": True}, {"minimum": 0, "exclusiveMinimum": True}),
        ({"maximum": 9, "exclusive_maximum": True}, {"maximum": 9, "exclusiveMaximum": True}),
        ({"multiple_of": 5}, {"multipleOf": 5}),
        ({"enum": [1, 2]}, {"enum": [1, 2]}),
        ({"format": "int32"}, {"format": "int32"}),
        ({"nullable": True}, {"nullable": True}),
    ],
    ids=repr,
)
def test_number_options(options: dict[str, Any], expected: dict[str, Any]) -> None:
    assert one(int, Spec("x", **options)) == {"type": "integer", **expected}


def test_string_list_and_object_options() -> None:
    assert one(str, Spec("x", pattern="^a", min_length=1, max_length=5, format="email")) == {
        "type": "string", "format": "email", "pattern": "^a", "minLength": 1, "maxLength": 5,
    }
    assert one(list[str], Spec("x", min_items=1, max_items=3)) == {
        "type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "string"},
    }
    assert one(dict[str, int], Spec("x", min_properties=1, max_properties=2)) == {
        "type": "object", "minProperties": 1, "maxProperties": 2, "additionalProperties": {"type": "integer"},
    }


def test_options_about_single_values_apply_to_the_items_of_a_list_or_dict() -> None:
    assert one(list[str], Spec("x", max_items=3, pattern="^[a-z]+$", max_length=8)) == {
        "type": "array", "maxItems": 3, "items": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
    }
    assert one(dict[str, int], Spec("x", minimum=0)) == {
        "type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
    }


def test_x_kubernetes_options_pass_through() -> None:
    schema = one(list[str], Spec("x", x_kubernetes_list_type="set", x_kubernetes_validations=[{"rule": "size(self) < 3"}]))

    assert schema["x-kubernetes-list-type"] == "set"
    assert schema["x-kubernetes-validations"] == [{"rule": "size(self) < 3"}]


def test_an_unknown_option_is_named_with_its_field() -> None:
    with pytest.raises(TypeError, match=r"Thing\.x: unknown field option 'minLength'; options are minimum, "):
        one(str, Spec("x", minLength=3))


def test_metadata_fields_stay_out_of_the_schema_and_status_gets_its_own_object() -> None:
    @pykorm.k8s_custom_object("schema.pykorm.io", "v1", "gadgets")
    class Gadget(pykorm.NamespacedModel):
        owner: str | None = MetadataLabel("example.com/owner", default=None)
        revision: str | None = Metadata("annotations.revision", default=None)
        size: int = Spec("size", default=1)
        ready: bool | None = Status("ready", default=None)
        data: dict[str, str] = DataField("data", default_factory=dict)

    schema = schema_of(Gadget)

    assert schema["properties"] == {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {"type": "object", "properties": {"size": {"type": "integer", "default": 1}}},
        "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
        "data": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    assert "required" not in schema


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (set[int], r"cannot map the annotation set\[int\] to JSON"),
        (tuple[int, str], r"cannot map the annotation tuple\[int, str\] to JSON"),
        (datetime.date, r"cannot map the annotation <class 'datetime.date'> to JSON"),
        (Union[int, float], r"cannot map the union .* to one JSON type"),
        (dict[int, str], r"dict\[int, str\]: JSON object keys are strings"),
        (Literal["a", 1], r"enum values \['a', 1\] must all be strings, all integers or all numbers"),
    ],
    ids=repr,
)
def test_an_annotation_that_cannot_be_mapped_is_a_clear_error_naming_the_field(annotation: Any, message: str) -> None:
    with pytest.raises(TypeError, match=r"Thing\.x: " + message):
        one(annotation)


def test_a_plain_class_is_refused_with_the_field_named() -> None:
    class Point:
        x: int

    with pytest.raises(TypeError, match=r"^Thing\.x: cannot map the annotation <class '.*Point'> to JSON; use str, int"):
        one(Point)


def test_a_nested_field_with_an_unmappable_annotation_names_the_nested_class() -> None:
    class Bad(pykorm.Nested):
        tags: set[str] = DataField("tags")

    with pytest.raises(TypeError, match=r"Bad\.tags: cannot map the annotation set\[str\]"):
        one(Bad, DictNestedField(Bad, "spec.x"))


def test_a_path_through_a_list_is_refused() -> None:
    with pytest.raises(TypeError, match=r"Thing\.y: its path spec.x.y goes through a field that is not an object"):
        spec_of(("x", list[str], Spec("x")), ("y", int, Spec("x.y")))
