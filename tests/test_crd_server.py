"""Generated CRDs against the API server: accepted, enforced, and enforced as pykorm checks before sending.

Each bad object goes twice through the same judgement: raw to the API server
(``Transport.request`` with a dict body, so no pykorm check runs; ``dryRun=All``)
and through pykorm's client-side validation. Both must find the same field paths.
"""

from __future__ import annotations

import copy
import json
import secrets
from pathlib import Path
from typing import Any, Iterator

import kubernetes
import pytest

import pykorm
from pykorm._tools.cli import load_models, main
from pykorm._session.crd_install import load_manifests
from pykorm._http.transport import MERGE_PATCH, Transport
from pykorm._schema.validation import validate
from pykorm.testing import Cluster, install_crds

from . import models as test_models
from .witness import official_client

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [str(ROOT / "examples" / "quickstart.py"), str(ROOT / "examples" / "models.py")]
Database, Tenant = load_models([f"{EXAMPLES[1]}:Database", f"{EXAMPLES[1]}:Tenant"])
(Peach,) = load_models([f"{EXAMPLES[0]}:Peach"])
TEST_MODELS = (test_models.Apple, test_models.Counter, test_models.Plant)
REGROUPED = "generated.pykorm.io"  # the test models' generated CRDs, beside the hand-written ones the session uses


def regrouped(manifest: dict[str, Any]) -> dict[str, Any]:
    manifest = copy.deepcopy(manifest)
    manifest["spec"]["group"] = REGROUPED
    manifest["metadata"]["name"] = f"{manifest['spec']['names']['plural']}.{REGROUPED}"
    return manifest


@pytest.fixture(scope="module")
def installed(k8s_cluster: Cluster) -> list[dict[str, Any]]:
    """Every generated CRD (example models and test models), as the API server holds it once served."""
    manifests = pykorm.crds(Peach, Database, Tenant) + [regrouped(pykorm.crd(m)) for m in TEST_MODELS]
    return install_crds(k8s_cluster, *manifests)


@pytest.fixture
def transport(k8s_cluster: Cluster, installed: list[dict[str, Any]]) -> Transport:
    return k8s_cluster.transport()


def test_every_generated_crd_is_accepted_and_established(installed: list[dict[str, Any]]) -> None:
    assert sorted(crd["metadata"]["name"] for crd in installed) == [
        f"apples.{REGROUPED}", f"counters.{REGROUPED}", "databases.examples.pykorm.io",
        "peaches.pykorm.infomaniak.com", f"plants.{REGROUPED}", "tenants.examples.pykorm.io",
    ]
    for crd in installed:
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions["Established"] == "True" and conditions["NamesAccepted"] == "True", crd["metadata"]["name"]


# -- the server enforces the schema, pykorm checks the same ------------------------------------

DB = {"engine": "postgres", "version": "16"}
CASES: list[tuple[str, type, dict[str, Any] | None, set[str]]] = [
    ("wrong types", Database, {**DB, "storageGB": "ten", "instances": True, "parameters": {"max_connections": 100},
                               "replicas": [{"region": "eu", "readOnly": "yes"}], "backup": "daily"},
     {"spec.storageGB", "spec.instances", "spec.parameters.max_connections", "spec.replicas[0].readOnly", "spec.backup"}),
    ("missing required fields", Database, {"version": "16", "replicas": [{"readOnly": True}], "backup": {"retentionDays": 3}},
     {"spec.engine", "spec.replicas[0].region", "spec.backup.schedule"}),
    ("no spec at all", Database, None, {"spec"}),
    ("out of range", Database, {**DB, "storageGB": 0, "instances": 10, "backup": {"schedule": "0 3 * * *", "retentionDays": 400}},
     {"spec.storageGB", "spec.instances", "spec.backup.retentionDays"}),
    ("not in an enum", Database, {**DB, "engine": "oracle", "tier": "gold"}, {"spec.engine", "spec.tier"}),
    ("too long, too many", Database, {**DB, "replicas": [{"region": "x" * 33}] + [{"region": "eu"}] * 5, "extensions": ["a"] * 21},
     {"spec.replicas[0].region", "spec.replicas", "spec.extensions"}),
    ("patterns, empty required string", Database, {**DB, "version": "", "extensions": ["Bad-Ext"], "backup": {"schedule": "daily"}},
     {"spec.version", "spec.extensions[0]", "spec.backup.schedule"}),
    ("cluster-scoped model", Tenant, {"displayName": "x" * 64, "contact": "nobody", "plan": "gold", "suspended": "no",
                                      "quota": {"cpu": 0, "memoryGB": "8"}, "settings": {"free": [1, {"form": True}]}},
     {"spec.displayName", "spec.contact", "spec.plan", "spec.suspended", "spec.quota.cpu", "spec.quota.memoryGB"}),
    ("cluster-scoped, missing", Tenant, {"plan": "team"}, {"spec.displayName", "spec.contact"}),
    ("the quickstart peach", Peach, {"variety": "", "price": "three"}, {"spec.variety", "spec.price"}),
    ("test model: nested and list", test_models.Apple, {"score": {"exterior": "x"}, "seeds": [{"kind": "pip", "weight": "heavy"}]},
     {"spec.score.exterior", "spec.seeds[0].weight"}),
    ("test model: scalars", test_models.Plant, {"price": "cheap", "tags": [1], "ripe": "yes", "rating": {"taste": "good"}},
     {"spec.price", "spec.tags[0]", "spec.ripe", "spec.rating.taste"}),
    ("test model: counter", test_models.Counter, {"count": "many"}, {"spec.count"}),
]


def raw_object(model: type, spec: dict[str, Any] | None, namespace: str) -> tuple[str, dict[str, Any]]:
    """The collection path and body of a raw object of ``model``'s generated CRD."""
    resource = model.__resource__  # type: ignore[attr-defined]
    group = REGROUPED if model in TEST_MODELS else resource.group
    name = f"bad-{secrets.token_hex(3)}"
    body: dict[str, Any] = {"apiVersion": f"{group}/{resource.version}", "kind": resource.kind, "metadata": {"name": name}}
    if spec is not None:
        body["spec"] = spec
    where = f"namespaces/{namespace}/" if resource.namespaced else ""
    return f"/apis/{group}/{resource.version}/{where}{resource.plural}", body


def server_paths(transport: Transport, method: str, path: str, body: dict[str, Any], **kwargs: Any) -> set[str]:
    with pytest.raises(pykorm.ValidationError) as caught:
        transport.request(method, path, body=body, params={"dryRun": "All"}, **kwargs)
    assert caught.value.status == 422
    # A wrongly typed replicas field of the scale subresource is reported twice: by the schema
    # (spec.instances) and by the scale accessor, as a JSONPath (.spec.instances). Same field.
    return {cause.field.lstrip(".") for cause in caught.value.causes}


def client_paths(model: type, raw: dict[str, Any]) -> set[str]:
    with pytest.raises(pykorm.ClientValidationError) as caught:
        validate(model._from_server(copy.deepcopy(raw)))  # type: ignore[attr-defined]
    return {cause.field for cause in caught.value.causes}


@pytest.mark.parametrize(("case", "model", "spec", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_server_refuses_what_pykorm_refuses_with_the_same_field_paths(
    transport: Transport, k8s_namespace: str, case: str, model: type, spec: dict[str, Any] | None, expected: set[str]
) -> None:
    path, body = raw_object(model, spec, k8s_namespace)

    assert server_paths(transport, "POST", path, body) == expected
    assert client_paths(model, body) == expected


def test_status_is_enforced_through_the_status_subresource_with_the_same_paths(
    transport: Transport, k8s_namespace: str
) -> None:
    path, body = raw_object(Database, DB, k8s_namespace)
    created = transport.request("POST", path, body=body)
    status = {"phase": "Sleeping", "readyInstances": "two",
              "conditions": [{"type": "Ready", "status": "Maybe", "lastTransitionTime": "yesterday"}, {"status": "True"}]}
    expected = {"status.phase", "status.readyInstances", "status.conditions[0].status",
                "status.conditions[0].lastTransitionTime", "status.conditions[1].type"}

    found = server_paths(transport, "PATCH", f"{path}/{body['metadata']['name']}/status", {"status": status},
                         content_type=MERGE_PATCH)

    assert found == expected
    assert client_paths(Database, {**created, "status": status}) == expected


def test_valid_objects_pass_both(transport: Transport, k8s_namespace: str) -> None:
    spec = {**DB, "tier": "premium", "replicas": [{"region": "eu"}], "backup": {"schedule": "0 3 * * *"},
            "parameters": {"work_mem": "64MB"}, "extensions": ["pg_trgm"]}
    path, body = raw_object(Database, spec, k8s_namespace)

    stored = transport.request("POST", path, body=body)
    validate(Database._from_server(stored))  # type: ignore[attr-defined]

    assert stored["spec"]["storageGB"] == 10 and stored["spec"]["replicas"][0]["readOnly"] is True  # the CRD's defaults


def test_save_refuses_before_any_request(k8s_cluster: Cluster, installed: list[dict[str, Any]], k8s_namespace: str) -> None:
    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    bad = Database(namespace=k8s_namespace, name="bad", engine="oracle", version="16", instances=10)

    with pytest.raises(pykorm.ClientValidationError) as caught:
        pk.save(bad)

    assert {c.field for c in caught.value.causes} == {"spec.engine", "spec.instances"}
    assert Database.query.session(pk).namespace(k8s_namespace).all() == []
    pk.close()


# -- pk.install_crds(Model) ----------------------------------------------------------------------


@pytest.fixture
def fresh_group(k8s_cluster: Cluster) -> Iterator[str]:
    group = f"t{secrets.token_hex(4)}.pykorm.io"
    yield group
    transport = k8s_cluster.transport()
    listing = transport.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
    for crd in listing["items"]:
        if crd["spec"]["group"] == group:
            transport.request("DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}")


def test_install_crds_takes_models_and_their_versions(k8s_cluster: Cluster, fresh_group: str, k8s_namespace: str) -> None:
    @pykorm.k8s_custom_object(fresh_group, "v1", "kettles")
    class KettleV1(pykorm.NamespacedModel):
        litres: float = pykorm.Spec("litres", default=1.5, minimum=0.5)

    @pykorm.k8s_custom_object(fresh_group, "v2", "kettles", kind="KettleV1")
    class KettleV2(pykorm.NamespacedModel):
        class Meta:
            storage = True

        litres: float = pykorm.Spec("litres", default=1.5, minimum=0.5)
        boiling: bool | None = pykorm.Status("boiling", default=None)

    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    installed = pk.install_crds(KettleV1, KettleV2)
    kettle = pk.save(KettleV2(namespace=k8s_namespace, name="k", boiling=True))
    as_v1 = pk.get(KettleV1, "k", k8s_namespace)
    pk.close()

    assert [(v["name"], v["storage"]) for v in installed[0]["spec"]["versions"]] == [("v1", False), ("v2", True)]
    assert (kettle.litres, kettle.boiling, as_v1.litres) == (1.5, True, 1.5)


def test_a_replaced_crd_is_served_with_its_new_fields_when_install_crds_returns(
    k8s_cluster: Cluster, fresh_group: str, k8s_namespace: str,
) -> None:
    """The CRD is Established and discovered before the PUT: the server handled objects with the previous schema a
    moment longer, pruning the new field of an object written at once (1.35, about one replacement in 15)."""

    def declare(round: int) -> type[pykorm.NamespacedModel]:
        @pykorm.k8s_custom_object(fresh_group, "v1", "lamps")
        class Lamp(pykorm.NamespacedModel):
            lit: bool = pykorm.Spec("lit", default=False)
            if round % 2:
                colour: str = pykorm.Spec("colour", default="amber")

        return Lamp

    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    pk.install_crds(declare(0))
    kept: list[str | None] = []
    with official_client(k8s_cluster) as client:
        objects = kubernetes.client.CustomObjectsApi(client)
        for round in range(1, 9):
            model = declare(round)
            pk.install_crds(model)
            if round % 2:
                pk.save(model(namespace=k8s_namespace, name=f"lamp-{round}", colour="red"))
                raw = objects.get_namespaced_custom_object(fresh_group, "v1", k8s_namespace, "lamps", f"lamp-{round}")
                kept.append(raw["spec"].get("colour"))
    pk.close()
    assert kept == ["red"] * 4  # the server's own record: "amber" is its default read back after "red" was pruned


def test_a_refused_schema_names_the_crd_and_quotes_the_server(k8s_cluster: Cluster, fresh_group: str) -> None:
    @pykorm.k8s_custom_object(fresh_group, "v1", "teapots")
    class Teapot(pykorm.NamespacedModel):
        cups: int = pykorm.Spec("cups", default=0, minimum=1)  # a default its own schema refuses

    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    with pytest.raises(pykorm.ValidationError) as caught:
        pk.install_crds(Teapot, timeout=20)
    pk.close()

    message = str(caught.value)
    assert message.startswith(f"the API server refused the CustomResourceDefinition teapots.{fresh_group}: ")
    assert "properties[cups].default" in message and "should be greater than or equal to 1" in message
    assert caught.value.causes and caught.value.causes[0].field.endswith("properties[cups].default")


# -- pykorm crd ---------------------------------------------------------------------------------


def test_crds_directory_is_in_sync_with_the_example_models(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["crd", "--check", str(ROOT / "crds"), *EXAMPLES])

    assert code == 0, capsys.readouterr().out
    assert "the 3 CRDs in" in capsys.readouterr().err


def test_crd_check_prints_a_diff_and_fails_when_a_file_is_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crd", "-o", str(tmp_path), *EXAMPLES]) == 0
    stale = tmp_path / "peaches.pykorm.infomaniak.com.yaml"
    stale.write_text(stale.read_text().replace("maxLength", "maxLen").replace("minLength: 1", "minLength: 2"))
    (tmp_path / "tenants.examples.pykorm.io.yaml").unlink()
    capsys.readouterr()

    code = main(["crd", "--check", str(tmp_path), *EXAMPLES])

    out, err = capsys.readouterr()
    assert code == 1
    assert "-                minLength: 2\n+                minLength: 1\n" in out
    assert f"+++ {tmp_path / 'tenants.examples.pykorm.io.yaml'} (from the models)" in out
    assert "2 of 3 CRDs" in err and "pykorm crd -o" in err


def test_crd_prints_yaml_of_a_class_or_of_every_model_of_a_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crd", f"{EXAMPLES[1]}:Tenant"]) == 0
    one = capsys.readouterr().out
    assert main(["crd", "tests.models"]) == 0
    every = capsys.readouterr().out

    assert load_manifests_text(one) == [pykorm.crd(Tenant)]
    assert [m["metadata"]["name"].split(".")[0] for m in load_manifests_text(every)] == ["peaches", "apples", "counters", "plums", "plants"]


def test_crd_names_what_cannot_be_loaded_or_mapped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad_models.py"
    bad.write_text(
        "import pykorm\n"
        "@pykorm.k8s_custom_object('bad.pykorm.io', 'v1', 'sets')\n"
        "class Bag(pykorm.NamespacedModel):\n"
        "    items: set[int] = pykorm.Spec('items')\n"
    )

    assert main(["crd", f"{bad}:Bag"]) == 1
    assert "pykorm: error: Bag.items: cannot map the annotation set[int] to JSON" in capsys.readouterr().err
    assert main(["crd", f"{bad}:Nope"]) == 1
    assert "has no model class 'Nope'" in capsys.readouterr().err
    assert main(["crd", "no_such_module_here"]) == 1
    assert "cannot import no_such_module_here" in capsys.readouterr().err


def load_manifests_text(text: str) -> list[dict[str, Any]]:
    import yaml

    return [json.loads(json.dumps(d)) for d in yaml.safe_load_all(text) if d]


def test_the_crd_files_hold_what_the_models_generate() -> None:
    files = {p.name: load_manifests(p)[0] for p in (ROOT / "crds").glob("*.yaml")}

    assert files == {f"{m['metadata']['name']}.yaml": m for m in pykorm.crds(Peach, Database, Tenant)}


def test_a_save_is_checked_where_it_changes_the_object_as_the_server_ratchets(
    k8s_cluster: Cluster, fresh_group: str, k8s_namespace: str,
) -> None:
    """The API server lets an update through that leaves an invalid value as it was (CRD validation
    ratcheting, on from Kubernetes 1.30): the schema was tightened after the object was written. A save
    that changes something else goes through; a save that changes the invalid value to another invalid
    one is refused before anything is sent, with the server's field path; the official client witnesses."""

    def declare(most: int) -> type[pykorm.NamespacedModel]:
        @pykorm.k8s_custom_object(fresh_group, "v1", "boilers")
        class Boiler(pykorm.NamespacedModel):
            litres: int = pykorm.Spec("litres", maximum=most)
            colour: str = pykorm.Spec("colour", default="grey")
            tags: list[str] = pykorm.Spec("tags", default_factory=list, max_items=most)

        return Boiler

    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    loose = declare(100)
    pk.install_crds(loose)
    pk.save(loose(namespace=k8s_namespace, name="b", litres=50, tags=["a", "b", "c"]))
    strict = declare(10)
    pk.install_crds(strict)  # litres 50 and three tags are now invalid, and stay stored
    boiler = pk.get(strict, "b", k8s_namespace)
    boiler.colour = "red"
    pk.save(boiler)  # the server accepts it: nothing invalid changed
    with official_client(k8s_cluster) as client:
        objects = kubernetes.client.CustomObjectsApi(client)
        spec = objects.get_namespaced_custom_object(fresh_group, "v1", k8s_namespace, "boilers", "b")["spec"]
        assert (spec["colour"], spec["litres"], spec["tags"]) == ("red", 50, ["a", "b", "c"])
        boiler.litres = 60
        with pytest.raises(pykorm.ClientValidationError) as refused:
            pk.save(boiler)
        assert [c.field for c in refused.value.causes] == ["spec.litres"]
        assert objects.get_namespaced_custom_object(fresh_group, "v1", k8s_namespace, "boilers", "b")["spec"]["litres"] == 50
        boiler.litres = 5  # made valid: saved
        pk.save(boiler)
        assert objects.get_namespaced_custom_object(fresh_group, "v1", k8s_namespace, "boilers", "b")["spec"]["litres"] == 5
    pk.close()
