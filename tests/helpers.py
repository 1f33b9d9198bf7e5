"""Helpers shared by the server tests: counting a session's requests, polling until a condition holds,
loading an example program as a module. (Fixtures are in conftest.py; private control planes in planes.py.)"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, TypeVar

import pytest

import pykorm

T = TypeVar("T")


class Counting:
    """Counts the requests a session sends (wrapping pykorm's own transport, not the server): ``calls`` holds
    each request's ``(method, path, params)``, in order.

    >>> with Counting(pk) as counting:
    ...     Peach.query.first()
    >>> [method for method, _, _ in counting.calls]
    ['GET']
    """

    def __init__(self, session: pykorm.Pykorm) -> None:
        self.transport = session.transport()
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self._request = self.transport.request

    def __enter__(self) -> Counting:
        def request(method: str, path: str, **kwargs: Any) -> Any:
            self.calls.append((method, path, dict(kwargs.get("params") or {})))
            return self._request(method, path, **kwargs)

        self.transport.request = request  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        del self.transport.request


def wait_for(check: Callable[[], T], what: str = "condition", timeout: float = 60.0, every: float = 0.1) -> T:
    """Poll ``check`` every ``every`` seconds until it is truthy, and return that value; fail the test
    naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still not so after {timeout:g} s")
        time.sleep(every)


def load_example(path: Path, name: str) -> ModuleType:
    """The example program at ``path``, imported as module ``name`` (registered in ``sys.modules``, so that
    its dataclasses and models resolve their module)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Sessions:
    """A blocking session and a ``pykorm.aio`` one on the cluster, the async one on an event loop of its own
    thread (``run`` awaits a coroutine there): what the differential tests compare."""

    def __init__(self, cluster: Any) -> None:
        import asyncio
        import threading

        from pykorm.aio import AsyncPykorm

        self.pk = pykorm.Pykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, make_default=False)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def opened() -> AsyncPykorm:
            apk = AsyncPykorm(kubeconfig=cluster.kubeconfig, context=cluster.context)
            await apk.__aenter__()
            return apk

        self.apk: AsyncPykorm = self.run(opened())

    def run(self, coroutine: Any) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def close(self) -> None:
        self.run(self.apk.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.pk.close()
