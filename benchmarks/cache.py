"""An informer's cache against plain dicts held in memory: a query's client CPU, and memory per object.

N widgets (the largest list size, in the list namespace) are synced into a
:class:`pykorm.controller.Informer`; the same query — a nested lookup no selector expresses
(``placement__region="eu-west"`` and ``placement__rack__gte=30``), ordered by name, about one
object in twenty found — runs on the cache (``informer.query...all()``: each object handed
out is a copy, free to change and save, made on its first use; ``.count()``: no object) and as a filter and a sort
over the official client's list of dicts, held in memory. Memory per object: ``tracemalloc``'s
count of what stays allocated once the informer has synced (its store, indexes and models),
against what the official client's list of dicts holds.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import Any, Callable

import pykorm
from pykorm.controller import Informer

from ._common import GROUP, PLURAL, VERSION, Clients, Row, Sample, Server, Widget, measure_rounds, say

QUERY = "cache query: nested lookup, ordered by name"
MEMORY = "cache memory per object"
REFERENCE = "official client's list of dicts, held"
INFORMER = "pykorm informer"


def _held(ns: str, clients: Clients) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = clients.custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["items"]
    return items


def _traced(make: Callable[[], Any]) -> tuple[Any, int]:
    """What ``make()`` returns, and the bytes it leaves allocated (its result alive)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = make()
        gc.collect()
        return result, tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


def run(server: Server, clients: Clients, namespace: str, n: int, rounds: int) -> list[Row]:
    cluster = server.cluster
    pk = pykorm.Pykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, make_default=False)
    held, held_bytes = _traced(lambda: _held(namespace, clients))
    informer, informer_bytes = _traced(lambda: Informer(Widget, session=pk, namespace=namespace).start().wait_synced(600))
    try:
        if len(informer.store) != n or len(held) != n:
            raise RuntimeError(f"the cache holds {len(informer.store)} and the list {len(held)} objects, expected {n}")
        rows = [
            Row(MEMORY, n, REFERENCE, 0.0, 0.0, 1, {"kib": held_bytes / n / 1024}),
            Row(MEMORY, n, INFORMER, 0.0, 0.0, 1, {"kib": informer_bytes / n / 1024}),
        ]
        say(f"  {MEMORY}: official {held_bytes / n / 1024:.2f} KiB, informer {informer_bytes / n / 1024:.2f} KiB")

        def by_dicts() -> list[dict[str, Any]]:
            found = [d for d in held if d["spec"]["placement"]["region"] == "eu-west" and d["spec"]["placement"]["rack"] >= 30]
            found.sort(key=lambda d: d["metadata"]["name"])
            return found

        cached = informer.query.filter(placement__region="eu-west", placement__rack__gte=30).order_by("name")
        ways: dict[str, Callable[[], Any]] = {
            REFERENCE: by_dicts,
            f"{INFORMER}: .query...all() (copies)": cached.all,
            f"{INFORMER}: .query...count()": cached.count,
        }
        expected = [d["metadata"]["name"] for d in by_dicts()]
        if [w.name for w in cached.all()] != expected or cached.count() != len(expected):
            raise RuntimeError("the cache and the dicts found different objects")

        def measure(name: str, r: int) -> Sample:
            gc.collect()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(5):
                ways[name]()
            return Sample((time.perf_counter() - wall0) / 5, (time.process_time() - cpu0) / 5)

        samples = measure_rounds(list(ways), rounds, measure, f"{QUERY}, {len(expected):,} of {n:,}", 1)
        rows += [Row.of(QUERY, n, name, s, 1, found=len(expected)) for name, s in samples.items()]
        return rows
    finally:
        informer.stop()
        pk.close()
