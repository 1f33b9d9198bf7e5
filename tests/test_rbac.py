"""`pykorm rbac`: the least ServiceAccount, Role and bindings an app needs, tried with the account's own token."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

import pykorm
from pykorm._tools.cli import load_models, main
from pykorm._http.transport import Transport
from pykorm.testing import Cluster, install_crds

from .accounts import account_cluster, eventually
from pykorm.k8s.apps_v1 import Deployment
from pykorm.k8s.core_v1 import Pod
from .models import ConfigMap

ROOT = Path(__file__).resolve().parent.parent
MODELS = str(ROOT / "examples" / "models.py")
Database, Tenant = load_models([f"{MODELS}:Database", f"{MODELS}:Tenant"])
RBAC = "/apis/rbac.authorization.k8s.io/v1"

READ = ["get", "list", "watch"]
READ_WRITE = READ + ["create", "update", "patch", "delete", "deletecollection"]
STATUS_RULE = {"apiGroups": ["examples.pykorm.io"], "resources": ["databases/status"], "verbs": ["get", "update", "patch"]}


# -- the manifests ---------------------------------------------------------------------------


def test_a_namespaced_app_gets_a_role_with_the_verbs_pykorm_uses() -> None:
    account, role, binding = pykorm.rbac(Database, ConfigMap, name="shop", namespace="shops")

    labels = {"app.kubernetes.io/name": "shop", "app.kubernetes.io/managed-by": "pykorm"}
    assert account == {"apiVersion": "v1", "kind": "ServiceAccount",
                       "metadata": {"name": "shop", "namespace": "shops", "labels": labels}}
    assert role["kind"] == "Role" and role["metadata"] == {"name": "shop", "namespace": "shops", "labels": labels}
    assert role["rules"] == [
        {"apiGroups": ["examples.pykorm.io"], "resources": ["databases"], "verbs": READ_WRITE},
        STATUS_RULE,
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": READ_WRITE},
    ]
    assert binding["kind"] == "RoleBinding"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "shop"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "shop", "namespace": "shops"}]


def test_read_only_is_get_list_watch_and_no_status() -> None:
    _, role, _ = pykorm.rbac(Database, name="viewer", read_only=True)

    assert role["rules"] == [{"apiGroups": ["examples.pykorm.io"], "resources": ["databases"], "verbs": READ}]


def test_cluster_scoped_models_and_all_namespaces_get_a_cluster_role() -> None:
    kinds = [(m["kind"], m["metadata"]["name"]) for m in pykorm.rbac(Database, Tenant, name="ops", namespace="ops")]
    everywhere = pykorm.rbac(Database, name="ops", namespace="ops", all_namespaces=True)

    assert kinds == [("ServiceAccount", "ops"), ("Role", "ops"), ("RoleBinding", "ops"),
                     ("ClusterRole", "ops:ops"), ("ClusterRoleBinding", "ops:ops")]
    assert [m["kind"] for m in everywhere] == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]
    assert everywhere[1]["rules"][0]["resources"] == ["databases"]


def test_no_status_rule_without_a_status_subresource() -> None:
    @pykorm.k8s_custom_object("rbac.pykorm.io", "v1", "lamps")
    class Lamp(pykorm.NamespacedModel):
        class Meta:
            status_subresource = False

        on: bool | None = pykorm.Status("on", default=None)

    assert [r["resources"] for r in pykorm.rbac(Lamp, name="l")[1]["rules"]] == [["lamps"]]


def test_logs_and_scale_grant_the_subresources_of_the_models_that_have_them() -> None:
    _, role, _ = pykorm.rbac(Pod, Deployment, ConfigMap, Database, name="ops", logs=True, scale=True)
    _, viewer, _ = pykorm.rbac(Pod, Deployment, name="viewer", read_only=True, logs=True, scale=True)
    _, plain, _ = pykorm.rbac(Pod, Deployment, name="plain")

    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": READ_WRITE},
        {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["get", "update", "patch"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": READ_WRITE},
        {"apiGroups": ["apps"], "resources": ["deployments/status"], "verbs": ["get", "update", "patch"]},
        {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "patch"]},
        {"apiGroups": ["examples.pykorm.io"], "resources": ["databases"], "verbs": READ_WRITE},
        STATUS_RULE,
        {"apiGroups": ["examples.pykorm.io"], "resources": ["databases/scale"], "verbs": ["get", "patch"]},
    ]
    assert {r for rule in viewer["rules"] for r in rule["resources"] if "/" in r} == {"pods/log", "deployments/scale"}
    assert [rule["verbs"] for rule in viewer["rules"] if rule["resources"] == ["deployments/scale"]] == [["get"]]
    assert not [r for rule in plain["rules"] for r in rule["resources"] if r.endswith(("/log", "/scale"))]
    *_, cluster_role, _ = pykorm.rbac(Pod, name="ops", namespace="ops", all_namespaces=True, logs=True)
    assert {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]} in cluster_role["rules"]
    with pytest.raises(TypeError, match="add the Pod model"):
        pykorm.rbac(Deployment, name="ops", logs=True)
    with pytest.raises(TypeError, match="none of the models has a /scale"):
        pykorm.rbac(Pod, ConfigMap, Tenant, name="ops", scale=True)


def test_exec_grants_create_and_get_on_pods_exec_beside_the_pod_model() -> None:
    _, role, _ = pykorm.rbac(Pod, Deployment, name="ops", exec=True)
    _, viewer, _ = pykorm.rbac(Pod, name="viewer", read_only=True, exec=True)

    assert {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]} in role["rules"]
    assert {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]} in viewer["rules"]
    assert not [r for rule in pykorm.rbac(Pod, name="p")[1]["rules"] for r in rule["resources"] if r == "pods/exec"]
    with pytest.raises(TypeError, match="add the Pod model"):
        pykorm.rbac(Deployment, name="ops", exec=True)


def test_the_cli_says_when_a_flag_would_grant_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rbac", "pykorm.k8s.apps_v1:Deployment", "--name", "ops", "--logs"]) == 1
    assert "add the Pod model" in capsys.readouterr().err


def test_install_crds_may_create_crds_and_read_and_update_its_own_by_name() -> None:
    *_, cluster_role, binding = pykorm.rbac(Database, Tenant, name="shop", namespace="shops", install_crds=True)

    assert cluster_role["kind"] == "ClusterRole" and binding["roleRef"]["name"] == "shops:shop"
    crd_rules = [r for r in cluster_role["rules"] if r["apiGroups"] == ["apiextensions.k8s.io"]]
    assert crd_rules == [
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["create"]},
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
         "resourceNames": ["databases.examples.pykorm.io", "tenants.examples.pykorm.io"], "verbs": ["get", "update"]},
    ]
    assert [m["kind"] for m in pykorm.rbac(Database, name="shop")] == ["ServiceAccount", "Role", "RoleBinding"]
    with pytest.raises(TypeError, match="custom resource"):
        pykorm.rbac(ConfigMap, name="shop", install_crds=True)


# -- against the API server, with the account's token ----------------------------------------------


@pytest.fixture(scope="module")
def crds(k8s_cluster: Cluster) -> None:
    install_crds(k8s_cluster, *pykorm.crds(Database, Tenant))


COLLECTIONS = {
    "ServiceAccount": "/api/v1/namespaces/{namespace}/serviceaccounts",
    "Role": RBAC + "/namespaces/{namespace}/roles",
    "RoleBinding": RBAC + "/namespaces/{namespace}/rolebindings",
    "ClusterRole": RBAC + "/clusterroles",
    "ClusterRoleBinding": RBAC + "/clusterrolebindings",
}


@pytest.fixture
def app(k8s_cluster: Cluster, crds: None, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., pykorm.Pykorm]]:
    """Run ``pykorm rbac ARGS``, create what it prints, and return a session with the account's token."""
    admin = k8s_cluster.transport()
    created: list[str] = []
    sessions: list[pykorm.Pykorm] = []

    def make(*args: str) -> pykorm.Pykorm:
        capsys.readouterr()
        assert main(["rbac", *args]) == 0
        manifests = [m for m in yaml.safe_load_all(capsys.readouterr().out) if m]
        for manifest in manifests:
            collection = COLLECTIONS[manifest["kind"]].format(namespace=manifest["metadata"].get("namespace"))
            admin.request("POST", collection, body=manifest)
            created.append(f"{collection}/{manifest['metadata']['name']}")
        account = manifests[0]["metadata"]
        source = account_cluster(k8s_cluster, admin, account["namespace"], account["name"])
        session = pykorm.Pykorm(clusters={"default": source}, make_default=False)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
    for path in reversed(created):
        with contextlib.suppress(pykorm.NotFound):
            admin.request("DELETE", path)


def database(namespace: str, name: str) -> Any:
    return Database(namespace=namespace, name=name, engine="postgres", version="16")


def test_the_app_can_do_its_work_and_nothing_else(app: Callable[..., pykorm.Pykorm], k8s_namespace: str) -> None:
    shop = app(f"{MODELS}:Database", "--name", "shop", "--namespace", k8s_namespace)
    query = Database.query.session(shop).namespace(k8s_namespace)

    db = eventually(lambda: shop.save(database(k8s_namespace, "orders")))             # create
    assert [d.name for d in query.all()] == ["orders"]                                # list
    db = shop.get(Database, "orders", k8s_namespace)                                  # get
    db.instances = 3
    shop.save(db)                                                                     # update (patch)
    db.phase = "Ready"
    shop.save_status(db)                                                              # status subresource
    shop.apply(database(k8s_namespace, "sessions"))                                   # server-side apply
    assert (shop.get(Database, "orders", k8s_namespace).instances, db.phase) == (3, "Ready")
    assert [e.type for e in query.watch(timeout=1, initial=True)][:1] == ["ADDED"]    # watch
    assert len(query.delete()) == 2 and query.count() == 0                            # deletecollection
    shop.save(database(k8s_namespace, "audit"))
    shop.delete(shop.get(Database, "audit", k8s_namespace))                           # delete

    with pytest.raises(pykorm.Forbidden):                                             # another resource
        shop.save(ConfigMap(namespace=k8s_namespace, name="settings"))
    with pytest.raises(pykorm.Forbidden):
        shop.get(ConfigMap, "kube-root-ca.crt", k8s_namespace)
    with pytest.raises(pykorm.Forbidden):                                             # another namespace
        shop.save(database("default", "intruder"))
    with pytest.raises(pykorm.Forbidden):
        Database.query.session(shop).namespace("default").all()
    with pytest.raises(pykorm.Forbidden):                                             # a cluster-scoped model
        Tenant.query.session(shop).all()


def test_an_app_installing_its_crds_may_install_them_and_no_other(
    app: Callable[..., pykorm.Pykorm], k8s_namespace: str
) -> None:
    shop = app(f"{MODELS}:Database", "--name", "shop", "--namespace", k8s_namespace, "--install-crds")

    installed = eventually(lambda: shop.install_crds(Database))  # POST (exists), GET and PUT by name

    assert [crd["metadata"]["name"] for crd in installed] == ["databases.examples.pykorm.io"]
    with pytest.raises(pykorm.Forbidden):
        shop.install_crds(Tenant)  # another CRD: the POST is allowed, reading it by name is not


def test_a_read_only_app_reads_and_cannot_write(
    app: Callable[..., pykorm.Pykorm], k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    admin = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    admin.save(database(k8s_namespace, "orders"))
    viewer = app(f"{MODELS}:Database", "--name", "viewer", "--namespace", k8s_namespace, "--read-only")

    stored = eventually(lambda: viewer.get(Database, "orders", k8s_namespace))
    assert Database.query.session(viewer).namespace(k8s_namespace).count() == 1
    stored.instances = 2
    stored.phase = "Ready"
    for write in (
        lambda: viewer.save(database(k8s_namespace, "mine")),   # create
        lambda: viewer.save(stored),                            # patch
        lambda: viewer.save_status(stored),                     # status
        lambda: viewer.delete(stored),                          # delete
    ):
        with pytest.raises(pykorm.Forbidden):
            write()
    assert admin.get(Database, "orders", k8s_namespace).instances == 1
    admin.close()


def test_a_cluster_scoped_model_is_granted_by_a_cluster_role(app: Callable[..., pykorm.Pykorm], k8s_cluster: Cluster,
                                                             k8s_namespace: str) -> None:
    platform = app(f"{MODELS}:Tenant", "--name", "platform", "--namespace", k8s_namespace)
    name = f"acme-{k8s_namespace}"
    try:
        tenant = eventually(lambda: platform.save(Tenant(name=name, display_name="ACME", contact="it@acme.example")))
        assert [t.name for t in Tenant.query.session(platform).all() if t.name == name] == [name]
        platform.delete(tenant)
        with pytest.raises(pykorm.Forbidden):
            Database.query.session(platform).namespace(k8s_namespace).all()
    finally:
        with contextlib.suppress(pykorm.NotFound):
            Transport.request(k8s_cluster.transport(), "DELETE", f"/apis/examples.pykorm.io/v1/tenants/{name}")


def test_an_app_that_reads_logs_and_scales_may_as_its_service_account(
    app: Callable[..., pykorm.Pykorm], k8s_cluster: Cluster, k8s_namespace: str, k8s_nodes: list[str],
) -> None:
    from pykorm.k8s.apps_v1 import DeploymentSpec
    from pykorm.k8s.core_v1 import Container, PodSpec, PodTemplateSpec
    from pykorm.k8s.meta_v1 import LabelSelector, ObjectMeta

    admin = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    labels = {"app": "web"}
    admin.save(Deployment(namespace=k8s_namespace, name="web", spec=DeploymentSpec(
        replicas=1, selector=LabelSelector(match_labels=labels),
        template=PodTemplateSpec(metadata=ObjectMeta(labels=labels),
                                 spec=PodSpec(containers=[Container(name="web", image="nginx")])))))
    models = ("pykorm.k8s.core_v1:Pod", "pykorm.k8s.apps_v1:Deployment", "--namespace", k8s_namespace)
    plain = app(*models, "--name", "plain")
    ops = app(*models, "--name", "ops", "--logs", "--scale")
    viewer = app(*models, "--name", "viewer", "--read-only", "--logs", "--scale")
    pods = Pod.query.session(ops).namespace(k8s_namespace).filter(status__phase="Running")
    pod = eventually(lambda: pods.wait_until(lambda found: len(found) == 1, timeout=120)[0])
    web = eventually(lambda: ops.get(Deployment, "web", k8s_namespace))

    log = admin.logs(pod)  # kwok's one log file, which other tests add lines to
    assert log and eventually(lambda: ops.logs(pod)) == log                           # GET pods/log
    assert next(iter(ops.logs(pod, follow=True))) == log.splitlines()[0]
    assert ops.scale(web, 2).replicas == 2 and ops.get_scale(web).replicas == 2      # PATCH, GET deployments/scale
    assert eventually(lambda: viewer.logs(pod, tail_lines=1)) == log.splitlines(keepends=True)[-1]
    assert eventually(lambda: viewer.get_scale(web)).replicas == 2
    eventually(lambda: plain.get(Pod, pod.name, k8s_namespace))                       # the binding is known
    for refused in (lambda: plain.logs(pod), lambda: plain.get_scale(web), lambda: plain.scale(web, 3),
                    lambda: viewer.scale(web, 3)):
        with pytest.raises(pykorm.Forbidden):
            refused()
    assert admin.get_scale(web).replicas == 2
    admin.close()


def test_an_app_that_runs_commands_in_pods_may_as_its_service_account_and_no_other_may(
    app: Callable[..., pykorm.Pykorm], k8s_cluster: Cluster, k8s_namespace: str, k8s_nodes: list[str],
) -> None:
    from pykorm.k8s.core_v1 import Container, PodSpec

    admin = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    pod = admin.save(Pod(namespace=k8s_namespace, name="shell",
                         spec=PodSpec(containers=[Container(name="main", image="registry.k8s.io/pause:3.9")])))
    admin.wait_for(pod, lambda p: p is not None and p.status is not None and p.status.phase == "Running", timeout=120)
    ops = app("pykorm.k8s.core_v1:Pod", "--namespace", k8s_namespace, "--name", "ops", "--exec")
    plain = app("pykorm.k8s.core_v1:Pod", "--namespace", k8s_namespace, "--name", "plain", "--logs")

    assert eventually(lambda: ops.exec(pod, ["sh", "-c", "echo $0", "as-ops"])).stdout == "as-ops\n"  # pods/exec
    eventually(lambda: plain.get(Pod, pod.name, k8s_namespace))                       # the binding is known
    with pytest.raises(pykorm.Forbidden, match="pods/exec|exec"):
        plain.exec(pod, ["true"])
    admin.close()
