"""pykorm.controller on the local control plane, through the example WebSite operator (examples/operator).

What the operator must show (issue 12): many WebSites created at once converge with few
reconciles each; drift is repaired; deletion runs the finalizer once and the children are
garbage-collected; kube-apiserver restarts, etcd compaction (410) and dropped watch
connections under a running manager miss nothing and cause no reconcile storm; two
replicas in two processes elect one leader, which SIGKILL and SIGTERM hand over.

Sizes are chosen for the CI budget (about 90 s for this file on a loaded 2-core machine):
40 WebSites at once, not the issue's 200 (``PYKORM_TEST_WEBSITES=200`` runs that, on a
cluster that holds 200 pods: a kwok node holds 110; the 20,000-object cache is the
benchmark's, benchmarks/cached_query.py).
Times are measured and printed; bounds are generous (the machine is shared).
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import kubernetes
import pytest

import pykorm
from pykorm.controller import Manager
from pykorm.k8s.apps_v1 import Deployment
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster, FaultProxy, LocalControlPlane, install_crds

from .helpers import load_example, wait_for as poll
from .planes import new_namespace
from .witness import official_client

ROOT = Path(__file__).resolve().parents[1]
SITES = int(os.environ.get("PYKORM_TEST_WEBSITES", "40"))  # the 200: PYKORM_TEST_WEBSITES=200
EXAMPLE = ROOT / "examples" / "operator" / "website.py"
WAIT = 120.0


website = load_example(EXAMPLE, "website_operator_example")
WebSite = website.WebSite


def wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT, every: float = 0.1) -> float:
    """Poll ``check`` until true (:func:`tests.helpers.wait_for`); the seconds it took."""
    started = time.monotonic()
    poll(check, what, timeout, every)
    return time.monotonic() - started


def converged(pk: pykorm.Pykorm, namespace: str, names: list[str], ready: int | None = 1) -> Callable[[], bool]:
    """True once every WebSite's status mirrors its Deployment (``ready`` ready replicas) at its generation."""

    def check() -> bool:
        sites = {s.name: s for s in WebSite.query.session(pk).namespace(namespace)}
        deployments = {d.name: d for d in Deployment.query.session(pk).namespace(namespace)}
        configmaps = {c.name: c for c in ConfigMap.query.session(pk).namespace(namespace)}
        for name in names:
            site, deployment = sites.get(name), deployments.get(name)
            configmap = configmaps.get(f"{name}-content")
            if site is None or deployment is None or configmap is None:
                return False
            if configmap.data != {"index.html": site.content} or site.observed_generation != site.generation:
                return False
            want = site.replicas if ready is None else ready
            have = (deployment.status.ready_replicas or 0) if deployment.status else 0
            if site.ready_replicas != want or (ready != 0 and have != want):
                return False
        return True

    return check


@pytest.fixture(scope="module")
def crd_installed(k8s_cluster: Cluster) -> None:
    install_crds(k8s_cluster, pykorm.crd(WebSite))


@pytest.fixture
def operator(
    k8s_cluster: Cluster, k8s_namespace: str, crd_installed: None, pk: pykorm.Pykorm,
) -> Iterator[tuple[Manager, list[str]]]:
    farewells: list[str] = []
    # The default field manager, the test's too: the test's edits must not pass for the operator's echoes
    # (echoes are told by the resourceVersions its own writes produced, not by who manages which field).
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    assert session.field_manager == pk.field_manager
    manager = website.build_manager(session, namespace=k8s_namespace, on_farewell=lambda s: farewells.append(s.name))
    manager.start()
    assert manager.wait_leading(60), "the manager's caches did not sync"
    yield manager, farewells
    started = time.monotonic()
    manager.stop(30)
    stopped = time.monotonic() - started
    threads = [t.name for t in threading.enumerate() if t.name.startswith(("informer-", "reconcile-", "pykorm-manager"))]
    print(f"manager stopped in {stopped:.2f} s")
    assert manager.error is None and threads == []  # no thread lingers: watch connections are closed on stop
    assert stopped < 10
    session.close()


@contextlib.contextmanager
def deployment_changes(cluster: Cluster, namespace: str) -> Iterator[collections.Counter[str]]:
    """The MODIFIED events of each Deployment in ``namespace`` while in the block, seen by the official client.

    kube-controller-manager writes a new Deployment's status three or four times on its way to ready
    (1.35, 1.36 and 1.37 alike: the ``ReplicaSetUpdated`` write shows when the pod is not ready yet at its
    sync) — each one news to the operator, which owns the Deployment.
    """
    changes: collections.Counter[str] = collections.Counter()
    with official_client(cluster) as client:
        apps = kubernetes.client.AppsV1Api(client)
        stream = kubernetes.watch.Watch()
        listed = apps.list_namespaced_deployment(namespace).metadata.resource_version

        done = threading.Event()

        def watch() -> None:
            try:
                for event in stream.stream(apps.list_namespaced_deployment, namespace, resource_version=listed,
                                           timeout_seconds=int(WAIT) + 60):
                    if event["type"] == "MODIFIED":
                        changes[event["object"].metadata.name] += 1
            except Exception:
                if not done.is_set():  # the end of the block closes the client under the watch
                    raise

        thread = threading.Thread(target=watch, name="witness-deployments", daemon=True)
        thread.start()
        yield changes
        done.set()
        stream.stop()


def test_websites_created_at_once_converge_with_few_reconciles(
    pk: pykorm.Pykorm, k8s_namespace: str, k8s_nodes: list[str], operator: tuple[Manager, list[str]], k8s_cluster: Cluster,
) -> None:
    manager, _ = operator
    controller = manager.controllers[0]
    names = [f"site-{i:03d}" for i in range(SITES)]
    with deployment_changes(k8s_cluster, k8s_namespace) as changes:
        started = time.monotonic()
        for name in names:
            pk.save(WebSite(namespace=k8s_namespace, name=name, content=f"<h1>{name}</h1>"))
        took = wait_for(converged(pk, k8s_namespace, names), f"{SITES} WebSites converged")
        print(f"{SITES} WebSites converged in {time.monotonic() - started:.1f} s (after the last create: {took:.1f} s)")
        time.sleep(3)  # late events would show as more reconciles
        counts = {name: controller.reconciles[f"{k8s_namespace}/{name}"] for name in names}
        news = {name: changes[name] for name in names}
    print(f"reconciles per WebSite: max {max(counts.values())}, mean {sum(counts.values()) / len(counts):.2f}; "
          f"failures {sum(controller.failures.values())}; Deployment status writes per WebSite: max {max(news.values())}")
    # A reconcile per piece of news at most: the WebSite's creation, then each change kube-controller-manager made to
    # its Deployment (changes arriving together are reconciled once); the echoes of the operator's own writes (its
    # finalizer, the children it created, its status writes) are none. The bound was a fixed 3 until 2026-12-05, which
    # held only while the Deployment controller's writes came close enough together to be gathered into one reconcile.
    assert all(counts[name] <= 1 + news[name] for name in names), {n: (counts[n], news[n]) for n in names if counts[n] > 1 + news[n]}
    assert sum(controller.failures.values()) == 0

    # A change: new content for ten of them.
    before = dict(controller.reconciles)
    for name in names[:10]:
        pk.update(pk.get(WebSite, name, k8s_namespace), lambda s: setattr(s, "content", "<h1>new</h1>"))
    wait_for(converged(pk, k8s_namespace, names), "the changed WebSites converged")
    time.sleep(2)
    deltas = [controller.reconciles[f"{k8s_namespace}/{n}"] - before.get(f"{k8s_namespace}/{n}", 0) for n in names]
    print(f"reconciles after a change: {deltas[:10]} (unchanged ones: max {max(deltas[10:])})")
    assert 1 <= min(deltas[:10]) and max(deltas[:10]) <= 2 and max(deltas[10:]) == 0

    # The cache answers the same query as the server.
    cached = manager.cache(Deployment).query.filter(spec__replicas__gte=1, labels__app_kubernetes_io_name="x")
    assert cached.count() == 0
    new = {"data__index.html": "<h1>new</h1>"}
    on_cache = manager.cache(ConfigMap).query.filter(**new).order_by("name").pluck("name")
    on_server = ConfigMap.query.session(pk).namespace(k8s_namespace).filter(**new).order_by("name").pluck("name")
    assert on_cache == on_server == sorted(f"{n}-content" for n in names[:10])


def test_drift_is_repaired_and_deletion_runs_the_finalizer_once(
    pk: pykorm.Pykorm, k8s_namespace: str, operator: tuple[Manager, list[str]],
) -> None:
    manager, farewells = operator
    pk.save(WebSite(namespace=k8s_namespace, name="drift", content="<p>kept</p>"))
    wait_for(lambda: ConfigMap.query.session(pk).get("drift-content", k8s_namespace) is not None, "the ConfigMap exists")

    configmap = pk.get(ConfigMap, "drift-content", k8s_namespace)
    pk.delete(configmap)
    deleted = time.monotonic()
    wait_for(lambda: (c := ConfigMap.query.session(pk).get("drift-content", k8s_namespace)) is not None and c.uid != configmap.uid,
             "the deleted ConfigMap is back", every=0.02)
    recreated = time.monotonic() - deleted

    configmap = pk.get(ConfigMap, "drift-content", k8s_namespace)
    configmap.data = {"index.html": "<p>defaced</p>"}
    pk.save(configmap)
    edited = time.monotonic()
    wait_for(lambda: pk.get(ConfigMap, "drift-content", k8s_namespace).data == {"index.html": "<p>kept</p>"},
             "the edited ConfigMap is repaired", every=0.02)
    repaired = time.monotonic() - edited
    wait_for(lambda: Deployment.query.session(pk).get("drift", k8s_namespace) is not None, "the Deployment exists")
    pk.scale(pk.get(Deployment, "drift", k8s_namespace), 3)
    scaled = time.monotonic()
    wait_for(lambda: (d := pk.get(Deployment, "drift", k8s_namespace)).spec is not None and d.spec.replicas == 1,
             "the Deployment scaled by hand is back to the WebSite's replicas", every=0.02)
    rescaled = time.monotonic() - scaled
    print(f"drift repaired: deleted ConfigMap back in {recreated:.2f} s, edited one in {repaired:.2f} s, "
          f"Deployment scaled by hand in {rescaled:.2f} s")
    assert recreated < 10 and repaired < 10 and rescaled < 10  # typically well under a second (owned_delay 0.5 s)

    site = pk.get(WebSite, "drift", k8s_namespace)
    assert site.finalizers == [website.FINALIZER]
    phase = time.monotonic()
    pk.delete(site, wait=True, timeout=60)  # returns once the finalizer is removed and the object gone
    print(f"deleted in {time.monotonic() - phase:.1f} s")
    wait_for(lambda: not ConfigMap.query.session(pk).namespace(k8s_namespace).filter(name="drift-content").exists()
             and not Deployment.query.session(pk).namespace(k8s_namespace).filter(name="drift").exists(),
             "the children are garbage-collected")
    # Up to ~30 s on a fresh cluster: the garbage collector learns of a new CRD's resource at its next
    # discovery resync (every 30 s) and holds the children until it can resolve their owner.
    print(f"children collected {time.monotonic() - phase:.1f} s after the delete")
    time.sleep(1)
    assert farewells == ["drift"]


# -- other writers: the official client, in a process of its own ---------------------------------


OTHER_WRITER = """
import json, sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1], context=sys.argv[2] or None)
core, custom = client.CoreV1Api(), client.CustomObjectsApi()
namespace, name = sys.argv[3], sys.argv[4]
"""


def other_writer(cluster: Cluster, namespace: str, name: str, edit: str) -> None:
    """Run ``edit`` with the official ``kubernetes`` client in a fresh process (its own field manager, as a user's
    script or ``kubectl edit`` has); ``core``, ``custom``, ``namespace`` and ``name`` are defined for it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", OTHER_WRITER + edit, str(cluster.kubeconfig), cluster.context or "", namespace, name],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]


def test_a_hand_edit_that_only_removes_fields_is_repaired(
    pk: pykorm.Pykorm, k8s_namespace: str, k8s_cluster: Cluster, operator: tuple[Manager, list[str]],
) -> None:
    """The other writer ends up owning no field, so it has no managedFields entry, and only the operator's entry
    changed: no echo of the operator's own write all the same (issue 20, item 7)."""
    manager, _ = operator
    controller = manager.controllers[0]
    pk.save(WebSite(namespace=k8s_namespace, name="removal", content="<p>mine</p>"))
    site = pk.get(WebSite, "removal", k8s_namespace)

    def configmap() -> ConfigMap | None:
        return ConfigMap.query.session(pk).get("removal-content", k8s_namespace)

    def as_wanted() -> bool:
        found = configmap()
        return found is not None and found.data == {"index.html": "<p>mine</p>"} and \
            [(r.uid, r.controller) for r in found.owner_references or []] == [(site.uid, True)]

    wait_for(as_wanted, "the ConfigMap exists, owned by the WebSite")
    time.sleep(1.5)  # the operator is idle: what follows is news
    key = f"{k8s_namespace}/removal"

    before = controller.reconciles[key]
    other_writer(k8s_cluster, k8s_namespace, "removal-content", """
found = core.read_namespaced_config_map(name, namespace)
del found.data["index.html"]
core.replace_namespaced_config_map(name, namespace, found)
assert not core.read_namespaced_config_map(name, namespace).data
""")
    took = wait_for(as_wanted, "the removed key is back", 30, every=0.02)
    print(f"a key removed by another client was back in {took:.2f} s ({controller.reconciles[key] - before} reconciles)")

    before = controller.reconciles[key]
    other_writer(k8s_cluster, k8s_namespace, "removal-content", """
found = core.read_namespaced_config_map(name, namespace)
found.metadata.owner_references = None
core.replace_namespaced_config_map(name, namespace, found)
assert not core.read_namespaced_config_map(name, namespace).metadata.owner_references
""")
    took = wait_for(as_wanted, "the stripped ownerReference is back", 30, every=0.02)
    print(f"a stripped ownerReference was back in {took:.2f} s ({controller.reconciles[key] - before} reconciles)")

    time.sleep(1.5)
    settled = controller.reconciles[key]
    time.sleep(2)
    assert controller.reconciles[key] == settled and sum(controller.failures.values()) == 0  # no echo loop


def test_a_finalizer_stripped_by_another_client_is_put_back(
    pk: pykorm.Pykorm, k8s_namespace: str, k8s_cluster: Cluster, operator: tuple[Manager, list[str]],
) -> None:
    """A change of metadata.finalizers alone reaches the reconcile (issue 20, item 8): the cleanup still runs."""
    _, farewells = operator
    pk.save(WebSite(namespace=k8s_namespace, name="kept"))

    def finalizers() -> list[str]:
        return pk.get(WebSite, "kept", k8s_namespace).finalizers or []

    wait_for(lambda: finalizers() == [website.FINALIZER], "the operator added its finalizer")
    other_writer(k8s_cluster, k8s_namespace, "kept", """
found = custom.get_namespaced_custom_object("example.pykorm.io", "v1", namespace, "websites", name)
found["metadata"]["finalizers"] = []
stripped = custom.replace_namespaced_custom_object("example.pykorm.io", "v1", namespace, "websites", name, found)
assert not stripped["metadata"].get("finalizers")
""")
    took = wait_for(lambda: finalizers() == [website.FINALIZER], "the stripped finalizer is back", 30, every=0.02)
    print(f"a finalizer stripped by another client was back {took:.2f} s after the other writer's process ended")
    pk.delete(pk.get(WebSite, "kept", k8s_namespace), wait=True, timeout=60)
    assert farewells == ["kept"]  # the cleanup ran, once


def test_the_status_claims_only_the_generation_the_reconcile_read(
    pk: pykorm.Pykorm, k8s_namespace: str, k8s_cluster: Cluster, operator: tuple[Manager, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A spec change lands between the reconcile's read and its status write: the write conflicts, is retried on a
    fresh read, and must still say the generation the reconcile acted on (issue 20, item 9)."""
    from kubernetes import client as k8s

    raced: list[tuple[int, Any]] = []
    real = website.update_status

    def racing(site: Any, mutate: Any, **options: Any) -> Any:
        if site.name != "raced" or raced:
            return real(site, mutate, **options)
        read = site.generation
        with k8s.ApiClient(k8s_cluster.configuration()) as api:  # another writer changes the spec now
            k8s.CustomObjectsApi(api).patch_namespaced_custom_object(
                "example.pykorm.io", "v1", k8s_namespace, "websites", "raced", {"spec": {"replicas": 0}})
        written = real(site, mutate, **options)
        raced.append((read, written))
        return written

    monkeypatch.setattr(website, "update_status", racing)
    pk.save(WebSite(namespace=k8s_namespace, name="raced"))
    wait_for(lambda: bool(raced), "the reconcile wrote the status")
    read, written = raced[0]
    print(f"the reconcile read generation {read}; its status write met generation {written.generation}")
    assert written.generation == read + 1  # it conflicted, and was written on a fresh read...
    assert written.observed_generation == read  # ...claiming only what the reconcile saw
    wait_for(converged(pk, k8s_namespace, ["raced"], ready=None), "the next reconcile observed the new generation")


# -- faults under a running manager ------------------------------------------------------


@pytest.fixture(scope="module")
def own_control_plane(k8s_cluster: Cluster) -> Iterator[LocalControlPlane]:
    if k8s_cluster.control_plane is None:
        pytest.skip("needs a local control plane of its own (restarts, etcd compaction)")
    control_plane = LocalControlPlane(extra_args={"kube-apiserver": ["--watch-cache=false"]}).start()
    try:
        yield control_plane
    finally:
        control_plane.stop()


def on_own_plane(control_plane: LocalControlPlane, prefix: str) -> tuple[Cluster, pykorm.Pykorm, str]:
    """The cluster, an admin session with the WebSite CRD installed, and a new namespace on ``control_plane``."""
    direct = pykorm.Pykorm(kubeconfig=control_plane.kubeconfig, make_default=False)
    direct.install_crds(WebSite)
    return Cluster.local(control_plane), direct, new_namespace(direct, prefix)


def test_restart_compaction_and_dropped_watches_miss_nothing(own_control_plane: LocalControlPlane) -> None:
    control_plane = own_control_plane
    cluster, direct, namespace = on_own_plane(control_plane, "faults")
    with FaultProxy.in_front_of(cluster) as proxy:
        session = proxy.session(make_default=False, field_manager="website-operator")
        manager = website.build_manager(session, namespace=namespace)
        manager.start()
        try:
            assert manager.wait_leading(60)
            controller = manager.controllers[0]
            names = [f"f-{i:02d}" for i in range(30)]
            for name in names[:10]:
                direct.save(WebSite(namespace=namespace, name=name))

            phase = time.monotonic()
            control_plane.restart_apiserver()  # every watch breaks; resumed from its resourceVersion
            print(f"restart: {time.monotonic() - phase:.1f} s")
            for name in names[10:20]:
                direct.save(WebSite(namespace=namespace, name=name))

            dropped = proxy.reset(path="watch=true")  # dropped watch connections: resumed
            for name in names[20:25]:
                direct.save(WebSite(namespace=namespace, name=name))
            direct.update(direct.get(WebSite, names[0], namespace), lambda s: setattr(s, "content", "<p>during</p>"))

            lists = len(proxy.seen("GET", r"/websites\?(?!.*watch)"))
            proxy.refuse()  # the server is unreachable: these changes are not seen...
            for name in names[25:]:
                direct.save(WebSite(namespace=namespace, name=name))
            control_plane.compact_etcd()  # ...and their history is gone: resuming gets 410, the informers relist
            proxy.heal()
            print(f"dropped {dropped} watch connections, then refused, compacted, healed")
            phase = time.monotonic()
            wait_for(converged(direct, namespace, names, ready=0), "every WebSite converged through the faults")
            print(f"converged {time.monotonic() - phase:.1f} s after the last fault")
            assert len(proxy.seen("GET", r"/websites\?(?!.*watch)")) > lists  # listed again: the 410 was met
            time.sleep(2)
            counts = [controller.reconciles[f"{namespace}/{n}"] for n in names]
            failures = sum(controller.failures.values())
            relists = sum(i.failures for i in manager.informers)
            print(f"after restart, compaction and dropped watches: reconciles per WebSite max {max(counts)}, "
                  f"total {sum(counts)} for {len(names)}; reconcile failures {failures}; informer failures {relists}")
            assert max(counts) <= 6  # no storm: a few each, not one per event or per retry loop
        finally:
            manager.stop(30)
        assert manager.error is None
        session.close()
    direct.close()


# -- leader election, two processes ----------------------------------------------------------


class Replica:
    """The example operator in a process of its own, as a user runs it."""

    def __init__(self, cluster: Cluster, namespace: str, log: Path, lease: tuple[float, float, float]) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        duration, deadline, retry = lease
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), f"--kubeconfig={cluster.kubeconfig}", f"--namespace={namespace}",
             f"--lease-namespace={namespace}", f"--lease-duration={duration}", f"--renew-deadline={deadline}",
             f"--retry-period={retry}"],
            stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
        )

    def text(self) -> str:
        return self.log.read_text()

    def leads(self) -> bool:
        return " leads (Lease " in self.text()

    def reconciles(self) -> int:
        return self.text().count("website-operator reconcile ")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


def test_two_replicas_elect_one_leader_and_hand_over(
    pk: pykorm.Pykorm, k8s_namespace: str, k8s_cluster: Cluster, crd_installed: None, tmp_path: Path,
) -> None:
    lease = (6.0, 4.0, 0.5)  # short, for the test: lease duration, renew deadline, retry period
    first = Replica(k8s_cluster, k8s_namespace, tmp_path / "a.log", lease)
    second = Replica(k8s_cluster, k8s_namespace, tmp_path / "b.log", lease)
    third: Replica | None = None
    try:
        wait_for(lambda: first.leads() or second.leads(), "a replica leads", 60)
        for name in ("le-1", "le-2", "le-3"):
            pk.save(WebSite(namespace=k8s_namespace, name=name))
        wait_for(converged(pk, k8s_namespace, ["le-1", "le-2", "le-3"], ready=None), "the leader reconciled")
        leader, standby = (first, second) if first.leads() else (second, first)
        assert not standby.leads() and standby.reconciles() == 0 and leader.reconciles() >= 3
        assert " stands by (Lease " in standby.text()

        leader.process.send_signal(signal.SIGKILL)  # no release: the standby waits for the Lease to expire
        leader.process.wait(10)
        took = wait_for(standby.leads, "the standby took over after SIGKILL", 60, every=0.05)
        print(f"takeover after SIGKILL: {took:.2f} s (lease duration {lease[0]} s + retry period {lease[2]} s)")
        assert took <= lease[0] + lease[2] + 3.0  # + process scheduling on a loaded machine
        pk.update(pk.get(WebSite, "le-1", k8s_namespace), lambda s: setattr(s, "replicas", 2))
        wait_for(converged(pk, k8s_namespace, ["le-1"], ready=None), "the new leader reconciles", 60)

        third = Replica(k8s_cluster, k8s_namespace, tmp_path / "c.log", lease)
        wait_for(lambda: " stands by (Lease " in third.text(), "the third replica stands by", 60)
        standby.process.send_signal(signal.SIGTERM)  # graceful: in-flight reconciles finish, the Lease is released
        assert standby.process.wait(30) == 0
        took = wait_for(third.leads, "the third replica took over after SIGTERM", 60, every=0.05)
        print(f"hand-over after SIGTERM: {took:.2f} s after the leader exited (no waiting for the {lease[0]} s lease)")
        assert took < lease[0] and "released Lease" in standby.text()
    finally:
        for replica in (first, second, third):
            if replica is not None:
                replica.stop()


def test_a_leader_keeps_its_lease_across_apiserver_restarts(own_control_plane: LocalControlPlane, tmp_path: Path) -> None:
    """client-go's timings (15 s lease, 10 s renew deadline, 2 s retry) and three restarts of kube-apiserver:
    each is shorter than the renew deadline, so the leader renews after it; the standby never leads."""
    from kubernetes import client as k8s

    control_plane = own_control_plane
    cluster, direct, namespace = on_own_plane(control_plane, "lease")
    first = Replica(cluster, namespace, tmp_path / "a.log", (15.0, 10.0, 2.0))
    second = Replica(cluster, namespace, tmp_path / "b.log", (15.0, 10.0, 2.0))
    witness = k8s.ApiClient(cluster.configuration())  # the official client reads the Lease

    def read_lease() -> Any:
        return k8s.CoordinationV1Api(witness).read_namespaced_lease("website-operator", namespace).spec

    try:
        wait_for(lambda: first.leads() or second.leads(), "a replica leads", 60)
        wait_for(lambda: " stands by (Lease " in first.text() + second.text(), "the other replica stands by", 60)
        leader, standby = (first, second) if first.leads() else (second, first)
        before = read_lease()
        for round in range(3):
            phase = time.monotonic()
            control_plane.restart_apiserver()
            print(f"restart {round}: kube-apiserver ready again after {time.monotonic() - phase:.2f} s")
            renewed = read_lease().renew_time
            wait_for(lambda: read_lease().renew_time != renewed, "the Lease renewed after the restart", 30)
            assert read_lease().holder_identity == before.holder_identity, leader.text()[-1500:]
            name = f"after-restart-{round}"
            direct.save(WebSite(namespace=namespace, name=name))
            wait_for(converged(direct, namespace, [name], ready=0), f"the leader reconciled {name}", 60)
        after = read_lease()
        assert leader.process.poll() is None and standby.process.poll() is None
        assert "not renewed" not in leader.text() and "is held by another" not in leader.text()
        assert not standby.leads() and standby.reconciles() == 0
        assert (after.holder_identity, after.lease_transitions, after.acquire_time) == \
            (before.holder_identity, before.lease_transitions, before.acquire_time)
        assert after.renew_time > before.renew_time
    finally:
        first.stop()
        second.stop()
        witness.close()
        direct.close()


# -- the cache on its own ------------------------------------------------------------------


def test_query_cached_follows_the_server_and_close_stops_it(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    from pykorm.controller import cache

    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    huge = {"a.b-c_d": "x" * 100_000}  # a dotted key, a 100 kB value; an empty data map on another
    pk.save(ConfigMap(namespace=k8s_namespace, name="big.one", data=huge))
    pk.save(ConfigMap(namespace=k8s_namespace, name="empty", data={}))
    query = ConfigMap.query.session(pk).namespace(k8s_namespace)
    cached = query.filter(name__startswith="big").cached()
    assert [c.name for c in cached] == ["big.one"] and (first := cached.first()) is not None and first.data == huge
    assert cache(ConfigMap, k8s_namespace, session=pk) is pk.cache(ConfigMap, k8s_namespace)  # one per session and key
    everything = query.cached()
    assert everything.filter(data__isnull=True).pluck("name") in ([], ["empty"])  # an empty map may come back absent

    pk.save(ConfigMap(namespace=k8s_namespace, name="later", data={"k": "v"}))
    seen = wait_for(lambda: everything.filter(data__k="v").exists(), "the cache saw the new ConfigMap", 30, every=0.01)
    print(f"a new object was in the cache {seen * 1000:.0f} ms after its create returned")
    assert sorted(everything.pluck("name")) == sorted(c.name for c in query.all())
    pk.close()
    wait_for(lambda: not [t for t in threading.enumerate() if t.name.startswith("informer-ConfigMap")], "informers stopped", 5)


def test_update_status_and_finalize_survive_stale_reads(pk: pykorm.Pykorm, k8s_namespace: str, crd_installed: None) -> None:
    from pykorm.controller import finalize, is_deleting, update_status

    pk.save(WebSite(namespace=k8s_namespace, name="stale", content="<p>1</p>"))
    stale, other = pk.get(WebSite, "stale", k8s_namespace), pk.get(WebSite, "stale", k8s_namespace)
    other.content = "<p>2</p>"
    pk.save(other)  # `stale` is behind now: a write with its resourceVersion conflicts

    calls: list[int] = []

    def mirror(site: Any) -> None:
        calls.append(1)
        site.ready_replicas = 7

    update_status(stale, mirror, session=pk)
    fresh = pk.get(WebSite, "stale", k8s_namespace)
    assert len(calls) == 2 and fresh.ready_replicas == 7 and fresh.content == "<p>2</p>"  # retried; spec untouched

    cleanups: list[str] = []
    behind = pk.get(WebSite, "stale", k8s_namespace)
    pk.update(pk.get(WebSite, "stale", k8s_namespace), lambda s: setattr(s, "finalizers", ["example.com/other"]))
    assert finalize(behind, "example.com/mine", cleanups.append, session=pk) is False  # conflict: read again, added
    assert finalize(behind, "example.com/mine", cleanups.append, session=pk) is False  # there: nothing sent
    assert pk.get(WebSite, "stale", k8s_namespace).finalizers == ["example.com/other", "example.com/mine"]

    pk.delete(behind)
    going = pk.get(WebSite, "stale", k8s_namespace)
    assert is_deleting(going) and finalize(going, "example.com/mine", lambda s: cleanups.append(s.name), session=pk)
    assert cleanups == ["stale"] and pk.get(WebSite, "stale", k8s_namespace).finalizers == ["example.com/other"]
    pk.update(pk.get(WebSite, "stale", k8s_namespace), lambda s: setattr(s, "finalizers", []))
    pk.wait_gone(going, timeout=30)


def test_update_status_writes_the_observed_generation_it_is_given_on_every_attempt(
    pk: pykorm.Pykorm, k8s_namespace: str, crd_installed: None,
) -> None:
    from pykorm.controller import update_status

    pk.save(WebSite(namespace=k8s_namespace, name="observed", content="<p>1</p>"))
    read = pk.get(WebSite, "observed", k8s_namespace)
    pk.update(pk.get(WebSite, "observed", k8s_namespace), lambda s: setattr(s, "content", "<p>2</p>"))
    written = update_status(read, lambda s: setattr(s, "ready_replicas", 1), observed_generation=read.generation,
                            session=pk)
    fresh = pk.get(WebSite, "observed", k8s_namespace)
    assert (written.generation, written.observed_generation) == (fresh.generation, fresh.observed_generation) == (2, 1)
    for bad in (0, -1, True, "1", 1.0):
        with pytest.raises(ValueError, match="observed_generation"):
            update_status(fresh, lambda s: None, observed_generation=bad, session=pk)  # type: ignore[arg-type]

    # Deleted and created again under the same name meanwhile: not the object the reconcile read.
    pk.delete(fresh, wait=True, timeout=30)
    pk.save(WebSite(namespace=k8s_namespace, name="observed"))
    with pytest.raises(pykorm.NotFound, match="deleted, and another one of that name"):
        update_status(fresh, lambda s: setattr(s, "ready_replicas", 5), observed_generation=2, session=pk)
    again = pk.get(WebSite, "observed", k8s_namespace)
    assert again.ready_replicas is None and again.observed_generation is None
