"""Where pykorm's time goes, row by row: ``cProfile`` of the work each benchmark row times.

    python -m benchmarks.profile                     # every row, top 12 functions by own time
    python -m benchmarks.profile --only list,watch --top 20
    python -m benchmarks.profile --kubeconfig /tmp/kubeconfig

Each row runs the same pykorm code as its ``python -m benchmarks`` row (list + read at 2,000
objects, the watch consumer, create/get/patch one at a time, list-modify-save, the informer
cache query) once untimed, then once under the profiler, which counts CPU time (``time.process_time``:
waiting for the server costs nothing). The profiler inflates cheap calls, so
read shares, not absolute times. Printed: the top functions by own time (``tottime``), the
figures that benchmarks/README.md quotes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from pykorm._http.transport import MERGE_PATCH
from pykorm._session import running
from pykorm._session.watch import Watcher

from ._common import Server, Widget, say, widget_body

ROWS = ("list", "watch", "crud", "save", "cache")


def _profile(title: str, run: Callable[[], Any], top: int, warm: bool = True) -> None:
    if warm:
        run()
    profiler = cProfile.Profile(time.process_time)  # CPU, not wall: waiting for the server is no cost
    profiler.enable()
    run()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    total = next((line for line in lines if "function calls" in line), "")
    print(f"\n### {title}\n\n{total.strip()}\n")
    for line in lines[start:]:
        print("    " + line.replace(str(Path(__file__).resolve().parent.parent) + "/", ""))
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kubeconfig", type=Path, help="use this cluster instead of a local control plane")
    parser.add_argument("--context")
    parser.add_argument("--only", type=lambda s: s.split(","), default=list(ROWS), help=f"among {','.join(ROWS)}")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--size", type=int, default=2000, help="objects listed (list + read, cache)")
    args = parser.parse_args(argv)
    server = Server(args.kubeconfig, args.context)
    try:
        import pykorm

        cluster = server.cluster
        pk = pykorm.Pykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, make_default=True)
        if "list" in args.only:
            ns = server.namespace("plist")
            server.fill(ns, 0, args.size)
            _profile(f"list + read, {args.size:,} objects, default pages", lambda: [w.placement.rack for w in Widget.query.namespace(ns).all()], args.top)
        if "watch" in args.only:
            ns = server.namespace("pwatch")
            server.fill(ns, 0, 50)
            events = 1000

            def consume() -> None:
                version = server.transport.request("GET", server.path(ns), params={"limit": 1})["metadata"]["resourceVersion"]

                def produce() -> None:
                    for i in range(events):
                        patch = {"metadata": {"annotations": {"bench.pykorm.io/round": f"{i:06d}"}}}
                        server.transport.request("PATCH", server.path(ns, f"widget-{i % 50:06d}"), body=patch, content_type=MERGE_PATCH)

                query = Widget.query.namespace(ns)
                watcher = Watcher(running.client(query), Widget, query.explain(), 120.0)
                watcher.version = version
                producer = threading.Thread(target=produce)
                producer.start()
                seen = 0
                for event in watcher.events():
                    event.obj.placement.rack
                    seen += 1
                    if seen == events:
                        break
                producer.join()

            # cProfile sees only this thread: the producer's requests are not in the profile.
            _profile(f"watch, {events:,} events (consumer thread)", consume, args.top, warm=False)
        if "crud" in args.only:
            ns = server.namespace("pcrud")
            counter = iter(range(10**6))

            def crud() -> None:
                r = next(counter)
                bodies = [widget_body(i, ns, prefix=f"p{r}") for i in range(200)]
                for body in bodies:
                    meta = body["metadata"]
                    pk.save(Widget(name=meta["name"], namespace=ns, labels=meta["labels"], annotations=meta["annotations"], **body["spec"]))
                got = [pk.get(Widget, b["metadata"]["name"], ns) for b in bodies]
                for w in got:
                    w.placement.rack
                    w.replicas = 100 + r
                    pk.save(w)

            _profile("create, get, merge-patch 200 objects, one at a time", crud, args.top)
        if "save" in args.only:
            ns = server.namespace("psave")
            server.fill(ns, 0, 500)
            value = iter(range(10**6))

            def save() -> None:
                v = next(value)
                for w in Widget.query.namespace(ns).all():
                    w.replicas = v
                    pk.save(w)

            _profile("list 500, change one field of each, save", save, args.top)
        if "cache" in args.only:
            from pykorm.controller import Informer

            ns = server.namespace("pcache")
            server.fill(ns, 0, args.size)
            informer = Informer(Widget, session=pk, namespace=ns).start().wait_synced(600)
            query = informer.query.filter(placement__region="eu-west", placement__rack__gte=30).order_by("name")
            _profile(f"informer cache query ({args.size:,} cached, ordered)", lambda: [query.all() for _ in range(5)], args.top)
            informer.stop()
        return 0
    finally:
        server.close()


if __name__ == "__main__":
    say("profiling pykorm's rows")
    sys.exit(main())
