"""Correctness as a user meets it: no hang before a session exists, no name that reaches another object,
a create that succeeded never reported as failed, errors that say what happened, no token in tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import pykorm
from pykorm._session.session import Pykorm
from pykorm._http.transport import Transport
from pykorm.testing import Cluster

from .helpers import Counting
from .models import ConfigMap, Peach, Plum

HOSTILE_NAMES = [
    "x/..",
    "..",
    ".",
    "",
    "a/b",
    "%2F",
    "a%2Fb",
    "../" * 6 + "api/v1/namespaces/victim",
    "../../../../api/v1/namespaces/{ns}/configmaps/secret-cm",
    "x" * 300,
    "UPPER",
    "a?b",
    "a#b",
    None,
]
HOSTILE_NAMESPACES = ["..", "x/..", "a/b", "%2e%2e", "UPPER", "a.b", "n" * 64]


@pytest.fixture
def counted(pk: Pykorm) -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
    """Every request the session sends, as (method, path, params): instruments pykorm's own client, not the server."""
    with Counting(pk) as counting:
        yield counting.calls


@pytest.fixture
def victim(k8s_transport: Transport) -> Iterator[str]:
    """A namespace holding a ConfigMap that hostile names try to reach."""
    name = "victim-" + os.urandom(3).hex()
    k8s_transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": name}})
    k8s_transport.request(
        "POST", f"/api/v1/namespaces/{name}/configmaps", body={"metadata": {"name": "secret-cm"}, "data": {"k": "v"}}
    )
    yield name
    k8s_transport.request("DELETE", f"/api/v1/namespaces/{name}")


def _verbs(pk: Pykorm, ns: str, name: Any) -> dict[str, Callable[[], object]]:
    def stored() -> Peach:
        peach = Peach._from_server(
            {"apiVersion": "pykorm.infomaniak.com/v1", "kind": "Peach",
             "metadata": {"name": name, "namespace": ns, "resourceVersion": "1", "uid": "u"}, "spec": {"variety": "a"}}
        )
        return peach

    def changed() -> Peach:
        peach = stored()
        peach.variety = "b"
        return peach

    return {
        "pk.get": lambda: pk.get(Peach, name, namespace=ns),
        "query.get": lambda: Peach.query.session(pk).get(name, namespace=ns),
        "query.get_or_raise": lambda: Peach.query.session(pk).get_or_raise(name, namespace=ns),
        "query.filter(name).all": lambda: Peach.query.session(pk).namespace(ns).filter(name=name).all(),
        "pk.refresh": lambda: pk.refresh(stored()),
        "pk.delete": lambda: pk.delete(stored()),
        "pk.delete(new)": lambda: pk.delete(Peach(namespace=ns, name=name, variety="a")),
        "pk.save(new)": lambda: pk.save(Peach(namespace=ns, name=name, variety="a")),
        "pk.save(changed)": lambda: pk.save(changed()),
        "pk.save_status": lambda: pk.save_status(_with_status(stored())),
        "pk.apply": lambda: pk.apply(Peach(namespace=ns, name=name, variety="a")),
        "pk.update": lambda: pk.update(stored(), lambda p: setattr(p, "variety", "c")),
        "pk.wait_for": lambda: pk.wait_for(stored(), lambda p: True, timeout=1),
        "obj.delete": lambda: stored().delete(),
    }


def _with_status(peach: Peach) -> Peach:
    peach.ripeness = "ripe"
    return peach


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_no_verb_sends_a_hostile_name(
    pk: Pykorm, k8s_namespace: str, victim: str, counted: list[tuple[str, str, dict[str, Any]]], k8s_transport: Transport, name: Any
) -> None:
    survivor = pk.save(Peach(namespace=k8s_namespace, name="survivor", variety="Frost"))
    if isinstance(name, str):
        name = name.replace("{ns}", victim)
    counted.clear()
    for verb, call in _verbs(pk, k8s_namespace, name).items():
        if name is None and verb == "query.filter(name).all":
            continue  # filter(name=None): objects without a name, of which there are none
        if verb == "query.filter(name).all":
            # a filter on a name no object can have selects nothing, sending nothing (it raised
            # ClientValidationError here while a cache answered []: the engines now agree)
            assert call() == [], verb
            assert counted == [], f"{verb} sent {counted}"
            continue
        with pytest.raises(pykorm.ClientValidationError) as caught:
            call()
        assert caught.value.causes and caught.value.causes[0].field == "metadata.name", verb
        assert counted == [], f"{verb} sent {counted}"
    assert Peach.query.session(pk).get("survivor", namespace=k8s_namespace) == survivor
    phase = k8s_transport.request("GET", f"/api/v1/namespaces/{victim}")["status"]["phase"]
    assert phase == "Active"
    assert k8s_transport.request("GET", f"/api/v1/namespaces/{victim}/configmaps/secret-cm")["data"] == {"k": "v"}


@pytest.mark.parametrize("namespace", HOSTILE_NAMESPACES, ids=repr)
def test_no_verb_sends_a_hostile_namespace(pk: Pykorm, counted: list[tuple[str, str, dict[str, Any]]], namespace: str) -> None:
    verbs = _verbs(pk, namespace, "fine-name")
    verbs["query.namespace"] = lambda: Peach.query.session(pk).namespace(namespace).all()
    # a filter on a namespace no object can be in selects nothing, sending nothing (it raised
    # ClientValidationError while a cache answered []: the engines now agree)
    filtered = Peach.query.session(pk).filter(namespace=namespace)
    assert filtered.all() == [] and len(filtered.delete()) == 0 and len(filtered.label(a="b")) == 0
    assert counted == [], f"a filter on {namespace!r} sent {counted}"
    for verb, call in verbs.items():
        with pytest.raises(pykorm.ClientValidationError):
            call()
        assert counted == [], f"{verb} sent {counted}"


def test_query_get_of_an_empty_name_is_refused_not_the_list(pk: Pykorm, k8s_namespace: str) -> None:
    pk.save(Peach(namespace=k8s_namespace, name="one", variety="Frost"))
    with pytest.raises(pykorm.ClientValidationError):
        Peach.query.session(pk).namespace("")
    with pytest.raises(pykorm.ClientValidationError):
        Peach.query.session(pk).get("", namespace=k8s_namespace)
    with pytest.raises(pykorm.ClientValidationError):
        Peach.query.session(pk).namespace(k8s_namespace).get_or_raise("")


def test_names_of_free_form_kinds_are_encoded_not_refused(pk: Pykorm) -> None:
    @pykorm.k8s_custom_object("rbac.authorization.k8s.io", "v1", "clusterroles", kind="ClusterRole")
    class ClusterRole(pykorm.ClusterModel):
        rules: list[dict[str, Any]] = pykorm.fields.DataField("rules", default_factory=list)

    role = ClusterRole.query.session(pk).get("system:controller:job-controller")
    assert role is not None and role.name == "system:controller:job-controller"
    with pytest.raises(pykorm.ClientValidationError):
        ClusterRole.query.session(pk).get("system:../namespaces")


# -- a script that starts with a query ------------------------------------------------------

SCRIPT = """
import pykorm

@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
class Peach(pykorm.NamespacedModel):
    variety: str = pykorm.fields.Spec("variety")

print("all", [p.name for p in Peach.query.filter_by(namespace=NS).all()])
print("first", Peach.query.filter_by(namespace=NS).first() is None)
print("get", Peach.query.get("nothing-here", namespace=NS))
Peach(namespace=NS, name="from-a-script", variety="Frost").save()
print("saved", Peach.query.get("from-a-script", namespace=NS).variety)
"""


def test_a_script_whose_first_line_is_a_query_runs(k8s_cluster: Cluster, crds_installed: None, k8s_namespace: str) -> None:
    env = {**os.environ, "KUBECONFIG": str(k8s_cluster.kubeconfig)} if k8s_cluster.kubeconfig else dict(os.environ)
    if k8s_cluster.context:
        pytest.skip("the script uses the kubeconfig's current context")
    code = f"NS = {k8s_namespace!r}\n" + textwrap.dedent(SCRIPT)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:4] == ["all []", "first True", "get None", "saved Frost"]


def test_the_default_session_is_made_on_first_use_in_process(
    k8s_cluster: Cluster, crds_installed: None, k8s_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if k8s_cluster.context or k8s_cluster.kubeconfig is None:
        pytest.skip("needs a kubeconfig whose current context is the cluster under test")
    monkeypatch.setenv("KUBECONFIG", str(k8s_cluster.kubeconfig))
    pykorm.set_default_session(None)
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(Peach.query.filter_by(namespace=k8s_namespace).all()))
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "Model.query.all() before any Pykorm() hung"
    assert done == [[]]
    pykorm.set_default_session(None)


# -- a create that succeeded is not reported as failed -----------------------------------------

STATUS_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "chores.pykorm.infomaniak.com"},
    "spec": {
        "group": "pykorm.infomaniak.com",
        "names": {"kind": "Chore", "plural": "chores", "singular": "chore", "listKind": "ChoreList"},
        "scope": "Namespaced",
        "versions": [{
            "name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            }}},
        }],
    },
}


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "chores")
class Chore(pykorm.NamespacedModel):
    task: str = pykorm.Spec("task")
    conditions: list[dict[str, Any]] = pykorm.Status("conditions", default_factory=list)
    phase: str | None = pykorm.Status("phase", default=None)
    touched: str | None = pykorm.Spec("touchedBy", default=None)


class RacingSession(Pykorm):
    """A session after whose create another client writes the object, as a controller does at once
    (its event hooks: each request is noted, and ``between`` runs on a create's answer before pykorm reads it)."""

    def __init__(self, *args: Any, between: Callable[[dict[str, Any]], None], **kwargs: Any) -> None:
        super().__init__(*args, make_default=False, event_hooks={"request": [self.note], "response": [self.race]}, **kwargs)
        self.between = between
        self.sent: list[tuple[str, str]] = []

    def note(self, request: pykorm.Request) -> None:
        self.sent.append((request.method, request.url))

    def race(self, response: pykorm.Response) -> None:
        if response.request.method == "POST" and response.status < 300:
            self.between(json.loads(response.content or b"{}"))


@pytest.fixture
def chores(pk: Pykorm) -> None:
    pk.install_crds(STATUS_CRD)


def test_a_create_raced_by_a_controller_succeeds(k8s_cluster: Cluster, chores: None, k8s_namespace: str) -> None:
    other = Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)

    def controller(created: dict[str, Any]) -> None:
        chore = other.get(Chore, created["metadata"]["name"], namespace=k8s_namespace)
        chore.touched = "controller"
        other.save(chore)

    racing = RacingSession(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, between=controller)
    plain = racing.save(Chore(namespace=k8s_namespace, name="plain", task="dishes"))
    assert [m for m, _ in racing.sent if m != "GET"] == ["POST"], "a default-only status was written"
    assert plain.conditions == [] and plain.is_stored

    racing.sent.clear()
    chore = racing.save(Chore(namespace=k8s_namespace, name="with-status", task="laundry", phase="Queued"))
    assert [m for m, _ in racing.sent if m != "GET"] == ["POST", "PATCH"]
    stored = other.get(Chore, "with-status", namespace=k8s_namespace)
    assert (stored.phase, stored.touched, stored.task) == ("Queued", "controller", "laundry")
    assert chore.phase == "Queued"


def test_a_status_write_that_fails_after_a_create_says_the_object_exists(
    k8s_cluster: Cluster, chores: None, k8s_namespace: str
) -> None:
    other = Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    racing = RacingSession(
        kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context,
        between=lambda created: other.delete(other.get(Chore, created["metadata"]["name"], namespace=k8s_namespace)),
    )
    chore = Chore(namespace=k8s_namespace, name="vanishing", task="x", phase="Queued")
    with pytest.raises(pykorm.StatusNotWritten, match="was created, but its status was not written") as caught:
        racing.save(chore)
    assert isinstance(caught.value.__cause__, pykorm.NotFound)
    assert chore.is_stored and chore.uid


# -- errors that say what happened ------------------------------------------------------------


def test_a_kubeconfig_cluster_without_a_server_is_a_configuration_error(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
    }))
    pk = Pykorm(kubeconfig=kubeconfig, make_default=False)
    with pytest.raises(pykorm.ConfigurationError, match="no usable server address"):
        Peach.query.session(pk).namespace("default").all()


def test_a_certificate_that_does_not_verify_is_a_tls_error(k8s_cluster: Cluster, tmp_path: Path) -> None:
    import certifi  # ships with the official client's dependencies

    configuration = k8s_cluster.configuration()
    wrong = {"host": configuration.host, "ssl_ca_cert": certifi.where(), "api_key": dict(configuration.api_key),
             "api_key_prefix": dict(configuration.api_key_prefix)}
    if not configuration.host.startswith("https"):
        pytest.skip("the cluster under test is not served over TLS")
    pk = Pykorm(clusters={"wrong-ca": wrong}, make_default=False)
    with pytest.raises(pykorm.TLSVerificationError) as caught:
        Peach.query.session(pk).using("wrong-ca").namespace("default").all()
    assert isinstance(caught.value, pykorm.ConfigurationError)
    assert not isinstance(caught.value, pykorm.ServerUnavailable)


def test_an_object_too_large_to_store_is_not_a_retryable_error(pk: Pykorm, chores: None, k8s_namespace: str) -> None:
    for size in (2_000_000, 4_000_000):  # past etcd's 1.5 MiB (a 500), past the API server's 3 MiB (a 413)
        with pytest.raises(pykorm.RequestTooLarge) as caught:
            pk.save(Chore(namespace=k8s_namespace, name=f"big-{size}", task="x" * size))
        assert not isinstance(caught.value, pykorm.ServerUnavailable)
    with pytest.raises(pykorm.ValidationError, match="Too long"):  # a kind's own limit stays a validation error
        pk.save(ConfigMap(namespace=k8s_namespace, name="big", data={f"k{i}": "x" * 100_000 for i in range(12)}))


def test_get_or_raise_of_an_uninstalled_kind_names_the_crd(pk: Pykorm, k8s_namespace: str) -> None:
    with pytest.raises(pykorm.CRDNotInstalled, match="plums.pykorm.infomaniak.com"):
        Plum.query.session(pk).get_or_raise("any", namespace=k8s_namespace)
    with pytest.raises(pykorm.CRDNotInstalled):
        Plum.query.session(pk).get("any", namespace=k8s_namespace)


def test_a_plain_text_answer_is_text(k8s_transport: Transport) -> None:
    assert k8s_transport.request("GET", "/healthz") == "ok"


def test_no_token_in_a_traceback_formatted_with_locals(k8s_cluster: Cluster) -> None:
    configuration = k8s_cluster.configuration()
    token = "pykorm-secret-" + os.urandom(8).hex()
    refused = {"host": "https://127.0.0.1:1", "api_key": {"authorization": token}, "api_key_prefix": {"authorization": "Bearer"}}
    denied = {"host": configuration.host, "ssl_ca_cert": configuration.ssl_ca_cert,
              "api_key": {"authorization": token}, "api_key_prefix": {"authorization": "Bearer"}}
    # One retry is enough to go through the retry loop; the default ten wait ~40 s for a port that stays shut.
    pk = Pykorm(clusters={"refused": refused, "denied": denied}, make_default=False, retries=pykorm.RetryPolicy(max_retries=1))
    for cluster, error in (("refused", pykorm.ServerUnavailable), ("denied", pykorm.Unauthorized)):
        with pytest.raises(error) as caught:
            Peach.query.session(pk).using(cluster).namespace("default").all()
        error_ = caught.value
        assert error_.__traceback__ is not None
        below_this_test = error_.__traceback__.tb_next  # this test's own frame holds the token, of course
        formatted = traceback.TracebackException(type(error_), error_, below_this_test, capture_locals=True)
        text = "".join(formatted.format())
        # The headers are in the traceback, masked, where the error is raised while sending (the transport's
        # retry loop); an error answer is raised after it, with no headers in any frame.
        assert "authorization" in text.lower() or cluster == "denied"
        assert token not in text, f"the token shows in a traceback of a {error.__name__}"


def test_an_apply_the_server_cannot_type_is_a_validation_error_naming_the_field(pk: Pykorm, k8s_namespace: str) -> None:
    @pykorm.k8s_core(kind="ConfigMap")
    class OddConfigMap(pykorm.NamespacedModel):
        data: dict[str, str] = pykorm.fields.DataField("data", default_factory=dict)
        scores: list[int] = pykorm.fields.DataField("scores", default_factory=list)  # not in ConfigMap's schema

    with pytest.raises(pykorm.ValidationError) as caught:
        pk.apply(OddConfigMap(namespace=k8s_namespace, name="odd", data={"a": "b"}, scores=[1]))
    assert not isinstance(caught.value, pykorm.ServerUnavailable)
    assert [c.field for c in caught.value.causes] == ["scores"]
