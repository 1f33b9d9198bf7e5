"""pykorm.webhooks on the local control plane: kube-apiserver calls webhooks served by this process.

Through the example (examples/webhooks/databases.py): a refused create is `pk.save`'s ValidationError
with the webhook's message and field; a defaulted field; the old object on updates; a refused delete;
warnings; an object stored as v2, read as v1 and back, equal (and written as v1, read as v2); the
official client sees the same. Then failure policies: a webhook too slow or down refuses with `Fail`
and admits with `Ignore`; a function that raises refuses with its error; a built-in kind (ConfigMap).
Every webhook configuration is named uniquely, scoped to the test's namespace, and removed after it.
"""

from __future__ import annotations

import urllib.error
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

import pykorm
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster
from pykorm.webhooks import ANNOTATION_PREFIX, Webhooks

from .helpers import load_example

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "webhooks" / "databases.py"


example = load_example(EXAMPLE, "webhooks_databases_example")
Database, DatabaseV1 = example.Database, example.DatabaseV1
GROUP = example.GROUP


@pytest.fixture
def session(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context)
    yield pk
    pk.close()


@pytest.fixture
def official(k8s_cluster: Cluster) -> Iterator[k8s.CustomObjectsApi]:
    api = k8s.ApiClient(k8s_cluster.configuration())
    yield k8s.CustomObjectsApi(api)
    api.close()


@pytest.fixture
def databases(k8s_webhooks: Callable[..., Any], k8s_namespace: str) -> Any:
    """The example's webhooks, served and installed (its CRD too, with the conversion webhook)."""
    return k8s_webhooks(example.webhooks)


def test_admission_refuses_defaults_warns_and_sees_the_old_object(
    databases: Any, session: pykorm.Pykorm, official: k8s.CustomObjectsApi, k8s_namespace: str
) -> None:
    # A refused create: pk.save raises ValidationError with the webhook's message and field.
    with pytest.raises(pykorm.ValidationError) as refused:
        session.save(Database(namespace=k8s_namespace, name="huge", instances=50))
    assert "at most 10 instances, not 50" in str(refused.value)
    assert refused.value.status == 422
    assert [(c.field, c.message) for c in refused.value.causes] == [("spec.instances", "at most 10 instances, not 50")]
    with pytest.raises(pykorm.NotFound):
        session.get(Database, "huge", k8s_namespace)
    # The official client, as kubectl, gets the same refusal.
    body = {"apiVersion": f"{GROUP}/v2", "kind": "Database", "metadata": {"name": "huge"}, "spec": {"instances": 50}}
    with pytest.raises(ApiException) as seen:
        official.create_namespaced_custom_object(GROUP, "v2", k8s_namespace, "databases", body)
    assert seen.value.status == 422 and "at most 10 instances, not 50" in seen.value.body

    # A defaulted field: the mutating webhook's JSON patch is in what the server stored.
    with pytest.warns(pykorm.ServerWarning, match="7 instances: more than 5 costs extra"):  # the webhook's warning
        db = session.save(Database(namespace=k8s_namespace, name="orders", instances=7))
    assert db.engine == "postgres" and db.instances == 7
    stored = official.get_namespaced_custom_object(GROUP, "v2", k8s_namespace, "databases", "orders")
    assert stored["spec"]["engine"] == "postgres"

    # The old object on updates: the engine cannot change; other changes pass.
    db.engine = "mysql"
    with pytest.raises(pykorm.ValidationError, match="the engine cannot change once set"):
        session.save(db)
    session.refresh(db)
    db.instances = 2
    assert session.save(db).instances == 2

    # DELETE: a protected database stays (403 Forbidden, the code the function chose).
    db.labels["protected"] = "true"
    session.save(db)
    with pytest.raises(pykorm.Forbidden, match="orders is protected"):
        session.delete(db)
    db.labels["protected"] = "false"
    session.save(db)
    session.delete(db)
    assert databases.requests > 0


def test_conversion_round_trips_through_the_api_server(
    databases: Any, session: pykorm.Pykorm, official: k8s.CustomObjectsApi, k8s_namespace: str
) -> None:
    # Stored as v2 (the storage version), read as v1 and back: equal, the fields v1 lacks kept.
    created = session.save(Database(namespace=k8s_namespace, name="ledger", engine="mysql", instances=5, backup="@daily"))
    as_v1 = session.get(DatabaseV1, "ledger", k8s_namespace)
    assert (as_v1.engine, as_v1.size) == ("mysql", "large")
    assert ANNOTATION_PREFIX + "v2" in as_v1.annotations
    again = session.get(Database, "ledger", k8s_namespace)
    assert again.to_dict() == created.to_dict()
    assert (again.instances, again.backup) == (5, "@daily")

    # Written through v1 (a change v1 can express), read as v2: the change is there, the rest kept.
    as_v1.engine = "mysql"  # unchanged: the webhook refuses an engine change
    as_v1.labels["team"] = "billing"
    session.save(as_v1)
    written = session.get(Database, "ledger", k8s_namespace)
    assert (written.instances, written.backup, written.labels) == (5, "@daily", {"team": "billing"})
    assert not any(k.startswith(ANNOTATION_PREFIX) for k in written.annotations)
    # A change to what v1 holds wins over what was kept: small means one instance.
    as_v1 = session.get(DatabaseV1, "ledger", k8s_namespace)
    as_v1.size = "small"
    session.save(as_v1)
    assert session.get(Database, "ledger", k8s_namespace).instances == 1
    assert session.get(Database, "ledger", k8s_namespace).backup == "@daily"

    # Created as v1: stored as v2 through the webhook (admission ran on v2: the engine was defaulted).
    session.save(DatabaseV1(namespace=k8s_namespace, name="small-one", size="large"))
    stored = session.get(Database, "small-one", k8s_namespace)
    assert (stored.engine, stored.instances) == ("postgres", 3)
    back = session.get(DatabaseV1, "small-one", k8s_namespace)
    assert (back.size, back.engine, dict(back.annotations)) == ("large", "postgres", {})

    # The official client reads the same versions.
    v1 = official.get_namespaced_custom_object(GROUP, "v1", k8s_namespace, "databases", "ledger")
    assert v1["apiVersion"] == f"{GROUP}/v1" and v1["spec"]["size"] == "small"
    listed = official.list_namespaced_custom_object(GROUP, "v1", k8s_namespace, "databases")["items"]
    assert sorted(o["metadata"]["name"] for o in listed) == ["ledger", "small-one"]
    assert {o["apiVersion"] for o in listed} == {f"{GROUP}/v1"}


def _slow_app(name: str, policy: str, delay: float) -> Webhooks:
    app = Webhooks(name)

    @app.validate(ConfigMap, failure_policy=policy, timeout_seconds=1)
    def slow(cm: ConfigMap) -> None:
        time.sleep(delay)

    return app


@pytest.mark.parametrize("policy", ["Fail", "Ignore"])
def test_a_webhook_too_slow_or_down_follows_its_failure_policy(
    policy: str, k8s_webhooks: Callable[..., Any], session: pykorm.Pykorm, k8s_namespace: str
) -> None:
    served = k8s_webhooks(_slow_app(f"slow-{policy.lower()}", policy, delay=3))
    made = ConfigMap(namespace=k8s_namespace, name="slow", data={"a": "b"})
    if policy == "Fail":
        with pytest.raises(pykorm.ApiError) as failed:
            session.save(made)
        assert "failed calling webhook" in str(failed.value) and "slow" in str(failed.value)
        with pytest.raises(pykorm.NotFound):
            session.get(ConfigMap, "slow", k8s_namespace)
    else:
        assert session.save(made).data == {"a": "b"}
    # Down: the server stopped, its configuration still installed.
    served.server.stop()
    down = ConfigMap(namespace=k8s_namespace, name="down", data={})
    if policy == "Fail":
        with pytest.raises(pykorm.ApiError, match="failed calling webhook"):
            session.save(down)
    else:
        session.save(down)
        assert session.get(ConfigMap, "down", k8s_namespace).name == "down"


def test_a_function_that_raises_refuses_with_its_error_and_built_in_kinds_are_admitted(
    k8s_webhooks: Callable[..., Any], session: pykorm.Pykorm, official: k8s.CustomObjectsApi, k8s_namespace: str
) -> None:
    app = Webhooks("configmaps")

    @app.validate(ConfigMap)
    def no_secrets(cm: ConfigMap) -> list[str]:
        if "boom" in cm.data:
            raise RuntimeError("the rule itself is broken")
        return [f"data.{key}: looks like a password" for key in cm.data if "password" in key]

    @app.default(ConfigMap)
    def stamp(cm: ConfigMap) -> None:
        cm.labels["checked-by"] = "pykorm"

    k8s_webhooks(app)
    with pytest.raises(pykorm.ValidationError, match="looks like a password"):
        session.save(ConfigMap(namespace=k8s_namespace, name="creds", data={"db-password": "x"}))
    with pytest.raises(pykorm.ServerUnavailable) as broken:
        session.save(ConfigMap(namespace=k8s_namespace, name="broken", data={"boom": "x"}))
    assert "no_secrets failed: RuntimeError: the rule itself is broken" in str(broken.value)
    assert session.save(ConfigMap(namespace=k8s_namespace, name="fine", data={"a": "b"})).labels == {"checked-by": "pykorm"}
    huge = session.save(ConfigMap(namespace=k8s_namespace, name="huge", data={f"k{i}": "x" * 1000 for i in range(1000)}))
    assert huge.labels == {"checked-by": "pykorm"} and len(huge.data) == 1000  # a 1 MB object, admitted and patched
    core = k8s.CoreV1Api(official.api_client)
    with pytest.raises(ApiException) as seen:
        core.create_namespaced_config_map(k8s_namespace, {"metadata": {"name": "c2"}, "data": {"password": "x"}})
    assert seen.value.status == 422 and "looks like a password" in seen.value.body
    # Another namespace is not this test's: its webhooks are not asked.
    other = session.save(ConfigMap(namespace="default", name=f"unchecked-{k8s_namespace}", data={"password": "x"}))
    assert "checked-by" not in other.labels
    session.delete(other)


def test_pykorm_webhook_serve_runs_an_app_from_a_module(tmp_path: Path) -> None:
    """`pykorm webhook serve module:app` in a process of its own: health, a review answered, SIGTERM stops it."""
    import json
    import ssl
    import urllib.request

    from pykorm.webhooks import self_signed

    certs = self_signed(["127.0.0.1"], tmp_path / "certs")
    process = subprocess.Popen(
        [sys.executable, "-m", "pykorm", "webhook", "serve", f"{EXAMPLE}:webhooks", "--host", "127.0.0.1",
         "--port", "0", "--certfile", str(certs.certfile), "--keyfile", str(certs.keyfile)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("serving"), line + (process.stderr.read() if process.poll() is not None else "")
        url = line.split()[-1]
        context = ssl.create_default_context(cadata=certs.ca.decode())
        with urllib.request.urlopen(f"{url}/healthz", context=context, timeout=10) as answer:
            assert answer.read() == b"ok"
        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "1", "operation": "CREATE", "kind": {"group": GROUP, "version": "v2", "kind": "Database"},
            "object": {"apiVersion": f"{GROUP}/v2", "kind": "Database", "metadata": {"name": "x"}, "spec": {"instances": 11}}}}
        request = urllib.request.Request(f"{url}/validate/{GROUP}/v2/databases", data=json.dumps(review).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            assert json.loads(answer.read())["response"]["allowed"] is False
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_a_manager_serves_the_webhooks_with_its_controllers(
    k8s_cluster: Cluster, session: pykorm.Pykorm, k8s_namespace: str
) -> None:
    """One process: the Manager runs a reconciler and the webhook server; the API server calls it."""
    from pykorm.controller import Manager
    from pykorm.testing import serve_webhooks
    from pykorm.webhooks import WebhookServer, self_signed

    app = Webhooks("managed")
    reconciled: list[str] = []

    @app.validate(ConfigMap)
    def only_small(cm: ConfigMap) -> str | None:
        return "data.big: too big" if "big" in cm.data else None

    server = WebhookServer(app, host="127.0.0.1", port=0, certificates=self_signed(["127.0.0.1"]))
    manager = Manager(session, namespace=k8s_namespace, webhooks=server, health_port=0, bind_address="127.0.0.1")

    @manager.reconciler(ConfigMap)
    def reconcile(request: Any) -> None:
        reconciled.append(request.name)

    manager.start()
    try:
        with serve_webhooks(app, k8s_cluster, namespace=k8s_namespace, server=server):
            with pytest.raises(pykorm.ValidationError, match="too big"):
                session.save(ConfigMap(namespace=k8s_namespace, name="big", data={"big": "x"}))
            session.save(ConfigMap(namespace=k8s_namespace, name="small", data={"a": "b"}))
            deadline = time.monotonic() + 30
            while "small" not in reconciled and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "small" in reconciled and "big" not in reconciled
            assert server.serving
            import urllib.request

            with urllib.request.urlopen(f"http://127.0.0.1:{manager.health_port}/readyz?verbose", timeout=10) as ready:
                assert "[+]webhooks ok" in ready.read().decode()
            server.stop()  # the webhook server dies: the manager's health says so
            with pytest.raises(urllib.error.HTTPError) as unhealthy:
                urllib.request.urlopen(f"http://127.0.0.1:{manager.health_port}/healthz?verbose", timeout=10)
            assert "webhooks" in unhealthy.value.read().decode() and unhealthy.value.code == 500
    finally:
        manager.stop(30)
    assert not server.serving and manager.error is None


def test_a_users_pytest_exercises_its_webhooks_in_a_fresh_process(k8s_cluster: Cluster, tmp_path: Path) -> None:
    """A user's test file, run by pytest in a process of its own against this cluster, with the fixture only."""
    if k8s_cluster.kubeconfig is None:
        pytest.skip("the cluster has no kubeconfig file to hand to another process")
    (tmp_path / "test_users_hooks.py").write_text(f"""
import pytest, pykorm
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.webhooks import Webhooks

webhooks = Webhooks("users-hooks")

@webhooks.validate(ConfigMap)
def no_latest(cm: ConfigMap):
    return {{"data.image": "pin a version"}} if cm.data.get("image", "").endswith(":latest") else None

def test_latest_is_refused(k8s_webhooks, k8s_namespace):
    k8s_webhooks(webhooks)
    pk = pykorm.Pykorm(kubeconfig={str(k8s_cluster.kubeconfig)!r})
    with pytest.raises(pykorm.ValidationError, match="pin a version"):
        pk.save(ConfigMap(namespace=k8s_namespace, name="app", data={{"image": "nginx:latest"}}))
    assert pk.save(ConfigMap(namespace=k8s_namespace, name="app", data={{"image": "nginx:1.27"}})).name == "app"
""")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--kubeconfig={k8s_cluster.kubeconfig}",
         str(tmp_path / "test_users_hooks.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
