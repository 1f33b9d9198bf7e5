"""1,000 gets and 1,000 creates: 50 concurrent tasks on one event loop, against 8 threads sharing a client.

pykorm's ``AsyncPykorm`` (``await pk.save(Widget(...))``, ``await pk.get(Widget, name, ns)``),
lightkube's ``AsyncClient`` and kr8s' async API each run 50 tasks on one loop (a semaphore
keeps 50 requests in flight); pykorm's blocking session runs the same calls from 8 threads.
Each get reads ``spec.placement.rack``. Wall time per object is what an async web app cares
about (the API server's work included); CPU is this process's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, Awaitable, Callable

import pykorm
from pykorm.aio import AsyncPykorm

from ._common import GROUP, KIND, PLURAL, VERSION, Clients, Row, Sample, Server, Widget, clocked, rotate, say, widget_body

OP = "1,000 creates / gets, 50 tasks or 8 threads"
REFERENCE = "pykorm, 8 threads"
TASKS = 50
THREADS = 8

Body = dict[str, Any]
Create = Callable[[Body], Awaitable[Any]]
Get = Callable[[str, str], Awaitable[Any]]


def _widget(body: Body) -> Widget:
    meta = body["metadata"]
    return Widget(name=meta["name"], namespace=meta["namespace"], labels=meta["labels"], annotations=meta["annotations"],
                  **body["spec"])


async def _concurrently(call: Callable[[Any], Awaitable[Any]], items: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(TASKS)

    async def one(item: Any) -> Any:
        async with gate:
            return await call(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


class _Async:
    """An async library: ``open()`` makes its client on the running loop, returning create and get."""

    def __init__(self, open: Callable[[], Awaitable[tuple[Create, Get, Callable[[], Awaitable[None]]]]]) -> None:
        self.open = open

    def run(self, bodies: list[Body], namespace: str) -> tuple[Sample, Sample]:
        async def both() -> tuple[Sample, Sample]:
            create, get, close = await self.open()
            await get(namespace, "warm-up-missing")  # connection and discovery warm, as in a running app
            created = await _clocked(lambda: _concurrently(create, bodies))
            got = await _clocked(lambda: _concurrently(lambda b: get(namespace, b["metadata"]["name"]), bodies))
            await close()
            return created, got

        return asyncio.run(both())


async def _clocked(run: Callable[[], Awaitable[Any]]) -> Sample:
    import gc
    import time

    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await run()
    return Sample(time.perf_counter() - wall0, time.process_time() - cpu0)


def libraries(server: Server, clients: Clients) -> dict[str, Callable[[list[Body], str], tuple[Sample, Sample]]]:
    cluster = server.cluster
    kubeconfig = str(cluster.kubeconfig) if cluster.kubeconfig else None

    async def pykorm_async() -> tuple[Create, Get, Callable[[], Awaitable[None]]]:
        pk = await AsyncPykorm(kubeconfig=kubeconfig, context=cluster.context).connect()

        async def get(ns: str, name: str) -> Any:
            try:
                w = await pk.get(Widget, name, ns)
            except pykorm.NotFound:
                return None
            return w.placement.rack if w.placement else None

        return (lambda body: pk.save(_widget(body))), get, pk.close

    found: dict[str, Callable[[list[Body], str], tuple[Sample, Sample]]] = {
        f"pykorm async, {TASKS} tasks": _Async(pykorm_async).run,
    }
    if clients.lightkube is not None:
        from lightkube import AsyncClient
        from lightkube.config.kubeconfig import KubeConfig
        from lightkube.core.exceptions import ApiError

        res = clients.lk_widget

        async def lightkube_async() -> tuple[Create, Get, Callable[[], Awaitable[None]]]:
            config = KubeConfig.from_file(kubeconfig) if kubeconfig else KubeConfig.from_env()
            client = AsyncClient(config.get(context_name=cluster.context))

            async def get(ns: str, name: str) -> Any:
                try:
                    return (await client.get(res, name, namespace=ns)).spec["placement"]["rack"]
                except ApiError:
                    return None

            return (lambda body: client.create(res(body))), get, client.close

        found[f"lightkube AsyncClient, {TASKS} tasks"] = _Async(lightkube_async).run
    if clients.kr8s is not None:
        import kr8s.asyncio
        from kr8s.asyncio.objects import new_class

        async def kr8s_async() -> tuple[Create, Get, Callable[[], Awaitable[None]]]:
            api = await kr8s.asyncio.api(kubeconfig=kubeconfig, context=cluster.context)
            kind = new_class(KIND, f"{GROUP}/{VERSION}", namespaced=True, plural=PLURAL, asyncio=True)

            async def create(body: Body) -> Any:
                w = await kind(body, api=api)
                await w.create()
                return w

            async def get(ns: str, name: str) -> Any:
                try:
                    return (await kind.get(name, namespace=ns, api=api)).spec.placement.rack
                except kr8s.NotFoundError:
                    return None

            async def close() -> None:
                return None

            return create, get, close

        found[f"kr8s async, {TASKS} tasks"] = _Async(kr8s_async).run
    pk = clients.pykorm

    def pykorm_threads(bodies: list[Body], namespace: str) -> tuple[Sample, Sample]:
        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            created, _ = clocked(lambda: list(pool.map(lambda b: pk.save(_widget(b)), bodies)))
            got, _ = clocked(lambda: list(pool.map(lambda b: pk.get(Widget, b["metadata"]["name"], namespace), bodies)))
        return created, got

    found[REFERENCE] = pykorm_threads
    return found


def run(server: Server, clients: Clients, n: int, rounds: int) -> list[Row]:
    namespace = server.namespace("aio")
    found = libraries(server, clients)
    keys = {name: f"a{i}" for i, name in enumerate(found)}
    samples: dict[tuple[str, str], list[Sample]] = {}
    for r in range(rounds + 1):  # round 0 is an untimed warm-up
        for name in rotate(list(found), r):
            bodies = [widget_body(i, namespace, prefix=f"{keys[name]}-r{r}") for i in range(n if r else min(n, 100))]
            created, got = found[name](bodies, namespace)
            if r:
                samples.setdefault(("create", name), []).append(created)
                samples.setdefault(("get", name), []).append(got)
        if r:
            say(f"  {OP}, round {r}/{rounds}: " + ", ".join(
                f"{verb} {name.split(',')[0]} {s[-1].wall / n * 1e6:.0f}" for (verb, name), s in samples.items()
            ) + " wall µs each")
    return [Row.of(f"{verb}, {TASKS} tasks or {THREADS} threads", n, name, s, n) for (verb, name), s in samples.items()]
