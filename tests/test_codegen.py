"""Models from CRDs: CRD → generated module → CRD gives the same schema, and the module passes mypy --strict."""

from __future__ import annotations

import copy
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import pykorm
from pykorm._tools.cli import main
from pykorm._session.crd_install import load_manifests
from pykorm.testing import Cluster

from .conftest import Mypy
from .models import Apple, Counter, Peach, Plant

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CRDS = sorted((ROOT / "crds").glob("*.yaml"))
REAL_WORLD_CRDS = sorted((ROOT / "tests" / "crds").glob("*.yaml"))


# -- what "the same CRD" means --------------------------------------------------------------


def normalise(crd: dict[str, Any]) -> dict[str, Any]:
    """A CRD reduced to what it means, so that two CRDs that mean the same compare equal.

    What is dropped or filled in, and why:

    * ``metadata`` but its name, and ``status``: the server's, not the schema's.
    * What the API server fills in when absent: ``names.singular`` (the kind, lower case),
      ``names.listKind`` (``<Kind>List``), ``served``, ``conversion: {strategy: None}``,
      a column's ``priority: 0``, ``nullable: false``, ``deprecated: false``.
    * Order where it means nothing: versions (by name), ``required`` lists, ``shortNames``,
      ``categories``, ``selectableFields``. Order is kept where it means something: printer
      columns (the order ``kubectl get`` shows), ``enum`` values, properties' contents.
    * The wrappers at the top of the schema (``apiVersion``, ``kind``, ``metadata``, ``spec``,
      ``status``): their descriptions, the top ``required`` list and the sub-schema of
      ``metadata`` (which the API server replaces with its own). A model flattens ``spec``
      and ``status`` into fields (``Spec("secretName")``), so it holds no place for a
      description of ``spec`` itself; it requires ``spec`` when a field in it is required.

    Everything else must be equal: types, formats, properties, items, additionalProperties,
    required fields, enums, defaults, descriptions of fields and objects, every validation
    option, nullable, ``x-kubernetes-*`` extensions, subresources (status, scale), printer
    columns, selectable fields, names, scope, storage and deprecation of each version.
    """
    spec = copy.deepcopy(crd["spec"])
    names = spec["names"]
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", f"{names['kind']}List")
    for key in ("shortNames", "categories"):
        names[key] = sorted(names.get(key, ()))
    if spec.get("conversion", {}).get("strategy", "None") == "None":
        spec.pop("conversion", None)
    spec.pop("preserveUnknownFields", None)
    versions = []
    for version in sorted(spec["versions"], key=lambda v: v["name"]):
        version.setdefault("served", True)
        if not version.get("deprecated"):
            version.pop("deprecated", None)
        for column in version.get("additionalPrinterColumns", ()):
            if not column.get("priority"):
                column.pop("priority", None)
        version["selectableFields"] = sorted(version.get("selectableFields", ()), key=lambda f: f["jsonPath"])
        version["subresources"] = version.get("subresources") or {}
        top = version["schema"]["openAPIV3Schema"]
        top.pop("required", None)
        top["properties"]["metadata"] = {"type": "object"}
        for wrapper in ("apiVersion", "kind", "spec", "status"):
            top["properties"].get(wrapper, {}).pop("description", None)
        version["schema"]["openAPIV3Schema"] = _normalise_schema(top)
        versions.append(version)
    spec["versions"] = versions
    return {"name": crd["metadata"]["name"], "spec": spec}


def _normalise_schema(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_normalise_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _normalise_schema(v) for k, v in schema.items() if k not in ("required", "enum", "default")}
    for key in ("enum", "default"):
        if key in schema:
            out[key] = schema[key]  # values, not schemas
    if schema.get("required"):
        out["required"] = sorted(schema["required"])
    if schema.get("nullable") is False:
        del out["nullable"]
    return out


# -- helpers ------------------------------------------------------------------------------


def generated_module(source: str, name: str) -> types.ModuleType:
    """The generated source as an imported module (type hints resolve through sys.modules)."""
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def models_of(module: types.ModuleType) -> list[type]:
    return [v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, pykorm.Model) and v.__resource__ is not None]


def round_trip(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    module = generated_module(pykorm.model_source(manifest), name)
    regenerated = pykorm.crds(*models_of(module))
    assert len(regenerated) == 1
    return regenerated[0]


def crd_id(path: Path) -> str:
    return path.stem


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_CRDS + REAL_WORLD_CRDS, ids=crd_id)
def test_crd_to_models_to_crd_gives_the_same_schema(path: Path) -> None:
    original = load_manifests(path)[0]

    regenerated = round_trip(original, f"generated_{path.stem.replace('.', '_')}")

    assert normalise(regenerated) == normalise(original)


@pytest.mark.parametrize("model", [Peach, Apple, Counter, Plant], ids=lambda m: m.__name__)
def test_the_test_models_round_trip_too(model: type) -> None:
    original = pykorm.crd(model)

    assert normalise(round_trip(original, f"generated_{model.__name__.lower()}")) == normalise(original)


def test_the_normalisation_still_tells_different_schemas_apart() -> None:
    original = load_manifests(REAL_WORLD_CRDS[0])[0]
    for change in (
        lambda s: s["properties"]["spec"]["properties"]["duration"].update(default="90d"),
        lambda s: s["properties"]["spec"]["properties"]["issuerRef"]["required"].clear(),
        lambda s: s["properties"]["spec"]["properties"]["dnsNames"]["items"].update(pattern="^x$"),
        lambda s: s["properties"]["spec"]["properties"]["privateKey"]["properties"]["size"].update(maximum=1),
        lambda s: s["properties"]["spec"]["properties"]["isCA"].update(description="new"),
    ):
        changed = copy.deepcopy(original)
        change(changed["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
        assert normalise(changed) != normalise(original)


def test_generated_models_read_like_hand_written_ones() -> None:
    source = pykorm.model_source(load_manifests(ROOT / "tests/crds/certificates.certs.pykorm.io.yaml")[0])

    assert '@pykorm.k8s_custom_object("certs.pykorm.io", "v1", "certificates")' in source
    assert "class Certificate(pykorm.NamespacedModel):" in source
    assert 'kind="Certificate")\nclass CertificateV1beta1(pykorm.NamespacedModel):' in source
    assert '    secret_name: str = Spec(\n        "secretName",\n        required=True,' in source
    assert 'kind: Literal["Issuer", "ClusterIssuer"] = DataField("kind", default="Issuer")' in source
    assert 'name: str = DataField("name", required=True, selectable=True)' in source  # a selectable nested field
    assert 'conditions: list[Condition] = ListField(\n        Condition,\n        "status.conditions",' in source
    assert "short_names = (\"cert\", \"certs\")" in source


def test_what_a_model_cannot_carry_is_named_in_a_comment() -> None:
    crd = pykorm.crd(Counter)
    count = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["count"]
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["sizes"] = {
        "type": "array", "items": {"type": "integer", "description": "one size", "default": 1},
    }
    count["example"] = 3

    source = pykorm.model_source(crd)

    assert "    # not carried over from the CRD: example\n    count: int = Spec(" in source
    assert "# not carried over from the CRD: items.description, items.default\n    sizes:" in source


def test_the_generated_modules_pass_mypy_strict(tmp_path: Path, mypy: Mypy) -> None:
    targets = []
    for path in EXAMPLE_CRDS + REAL_WORLD_CRDS:
        target = tmp_path / f"generated_{path.stem.replace('.', '_')}.py"
        target.write_text(pykorm.model_source(*load_manifests(path)))
        targets.append(str(target))

    result = mypy(*targets)

    assert result.returncode == 0, result.stdout + result.stderr


def test_pykorm_model_prints_the_module(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "tests/crds/clusters.db.pykorm.io.yaml"

    assert main(["model", str(path)]) == 0

    assert capsys.readouterr().out == pykorm.model_source(*load_manifests(path))


def test_pykorm_model_refuses_a_file_without_a_crd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "configmap.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")

    assert main(["model", str(path)]) == 1

    assert "expected a named CustomResourceDefinition, found a ConfigMap" in capsys.readouterr().err


# -- against the API server ------------------------------------------------------------------


@pytest.mark.parametrize("path", REAL_WORLD_CRDS, ids=crd_id)
def test_the_real_world_crds_and_their_round_trips_are_accepted_and_served(k8s_cluster: Cluster, path: Path) -> None:
    """The hand-written CRDs are valid, and so is what the generated models give back."""
    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    original = load_manifests(path)[0]
    regenerated = round_trip(original, f"served_{path.stem.replace('.', '_')}")
    try:
        for manifest in (original, regenerated):
            installed = pk.install_crds(manifest, timeout=60)[0]
            conditions = {c["type"]: c["status"] for c in installed["status"]["conditions"]}
            assert conditions["Established"] == "True"
            assert normalise({**installed, "spec": installed["spec"]}) == normalise(original)
    finally:
        pk.transport().request("DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{original['metadata']['name']}")
        pk.close()
