"""Queries at the seams (issue #20, items 1-4), on the local control plane, with the official client as witness.

1. The conditions of one ``filter()`` on a list hold for one element (real Deployments, whose
   controller writes Available=False/Progressing=True for one and Available=True for the other);
   chained calls may use different elements; ``exclude()``, ``~Q``, ``|`` too — blocking, from an
   informer's cache and async, each compared with a predicate written on the official client's objects.
2. ``page()`` after ``order_by`` or a slice raises ``ValueError`` (blocking and async).
3. ``values()``/``pluck()`` through a list give every element's value, in the three query kinds.
4. ``exclude()`` on a field the server selects is a ``!=`` field selector, giving what Python gives on
   every object (absent fields, zero values, each selectable type of a CRD and of Pods); a label
   selector string (``query.selector``) is parsed as the server parses it and selects what it selects.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any, Callable, Iterator

import kubernetes
import pytest

import pykorm
from pykorm import Q
from pykorm._select.lookups import resolve
from pykorm._select.selectors import parse_label_selector
from pykorm.aio import AsyncPykorm
from pykorm.fields import Spec
from pykorm.k8s.apps_v1 import Deployment
from pykorm.k8s.core_v1 import Pod
from pykorm.testing import Cluster, install_crds

from .helpers import wait_for
from .witness import official_client

Build = Callable[[Any], Any]  # a query (blocking, cached or async) → the same query refined


@pytest.fixture(scope="module")
def witness(k8s_cluster: Cluster) -> Iterator[kubernetes.client.ApiClient]:
    """The official client: it writes the fixtures' objects and tells independently what they hold."""
    with official_client(k8s_cluster) as client:
        yield client


def new_namespace(witness: kubernetes.client.ApiClient) -> Iterator[str]:
    core = kubernetes.client.CoreV1Api(witness)
    name = f"pykorm-seams-{secrets.token_hex(4)}"
    core.create_namespace({"metadata": {"name": name, "labels": {"pykorm.io/test": "true"}}})
    yield name
    core.delete_namespace(name)


@pytest.fixture(scope="module")
def namespace(witness: kubernetes.client.ApiClient) -> Iterator[str]:
    """The namespace of the Deployments (and of the pod their ReplicaSet makes) and the CRD objects."""
    yield from new_namespace(witness)


@pytest.fixture(scope="module")
def pod_namespace(witness: kubernetes.client.ApiClient) -> Iterator[str]:
    """The namespace of the pods made here, and of no other pod."""
    yield from new_namespace(witness)


@pytest.fixture(scope="module")
def session(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    yield pk
    pk.close()


def run_async(cluster: Cluster, make: Callable[[AsyncPykorm], Any]) -> Any:
    async def main() -> Any:
        async with AsyncPykorm(kubeconfig=cluster.kubeconfig, context=cluster.context) as apk:
            return await make(apk)

    return asyncio.run(main())


UNSCHEDULABLE = {"nodeSelector": {"pykorm.io/no-such-node": "true"}}  # no node runs it: its phase is ours to write


def deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {**UNSCHEDULABLE, "containers": [{"name": "app", "image": "registry.invalid/app:1"}]},
        }},
    }


@pytest.fixture(scope="module")
def deployments(witness: kubernetes.client.ApiClient, namespace: str) -> dict[str, Any]:
    """Two Deployments as their controller reports them: ``unavailable`` (Available False, Progressing
    True: its pod is never scheduled) and ``available`` (no replicas: Available True, Progressing True)."""
    apps = kubernetes.client.AppsV1Api(witness)
    apps.create_namespaced_deployment(namespace, deployment("unavailable", 1))
    apps.create_namespaced_deployment(namespace, deployment("available", 0))
    wanted = {"unavailable": {"Available": "False", "Progressing": "True"},
              "available": {"Available": "True", "Progressing": "True"}}
    deadline = time.monotonic() + 120
    while True:
        found = {d.metadata.name: d for d in apps.list_namespaced_deployment(namespace).items}
        seen = {name: {c.type: c.status for c in (d.status.conditions or [])} for name, d in found.items()}
        if seen == wanted:
            return found
        assert time.monotonic() < deadline, f"the deployment controller did not report the conditions: {seen}"
        time.sleep(0.5)


def conditions(d: Any) -> list[tuple[str, str]]:
    return [(c.type, c.status) for c in d.status.conditions or []]


def one(d: Any, type_: str, status: str) -> bool:
    return (type_, status) in conditions(d)


CONDITION_CASES: list[tuple[str, Build, Callable[[Any], bool]]] = [
    ("one filter", lambda q: q.filter(status__conditions__type="Available", status__conditions__status="True"),
     lambda d: one(d, "Available", "True")),
    ("chained filters", lambda q: q.filter(status__conditions__type="Available").filter(status__conditions__status="True"),
     lambda d: any(t == "Available" for t, _ in conditions(d)) and any(s == "True" for _, s in conditions(d))),
    ("Q & Q", lambda q: q.filter(Q(status__conditions__type="Available") & Q(status__conditions__status="True")),
     lambda d: one(d, "Available", "True")),
    ("one exclude", lambda q: q.exclude(status__conditions__type="Available", status__conditions__status="True"),
     lambda d: not one(d, "Available", "True")),
    ("chained excludes", lambda q: q.exclude(status__conditions__type="Available").exclude(status__conditions__status="False"),
     lambda d: all(t != "Available" for t, _ in conditions(d)) and all(s != "False" for _, s in conditions(d))),
    ("~Q", lambda q: q.filter(~Q(status__conditions__type="Available", status__conditions__status="False")),
     lambda d: not one(d, "Available", "False")),
    ("Q | Q", lambda q: q.filter(Q(status__conditions__type="Available", status__conditions__status="False")
                                  | Q(status__conditions__type="Progressing", status__conditions__status="False")),
     lambda d: one(d, "Available", "False") or one(d, "Progressing", "False")),
    ("a group and a negated group", lambda q: q.filter(
        Q(status__conditions__type="Progressing", status__conditions__status="True"),
        ~Q(status__conditions__type="Available", status__conditions__reason="MinimumReplicasUnavailable")),
     lambda d: one(d, "Progressing", "True") and not any(
         c.type == "Available" and c.reason == "MinimumReplicasUnavailable" for c in d.status.conditions or [])),
]


@pytest.mark.parametrize(("case", "build", "reference"), CONDITION_CASES, ids=[c[0] for c in CONDITION_CASES])
def test_conditions_on_one_list_element_blocking_cached_and_async(
    k8s_cluster: Cluster, session: pykorm.Pykorm, namespace: str, deployments: dict[str, Any],
    case: str, build: Build, reference: Callable[[Any], bool],
) -> None:
    expected = sorted(name for name, d in deployments.items() if reference(d))
    blocking = sorted(d.name for d in build(Deployment.query.session(session).namespace(namespace)))
    cached = sorted(d.name for d in build(session.cache(Deployment, namespace).query).all())
    with pytest.MonkeyPatch.context() as patch:  # the filter compiled, as a cache of 256 objects or more runs it
        patch.setattr("pykorm.controller._cached._COMPILE_FROM", 0)
        compiled = sorted(d.name for d in build(session.cache(Deployment, namespace).query).all())
    assert compiled == cached, case

    async def read(apk: AsyncPykorm) -> list[str]:
        return sorted(d.name for d in await build(apk.query(Deployment).ns(namespace)).all())

    assert blocking == cached == run_async(k8s_cluster, read) == expected, case


def test_the_issues_deployment_and_its_explanation(session: pykorm.Pykorm, namespace: str, deployments: dict[str, Any]) -> None:
    query = Deployment.query.session(session).namespace(namespace)
    one_call = query.filter(status__conditions__type="Available", status__conditions__status="True")
    chained = query.filter(status__conditions__type="Available").filter(status__conditions__status="True")
    assert [d.name for d in one_call] == ["available"]  # was ["available", "unavailable"]
    assert sorted(d.name for d in chained) == ["available", "unavailable"]
    assert ("python: SAME ELEMENT OF status.conditions[]: (status.conditions[].type exact 'Available' "
            "AND status.conditions[].status exact 'True')") in str(one_call.explain())
    assert "SAME ELEMENT" not in str(chained.explain())
    # a watch filters its events with the same predicate
    events = [(e.type, e.obj.name) for e in one_call.watch(timeout=2, initial=True)]
    assert events[0] == ("ADDED", "available") and {name for _, name in events} == {"available"}, events


# -- 2. page() after order_by or a slice --------------------------------------------------------------


def test_page_after_order_by_or_a_slice_is_refused_blocking_and_async(
    k8s_cluster: Cluster, session: pykorm.Pykorm, namespace: str, deployments: dict[str, Any],
) -> None:
    query = Deployment.query.session(session).namespace(namespace)
    assert [d.name for d in query.page(10).items] == ["available", "unavailable"]  # the server's order
    for refined, says in ((query.order_by("-name"), "order_by"), (query[:1], "slice"), (query.order_by("name")[1:], "order_by")):
        with pytest.raises(ValueError, match=f"cannot follow (an? )?{says}.*page token walks the server's"):
            refined.page(10)

    async def pages(apk: AsyncPykorm) -> list[str]:
        q = apk.query(Deployment).ns(namespace)
        refused = []
        for refined in (q.order_by("-name"), q[:1]):
            try:
                await refined.page(10)
            except ValueError as error:
                refused.append(str(error).split(":")[0])
        return refused + [d.name for d in (await q.page(10)).items]

    assert run_async(k8s_cluster, pages) == [
        "page() cannot follow order_by('-name',)", "page() cannot follow a slice", "available", "unavailable",
    ]



def test_wait_until_sees_the_order_and_slice_and_watch_its_order_blocking_and_async(
    k8s_cluster: Cluster, witness: kubernetes.client.ApiClient, session: pykorm.Pykorm, pod_namespace: str,
    pods: dict[str, Any],
) -> None:
    """wait_until's condition gets (and it returns) the objects as all() lists them: the server's order,
    then order_by, then the slice — it used to get every matching object in arrival order, ignoring
    both. watch(initial=True) gives the initial ADDED events in the query's order; after a slice it raises
    before anything is sent (it ignored both)."""
    listed = [p.metadata.name for p in kubernetes.client.CoreV1Api(witness).list_namespaced_pod(pod_namespace).items]
    query = Pod.query.session(session).namespace(pod_namespace)
    cases = [(query, listed), (query.order_by("-name")[:2], sorted(listed, reverse=True)[:2]),
             (query.order_by("name")[1:3], sorted(listed)[1:3]), (query[2:], listed[2:])]
    for refined, expected in cases:
        seen: list[list[str]] = []
        got = refined.wait_until(lambda found: bool(seen.append([p.name for p in found])) or True, timeout=30)
        assert ([p.name for p in got], seen) == (expected, [expected])
        assert [p.name for p in refined.all()] == expected  # what all() gives
    for refined in (query[:1], query.order_by("-name")[1:]):
        with pytest.raises(pykorm.ClientValidationError, match="^Pod watch\\(\\) cannot follow a slice"):
            refined.watch(timeout=1)
    ordered = [(e.type, e.obj.name) for e in query.order_by("-name").watch(timeout=1, initial=True)]
    assert ordered == [("ADDED", name) for name in sorted(listed, reverse=True)]  # the initial events, ordered

    async def waits(apk: AsyncPykorm) -> list[Any]:
        q = apk.query(Pod).ns(pod_namespace)
        out: list[Any] = [[p.name for p in await q.order_by("-name")[:2].wait_until(lambda found: True, timeout=30)]]
        out.append([e.obj.name async for e in q.order_by("-name").watch(timeout=1, initial=True)])
        try:
            async for _ in q[:1].watch(timeout=1):
                pass
        except pykorm.ClientValidationError as error:
            out.append(str(error).split(":")[0])
        return out

    assert run_async(k8s_cluster, waits) == [sorted(listed, reverse=True)[:2], sorted(listed, reverse=True),
                                             "Pod watch() cannot follow a slice"]


# -- 3. values()/pluck() through a list -----------------------------------------------------------------


def pod(name: str, labels: dict[str, str], containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {**UNSCHEDULABLE, "containers": containers, **spec}}


@pytest.fixture(scope="module")
def pods(witness: kubernetes.client.ApiClient, pod_namespace: str) -> dict[str, Any]:
    """Pods with two containers or one, labels to select, and phases written through /status (one with none)."""
    core = kubernetes.client.CoreV1Api(witness)
    web = [{"name": "web", "image": "nginx:1", "ports": [{"containerPort": 80}, {"containerPort": 443}]},
           {"name": "proxy", "image": "envoy:2", "ports": [{"containerPort": 9901}]}]
    made = {
        "running": pod("running", {"app": "web", "tier": "front"}, web),
        "pending": pod("pending", {"app": "web", "tier": "db"}, [{"name": "db", "image": "postgres:16"}]),
        "succeeded": pod("succeeded", {"app": "batch"}, [{"name": "job", "image": "busybox"}], hostNetwork=True),
        "no-phase": pod("no-phase", {"env": "x"}, [{"name": "x", "image": "busybox"}]),
    }
    for body in made.values():
        core.create_namespaced_pod(pod_namespace, body)
    for name, phase in (("running", "Running"), ("succeeded", "Succeeded"), ("no-phase", None)):
        core.patch_namespaced_pod_status(name, pod_namespace, {"status": {"phase": phase}})  # None removes it
    found = {p.metadata.name: p for p in core.list_namespaced_pod(pod_namespace).items}
    assert {n: p.status.phase for n, p in found.items()} == {
        "running": "Running", "pending": "Pending", "succeeded": "Succeeded", "no-phase": None}
    return found


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("spec__containers__image", lambda p: [c.image for c in p.spec.containers]),
        ("spec.containers.image", lambda p: [c.image for c in p.spec.containers]),
        ("spec__containers__ports__container_port", lambda p: [port.container_port for c in p.spec.containers for port in c.ports or []]),
        ("spec.containers.ports.containerPort", lambda p: [port.container_port for c in p.spec.containers for port in c.ports or []]),
        ("spec__containers__working_dir", lambda p: [c.working_dir for c in p.spec.containers]),
    ],
)
def test_values_and_pluck_through_a_list_give_each_elements_value_in_every_query_kind(
    k8s_cluster: Cluster, session: pykorm.Pykorm, pod_namespace: str, pods: dict[str, Any], name: str, read: Callable[[Any], Any],
) -> None:
    expected = [read(pods[n]) for n in sorted(pods)]
    query = Pod.query.session(session).namespace(pod_namespace).order_by("name")
    cached = session.cache(Pod, pod_namespace).query.order_by("name")
    assert query.pluck(name) == cached.pluck(name) == expected
    assert [row[name] for row in query.values("name", name)] == [row[name] for row in cached.values(name)] == expected
    assert [row["name"] for row in query.values("name", name)] == sorted(pods)

    async def read_async(apk: AsyncPykorm) -> Any:
        q = apk.query(Pod).ns(pod_namespace).order_by("name")
        return await q.pluck(name), [row[name] for row in await q.values(name)]

    assert run_async(k8s_cluster, read_async) == (expected, expected)


def test_values_of_the_deployments_conditions(k8s_cluster: Cluster, session: pykorm.Pykorm, namespace: str,
                                              witness: kubernetes.client.ApiClient, deployments: dict[str, Any]) -> None:
    # The deployment controller may still rewrite a status (its conditions' order included) after the fixture
    # saw the wanted conditions: the witness reads right before and right after pykorm, and a read counts only
    # when nothing changed in between.
    apps = kubernetes.client.AppsV1Api(witness)

    def witnessed() -> list[list[tuple[str, str]]]:
        found = sorted(apps.list_namespaced_deployment(namespace).items, key=lambda d: d.metadata.name)
        return [conditions(d) for d in found]

    def settled() -> tuple[list[list[tuple[str, str]]], list[dict[str, Any]]] | None:
        before = witnessed()
        rows = Deployment.query.session(session).namespace(namespace).order_by("name").values(
            "status__conditions__type", "status.conditions.status")
        return (before, rows) if witnessed() == before else None

    expected, rows = wait_for(settled, "two witness reads around pykorm's agree")
    assert [list(zip(r["status__conditions__type"], r["status.conditions.status"])) for r in rows] == expected
    cache = session.cache(Deployment, namespace)
    # A cache is current eventually: it converges on what the server serves, through a list every time.
    wait_for(lambda: cache.query.order_by("name").values("status__conditions__type", "status.conditions.status") == [
        {"status__conditions__type": [t for t, _ in row], "status.conditions.status": [s for _, s in row]}
        for row in witnessed()], "the cache's values are the server's")


def test_order_by_through_a_list_is_refused_in_every_query_kind(k8s_cluster: Cluster, session: pykorm.Pykorm, pod_namespace: str,
                                                                  pods: dict[str, Any]) -> None:
    for query in (Pod.query.session(session).namespace(pod_namespace), session.cache(Pod, pod_namespace).query):
        with pytest.raises(pykorm.ClientValidationError, match="goes through the list spec.containers"):
            query.order_by("spec__containers__image")

    async def refused(apk: AsyncPykorm) -> str:
        try:
            apk.query(Pod).ns(pod_namespace).order_by("-spec__containers__name")
        except pykorm.ClientValidationError as error:
            return str(error)
        return "accepted"

    assert "goes through the list spec.containers" in run_async(k8s_cluster, refused)


# -- 4. exclude() pushed down as "!=", and label selector strings -------------------------------------------


def server_and_python_agree(query: pykorm.Query[Any], unfiltered: pykorm.Query[Any], expected: list[str]) -> None:
    """The query's answer is the witness's, and the same filter run entirely in Python on every object gives it too."""
    got = sorted(o.name for o in query)
    everything = [o._raw for o in unfiltered]
    where = query.selection().where
    python = sorted(raw["metadata"]["name"] for raw in everything if where is None or where.matches(raw))
    assert got == python == expected, str(query.explain())


POD_EXCLUDES: list[tuple[Build, str | None, Callable[[Any], bool]]] = [
    (lambda q: q.exclude(status__phase="Running"), "status.phase!=Running", lambda p: p.status.phase != "Running"),
    (lambda q: q.exclude(status__phase="Pending"), "status.phase!=Pending", lambda p: p.status.phase != "Pending"),
    (lambda q: q.exclude(spec__host_network=True), "spec.hostNetwork!=true", lambda p: p.spec.host_network is not True),
    (lambda q: q.exclude(spec__host_network=False), None, lambda p: p.spec.host_network is not False),  # absent is "false" there
    (lambda q: q.exclude(status__phase=""), None, lambda p: p.status.phase != ""),
    (lambda q: q.exclude(name="running"), "metadata.name!=running", lambda p: p.metadata.name != "running"),
    (lambda q: q.exclude(status__phase="Running").exclude(status__phase="Succeeded"),
     "status.phase!=Running,status.phase!=Succeeded", lambda p: p.status.phase not in ("Running", "Succeeded")),
    (lambda q: q.filter(labels__app="web").exclude(status__phase="Running"), "status.phase!=Running",
     lambda p: p.metadata.labels.get("app") == "web" and p.status.phase != "Running"),
]


@pytest.mark.parametrize(("build", "selector", "reference"), POD_EXCLUDES, ids=[s or "python" for _, s, _ in POD_EXCLUDES])
def test_exclude_on_a_pod_field_the_server_selects(
    k8s_cluster: Cluster, witness: kubernetes.client.ApiClient, session: pykorm.Pykorm, pod_namespace: str, pods: dict[str, Any],
    build: Build, selector: str | None, reference: Callable[[Any], bool],
) -> None:
    everything = Pod.query.session(session).namespace(pod_namespace)
    query = build(everything)
    assert query.explain().field_selector == selector
    assert query.explain().fully_pushed == (selector is not None)
    expected = sorted(name for name, p in pods.items() if reference(p))
    server_and_python_agree(query, everything, expected)
    if selector is not None:  # the official client sending the same field selector gets the same pods
        listed = kubernetes.client.CoreV1Api(witness).list_namespaced_pod(
            pod_namespace, field_selector=selector, label_selector=query.explain().label_selector)
        assert sorted(p.metadata.name for p in listed.items) == expected
    assert sorted(p.name for p in build(session.cache(Pod, pod_namespace).query)) == expected

    async def read(apk: AsyncPykorm) -> list[str]:
        return sorted(p.name for p in await build(apk.query(Pod).ns(pod_namespace)).all())

    assert run_async(k8s_cluster, read) == expected


def test_exclude_of_a_namespace_is_a_field_selector_too(session: pykorm.Pykorm, namespace: str, pod_namespace: str,
                                                         pods: dict[str, Any], deployments: dict[str, Any]) -> None:
    query = Pod.query.session(session).namespace(pod_namespace, "kube-system").exclude(namespace="kube-system")
    assert query.explain().field_selector == "metadata.namespace!=kube-system"
    assert sorted(p.name for p in query) == sorted(pods)
    kept = Deployment.query.session(session).namespace(namespace).exclude(namespace=namespace)
    assert kept.explain().fully_pushed and kept.all() == []


@pykorm.k8s_custom_object("seams.pykorm.io", "v1", "probes")
class Probe(pykorm.NamespacedModel):
    """One selectable field of each type a CRD may select."""

    text: str | None = Spec("text", default=None, selectable=True)
    number: int | None = Spec("number", default=None, selectable=True)
    flag: bool | None = Spec("flag", default=None, selectable=True)


@pytest.fixture(scope="module")
def probes(k8s_cluster: Cluster, session: pykorm.Pykorm, namespace: str) -> list[Probe]:
    install_crds(k8s_cluster, pykorm.crd(Probe))
    made = [Probe(namespace=namespace, name="absent"), Probe(namespace=namespace, name="zero", text="", number=0, flag=False),
            Probe(namespace=namespace, name="one", text="a", number=1, flag=True),
            Probe(namespace=namespace, name="two", text="b", number=2, flag=False)]
    return [session.save(p) for p in made]


@pytest.mark.parametrize("field", ["text", "number", "flag"])
def test_exclude_and_filter_on_each_selectable_crd_type_give_what_python_gives(
    session: pykorm.Pykorm, namespace: str, probes: list[Probe], field: str,
) -> None:
    values = {"text": ["", "a", "b", "zz"], "number": [0, 1, 2, 7], "flag": [False, True]}[field]
    stored = {p.name: getattr(Probe.query.session(session).namespace(namespace).get(p.name), field) for p in probes}
    assert stored == {"absent": None, "zero": values[0], "one": values[1], "two": values[2] if field != "flag" else False}
    pushed = 0
    query = Probe.query.session(session).namespace(namespace)
    for value in values:
        for refined, keep in ((query.exclude(**{field: value}), lambda v, value=value: v is None or v != value),
                              (query.filter(**{field: value}), lambda v, value=value: v is not None and v == value)):
            plan = refined.explain()
            pushed += plan.fully_pushed
            assert plan.fully_pushed == (value != ""), plan  # an empty text is absent to the server: Python
            server_and_python_agree(refined, query, sorted(n for n, v in stored.items() if keep(v)))
    assert pushed == 2 * len(values) - (2 if field == "text" else 0)


SELECTORS = ["app=web", "app=web,tier!=db", "tier!=db", "app in (web,batch),!env", "tier notin (db)", "env",
             "app==web,tier", "app=", "tier notin (db,front),app", "tier in ()", "tier notin ()", "app in (web,)"]
INVALID_SELECTORS = ["app=web=x", "app,", "a in x", "!a=b", "app web", "-bad=x", "a in (b", ",a"]


@pytest.mark.parametrize("text", SELECTORS)
def test_a_label_selector_string_selects_what_the_server_selects(
    k8s_cluster: Cluster, witness: kubernetes.client.ApiClient, session: pykorm.Pykorm, pod_namespace: str, pods: dict[str, Any],
    text: str,
) -> None:
    listed = kubernetes.client.CoreV1Api(witness).list_namespaced_pod(pod_namespace, label_selector=text)
    expected = sorted(p.metadata.name for p in listed.items)
    everything = Pod.query.session(session).namespace(pod_namespace)
    query = everything.selector(text)
    empty_value = any("" in values for _, _, values in parse_label_selector(text))
    assert query.explain().fully_pushed != empty_value  # the planner leaves an empty label value to Python
    server_and_python_agree(query, everything, expected)
    assert sorted(p.name for p in session.cache(Pod, pod_namespace).query.selector(text)) == expected

    async def read(apk: AsyncPykorm) -> list[str]:
        return sorted(p.name for p in await apk.query(Pod).ns(pod_namespace).selector(text).all())

    assert run_async(k8s_cluster, read) == expected
    for name in pods:  # a GET by name checks the selector in Python
        assert (everything.selector(text).get(name) is not None) == (name in expected)


@pytest.mark.parametrize("text", INVALID_SELECTORS)
def test_a_label_selector_the_server_refuses_is_refused_before_sending(witness: kubernetes.client.ApiClient, pod_namespace: str,
                                                                          text: str) -> None:
    with pytest.raises(kubernetes.client.ApiException) as refused:
        kubernetes.client.CoreV1Api(witness).list_namespaced_pod(pod_namespace, label_selector=text)
    assert refused.value.status == 400
    with pytest.raises(pykorm.ClientValidationError):
        Pod.query.namespace(pod_namespace).selector(text)


def test_a_scales_selector_finds_the_deployments_pods(witness: kubernetes.client.ApiClient, session: pykorm.Pykorm, namespace: str,
                                                      deployments: dict[str, Any]) -> None:
    unavailable = Deployment.query.session(session).namespace(namespace).get("unavailable")
    assert unavailable is not None
    deadline = time.monotonic() + 60
    while not (scale := session.get_scale(unavailable)).selector or scale.current_replicas != 1:
        assert time.monotonic() < deadline, scale
        time.sleep(0.5)
    assert scale.selector == "app=unavailable"
    found = Pod.query.session(session).namespace(namespace).selector(scale.selector).all()
    listed = kubernetes.client.CoreV1Api(witness).list_namespaced_pod(namespace, label_selector=scale.selector).items
    assert sorted(p.name for p in found) == sorted(p.metadata.name for p in listed) and len(found) == 1
    assert found[0].name.startswith("unavailable-")


def test_push_down_of_a_list_condition_never_happens(session: pykorm.Pykorm, pod_namespace: str) -> None:
    plan = Pod.query.session(session).namespace(pod_namespace).exclude(spec__containers__name="web").explain()
    assert plan.field_selector is None and plan.label_selector is None and plan.python is not None
    assert resolve(Pod, ~Q(spec__containers__name="web")) == plan.python
