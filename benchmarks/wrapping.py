"""Wrapping decoded objects in models: what it costs the cyclic garbage collector (no server needed).

``python -m benchmarks`` measures whole list calls on a real API server, where the server's work and
the network blur the client's share. This script isolates that share: it decodes one
recorded-like list body (``json.loads``) and wraps each item the way pykorm does
(``Model._from_server``), or the way alternative designs would, and reports the CPU per object
and the time spent in the garbage collector.

    python -m benchmarks.wrapping                      # 2,000, 5,000 and 20,000 objects
    python -m benchmarks.wrapping --sizes 20000 --ballast 1000000

Why the collector: CPython runs a full (generation-2) collection whenever the objects that
survived into the old generation since the last one exceed a quarter of it. Decoding a big
list grows the heap in such steps; each wrapper that brings its own tracked containers (an
instance plus its ``__dict__``) adds to the growth, and can trigger one more full pass over
everything just decoded. How much that costs depends on the rest of the heap (``--ballast``).

Pausing the collector (as ``pykorm._base.gc`` does) skips those full passes, but leaves one young
collection over every new object for later, traversed cold: dearer than the young
collections it replaced, and, in a process whose heap is large (no full pass would have run),
a net loss. Holding off only the full collections keeps the cheap young ones.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import platform
import statistics
import time
from typing import Any, Callable, Iterator

from ._common import GcClock, Widget, widget_body

from pykorm._base.gc import full_gc_held_off


def fields_v1(value: Any) -> Any:
    """The ``fieldsV1`` record the server writes for a created object (lists are atomic in our CRD)."""
    if isinstance(value, dict):
        return {f"f:{k}": fields_v1(v) for k, v in value.items()}
    return {}


def list_body(n: int) -> bytes:
    """A WidgetList as the API server sends it, with the metadata it adds to each object."""
    items = []
    for i in range(n):
        body = widget_body(i, "bench")
        managed = {"metadata": {k: body["metadata"][k] for k in ("labels", "annotations")}, "spec": body["spec"]}
        body["metadata"].update(
            uid=f"0b0c4a8e-5b1e-4a8f-9d7e-{i:012d}",
            resourceVersion=str(1000 + i),
            generation=1,
            creationTimestamp="2025-01-01T00:00:00Z",
            managedFields=[
                {
                    "apiVersion": "bench.pykorm.io/v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": fields_v1(managed),
                    "manager": "pykorm",
                    "operation": "Update",
                    "time": "2025-01-01T00:00:00Z",
                }
            ],
        )
        items.append(body)
    listing = {"apiVersion": "bench.pykorm.io/v1", "kind": "WidgetList", "metadata": {"resourceVersion": "999"}, "items": items}
    return json.dumps(listing, separators=(",", ":")).encode()


class WithDict:
    """A wrapper whose state is in an instance ``__dict__``, written through it (as pykorm does)."""


class WithSlots:
    """A wrapper with ``__slots__``: one tracked container per object instead of two."""

    __slots__ = ("_raw", "_original", "_cluster")
    _raw: dict[str, Any]
    _original: dict[str, Any] | None
    _cluster: str | None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The collector off entirely (for comparison; pykorm holds off only full collections)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def variants(body: bytes) -> dict[str, Callable[[], list[Any]]]:
    def dicts() -> list[Any]:
        return json.loads(body)["items"]  # type: ignore[no-any-return]

    def pykorm_from_server() -> list[Any]:
        return [Widget._from_server(raw) for raw in json.loads(body)["items"]]

    def dict_wrapper() -> list[Any]:
        out = []
        for raw in json.loads(body)["items"]:
            obj = object.__new__(WithDict)
            d = obj.__dict__  # materialises the dict
            d["_raw"], d["_original"], d["_cluster"] = raw, None, None
            out.append(obj)
        return out

    def attribute_wrapper() -> list[Any]:
        out = []
        for raw in json.loads(body)["items"]:
            obj = object.__new__(WithDict)
            obj._raw, obj._original, obj._cluster = raw, None, None  # type: ignore[attr-defined]
            out.append(obj)  # CPython >= 3.11 keeps these values inline: no dict is made
        return out

    def slots_wrapper() -> list[Any]:
        out = []
        for raw in json.loads(body)["items"]:
            obj = object.__new__(WithSlots)
            obj._raw, obj._original, obj._cluster = raw, None, None
            out.append(obj)
        return out

    def dicts_paused() -> list[Any]:
        with gc_paused():
            return json.loads(body)["items"]  # type: ignore[no-any-return]

    def pykorm_paused() -> list[Any]:
        with gc_paused():
            items = json.loads(body)["items"]
        with gc_paused():
            return [Widget._from_server(raw) for raw in items]

    def dicts_held_off() -> list[Any]:
        with full_gc_held_off():
            return json.loads(body)["items"]  # type: ignore[no-any-return]

    def pykorm_held_off() -> list[Any]:
        # As pykorm's Transport and Query do: decode, then wrap the page, full collections held off.
        with full_gc_held_off():
            items = json.loads(body)["items"]
        with full_gc_held_off():
            return [Widget._from_server(raw) for raw in items]

    def dicts_read() -> list[Any]:
        items = json.loads(body)["items"]
        [d["spec"]["placement"]["rack"] for d in items]
        return items  # type: ignore[no-any-return]

    def pykorm_held_off_read() -> list[Any]:
        widgets = pykorm_held_off()
        [w.placement.rack for w in widgets]
        return widgets

    def pykorm_read() -> list[Any]:
        widgets = pykorm_from_server()
        [w.placement.rack for w in widgets]
        return widgets

    return {
        "plain dicts (json.loads)": dicts,
        "plain dicts, then read a nested field": dicts_read,
        "Model._from_server, GC on, then read": pykorm_read,
        "pykorm (held off), then read": pykorm_held_off_read,
        "Model._from_server, GC on": pykorm_from_server,
        "wrapper, __dict__ written directly": dict_wrapper,
        "wrapper, attributes (inline values)": attribute_wrapper,
        "wrapper, __slots__": slots_wrapper,
        "plain dicts, GC paused": dicts_paused,
        "Model._from_server, GC paused": pykorm_paused,
        "plain dicts, full GCs held off": dicts_held_off,
        "Model._from_server, full GCs held off (pykorm)": pykorm_held_off,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[2000, 5000, 20000])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--ballast", type=int, default=0, help="long-lived small containers to keep, like an application's heap")
    args = parser.parse_args()
    ballast = [{"i": [i]} for i in range(args.ballast)]  # noqa: F841 (kept alive on purpose)
    gc.collect()
    print(f"python {platform.python_version()}, gc thresholds {gc.get_threshold()}, ballast {args.ballast:,} objects")
    print(f"{'size':>7}  {'variant':<38} {'cpu µs/obj':>10} {'×dicts':>7} {'gc µs/obj':>9} {'full gc':>7} {'+after':>7} {'×dicts':>7}")
    for n in args.sizes:
        body = list_body(n)
        runs = variants(body)
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        gcs: dict[str, list[float]] = {name: [] for name in runs}
        fulls: dict[str, list[int]] = {name: [] for name in runs}
        after: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():
                gc.collect()
                clock = GcClock()
                gc.callbacks.append(clock)
                started = time.process_time()
                result = run()
                elapsed = time.process_time() - started
                gc.callbacks.remove(clock)
                gc.collect(1)  # what a paused collector left for later, paid with the objects alive
                after[name].append((time.process_time() - started - elapsed) / n * 1e6)
                assert len(result) == n
                del result
                cpu[name].append(elapsed / n * 1e6)
                gcs[name].append(clock.seconds / n * 1e6)
                fulls[name].append(clock.full)
        med = statistics.median
        floor = med(cpu["plain dicts (json.loads)"])
        floor_total = med([c + a for c, a in zip(cpu["plain dicts (json.loads)"], after["plain dicts (json.loads)"])])
        print()
        for name in runs:
            c = med(cpu[name])
            total = med([c + a for c, a in zip(cpu[name], after[name])])
            print(
                f"{n:>7,}  {name:<38} {c:>10.2f} {c / floor:>7.2f} {med(gcs[name]):>9.2f}"
                f" {med(fulls[name]):>7g} {med(after[name]):>7.2f} {total / floor_total:>7.2f}"
            )
    print(f"\n{len(body) / n:,.0f} bytes of JSON per object; median of {args.rounds} rounds; process CPU time;")
    print("+after: gc.collect(1) right after, the objects alive (work a paused collector deferred); ×dicts: of cpu + after")


if __name__ == "__main__":
    main()
