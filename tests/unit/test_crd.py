"""CRD generation, a pure function: names, Meta options, subresources, columns, selectable fields, versions."""

from __future__ import annotations

import datetime
import enum
from typing import Any, Literal

import pytest

import pykorm
from pykorm.fields import DataField, DictNestedField, ListField, MetadataAnnotation, Spec, Status

from ..models import Apple, ConfigMap, Peach

pytestmark = pytest.mark.unit  # pure functions of model classes: no control plane

GROUP = "crd.pykorm.io"


class Mood(str, enum.Enum):
    CALM = "calm"


class Ref(pykorm.Nested):
    name: str = DataField("name", selectable=True, printer_column="Ref")


def version_of(model: type, index: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = pykorm.crd(model)["spec"]["versions"][index]
    return result


def test_names_scope_and_metadata() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "widgets")
    class Widget(pykorm.ClusterModel):
        class Meta:
            singular = "wdgt"
            short_names = ["wd"]
            categories = ("all", "gadgets")

        size: int = Spec("size", default=1)

    manifest = pykorm.crd(Widget)

    assert manifest["apiVersion"] == "apiextensions.k8s.io/v1"
    assert manifest["kind"] == "CustomResourceDefinition"
    assert manifest["metadata"] == {"name": f"widgets.{GROUP}"}
    assert manifest["spec"]["group"] == GROUP
    assert manifest["spec"]["scope"] == "Cluster"
    assert manifest["spec"]["names"] == {
        "kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "wdgt",
        "shortNames": ["wd"], "categories": ["all", "gadgets"],
    }
    assert version_of(Widget)["name"] == "v1" and version_of(Widget)["served"] and version_of(Widget)["storage"]


def test_the_peach_has_the_crd_the_tests_rely_on() -> None:
    version = version_of(Peach)
    assert pykorm.crd(Peach)["spec"]["scope"] == "Namespaced"
    assert version["subresources"] == {"status": {}}
    assert version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"] == {
        "variety": {"type": "string"}, "price": {"type": "integer"},
    }


def test_the_description_is_the_docstrings_first_paragraph_unless_meta_says() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "notes")
    class Note(pykorm.NamespacedModel):
        """A note,
        on two lines.

        Details nobody reads.
        """

    @pykorm.k8s_custom_object(GROUP, "v1", "memos")
    class Memo(Note):
        class Meta:
            description = "A memo."

    @pykorm.k8s_custom_object(GROUP, "v1", "drafts")
    class Draft(Note):
        pass

    assert version_of(Note)["schema"]["openAPIV3Schema"]["description"] == "A note, on two lines."
    assert version_of(Memo)["schema"]["openAPIV3Schema"]["description"] == "A memo."
    assert "description" not in version_of(Draft)["schema"]["openAPIV3Schema"]  # docstrings are not inherited


def test_meta_is_read_from_the_model_itself_and_checked() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "bases")
    class Base(pykorm.NamespacedModel):
        class Meta:
            short_names = ("b",)

    @pykorm.k8s_custom_object(GROUP, "v1", "derivatives")
    class Derived(Base):
        pass

    @pykorm.k8s_custom_object(GROUP, "v1", "typos")
    class Typo(pykorm.NamespacedModel):
        class Meta:
            shortnames = ("t",)

    assert "shortNames" not in pykorm.crd(Derived)["spec"]["names"]
    with pytest.raises(TypeError, match=r"Typo.Meta: unknown option 'shortnames'; options are: categories, "):
        pykorm.crd(Typo)


def test_status_subresource_when_a_field_is_under_status_or_meta_says() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "plain")
    class Plain(pykorm.NamespacedModel):
        size: int = Spec("size", default=1)

    @pykorm.k8s_custom_object(GROUP, "v1", "forced")
    class Forced(Plain):
        class Meta:
            status_subresource = True

    @pykorm.k8s_custom_object(GROUP, "v1", "inline")
    class Inline(pykorm.NamespacedModel):
        class Meta:
            status_subresource = False

        ready: bool | None = Status("ready", default=None)

    assert "subresources" not in version_of(Plain)
    assert version_of(Forced)["subresources"] == {"status": {}}
    assert "subresources" not in version_of(Inline)


def test_scale_names_fields_or_json_paths() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "pools")
    class Pool(pykorm.NamespacedModel):
        class Meta:
            scale = {"spec_replicas": "size", "status_replicas": ".status.ready", "label_selector": "selector"}

        size: int = Spec("size", default=1)
        ready: int | None = Status("ready", default=None)
        selector: str | None = Status("selector", default=None)

    assert version_of(Pool)["subresources"] == {
        "status": {},
        "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.ready", "labelSelectorPath": ".status.selector"},
    }


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ({"spec_replicas": "size"}, r" needs spec_replicas and status_replicas"),
        ({"spec_replicas": "size", "status_replicas": "nope"}, r"\['status_replicas'\]: 'nope' is neither a field nor"),
    ],
)
def test_a_wrong_scale_is_a_clear_error(scale: dict[str, str], message: str) -> None:
    meta = type("Meta", (), {"scale": scale})
    model = type("Pool", (pykorm.NamespacedModel,), {"Meta": meta, "__annotations__": {"size": "int"}, "size": Spec("size")})
    model = pykorm.k8s_custom_object(GROUP, "v1", "pools")(model)

    with pytest.raises(TypeError, match=r"Pool.Meta.scale" + message):
        pykorm.crd(model)


def test_printer_columns_from_fields_then_meta() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "jobs")
    class Job(pykorm.NamespacedModel):
        class Meta:
            printer_columns = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]

        owner: str | None = MetadataAnnotation("example.com/owner", default=None, printer_column=True)
        max_retries: int = Spec("maxRetries", default=3, printer_column=True, description="Retries left.")
        ratio: float | None = Spec("ratio", default=None, printer_column=True)
        done: bool | None = Status("done", default=None, printer_column="Done?")
        started: datetime.datetime | None = Status("started", default=None, printer_column=True)
        mood: Mood | None = Spec("mood", default=None, printer_column=True)
        level: Literal[1, 2] | None = Spec("level", default=None, printer_column=True)
        ref: Ref | None = DictNestedField(Ref, "spec.ref", default=None)

    assert version_of(Job)["additionalPrinterColumns"] == [
        {"name": "Owner", "type": "string", "jsonPath": ".metadata.annotations.example\\.com/owner"},
        {"name": "Max Retries", "type": "integer", "jsonPath": ".spec.maxRetries", "description": "Retries left."},
        {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"},
        {"name": "Done?", "type": "boolean", "jsonPath": ".status.done"},
        {"name": "Started", "type": "date", "jsonPath": ".status.started"},
        {"name": "Mood", "type": "string", "jsonPath": ".spec.mood"},
        {"name": "Level", "type": "integer", "jsonPath": ".spec.level"},
        {"name": "Ref", "type": "string", "jsonPath": ".spec.ref.name"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]


def test_selectable_fields_including_nested_ones() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "routes")
    class Route(pykorm.NamespacedModel):
        host: str = Spec("host", selectable=True)
        port: int | None = Spec("port", default=None, selectable=True)
        mood: Mood | None = Spec("mood", default=None, selectable=True)
        ref: Ref | None = DictNestedField(Ref, "spec.ref", default=None)

    assert version_of(Route)["selectableFields"] == [
        {"jsonPath": ".spec.host"}, {"jsonPath": ".spec.port"}, {"jsonPath": ".spec.mood"}, {"jsonPath": ".spec.ref.name"},
    ]


def test_a_field_that_cannot_be_selectable_is_a_clear_error() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "lists")
    class Listing(pykorm.NamespacedModel):
        tags: list[str] = Spec("tags", default_factory=list, selectable=True)

    with pytest.raises(TypeError, match=r"Listing.tags: a selectable field must be a string, integer, boolean or enum"):
        pykorm.crd(Listing)


# -- versions ------------------------------------------------------------------------------


@pykorm.k8s_custom_object(GROUP, "v1", "gizmos")
class GizmoV1(pykorm.NamespacedModel):
    class Meta:
        short_names = ("gz",)
        deprecated = "crd.pykorm.io/v1 Gizmo is deprecated; use v2"

    size: int = Spec("size", default=1)


@pykorm.k8s_custom_object(GROUP, "v2", "gizmos", kind="GizmoV1")
class GizmoV2(pykorm.NamespacedModel):
    class Meta:
        storage = True

    size: int = Spec("size", default=1)
    colour: str | None = Spec("colour", default=None)


@pykorm.k8s_custom_object(GROUP, "v3alpha1", "gizmos", kind="GizmoV1")
class GizmoV3(pykorm.NamespacedModel):
    class Meta:
        served = False


def test_several_versions_make_one_crd_with_one_storage_version() -> None:
    manifest = pykorm.crd(GizmoV1, GizmoV2, GizmoV3)
    versions = {v["name"]: v for v in manifest["spec"]["versions"]}

    assert list(versions) == ["v1", "v2", "v3alpha1"]
    assert [versions[v]["storage"] for v in versions] == [False, True, False]
    assert versions["v1"]["deprecated"] is True
    assert versions["v1"]["deprecationWarning"] == "crd.pykorm.io/v1 Gizmo is deprecated; use v2"
    assert versions["v3alpha1"]["served"] is False
    assert "colour" in versions["v2"]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert manifest["spec"]["names"]["shortNames"] == ["gz"]  # one version's Meta names the resource


def test_without_meta_storage_the_first_version_is_stored() -> None:
    assert [v["storage"] for v in pykorm.crd(GizmoV1, GizmoV3)["spec"]["versions"]] == [True, False]


def test_versions_that_disagree_are_refused() -> None:
    @pykorm.k8s_custom_object(GROUP, "v4", "gizmos", kind="GizmoV1")
    class GizmoV4(pykorm.NamespacedModel):
        class Meta:
            storage = True
            short_names = ("gzm",)

    with pytest.raises(TypeError, match=r"only one version can be stored; Meta.storage is True in GizmoV2, GizmoV4"):
        pykorm.crd(GizmoV2, GizmoV4)
    with pytest.raises(TypeError, match=r"the versions disagree on Meta.short_names"):
        pykorm.crd(GizmoV1, GizmoV4)
    with pytest.raises(TypeError, match=r"two models have the same version"):
        pykorm.crd(GizmoV1, GizmoV1)
    with pytest.raises(TypeError, match=r"Peach .* is not a version of GizmoV1 .*; use crds\(\) for several resources"):
        pykorm.crd(GizmoV1, Peach)


def test_crds_groups_models_by_resource() -> None:
    manifests = pykorm.crds(GizmoV1, Peach, GizmoV2)

    assert [m["metadata"]["name"] for m in manifests] == [f"gizmos.{GROUP}", "peaches.pykorm.infomaniak.com"]
    assert [v["name"] for v in manifests[0]["spec"]["versions"]] == ["v1", "v2"]


def test_models_without_a_crd_are_refused() -> None:
    class Unbound(pykorm.NamespacedModel):
        pass

    with pytest.raises(TypeError, match="ConfigMap is a built-in ConfigMap, not a custom resource: it has no CRD"):
        pykorm.crd(ConfigMap)
    with pytest.raises(TypeError, match="Unbound is not bound to a Kubernetes resource"):
        pykorm.crd(Unbound)
    with pytest.raises(TypeError, match="at least one model"):
        pykorm.crd()


def test_a_list_field_of_nested_objects_is_not_walked_for_columns() -> None:
    @pykorm.k8s_custom_object(GROUP, "v1", "fleets")
    class Fleet(pykorm.NamespacedModel):
        refs: list[Ref] = ListField(Ref, "spec.refs")

    assert "additionalPrinterColumns" not in version_of(Fleet)
    assert "selectableFields" not in version_of(Fleet)


def test_a_crd_schema_and_its_published_form_declare_the_same_fields() -> None:
    """install_crds compares a replaced CRD's fields with the group version's OpenAPI v3 document: the server
    publishes the schema with the envelope added (metadata as an allOf reference)."""
    from pykorm._schema.openapi import crd_version_schema, declared_fields

    crd = pykorm.crd(Apple)
    schema = crd_version_schema(crd, crd["spec"]["versions"][0]["name"])
    assert schema is not None
    published = {**schema, "properties": {
        **schema["properties"], "apiVersion": {"type": "string"}, "kind": {"type": "string"},
        "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]}}}
    fields = declared_fields(schema)
    assert declared_fields(published) == fields and ("spec", "seeds", "[]", "kind") in fields
    more = {**schema, "properties": {**schema["properties"], "spec": {
        **schema["properties"]["spec"], "properties": {**schema["properties"]["spec"]["properties"], "colour": {"type": "string"}}}}}
    assert declared_fields(more) - fields == {("spec", "colour")}
    assert ("status", "...") in declared_fields({"properties": {"status": {"x-kubernetes-preserve-unknown-fields": True}}})
