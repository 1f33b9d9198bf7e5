"""Offline: names in paths, the served-schema checks, pruning, annotation resolution, the default session."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

import pykorm
from pykorm._base.names import name_error, path_segment
from pykorm._schema.openapi import crd_version_schema, kind_schema, pruned, schema_findings
from pykorm._http.resource import ResourceType

pytestmark = pytest.mark.unit

PEACHES = ResourceType("example.com", "v1", "peaches", "Peach", True)
ROLES = ResourceType("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False)


@pytest.mark.parametrize("name", ["x/..", "..", ".", "", None, "a/b", "%2F", "a%2Fb", "../" * 6 + "api", "UPPER",
                                  "a b", "a?b", "x" * 254, "-a", "a-", "name\n", "a.b\n"], ids=repr)
def test_object_paths_refuse_what_the_server_refuses(name: Any) -> None:
    with pytest.raises(pykorm.ClientValidationError) as caught:
        PEACHES.object_path("ns", name)
    assert caught.value.causes[0].field == "metadata.name"


@pytest.mark.parametrize("namespace", ["..", "a/b", "a.b", "UPPER", "n" * 64, "", "ns\n"], ids=repr)
def test_namespaces_are_dns_labels(namespace: str) -> None:
    with pytest.raises(pykorm.ClientValidationError):
        PEACHES.path(namespace)


def test_valid_paths_and_encoding() -> None:
    assert PEACHES.path() == "/apis/example.com/v1/peaches"
    assert PEACHES.object_path("ns", "a.b-c", "status") == "/apis/example.com/v1/namespaces/ns/peaches/a.b-c/status"
    assert ROLES.object_path(None, "system:controller:job") == "/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acontroller%3Ajob"
    assert path_segment("a b", "metadata.name", path_only=True) == "a%20b"
    with pytest.raises(pykorm.ClientValidationError):
        ROLES.object_path(None, "system/../x")  # free-form, but never a separator
    assert name_error("x" * 253, "metadata.name") is None and name_error("x" * 64, "ns", label=True) is not None


SCHEMA = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
        "spec": {"type": "object", "required": ["variety"], "properties": {
            "variety": {"type": "string", "minLength": 1},
            "price": {"type": "integer", "minimum": 0},
            "port": {"x-kubernetes-int-or-string": True},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        }},
    },
}


def findings(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.field, f.reason) for f in schema_findings(obj, SCHEMA)]


def test_schema_findings_are_what_the_server_refuses() -> None:
    ok = {"metadata": {"name": "x"}, "spec": {"variety": "v", "price": 1, "port": "http", "tags": ["a"],
                                                "labels": {"k": "v"}, "free": {"any": [1]}, "undeclared": 1}}
    assert findings(ok) == []
    assert findings({"metadata": {}}) == [("spec", "FieldValueRequired")]
    assert findings({"spec": {"variety": "", "price": -1, "port": 1.5, "tags": ["c"], "labels": {"k": 1}}}) == [
        ("spec.variety", "FieldValueInvalid"), ("spec.price", "FieldValueInvalid"), ("spec.port", "FieldValueTypeInvalid"),
        ("spec.tags[0]", "FieldValueNotSupported"), ("spec.labels.k", "FieldValueTypeInvalid"),
    ]
    assert findings({"spec": {"variety": "v", "price": "1"}}) == [("spec.price", "FieldValueTypeInvalid")]
    assert findings({"spec": {"variety": "v", "price": True}}) == [("spec.price", "FieldValueTypeInvalid")]
    assert findings({"spec": {"variety": "v", "price": None}}) == []  # the server drops nulls


def test_pruning_drops_what_the_schema_does_not_declare() -> None:
    obj = {"apiVersion": "v", "kind": "K", "metadata": {"name": "x", "labels": {"a": "b"}},
           "spec": {"variety": "v", "extra": 1, "free": {"x": 1}, "labels": {"k": "v"}}, "scores": [1]}
    body, dropped = pruned(obj, SCHEMA)
    assert dropped == ["spec.extra", "scores"]
    assert body == {"apiVersion": "v", "kind": "K", "metadata": {"name": "x", "labels": {"a": "b"}},
                    "spec": {"variety": "v", "free": {"x": 1}, "labels": {"k": "v"}}}
    assert obj["scores"] == [1] and obj["spec"]["extra"] == 1  # the input is untouched


def test_finding_the_schema_of_a_kind() -> None:
    document = {"components": {"schemas": {"com.example.v1.Peach": {
        **SCHEMA, "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Peach"}]}}}}
    assert kind_schema(document, "example.com", "v1", "Peach") is not None
    assert kind_schema(document, "example.com", "v2", "Peach") is None
    crd = {"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": SCHEMA}}]}}
    assert crd_version_schema(crd, "v1") == SCHEMA and crd_version_schema(crd, "v9") is None


def test_annotations_trusted_only_where_the_default_agrees() -> None:
    @pykorm.k8s_custom_object("example.com", "v1", "apples")
    class Apple(pykorm.ClusterModel):
        price: str = pykorm.Spec("price", 1)  # documentation: the default is an int
        variety: str = pykorm.Spec("variety", default="x")

    pykorm._schema.validation.validate(Apple(name="a", price=3))
    with pytest.raises(pykorm.ClientValidationError, match="spec.variety"):
        pykorm._schema.validation.validate(Apple(name="a", variety=3))


def test_a_query_before_any_session_fails_fast_without_a_cluster(tmp_path: Any) -> None:
    script = textwrap.dedent("""
        import pykorm
        @pykorm.k8s_custom_object("example.com", "v1", "peaches")
        class Peach(pykorm.NamespacedModel):
            variety: str = pykorm.Spec("variety")
        try:
            Peach.query.all()
        except pykorm.ConfigurationError as error:
            print("ConfigurationError")
    """)
    env = {"KUBECONFIG": str(tmp_path / "missing"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ConfigurationError", result.stderr


def test_headers_mask_credentials() -> None:
    from pykorm._http.transport import _Headers

    headers = _Headers({"Authorization": "Bearer secret", "Accept": "application/json"})
    assert "secret" not in repr(headers) and "secret" not in str(headers) and headers["Authorization"] == "Bearer secret"


def test_an_unknown_field_option_fails_when_the_class_is_declared() -> None:
    with pytest.raises(TypeError, match=r"Thing\.x: unknown field option 'minimun'; options are minimum, "):

        class Thing(pykorm.Nested):
            x: int = pykorm.fields.DataField("x", minimun=3)
