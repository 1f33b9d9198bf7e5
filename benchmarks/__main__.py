"""python -m benchmarks: every operation against every library, into BENCHMARKS.md and charts.

    python -m benchmarks --quick                     # smoke run, a few minutes
    python -m benchmarks                             # 500/1k/2k/10k: 5, 5, 5 and 3 rounds
    python -m benchmarks --sizes 1000,5000 --only list,save
    python -m benchmarks --kubeconfig ~/.kube/config --context kind-kind

Without ``--kubeconfig`` it starts a local control plane (pykorm.testing.LocalControlPlane).
It makes namespaces ``pykorm-bench-<run>-<purpose>`` and deletes them at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import aio, cache, crud, list_read, memory, modify_save, watch
from ._common import Clients, Row, Server, machine, say, versions
from .report import Section, chart, markdown, ratio, standalone_sections

ROOT = Path(__file__).resolve().parent.parent
OPS = ("list", "save", "crud", "watch", "memory", "aio", "cache")

SECTIONS = (
    Section("List, then read one nested field of every object", (list_read.OP,), list_read.FLOOR, "object", "cpu", "list_read.png"),
    Section(modify_save.OP.capitalize(), (modify_save.OP,), modify_save.REFERENCE, "object", "cpu", "modify_save.png"),
    Section(
        "Create, get, merge-patch: one request per object",
        tuple(f"{verb}, {t}" for t in ("1 thread", "8 threads") for verb in ("create", "get", "merge-patch")),
        crud.REFERENCE, "object", "wall", "crud.png",
    ),
    Section("Watch: client CPU per event (object hydrated, one field read)", (watch.OP,), watch.REFERENCE, "event", "cpu", "watch.png"),
    Section("Peak memory while iterating over every object", (memory.OP,), memory.FLOOR, "object", "peak", "memory.png"),
    Section("Informer cache: a query with a nested lookup, ordered, against a filter over held dicts", (cache.QUERY,),
            cache.REFERENCE, "query", "cpu", "cache_query.png"),
    Section("Informer cache: memory per object", (cache.MEMORY,), cache.REFERENCE, "object", "kib", "cache_memory.png"),
    Section(
        "Async: 1,000 creates and 1,000 gets, 50 tasks on one event loop (8 threads for the blocking session)",
        tuple(f"{verb}, {aio.TASKS} tasks or {aio.THREADS} threads" for verb in ("create", "get")),
        aio.REFERENCE, "object", "wall", "aio.png",
    ),
)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", type=Path, help="use this cluster instead of starting a local control plane")
    parser.add_argument("--context", help="the kubeconfig context (with --kubeconfig)")
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, 2 rounds")
    parser.add_argument("--sizes", type=lambda s: sorted({int(x) for x in s.split(",")}), help="list sizes (default 500,1000,2000,10000)")
    parser.add_argument("--rounds", type=int, help="rounds per measurement (default 5; 3 above 5,000 objects)")
    parser.add_argument("--only", type=lambda s: s.split(","), default=list(OPS), help=f"comma-separated among {','.join(OPS)}")
    parser.add_argument("--save-objects", type=int, help="objects listed, changed and saved (default 1000)")
    parser.add_argument("--crud-objects", type=int, help="objects created, got and patched per library (default 200)")
    parser.add_argument("--events", type=int, help="watch events per library (default 1000)")
    parser.add_argument("--aio-objects", type=int, help="objects created and got per library, async (default 1000)")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md", help="the Markdown report (default BENCHMARKS.md)")
    parser.add_argument("--charts", type=Path, default=ROOT / "benchmarks" / "charts", help="where the PNG charts go")
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = args.sizes or ([300, 1000] if quick else [500, 1000, 2000, 10000])
    args.save_objects = args.save_objects or (100 if quick else 1000)
    args.crud_objects = args.crud_objects or (30 if quick else 200)
    args.events = args.events or (100 if quick else 1000)
    args.aio_objects = args.aio_objects or (200 if quick else 1000)
    unknown = set(args.only) - set(OPS)
    if unknown:
        parser.error(f"unknown operations {sorted(unknown)}; choose among {', '.join(OPS)}")
    return args


def rounds_for(args: argparse.Namespace) -> tuple[int, int]:
    """(rounds up to 5,000 objects, rounds above)."""
    if args.rounds:
        return args.rounds, args.rounds
    return (2, 2) if args.quick else (5, 3)


def verdicts(rows: list[Row]) -> list[str]:
    """The issue's targets, each said met or not, with the figure."""
    out: list[str] = []

    def find(op: str, size: int, library: str) -> Row | None:
        return next((r for r in rows if r.op == op and r.size == size and r.library == library), None)

    def say_target(text: str, value: float, limit: float) -> None:
        if value == value:
            out.append(f"- {text}: **{value:.2f}** (target ≤ {limit:g}) — {'met' if value <= limit else 'NOT met'}")

    for r in rows:
        if r.op == list_read.OP and r.library == list_read.ALL:
            say_target(f"list + read, {r.size:,} objects, pykorm .all(), CPU × floor", ratio(rows, r, list_read.FLOOR, "cpu"), 1.0)
            one = find(r.op, r.size, "pykorm, one page")
            if one is not None:
                say_target(f"list + read, {r.size:,} objects, pykorm one page, CPU × floor", ratio(rows, one, list_read.FLOOR, "cpu"), 1.0)
                say_target(f"list + read, {r.size:,} objects, pykorm .all() wall × pykorm one page wall", r.wall_us / one.wall_us, 1.2)
            say_target(f"list + read, {r.size:,} objects, pykorm .all() wall × the floor's one request", ratio(rows, r, list_read.FLOOR, "wall"), 1.2)
            lk = find(r.op, r.size, "lightkube generic resource")
            if lk is not None:
                say_target(f"list + read, {r.size:,} objects, pykorm .all() CPU × lightkube CPU", r.cpu_us / lk.cpu_us, 1.0)
        if r.op == modify_save.OP and r.library == "pykorm":
            say_target(f"list, change, save {r.size:,} objects, wall × official client", ratio(rows, r, modify_save.REFERENCE, "wall"), 1.1)
        if r.op.endswith(f"{aio.TASKS} tasks or {aio.THREADS} threads") and r.library.startswith("pykorm async"):
            peers = [p.wall_us for p in rows if p.op == r.op and p.size == r.size and p.library.startswith(("lightkube", "kr8s"))]
            if peers:
                say_target(f"{r.op.split(',')[0]} × {r.size:,} from {aio.TASKS} tasks, pykorm async wall × the faster of "
                           "lightkube and kr8s async (issue 15)", r.wall_us / min(peers), 1.0)
        if r.op == watch.OP and r.library == "pykorm":
            say_target("watch, client CPU per event × official Watch().stream", ratio(rows, r, watch.REFERENCE, "cpu"), 1.0)
    return out


def targets_27(rows: list[Row]) -> list[str]:
    """Issue 27's targets (client CPU, same run, same server), each said met or NOT met, with the figure."""
    out: list[str] = []

    def find(op: str, library: str, size: int | None = None) -> Row | None:
        return next((r for r in rows if r.op == op and r.library == library and (size is None or r.size == size)), None)

    def target(text: str, mine: Row | None, ref: Row | None, metric: str, limit: float) -> None:
        if mine is None or ref is None:
            return
        value = ratio([mine, ref], mine, ref.library, metric)
        if value == value:
            out.append(f"- {text}: **{value:.2f}** (target ≤ {limit:g}) — {'met' if value <= limit else 'NOT met'}")

    for size in sorted({r.size for r in rows if r.op == list_read.OP}):
        mine = find(list_read.OP, list_read.ALL, size)
        if size < 10_000:
            target(f"list + read {size:,}, CPU/object, pykorm × lightkube", mine, find(list_read.OP, "lightkube generic resource", size), "cpu", 1.0)
        else:
            target(f"list + read {size:,}, CPU/object, pykorm × the floor", mine, find(list_read.OP, list_read.FLOOR, size), "cpu", 0.9)
    for peer in (watch.REFERENCE, "lightkube generic resource"):
        target(f"watch, CPU/event, pykorm × {peer}", find(watch.OP, "pykorm"), find(watch.OP, peer), "cpu", 1.0)
    for verb in ("create", "get", "merge-patch"):
        op = f"{verb}, 1 thread"
        target(f"{verb}, 1 thread, CPU/op, pykorm × official client", find(op, "pykorm"), find(op, crud.REFERENCE), "cpu", 1.0)
    target("list, change one field, save each: CPU/object, pykorm × official client", find(modify_save.OP, "pykorm"),
           find(modify_save.OP, modify_save.REFERENCE), "cpu", 1.0)
    op = f"create, {aio.TASKS} tasks or {aio.THREADS} threads"
    target(f"async creates from {aio.TASKS} tasks, wall/op, pykorm AsyncPykorm × lightkube AsyncClient",
           find(op, f"pykorm async, {aio.TASKS} tasks"), find(op, f"lightkube AsyncClient, {aio.TASKS} tasks"), "wall", 1.0)
    target("informer cache query (ordered), CPU, pykorm .all() × a filter over held dicts",
           find(cache.QUERY, f"{cache.INFORMER}: .query...all() (copies)"), find(cache.QUERY, cache.REFERENCE), "cpu", 2.0)
    target("informer cache memory per object, pykorm × the official client's list of dicts",
           find(cache.MEMORY, cache.INFORMER), find(cache.MEMORY, cache.REFERENCE), "kib", 1.0)
    return out


def write_report(args: argparse.Namespace, server: Server, clients: Clients, rows: list[Row], seconds: float) -> None:
    early, late = rounds_for(args)
    command = "python -m benchmarks " + " ".join(sys.argv[1:])
    lines = [
        "# Benchmarks",
        "",
        "pykorm against the official Kubernetes client, its dynamic client, lightkube and kr8s,",
        "each doing the same work on the same API server in the same run. Made by",
        "`benchmarks/` (see [benchmarks/README.md](benchmarks/README.md)); rerun it to check.",
        "",
        f"- command: `{command.strip()}` ({seconds / 60:.0f} min)",
        f"- machine: {machine()}, shared with other jobs",
        f"- server: Kubernetes {server.version} "
        + ("(pykorm's local control plane: etcd, kube-apiserver, kube-controller-manager on loopback)" if server.control_plane else f"({args.kubeconfig})"),
        f"- versions: {versions()}; pykorm at {_commit()}",
        f"- rounds: list + read, median of {early} (up to 5,000 objects) and {late} (above), kr8s and the dynamic"
        f" client in the first 2; save and watch {min(early, 3)}; create/get/patch 2 after a warm-up;"
        " the collector on, a `gc.collect()` before each call (list calls settled: a collection they left due is clocked)",
        "- µs are per object (or per event); wall time includes the API server's work, CPU is this process's",
        *[f"- {note}" for note in clients.notes],
        "",
        "## Targets (issue 27)",
        "",
        *targets_27(rows),
        "",
        "## Targets (issues 9 and 15)",
        "",
        *verdicts(rows),
        "",
        "## Results",
        "",
    ]
    for section in SECTIONS:
        table = markdown(section, rows)
        if not table:
            continue
        path = chart(section, rows, args.charts)
        lines.append(table)
        if path is not None:
            lines += [f"![{section.title}]({Path(os.path.relpath(path, args.out.parent)).as_posix()})", ""]
    earlier = args.out.read_text() if args.out.exists() else ""
    lines += standalone_sections(earlier)  # what benchmarks run on their own wrote stays
    args.out.write_text("\n".join(lines))
    say(f"wrote {args.out} and the charts in {args.charts}")


def _commit() -> str:
    """The checkout measured: its commit, and whether it had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "pykorm"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"commit {head}" + (" with uncommitted changes to pykorm/" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    early, late = rounds_for(args)
    tmp = Path(tempfile.mkdtemp(prefix="pykorm-bench-"))
    server = Server(args.kubeconfig, args.context)
    rows: list[Row] = []
    try:
        clients = Clients(server, tmp)
        namespace = ""
        if "list" in args.only or "memory" in args.only or "cache" in args.only:
            sizes = args.sizes if "list" in args.only else args.sizes[-1:]
            say(f"list + read at {', '.join(f'{n:,}' for n in sizes)} objects")
            found, namespace = list_read.run(server, clients, sizes, lambda n: early if n <= 5000 else late, slow_rounds=2)
            rows += found if "list" in args.only else []
            if "memory" in args.only:
                rows += memory.run(server, clients, namespace, sizes[-1])
        if "cache" in args.only:
            say(f"informer cache of {args.sizes[-1]:,} objects: a query, memory per object")
            rows += cache.run(server, clients, namespace, args.sizes[-1], min(early, 3) + 2)
        if "save" in args.only:
            say(f"list, change and save {args.save_objects:,} objects")
            rows += modify_save.run(server, clients, args.save_objects, min(early, 3))
        if "crud" in args.only:
            say(f"create / get / patch {args.crud_objects:,} objects per library")
            rows += crud.run(server, clients, args.crud_objects, 2)
        if "watch" in args.only:
            say(f"watch {args.events:,} events per library")
            rows += watch.run(server, clients, args.events, min(early, 3))
        if "aio" in args.only:
            say(f"create / get {args.aio_objects:,} objects per library, async")
            rows += aio.run(server, clients, args.aio_objects, min(early, 3))
        write_report(args, server, clients, rows, time.monotonic() - started)
        print(args.out.read_text())
        print("\n".join(["Targets (issue 27):", *targets_27(rows)]), file=sys.stderr)
        return 0
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
