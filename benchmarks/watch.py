"""Watch events: the client CPU each library spends per event, the object hydrated and one field read.

A producer thread patches widgets (one MODIFIED event each) while the library under test
watches the namespace and reads ``spec.placement.rack`` from every event's object. The
producer's own CPU (``time.thread_time`` in its thread) is taken out of the process's, so
what remains is the watching library's (kr8s runs its event loop in a thread of its own:
counted too). The reference is the official client's ``Watch().stream``.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

from pykorm._http.transport import MERGE_PATCH
from pykorm._session import running
from pykorm._session.watch import Watcher

from ._common import GROUP, PLURAL, VERSION, Clients, Row, Sample, Server, Widget, measure_rounds

OP = "watch: client CPU per event"
REFERENCE = "official Watch().stream"
OBJECTS = 50


Stream = Callable[[str, str, float], Iterator[Any]]


def streams(clients: Clients) -> dict[str, Stream]:
    """Library name -> a function (namespace, resourceVersion, timeout) yielding each event's rack.

    Every library watches from the same resourceVersion (no initial list, no synthetic ADDED
    events); for pykorm that is its watcher after the initial list ``Query.watch`` makes.
    """

    def official(ns: str, version: str, timeout: float) -> Iterator[Any]:
        import kubernetes

        watch = kubernetes.watch.Watch()
        for event in watch.stream(
            clients.custom.list_namespaced_custom_object, GROUP, VERSION, ns, PLURAL,
            resource_version=version, timeout_seconds=int(timeout),
        ):
            yield event["object"]["spec"]["placement"]["rack"]

    def dynamic(ns: str, version: str, timeout: float) -> Iterator[Any]:
        for event in clients.dynamic.watch(namespace=ns, resource_version=version, timeout=int(timeout)):
            yield event["object"].spec.placement.rack

    def pykorm_watch(ns: str, version: str, timeout: float) -> Iterator[Any]:
        query = Widget.query.namespace(ns)
        watcher = Watcher(running.client(query), Widget, query.explain(), timeout)
        watcher.version = version
        for event in watcher.events():
            yield event.obj.placement.rack

    found: dict[str, Stream] = {REFERENCE: official, "official dynamic client": dynamic}
    if clients.lightkube is not None:
        lk, res = clients.lightkube, clients.lk_widget

        def lightkube(ns: str, version: str, timeout: float) -> Iterator[Any]:
            for _, w in lk.watch(res, namespace=ns, resource_version=version, server_timeout=int(timeout)):
                yield w.spec["placement"]["rack"]

        found["lightkube generic resource"] = lightkube
    if clients.kr8s is not None:
        api = clients.kr8s

        def kr8s(ns: str, version: str, timeout: float) -> Iterator[Any]:
            for _, w in api.watch(f"{PLURAL}.{GROUP}", namespace=ns, since=version):
                yield w.spec.placement.rack

        found["kr8s"] = kr8s
    found["pykorm"] = pykorm_watch
    return found


def _produce(server: Server, ns: str, events: int, start: threading.Event, cpu: list[float]) -> None:
    start.wait()
    time.sleep(1.0)  # let the watch be established
    began = time.thread_time()
    for i in range(events):
        name = f"widget-{i % OBJECTS:06d}"
        patch = {"metadata": {"annotations": {"bench.pykorm.io/round": f"{i:06d}"}}}
        server.transport.request("PATCH", server.path(ns, name), body=patch, content_type=MERGE_PATCH)
    cpu.append(time.thread_time() - began)


def _consume(server: Server, ns: str, stream: Stream, events: int) -> tuple[Sample, int]:
    producer_cpu: list[float] = []
    start = threading.Event()
    producer = threading.Thread(target=_produce, args=(server, ns, events, start, producer_cpu), daemon=True)
    producer.start()
    seen = 0
    version = server.transport.request("GET", server.path(ns), params={"limit": 1})["metadata"]["resourceVersion"]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    iterator = stream(ns, version, 120.0)
    start.set()
    for _ in iterator:
        seen += 1
        if seen == events:
            break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    close = getattr(iterator, "close", None)
    if close is not None:
        close()
    producer.join()
    return Sample(wall, cpu - sum(producer_cpu)), seen


def run(server: Server, clients: Clients, events: int, rounds: int) -> list[Row]:
    namespace = server.namespace("watch")
    server.fill(namespace, 0, OBJECTS)
    libraries = streams(clients)

    def measure(name: str, r: int) -> Sample:
        sample, seen = _consume(server, namespace, libraries[name], events)
        if seen != events:
            raise RuntimeError(f"{name} saw {seen} of {events} events")
        return sample

    samples = measure_rounds(list(libraries), rounds, measure, f"{OP}, {events:,} events", events)
    return [Row.of(OP, events, name, s, events) for name, s in samples.items()]
