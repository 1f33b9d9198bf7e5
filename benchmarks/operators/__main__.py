"""python -m benchmarks.operators: one operator written three ways, run one after another on one server.

    python -m benchmarks.operators                    # 1,000 Mirrors per operator, into BENCHMARKS.md
    python -m benchmarks.operators --objects 200 --no-write
    python -m benchmarks.operators --only pykorm,controller-runtime
    python -m benchmarks.operators --only pykorm,pykorm:2,kopf   # pykorm:2: an extra row with 2 workers

The operator (``_mirror.py``): each ``Mirror`` gets an owned ConfigMap holding its message, then
``status.configMap`` and ``status.observedGeneration``. Written with pykorm.controller
(``pykorm_operator.py``), kopf (``kopf_operator.py``) and controller-runtime (``crgo/operator``,
built here from the Go module proxy). Each runs in a process of its own, as a ServiceAccount of
its own, watching a namespace of its own, on one local control plane started here (its audit log
counts each operator's requests). Per operator: ``--objects`` Mirrors are created, then the
operator is started (*backlog*: its start until they have converged); then ``--objects`` more are
created from 8 threads and timed until every one has converged (*converge*, observed through a
watch by the driver); the CPU seconds of the operator's process (and of kube-apiserver + etcd)
over that time and a 3 s settle, its CPU over ``--idle`` seconds of quiet after, its peak resident
set, the requests it sent meanwhile (audit log) and how many reconciles each new Mirror took. Its
namespace is deleted, and gone, before the next operator starts.

Concurrency: kopf runs a task per object (unbounded); pykorm and controller-runtime get ``--workers``
(8) concurrent reconciles each — their own defaults (2 for pykorm's ``Manager.reconciler``, 1 for
controller-runtime's ``MaxConcurrentReconciles``) leave an operator behind its creator, measured as
an extra row with ``--only pykorm:2``. Each round starts with the *floors*, no operator running: the
creates alone, and the driver making each object's three writes itself; no operator converges before
its last create, so they bound what any operator can show here.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pykorm
from pykorm import AlreadyExists, NotFound, ServerUnavailable
from pykorm._http.transport import MERGE_PATCH, Transport
from pykorm.testing import Cluster, LocalControlPlane, install_crds

from . import _audit
from ._mirror import GROUP, PLURAL, VERSION, Mirror, converged, mirror_body
from ._process import Operator, cpu_seconds, go_build, peak_rss_mib
from ._report import Floors, Result, median, report, write_section

ROOT = Path(__file__).resolve().parent.parent.parent
OPERATORS = ("pykorm", "kopf", "controller-runtime")
ACCOUNTS = "pykorm-bench-operators"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.operators", description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=1000, help="Mirrors created per operator (default 1,000)")
    parser.add_argument("--only", default=",".join(OPERATORS), help="comma-separated: " + ", ".join(OPERATORS)
                        + " (NAME:N: with N workers, e.g. pykorm:8, an extra row)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each operator, the order rotating (median)")
    parser.add_argument("--workers", type=int, default=8,
                        help="concurrent reconciles of pykorm and controller-runtime (default 8; kopf: unbounded)")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of quiet over which idle CPU is measured")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds an operator may take to converge")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="the report to update")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--no-floors", action="store_true", help="skip the rows with no operator (creates alone...)")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = {name for name in args.only if base_of(name) not in OPERATORS or not workers_of(name, 1) > 0}
    if unknown:
        parser.error(f"unknown operators: {', '.join(sorted(unknown))} (NAME or NAME:WORKERS, NAME one of "
                     f"{', '.join(OPERATORS)})")
    return args


def base_of(entry: str) -> str:
    """``pykorm:8`` (pykorm with 8 workers, an extra row) → ``pykorm``."""
    return entry.partition(":")[0]


def workers_of(entry: str, default: int) -> int:
    count = entry.partition(":")[2]
    return int(count) if count.isdigit() else (default if not count else 0)


def account_of(entry: str) -> str:
    """The operator's ServiceAccount (a DNS label): ``pykorm:8`` → ``pykorm-w8``."""
    return entry.replace(":", "-w")


# -- the server and the accounts ---------------------------------------------------------


def kubeconfig_for(cluster: Cluster, transport: Transport, account: str, directory: Path) -> Path:
    """A kubeconfig whose user is a fresh token of ServiceAccount ``account`` (bound to cluster-admin)."""
    transport.request("POST", f"/api/v1/namespaces/{ACCOUNTS}/serviceaccounts", body={"metadata": {"name": account}})
    transport.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", body={
        "metadata": {"name": f"{ACCOUNTS}-{account}"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": ACCOUNTS}],
    })
    token = transport.request(
        "POST", f"/api/v1/namespaces/{ACCOUNTS}/serviceaccounts/{account}/token",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 7200}},
    )["status"]["token"]
    configuration = cluster.configuration()
    import base64
    import json

    path = directory / f"{account}.kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "bench",
        "clusters": [{"name": "bench", "cluster": {
            "server": configuration.host,
            "certificate-authority-data": base64.b64encode(Path(configuration.ssl_ca_cert).read_bytes()).decode()}}],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": "bench", "context": {"cluster": "bench", "user": account}}],
    }))
    path.chmod(0o600)
    return path


def command_of(name: str, namespace: str, workers: int, crgo: Path | None, kubeconfig: Path) -> list[str]:
    if name == "pykorm":
        return [sys.executable, "-m", "benchmarks.operators.pykorm_operator", "--namespace", namespace,
                "--workers", str(workers)]
    if name == "kopf":
        return [sys.executable, "-m", "kopf", "run", "--standalone", "--quiet", "--namespace", namespace,
                str(Path(__file__).parent / "kopf_operator.py")]
    assert crgo is not None
    return [str(crgo), "--kubeconfig", str(kubeconfig), "--namespace", namespace, "--workers", str(workers)]


# -- watching convergence ---------------------------------------------------------------


class Observer:
    """Watches the Mirrors of a namespace (as the admin, not audited) and tells when ``n`` have converged."""

    def __init__(self, transport: Transport, namespace: str) -> None:
        self.transport = transport
        self.path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"
        self.done: set[str] = set()
        self.changed = threading.Condition()
        self._stop = threading.Event()
        listed = transport.request("GET", self.path)
        self._version = listed["metadata"]["resourceVersion"]
        self._see(listed["items"])
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def wait(self, n: int, timeout: float, alive: Operator) -> float:
        """Block until ``n`` Mirrors have converged; the monotonic time it happened."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.done) < n:
                alive.check()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(self.done)} of {n} Mirrors converged within {timeout} s")
                self.changed.wait(0.5)
            return time.monotonic()

    def stop(self) -> None:
        self._stop.set()

    def _see(self, items: list[dict[str, Any]]) -> None:
        with self.changed:
            for raw in items:
                if converged(raw):
                    self.done.add(raw["metadata"]["name"])
            self.changed.notify_all()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                for event in self.transport.stream(self.path, params={
                        "watch": "1", "resourceVersion": self._version, "allowWatchBookmarks": "true",
                        "timeoutSeconds": "60"}, timeout=90):
                    if event["type"] == "ERROR":  # 410: list again
                        listed = self.transport.request("GET", self.path)
                        self._version = listed["metadata"]["resourceVersion"]
                        self._see(listed["items"])
                        break
                    self._version = event["object"]["metadata"]["resourceVersion"]
                    if event["type"] in ("ADDED", "MODIFIED"):
                        self._see([event["object"]])
                    if self._stop.is_set():
                        return
            except ServerUnavailable:
                time.sleep(0.2)


def create_mirrors(transport: Transport, namespace: str, numbers: range) -> None:
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"

    def post(i: int) -> None:
        for attempt in range(6):
            try:
                transport.request("POST", path, body=mirror_body(i, namespace))
                return
            except AlreadyExists:
                return
            except ServerUnavailable:
                if attempt == 5:
                    raise
                time.sleep(0.2 * 2**attempt)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(post, numbers))


def write_as_operator(transport: Transport, namespace: str, numbers: range) -> None:
    """Create each Mirror and write its ConfigMap and status from the driver itself (8 threads): no watch, no cache."""
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"

    def one(i: int) -> None:
        mirror = transport.request("POST", path, body=mirror_body(i, namespace))
        name, uid = mirror["metadata"]["name"], mirror["metadata"]["uid"]
        transport.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", body={
            "metadata": {"name": name, "ownerReferences": [{
                "apiVersion": f"{GROUP}/{VERSION}", "kind": "Mirror", "name": name, "uid": uid,
                "controller": True, "blockOwnerDeletion": True}]},
            "data": {"message": mirror["spec"]["message"]}})
        transport.request("PATCH", f"{path}/{name}/status", body={"status": {
            "configMap": name, "observedGeneration": mirror["metadata"]["generation"]}}, content_type=MERGE_PATCH)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(one, numbers))


def measure_floors(transport: Transport, objects: int, r: int) -> Floors:
    """What bounds every operator's converge time on this server now (same round, no operator running).

    *creates*: the driver's creates alone, timed as the operators' converge starts (``objects`` Mirrors
    already there) — no operator can converge before its last create; *writes*: the driver creates each
    Mirror and writes its ConfigMap and status itself (the server's work for one operator's converge,
    with no watch or cache latency).
    """
    timings = []
    for label, write in (("creates", create_mirrors), ("writes", write_as_operator)):
        namespace = f"pykorm-bench-operators-floor-{label}-{r}"
        transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
        create_mirrors(transport, namespace, range(objects))
        t0 = time.monotonic()
        write(transport, namespace, range(objects, 2 * objects))
        timings.append(time.monotonic() - t0)
        delete_namespace(transport, namespace)
    floors = Floors(objects, *timings)
    say(f"floors: creates alone {floors.creates_s:.1f} s, creates + the driver's own writes {floors.writes_s:.1f} s")
    return floors


def check_children(transport: Transport, namespace: str, n: int) -> None:
    """Every Mirror has its ConfigMap, with its message, owned by it (raises otherwise)."""
    mirrors = {m["metadata"]["name"]: m for m in transport.request(
        "GET", f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}")["items"]}
    maps = {c["metadata"]["name"]: c for c in transport.request("GET", f"/api/v1/namespaces/{namespace}/configmaps")["items"]}
    wrong = []
    for name, mirror in mirrors.items():
        child = maps.get(name)
        owners = [r for r in (child or {}).get("metadata", {}).get("ownerReferences") or () if r.get("controller")]
        if child is None or (child.get("data") or {}).get("message") != mirror["spec"]["message"] or \
                [r["uid"] for r in owners] != [mirror["metadata"]["uid"]]:
            wrong.append(name)
    if len(mirrors) != n or wrong:
        raise AssertionError(f"{len(mirrors)} Mirrors (expected {n}); wrong or missing ConfigMaps: {wrong[:5]}")


def delete_namespace(transport: Transport, namespace: str, timeout: float = 300.0) -> None:
    """Delete ``namespace`` and wait until it is gone (its objects with it)."""
    try:
        transport.request("DELETE", f"/api/v1/namespaces/{namespace}")
    except NotFound:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            transport.request("GET", f"/api/v1/namespaces/{namespace}")
        except NotFound:
            return
        time.sleep(0.5)
    say(f"  namespace {namespace} still terminating after {timeout:.0f} s")


# -- one operator -------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    namespace: str
    kubeconfig: Path
    command: list[str]
    logs: Path
    objects: int
    idle: float
    timeout: float
    notes: list[str] = field(default_factory=list)


def measure(run: Run, transport: Transport, audit_log: Path, server_pids: list[int]) -> Result:
    transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": run.namespace}})
    env = {**os.environ, "KUBECONFIG": str(run.kubeconfig), "PYTHONPATH": str(ROOT)}
    say(f"{run.name}: {run.objects:,} Mirrors waiting, then the operator started ({' '.join(run.command[:4])} ...)")
    create_mirrors(transport, run.namespace, range(run.objects))
    started = time.monotonic()
    operator = Operator(run.name, run.command, env, run.logs / f"{account_of(run.name)}.log")
    try:
        backlog_observer = Observer(transport, run.namespace)
        backlog = backlog_observer.wait(run.objects, run.timeout, operator) - started
        backlog_observer.stop()
        say(f"  the waiting ones converged {backlog:.1f} s after its start; creating {run.objects:,} more")

        window = _audit.now()
        observer = Observer(transport, run.namespace)
        cpu0, server0 = cpu_seconds(operator.pid), sum(map(cpu_seconds, server_pids))
        t0 = time.monotonic()
        create_mirrors(transport, run.namespace, range(run.objects, 2 * run.objects))
        created = time.monotonic() - t0
        t1 = observer.wait(2 * run.objects, run.timeout, operator)
        observer.stop()
        converge = t1 - t0
        say(f"  converged in {converge:.1f} s (created in {created:.1f} s)")
        time.sleep(3.0)  # echoes and late reconciles
        cpu1, server1 = cpu_seconds(operator.pid), sum(map(cpu_seconds, server_pids))
        quiet = _audit.now()
        time.sleep(run.idle)
        cpu2 = cpu_seconds(operator.pid)
        end = _audit.now()
        rss = peak_rss_mib(operator.pid)
        check_children(transport, run.namespace, 2 * run.objects)
    finally:
        counts = operator.stop()
    time.sleep(1.0)  # the audit log's last lines
    user = f"system:serviceaccount:{ACCOUNTS}:{account_of(run.name)}"
    busy, idle = _audit.count(audit_log, user, window, quiet), _audit.count(audit_log, user, quiet, end)
    per_key = [counts.get(f"{run.namespace}/{mirror_body(i, run.namespace)['metadata']['name']}", 0)
               for i in range(run.objects, 2 * run.objects)]
    result = Result(
        name=run.name, objects=run.objects, backlog_s=backlog, create_s=created, converge_s=converge,
        cpu_s=cpu1 - cpu0, server_cpu_s=server1 - server0, idle_cpu=(cpu2 - cpu1) / run.idle, peak_rss_mib=rss,
        requests=busy.total, requests_by_verb=busy.describe(), idle_requests=idle.total,
        reconciles_mean=statistics.fmean(per_key), reconciles_max=max(per_key),
    )
    say(f"  {result.requests} requests ({busy.describe()}), {idle.total} while idle; CPU {result.cpu_s:.1f} s "
        f"(server {result.server_cpu_s:.1f} s), idle {100 * result.idle_cpu:.2f} %, peak RSS {rss:.0f} MiB; "
        f"reconciles mean {result.reconciles_mean:.2f}, max {result.reconciles_max}")
    delete_namespace(transport, run.namespace)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="pykorm-bench-operators-"))
    crgo = go_build("operator", "crgo-operator", workdir / "go-build.log") if any(base_of(n) == "controller-runtime" for n in args.only) else None
    say("starting a local control plane (audit log on)")
    plane = LocalControlPlane(extra_args={"kube-apiserver": _audit.apiserver_flags(workdir, ACCOUNTS)}).start()
    try:
        cluster = Cluster.local(plane)
        transport = cluster.transport()
        install_crds(cluster, pykorm.crd(Mirror))
        transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": ACCOUNTS}})
        version = transport.request("GET", "/version").get("gitVersion", "?")
        server_pids = [pid for name, pid in plane.pids.items() if name in ("kube-apiserver", "etcd")]
        kubeconfigs = {name: kubeconfig_for(cluster, transport, account_of(name), workdir) for name in args.only}
        rounds: dict[str, list[Result]] = {name: [] for name in args.only}
        floors: list[Floors] = []
        for r in range(args.rounds):
            if not args.no_floors:
                say(f"round {r + 1} of {args.rounds}: the floors")
                floors.append(measure_floors(transport, args.objects, r))
            for name in args.only[r % len(args.only):] + args.only[:r % len(args.only)]:
                namespace = f"pykorm-bench-operators-{account_of(name)}-{r}"
                run = Run(name, namespace, kubeconfigs[name],
                          command_of(base_of(name), namespace, workers_of(name, args.workers), crgo, kubeconfigs[name]),
                          workdir, args.objects, args.idle, args.timeout)
                say(f"round {r + 1} of {args.rounds}")
                rounds[name].append(measure(run, transport, workdir / "audit.log", server_pids))
        results = [median(rounds[name]) for name in args.only]
        text = report(results, version=version, workers=args.workers, idle=args.idle, rounds=args.rounds,
                      floors=Floors.median(floors) if floors else None)
        print(text)
        if not args.no_write:
            write_section(args.out, text, results, ROOT / "benchmarks" / "charts")
            say(f"wrote {args.out}")
    finally:
        plane.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
