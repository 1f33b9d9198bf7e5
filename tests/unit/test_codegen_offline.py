"""Offline: models generated from a hostile CRD — keys that are not Python names, odd text — compile and round-trip.

tests/test_codegen.py round-trips the example and real-world CRDs (and checks the server accepts
them); here the CRD is written to break a code generator: Python keywords, keys that collide once
snake-cased, keys with dots, dashes and digits, descriptions with quotes and backslashes, enums of
odd strings. The generated module must compile, its classes must read and write objects at the
right JSON keys, and ``pykorm.crd`` of them must give back the same schema.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import pykorm
from pykorm._tools.codegen import model_source
from pykorm._schema.validation import validate

from ..test_codegen import generated_module, models_of, normalise, round_trip

pytestmark = pytest.mark.unit

NASTY_TEXT = 'Quotes """ and \'\'\' and \\ backslashes \\n, a tab\t, ünïcode, {braces} and %s.'

SPEC: dict[str, Any] = {
    "type": "object",
    "description": NASTY_TEXT,
    "required": ["class"],
    "properties": {
        "class": {"type": "string", "minLength": 1, "description": "A keyword."},
        "from": {"type": "integer", "minimum": 0, "maximum": 10},
        "self": {"type": "boolean"},
        "query": {"type": "string", "description": "Shadows Model.query if taken as is."},
        "name": {"type": "string", "description": "Not metadata.name."},
        "fooBar": {"type": "string"},
        "foo_bar": {"type": "string"},
        "foo-bar": {"type": "string"},
        "a.b": {"type": "string", "pattern": "^[a-z]+\\.[a-z]+$"},
        "9lives": {"type": "integer"},
        "ünï": {"type": "string"},
        "mode": {"type": "string", "enum": ["a\"b", "c'd", "e\\f", ""]},
        "ratio": {"type": "number", "multipleOf": 0.5, "default": 1.5},
        "port": {"x-kubernetes-int-or-string": True},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
        "containers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "ports": {"type": "array", "items": {"type": "object", "properties": {
                        "containerPort": {"type": "integer"}, "protocol": {"type": "string", "enum": ["TCP", "UDP"]}}}},
                },
            },
        },
        "deep": {"type": "object", "properties": {"er": {"type": "object", "properties": {"est": {"type": "string"}}}}},
    },
}

CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "nasties.codegen.pykorm.io"},
    "spec": {
        "group": "codegen.pykorm.io",
        "names": {"kind": "Nasty", "listKind": "NastyList", "plural": "nasties", "singular": "nasty",
                  "shortNames": ["ns"]},
        "scope": "Namespaced",
        "versions": [{
            "name": "v1alpha1",
            "served": True,
            "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                "spec": SPEC,
                "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
            }}},
            "subresources": {"status": {}},
        }],
    },
}


@pytest.fixture(scope="module")
def module() -> Any:
    return generated_module(model_source(copy.deepcopy(CRD)), "pykorm_unit_nasty")


@pytest.fixture(scope="module")
def Nasty(module: Any) -> Any:  # noqa: N802 - a class
    (model,) = models_of(module)
    return model


def test_the_module_compiles_and_holds_one_model(Nasty: Any) -> None:  # noqa: N803
    assert Nasty.__name__ == "Nasty"
    assert issubclass(Nasty, pykorm.NamespacedModel)


def test_the_round_trip_gives_the_same_schema() -> None:
    assert normalise(round_trip(copy.deepcopy(CRD), "pykorm_unit_nasty_rt")) == normalise(CRD)


def test_generating_twice_gives_the_same_source() -> None:
    assert model_source(copy.deepcopy(CRD)) == model_source(copy.deepcopy(CRD))


def test_attributes_are_python_names_that_shadow_nothing(Nasty: Any) -> None:  # noqa: N803
    fields = Nasty._fields
    paths = {field.path: name for name, field in fields.items()}
    for name in fields:
        assert name.isidentifier() and not __import__("keyword").iskeyword(name), name
    assert len({paths[("spec", k)] for k in ("fooBar", "foo_bar", "foo-bar")}) == 3  # no collision
    assert paths[("spec", "query")] != "query" and paths[("spec", "name")] != "name"
    assert paths[("metadata", "name")] == "name"
    assert callable(getattr(Nasty.query, "filter", None))


def test_objects_are_written_at_the_crds_keys(Nasty: Any) -> None:  # noqa: N803
    names = {field.path[1:]: name for name, field in Nasty._fields.items() if field.path[0] == "spec"}
    values = {("class",): "c", ("a.b",): "x.y", ("9lives",): 9, ("ünï",): "ü", ("foo-bar",): "dash", ("mode",): "c'd",
              ("port",): "http", ("env",): {"A": "b"}, ("matrix",): [[1], []], ("from",): 3}
    obj = Nasty(name="n1", namespace="default", **{names[path]: value for path, value in values.items()})
    spec = obj._raw["spec"]
    for path, value in values.items():
        assert spec[path[0]] == value
    assert spec["ratio"] == 1.5  # the CRD's default
    validate(obj)
    json.dumps(obj._raw)


def test_nested_classes_read_from_the_json(Nasty: Any) -> None:  # noqa: N803
    raw = {"apiVersion": "codegen.pykorm.io/v1alpha1", "kind": "Nasty", "metadata": {"name": "n", "namespace": "d"},
           "spec": {"class": "c", "containers": [{"name": "web", "ports": [{"containerPort": 80, "protocol": "TCP"}]}],
                    "deep": {"er": {"est": "bottom"}}}}
    obj = Nasty._from_server(raw)
    names = {field.path[1:]: name for name, field in Nasty._fields.items() if field.path[0] == "spec"}
    containers = getattr(obj, names[("containers",)])
    assert len(containers) == 1
    port = containers[0].ports[0]
    assert (port.container_port, port.protocol) == (80, "TCP")
    deep = getattr(obj, names[("deep",)])
    assert deep.er.est == "bottom"


def test_validation_of_a_generated_model_follows_its_crd(Nasty: Any) -> None:  # noqa: N803
    names = {field.path[1:]: name for name, field in Nasty._fields.items() if field.path[0] == "spec"}
    bad = Nasty(name="n", namespace="d", **{names[("class",)]: "c", names[("from",)]: 11, names[("mode",)]: "zz",
                                              names[("a.b",)]: "nodot"})
    with pytest.raises(pykorm.ClientValidationError) as caught:
        validate(bad)
    assert sorted(c.field for c in caught.value.causes) == ["spec.a.b", "spec.from", "spec.mode"]


@pytest.mark.parametrize(
    "broken",
    [
        {"kind": "CustomResourceDefinition", "metadata": {"name": "x"}},  # no spec
        {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}},
    ],
    ids=["no spec", "not a CRD"],
)
def test_a_manifest_that_is_not_a_crd_is_a_clear_error(broken: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"not a CustomResourceDefinition with a spec: \w+ x"):
        model_source(broken)
