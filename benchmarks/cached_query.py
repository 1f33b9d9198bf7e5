"""An informer's cache against the server: the same query with a nested lookup, from memory or with requests.

One namespace of N widgets (20,000 by default) is synced into a :class:`pykorm.controller.Informer`
(a list, then a watch); then the same query — a nested lookup no selector can express
(``placement__region="eu-west"`` and ``placement__rack__gte=30``), ordered by name — runs
against the cache (``informer.query``) and against the server (``Widget.query``: every object
listed in pages of 500, filtered in Python). Printed: the sync time, the cache's memory (the
growth of the process's resident set), the median time of each, the ratio, and that both
found the same objects.

    python -m benchmarks.cached_query --quick      # 2,000 objects
    python -m benchmarks.cached_query              # 20,000 objects
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pykorm
from pykorm.controller import Informer

from ._common import Server, Widget, say


def rss_mib() -> float:
    """The process's resident set now, in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def median_seconds(run: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kubeconfig", type=Path, help="use this cluster instead of a local control plane")
    parser.add_argument("--context")
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds against the server (the cache gets 5 more)")
    parser.add_argument("--quick", action="store_true", help="2,000 objects")
    args = parser.parse_args()
    if args.quick:
        args.size = 2_000
    server = Server(args.kubeconfig, args.context)
    try:
        namespace = server.namespace("cache")
        server.fill(namespace, 0, args.size)
        cluster = server.cluster
        pk = pykorm.Pykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, make_default=False)

        gc.collect()
        before = rss_mib()
        start = time.perf_counter()
        informer = Informer(Widget, session=pk, namespace=namespace).start().wait_synced(600)
        synced = time.perf_counter() - start
        gc.collect()
        memory = rss_mib() - before
        say(f"  synced {len(informer.store):,} widgets in {synced:.1f} s")

        def query(q: Any) -> Any:
            return q.filter(placement__region="eu-west", placement__rack__gte=30).order_by("name")

        on_server = query(Widget.query.session(pk).namespace(namespace))
        on_cache = query(informer.query)
        server_time, from_server = median_seconds(on_server.all, args.rounds)
        cache_time, from_cache = median_seconds(on_cache.all, args.rounds + 5)
        count_time, counted = median_seconds(on_cache.count, args.rounds + 5)
        informer.stop()
        same = [w.name for w in from_server] == [w.name for w in from_cache] and counted == len(from_cache)

        print(f"\n{args.size:,} widgets in one namespace; query: {on_server.explain().python}, ordered by name")
        print(f"  cache sync (list + watch open): {synced:.1f} s; cache memory (RSS growth): {memory:.0f} MiB")
        print(f"  {'way':32} {'found':>6} {'ms':>9}")
        print(f"  {'server (Widget.query .all())':32} {len(from_server):>6} {server_time * 1000:>9.1f}")
        print(f"  {'cache (informer.query .all())':32} {len(from_cache):>6} {cache_time * 1000:>9.1f}")
        print(f"  {'cache (informer.query .count())':32} {counted:>6} {count_time * 1000:>9.1f}")
        print(f"  the cache is {server_time / cache_time:.0f}x faster (.all()); same objects: {same}")
        return 0 if same else 1
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
