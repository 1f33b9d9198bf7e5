"""pykorm.k8s on a cluster where workloads run: typed built-in kinds, owners, scale, logs, manifests, pages.

The workload tests need Ready nodes (``k8s_nodes`` skips them on a bare control plane): the local
control plane's kwok nodes run the pods (they turn Running, Jobs' pods complete, a log is served).
Every wait is bounded generously: other jobs share the machine.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest

import pykorm
import pykorm.testing
from pykorm._tools.k8s_codegen import fetch_inputs, k8s_sources, stale_modules
from pykorm._tools.k8s_inputs import served_kinds
from pykorm._schema.openapi import is_custom_group
from pykorm.k8s import ConfigMap, Deployment, Job, Namespace, Pod, ReplicaSet, Secret
from pykorm.k8s.apps_v1 import DeploymentSpec
from pykorm.k8s.batch_v1 import JobSpec
from pykorm.k8s.core_v1 import Container, ContainerPort, PodSpec, PodTemplateSpec, Probe, TCPSocketAction
from pykorm.k8s.meta_v1 import LabelSelector, ObjectMeta
from pykorm.testing import Cluster

from .conftest import Mypy

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "registry.k8s.io/pause:3.9"
WAIT = 120.0
T = TypeVar("T")


def until(check: Callable[[], T], timeout: float = WAIT, what: str = "condition") -> T:
    """``check()`` once it is truthy, polling with growing pauses; fails after ``timeout`` seconds."""
    deadline, pause = time.monotonic() + timeout, 0.1
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s (last: {value!r})")
        time.sleep(pause)
        pause = min(pause * 1.5, 2.0)


def web(namespace: str, replicas: int = 2) -> Deployment:
    labels = {"app": "web"}
    container = Container(name="web", image=IMAGE, ports=[ContainerPort(container_port=8080, name="http")],
                          readiness_probe=Probe(tcp_socket=TCPSocketAction(port="http")))
    return Deployment(
        namespace=namespace, name="web",
        spec=DeploymentSpec(replicas=replicas, selector=LabelSelector(match_labels=labels),
                            template=PodTemplateSpec(metadata=ObjectMeta(labels=labels),
                                                     spec=PodSpec(containers=[container]))),
    )


# -- generated from the server ---------------------------------------------------------------


def skip_unless_the_pinned_release(cluster: Cluster) -> None:
    """The checked-in models and names are the default release's; another release (CI's compatibility pass) differs."""
    served = cluster.transport().request("GET", "/version")["gitVersion"]
    if served.split("+")[0] != pykorm.KUBERNETES_VERSION:
        pytest.skip(f"pykorm.k8s is generated from Kubernetes {pykorm.KUBERNETES_VERSION}; this cluster serves {served}")


def test_the_checked_in_models_are_what_the_pinned_server_generates(k8s_cluster: Cluster) -> None:
    skip_unless_the_pinned_release(k8s_cluster)
    sources = k8s_sources(fetch_inputs(k8s_cluster.transport()))

    assert stale_modules(sources) == [], "run: python -m pykorm codegen k8s"
    assert Pod.__resource__ is not None and {"status.phase", "spec.nodeName"} <= set(Pod.__resource__.selectable)


def test_every_kind_the_server_serves_has_its_model_and_each_list_able_one_lists(k8s_cluster: Cluster, pk: pykorm.Pykorm) -> None:
    """Discovery of the local cluster, kind by kind: pykorm.k8s has a model with its apiVersion, kind, plural and
    scope, found by name (``pykorm.k8s.<Kind>`` is that kind or a namesake of another group) and by
    ``pk.model_for``; each list-able kind is listed once through its model (one page of one object: lean)."""
    import pykorm.k8s

    skip_unless_the_pinned_release(k8s_cluster)
    transport = pk.transport()
    served = served_kinds(transport)
    assert len(served) >= 70 and ("apps", "v1", "ControllerRevision", True) in served

    listed = 0
    for group, version, kind, listable in served:
        api_version = f"{group}/{version}" if group else version
        entry = next(e for e in transport.request("GET", f"/apis/{api_version}" if group else "/api/v1")["resources"]
                     if e["kind"] == kind and "/" not in e["name"])
        model = pykorm.k8s.model_of(api_version, kind)
        assert model is not None, f"pykorm.k8s has no model of {api_version} {kind}"
        resource = model.__resource__
        assert resource is not None
        assert (resource.api_version, resource.kind, resource.plural, resource.namespaced) == (
            api_version, kind, entry["name"], entry["namespaced"]), f"{api_version} {kind}"
        assert issubclass(model, pykorm.NamespacedModel if entry["namespaced"] else pykorm.ClusterModel)
        assert pk.model_for(api_version, kind) is model
        assert getattr(pykorm.k8s, kind).__resource__.kind == kind  # the top-level name: this kind or a namesake
        if listable:
            query = model.query.all_namespaces() if entry["namespaced"] else model.query  # pk is the default session
            with warnings.catch_warnings():  # a deprecated kind (ComponentStatus) is said so: expected here
                warnings.simplefilter("ignore", pykorm.ServerWarning)
                page = query.page(1)
            assert all(type(o) is model for o in page.items)
            # ComponentStatus: the server pages no resource without storage, and answers its whole list
            assert len(page.items) <= 1 or (kind == "ComponentStatus" and page.next_token is None), (kind, page)
            listed += 1
    assert listed == sum(1 for *_, can_list in served if can_list) >= 60


def test_an_older_release_serves_the_fields_recorded_for_it(k8s_cluster: Cluster) -> None:
    """The generated docstrings say what 1.35 and 1.36 lack from these records (CI's compatibility pass runs this)."""
    from pykorm._tools.k8s_codegen import RELEASES_DIR, release_record

    served = k8s_cluster.transport().request("GET", "/version")["gitVersion"].split("+")[0]
    if served == pykorm.KUBERNETES_VERSION:
        pytest.skip("the default release: the generated modules themselves are compared with it")
    if served not in pykorm.testing.KUBERNETES_RELEASES:
        pytest.skip(f"{served} is not a release pykorm pins")
    path = RELEASES_DIR / f"{served}.json"

    assert path.exists() and path.read_text() == release_record(fetch_inputs(k8s_cluster.transport(), probe=False), served), (
        f"run against a {served} cluster: python -m pykorm codegen k8s --record-release; then regenerate pykorm.k8s")


def test_the_unit_tests_names_are_every_property_name_the_pinned_server_serves(k8s_cluster: Cluster) -> None:
    """tests/unit/test_snake_case.py checks the Python name of each; here, that the list is still complete
    (Kubernetes' own groups: custom resources' names are their authors')."""
    skip_unless_the_pinned_release(k8s_cluster)
    transport, names = k8s_cluster.transport(), set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                names.update(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    index = transport.request("GET", "/openapi/v3")
    for path in (json.loads(index) if isinstance(index, str) else index)["paths"]:
        if path.startswith("apis/") and is_custom_group(path.split("/")[1]):
            continue  # the CRDs other tests installed
        document = transport.request("GET", f"/openapi/v3/{path.lstrip('/')}")
        walk((json.loads(document) if isinstance(document, str) else document).get("components"))

    recorded = json.loads((ROOT / "tests" / "unit" / "openapi_property_names.json").read_text())
    assert sorted(names) == recorded["names"] and recorded["kubernetes"] == pykorm.KUBERNETES_VERSION


def test_pod_addresses_have_their_acronyms_whole(pk: pykorm.Pykorm, k8s_namespace: str, k8s_nodes: list[str]) -> None:
    pod = pk.save(Pod(namespace=k8s_namespace, name="addressed",
                      spec=PodSpec(containers=[Container(name="c", image="busybox")])))
    running = pk.wait_for(pod, lambda p: p is not None and bool(p.status and p.status.pod_ips), timeout=120)

    assert running is not None and running.status is not None and running.status.pod_ips
    assert [ip.ip for ip in running.status.pod_ips] == [a["ip"] for a in running.to_k8s()["status"]["podIPs"]]
    assert running.status.pod_ip == running.status.pod_ips[0].ip
    assert [ip.ip for ip in running.status.host_ips or []] == [a["ip"] for a in running.to_k8s()["status"]["hostIPs"]]


def test_generated_models_pass_mypy_strict_in_a_typed_program(mypy: Mypy) -> None:
    result = mypy("tests/typing/k8s_typed.py")

    assert result.returncode == 0, result.stdout + result.stderr


# -- a Deployment, its ReplicaSet and Pods ---------------------------------------------------------


def test_a_typed_deployment_becomes_ready_its_pods_are_found_and_it_scales(
    pk: pykorm.Pykorm, k8s_namespace: str, k8s_nodes: list[str]
) -> None:
    deployment = pk.save(web(k8s_namespace))
    pk.wait_for(deployment, lambda d: d is not None and d.status is not None and d.status.ready_replicas == 2,
                timeout=WAIT)

    running = Pod.query.namespace(k8s_namespace).filter(status__phase="Running", labels__app="web")
    plan = running.explain()
    assert (plan.field_selector, plan.label_selector, plan.python) == ("status.phase=Running", "app=web", None)
    until(lambda: running.count() == 2, what="2 running pods")
    pods = running.all()
    pod = pods[0]
    assert pod.spec is not None and pod.spec.containers[0].image == IMAGE and pod.spec.node_name in k8s_nodes
    assert Pod.query.namespace(k8s_namespace).filter(spec__node_name=pod.spec.node_name).explain().fully_pushed

    (replica_set,) = pod.owners()                                    # Pod -> ReplicaSet -> Deployment
    assert isinstance(replica_set, ReplicaSet) and pod.owner_references and pod.owner_references[0].controller
    (owner,) = replica_set.owners()
    assert isinstance(owner, Deployment) and owner.uid == deployment.uid
    assert [r.name for r in ReplicaSet.query.owned_by(deployment)] == [replica_set.name]
    assert sorted(p.name for p in Pod.query.owned_by(replica_set)) == sorted(p.name for p in pods)

    assert pk.scale(deployment, 0).replicas == 0                     # through /scale
    until(lambda: not Pod.query.namespace(k8s_namespace).filter(labels__app="web").exists(), what="no pods")
    assert pk.get_scale(deployment).replicas == 0
    pk.scale(deployment, 2)
    pk.wait_for(deployment, lambda d: d is not None and d.status is not None and d.status.ready_replicas == 2,
                timeout=WAIT)
    scale = pk.get_scale(deployment)
    assert (scale.replicas, scale.current_replicas, scale.selector) == (2, 2, "app=web")
    with pytest.raises(ValueError):
        pk.scale(deployment, -1)
    with pytest.raises(pykorm.NotFound):                             # a kind without /scale
        pk.scale(pod, 1)


# -- a Job and its logs ---------------------------------------------------------------------------------


def test_a_typed_job_completes_and_its_pod_has_a_log(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str,
                                                     k8s_nodes: list[str]) -> None:
    template = PodTemplateSpec(spec=PodSpec(restart_policy="Never", containers=[Container(name="work", image=IMAGE)]))
    job = pk.save(Job(namespace=k8s_namespace, name="once", spec=JobSpec(completions=1, template=template)))
    pk.wait_for(job, lambda j: j is not None and j.status is not None and j.status.succeeded == 1, timeout=WAIT)

    (pod,) = Pod.query.owned_by(job).all()
    assert pod.status is not None and pod.status.phase == "Succeeded"
    assert Pod.query.namespace(k8s_namespace).filter(status__phase="Succeeded").pluck("name") == [pod.name]

    marker = f"ERROR: {k8s_namespace} failed"
    control_plane = k8s_cluster.control_plane
    if control_plane is not None:  # our kwok serves one log file for every container
        control_plane.append_pod_log(marker)
    text = pk.logs(pod)
    assert isinstance(text, str) and text.strip()
    last = pk.logs(pod, "work", tail_lines=1)
    assert last.count("\n") <= 1 and (control_plane is None or marker in last)
    lines = pk.logs(pod, follow=True)
    try:
        assert next(lines) == text.splitlines()[0]
    finally:
        lines.close()  # type: ignore[attr-defined]
    with pytest.raises(pykorm.ValidationError):
        pk.logs(pod, "no-such-container")
    with pytest.raises(ValueError):
        pk.logs(pod, tail_lines=-1)


# -- relationships -----------------------------------------------------------------------------------------


def test_adopt_then_deleting_the_owner_collects_the_child(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    owner = pk.save(ConfigMap(namespace=k8s_namespace, name="owner", data={"a": "1"}))
    child = pk.save(Secret(namespace=k8s_namespace, name="child", string_data={"k": "v"}))

    pk.adopt(child, owner)                                           # saved: the child is stored

    stored = pk.get(Secret, "child", k8s_namespace)
    assert stored.owner_references and [(r.kind, r.name, r.uid, r.controller, r.block_owner_deletion)
                                        for r in stored.owner_references] == [("ConfigMap", "owner", owner.uid, True, True)]
    assert [o.name for o in stored.owners()] == ["owner"]
    with pytest.raises(pykorm.ClientValidationError, match="already has a controller"):
        pk.adopt(stored, pk.save(ConfigMap(namespace=k8s_namespace, name="second")))
    with pytest.raises(pykorm.ClientValidationError, match="saved first"):
        pk.adopt(stored, ConfigMap(namespace=k8s_namespace, name="unsaved"))
    with pytest.raises(pykorm.ClientValidationError, match="namespace"):
        pk.adopt(Secret(namespace="default", name="elsewhere"), owner)

    pk.delete(owner, wait=True, timeout=WAIT)
    assert pk.get(ConfigMap, "second", k8s_namespace)                # unrelated: still there
    pk.wait_gone(stored, timeout=WAIT)                               # the garbage collector took the child


def test_delete_waits_for_finalizers(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    held = pk.save(ConfigMap(namespace=k8s_namespace, name="held", finalizers=["example.com/hold"]))

    with pytest.raises(pykorm.WaitTimeout) as caught:
        pk.delete(held, wait=True, timeout=1)
    last = caught.value.last
    assert last.deletion_timestamp is not None and last.finalizers == ["example.com/hold"]

    pk.refresh(held)
    held.finalizers = []
    pk.save(held)
    pk.wait_gone(held, timeout=WAIT)
    with pytest.raises(pykorm.NotFound):
        pk.get(ConfigMap, "held", k8s_namespace)


# -- manifests and discovery -----------------------------------------------------------------------------


def test_apply_manifests_of_any_kind_and_models_from_discovery(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    text = textwrap.dedent(f"""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: settings, namespace: {k8s_namespace}}}
        data: {{mode: fast}}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: api, namespace: {k8s_namespace}}}
        spec:
          replicas: 0
          selector: {{matchLabels: {{app: api}}}}
          template:
            metadata: {{labels: {{app: api}}}}
            spec: {{containers: [{{name: api, image: {IMAGE}}}]}}
        ---
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata: {{name: {k8s_namespace}-low}}
        value: 10
        """)
    applied = pk.apply_manifests(text)

    assert [type(o).__name__ for o in applied] == ["ConfigMap", "Deployment", "PriorityClass"]
    assert isinstance(applied[1], Deployment) and applied[1].spec and applied[1].spec.replicas == 0
    Priority = pykorm.resource("scheduling.k8s.io/v1", "PriorityClass")
    assert Priority is pk.resource("scheduling.k8s.io/v1", "PriorityClass")   # made once per session
    try:
        assert [p.name for p in Priority.query.filter(value__gte=10, name=f"{k8s_namespace}-low")] == [applied[2].name]
        Apps = pykorm.resource("apps/v1", "Deployment")
        assert Apps.query.namespace(k8s_namespace).filter(spec__replicas=0).pluck("name") == ["api"]
        assert pykorm.resource("deployments.apps").__resource__ == Apps.__resource__
        again = pk.apply_manifests([{"apiVersion": "v1", "kind": "List", "items": [applied[0].to_dict()]}])
        assert again[0].resource_version == applied[0].resource_version  # nothing changed
    finally:
        pk.delete(applied[2])
    with pytest.raises(pykorm.NotFound):
        pykorm.resource("apps/v1", "NoSuchKind")
    with pytest.raises(pykorm.ClientValidationError, match="apiVersion, kind and metadata.name"):
        pk.apply_manifests({"kind": "ConfigMap", "metadata": {"name": "x"}})


def test_apply_manifests_with_a_crd_and_its_objects_in_one_source(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    crd = pykorm.crd(Gadget)
    gadget = {"apiVersion": "kinds.pykorm.io/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": k8s_namespace},
              "spec": {"size": 3}}

    applied = pk.apply_manifests([gadget, crd])                       # the CRD goes first, and is served before g

    assert [type(o).__name__ for o in applied] == ["CustomResourceDefinition", "Gadget"]
    stored = pk.get(Gadget, "g", k8s_namespace)
    assert isinstance(applied[1], Gadget) and stored.size == 3


@pykorm.k8s_custom_object("kinds.pykorm.io", "v1", "gadgets")
class Gadget(pykorm.NamespacedModel):
    size: int | None = pykorm.Spec("size", default=None)


def test_from_dict_is_the_counterpart_of_to_dict() -> None:
    deployment = web("shop")

    copy = Deployment.from_dict(deployment.to_dict())

    assert copy == deployment and copy.spec is not None and copy.spec.template.spec is not None
    assert copy.spec.template.spec.containers[0].ports == deployment.spec.template.spec.containers[0].ports  # type: ignore[union-attr]
    assert Pod.from_dict({"metadata": {"name": "p"}}).to_dict()["kind"] == "Pod"
    with pytest.raises(ValueError, match="kind"):
        Pod.from_dict({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "p"}})


# -- rbac | apply -------------------------------------------------------------------------------------------


def test_rbac_piped_to_apply_grants_a_service_account_exactly_that(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    env = {**os.environ, "KUBECONFIG": str(k8s_cluster.kubeconfig), "PYTHONPATH": str(ROOT)}
    command = (f"{sys.executable} -m pykorm rbac pykorm.k8s.core_v1:ConfigMap --name app --namespace {k8s_namespace}"
               f" | {sys.executable} -m pykorm apply -f -")
    result = subprocess.run(command, shell=True, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"serviceaccount/app -n {k8s_namespace} applied",
                                          f"role/app -n {k8s_namespace} applied",
                                          f"rolebinding/app -n {k8s_namespace} applied"]

    admin = k8s_cluster.transport()
    token = admin.request(
        "POST", f"/api/v1/namespaces/{k8s_namespace}/serviceaccounts/app/token",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}},
    )["status"]["token"]
    configuration = k8s_cluster.configuration()
    app = pykorm.Pykorm(clusters={"default": {"host": configuration.host, "ssl_ca_cert": configuration.ssl_ca_cert,
                                              "api_key": {"authorization": f"Bearer {token}"}}}, make_default=False)
    try:
        def work() -> Any:
            return app.save(ConfigMap(namespace=k8s_namespace, name="mine", data={"a": "b"}))

        deadline = time.monotonic() + 15
        while True:  # the authorizer learns of new bindings within moments
            try:
                work()
                break
            except pykorm.Forbidden:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert "mine" in ConfigMap.query.session(app).namespace(k8s_namespace).pluck("name")
        with pytest.raises(pykorm.Forbidden):
            Secret.query.session(app).namespace(k8s_namespace).all()
        with pytest.raises(pykorm.Forbidden):
            ConfigMap.query.session(app).namespace("default").all()
        with pytest.raises(pykorm.Forbidden):
            app.scale(ConfigMap(namespace=k8s_namespace, name="mine"), 1)
    finally:
        app.close()


# -- pages ----------------------------------------------------------------------------------------------


def test_a_page_walk_returns_each_of_1234_objects_exactly_once(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    def make(i: int) -> None:
        pk.save(ConfigMap(namespace=k8s_namespace, name=f"item-{i:04d}", labels={"parity": str(i % 2)},
                          data={"i": str(i)}))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(1234)))
    query = ConfigMap.query.namespace(k8s_namespace).filter(labels__has="parity")

    seen: list[str] = []
    token, remaining, pages = None, [], 0
    while True:
        page = query.page(100, token)
        seen += [c.name for c in page.items]
        remaining.append(page.remaining)
        pages += 1
        if page.next_token is None:
            break
        pk.save(ConfigMap(namespace=k8s_namespace, name=f"late-{pages}", labels={"parity": "0"}))  # after the snapshot
        token = page.next_token

    assert len(seen) == len(set(seen)) == 1234 and pages == 13
    assert set(seen) == {f"item-{i:04d}" for i in range(1234)}
    assert set(remaining) == {None}  # the server counts what remains only for lists without selectors
    everything = ConfigMap.query.namespace(k8s_namespace)
    total = everything.count()
    first = everything.page(1000)
    assert len(first.items) == 1000 and first.remaining == total - 1000 and first.next_token
    rest = everything.page(1000, first.next_token)
    assert len(rest.items) == total - 1000 and (rest.next_token, rest.remaining) == (None, None)
    odd = ConfigMap.query.namespace(k8s_namespace).filter(labels__parity="1", data__i__endswith="7")
    walked, token = [], None
    while True:
        page = odd.page(250, token)
        assert len(page.items) <= 250
        walked += [c.name for c in page.items]
        if (token := page.next_token) is None:
            break
    assert sorted(walked) == [f"item-{i:04d}" for i in range(1234) if i % 2 and i % 10 == 7]
    with pytest.raises(ValueError):
        query.page(0)
    with pytest.raises(ValueError, match="one namespace"):
        ConfigMap.query.namespace(k8s_namespace, "default").page(10)
    with pytest.raises(pykorm.ApiError):
        query.page(10, "not-a-token")


# -- as a user runs it --------------------------------------------------------------------------------------


def test_a_users_program_in_a_fresh_process(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    program = textwrap.dedent(f"""\
        import json
        import pykorm
        from pykorm.k8s import ConfigMap, Namespace, Pod

        pk = pykorm.Pykorm()
        cm = pk.save(ConfigMap(namespace="{k8s_namespace}", name="app", data={{"color": "blue"}}))
        found = ConfigMap.query.namespace("{k8s_namespace}").filter(data__color="blue").first()
        page = ConfigMap.query.namespace("{k8s_namespace}").page(1)
        ns = Namespace.query.get("{k8s_namespace}")
        print(json.dumps({{"found": found.name, "page": len(page.items), "phase": ns.status.phase,
                          "pods": Pod.query.namespace("{k8s_namespace}").count(),
                          "owners": cm.owners(), "plan": str(Pod.query.filter(status__phase="Running").explain())}}))
        """)
    env = {**os.environ, "KUBECONFIG": str(k8s_cluster.kubeconfig), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120,
                            check=False)

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["found"], answer["page"], answer["phase"], answer["pods"], answer["owners"]) == \
        ("app", 1, "Active", 0, [])
    assert "fieldSelector: status.phase=Running" in answer["plan"]


def test_namespace_is_cluster_scoped_and_its_phase_is_pushed_down() -> None:
    plan = Namespace.query.filter(status__phase="Active").explain()

    assert Namespace.__resource__ is not None and not Namespace.__resource__.namespaced
    assert plan.field_selector == "status.phase=Active" and plan.fully_pushed


@pykorm.k8s_custom_object("kinds.pykorm.io", "v1", "replicated")
class Replicated(pykorm.NamespacedModel):
    class Meta:
        scale = {"spec_replicas": "instances", "status_replicas": "ready"}

    instances: int = pykorm.Spec("instances", default=1, minimum=0)
    ready: int | None = pykorm.Status("ready", default=None)


def test_scale_works_for_a_crd_with_a_scale_subresource(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    pk.install_crds(Replicated)
    obj = pk.save(Replicated(namespace=k8s_namespace, name="r"))

    assert pk.scale(obj, 3).replicas == 3
    assert pk.refresh(obj).instances == 3 and pk.get_scale(obj).replicas == 3


def test_builders_round_trip_through_the_server_as_the_official_client_reads_them(
        k8s_cluster: Cluster, pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    """What a builder makes is what the server stores (the official client as the witness); a builder's
    wrong extra field is refused before anything is sent."""
    import base64

    from kubernetes import client as k8s

    from pykorm.k8s import config_map, deployment, job, secret, service_for

    from .witness import official_client

    web = pk.save(deployment("web", IMAGE, namespace=k8s_namespace, replicas=2, ports={"http": 8080},
                             env={"MODE": "prod"}, pod={"termination_grace_period_seconds": 5}))
    front = pk.save(service_for(web, port=80))
    pk.save(config_map("site", {"index.html": "<h1>hi</h1>"}, namespace=k8s_namespace))
    pk.save(secret("db", {"password": "s3cret", "key": b"\x00\xff"}, namespace=k8s_namespace))
    pk.save(job("migrate", IMAGE, ["./migrate", "--all"], namespace=k8s_namespace, backoff_limit=0))
    with pytest.raises(pykorm.ClientValidationError, match=r"spec\.template\.spec\.nodeSelectr"):
        pk.save(deployment("typo", IMAGE, namespace=k8s_namespace, pod={"nodeSelectr": {"a": "b"}}))

    with official_client(k8s_cluster) as api:
        apps, core, batch = k8s.AppsV1Api(api), k8s.CoreV1Api(api), k8s.BatchV1Api(api)
        served = apps.read_namespaced_deployment("web", k8s_namespace)
        assert served.spec.replicas == 2 and served.spec.selector.match_labels == {"app": "web"}
        assert served.spec.template.metadata.labels == {"app": "web"}
        box = served.spec.template.spec.containers[0]
        assert (box.name, box.image, box.ports[0].name, box.ports[0].container_port) == ("web", IMAGE, "http", 8080)
        assert [(e.name, e.value) for e in box.env] == [("MODE", "prod")]
        assert served.spec.template.spec.termination_grace_period_seconds == 5
        service = core.read_namespaced_service("web", k8s_namespace)
        assert service.spec.selector == {"app": "web"} and front.spec is not None
        assert [(p.port, p.target_port) for p in service.spec.ports] == [(80, 8080)]
        assert core.read_namespaced_config_map("site", k8s_namespace).data == {"index.html": "<h1>hi</h1>"}
        data = core.read_namespaced_secret("db", k8s_namespace).data
        assert base64.b64decode(data["password"]) == b"s3cret" and base64.b64decode(data["key"]) == b"\x00\xff"
        served_job = batch.read_namespaced_job("migrate", k8s_namespace)
        assert served_job.spec.backoff_limit == 0 and served_job.spec.template.spec.restart_policy == "Never"
        assert served_job.spec.template.spec.containers[0].command == ["./migrate", "--all"]
        assert "typo" not in [d.metadata.name for d in apps.list_namespaced_deployment(k8s_namespace).items]
