"""Operators in production (issue 23) on the local control plane: apply_owned, events, predicates and watches,
rate limiter and reconcile timeouts, a lost Lease, status conditions — the official ``kubernetes`` client (and a
proxy that counts requests) as the witnesses, other writers with field managers of their own.

Waits are for outcomes (polled), never for a fixed time that would make a test flaky; where a test shows that
something did *not* happen, a later event that must come after it in the same watch is the barrier.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import pytest

import pykorm
from pykorm.controller import (
    DEFAULT, EventRecorder, Informer, LeaderElection, Manager, RateLimiter, Request, Watch, apply_owned, generation_changed,
    label_selector, status_changed,
)
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster, FaultProxy, install_crds

from .test_controller import WebSite, converged, other_writer, wait_for, website

FIELD_MANAGER = "website-operator"
OPERATOR = "example.pykorm.io/website-operator"
TESTER = "example.com/test-controller"


def annotate(obj: Any, **values: str) -> None:
    obj.annotations = {**(obj.annotations or {}), **values}


@pytest.fixture(scope="module")
def crd(k8s_cluster: Cluster) -> None:
    install_crds(k8s_cluster, pykorm.crd(WebSite))


@pytest.fixture
def witness(k8s_cluster: Cluster) -> Iterator[Any]:
    """The official client."""
    from kubernetes import client as k8s

    api = k8s.ApiClient(k8s_cluster.configuration())
    yield api
    api.close()


def official_configmap(witness: Any, namespace: str, name: str) -> Any:
    from kubernetes import client as k8s

    return k8s.CoreV1Api(witness).read_namespaced_config_map(name, namespace)


def events_about(witness: Any, namespace: str, name: str, controller: str) -> list[Any]:
    """The events.k8s.io Events ``controller`` reported about ``name`` (the official client cannot read core/v1
    Events through this API: their eventTime is null)."""
    from kubernetes import client as k8s

    found = k8s.EventsV1Api(witness).list_namespaced_event(
        namespace, field_selector=f"regarding.name={name},reportingController={controller}")
    return list(found.items)


# -- 1. owned objects: the example operator, its requests counted by a proxy ------------------------------


def test_the_operator_writes_a_child_only_when_it_differs_and_reconciles_no_echo(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, k8s_nodes: list[str], crd: None, witness: Any,
) -> None:
    namespace = k8s_namespace
    with FaultProxy.in_front_of(k8s_cluster) as proxy:
        session = proxy.session(field_manager=FIELD_MANAGER)
        manager = website.build_manager(session, namespace=namespace)
        manager.start()
        try:
            assert manager.wait_leading(60)
            controller = manager.controllers[0]
            names = ["w-1", "w-2", "w-3"]
            for name in names:
                pk.save(WebSite(namespace=namespace, name=name, content=f"<p>{name}</p>"))
            wait_for(converged(pk, namespace, names, ready=None), "the WebSites converged")

            def applies(kind: str) -> int:
                return len(proxy.seen("PATCH", rf"/namespaces/{namespace}/{kind}/"))

            def settle() -> None:  # the operator idle: nothing changes for 1.5 s
                last = -1
                while (now := sum(controller.reconciles.values()) + len(proxy.exchanges)) != last:
                    last = now
                    time.sleep(1.5)

            settle()
            print(f"3 WebSites converged: {applies('configmaps')} ConfigMap and {applies('deployments')} Deployment "
                  f"applies, reconciles {[controller.reconciles[f'{namespace}/{n}'] for n in names]}")
            cm = official_configmap(witness, namespace, "w-1-content")
            assert [(e.manager, e.operation) for e in cm.metadata.managed_fields] == [(FIELD_MANAGER, "Apply")]
            assert [(r.kind, r.name, r.controller) for r in cm.metadata.owner_references] == [("WebSite", "w-1", True)]

            # Reconciles that find everything in order write nothing (children, status) and cause no echo.
            before = {n: controller.reconciles[f"{namespace}/{n}"] for n in names}
            writes = len(proxy.seen("PATCH")) + len(proxy.seen("POST")) + len(proxy.seen("PUT"))
            for name in names:  # an annotation: a reason to reconcile (DEFAULT), nothing to change
                pk.update(pk.get(WebSite, name, namespace), lambda s: annotate(s, poke="1"))
            wait_for(lambda: all(controller.reconciles[f"{namespace}/{n}"] > before[n] for n in names), "reconciled")
            settle()
            assert [controller.reconciles[f"{namespace}/{n}"] - before[n] for n in names] == [1, 1, 1]
            assert len(proxy.seen("PATCH")) + len(proxy.seen("POST")) + len(proxy.seen("PUT")) == writes

            # Another writer (the official client, its own process and field manager) defaces a child: one apply
            # puts it back, one reconcile (the apply's echo is recognised).
            key, cms, deployments = f"{namespace}/w-2", applies("configmaps"), applies("deployments")
            before_one = controller.reconciles[key]
            other_writer(k8s_cluster, namespace, "w-2-content", """
found = core.read_namespaced_config_map(name, namespace)
found.data["index.html"] = "<p>defaced</p>"
found.metadata.labels = {"added-by": "other"}
core.replace_namespaced_config_map(name, namespace, found)
""")
            took = wait_for(lambda: official_configmap(witness, namespace, "w-2-content").data == {"index.html": "<p>w-2</p>"},
                            "the defaced ConfigMap is repaired", 30, every=0.02)
            settle()
            after = official_configmap(witness, namespace, "w-2-content")
            print(f"defaced by another writer: repaired in {took:.2f} s with {applies('configmaps') - cms} apply, "
                  f"{controller.reconciles[key] - before_one} reconcile")
            assert (applies("configmaps") - cms, applies("deployments") - deployments) == (1, 0)
            assert controller.reconciles[key] - before_one == 1
            assert after.metadata.labels == {"added-by": "other"}  # the other writer's own field is left alone

            # Status: a Ready condition with Kubernetes' rules, and an Event when it became true.
            site = pk.get(WebSite, "w-3", namespace)
            ready = next(c for c in site.conditions or [] if c.type == "Ready")
            assert (ready.status, ready.reason, ready.observed_generation) == ("True", "Serving", site.generation)
            pk.update(site, lambda s: setattr(s, "content", "<p>new</p>"))  # a new generation, still ready
            wait_for(lambda: (s := pk.get(WebSite, "w-3", namespace)).observed_generation == s.generation,
                     "the new generation observed")
            again = next(c for c in pk.get(WebSite, "w-3", namespace).conditions or [] if c.type == "Ready")
            assert again.observed_generation == ready.observed_generation + 1
            assert again.last_transition_time == ready.last_transition_time  # no transition: the status stayed True
            wait_for(lambda: any(e.reason == "Ready" for e in events_about(witness, namespace, "w-3", OPERATOR)),
                     "the Ready event is visible to the official client", 30)
            event = next(e for e in events_about(witness, namespace, "w-3", OPERATOR) if e.reason == "Ready")
            assert (event.type, event.action, event.reporting_controller) == \
                ("Normal", "Reconcile", "example.pykorm.io/website-operator")
            assert event.regarding.uid == site.uid and event.note == "1/1 replicas ready"
        finally:
            manager.stop(30)
        assert manager.error is None and sum(controller.failures.values()) == 0
        session.close()


# -- 1. apply_owned on its own ------------------------------------------------------------------------------


def test_apply_owned_creates_repairs_and_removes_what_it_no_longer_sets(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, crd: None, witness: Any,
) -> None:
    namespace = k8s_namespace
    owner = pk.save(WebSite(namespace=namespace, name="owner"))
    with FaultProxy.in_front_of(k8s_cluster) as proxy:
        session = proxy.session(field_manager=FIELD_MANAGER)

        def desired(data: dict[str, str], labels: dict[str, str] | None = None) -> ConfigMap:
            return ConfigMap(namespace=namespace, name="child", data=data, labels=labels or {})

        # No cache, twice: a create, then a merge (no AlreadyExists to catch).
        made = apply_owned(owner, desired({"a": "1", "b": "2"}, {"x": "1"}), session=session)
        apply_owned(owner, desired({"a": "1", "b": "2"}, {"x": "1"}), session=session)
        assert made.uid and made.owner_references and made.owner_references[0].uid == owner.uid
        other_writer(k8s_cluster, namespace, "child", """
from kubernetes import client as k8s
core.patch_namespaced_config_map(name, namespace, {"data": {"theirs": "t"}}, field_manager="someone-else")
""")
        cache = session.cache(ConfigMap, namespace)
        wait_for(lambda: (c := cache.get("child", namespace)) is not None and (c.data or {}).get("theirs") == "t", "cached")

        # With the cache: b and the label x, applied before and no longer wanted, go; the other writer's key stays.
        apply_owned(owner, desired({"a": "2"}), session=session, cache=cache)
        live = official_configmap(witness, namespace, "child")
        assert live.data == {"a": "2", "theirs": "t"} and not live.metadata.labels
        wait_for(lambda: (c := cache.get("child", namespace)) is not None and c.data == live.data, "cached again")
        patches = len(proxy.seen("PATCH", "/configmaps/child"))
        same = apply_owned(owner, desired({"a": "2"}), session=session, cache=cache)
        assert len(proxy.seen("PATCH", "/configmaps/child")) == patches  # nothing differs: no request
        assert same.data == {"a": "2", "theirs": "t"}

        # A stale cache: the apply's precondition conflicts, the child is read again, the apply retried.
        stale = Informer(ConfigMap, session=session, namespace=namespace)
        stale.replace([pk.get(ConfigMap, "child", namespace)._raw])  # never started: it stays as it is now
        pk.update(pk.get(ConfigMap, "child", namespace), lambda c: setattr(c, "data", {**(c.data or {}), "a": "by-hand"}))
        patches = len(proxy.seen("PATCH", "/configmaps/child"))
        fixed = apply_owned(owner, desired({"a": "3"}), session=session, cache=stale)
        assert fixed.data == {"a": "3", "theirs": "t"} == official_configmap(witness, namespace, "child").data
        assert [e.outcome for e in proxy.seen("PATCH", "/configmaps/child")[patches:]] == ["409", "200"]

        # force=False: a field another manager owns is a ConflictError, not taken.
        with pytest.raises(pykorm.ConflictError):
            apply_owned(owner, desired({"a": "3", "theirs": "mine"}), session=session, force=False)
        assert official_configmap(witness, namespace, "child").data["theirs"] == "t"
        with pytest.raises(pykorm.ClientValidationError, match="already has a controller"):
            stranger = pk.save(WebSite(namespace=namespace, name="stranger"))
            apply_owned(stranger, pk.get(ConfigMap, "child", namespace), session=session)
        session.close()


def normalized_deployment(site: WebSite) -> Any:
    """A Deployment whose desired values the server stores in another form: quantities (``0.5`` → ``500m``,
    ``1024Mi`` → ``1Gi``) and int-or-string ports (a name, a number)."""
    from pykorm.k8s.apps_v1 import Deployment

    labels = {"app.kubernetes.io/instance": site.name}
    return Deployment.from_dict({
        "metadata": {"name": site.name, "namespace": site.namespace},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{
                "name": "web", "image": "registry.k8s.io/pause:3.9",
                "ports": [{"name": "http", "containerPort": 8080}],
                "resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}, "limits": {"cpu": "1000m"}},
                "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                "livenessProbe": {"tcpSocket": {"port": 8080}},
            }]}}},
    })


def test_apply_owned_sends_no_apply_when_only_the_server_s_form_of_a_value_differs(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, crd: None, witness: Any,
) -> None:
    """An operator that resyncs often: the server stores cpu 0.5 as 500m, and no reconcile applies again for that
    (before: an apply on every reconcile); a fresh process sends one apply, which writes nothing; a real change by
    another writer is still put back."""
    from kubernetes import client as k8s

    namespace = k8s_namespace
    pk.save(WebSite(namespace=namespace, name="sized"))
    from pykorm.k8s.apps_v1 import Deployment

    def run_operator(proxy: FaultProxy, reconciles: int) -> tuple[int, int]:
        """A fresh manager, run until ``reconciles`` reconciles after its cache holds the Deployment: the applies
        it sent before the cache held it, and after."""
        session = proxy.session(field_manager=FIELD_MANAGER)
        manager = Manager(session, namespace=namespace)
        deployments = manager.cache(Deployment)
        count = lambda: len(proxy.seen("PATCH", "/deployments/sized"))  # noqa: E731
        start = count()

        @manager.reconciler(WebSite, owns=[Deployment], resync=0.2, workers=1)
        def reconcile(request: Request[WebSite]) -> None:
            site = request.get()
            if site is not None:
                apply_owned(site, normalized_deployment(site))

        manager.start()
        try:
            key = f"{namespace}/sized"
            assert manager.wait_leading(60)  # the caches synced
            wait_for(lambda: deployments.get("sized", namespace) is not None, "the Deployment cached", 60)
            cached, done = count(), manager.controllers[0].reconciles[key]
            wait_for(lambda: manager.controllers[0].reconciles[key] >= done + reconciles, f"{reconciles} reconciles", 60)
        finally:
            manager.stop(30)
            session.close()
        assert manager.error is None and not manager.controllers[0].failures
        return cached - start, count() - cached

    apps = k8s.AppsV1Api(witness)
    with FaultProxy.in_front_of(k8s_cluster) as proxy:
        before, after = run_operator(proxy, 8)
        live = apps.read_namespaced_deployment("sized", namespace)
        container = live.spec.template.spec.containers[0]
        assert container.resources.requests == {"cpu": "500m", "memory": "1Gi"} and container.resources.limits == {"cpu": "1"}
        assert (container.readiness_probe.http_get.port, container.liveness_probe.tcp_socket.port) == ("http", 8080)
        print(f"8 reconciles (resync 0.2 s) of a Deployment the server normalizes: {before} apply to create it, "
              f"{after} once cached")
        assert before >= 1 and after == 0  # before the fix: an apply on each reconcile

        generation = live.metadata.generation
        before, after = run_operator(proxy, 6)  # a new manager: nothing remembered
        again = apps.read_namespaced_deployment("sized", namespace)
        assert before + after == 1 and again.metadata.generation == generation  # one apply, and it changed nothing
        assert again.spec.template.spec.containers[0].resources.requests == {"cpu": "500m", "memory": "1Gi"}

        # Another writer changes a normalized field: the next reconcile puts the desired value back.
        other_writer(k8s_cluster, namespace, "sized", """
from kubernetes import client as k8s
k8s.AppsV1Api(core.api_client).patch_namespaced_deployment(name, namespace, {"spec": {"template": {"spec": {
    "containers": [{"name": "web", "resources": {"requests": {"cpu": "750m"}}}]}}}}, field_manager="someone-else")
""")
        assert apps.read_namespaced_deployment("sized", namespace).spec.template.spec.containers[0].resources.requests[
            "cpu"] == "750m"
        before, after = run_operator(proxy, 4)
        fixed = apps.read_namespaced_deployment("sized", namespace).spec.template.spec.containers[0].resources
        assert fixed.requests == {"cpu": "500m", "memory": "1Gi"} and before + after == 1


# -- 2. events ----------------------------------------------------------------------------------------------


def test_events_are_counted_as_series_and_a_hot_loop_cannot_flood(
    pk: pykorm.Pykorm, k8s_namespace: str, crd: None, witness: Any,
) -> None:
    namespace = k8s_namespace
    site = pk.save(WebSite(namespace=namespace, name="noisy"))
    other = pk.save(WebSite(namespace=namespace, name="hot"))
    recorder = EventRecorder(pk, TESTER, "replica-1")
    try:
        recorder.event(site, "Normal", "Synced", "Sync", note="first")
        assert recorder.flush(30)
        [event] = events_about(witness, namespace, "noisy", TESTER)
        assert (event.type, event.reason, event.action, event.note, event.series) == ("Normal", "Synced", "Sync", "first", None)
        assert (event.reporting_controller, event.reporting_instance) == ("example.com/test-controller", "replica-1")
        assert (event.regarding.kind, event.regarding.name, event.regarding.uid) == ("WebSite", "noisy", site.uid)

        for i in range(9):  # isomorphic: one Event, counted
            recorder.event(site, "Normal", "Synced", "Sync", note=f"again {i}")
        recorder.event(site, "Warning", "Failed", "Sync", note="x" * 5000)  # another reason: another Event
        assert recorder.flush(30)
        found = {e.reason: e for e in events_about(witness, namespace, "noisy", TESTER)}
        assert sorted(found) == ["Failed", "Synced"]
        assert found["Synced"].series is not None and found["Synced"].series.count == 10
        assert found["Failed"].type == "Warning" and len(found["Failed"].note.encode()) <= 1024

        for i in range(40):  # a hot loop of distinct events about one object: a burst of 25 gets through
            recorder.event(other, "Normal", f"Step{i}", "Loop")
        assert recorder.flush(60)
        written = events_about(witness, namespace, "hot", TESTER)
        print(f"40 distinct events about one object: {len(written)} written, {recorder.dropped} dropped; "
              f"requests: {recorder.created} creates, {recorder.patched} series patches")
        assert 25 <= len(written) <= 26 and recorder.dropped == 40 - len(written)
        with pytest.raises(pykorm.ClientValidationError):
            recorder.event(site, "Info", "Synced", "Sync")
        with pytest.raises(pykorm.ClientValidationError):
            recorder.event(WebSite(namespace=namespace, name="never-saved"), "Normal", "Synced", "Sync")
    finally:
        recorder.close()


# -- 4. predicates and watches ------------------------------------------------------------------------------


def test_predicates_choose_the_changes_and_watches_map_other_kinds_to_keys(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, crd: None,
) -> None:
    namespace = k8s_namespace
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    manager = Manager(session, namespace=namespace)
    spec_only: list[str] = []
    with_status: list[str] = []

    def sites_of(configmap: ConfigMap) -> list[tuple[str | None, str]]:
        return [(configmap.namespace, configmap.labels["site"])] if "site" in (configmap.labels or {}) else []

    @manager.reconciler(WebSite, predicate=generation_changed, workers=1,
                        watches=[Watch(ConfigMap, sites_of, predicate=label_selector({"watched": "yes"}))])
    def by_spec(request: Request[WebSite]) -> None:
        spec_only.append(request.name)

    @manager.reconciler(WebSite, predicate=DEFAULT | status_changed, workers=1)
    def by_status(request: Request[WebSite]) -> None:
        with_status.append(request.name)

    manager.start()
    try:
        assert manager.wait_leading(60)
        for name in ("a", "b"):
            pk.save(WebSite(namespace=namespace, name=name))
        wait_for(lambda: sorted(spec_only) == ["a", "b"] and sorted(with_status) == ["a", "b"], "created: both reconciled")

        # A label (not the spec) on a, a status write on a, then a spec change on b: the barrier.
        pk.update(pk.get(WebSite, "a", namespace), lambda s: setattr(s, "labels", {"tier": "web"}))
        wait_for(lambda: with_status.count("a") == 2, "DEFAULT: a label counts")
        pk.update(pk.get(WebSite, "a", namespace), lambda s: setattr(s, "ready_replicas", 3))
        wait_for(lambda: with_status.count("a") == 3, "DEFAULT | status_changed: the status counts")
        pk.update(pk.get(WebSite, "b", namespace), lambda s: setattr(s, "replicas", 2))
        wait_for(lambda: spec_only.count("b") == 2 and with_status.count("b") == 2, "the spec change reconciled")
        assert spec_only.count("a") == 1  # neither the label nor the status counted for generation_changed

        # Watches: a ConfigMap the selector takes maps to its site; one it does not take maps to nothing.
        pk.save(ConfigMap(namespace=namespace, name="ignored", labels={"site": "a"}, data={}))
        pk.save(ConfigMap(namespace=namespace, name="pointer", labels={"site": "b", "watched": "yes"}, data={}))
        wait_for(lambda: spec_only.count("b") == 3, "the watched ConfigMap reconciled its site")
        assert spec_only.count("a") == 1
        pk.delete(pk.get(ConfigMap, "pointer", namespace))
        wait_for(lambda: spec_only.count("b") == 4, "its deletion too")
    finally:
        manager.stop(30)
        session.close()
    assert manager.error is None
    with pytest.raises(TypeError, match="watches= takes Watch"):
        Manager(pk).reconciler(WebSite, watches=[Watch(ConfigMap)])
    with pytest.raises(TypeError, match="owns= maps through ownerReferences"):
        Manager(pk).reconciler(WebSite, owns=[Watch(ConfigMap, sites_of)])


# -- 5. rate limits, timeouts, a lost Lease -----------------------------------------------------------------


class CountingLimiter(RateLimiter[str]):
    def __init__(self) -> None:
        super().__init__(0.05, 1.0)
        self.asked: list[str] = []

    def when(self, key: str) -> float:
        self.asked.append(key)
        return super().when(key)


def test_a_reconcile_past_its_timeout_is_refused_then_retried_with_the_controller_s_limiter(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, crd: None,
) -> None:
    namespace = k8s_namespace
    limiter = CountingLimiter()
    attempts: list[str] = []
    with FaultProxy.in_front_of(k8s_cluster) as proxy:
        session = proxy.session()
        manager = Manager(session, namespace=namespace)

        hung: list[tuple[float, BaseException]] = []

        @manager.reconciler(WebSite, timeout=1.0, rate_limiter=limiter, workers=1)
        def slow(request: Request[WebSite]) -> None:
            site = request.get()
            if site is None or (site.annotations or {}).get("done"):
                return
            if site.name == "hung":
                if not hung:
                    started = time.monotonic()
                    try:
                        session.get(ConfigMap, "never-answered", namespace)  # the proxy holds its answers back
                    except BaseException as error:
                        hung.append((time.monotonic() - started, error))
                        raise
                return
            if not attempts:
                time.sleep(1.5)  # past the timeout: what follows must not reach the server
                attempts.append(f"slow: {request.cancelled}")
            else:
                attempts.append("quick")
            session.update(site, lambda s: annotate(s, done=attempts[-1]))

        manager.start()
        try:
            assert manager.wait_leading(60)
            pk.save(WebSite(namespace=namespace, name="slow"))
            wait_for(lambda: (pk.get(WebSite, "slow", namespace).annotations or {}).get("done") == "quick", "retried, written")
            controller = manager.controllers[0]
            key = f"{namespace}/slow"
            assert attempts == ["slow: its timeout of 1 s passed", "quick"]
            assert controller.timeouts[key] == 1 and controller.failures[key] == 1
            assert limiter.asked == [key]  # the controller's own limiter gave the backoff
            assert len(proxy.seen("PATCH", "/websites/slow")) == 1  # the refused write was never sent

            # A request already on its way when the timeout comes ends then (its retries too), not at its own timeouts.
            proxy.stall(verb="GET", path="/configmaps/never-answered", times=50)
            pk.save(WebSite(namespace=namespace, name="hung"))
            wait_for(lambda: bool(hung), "the hung request ended")
            took, error = hung[0]
            print(f"a request stalled by the proxy ended {took:.2f} s into a reconcile with a 1 s timeout: "
                  f"{type(error).__name__}")
            assert took < 1.0 + 2.0 and isinstance(error, (pykorm.ServerUnavailable, pykorm.ReconcileCancelled))
            proxy.heal()
        finally:
            manager.stop(30)
        session.close()
    with pytest.raises(ValueError, match="timeout"):
        Manager(pk).reconciler(WebSite, timeout=0)(lambda request: None)


def test_a_manager_that_loses_its_lease_refuses_its_reconciles_writes(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, crd: None, witness: Any,
) -> None:
    from kubernetes import client as k8s

    namespace = k8s_namespace
    started, release = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []
    with FaultProxy.in_front_of(k8s_cluster) as proxy:
        session = proxy.session()
        election = LeaderElection("ops-lease", namespace, lease_duration=4.0, renew_deadline=3.0, retry_period=0.5)
        manager = Manager(session, namespace=namespace, leader_election=election)

        @manager.reconciler(WebSite, workers=1)
        def held(request: Request[WebSite]) -> None:
            site = request.get()
            if site is None or outcome:
                return
            started.set()
            release.wait(60)
            try:
                session.update(site, lambda s: annotate(s, written="after-loss"))
                outcome.append(None)
            except BaseException as error:
                outcome.append(error)
                raise

        manager.start()
        try:
            assert manager.wait_leading(60)
            pk.save(WebSite(namespace=namespace, name="held"))
            assert started.wait(60)
            lease = k8s.CoordinationV1Api(witness).read_namespaced_lease("ops-lease", namespace)
            lease.spec.holder_identity = "another-replica"  # another candidate took the Lease
            k8s.CoordinationV1Api(witness).replace_namespaced_lease("ops-lease", namespace, lease)
            wait_for(lambda: manager.error is not None, "the manager noticed it lost the Lease", 30)
            assert isinstance(manager.error, pykorm.LeaderElectionLost)
            release.set()
            wait_for(lambda: bool(outcome), "the reconcile went on")
        finally:
            release.set()
            manager.stop(30)
        assert isinstance(outcome[0], pykorm.ReconcileCancelled) and "Lease" in str(outcome[0])
        assert not proxy.seen("PATCH", "/websites/held")  # refused before it was sent
        assert "written" not in (pk.get(WebSite, "held", namespace).annotations or {})
        session.close()


def test_only_the_replica_holding_the_lease_writes_events_for_the_controller(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, crd: None, witness: Any,
) -> None:
    """Two managers of one operator: the standby's events are refused, so are the leader's unwritten ones once it
    loses the Lease; the one that takes over writes (the official client reads what was written)."""
    from kubernetes import client as k8s

    namespace = k8s_namespace
    site = pk.save(WebSite(namespace=namespace, name="watched"))

    def election(identity: str) -> LeaderElection:
        return LeaderElection("events-lease", namespace, identity=identity, lease_duration=4.0, renew_deadline=3.0,
                              retry_period=0.5)

    def reasons() -> list[str]:
        return sorted(e.reason for e in events_about(witness, namespace, "watched", OPERATOR))

    with FaultProxy.in_front_of(k8s_cluster) as proxy:
        first_session, second_session = proxy.session(), pk
        first = Manager(first_session, namespace=namespace, leader_election=election("replica-a"))
        second = Manager(second_session, namespace=namespace, leader_election=election("replica-b"))
        first_events, second_events = first.event_recorder(OPERATOR), second.event_recorder(OPERATOR)
        first.start()
        try:
            assert first.wait_leading(60)
            second.start()
            wait_for(lambda: second.elector is not None and second.elector._holder_is_other(), "the second stands by")
            second_events.event(site, "Normal", "FromStandby", "Sync")  # never held the Lease
            first_events.event(site, "Normal", "FromLeader", "Sync")
            assert first_events.flush(30) and second_events.flush(30)
            assert reasons() == ["FromLeader"] and (second_events.refused, first_events.refused) == (1, 0)

            # The leader's next write stays at the proxy; another event waits behind it in the recorder.
            release = proxy.hold(verb="POST", path="/events")
            first_events.event(site, "Normal", "InFlight", "Sync")
            wait_for(lambda: any(e.outcome == "held" for e in proxy.seen("POST", "/events")), "the write held")
            first_events.event(site, "Warning", "Queued", "Sync")
            lease = k8s.CoordinationV1Api(witness).read_namespaced_lease("events-lease", namespace)
            lease.spec.holder_identity = "replica-b"  # the standby took the Lease
            k8s.CoordinationV1Api(witness).replace_namespaced_lease("events-lease", namespace, lease)
            assert first.elector is not None
            wait_for(lambda: not first.elector.leading, "the first noticed it lost the Lease", 30)  # type: ignore[union-attr]
            assert second.wait_leading(30)
            release.set()
            second_events.event(site, "Normal", "TookOver", "Sync")
            assert second_events.flush(30)
            wait_for(lambda: first_events.refused >= 1, "the queued event refused", 30)
            first_events.event(site, "Normal", "AfterLoss", "Sync")  # the first's recorder is refused (or closed)
            # The write already sent when the Lease went is not recalled; the queued one never went.
            wait_for(lambda: reasons() == ["FromLeader", "InFlight", "TookOver"], "the events as written")
            assert [e.outcome for e in proxy.seen("POST", "/events")] == ["201", "held", "201"]
        finally:
            proxy.heal()
            first.stop(30)
            second.stop(30)
        assert isinstance(first.error, pykorm.LeaderElectionLost)
        assert reasons() == ["FromLeader", "InFlight", "TookOver"]
        first_session.close()
