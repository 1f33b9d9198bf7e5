"""Offline: the generated CRD schema agrees with pykorm's own validation, wherever the model is declared.

tests/test_schema.py checks each annotation and option; here: the CRD of a model refuses what
the model's validation refuses (same field paths). The model is declared inside a function,
under ``from __future__ import annotations``: its annotations are strings naming local classes.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal, Optional

import pytest

import pykorm
from pykorm._schema.openapi import crd_version_schema, schema_findings
from pykorm._schema.validation import validate
from pykorm.fields import DataField, ListField, Spec

pytestmark = pytest.mark.unit


def _declared_in_a_function() -> Any:
    """The test model, declared where local names resolve only through the function's frame."""

    class Leaf(pykorm.Nested):
        """A leaf."""

        label: str = DataField("label", required=True, max_length=5)
        weight: Optional[int] = DataField("weight", default=None, minimum=0)

    @pykorm.k8s_custom_object("schema-offline.pykorm.io", "v1", "trees")
    class Tree(pykorm.NamespacedModel):
        kind: Literal["oak", "elm"] = Spec("kind", required=True)
        height: int = Spec("height", default=1, minimum=1, maximum=100)
        leaves: list[Leaf] = ListField(Leaf, path=["spec", "leaves"], max_items=3)
        crown: Optional[Leaf] = Spec("crown", default=None)
        tags: list[str] = Spec("tags", default_factory=list, pattern="^[a-z]+$", max_items=2)
        notes: dict[str, int] = Spec("notes", default_factory=dict, maximum=9)
        maybe: list[Optional[int]] = Spec("maybe", default_factory=list)
        planted: Optional[datetime.datetime] = Spec("planted", default=None)

    return Tree


Tree = _declared_in_a_function()


def crd_schema(model: type) -> dict[str, Any]:
    schema = crd_version_schema(pykorm.crd(model), "v1")
    assert schema is not None
    return schema


def tree(spec: dict[str, Any]) -> Any:
    raw = {"apiVersion": "schema-offline.pykorm.io/v1", "kind": "Tree", "metadata": {"name": "t", "namespace": "n"},
           "spec": {"kind": "oak", **spec}}
    return Tree._from_server(raw)


def model_fields(obj: Any) -> list[str]:
    try:
        validate(obj)
    except pykorm.ClientValidationError as error:
        return sorted(c.field for c in error.causes)
    return []


def crd_fields(obj: Any) -> list[str]:
    return sorted(f.field for f in schema_findings(obj._raw, crd_schema(type(obj))))


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"kind": "ash"},
        {"kind": None},
        {"height": 0},
        {"height": 101},
        {"height": "tall"},
        {"leaves": [{"label": "ok"}, {"label": "toolong"}, {}]},
        {"leaves": [{"label": "a"}] * 4},
        {"leaves": [{"label": "a", "weight": -1}]},
        {"crown": {"label": 5}},
        {"crown": {}},
        {"tags": ["a", "B"]},
        {"tags": ["a", "b", "c"]},
        {"notes": {"x": 10, "y": 1}},
        {"notes": {"x": "1"}},
        {"maybe": [1, None, "x"]},
        {"planted": 5},
        {"kind": "elm", "height": 50, "leaves": [{"label": "l", "weight": 0}], "crown": {"label": "c"},
         "tags": ["a"], "notes": {"n": 9}, "maybe": [None]},
    ],
    ids=repr,
)
def test_the_crd_refuses_what_the_model_refuses_at_the_same_paths(spec: dict[str, Any]) -> None:
    obj = tree(spec)
    assert crd_fields(obj) == model_fields(obj)


def test_the_schema_of_nested_optional_list_and_literal_fields() -> None:
    spec = crd_schema(Tree)["properties"]["spec"]
    props = spec["properties"]
    assert spec["required"] == ["kind"]
    assert props["kind"] == {"type": "string", "enum": ["oak", "elm"]}
    assert props["leaves"]["maxItems"] == 3 and props["leaves"]["items"]["required"] == ["label"]
    assert props["leaves"]["items"]["description"] == "A leaf."
    assert props["crown"]["properties"]["weight"] == {"type": "integer", "minimum": 0}
    assert props["tags"] == {"type": "array", "maxItems": 2, "items": {"type": "string", "pattern": "^[a-z]+$"}}
    assert props["notes"] == {"type": "object", "additionalProperties": {"type": "integer", "maximum": 9}}
    assert props["maybe"]["items"] == {"type": "integer", "nullable": True}
    assert props["planted"] == {"type": "string", "format": "date-time"}
    assert props["height"] == {"type": "integer", "default": 1, "minimum": 1, "maximum": 100}


def test_declaring_the_model_again_gives_the_same_crd() -> None:
    assert pykorm.crd(_declared_in_a_function()) == pykorm.crd(Tree)


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (Literal[True, 1], "must all be strings, all integers or all numbers"),
        (Literal["a", None], ""),
    ],
    ids=repr,
)
def test_literals_mixing_json_types(annotation: Any, message: str) -> None:
    namespace: dict[str, Any] = {"__annotations__": {"x": annotation}, "x": Spec("x", default=None)}
    if message:
        with pytest.raises(TypeError, match=message):
            model = pykorm.k8s_custom_object("schema-offline.pykorm.io", "v1", "bads")(type("Bad", (pykorm.NamespacedModel,), namespace))
            pykorm.crd(model)
    else:  # Literal["a", None] is Optional[Literal["a"]]
        model = pykorm.k8s_custom_object("schema-offline.pykorm.io", "v1", "goods")(type("Good", (pykorm.NamespacedModel,), namespace))
        assert crd_schema(model)["properties"]["spec"]["properties"]["x"] == {"type": "string", "enum": ["a"]}


def test_a_literal_with_none_is_optional_in_validation_too() -> None:
    @pykorm.k8s_custom_object("schema-offline.pykorm.io", "v1", "lits")
    class Lit(pykorm.NamespacedModel):
        x: Literal["a", None] = Spec("x", default=None)

    validate(Lit(name="l", namespace="n"))
    validate(Lit(name="l", namespace="n", x="a"))
    with pytest.raises(pykorm.ClientValidationError, match="spec.x: Unsupported value: 'b'"):
        validate(Lit(name="l", namespace="n", x="b"))
