"""Offline tests of the pure parts behind pykorm.k8s: the generator, the planner's rule for built-in
selectors, manifests, pages, adopt's checks and the subresources' arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pykorm
from pykorm._base.drive import run
from pykorm._tools.k8s_codegen import K8sInputs, k8s_sources
from pykorm._session.manifests import manifest_files, manifest_objects
from pykorm._session.pages import read_page
from pykorm._select.plan import Plan
from pykorm._data.stored import adopt
from pykorm._session.subresources import log_params, scale_from, scale_patch
from pykorm.k8s import ConfigMap, Namespace, Node, Pod, Secret

pytestmark = pytest.mark.unit

META = "io.k8s.apimachinery.pkg.apis.meta.v1."


def ref(name: str) -> dict[str, Any]:
    return {"allOf": [{"$ref": f"#/components/schemas/{name}"}], "default": {}}


DOCUMENT = {"components": {"schemas": {
    "io.k8s.api.apps.v1.Widget": {
        "type": "object", "x-kubernetes-group-version-kind": [{"group": "apps", "version": "v1", "kind": "Widget"}],
        "description": "Widget is a test kind. It has a spec.",
        "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": ref(META + "ObjectMeta"),
                       "spec": ref("io.k8s.api.apps.v1.WidgetSpec")},
    },
    "io.k8s.api.apps.v1.WidgetSpec": {
        "type": "object", "required": ["size", "template"],
        "properties": {
            "size": ref("io.k8s.apimachinery.pkg.api.resource.Quantity"),
            "port": ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString"),
            "since": ref(META + "Time"),
            "policy": {"type": "string", "enum": ["Always", "Never"]},
            "template": ref("io.k8s.api.core.v1.PodTemplateSpec"),
            "owners": {"type": "array", "items": ref(META + "OwnerReference")},
            "limits": {"type": "object", "additionalProperties": ref("io.k8s.apimachinery.pkg.api.resource.Quantity")},
            "class": {"type": "string"},
        },
    },
    "io.k8s.api.core.v1.PodTemplateSpec": {"type": "object", "properties": {"labels": {"type": "object",
                                           "additionalProperties": {"type": "string"}}}},
    META + "ObjectMeta": {"type": "object", "properties": {"name": {"type": "string"}}},
    META + "OwnerReference": {"type": "object", "properties": {"uid": {"type": "string"}}},
    META + "Time": {"type": "string", "format": "date-time"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
}}}


def test_the_generator_maps_refs_to_nested_classes_and_kubernetes_types_to_python() -> None:
    inputs = K8sInputs({"apps/v1": DOCUMENT}, {("apps/v1", "Widget"): ("widgets", True)},
                       {("apps/v1", "Widget"): ("spec.policy",)})

    sources = k8s_sources(inputs, [("apps", "v1", "Widget")])

    apps = sources["apps_v1.py"]
    assert sorted(sources) == ["__init__.py", "apps_v1.py", "core_v1.py"]  # ObjectMeta is the model's own metadata
    assert '@k8s_resource("apps", "v1", "widgets", kind="Widget", selectable=("spec.policy",))' in apps
    assert 'class Widget(NamespacedModel):\n    """Widget is a test kind."""' in apps
    assert 'spec: WidgetSpec | None = DataField("spec", default=None)' in apps
    assert 'size: str = DataField("size", required=True, allow_empty=True)' in apps
    assert 'port: int | str | None = DataField("port", default=None)' in apps
    assert 'since: datetime.datetime | None' in apps and 'policy: str | None' in apps  # enums stay open
    assert 'template: PodTemplateSpec = DataField("template", required=True)' in apps
    assert 'owners: list[OwnerReference] | None' in apps and "from .._data.owners import OwnerReference" in apps
    assert "from ..models._model import NamespacedModel, Nested, k8s_resource" in apps
    assert 'limits: dict[str, str] | None' in apps and 'class_: str | None = DataField("class"' in apps
    assert "from .core_v1 import PodTemplateSpec" in apps
    namespace: dict[str, Any] = {}
    for module in ("core_v1", "apps_v1"):  # the generated code runs
        exec(compile(sources[f"{module}.py"].replace("from .", "from pykorm.k8s.").replace("from pykorm.k8s..", "from pykorm."),
                     module, "exec"), namespace)
    widget = namespace["Widget"](name="w", spec=namespace["WidgetSpec"](size="1Gi", template={"labels": {"a": "b"}}, port=80))
    assert widget.to_dict()["spec"] == {"size": "1Gi", "template": {"labels": {"a": "b"}}, "port": 80}


def test_built_in_selectors_see_an_absent_field_as_its_zero_value_so_false_and_zero_stay_in_python() -> None:
    assert Node.query.filter(spec__unschedulable=True).explain().field_selector == "spec.unschedulable=true"
    assert Node.query.filter(spec__unschedulable=False).explain().field_selector is None
    assert Pod.query.filter(status__phase="").explain().field_selector is None
    assert Pod.query.filter(status__phase__in=["Running"]).explain().field_selector is None
    assert Secret.query.filter(type="kubernetes.io/tls").explain().field_selector == "type=kubernetes.io/tls"
    # "!=" is the complement of "=" on every object: exact wherever "=" is (issue #20), kept in Python where not
    assert Pod.query.exclude(status__phase="Running").explain().field_selector == "status.phase!=Running"
    assert Pod.query.exclude(status__phase="Running").explain().fully_pushed
    assert Node.query.exclude(spec__unschedulable=True).explain().field_selector == "spec.unschedulable!=true"
    assert Node.query.exclude(spec__unschedulable=False).explain().field_selector is None
    assert Pod.query.exclude(status__phase="").explain().field_selector is None


def test_manifests_come_namespaces_first_lists_flattened_and_each_object_named() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n---\n" \
           "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: n}}\n---\n"

    assert [o["kind"] for o in manifest_objects(text)] == ["Namespace", "ConfigMap"]
    assert manifest_objects([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}])[0]["kind"] == "Secret"
    for bad in ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "/no/such/file.yaml", "kind: [", 3):
        with pytest.raises(pykorm.ClientValidationError):
            manifest_objects(bad)  # type: ignore[arg-type]


def test_a_folder_of_manifests_is_read_as_kubectl_reads_it(tmp_path: Path) -> None:
    def cm(name: str) -> str:
        return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"

    for name, text in {"b.yaml": cm("b"), "a.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}',
                       "c.yml": cm("c"), "C.YAML": "not: [read", "d.txt": "not: [read", "sub/e.yaml": cm("e"),
                       "sub/x/f.yaml": cm("f"), "a-sub/g.yaml": cm("g")}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    assert [p.name for p in manifest_files(tmp_path)] == ["a.json", "b.yaml", "c.yml"]
    assert [str(p.relative_to(tmp_path)) for p in manifest_files(tmp_path, recursive=True)] == [
        "a-sub/g.yaml", "a.json", "b.yaml", "c.yml", "sub/e.yaml", "sub/x/f.yaml"]
    assert [o["metadata"]["name"] for o in manifest_objects(tmp_path)] == ["a", "b", "c"]
    assert [o["metadata"]["name"] for o in manifest_objects([str(tmp_path / "sub")], recursive=True)] == ["e", "f"]
    (tmp_path / "outer" / "inner").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / "x.yaml").write_text(cm("x"))
    with pytest.raises(pykorm.ClientValidationError, match="recursive=True"):
        manifest_objects(tmp_path / "outer")                           # its manifests are all in a subfolder
    assert [o["metadata"]["name"] for o in manifest_objects(tmp_path / "outer", recursive=True)] == ["x"]


def test_page_arguments_are_checked_before_anything_is_sent() -> None:
    def request(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing may be sent")

    resource = ConfigMap.__resource__
    assert resource is not None
    for size, token in ((0, None), (True, None), (10, ""), (10, 3)):
        with pytest.raises(ValueError):
            run(read_page(request, resource, Plan(), size, token, lambda raw: raw))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one namespace"):
        run(read_page(request, resource, Plan(namespaces=("a", "b")), 10, None, lambda raw: raw))
    assert run(read_page(request, resource, Plan(empty=True), 10, None, lambda raw: raw)).items == []


def test_adopt_refuses_what_the_garbage_collector_would_get_wrong() -> None:
    owner = ConfigMap._from_server({"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "o", "namespace": "a", "uid": "u1", "resourceVersion": "1"}})
    with pytest.raises(pykorm.ClientValidationError, match="saved first"):
        adopt(Secret(name="s"), ConfigMap(namespace="a", name="new"))
    with pytest.raises(pykorm.ClientValidationError, match="cluster-scoped or in the child's namespace"):
        adopt(Namespace(name="n"), owner)
    child = Secret(name="s")
    adopt(child, owner, controller=False)
    adopt(child, owner, controller=True)  # the same owner again: replaced, not added
    assert child.namespace == "a" and [(r.uid, r.controller) for r in child.owner_references or []] == [("u1", True)]


def test_subresource_arguments() -> None:
    assert scale_patch(3) == {"spec": {"replicas": 3}}
    for bad in (-1, True, 1.5, "2"):
        with pytest.raises(ValueError):
            scale_patch(bad)  # type: ignore[arg-type]
    assert scale_from({"spec": {}, "status": {"replicas": 2, "selector": "a=b"}}).replicas == 0
    assert log_params("c", 5, None, True, False) == {"container": "c", "tailLines": 5, "sinceSeconds": None,
                                                     "previous": "true", "follow": None}
    with pytest.raises(ValueError):
        log_params(None, None, -3, False, False)


def test_what_an_older_release_lacks_is_said_in_the_generated_docstrings() -> None:
    from pykorm._base.versions import KUBERNETES_VERSION, minor_of

    spec, template = "io.k8s.api.apps.v1.WidgetSpec", "io.k8s.api.core.v1.PodTemplateSpec"
    widget = "io.k8s.api.apps.v1.Widget"
    older = {  # 1.35 lacks `port` and `policy` and the template's class; 1.36 lacks `policy` only
        "v1.35.4": {widget: ["apiVersion", "kind", "metadata", "spec"],
                    spec: ["class", "limits", "owners", "since", "size", "template"]},
        "v1.36.3": {widget: ["apiVersion", "kind", "metadata", "spec"], template: ["labels"],
                    spec: ["class", "limits", "owners", "port", "since", "size", "template"]},
    }
    inputs = K8sInputs({"apps/v1": DOCUMENT}, {("apps/v1", "Widget"): ("widgets", True)}, {}, older)

    sources = k8s_sources(inputs, [("apps", "v1", "Widget")])

    newest = minor_of(KUBERNETES_VERSION)
    apps, core = sources["apps_v1.py"], sources["core_v1.py"]
    assert ('    port: int | str | None = DataField("port", default=None)\n'
            '    """Not served by Kubernetes 1.35 (new in 1.36)."""\n') in apps
    assert ('    policy: str | None = DataField("policy", default=None)\n'
            f'    """Not served by Kubernetes 1.35 or 1.36 (new in {newest})."""\n') in apps
    assert apps.count("Not served") == 2  # the fields every release serves say nothing
    assert 'class PodTemplateSpec(Nested):\n    """Not served by Kubernetes 1.35 (new in 1.36)."""\n\n    labels' in core
    assert "Not served" not in k8s_sources(K8sInputs({"apps/v1": DOCUMENT}, {("apps/v1", "Widget"): ("widgets", True)},
                                                     {}), [("apps", "v1", "Widget")])["apps_v1.py"]


def test_every_served_kind_is_generated_a_kind_named_by_another_stays_a_model_and_names_go_to_the_first() -> None:
    """Two versions of one group and two groups with a kind of one name: each kind is a model, in
    MODELS by apiVersion; the top-level name is the first kind's in inputs.kinds (core, then preferred)."""
    document = {"components": {"schemas": {
        **DOCUMENT["components"]["schemas"],  # type: ignore[index]
        "io.k8s.api.apps.v1.Gadget": {  # a kind whose field names another kind (Widget): Widget stays a model
            "type": "object", "x-kubernetes-group-version-kind": [{"group": "apps", "version": "v1", "kind": "Gadget"}],
            "properties": {"inner": ref("io.k8s.api.apps.v1.Widget")}},
    }}}
    v2 = {"components": {"schemas": {
        "io.k8s.api.apps.v2.Widget": {
            "type": "object", "x-kubernetes-group-version-kind": [{"group": "apps", "version": "v2", "kind": "Widget"}],
            "properties": {"bool": {"type": "boolean"}, "int": {"type": "integer"}, "ints": {"type": "array", "items": {"type": "integer"}},
                           "title": {"type": "string"}}}}}}
    kinds = [("apps", "v1", "Gadget"), ("apps", "v1", "Widget"), ("apps", "v2", "Widget")]
    inputs = K8sInputs({"apps/v1": document, "apps/v2": v2},
                       {("apps/v1", "Gadget"): ("gadgets", False), ("apps/v1", "Widget"): ("widgets", True),
                        ("apps/v2", "Widget"): ("widgets", True)}, {}, kinds=kinds)

    sources = k8s_sources(inputs)

    assert '@k8s_resource("apps", "v1", "widgets", kind="Widget")\nclass Widget(NamespacedModel)' in sources["apps_v1.py"]
    assert "class Gadget(ClusterModel)" in sources["apps_v1.py"] and "inner: Widget | None" in sources["apps_v1.py"]
    # fields named as builtins: annotations name the builtin types, which the field names would hide in the class body
    assert 'bool: builtins.bool | None = DataField("bool"' in sources["apps_v2.py"]
    assert 'ints: list[builtins.int] | None' in sources["apps_v2.py"] and "title: str | None" in sources["apps_v2.py"]
    assert "import builtins" in sources["apps_v2.py"]
    package = sources["__init__.py"]
    assert '    "Widget": "apps_v1",' in package and '    ("apps/v2", "Widget"): ("apps_v2", "Widget"),' in package
    assert "if TYPE_CHECKING:\n    from . import apps_v1, apps_v2, core_v1" in package
    assert "if not TYPE_CHECKING:" in package  # the module __getattr__ is hidden from checkers: a typo stays an error
    namespace: dict[str, Any] = {}
    exec(compile(sources["apps_v2.py"].replace("from ..", "from pykorm."), "apps_v2", "exec"), namespace)
    widget = namespace["Widget"](name="w", bool=True, ints=[1])
    assert widget.bool is True and widget.int is None
    assert {k: v for k, v in widget.to_dict().items() if k != "metadata"} == {"apiVersion": "apps/v2", "kind": "Widget",
                                                                             "bool": True, "ints": [1]}


def test_import_pykorm_k8s_loads_no_group_until_a_name_of_it_is_used() -> None:
    code = ("import sys, pykorm.k8s as k\n"
            "loaded = lambda: sorted(m for m in sys.modules if m.startswith('pykorm.k8s.') and m != 'pykorm.k8s._build')\n"
            "print(loaded()); k.Deployment; print(loaded())\n"
            "from pykorm.k8s import CustomResourceDefinition; print(loaded()[0])\n"
            "print(k.model_of('autoscaling/v1', 'HorizontalPodAutoscaler').__module__, k.HorizontalPodAutoscaler.__module__)\n"
            "print(k.model_of('v1', 'Nothing'), 'Deployment' in dir(k))\n"
            "try:\n    k.Deploymnt\nexcept AttributeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()

    assert out[0] == "[]"
    assert out[1] == "['pykorm.k8s.apps_v1', 'pykorm.k8s.core_v1', 'pykorm.k8s.meta_v1']"
    assert out[2] == "pykorm.k8s.apiextensions_v1"
    assert out[3] == "pykorm.k8s.autoscaling_v1 pykorm.k8s.autoscaling_v2"
    assert out[4] == "None True"
    assert out[5] == "module 'pykorm.k8s' has no attribute 'Deploymnt'"
