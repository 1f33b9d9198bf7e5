"""Caches, watches, waits and a controller end with the server's state, whatever another writer did and however
the server failed meanwhile.

A seeded random sequence of writes by the official ``kubernetes`` client (field manager ``other-writer``) in two
namespaces — creations, changes of ``data``, labels moving objects into and out of a label selector, deletions,
deletions followed by a creation under the same name (a new uid), edits of the controller's own fields and
children, an edit writing the very value the controller last wrote — interleaved with faults: watch connections
reset, watches stalled, kube-apiserver restarted, etcd compacted while the clients could not reach the server
(410 Gone, relists), watches refused (a relist after a failed watch). After each phase the test waits — on the
state itself, with generous timeouts — until every view agrees with the server's list as the official client
reads it (names, uids, resourceVersions, labels, data):

- ``pk.cache(...)``: its query, ``get`` (objects gone are None), ``by_index``; a ``cached()`` query across both
  namespaces with the label selector; the manager's informers (the selector's, and the owned kind's);
- a ``Query.watch()`` consumer that keeps the objects from its events (a DELETED always names the object it
  holds; every state it is told of is one the server had);
- ``wait_until``: each list it returns is made of states the server had;
- the controller (``tests/converging_operator.py``): every selected object's ``output`` names its current
  input and uid, its child holds the input and is owned by that uid, and a reconcile read the object at or
  after the other writer's last write of it.
The same operator also runs as a program of its own, through the fault proxy, on the session's cluster.

``PYKORM_CONVERGE_SEED`` picks another sequence (``random``: a new one each run); the seed is printed.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import kubernetes
import pytest

import pykorm
from pykorm.controller import Informer
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster, FaultProxy, LocalControlPlane

from .converging_operator import LABEL, build_manager, output_of
from .helpers import wait_for
from .planes import new_namespace, private_plane
from .witness import official_client

ROOT = Path(__file__).resolve().parents[1]
# One sequence by default, so that a run of the suite is repeatable; PYKORM_CONVERGE_SEED=random draws one.
_SEED = os.environ.get("PYKORM_CONVERGE_SEED", "901814")
SEED = random.SystemRandom().randrange(1, 10**6) if _SEED == "random" else int(_SEED)
QUIET = 240.0  # seconds to converge after a phase: generous, the machine is shared (45 s of them: a stalled watch)
NAMES = [f"obj-{i}" for i in range(6)]
MERGE = "application/merge-patch+json"

State = tuple[str, str, dict[str, str], dict[str, str]]  # uid, resourceVersion, labels, data


def state_of(obj: Any) -> State:
    """An object's identity and content: the official client's V1ConfigMap, or a pykorm ConfigMap."""
    if isinstance(obj, ConfigMap):
        return str(obj.uid), str(obj.resource_version), dict(obj.labels or {}), dict(obj.data or {})
    metadata = obj.metadata
    return metadata.uid, metadata.resource_version, dict(metadata.labels or {}), dict(obj.data or {})


class Writer:
    """The other writer: random changes through the official client, each answer kept as a state the server had."""

    def __init__(self, api: kubernetes.client.CoreV1Api, namespaces: list[str], token: str, rng: random.Random) -> None:
        self.api, self.namespaces, self.token, self.rng = api, namespaces, token, rng
        self.lock = threading.Lock()
        self.states: dict[tuple[str, str], State] = {}  # (uid, resourceVersion) -> the state the writer produced
        self.last: dict[str, int] = {}  # uid -> resourceVersion of the writer's last write of it
        self.ops: list[str] = []

    def selector(self) -> str:
        return f"{LABEL}={self.token}"

    def keep(self, obj: Any, content: bool = True) -> Any:
        """Keep the state a write made; ``content``: the write changed what the controller reconciles (not a
        label move alone, which may leave the object as the controller last read it: out and back in while the
        controller was not watching is one unchanged object to it, as to client-go's informers)."""
        state = state_of(obj)
        with self.lock:
            self.states[(state[0], state[1])] = state
            if content or state[0] not in self.last:
                self.last[state[0]] = int(state[1])
        return obj

    def read(self, namespace: str, name: str) -> Any | None:
        try:
            return self.api.read_namespaced_config_map(name, namespace)
        except kubernetes.client.ApiException as error:
            if error.status == 404:
                return None
            raise

    def create(self, namespace: str, name: str, labels: dict[str, str], data: dict[str, str]) -> Any:
        body = {"metadata": {"name": name, "labels": labels}, "data": data}
        return self.keep(self.api.create_namespaced_config_map(namespace, body, field_manager="other-writer"))

    def patch(self, namespace: str, name: str, body: dict[str, Any], content: bool = True) -> Any:
        return self.keep(self.api.patch_namespaced_config_map(name, namespace, body, field_manager="other-writer",
                                                              _content_type=MERGE), content)

    def label(self, selected: bool) -> dict[str, str]:
        return {LABEL: self.token if selected else f"off-{self.token}"}

    def step(self, only: tuple[str, ...] | None = None) -> str:
        """One random change (of kinds ``only``, when given, where possible); what it was."""
        namespace, name = self.rng.choice(self.namespaces), self.rng.choice(NAMES)
        current = self.read(namespace, name)
        value = secrets.token_hex(3)
        if current is None:
            data = {"input": value, **({"child": "yes"} if self.rng.random() < 0.5 else {})}
            self.create(namespace, name, self.label(self.rng.random() < 0.75), data)
            op = "create"
        else:
            ops = ["input", "input", "relabel", "delete", "recreate", "drift", "same-value", "child-drift",
                   "child-delete"]
            op = self.rng.choice([o for o in ops if only is None or o in only] or ops)
            data = dict(current.data or {})
            if op == "input":
                self.patch(namespace, name, {"data": {"input": value}})
            elif op == "relabel":
                selected = (current.metadata.labels or {}).get(LABEL) == self.token
                self.patch(namespace, name, {"metadata": {"labels": self.label(not selected)}}, content=False)
            elif op == "delete":
                self.api.delete_namespaced_config_map(name, namespace)
            elif op == "recreate":  # the same name, labels and data (the controller's output too): a new uid
                self.api.delete_namespaced_config_map(name, namespace)
                self.create(namespace, name, dict(current.metadata.labels or {}), data)
            elif op == "drift":  # the controller's field, edited
                self.patch(namespace, name, {"data": {"output": "drifted"}})
            elif op == "same-value":  # a new input, with the output the controller last wrote: still stale
                self.patch(namespace, name, {"data": {"input": value, "output": data.get("output")}})
            elif op == "child-drift":
                if self.read(namespace, f"{name}-child") is not None:
                    self.api.patch_namespaced_config_map(f"{name}-child", namespace, {"data": {"value": "drifted"}},
                                                         field_manager="other-writer", _content_type=MERGE)
            elif op == "child-delete":
                with contextlib.suppress(kubernetes.client.ApiException):
                    self.api.delete_namespaced_config_map(f"{name}-child", namespace)
        self.ops.append(f"{op} {namespace}/{name}")
        return op

    def server(self, namespace: str, selected_only: bool = False) -> dict[str, State]:
        """The server's ConfigMaps of ``namespace`` now (those of the selector only, if asked), by name."""
        found = self.api.list_namespaced_config_map(namespace, label_selector=self.selector() if selected_only else None)
        return {item.metadata.name: state_of(item) for item in found.items}


def differences(label: str, have: dict[str, State], want: dict[str, State]) -> list[str]:
    """What ``have`` (a view, by key) gets wrong about ``want`` (the server's), one line each."""
    problems = [f"{label}: {key} is a ghost (not on the server)" for key in sorted(have.keys() - want.keys())]
    problems += [f"{label}: {key} is missing" for key in sorted(want.keys() - have.keys())]
    problems += [f"{label}: {key} is {have[key]}, the server's {want[key]}" for key in sorted(have.keys() & want.keys())
                 if have[key] != want[key]]
    return problems


class Tracker:
    """A ``Query.watch()`` consumer keeping the matching objects from its events, as a program would."""

    def __init__(self, query: pykorm.Query[ConfigMap], end: str) -> None:
        self.query, self.end = query, end
        self.lock = threading.Lock()
        self.objects: dict[str, State] = {}
        self.told: list[State] = []  # every state an ADDED or MODIFIED carried
        self.problems: list[str] = []
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="converge-tracker", daemon=True)

    def _run(self) -> None:
        try:
            for event in self.query.watch(initial=True, silence=5):
                key, state = f"{event.obj.namespace}/{event.obj.name}", state_of(event.obj)
                with self.lock:
                    if event.type == "DELETED":
                        held = self.objects.pop(key, None)
                        if held is None or held[0] != state[0]:
                            self.problems.append(f"watch: DELETED {key} uid {state[0]}, holding {held}")
                    else:
                        if event.type == "ADDED" and key in self.objects:
                            self.problems.append(f"watch: ADDED {key} {state[:2]} while holding {self.objects[key][:2]}")
                        self.objects[key] = state
                        self.told.append(state)
                self.started.set()
                if event.obj.name == self.end and event.type != "DELETED":
                    return
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def view(self) -> dict[str, State]:
        with self.lock:
            return {key: state for key, state in self.objects.items() if not key.endswith(f"/{self.end}")}


def refusals(proxy: FaultProxy, path: str) -> int:
    """How many requests matching ``path`` the proxy answered 403 itself."""
    return sum(e.outcome.startswith("403") for e in proxy.seen("GET", path))


def child_problems(writer: Writer, namespace: str, name: str, uid: str, data: dict[str, str]) -> list[str]:
    """What is wrong with the child of the selected object ``namespace/name`` (``uid``, ``data``), if it wants one."""
    if data.get("child") != "yes":
        return []
    child = writer.read(namespace, f"{name}-child")
    owners = [r.uid for r in (child.metadata.owner_references or []) if r.controller] if child else []
    if child is None or (child.data or {}).get("value") != data.get("input") or owners != [uid]:
        return [f"controller: {namespace}/{name}'s child is {child and (child.data, owners)}"]
    return []


def was_true(states: list[State], writer: Writer, written: dict[tuple[str, str], State]) -> list[str]:
    """The states of ``states`` that no write produced (neither the other writer's nor the controller's)."""
    problems = []
    for state in states:
        key = (state[0], state[1])
        with writer.lock:
            known = writer.states.get(key) or written.get(key)
        if known is None:  # a controller write whose answer was lost: the content it sent
            known = written.get((state[0], f"writing {sorted(state[2].items())} {sorted(state[3].items())}"))
        if known is None:
            problems.append(f"a state no write produced: {state}")
        elif known != state:
            problems.append(f"{state} differs from the state written at that resourceVersion, {known}")
    return problems


# -- on a control plane of our own: restarted, compacted ----------------------------------------------------


@pytest.fixture(scope="module")
def plane(k8s_cluster: Cluster) -> Iterator[tuple[LocalControlPlane, pykorm.Pykorm]]:
    """No watch cache, so that a compaction expires the resourceVersions watches resume from at once."""
    with private_plane(k8s_cluster, "--watch-cache=false", why="restarted, compacted") as found:
        yield found


def test_caches_watches_waits_and_a_controller_converge_through_writes_and_faults(
    plane: tuple[LocalControlPlane, pykorm.Pykorm],
) -> None:
    control_plane, admin = plane
    cluster = Cluster.local(control_plane)
    rng = random.Random(SEED)
    print(f"seed {SEED}")
    namespaces = [new_namespace(admin, "conv"), new_namespace(admin, "conv")]
    first, second = namespaces
    token = secrets.token_hex(3)
    with official_client(cluster) as client, FaultProxy.in_front_of(cluster) as proxy:
        writer = Writer(kubernetes.client.CoreV1Api(client), namespaces, token, rng)
        pk = proxy.session(make_default=False, field_manager="converging-operator",
                           retries=pykorm.RetryPolicy(max_elapsed=60))
        watching = proxy.session(make_default=False)
        selected = ConfigMap.query.session(pk).namespace(first, second).filter_by_labels({LABEL: token})

        read: dict[str, list[tuple[str, int]]] = {}  # key -> (uid, resourceVersion) each reconcile read
        written: dict[tuple[str, str], State] = {}  # the states the controller's writes produced
        seen_lock = threading.Lock()

        def seen(what: str, key: str, uid: str, version: str, obj: ConfigMap) -> None:
            with seen_lock:
                if what == "read":
                    read.setdefault(key, []).append((uid, int(version)))
                elif what == "writing":  # the content a save sends: its answer may be lost (a cut, a restart)
                    _, _, labels, data = state_of(obj)
                    written[(uid, f"writing {sorted(labels.items())} {sorted(data.items())}")] = state_of(obj)
                else:
                    written[(uid, version)] = state_of(obj)

        manager = build_manager(pk, token, seen)
        manager.start()
        end = "zz-the-end"
        tracker = Tracker(ConfigMap.query.session(watching).namespace(first, second).filter_by_labels({LABEL: token}), end)
        try:
            assert manager.wait_leading(60) and manager.synced(60)
            cache = pk.cache(ConfigMap, first)
            writer.create(first, "zz-start", writer.label(True), {"input": "start"})
            tracker.thread.start()
            wait_for(tracker.started.is_set, "the watch consumer's first event", 60)

            def controller_states() -> dict[tuple[str, str], State]:
                with seen_lock:
                    return dict(written)

            def problems() -> list[str]:
                found: list[str] = []
                servers = {ns: writer.server(ns) for ns in namespaces}
                server_selected = {f"{ns}/{name}": state for ns in namespaces
                                   for name, state in writer.server(ns, selected_only=True).items()}
                try:
                    found += differences("pk.cache query", {c.name: state_of(c) for c in cache.query.all()},
                                         servers[first])
                    gets = {name: cache.get(name) for name in {*NAMES, *(f"{n}-child" for n in NAMES), "zz-start"}}
                    found += differences("pk.cache get", {n: state_of(c) for n, c in gets.items() if c is not None},
                                         {n: s for n, s in servers[first].items() if n in gets})
                    found += differences("pk.cache by_index", {c.name: state_of(c) for c in
                                                               cache.by_index("namespace", first)}, servers[first])
                    found += differences("cached() query", {f"{c.namespace}/{c.name}": state_of(c)
                                                            for c in selected.cached().all()}, server_selected)
                    primary: Informer[ConfigMap] = manager.informer(ConfigMap, selector={LABEL: token})
                    found += differences("the manager's selector informer",
                                         {f"{c.namespace}/{c.name}": state_of(c) for c in primary.query.all()},
                                         server_selected)
                    owned: Informer[ConfigMap] = manager.informer(ConfigMap)
                    for ns in namespaces:
                        found += differences(f"the manager's informer in {ns}",
                                             {c.name: state_of(c) for c in owned.by_index("namespace", ns)},
                                             servers[ns])
                except pykorm.CacheUnavailable as error:
                    found.append(f"a cache is not readable: {error}")
                found += differences("the watch consumer", tracker.view(), server_selected)
                for key, (uid, version, labels, data) in server_selected.items():
                    ns, _, name = key.partition("/")
                    if data.get("output") != output_of(data, uid):
                        found.append(f"controller: {key} output {data.get('output')!r}, not {output_of(data, uid)!r}")
                    found += child_problems(writer, ns, name, uid, data)
                    with writer.lock:
                        last = writer.last.get(uid, 0)
                    with seen_lock:
                        latest = max((v for u, v in read.get(key, []) if u == uid), default=0)
                    if latest < last:
                        found.append(f"controller: {key} last read at {latest}, the other writer's last write {last}")
                return found

            def converge(phase: str) -> None:
                started = time.monotonic()
                last: list[list[str]] = [[]]

                def quiet() -> bool:
                    last[0] = problems()
                    return not last[0]

                deadline = time.monotonic() + QUIET
                while not quiet():
                    if time.monotonic() > deadline:
                        pytest.fail(f"{phase}: not converged after {QUIET:g} s (seed {SEED}; the writes: "
                                    f"{writer.ops[-40:]}):\n" + "\n".join(last[0]))
                    if tracker.error is not None:
                        raise AssertionError(f"{phase}: the watch consumer ended: {tracker.error!r}") from tracker.error
                    time.sleep(0.5)
                with tracker.lock:
                    assert not tracker.problems, f"{phase}: {tracker.problems}"
                print(f"{phase}: converged in {time.monotonic() - started:.1f} s")
                expected = {f"{ns}/{name}" for ns in namespaces for name in writer.server(ns, selected_only=True)}
                waited = selected.wait_until(
                    lambda objs: {f"{o.namespace}/{o.name}" for o in objs} == expected
                    and all((o.data or {}).get("output") == output_of(o.data, str(o.uid)) for o in objs), timeout=120)
                assert sorted(f"{o.namespace}/{o.name}" for o in waited) == sorted(expected)
                assert not was_true([state_of(o) for o in waited], writer, controller_states()), phase
                assert not was_true(tracker.told, writer, controller_states()), phase

            def phase(label: str, steps: int, fault: Callable[[], object] | None = None,
                      only: tuple[str, ...] | None = None) -> None:
                # a wait started before the writes: what it returns must have been true
                target = writer.rng.choice(namespaces), writer.rng.choice(NAMES)
                mark = f"mark-{secrets.token_hex(2)}"
                returned: list[list[ConfigMap]] = []
                waiter = threading.Thread(target=lambda: returned.append(selected.wait_until(
                    lambda objs: any(o.namespace == target[0] and o.name == target[1]
                                     and (o.data or {}).get("input") == mark for o in objs), timeout=QUIET)),
                    daemon=True)
                waiter.start()
                for step in range(steps):
                    writer.step(only)
                    if fault is not None and step == steps // 2:
                        fault()
                current = writer.read(*target)
                if current is None:
                    writer.create(target[0], target[1], writer.label(True), {"input": mark})
                else:
                    writer.patch(target[0], target[1], {"metadata": {"labels": writer.label(True)},
                                                        "data": {"input": mark}})
                converge(label)
                waiter.join(QUIET)
                assert returned, f"{label}: wait_until did not return"
                assert not was_true([state_of(o) for o in returned[0]], writer, controller_states()), label

            phase("no fault", 20)
            phase("watch connections reset", 20, lambda: proxy.reset(path="watch=true"))
            def stalled() -> None:  # the next watches go silent: noticed after their silence, resumed
                proxy.stall(path="watch=true", times=8)
                proxy.reset(path="watch=true")

            phase("watches stalled", 16, stalled)
            phase("kube-apiserver restarted", 20, control_plane.restart_apiserver)

            def unreachable_then_compacted() -> None:
                proxy.refuse()
                for _ in range(10):
                    writer.step(("recreate", "delete", "relabel", "input", "same-value"))
                control_plane.compact_etcd()
                proxy.heal()

            lists = r"configmaps\?(?!.*watch=true)"
            listed = len(proxy.seen("GET", lists))
            phase("unreachable, compacted (410)", 12, unreachable_then_compacted)
            assert len(proxy.seen("GET", lists)) > listed, "no relist: the compaction proved nothing"

            def refused_watches() -> None:  # the first namespace's cache fails and lists again (access revoked)
                refused = rf"/namespaces/{first}/configmaps\?.*watch=true"
                proxy.respond(403, times=10_000, path=refused)
                proxy.reset(path=refused)
                wait_for(lambda: refusals(proxy, refused) >= 1, "the cache's watch refused", QUIET)
                for _ in range(6):
                    writer.step(("recreate",))
                before = cache.failures
                wait_for(lambda: cache.failures > before, "the cache listed again, its watch still refused", QUIET)
                proxy.heal()

            phase("watches refused, relisted", 12, refused_watches, only=("recreate", "input", "relabel"))
            writer.create(first, end, writer.label(True), {"input": "end"})
            tracker.thread.join(60)
            assert tracker.error is None, tracker.error
            reconciles = sum(c.reconciles.total() for c in manager.controllers)
            print(f"{len(writer.ops)} writes ({', '.join(sorted({o.split()[0] for o in writer.ops}))}); "
                  f"{reconciles} reconciles; informer failures {sum(i.failures for i in manager.informers)}")
        finally:
            manager.stop(30)
            pk.close()
            watching.close()
        assert manager.error is None


# -- the operator as a program of its own, on the session's cluster ------------------------------------------


def test_an_operator_in_its_own_process_converges_through_writes_and_faults(
    k8s_cluster: Cluster, k8s_namespace: str, tmp_path: Path,
) -> None:
    rng = random.Random(SEED + 1)
    print(f"seed {SEED + 1}")
    admin = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    other = new_namespace(admin, "conv")
    namespaces = [k8s_namespace, other]
    token = secrets.token_hex(3)
    log = tmp_path / "operator.log"
    with official_client(k8s_cluster) as client, FaultProxy.in_front_of(k8s_cluster) as proxy:
        api = kubernetes.client.CoreV1Api(client)
        writer = Writer(api, namespaces, token, rng)
        kubeconfig = proxy.write_kubeconfig(tmp_path / "kubeconfig")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen([sys.executable, "-m", "tests.converging_operator", f"--kubeconfig={kubeconfig}",
                                    f"--selector-value={token}"], stdout=log.open("w"), stderr=subprocess.STDOUT,
                                   env=env, cwd=ROOT)
        try:
            wait_for(lambda: "running" in log.read_text(), "the operator started", 60)

            def reads() -> dict[str, int]:
                latest: dict[str, int] = {}
                for line in log.read_text().splitlines():
                    parts = line.split()
                    if len(parts) == 4 and parts[0] == "read":
                        latest[parts[2]] = max(latest.get(parts[2], 0), int(parts[3]))
                return latest

            def problems() -> list[str]:
                found = []
                latest = reads()
                for ns in namespaces:
                    for name, (uid, _, _, data) in writer.server(ns, selected_only=True).items():
                        if data.get("output") != output_of(data, uid):
                            found.append(f"{ns}/{name}: output {data.get('output')!r}, not {output_of(data, uid)!r}")
                        found += child_problems(writer, ns, name, uid, data)
                        with writer.lock:
                            last = writer.last.get(uid, 0)
                        if latest.get(uid, 0) < last:
                            found.append(f"{ns}/{name}: last read at {latest.get(uid, 0)}, the other writer's {last}")
                return found

            def converge(phase: str) -> None:
                started = time.monotonic()
                last: list[list[str]] = [[]]

                def quiet() -> bool:
                    assert process.poll() is None, f"the operator exited:\n{log.read_text()[-3000:]}"
                    last[0] = problems()
                    return not last[0]

                deadline = time.monotonic() + QUIET
                while not quiet():
                    if time.monotonic() > deadline:
                        pytest.fail(f"{phase}: not converged after {QUIET:g} s (seed {SEED + 1}; writes "
                                    f"{writer.ops[-40:]}):\n" + "\n".join(last[0]))
                    time.sleep(0.5)
                print(f"{phase}: converged in {time.monotonic() - started:.1f} s")

            for _ in range(20):
                writer.step()
            converge("no fault")
            for step in range(20):
                writer.step()
                if step == 10:
                    proxy.reset(path="watch=true")
            converge("watch connections reset")
            refused = r"configmaps\?.*watch=true"
            proxy.respond(403, times=10_000, path=refused)  # the operator's watches fail (access revoked)...
            proxy.reset(path="watch=true")
            wait_for(lambda: refusals(proxy, refused) >= 2, "both informers' watches refused", QUIET)
            for _ in range(12):  # ...while objects are created again under their names: seen by a relist only
                writer.step(("recreate", "input", "relabel", "same-value"))
            before = refusals(proxy, refused)
            wait_for(lambda: refusals(proxy, refused) > before, "the operator tried again, refused", QUIET)
            proxy.heal()
            converge("watches refused, relisted")
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            with contextlib.suppress(kubernetes.client.ApiException):
                kubernetes.client.CoreV1Api(client).delete_namespace(other)
            admin.close()
        assert process.returncode == 0, log.read_text()[-3000:]


# -- wait_until and watch with an order or a slice ----------------------------------------------------------


def test_wait_until_sees_the_querys_order_and_slice_and_watch_refuses_a_slice(k8s_cluster: Cluster,
                                                                           k8s_namespace: str) -> None:
    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    try:
        mine = ConfigMap.query.session(pk).namespace(k8s_namespace).exclude(name="kube-root-ca.crt")
        pk.save(ConfigMap(namespace=k8s_namespace, name="m", data={"n": "2"}))
        first: list[list[str]] = []
        waiter = threading.Thread(target=lambda: first.append(
            [c.name for c in mine.order_by("name")[:1].wait_until(lambda objs: [o.name for o in objs] == ["a"], 60)]))
        waiter.start()
        time.sleep(0.5)  # not an assertion: the wait may list before or after the creation, either must end right
        pk.save(ConfigMap(namespace=k8s_namespace, name="z", data={"n": "9"}))
        pk.save(ConfigMap(namespace=k8s_namespace, name="a", data={"n": "1"}))
        waiter.join(90)
        assert first == [["a"]]  # was a WaitTimeout: the condition was given [m, z, a], in the order events came
        top = mine.order_by("-name")[1:3].wait_until(lambda objs: len(objs) == 2, 30)
        assert [c.name for c in top] == ["m", "a"]  # z, then m and a: the slice of the ordered list
        for query in (mine[:2], mine.order_by("name")[1:]):
            with pytest.raises(pykorm.ClientValidationError, match="cannot follow a slice"):
                query.watch(timeout=5)  # was every object's events, the slice ignored
        initial = [e.obj.name for e in mine.order_by("-name").watch(timeout=1, initial=True)]
        assert initial == ["z", "m", "a"]  # the initial ADDED events in the query's order (they were not)
    finally:
        pk.close()


def test_wait_for_follows_the_object_not_a_new_one_under_its_name(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    pk = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    try:
        with official_client(k8s_cluster) as client:
            api = kubernetes.client.CoreV1Api(client)
            mine = pk.save(ConfigMap(namespace=k8s_namespace, name="waited", data={"state": "pending"}))
            original = mine.uid
            outcome: list[Any] = []

            def wait() -> None:
                try:
                    outcome.append(pk.wait_for(mine, lambda c: c is not None and (c.data or {}).get("state") == "done",
                                               timeout=20))
                except pykorm.WaitTimeout as error:
                    outcome.append(error)

            waiter = threading.Thread(target=wait)
            waiter.start()
            time.sleep(0.5)  # not an assertion: the wait may list before or after, either must end right
            api.delete_namespaced_config_map("waited", k8s_namespace)  # another writer replaces it: a new uid
            api.create_namespaced_config_map(k8s_namespace, {"metadata": {"name": "waited"}, "data": {"state": "done"}})
            waiter.join(90)
            # The object waited for is gone, never "done": was the new object, returned as if it were this one.
            assert len(outcome) == 1 and isinstance(outcome[0], pykorm.WaitTimeout) and outcome[0].last is None
            assert mine.uid == original  # was the new object's uid: the caller's object silently became another
            fresh = pk.get(ConfigMap, "waited", k8s_namespace)
            done = pk.wait_for(fresh, lambda c: c is not None and c.data == {"state": "done"}, timeout=30)
            assert done is not None and done.uid == fresh.uid != original
    finally:
        pk.close()
