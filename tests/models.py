"""Models and CRDs the core tests use: the original pykorm README's examples, and a few more."""

from __future__ import annotations

from typing import Any

import pykorm


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
class Peach(pykorm.NamespacedModel):
    variety: str = pykorm.fields.Spec("variety")
    price: int | None = pykorm.fields.Spec("price", default=None)
    ripeness: str | None = pykorm.fields.Status("ripeness", default=None)


class Score(pykorm.models.Nested):
    exterior: int = pykorm.fields.DataField("exterior")
    delicious: int = pykorm.fields.DataField("delicious", 10)


class ScoreMixin:
    score: Score = pykorm.fields.DictNestedField(Score, path=["spec", "score"])


class Seed(pykorm.models.Nested):
    kind: str = pykorm.fields.DataField("kind")
    weight: int | None = pykorm.fields.DataField("weight", default=None)


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "apples")
class Apple(ScoreMixin, pykorm.ClusterModel):
    variety: str = pykorm.fields.Spec("variety", "default-variety")
    seeds: list[Seed] = pykorm.fields.ListField(Seed, path=["spec", "seeds"])
    owner: str | None = pykorm.fields.MetadataAnnotation("pykorm.io/owner", default=None)


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "counters")
class Counter(pykorm.NamespacedModel):
    count: int = pykorm.fields.Spec("count", 0)


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "plums")
class Plum(pykorm.NamespacedModel):
    """A model whose CRD is never installed."""

    variety: str = pykorm.fields.Spec("variety")


@pykorm.pykorm.k8s_core(kind="ConfigMap")
class ConfigMap(pykorm.models.NamespacedModel):
    data: dict[str, str] = pykorm.fields.DataField("data", default_factory=dict)


@pykorm.pykorm.k8s_core(kind="Namespace")
class Namespace(pykorm.models.ClusterModel):
    pass


def _crd(plural: str, kind: str, scope: str, spec: dict[str, Any], status: bool = False) -> dict[str, Any]:
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {
            "openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": spec,
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                },
            }
        },
    }
    if status:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.pykorm.infomaniak.com"},
        "spec": {
            "group": "pykorm.infomaniak.com",
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
            "scope": scope,
            "versions": [version],
        },
    }


APPLE_CRD = _crd(
    "apples",
    "Apple",
    "Cluster",
    {
        "type": "object",
        "properties": {
            "variety": {"type": "string"},
            "score": {
                "type": "object",
                "properties": {"exterior": {"type": "integer"}, "delicious": {"type": "integer"}},
            },
            "seeds": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {"kind": {"type": "string"}, "weight": {"type": "integer", "minimum": 0}},
                },
            },
        },
    },
)
COUNTER_CRD = _crd(
    "counters", "Counter", "Namespaced", {"type": "object", "properties": {"count": {"type": "integer", "minimum": 0}}}
)


class Rating(pykorm.models.Nested):
    exterior: int | None = pykorm.fields.DataField("exterior", default=None)
    taste: int | None = pykorm.fields.DataField("taste", default=None)


class Check(pykorm.models.Nested):
    """An entry of a plant's list of checks: lookups through it hold per element (as on conditions)."""

    kind: str = pykorm.fields.DataField("kind")
    ok: bool | None = pykorm.fields.DataField("ok", default=None)


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "plants")
class Plant(pykorm.NamespacedModel):
    """The query tests' model: selectable fields, a nested object, lists (of strings, of objects), a bool."""

    variety: str = pykorm.fields.Spec("variety", selectable=True)
    price: int | None = pykorm.fields.Spec("price", default=None, selectable=True)
    rating: Rating | None = pykorm.fields.DictNestedField(Rating, path=["spec", "rating"], default=None)
    tags: list[str] = pykorm.fields.Spec("tags", default_factory=list)
    ripe: bool | None = pykorm.fields.Spec("ripe", default=None)
    checks: list[Check] = pykorm.fields.ListField(Check, path=["spec", "checks"])


PLANT_CRD = _crd(
    "plants",
    "Plant",
    "Namespaced",
    {
        "type": "object",
        "properties": {
            "variety": {"type": "string"},
            "price": {"type": "integer", "minimum": 0},
            "rating": {"type": "object", "properties": {"exterior": {"type": "integer"}, "taste": {"type": "integer"}}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "ripe": {"type": "boolean"},
            "checks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {"kind": {"type": "string"}, "ok": {"type": "boolean"}},
                },
            },
        },
    },
)
PLANT_CRD["spec"]["versions"][0]["selectableFields"] = [{"jsonPath": ".spec.variety"}, {"jsonPath": ".spec.price"}]
