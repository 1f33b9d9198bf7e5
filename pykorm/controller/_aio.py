"""Async reconcilers: ``async def reconcile(request)`` on the manager's event loop, with the same queue and guarantees.

    >>> apk = AsyncPykorm(field_manager="greeter")
    >>> manager = Manager(pk, async_session=apk)          # apk closed on the manager's loop at its stop
    >>> @manager.reconciler(Greeting, owns=[ConfigMap])
    ... async def reconcile(request):
    ...     greeting = request.get()                      # the cache: memory, no await
    ...     await apk.save(ConfigMap(...))

An async reconcile is still fed by the controller's work queue and worker threads: a worker
takes a key (never one another worker holds), hands the coroutine to the manager's one event
loop (a thread of its own, started with the first async reconciler) and waits for it; so keys,
backoff, echoes, metrics, the Lease's guard and the per-reconcile timeout are the blocking
controller's. The coroutine runs in a copy of the worker's context, so the writes it awaits are
noted as its own (their echoes are no news) and refused once its timeout passed or the Lease
was lost. Its timeout also cancels it (``asyncio`` can, where a thread cannot): the reconcile
then fails with :class:`ReconcileCancelled` and is retried with backoff. ``workers`` reconciles
run at once on the loop; the blocking helpers (``update_status``, ``apply_owned``, ``finalize``)
work there but hold the loop while they wait: prefer the async session's verbs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from .._base.errors import ReconcileCancelled

if TYPE_CHECKING:
    from ._reconcile import Request, Result

__all__ = ["EventLoop", "is_async"]

AsyncReconciler = Callable[["Request[Any]"], Awaitable["Result | None"]]


def is_async(function: Callable[..., Any]) -> bool:
    """True for an ``async def`` function (or a callable object whose ``__call__`` is one)."""
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(getattr(function, "__call__", None))


class EventLoop:
    """One event loop on a thread of its own, running the coroutines threads hand it (a manager's)."""

    def __init__(self, name: str = "pykorm-reconcile-loop") -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> asyncio.AbstractEventLoop:
        """Start the loop's thread (once); the loop."""
        with self._lock:
            if self.loop is None or self.loop.is_closed():
                ready = threading.Event()
                loop = asyncio.new_event_loop()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name=self.name, daemon=True)
                self._thread.start()
                ready.wait()
                self.loop = loop
            return self.loop

    def call(self, make: Callable[[], Awaitable[Any]], context: contextvars.Context) -> Any:
        """Run the coroutine ``make()`` on the loop in ``context``; block until it ends; its result (or raise its error)."""
        loop = self.start()
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def begin() -> None:
            try:
                task = context.run(loop.create_task, _awaited(make))  # the task runs in a copy of `context`
            except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
                done.set_exception(error)
                return
            task.add_done_callback(lambda finished: _settle(finished, done))

        loop.call_soon_threadsafe(begin)
        return done.result()

    def run(self, awaitable: Awaitable[Any], timeout: float | None = None) -> Any:
        """Run ``awaitable`` on the loop from another thread (closing a session there, say); its result."""
        loop = self.start()
        return asyncio.run_coroutine_threadsafe(_awaited(lambda: awaitable), loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel what still runs, stop the loop and close it."""
        with self._lock:
            loop, thread, self.loop = self.loop, self._thread, None
        if loop is None or loop.is_closed():
            return

        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await loop.shutdown_asyncgens()

        try:
            asyncio.run_coroutine_threadsafe(cancel_the_rest(), loop).result(timeout)
        except (concurrent.futures.TimeoutError, RuntimeError):
            pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout)
        if not loop.is_running():
            loop.close()


def bridge(reconcile: AsyncReconciler, loop: EventLoop) -> Callable[[Request[Any]], Result | None]:
    """``reconcile`` as the blocking function a controller's worker calls: run on ``loop``, cancelled at its deadline."""

    def run(request: Request[Any]) -> Result | None:
        context = contextvars.copy_context()  # receipts, gates, the current controller: the worker's
        deadline = request.deadline

        async def bounded() -> Result | None:
            if deadline is None:
                return await reconcile(request)
            try:
                return await asyncio.wait_for(reconcile(request), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                raise ReconcileCancelled(f"reconcile of {request.key}: cancelled at its timeout") from None

        result: Result | None = loop.call(bounded, context)
        return result

    run.__name__ = str(getattr(reconcile, "__name__", "reconcile"))
    run.__wrapped__ = reconcile  # type: ignore[attr-defined]
    return run


async def _awaited(make: Callable[[], Awaitable[Any]]) -> Any:
    return await make()


def _settle(task: asyncio.Task[Any], done: concurrent.futures.Future[Any]) -> None:
    if task.cancelled():
        done.set_exception(ReconcileCancelled("the reconcile was cancelled (its manager is stopping)"))
    elif task.exception() is not None:
        done.set_exception(task.exception())
    else:
        done.set_result(task.result())
