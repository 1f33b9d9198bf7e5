"""examples/tasks_app: the FastAPI CRUD API over the Task custom resource, driven through HTTP.

Requests go through the app's ASGI interface (``fastapi.testclient``), which runs its lifespan:
the Task CRD is installed at start-up, on the cluster under test. The deployment manifest is
applied with ``pykorm apply -f`` in a fresh process, and the app then runs, in another fresh
process, with its ServiceAccount's token: the generated RBAC is all it needs.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("fastapi", reason="the examples' extra: pip install -e '.[examples]'")
import yaml
from fastapi.testclient import TestClient

import pykorm
from pykorm.k8s import Deployment, Pod, Service
from pykorm.testing import Cluster
from tasks_app.app import create_app
from tasks_app.models import Task

from .conftest import EXAMPLES, WAIT, kubeconfig_of, run

DEPLOY = EXAMPLES / "tasks_app" / "deploy.yaml"


@pytest.fixture
def client(k8s_cluster: Cluster, k8s_namespace: str) -> Iterator[TestClient]:
    """The app on the cluster under test, its tasks in a fresh namespace; started and stopped as uvicorn would."""
    app = create_app(kubeconfig=kubeconfig_of(k8s_cluster), context=k8s_cluster.context, namespace=k8s_namespace)
    with TestClient(app) as http:
        yield http


def task(**fields: Any) -> dict[str, Any]:
    return {"title": "write the report", **fields}


def test_create_read_update_delete(client: TestClient) -> None:
    body = task(name="report", priority=2, tags=["work"], project="q3", due="2026-12-24T18:00:00Z",
                assignee={"name": "Ada", "email": "ada@example.com"},
                checklist=[{"text": "outline"}, {"text": "draft", "done": True}])

    created = client.post("/tasks", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["resource_version"] and created.json()["created_at"]
    got = client.get("/tasks/report").json()
    assert {k: got[k] for k in ("title", "done", "priority", "tags", "project")} == {
        "title": "write the report", "done": False, "priority": 2, "tags": ["work"], "project": "q3"}
    assert got["assignee"] == {"name": "Ada", "email": "ada@example.com"}
    assert got["checklist"] == [{"text": "outline", "done": False}, {"text": "draft", "done": True}]
    assert got["due"].startswith("2026-12-24T18:00:00")

    patched = client.patch("/tasks/report", json={"done": True, "checklist": [{"text": "outline", "done": True}],
                                                  "assignee": None})
    assert patched.status_code == 200, patched.text
    got = client.get("/tasks/report").json()
    assert (got["done"], got["checklist"], got["assignee"], got["tags"]) == (
        True, [{"text": "outline", "done": True}], None, ["work"])

    odd = "Ünïcode ✓ \"quoted\" <b>&amp;</b> 🚀 " + "x" * 150
    assert client.patch("/tasks/report", json={"title": odd}).json()["title"] == odd
    assert client.get("/tasks/report").json()["title"] == odd

    assert client.delete("/tasks/report").status_code == 204
    assert client.get("/tasks/report").status_code == 404
    assert client.delete("/tasks/report").status_code == 404
    unnamed = client.post("/tasks", json=task()).json()["name"]
    assert unnamed.startswith("task-") and client.get(f"/tasks/{unnamed}").status_code == 200


def test_the_stored_object_is_served_as_the_api_server_stores_it(client: TestClient, k8s_cluster: Cluster,
                                                                  k8s_namespace: str) -> None:
    import kubernetes

    created = client.post("/tasks", json=task(name="raw", tags=["x"])).json()
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(kubeconfig_of(k8s_cluster), context=k8s_cluster.context,
                                       client_configuration=configuration)
    with kubernetes.client.ApiClient(configuration) as api:  # an independent witness
        witness = kubernetes.client.CustomObjectsApi(api).get_namespaced_custom_object(
            "examples.pykorm.io", "v1", k8s_namespace, "tasks", "raw")

    served = client.get("/tasks/raw/k8s")

    assert served.status_code == 200 and served.json() == witness
    assert served.json()["metadata"]["resourceVersion"] == created["resource_version"]
    assert served.json()["metadata"]["uid"] and served.json()["metadata"]["managedFields"]
    assert client.get("/tasks/nothing-here/k8s").status_code == 404


def test_errors_are_http_statuses(client: TestClient) -> None:
    assert client.post("/tasks", json=task(name="once")).status_code == 201

    assert client.post("/tasks", json=task(name="once")).status_code == 409          # AlreadyExists
    assert client.get("/tasks/nothing-here").status_code == 404                      # NotFound
    assert client.patch("/tasks/nothing-here", json={"done": True}).status_code == 404
    for bad in (task(priority=9), task(priority=0), task(title=""), task(name="Not_A-Name"),
                task(name="x" * 300), task(assignee={"name": "Ada", "email": "not an address"}),
                task(checklist=[{"text": ""}]), task(tags=[str(i) for i in range(40)]),
                task(project="not a label value"), task(project="p" * 64)):
        answer = client.post("/tasks", json=bad)                                     # ClientValidationError
        assert answer.status_code == 422, (bad, answer.text)
    assert client.post("/tasks", json={"priority": 2}).status_code == 422             # no title: the body's model
    assert client.post("/tasks", content=b"{", headers={"content-type": "application/json"}).status_code == 422
    assert client.patch("/tasks/once", json={"priority": 6}).status_code == 422
    assert client.get("/tasks", params={"page_token": "not-a-token"}).status_code == 422  # the server's 400
    assert client.get("/tasks", params={"limit": 0}).status_code == 422
    assert client.get("/tasks/once").json()["priority"] == 3                          # nothing was written


def test_list_filters_and_pages(client: TestClient) -> None:
    specs = [("a", False, 1, "x", ["red"]), ("b", True, 1, "x", ["blue"]), ("c", False, 2, "x", ["red", "blue"]),
             ("d", False, 1, "y", []), ("e", True, 5, "y", ["red"]), ("f", False, 1, None, ["green"]),
             ("g", False, 3, "x", ["red"])]
    for name, done, priority, project, tags in specs:
        body = task(name=name, title=f"Task {name.upper()} to do", done=done, priority=priority, project=project, tags=tags)
        assert client.post("/tasks", json=body).status_code == 201

    def names(**params: Any) -> list[str]:
        answer = client.get("/tasks", params=params)
        assert answer.status_code == 200, answer.text
        return sorted(t["name"] for t in answer.json()["items"])

    assert names() == list("abcdefg")
    assert names(done=True) == ["b", "e"]                                   # field selector spec.done
    assert names(done=False, priority=1) == ["a", "d", "f"]                  # spec.priority too
    assert names(project="x") == ["a", "b", "c", "g"]                       # label selector
    assert names(project="x", tag="red", done=False) == ["a", "c", "g"]     # tags: in Python
    assert names(search="task c") == ["c"]
    assert names(project="nowhere") == []

    seen: list[str] = []
    token: str | None = None
    while True:
        page = client.get("/tasks", params={"limit": 3, **({"page_token": token} if token else {})}).json()
        assert len(page["items"]) <= 3
        seen += [t["name"] for t in page["items"]]
        if client.post("/tasks", json=task(name=f"late-{len(seen)}")).status_code != 201:  # the snapshot holds
            pytest.fail("could not create a task")
        token = page["next_token"]
        if token is None:
            break
    assert sorted(seen) == list("abcdefg")  # each once, none of those created meanwhile


def test_concurrent_updates_lose_nothing(client: TestClient, k8s_cluster: Cluster, k8s_namespace: str) -> None:
    assert client.post("/tasks", json=task(name="shared", tags=["start"])).status_code == 201
    tags = [f"t{i}" for i in range(12)]

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda t: client.post("/tasks/shared/tags", json={"add": [t]}), tags))
        patches = list(pool.map(lambda p: client.patch("/tasks/shared", json=p),
                                [{"title": "shared work"}, {"priority": 5}, {"done": True}]))

    assert [a.status_code for a in answers + patches] == [200] * 15, [a.text for a in answers + patches]
    final = client.get("/tasks/shared").json()
    assert sorted(final["tags"]) == sorted(["start", *tags])
    assert (final["title"], final["priority"], final["done"]) == ("shared work", 5, True)

    # a client that says which version it read gets a 409 instead of overwriting a newer one
    stale = final["resource_version"]
    assert client.post("/tasks/shared/tags", json={"remove": ["start"]}).status_code == 200
    refused = client.patch("/tasks/shared", json={"title": "mine", "resource_version": stale})
    assert refused.status_code == 409, refused.text
    current = client.get("/tasks/shared").json()
    assert current["title"] == "shared work" and "start" not in current["tags"]
    fresh = client.patch("/tasks/shared", json={"title": "mine", "resource_version": current["resource_version"]})
    assert fresh.status_code == 200 and fresh.json()["title"] == "mine"


def test_the_app_rides_out_a_throttling_server(k8s_fault_proxy: Any, k8s_namespace: str, tmp_path: Path) -> None:
    kubeconfig = k8s_fault_proxy.write_kubeconfig(tmp_path / "kubeconfig")
    with TestClient(create_app(kubeconfig=str(kubeconfig), namespace=k8s_namespace)) as client:
        k8s_fault_proxy.respond(429, retry_after=0, times=2, path="/tasks")
        assert client.post("/tasks", json=task(name="patient")).status_code == 201
        k8s_fault_proxy.respond(503, times=1, path="/tasks/patient")  # no Retry-After: not retried
        down = client.get("/tasks/patient")
        assert down.status_code == 503 and "Service Unavailable" in down.json()["detail"], down.text
        assert client.get("/tasks/patient").json()["title"] == "write the report"


def test_the_manifest_holds_what_pykorm_rbac_prints() -> None:
    documents = [d for d in yaml.safe_load_all(DEPLOY.read_text()) if d]
    rbac_kinds = {"ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    generated = pykorm.rbac(Task, name="tasks-app", namespace="tasks", install_crds=True)

    assert [d for d in documents if d["kind"] in rbac_kinds] == generated
    assert [d["kind"] for d in documents if d["kind"] not in rbac_kinds] == ["Namespace", "Deployment", "Service"]


CRUD_AS_THE_APP = textwrap.dedent("""
    from fastapi.testclient import TestClient
    from tasks_app.app import app          # as uvicorn imports it: configured by the environment

    with TestClient(app) as client:
        created = client.post("/tasks", json={"name": "from-the-pod", "title": "run as tasks-app"})
        assert created.status_code == 201, created.text
        assert [t["name"] for t in client.get("/tasks").json()["items"]] == ["from-the-pod"]
        assert client.delete("/tasks/from-the-pod").status_code == 204
    print("ok")
""")


def test_the_manifest_deploys_two_replicas_whose_account_can_run_the_app(
    k8s_cluster: Cluster, k8s_nodes: list[str], admin: pykorm.Pykorm, tmp_path: Path
) -> None:
    kubeconfig = kubeconfig_of(k8s_cluster)
    try:
        applied = run("python", "-m", "pykorm", "apply", "-f", str(DEPLOY), "--kubeconfig", kubeconfig)
        assert applied.returncode == 0, applied.stderr
        assert "deployment/tasks-app -n tasks applied" in applied.stdout

        deployment = admin.get(Deployment, "tasks-app", "tasks")
        admin.wait_for(deployment, lambda d: d is not None and d.status is not None
                       and d.status.available_replicas == 2, timeout=WAIT)
        pods = Pod.query.session(admin).namespace("tasks").filter_by_labels({"app.kubernetes.io/name": "tasks-app"})
        nodes = [p.spec.node_name for p in pods.filter(status__phase="Running") if p.spec]
        assert len(nodes) == 2 and set(nodes) <= set(k8s_nodes), nodes  # on the simulated nodes
        service = admin.get(Service, "tasks-app", "tasks").spec
        assert service and service.ports and service.ports[0].port == 80

        # the pods run no container here: run the app as its ServiceAccount would, in a fresh process
        token = admin.transport().request(
            "POST", "/api/v1/namespaces/tasks/serviceaccounts/tasks-app/token",
            body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}},
        )["status"]["token"]
        configuration = k8s_cluster.configuration()
        account = tmp_path / "kubeconfig"
        account.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "app",
            "clusters": [{"name": "c", "cluster": {"server": configuration.host,
                                                   "certificate-authority": configuration.ssl_ca_cert}}],
            "users": [{"name": "tasks-app", "user": {"token": token}}],
            "contexts": [{"name": "app", "context": {"cluster": "c", "user": "tasks-app", "namespace": "tasks"}}],
        }))
        result = run("python", "-c", CRUD_AS_THE_APP, KUBECONFIG=str(account), TASKS_NAMESPACE="tasks")
        assert result.returncode == 0 and result.stdout.strip() == "ok", result.stdout + result.stderr
    finally:
        transport = admin.transport()
        for path in ("/api/v1/namespaces/tasks", "/apis/rbac.authorization.k8s.io/v1/clusterroles/tasks:tasks-app",
                     "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/tasks:tasks-app"):
            with contextlib.suppress(pykorm.NotFound):
                transport.request("DELETE", path)
