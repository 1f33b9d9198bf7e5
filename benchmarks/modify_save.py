"""List N widgets, change one field of each and save it: one merge patch per object, sequentially.

Every library sends the same patch, ``{"metadata": {"resourceVersion": <as read>}, "spec":
{"replicas": v}}`` (``application/merge-patch+json``), so a concurrent change would conflict
for each of them as it does for pykorm's ``save``; pykorm does it as a program would:
``w.replicas = v; pk.save(w)``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Callable

from ._common import GROUP, PLURAL, VERSION, Clients, Row, Sample, Server, Widget, clocked, measure_rounds

OP = "list, change one field of each, save (merge patch)"
REFERENCE = "official client (dicts)"


def savers(clients: Clients) -> dict[str, Callable[[str, int], int]]:
    """Library name -> a function that lists the namespace, patches every widget and returns how many."""
    custom, merge = clients.custom, "application/merge-patch+json"

    def patch(d: dict[str, Any], value: int) -> dict[str, Any]:
        return {"metadata": {"resourceVersion": d["metadata"]["resourceVersion"]}, "spec": {"replicas": value}}

    def floor(ns: str, value: int) -> int:
        response: Any = custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, _preload_content=False)
        items = json.loads(response.data)["items"]
        for d in items:
            answer: Any = custom.patch_namespaced_custom_object(
                GROUP, VERSION, ns, PLURAL, d["metadata"]["name"], patch(d, value), _content_type=merge, _preload_content=False
            )
            json.loads(answer.data)
        return len(items)

    def official(ns: str, value: int) -> int:
        items = custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["items"]
        for d in items:
            custom.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, d["metadata"]["name"], patch(d, value), _content_type=merge)
        return len(items)

    def dynamic(ns: str, value: int) -> int:
        items = clients.dynamic.get(namespace=ns).items
        for w in items:
            body = {"metadata": {"resourceVersion": w.metadata.resourceVersion}, "spec": {"replicas": value}}
            clients.dynamic.patch(body=body, name=w.metadata.name, namespace=ns, content_type=merge)
        return len(items)

    def pykorm_save(ns: str, value: int) -> int:
        widgets = Widget.query.namespace(ns).all()
        for w in widgets:
            w.replicas = value
            clients.pykorm.save(w)
        return len(widgets)

    found: dict[str, Callable[[str, int], int]] = {
        "floor: official, preload off + json.loads": floor,
        REFERENCE: official,
        "official dynamic client": dynamic,
    }
    if clients.lightkube is not None:
        from lightkube.types import PatchType

        lk, res = clients.lightkube, clients.lk_widget

        def lightkube(ns: str, value: int) -> int:
            items = list(lk.list(res, namespace=ns))
            for w in items:
                lk.patch(res, w.metadata.name, patch(w, value), namespace=ns, patch_type=PatchType.MERGE)
            return len(items)

        found["lightkube generic resource"] = lightkube
    if clients.kr8s is not None:
        api = clients.kr8s

        def kr8s(ns: str, value: int) -> int:
            items = list(api.get(f"{PLURAL}.{GROUP}", namespace=ns))
            for w in items:
                w.patch(patch(w.raw, value), type="merge")
            return len(items)

        found["kr8s"] = kr8s
    found["pykorm"] = pykorm_save
    return found


def run(server: Server, clients: Clients, n: int, rounds: int) -> list[Row]:
    namespace = server.namespace("save")
    server.fill(namespace, 0, n)
    libraries = savers(clients)
    values = itertools.count(10)  # every pass writes a new value: each patch changes the object
    for name, save in libraries.items():  # untimed warm-up
        save(namespace, next(values))

    def measure(name: str, r: int) -> Sample:
        value = next(values)
        sample, count = clocked(lambda: libraries[name](namespace, value))
        if count != n:
            raise RuntimeError(f"{name} saved {count} objects, expected {n}")
        return sample

    samples = measure_rounds(list(libraries), rounds, measure, f"{OP}, {n:,} objects", n, clock="wall")
    return [Row.of(OP, n, name, s, n) for name, s in samples.items()]
