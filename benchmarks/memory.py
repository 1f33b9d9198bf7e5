"""Peak memory of going through every widget of a namespace, reading one field of each.

``tracemalloc``'s peak while the loop runs (tracing slows the code: never timed). Streaming
libraries hold one page at a time (pykorm and lightkube in pages of 500); one request holds
the whole answer.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from typing import Any, Callable

from ._common import GROUP, PLURAL, VERSION, Clients, Row, Server, Widget, say

OP = "peak memory, iterating and reading a field"
FLOOR = "floor: official, preload off + json.loads"


def walkers(clients: Clients) -> dict[str, Callable[[str], int]]:
    custom = clients.custom

    def floor(ns: str) -> int:
        response: Any = custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, _preload_content=False)
        try:
            items = json.loads(response.data)["items"]
        finally:
            response.release_conn()
        return sum(1 for d in items if d["spec"]["placement"]["rack"] >= 0)

    found: dict[str, Callable[[str], int]] = {
        FLOOR: floor,
        "official client (dicts)": lambda ns: sum(
            1 for d in custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["items"] if d["spec"]["placement"]["rack"] >= 0
        ),
    }
    if clients.lightkube is not None:
        lk, res = clients.lightkube, clients.lk_widget
        found["lightkube, chunk_size=500"] = lambda ns: sum(
            1 for w in lk.list(res, namespace=ns, chunk_size=500) if w.spec["placement"]["rack"] >= 0
        )
    found["pykorm, streaming (pages of 500)"] = lambda ns: sum(1 for w in Widget.query.namespace(ns) if w.placement.rack >= 0)
    found["pykorm, .all()"] = lambda ns: sum(1 for w in Widget.query.namespace(ns).all() if w.placement.rack >= 0)
    return found


def run(server: Server, clients: Clients, namespace: str, n: int) -> list[Row]:
    rows = []
    for name, walk in walkers(clients).items():
        walk(namespace)  # warm
        gc.collect()
        tracemalloc.start()
        try:
            count = walk(namespace)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        if count != n:
            raise RuntimeError(f"{name} went through {count} objects, expected {n}")
        rows.append(Row(OP, n, name, 0.0, 0.0, 1, {"peak_mib": peak / 2**20}))
        say(f"  {OP}, {n:,} objects: {name} {peak / 2**20:.1f} MiB")
    return rows
