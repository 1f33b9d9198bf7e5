"""What every benchmark shares: the Widget model and its objects, the server, the clients, the clocks.

Every library does the same work on the same server in the same run: the same request, the
same field read (``spec.placement.rack``), the same merge patch. The peers (lightkube, kr8s)
come from the ``bench`` extra; a missing one is skipped with a note.
"""

from __future__ import annotations

import concurrent.futures
import gc
import importlib.metadata
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import kubernetes

import pykorm
from pykorm import AlreadyExists, NotFound, ServerUnavailable
from pykorm._http.transport import MERGE_PATCH, Transport  # thread-safe, light: used to fill namespaces
from pykorm.fields import DataField, DictNestedField, ListField, Spec, Status
from pykorm.testing import Cluster, LocalControlPlane, install_crds

GROUP, VERSION, KIND, PLURAL = "bench.pykorm.io", "v1", "Widget", "widgets"


class Placement(pykorm.Nested):
    region: str = DataField("region")
    zone: str = DataField("zone")
    rack: int = DataField("rack", default=0)


class Port(pykorm.Nested):
    name: str = DataField("name")
    port: int = DataField("port")
    protocol: str = DataField("protocol", default="TCP")


@pykorm.k8s_custom_object(GROUP, VERSION, PLURAL)
class Widget(pykorm.NamespacedModel):
    owner: str = Spec("owner", required=True)
    replicas: int = Spec("replicas", default=1, minimum=0)
    weight: float = Spec("weight", default=1.0)
    enabled: bool = Spec("enabled", default=True)
    description: str = Spec("description", default="")
    tags: list[str] = Spec("tags", default_factory=list)
    placement: Optional[Placement] = DictNestedField(Placement, path=["spec", "placement"], default=None)
    ports: list[Port] = ListField(Port, path=["spec", "ports"])
    phase: Optional[str] = Status("phase", default=None)


_REGIONS = ("eu-west", "eu-central", "us-east", "ap-south")
_TEAMS = ("storage", "network", "compute", "billing", "identity", "search")


def widget_body(i: int, namespace: str, prefix: str = "widget") -> dict[str, Any]:
    """Widget number ``i``: about 1.4 KB of JSON once the server adds its metadata."""
    team, region = _TEAMS[i % len(_TEAMS)], _REGIONS[i % len(_REGIONS)]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "metadata": {
            "name": f"{prefix}-{i:06d}",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": "widget", "team": team, "tier": ("gold", "silver", "bronze")[i % 3]},
            "annotations": {"bench.pykorm.io/batch": str(i // 1000), "bench.pykorm.io/round": "00"},
        },
        "spec": {
            "owner": f"{team}-owner-{i % 97}@example.com",
            "replicas": i % 7,
            "weight": round(0.5 + (i % 1000) / 1000, 3),
            "enabled": i % 5 != 0,
            "description": f"Widget {i} of team {team}, placed in {region}; "
            "kept here so that objects weigh what real ones do in a cluster's lists.",
            "tags": [team, region, f"batch-{i // 1000}", f"shard-{i % 16}", "benchmark"],
            "placement": {"region": region, "zone": f"{region}-{'abc'[i % 3]}", "rack": i % 40},
            "ports": [
                {"name": "http", "port": 8080, "protocol": "TCP"},
                {"name": "metrics", "port": 9090 + i % 10, "protocol": "TCP"},
                {"name": "dns", "port": 53, "protocol": "UDP"},
            ],
        },
    }


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the server ----------------------------------------------------------------------------------


class Server:
    """The cluster under test (a local control plane unless a kubeconfig is given) and its namespaces."""

    def __init__(self, kubeconfig: Path | None = None, context: str | None = None) -> None:
        self.control_plane: LocalControlPlane | None = None
        if kubeconfig is None:
            say("starting a local control plane")
            self.control_plane = LocalControlPlane().start()
            self.cluster = Cluster.local(self.control_plane)
        else:
            self.cluster = Cluster(kubeconfig=kubeconfig, context=context)
        self.transport: Transport = self.cluster.transport()
        self.version = self.transport.request("GET", "/version").get("gitVersion", "?")
        install_crds(self.cluster, pykorm.crd(Widget))
        self.namespaces: list[str] = []
        self.run = uuid.uuid4().hex[:6]

    def namespace(self, purpose: str) -> str:
        name = f"pykorm-bench-{self.run}-{purpose}"
        self.transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": name}})
        self.namespaces.append(name)
        return name

    def path(self, namespace: str, name: str | None = None) -> str:
        base = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"
        return f"{base}/{name}" if name else base

    def fill(
        self, namespace: str, start: int, stop: int, threads: int = 12,
        make_body: Callable[[int, str], dict[str, Any]] = widget_body,
    ) -> None:
        """POST widgets ``start``..``stop - 1`` from a thread pool; existing ones are kept."""

        def post(i: int) -> None:
            for attempt in range(6):
                try:
                    self.transport.request("POST", self.path(namespace), body=make_body(i, namespace))
                    return
                except AlreadyExists:
                    return
                except ServerUnavailable:  # 429/5xx under load: back off
                    if attempt == 5:
                        raise
                    time.sleep(0.2 * 2**attempt)

        say(f"  creating widgets {start:,}..{stop - 1:,} in {namespace}")
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(post, range(start, stop)))

    def touch(self, namespace: str, r: int) -> None:
        """Rewrite one widget's annotation (same size): keeps paged lists on the watch-cache fast path.

        Kubernetes >= 1.34 serves continue pages from watch-cache snapshots, which expire some
        ten minutes after the last write to the resource; a write brings them back.
        """
        patch = {"metadata": {"annotations": {"bench.pykorm.io/round": f"{r % 100:02d}"}}}
        self.transport.request("PATCH", self.path(namespace, "widget-000000"), body=patch, content_type=MERGE_PATCH)

    def close(self) -> None:
        for namespace in self.namespaces:
            try:  # not waited for: the namespace controller deletes the objects
                self.transport.request("DELETE", f"/api/v1/namespaces/{namespace}")
            except (NotFound, ServerUnavailable):
                pass
        self.cluster.close()
        if self.control_plane is not None:
            self.control_plane.stop()


# -- the clients ---------------------------------------------------------------------------------


@dataclass
class Clients:
    """One client of each library, built once (connections and discovery warm after first use)."""

    server: Server
    tmp: Path
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        cluster = self.server.cluster
        kubeconfig = str(cluster.kubeconfig) if cluster.kubeconfig else None
        # The official client configured as its users do (pykorm's loader tunes the configuration it makes).
        official = kubernetes.client.Configuration()
        if kubeconfig:
            kubernetes.config.load_kube_config(config_file=kubeconfig, context=cluster.context, client_configuration=official)  # type: ignore[no-untyped-call]
        else:
            official = cluster.configuration()
        self.api_client = kubernetes.client.ApiClient(official)
        self.custom = kubernetes.client.CustomObjectsApi(self.api_client)
        from kubernetes.dynamic import DynamicClient

        dynamic = DynamicClient(self.api_client, cache_file=str(self.tmp / "discovery.json"))  # type: ignore[no-untyped-call]
        self.dynamic = dynamic.resources.get(api_version=f"{GROUP}/{VERSION}", kind=KIND)
        self.pykorm = pykorm.Pykorm(kubeconfig=kubeconfig, context=cluster.context, make_default=True)
        self.lightkube: Any = None
        self.kr8s: Any = None
        try:
            import httpx2  # lightkube >= 1.0 uses this fork of httpx
            from lightkube import Client
            from lightkube.config.kubeconfig import KubeConfig
            from lightkube.generic_resource import create_namespaced_resource

            config = KubeConfig.from_file(kubeconfig) if kubeconfig else KubeConfig.from_env()
            self.lightkube = Client(config.get(context_name=cluster.context), timeout=httpx2.Timeout(300.0))
            self.lk_widget = create_namespaced_resource(GROUP, VERSION, KIND, PLURAL)
        except ImportError as error:
            self.notes.append(f"lightkube skipped: {error} (pip install -e '.[bench]')")
        try:
            import kr8s
            from kr8s.objects import new_class

            self.kr8s = kr8s.api(kubeconfig=kubeconfig, context=cluster.context)
            self.kr8s_widget = new_class(KIND, f"{GROUP}/{VERSION}", namespaced=True, plural=PLURAL)
        except ImportError as error:
            self.notes.append(f"kr8s skipped: {error} (pip install -e '.[bench]')")

    def has(self, library: str) -> bool:
        return {"lightkube": self.lightkube, "kr8s": self.kr8s}.get(library, True) is not None


# -- clocks and results --------------------------------------------------------------------------


class GcClock:
    """A ``gc.callbacks`` hook: time spent in the cyclic garbage collector, and how many full collections."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += info["generation"] == 2


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float  # seconds of this process's CPU, every thread


_SETTLE = 1000  # containers: more than the youngest generation's threshold (700), so that a collection runs


def settle() -> None:
    """Let the collector run what the last call left due: allocating a young generation's worth of
    containers makes the next automatic collection happen now, and a full collection a call deferred
    (pykorm holds them off while it decodes a list: :mod:`pykorm._base.gc`) is due at that one."""
    kept = [[] for _ in range(_SETTLE)]
    del kept


def clocked(run: Callable[[], Any], settled: bool = False) -> tuple[Sample, Any]:
    """Run once, the collector on (as in real programs) after a full collection; returns what it returned.

    With ``settled``, the clock also runs over :func:`settle`: a collection the call made due, or held
    off until it returned, is charged to the call (the same few µs for every library otherwise).
    """
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = run()
    if settled:
        settle()
    return Sample(time.perf_counter() - wall0, time.process_time() - cpu0), result


@dataclass
class Row:
    """One measured library in one operation: medians over the rounds, per ``unit`` (object, event...)."""

    op: str
    size: int
    library: str
    wall_us: float
    cpu_us: float
    rounds: int
    extra: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, op: str, size: int, library: str, samples: list[Sample], per: int, **extra: float) -> Row:
        med = statistics.median
        return cls(op, size, library, med(s.wall for s in samples) / per * 1e6, med(s.cpu for s in samples) / per * 1e6, len(samples), extra)


def short(library: str) -> str:
    """A library's name in progress lines."""
    for prefix, key in (
        ("floor", "floor"), ("official dynamic", "dynamic"), ("official", "official"), ("lightkube", "lightkube"),
        ("kr8s", "kr8s"), ("pykorm, one page, GC", "pykorm-nohold"), ("pykorm, one page", "pykorm-1page"),
        ("pykorm, iterating", "pykorm-stream"), ("pykorm .all()", "pykorm-all"), ("pykorm", "pykorm"),
    ):
        if library.startswith(prefix):
            return key
    return library


def shuffled(items: list[Any], r: int) -> list[Any]:
    """The items in an order of their own for round ``r`` (seeded: a rerun repeats it): unlike a rotation,
    no library follows the same one in every round (what one leaves behind — a heap to trim, a
    collection due — would otherwise land on the same neighbour each time)."""
    return random.Random(r).sample(items, len(items))


def rotate(items: list[Any], r: int) -> Iterator[Any]:
    """The items starting at a different one each round, so that no library always goes first."""
    shift = r % len(items) if items else 0
    yield from items[shift:] + items[:shift]


def measure_rounds(
    names: list[str],
    rounds: int,
    measure: Callable[[str, int], Optional[Sample]],
    what: str,
    per: int,
    clock: str = "cpu",
    before_round: Callable[[int], None] | None = None,
) -> dict[str, list[Sample]]:
    """``measure(name, round)`` for every library in every round, in a shuffled order; progress on stderr.

    ``measure`` returns None to sit a round out.
    """
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for r in range(rounds):
        if before_round is not None:
            before_round(r)
        for name in shuffled(names, r):
            sample = measure(name, r)
            if sample is not None:
                samples[name].append(sample)
        say(f"  {what}, round {r + 1}/{rounds}: " + ", ".join(
            f"{short(name)} {getattr(s[-1], clock) / per * 1e6:.0f}" for name, s in samples.items() if s
        ) + f" {clock} µs each")
    return samples


def versions() -> str:
    names = ("kubernetes", "lightkube", "kr8s", "matplotlib")
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return f"python {platform.python_version()}, pykorm {pykorm.__version__}, " + ", ".join(found)


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpus} CPUs{f' ({model})' if model else ''}"


def json_size(server: Server, namespace: str) -> float:
    """Bytes of JSON per object in the namespace, as the server sends them."""
    items = server.transport.request("GET", server.path(namespace), params={"limit": 50})["items"]
    return len(json.dumps(items, separators=(",", ":"))) / max(1, len(items))
