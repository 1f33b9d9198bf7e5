"""Choosing pykorm.aio's HTTP library: httpx vs aiohttp, 1,000 GETs from 50 tasks against the local control plane.

    python -m benchmarks.aio_transports

Both with TLS verified against the control plane's CA and a bearer token, one shared pool of 50
connections, each answer decoded with ``json.loads``. Measured 2026-12-04 on the 2-core machine:
aiohttp 0.8 s (1,200 GETs/s, 0.25 s CPU), httpx 0.29 7.9 s (125 GETs/s, 4.8 s CPU).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Any, Awaitable, Callable

from pykorm.testing import LocalControlPlane

N, TASKS = 1000, 50
Get = Callable[[str, dict[str, str]], Awaitable[bytes]]


async def _measure(get: Get, url: str, token: str) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {token}"}

    async def one() -> None:
        json.loads(await get(url, headers))

    await asyncio.gather(*(one() for _ in range(TASKS)))  # connections open
    gate = asyncio.Semaphore(TASKS)

    async def limited() -> None:
        async with gate:
            await one()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(limited() for _ in range(N)))
    return time.perf_counter() - wall, time.process_time() - cpu


async def with_aiohttp(url: str, context: ssl.SSLContext, token: str) -> tuple[float, float]:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=TASKS)) as session:
        async def get(url: str, headers: dict[str, str]) -> bytes:
            async with session.get(url, headers=headers) as response:
                return await response.read()

        return await _measure(get, url, token)


async def with_httpx(url: str, context: ssl.SSLContext, token: str) -> tuple[float, float]:
    import httpx

    async with httpx.AsyncClient(verify=context, limits=httpx.Limits(max_connections=TASKS)) as client:
        async def get(url: str, headers: dict[str, str]) -> bytes:
            return (await client.get(url, headers=headers)).content

        return await _measure(get, url, token)


def main() -> None:
    with LocalControlPlane(log=lambda s: None) as control_plane:
        context = ssl.create_default_context(cafile=str(control_plane.ca_file))
        url = control_plane.host + "/api/v1/namespaces/default"
        runs: dict[str, Any] = {"aiohttp": with_aiohttp, "httpx": with_httpx}
        for round_ in range(3):
            for name, measure in runs.items():
                wall, cpu = asyncio.run(measure(url, context, control_plane.token))
                print(f"round {round_} {name}: {N} GETs from {TASKS} tasks: {wall:.2f} s wall ({N / wall:.0f}/s), "
                      f"{cpu:.2f} s CPU", flush=True)


if __name__ == "__main__":
    main()
