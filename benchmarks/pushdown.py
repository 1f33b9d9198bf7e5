"""Push-down: listing a 1-in-100 subset of N objects with the filter sent to the API server, or done in Python.

Three ways to get the same objects, on the same server, in the same run:

- label selector: ``Widget.query.namespace(ns).filter(labels__bucket="b07")`` (pushed down);
- field selector: ``.filter(bucket=7)`` on a field the CRD declares in ``selectableFields``;
- Python: every object streamed (pages of 500) and filtered here, as a client without push-down
  does; and the same after ``.all()`` (the whole list in memory, as the original pykorm did).

    python -m benchmarks.pushdown --quick      # 2,000 objects, 3 rounds
    python -m benchmarks.pushdown              # 20,000 objects, 5 rounds
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import pykorm
from pykorm.fields import Spec
from pykorm.testing import install_crds

from ._common import Server, Widget, widget_body

BUCKETS = 100
WANTED = 7


@pykorm.k8s_custom_object("bench.pykorm.io", "v1", "widgets", kind="Widget")
class BucketWidget(Widget):
    """A Widget with a selectable ``spec.bucket`` (0-99) and a ``bucket`` label (b00-b99)."""

    bucket: int = Spec("bucket", selectable=True)


def body(i: int, namespace: str) -> dict[str, Any]:
    widget = widget_body(i, namespace)
    widget["metadata"]["labels"]["bucket"] = f"b{i % BUCKETS:02d}"
    widget["spec"]["bucket"] = i % BUCKETS
    return widget


def ways(pk: pykorm.Pykorm, namespace: str) -> dict[str, Callable[[], list[Any]]]:
    query = BucketWidget.query.session(pk).namespace(namespace)
    label = f"b{WANTED:02d}"
    return {
        "pushed down: label selector": lambda: query.filter(labels__bucket=label).all(),
        "pushed down: field selector": lambda: query.filter(bucket=WANTED).all(),
        "python: streamed pages of 500": lambda: [w for w in query if w.labels.get("bucket") == label],
        "python: after .all()": lambda: [w for w in query.all() if w.labels.get("bucket") == label],
    }


def measure(way: Callable[[], list[Any]], rounds: int) -> tuple[float, float, int]:
    """Median seconds over ``rounds``, the tracemalloc peak (MiB) of one more run, and the result size."""
    times = []
    found = 0
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        found = len(way())
        times.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    way()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kubeconfig", type=Path, help="use this cluster instead of a local control plane")
    parser.add_argument("--context")
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2,000 objects, 3 rounds")
    args = parser.parse_args()
    if args.quick:
        args.size, args.rounds = 2_000, 3
    server = Server(args.kubeconfig, args.context)
    try:
        install_crds(server.cluster, pykorm.crd(BucketWidget))  # the Widget CRD plus selectableFields
        namespace = server.namespace("pushdown")
        server.fill(namespace, 0, args.size, make_body=body)
        cluster = server.cluster
        pk = pykorm.Pykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, make_default=False)
        candidates = ways(pk, namespace)
        for name, way in candidates.items():  # untimed warm-up; every way must find the same objects
            assert sorted(w.name for w in way()) == sorted(w.name for w in candidates["python: after .all()"]()), name
        query = BucketWidget.query.session(pk).namespace(namespace)
        print(f"\n{args.size:,} objects, {args.size // BUCKETS:,} wanted (1 in {BUCKETS}); median of {args.rounds} rounds")
        for what, q in (("label", query.filter(labels__bucket=f"b{WANTED:02d}")), ("field", query.filter(bucket=WANTED))):
            plan = q.explain()
            print(f"  {what} plan: labelSelector={plan.label_selector} fieldSelector={plan.field_selector} python={plan.python}")
        print(f"\n{'way':34} {'found':>6} {'ms':>9} {'×pushed':>8} {'peak MiB':>9} {'×pushed':>8}")
        results = {name: measure(way, args.rounds) for name, way in candidates.items()}
        base_time, base_peak, _ = results["pushed down: label selector"]
        for name, (seconds, peak, found) in results.items():
            print(f"{name:34} {found:>6} {seconds * 1000:>9.1f} {seconds / base_time:>8.1f} {peak:>9.1f} {peak / base_peak:>8.1f}")
        return 0
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
