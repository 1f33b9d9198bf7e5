"""Hydration cost: what listing N custom resources costs through pykorm, against the official client's floor.

The floor is one list request through the official client with ``_preload_content=False``
and a bare ``json.loads`` of the body: plain dicts, nothing else. pykorm's models wrap the
decoded dicts without copying them (``Model._from_server``), so ``Widget.query...all()``
should cost within 10% of that floor, in time and in memory. Most of a big list's client
CPU goes to CPython's cyclic garbage collector, which pykorm pauses while it decodes and
wraps a large answer (``pykorm._gc``); the table shows the collector's share, and the
collection a pause defers is measured right after each call (``+after``).

    python benchmarks/hydration.py --quick              # smoke run: 500 and 2,000 objects
    python benchmarks/hydration.py                      # 5,000 and 20,000 objects, 7 rounds
    python benchmarks/hydration.py --kubeconfig ~/.kube/config --sizes 1000

Each library lists the same namespace of the same server in the same run; the libraries
alternate within each round (the order rotates), and the table gives the median over the
rounds. Wall time includes the API server's own work (the same for every library on the
same list); client CPU (``time.process_time`` of this process, every thread) is what the
Python side costs. Peak memory is a separate run of each list under ``tracemalloc``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import gc
import importlib.metadata
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import kubernetes

import pykorm
from pykorm import AlreadyExists, NotFound, ServerUnavailable
from pykorm._transport import MERGE_PATCH, Transport  # thread-safe; used for the bulk creation
from pykorm.fields import DataField, DictNestedField, ListField, Spec, Status
from pykorm.testing import Cluster, LocalControlPlane, install_crds

GROUP, VERSION, KIND, PLURAL = "bench.pykorm.io", "v1", "Widget", "widgets"
FLOOR = "official, preload off + json.loads"


# -- the benchmark model and its CRD ------------------------------------------------------------


class Placement(pykorm.Nested):
    region: str = DataField("region")
    zone: str = DataField("zone")
    rack: int = DataField("rack", 0)


class Port(pykorm.Nested):
    name: str = DataField("name")
    port: int = DataField("port")
    protocol: str = DataField("protocol", "TCP")


@pykorm.k8s_custom_object(GROUP, VERSION, PLURAL)
class Widget(pykorm.NamespacedModel):
    owner: str = Spec("owner")
    replicas: int = Spec("replicas", 1)
    weight: float = Spec("weight", 1.0)
    enabled: bool = Spec("enabled", True)
    description: str = Spec("description", "")
    tags: list[str] = Spec("tags", default_factory=list)
    placement: Placement = DictNestedField(Placement, path=["spec", "placement"])
    ports: list[Port] = ListField(Port, path=["spec", "ports"])
    phase: str | None = Status("phase", default=None)


WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "names": {"kind": KIND, "listKind": f"{KIND}List", "plural": PLURAL, "singular": KIND.lower()},
        "scope": "Namespaced",
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["owner"],
                                "properties": {
                                    "owner": {"type": "string"},
                                    "replicas": {"type": "integer", "minimum": 0},
                                    "weight": {"type": "number"},
                                    "enabled": {"type": "boolean"},
                                    "description": {"type": "string"},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                    "placement": {
                                        "type": "object",
                                        "properties": {
                                            "region": {"type": "string"},
                                            "zone": {"type": "string"},
                                            "rack": {"type": "integer"},
                                        },
                                    },
                                    "ports": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["name", "port"],
                                            "properties": {
                                                "name": {"type": "string"},
                                                "port": {"type": "integer"},
                                                "protocol": {"type": "string"},
                                            },
                                        },
                                    },
                                },
                            },
                            "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
                        },
                    }
                },
            }
        ],
    },
}

_REGIONS = ("eu-west", "eu-central", "us-east", "ap-south")
_TEAMS = ("storage", "network", "compute", "billing", "identity", "search")


def widget_body(i: int, namespace: str) -> dict[str, Any]:
    """Widget number ``i``: about 1 KB of JSON once the server adds its metadata."""
    team = _TEAMS[i % len(_TEAMS)]
    region = _REGIONS[i % len(_REGIONS)]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "metadata": {
            "name": f"widget-{i:06d}",
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


# -- filling the namespace ---------------------------------------------------------------------


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def create_widgets(
    transport: Transport,
    namespace: str,
    start: int,
    stop: int,
    threads: int,
    make_body: Callable[[int, str], dict[str, Any]] = widget_body,
) -> None:
    """POST widgets ``start``..``stop - 1`` from a thread pool, printing progress; existing ones are kept."""
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"

    def post(i: int) -> None:
        body = make_body(i, namespace)
        for attempt in range(5):
            try:
                transport.request("POST", path, body=body)
                return
            except AlreadyExists:
                return
            except ServerUnavailable:  # 429/5xx/timeout under load: back off and try again
                if attempt == 4:
                    raise
                time.sleep(0.2 * 2**attempt)

    total = stop - start
    started = last = time.monotonic()
    say(f"creating {total:,} widgets ({start:,}..{stop - 1:,}) with {threads} threads")
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for done, _ in enumerate(pool.map(post, range(start, stop)), 1):
            now = time.monotonic()
            if now - last >= 5 or done == total:
                last = now
                say(f"  {done:>7,}/{total:,} created, {done / (now - started):,.0f}/s")


# -- the libraries -----------------------------------------------------------------------------


@dataclass
class Library:
    name: str  # as the table shows it
    key: str  # as the progress lines show it
    run: Callable[[int], list[Any]]  # lists the namespace of n objects
    context: bool = False  # a comparison, measured in fewer rounds (--context-rounds)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    gc: list[float] = field(default_factory=list)  # seconds in the cyclic garbage collector
    full_gcs: list[int] = field(default_factory=list)  # of which full (generation 2) collections
    after: list[float] = field(default_factory=list)  # CPU seconds of gc.collect(1) right after the call
    peak: list[int] = field(default_factory=list)

    def reset(self) -> None:
        for samples in (self.wall, self.cpu, self.gc, self.full_gcs, self.after, self.peak):
            samples.clear()


def build_libraries(cluster: Cluster, namespace: str, wanted: set[str], tmp: Path) -> tuple[list[Library], list[str]]:
    """The list functions to compare, the floor first, each set up (clients built, discovery done)."""
    libraries: list[Library] = []
    notes: list[str] = []
    kubeconfig = str(cluster.kubeconfig) if cluster.kubeconfig else None

    api_client = kubernetes.client.ApiClient(cluster.configuration())
    custom = kubernetes.client.CustomObjectsApi(api_client)

    def floor(n: int) -> list[Any]:
        # kubernetes >= 35: _preload_content=False returns the urllib3 response, body unread.
        response: Any = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, _preload_content=False)
        try:
            items: list[Any] = json.loads(response.data)["items"]
            return items
        finally:
            response.release_conn()

    libraries.append(Library(FLOOR, "floor", floor))

    pykorm.Pykorm(kubeconfig=kubeconfig, context=cluster.context, make_default=True)

    def pykorm_one_page(n: int) -> list[Any]:
        return Widget.query.namespace(namespace).page_size(n).all()  # one request, as the floor

    def pykorm_default_pages(n: int) -> list[Any]:
        return Widget.query.namespace(namespace).all()

    libraries.append(Library("pykorm, one page", "pykorm", pykorm_one_page))
    libraries.append(Library("pykorm, default pages (500)", "pykorm-paged", pykorm_default_pages))

    if "official-default" in wanted:

        def official_default(n: int) -> list[Any]:
            listing: Any = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)
            items: list[Any] = listing["items"]
            return items

        libraries.append(Library("official, preload on", "official", official_default, context=True))

    if "dynamic" in wanted:
        from kubernetes.dynamic import DynamicClient

        dynamic = DynamicClient(api_client, cache_file=str(tmp / "discovery.json"))  # type: ignore[no-untyped-call]
        dynamic_widgets = dynamic.resources.get(api_version=f"{GROUP}/{VERSION}", kind=KIND)

        def dynamic_list(n: int) -> list[Any]:
            return dynamic_widgets.get(namespace=namespace).items  # type: ignore[no-any-return]

        libraries.append(Library("official dynamic client", "dynamic", dynamic_list, context=True))

    if "lightkube" in wanted:
        try:
            import httpx2  # lightkube >= 1.0 uses this fork of httpx
            from lightkube import Client as LightkubeClient
            from lightkube.config.kubeconfig import KubeConfig
            from lightkube.generic_resource import create_namespaced_resource
        except ImportError as error:
            notes.append(f"lightkube skipped: {error}")
        else:
            config = KubeConfig.from_file(kubeconfig) if kubeconfig else KubeConfig.from_env()
            lk_client = LightkubeClient(config.get(context_name=cluster.context), timeout=httpx2.Timeout(300.0))
            lk_widget = create_namespaced_resource(GROUP, VERSION, KIND, PLURAL)

            def lightkube_list(n: int) -> list[Any]:
                return list(lk_client.list(lk_widget, namespace=namespace))

            libraries.append(Library("lightkube generic resource", "lightkube", lightkube_list, context=True))

    if "kr8s" in wanted:
        try:
            import kr8s
        except ImportError as error:
            notes.append(f"kr8s skipped: {error}")
        else:
            kr8s_api = kr8s.api(kubeconfig=kubeconfig, context=cluster.context)

            def kr8s_list(n: int) -> list[Any]:
                return list(kr8s_api.get(f"{PLURAL}.{GROUP}", namespace=namespace))

            libraries.append(Library("kr8s (pages of 100, fixed)", "kr8s", kr8s_list, context=True))

    return libraries, notes


# -- measuring ---------------------------------------------------------------------------------


class GcClock:
    """Time spent in the cyclic garbage collector (``gc.callbacks``), and how many full collections."""

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

    def reset(self) -> None:
        self.seconds, self.full = 0.0, 0


GC_CLOCK = GcClock()


def timed(lib: Library, n: int) -> None:
    gc.collect()
    GC_CLOCK.reset()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    items = lib.run(n)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    gc_seconds, full_gcs = GC_CLOCK.seconds, GC_CLOCK.full
    # The young-generation collection a paused collector left for later (pykorm pauses it while
    # decoding and wrapping a large list): paid here, with the objects alive, for every library.
    gc.collect(1)
    after = time.process_time() - cpu1
    check(lib, items, n)
    del items
    lib.wall.append(wall1 - wall0)
    lib.cpu.append(cpu1 - cpu0)
    lib.gc.append(gc_seconds)
    lib.full_gcs.append(full_gcs)
    lib.after.append(after)


def traced(lib: Library, n: int) -> None:
    gc.collect()
    tracemalloc.start()
    try:
        items = lib.run(n)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    check(lib, items, n)
    del items
    lib.peak.append(peak)


def check(lib: Library, items: list[Any], n: int) -> None:
    if len(items) != n:
        raise RuntimeError(f"{lib.name} listed {len(items)} objects, expected {n}")


def touch(transport: Transport, namespace: str, r: int) -> None:
    """Change one widget, keeping its size: a quiet resource's continue pages are served from etcd.

    With ``ListFromCacheSnapshot`` (Kubernetes >= 1.34) the API server serves the pages after the
    first from watch-cache snapshots; some ten minutes after the last write to the resource it no
    longer has one and goes to etcd, making every paged list about three times slower. A write to
    the resource itself (not to another one) brings the fast path back.
    """
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}/{widget_body(0, namespace)['metadata']['name']}"
    patch = {"metadata": {"annotations": {"bench.pykorm.io/round": f"{r % 100:02d}"}}}
    transport.request("PATCH", path, body=patch, content_type=MERGE_PATCH)


def measure(libraries: list[Library], n: int, rounds: int, context_rounds: int, before_round: Callable[[int], None]) -> None:
    """``rounds`` rounds; in each, every library lists once timed, then once under tracemalloc."""
    for lib in libraries:
        lib.reset()
    for r in range(rounds):
        before_round(r)
        present = [lib for lib in libraries if not lib.context or r < context_rounds]
        shift = r % len(present)
        order = present[shift:] + present[:shift]  # rotate, so that no library always runs first
        for lib in order:
            timed(lib, n)
        for lib in order:
            traced(lib, n)
        say(f"  round {r + 1}/{rounds}, µs/object wall/cpu: " + ", ".join(
            f"{lib.key} {lib.wall[-1] / n * 1e6:.0f}/{lib.cpu[-1] / n * 1e6:.0f}" for lib in present
        ))


@dataclass
class Row:
    size: int
    library: str
    rounds: int
    wall_us: float
    wall_ratio: float
    cpu_us: float
    cpu_ratio: float
    gc_us: float
    full_gcs: float
    after_us: float
    total_ratio: float  # (cpu + after) against the floor's
    peak_mib: float
    peak_ratio: float
    spread: float  # (max - min) / median of the wall times, over the rounds


def rows_for(libraries: list[Library], n: int) -> list[Row]:
    med = statistics.median
    floor = libraries[0]
    f_wall, f_cpu, f_peak = med(floor.wall), med(floor.cpu), med(floor.peak)
    f_total = med([c + a for c, a in zip(floor.cpu, floor.after)])
    return [
        Row(
            n,
            lib.name,
            len(lib.wall),
            med(lib.wall) / n * 1e6,
            med(lib.wall) / f_wall,
            med(lib.cpu) / n * 1e6,
            med(lib.cpu) / f_cpu,
            med(lib.gc) / n * 1e6,
            med(lib.full_gcs),
            med(lib.after) / n * 1e6,
            med([c + a for c, a in zip(lib.cpu, lib.after)]) / f_total,
            med(lib.peak) / 2**20,
            med(lib.peak) / f_peak,
            (max(lib.wall) - min(lib.wall)) / med(lib.wall),
        )
        for lib in libraries
    ]


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'size':>7}  {'library':<38}{'runs':>5} {'µs/obj':>7} {'×floor':>7} {'cpu µs':>7} {'×floor':>7}"
        f" {'gc µs':>6} {'full gc':>7} {'+after':>7} {'×floor':>7} {'peak MiB':>9} {'×floor':>7} {'spread':>7}"
    )
    print(header)
    print("-" * len(header))
    previous = None
    for row in rows:
        if previous is not None and row.size != previous:
            print()
        previous = row.size
        print(
            f"{row.size:>7,}  {row.library:<38}{row.rounds:>5} {row.wall_us:>7.1f} {row.wall_ratio:>7.2f}"
            f" {row.cpu_us:>7.1f} {row.cpu_ratio:>7.2f} {row.gc_us:>6.1f} {row.full_gcs:>7g}"
            f" {row.after_us:>7.1f} {row.total_ratio:>7.2f}"
            f" {row.peak_mib:>9.1f} {row.peak_ratio:>7.2f} {row.spread:>6.0%}"
        )


def profile(lib: Library, n: int) -> str:
    """cProfile of one list: the 20 functions with the most time of their own (GC time lands in whichever ran)."""
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    items = lib.run(n)
    profiler.disable()
    check(lib, items, n)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    return out.getvalue()


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubeconfig", type=Path, help="use this cluster instead of starting a local control plane")
    parser.add_argument("--context", help="the kubeconfig context (with --kubeconfig)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="comma-separated (default 5000,20000)")
    parser.add_argument("--rounds", type=int, help="rounds per size for the floor and pykorm; the median is reported (default 7)")
    parser.add_argument("--context-rounds", type=int, help="of which the other libraries join the first ones (default 3)")
    parser.add_argument("--threads", type=int, default=12, help="threads creating objects (default 12)")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 500,2000, 2 rounds")
    parser.add_argument(
        "--context-libraries",
        default="official-default,dynamic,lightkube,kr8s",
        help="rows besides the floor and pykorm, comma-separated, or 'none' (default "
        "official-default,dynamic,lightkube,kr8s; lightkube and kr8s are skipped when not installed)",
    )
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the floor and of pykorm at the largest size")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or [500, 2000]
        args.rounds = args.rounds or 2
    args.sizes = sorted(set(args.sizes or [5000, 20000]))
    args.rounds = args.rounds or 7
    args.context_rounds = min(args.rounds, args.context_rounds or 3)
    args.context_libraries = set() if args.context_libraries == "none" else set(args.context_libraries.split(","))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    control_plane: LocalControlPlane | None = None
    cluster: Cluster | None = None
    namespace = f"pykorm-bench-{uuid.uuid4().hex[:8]}"
    namespace_created = False
    tmp = Path(tempfile.mkdtemp(prefix="pykorm-bench-"))
    rows: list[Row] = []
    gc.callbacks.append(GC_CLOCK)
    try:
        if args.kubeconfig:
            cluster = Cluster(kubeconfig=args.kubeconfig, context=args.context)
        else:
            say("starting a local control plane")
            control_plane = LocalControlPlane().start()
            cluster = Cluster.local(control_plane)
            say(f"control plane ready in {control_plane.startup_seconds:.1f} s")
        transport = cluster.transport()
        server = transport.request("GET", "/version")
        install_crds(cluster, WIDGET_CRD)
        transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
        namespace_created = True

        libraries, notes = build_libraries(cluster, namespace, args.context_libraries, tmp)
        present = 0
        warmed = False
        sizes_bytes: dict[int, float] = {}
        for n in args.sizes:
            create_widgets(transport, namespace, present, n, args.threads)
            present = n
            # Untimed: the first call of each library (connections, discovery), then two floor lists
            # per size, which also let the server settle after the writes.
            for lib in (libraries if not warmed else []) + libraries[:1] * 2:
                check(lib, lib.run(n), n)
            warmed = True
            raw = transport.request("GET", f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}")
            sizes_bytes[n] = len(json.dumps(raw["items"], separators=(",", ":"))) / n
            del raw
            say(f"measuring {n:,} objects ({sizes_bytes[n]:,.0f} bytes of JSON each), {args.rounds} rounds")
            measure(libraries, n, args.rounds, args.context_rounds, lambda r: touch(transport, namespace, r))
            rows += rows_for(libraries, n)
            if args.profile and n == args.sizes[-1]:
                for lib in libraries[:2]:
                    print(f"\ncProfile of {lib.name}, {n:,} objects:\n{profile(lib, n)}")

        elapsed = time.monotonic() - started
        print()
        print(
            f"python {platform.python_version()} ({platform.python_implementation()}), "
            f"kubernetes {version_of('kubernetes')}, pykorm {pykorm.__version__}, "
            f"lightkube {version_of('lightkube')}, kr8s {version_of('kr8s')}"
        )
        where = "local control plane" if control_plane else f"{args.kubeconfig}"
        print(f"server: Kubernetes {server.get('gitVersion', '?')} ({where}); {sys.platform}, {_cpus()} CPUs")
        print(
            f"objects: {', '.join(f'{n:,} of {b:,.0f} B' for n, b in sizes_bytes.items())}; "
            f"median of {args.rounds} rounds ({args.context_rounds} for the context rows)"
        )
        print("µs/obj: wall time, the server's work included; cpu µs: this process (all threads); gc µs: in the")
        print("cyclic garbage collector (part of cpu); full gc: generation-2 collections per list; +after: cpu µs of")
        print("gc.collect(1) right after the list (work a paused collector deferred), ×floor: of cpu + after;")
        print("peak: tracemalloc")
        for note in notes:
            print(note)
        print()
        print_table(rows)
        target = [r for r in rows if r.library == "pykorm, one page"]
        print()
        for r in target:
            verdicts = [
                f"{what} {ratio:.2f}x ({'ok' if ratio <= 1.1 else 'ABOVE'})"
                for what, ratio in (
                    ("wall", r.wall_ratio),
                    ("cpu", r.cpu_ratio),
                    ("cpu + deferred gc", r.total_ratio),
                    ("memory", r.peak_ratio),
                )
            ]
            print(f"pykorm, one page, at {r.size:,} objects, against the 1.1x target: " + ", ".join(verdicts))
        print(f"total run time: {elapsed:.0f} s")
        return 0
    finally:
        if cluster is not None:
            if namespace_created:
                try:  # do not wait: the namespace controller deletes the objects
                    cluster.transport().request("DELETE", f"/api/v1/namespaces/{namespace}")
                except (NotFound, ServerUnavailable):
                    pass
            cluster.close()
        if control_plane is not None:
            control_plane.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        gc.callbacks.remove(GC_CLOCK)


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)


if __name__ == "__main__":
    sys.exit(main())
