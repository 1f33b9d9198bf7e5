"""Create, get and merge-patch widgets one by one: sequentially, and from 8 threads sharing one client.

Each library creates the same bodies, gets each object (reading ``spec.placement.rack``) and
sends the same merge patch with the resourceVersion it read. pykorm does it as a program
would: ``pk.save(Widget(...))``, ``pk.get(Widget, name, ns)``, ``w.replicas = v; pk.save(w)``.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import Any, Callable

from ._common import GROUP, PLURAL, VERSION, Clients, Row, Sample, Server, Widget, clocked, rotate, say, widget_body

OP = "create / get / merge-patch, one object per request"
REFERENCE = "official client (dicts)"
MERGE = "application/merge-patch+json"


@dataclass
class Verbs:
    create: Callable[[dict[str, Any]], Any]
    get: Callable[[str, str], Any]  # (namespace, name) -> the object, its rack read
    patch: Callable[[Any, int], Any]  # (the object as got, value)


def _patch_body(resource_version: str, value: int) -> dict[str, Any]:
    return {"metadata": {"resourceVersion": resource_version}, "spec": {"replicas": value}}


def verbs(clients: Clients) -> dict[str, Verbs]:
    custom = clients.custom

    def official_get(ns: str, name: str) -> Any:
        d = custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name)
        d["spec"]["placement"]["rack"]
        return d

    def official_patch(d: dict[str, Any], value: int) -> Any:
        meta = d["metadata"]
        body = _patch_body(meta["resourceVersion"], value)
        return custom.patch_namespaced_custom_object(GROUP, VERSION, meta["namespace"], PLURAL, meta["name"], body, _content_type=MERGE)

    dyn = clients.dynamic

    def dynamic_get(ns: str, name: str) -> Any:
        w = dyn.get(name=name, namespace=ns)
        w.spec.placement.rack
        return w

    def dynamic_patch(w: Any, value: int) -> Any:
        body = _patch_body(w.metadata.resourceVersion, value)
        return dyn.patch(body=body, name=w.metadata.name, namespace=w.metadata.namespace, content_type=MERGE)

    pk = clients.pykorm

    def pykorm_get(ns: str, name: str) -> Any:
        w = pk.get(Widget, name, ns)
        w.placement.rack
        return w

    def pykorm_patch(w: Widget, value: int) -> Any:
        w.replicas = value
        return pk.save(w)

    def pykorm_create(body: dict[str, Any]) -> Any:
        meta = body["metadata"]
        widget = Widget(name=meta["name"], namespace=meta["namespace"], labels=meta["labels"], annotations=meta["annotations"], **body["spec"])
        return pk.save(widget)

    found = {
        REFERENCE: Verbs(
            lambda body: custom.create_namespaced_custom_object(GROUP, VERSION, body["metadata"]["namespace"], PLURAL, body),
            official_get,
            official_patch,
        ),
        "official dynamic client": Verbs(lambda body: dyn.create(body=body, namespace=body["metadata"]["namespace"]), dynamic_get, dynamic_patch),
    }
    if clients.lightkube is not None:
        from lightkube.types import PatchType

        lk, res = clients.lightkube, clients.lk_widget

        def lightkube_get(ns: str, name: str) -> Any:
            w = lk.get(res, name, namespace=ns)
            w.spec["placement"]["rack"]
            return w

        def lightkube_patch(w: Any, value: int) -> Any:
            body = _patch_body(w.metadata.resourceVersion, value)
            return lk.patch(res, w.metadata.name, body, namespace=w.metadata.namespace, patch_type=PatchType.MERGE)

        found["lightkube generic resource"] = Verbs(lambda body: lk.create(res(body)), lightkube_get, lightkube_patch)
    if clients.kr8s is not None:
        api, kind = clients.kr8s, clients.kr8s_widget

        def kr8s_create(body: dict[str, Any]) -> Any:
            w = kind(body, api=api)
            w.create()
            return w

        def kr8s_get(ns: str, name: str) -> Any:
            w = kind.get(name, namespace=ns, api=api)
            w.spec.placement.rack
            return w

        def kr8s_patch(w: Any, value: int) -> Any:
            return w.patch(_patch_body(w.metadata.resourceVersion, value), type="merge")

        found["kr8s"] = Verbs(kr8s_create, kr8s_get, kr8s_patch)
    found["pykorm"] = Verbs(pykorm_create, pykorm_get, pykorm_patch)
    return found


def _each(threads: int, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    if threads == 1:
        return [fn(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


def run(server: Server, clients: Clients, n: int, rounds: int, thread_counts: tuple[int, ...] = (1, 8)) -> list[Row]:
    namespace = server.namespace("crud")
    libraries = verbs(clients)
    keys = {name: f"l{i}" for i, name in enumerate(libraries)}
    rows: list[Row] = []
    for threads in thread_counts:
        samples: dict[tuple[str, str], list[Sample]] = {}
        for r in range(rounds + 1):  # round 0 is an untimed warm-up
            for name in rotate(list(libraries), r):
                lib = libraries[name]
                bodies = [widget_body(i, namespace, prefix=f"{keys[name]}-t{threads}-r{r}") for i in range(n)]
                created, _ = clocked(lambda: _each(threads, lib.create, bodies))
                got, objects = clocked(
                    lambda: _each(threads, lambda b: lib.get(namespace, b["metadata"]["name"]), bodies)
                )
                patched, _ = clocked(lambda: _each(threads, lambda o: lib.patch(o, 100 + r), objects))
                if r == 0:
                    continue
                for verb, sample in (("create", created), ("get", got), ("merge-patch", patched)):
                    samples.setdefault((verb, name), []).append(sample)
            if r:
                say(f"  {OP}, {threads} thread(s), round {r}/{rounds}")
        for (verb, name), s in samples.items():
            rows.append(Row.of(f"{verb}, {threads} thread{'s' if threads > 1 else ''}", n, name, s, n))
    return rows
