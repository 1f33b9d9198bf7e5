"""Offline: a model's declaration names what the API server's URLs and CRDs take, checked when the class is
declared — ``plural="a/b"`` made a path to another collection, ``group=None`` and ``version="V 1"`` went unseen
until a request; a field's path of the wrong type and ``DictNestedField(int, ...)`` raised from deep inside or not
at all."""

from __future__ import annotations

from typing import Any

import pytest

import pykorm

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("group", "version", "plural", "kind", "says"),
    [
        (None, "v1", "things", None, "group: Required value"),
        ("Example.com", "v1", "things", None, "group: Invalid value 'Example.com'"),
        ("example.com", "V 1", "things", None, "version: Invalid value 'V 1'"),
        ("example.com", "v1", "a/b", None, "plural: Invalid value 'a/b'"),
        ("example.com", "v1", "Things", None, "plural: Invalid value 'Things'"),
        ("example.com", "v1", "", None, "plural: Required value"),
        ("example.com", "v1", "things", "a thing", "kind: Invalid value 'a thing'"),
    ],
)
def test_a_resource_name_the_server_would_refuse_is_refused_at_declaration(
    group: Any, version: Any, plural: Any, kind: Any, says: str
) -> None:
    with pytest.raises(pykorm.ClientValidationError, match=says):
        @pykorm.k8s_custom_object(group, version, plural, kind=kind)
        class Thing(pykorm.NamespacedModel):
            pass


def test_good_names_and_the_core_group_are_accepted() -> None:
    @pykorm.k8s_resource("", "v1", "configmaps", "ConfigMap")
    class Settings(pykorm.NamespacedModel):
        pass

    @pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1beta1", "peach-trees", kind="PeachTree2")
    class Tree(pykorm.ClusterModel):
        pass

    assert Settings.__resource__.path("ns") == "/api/v1/namespaces/ns/configmaps"


@pytest.mark.parametrize("path", [None, 3, 2.5])
def test_a_field_path_of_the_wrong_type_says_so(path: Any) -> None:
    with pytest.raises(ValueError, match="a field path needs one or more non-empty string keys"):
        pykorm.Spec(path)


@pytest.mark.parametrize("nested", [int, dict, "Score", None])
def test_a_nested_field_needs_a_nested_class(nested: Any) -> None:
    for field in (pykorm.fields.DictNestedField, pykorm.fields.ListField):
        with pytest.raises(TypeError, match="first argument is a pykorm.Nested class"):
            field(nested, path="spec.score")


@pytest.mark.parametrize("kind", [None, "", "Config Map"])
def test_a_core_kind_that_is_no_kind_is_refused(kind: Any) -> None:
    with pytest.raises(pykorm.ClientValidationError, match="kind: Invalid value|plural: Required value"):
        @pykorm.pykorm.k8s_core(kind=kind)
        class Thing(pykorm.NamespacedModel):
            pass
