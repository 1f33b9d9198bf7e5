"""httpx vs aiohttp: 1,000 GETs, 50 concurrent tasks, against the local control plane (TLS + bearer token)."""
import asyncio, ssl, sys, time, json
from pykorm.testing import LocalControlPlane
from pykorm.testing._binaries import find_binaries

N, C = 1000, 50

async def run_aiohttp(host, ctx, token):
    import aiohttp
    conn = aiohttp.TCPConnector(ssl=ctx, limit=C)
    async with aiohttp.ClientSession(connector=conn) as s:
        async def one():
            async with s.get(host + "/api/v1/namespaces/default", headers={"Authorization": f"Bearer {token}"}) as r:
                json.loads(await r.read())
        await asyncio.gather(*(one() for _ in range(C)))  # warm
        sem = asyncio.Semaphore(C)
        async def lim():
            async with sem: await one()
        t = time.perf_counter(); c = time.process_time()
        await asyncio.gather(*(lim() for _ in range(N)))
        return time.perf_counter() - t, time.process_time() - c

async def run_httpx(host, ctx, token):
    import httpx
    async with httpx.AsyncClient(verify=ctx, limits=httpx.Limits(max_connections=C)) as s:
        async def one():
            r = await s.get(host + "/api/v1/namespaces/default", headers={"Authorization": f"Bearer {token}"})
            json.loads(r.content)
        await asyncio.gather(*(one() for _ in range(C)))
        sem = asyncio.Semaphore(C)
        async def lim():
            async with sem: await one()
        t = time.perf_counter(); c = time.process_time()
        await asyncio.gather(*(lim() for _ in range(N)))
        return time.perf_counter() - t, time.process_time() - c

with LocalControlPlane(log=lambda s: None) as cp:
    ctx = ssl.create_default_context(cafile=str(cp.ca_file))
    for rnd in range(3):
        for name, fn in (("aiohttp", run_aiohttp), ("httpx", run_httpx)):
            wall, cpu = asyncio.run(fn(cp.host, ctx, cp.token))
            print(f"round {rnd} {name}: {N} GETs, {C} tasks: wall {wall:.2f} s ({N/wall:.0f}/s), client CPU {cpu:.2f} s", flush=True)
