"""List N widgets and read one nested field of each (``spec.placement.rack``), library by library.

The floor is the official client with ``_preload_content=False`` and a bare ``json.loads``:
plain dicts, then ``d["spec"]["placement"]["rack"]``. pykorm reads ``w.placement.rack``
through its typed models: ``.all()`` with its default pages (5,000 objects a request: one request
at these sizes but 10,000), iterating the query (streaming pages of 500, as kubectl and client-go
page), in one page like the floor, and in one page with its GC hold-off switched off
(``PYKORM_GC_HOLD_OFF=0``).
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pykorm._base.gc

from ._common import GROUP, PLURAL, VERSION, Clients, Row, Sample, Server, Widget, clocked, measure_rounds

FLOOR = "floor: official, preload off + json.loads"
OP = "list + read a nested field"
ALL = "pykorm .all(), default pages"
STREAM = "pykorm, iterating (pages of 500)"

Lister = Callable[[str, int], list[Any]]


def listers(clients: Clients) -> dict[str, Lister]:
    """Library name -> a function listing a namespace of n widgets and reading each one's rack."""
    custom = clients.custom

    def floor(ns: str, n: int) -> list[Any]:
        response: Any = custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, _preload_content=False)
        try:
            items = json.loads(response.data)["items"]
        finally:
            response.release_conn()
        return [d["spec"]["placement"]["rack"] for d in items]

    def official(ns: str, n: int) -> list[Any]:
        items = custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["items"]
        return [d["spec"]["placement"]["rack"] for d in items]

    def dynamic(ns: str, n: int) -> list[Any]:
        return [w.spec.placement.rack for w in clients.dynamic.get(namespace=ns).items]

    def pykorm_one_page(ns: str, n: int) -> list[Any]:
        return [w.placement.rack for w in Widget.query.namespace(ns).page_size(n).all()]

    def pykorm_all(ns: str, n: int) -> list[Any]:
        return [w.placement.rack for w in Widget.query.namespace(ns).all()]

    def pykorm_stream(ns: str, n: int) -> list[Any]:
        return [w.placement.rack for w in Widget.query.namespace(ns)]

    def pykorm_no_hold_off(ns: str, n: int) -> list[Any]:
        pykorm._base.gc.enabled = False
        try:
            return pykorm_one_page(ns, n)
        finally:
            pykorm._base.gc.enabled = True

    found: dict[str, Lister] = {
        FLOOR: floor,
        "official client (dicts)": official,
        "official dynamic client": dynamic,
    }
    if clients.lightkube is not None:
        lk, res = clients.lightkube, clients.lk_widget
        found["lightkube generic resource"] = lambda ns, n: [w.spec["placement"]["rack"] for w in lk.list(res, namespace=ns)]
    if clients.kr8s is not None:
        api = clients.kr8s
        found["kr8s (pages of 100, fixed)"] = lambda ns, n: [
            w.spec.placement.rack for w in api.get(f"{PLURAL}.{GROUP}", namespace=ns)
        ]
    found["pykorm, one page"] = pykorm_one_page
    found[ALL] = pykorm_all
    found[STREAM] = pykorm_stream
    found["pykorm, one page, GC hold-off off"] = pykorm_no_hold_off
    return found


def run(
    server: Server, clients: Clients, sizes: list[int], rounds: Callable[[int], int], slow_rounds: int
) -> tuple[list[Row], str]:
    """List + read at each size (the namespace topped up between sizes); the median over the rounds.

    kr8s and the dynamic client, ten to fifty times slower, join only the first ``slow_rounds``.
    Returns the rows and the namespace (holding the largest size).
    """
    namespace = server.namespace("list")
    libraries = listers(clients)
    slow = {"official dynamic client", "kr8s (pages of 100, fixed)"}
    rows: list[Row] = []
    present = 0
    for n in sizes:
        server.fill(namespace, present, n)
        present = n
        for name, lister in libraries.items():  # untimed: connections, discovery, the server settles
            if len(lister(namespace, n)) != n:
                raise RuntimeError(f"{name} listed the wrong number of objects")

        def measure(name: str, r: int) -> Sample | None:
            if name in slow and r >= slow_rounds:
                return None
            sample, racks = clocked(lambda: libraries[name](namespace, n), settled=True)
            if len(racks) != n:
                raise RuntimeError(f"{name} listed {len(racks)} objects, expected {n}")
            return sample

        samples = measure_rounds(
            list(libraries), rounds(n), measure, f"{OP}, {n:,} objects", n,
            before_round=lambda r: server.touch(namespace, r),
        )
        rows += [Row.of(OP, n, name, s, n) for name, s in samples.items()]
    return rows, namespace
