"""One implementation of every request sequence, run either blocking or on an event loop.

pykorm's logic that makes requests — writes, reads by name, lists page by page as one
snapshot, watches, bulk operations — is written once, as coroutines that await their I/O
through the session (:class:`pykorm._session.core.SessionCore`). The blocking session's I/O never
suspends (it blocks, as a sync call does), so its coroutines finish on their first step:
:func:`run` drives them to the end without an event loop, and :func:`iterate` turns an
async generator into a plain iterator. ``pykorm.aio``'s session awaits an async transport,
so the very same coroutines run on the loop: only the I/O differs.
"""

from __future__ import annotations

from typing import Any, AsyncGenerator, Coroutine, Iterator, TypeVar

__all__ = ["blocking", "iterate", "run"]

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of ``coroutine``, which must not suspend (its awaits all end at once).

    Raises:
        RuntimeError: it suspended — an async function was given to the blocking session.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError(
        "a blocking pykorm call awaited something that waits for an event loop: async callbacks "
        "belong with pykorm.aio.AsyncPykorm"
    )


def iterate(generator: AsyncGenerator[T, None]) -> Iterator[T]:
    """The items of an async generator that never suspends, as a plain iterator (closed with it)."""
    try:
        while True:
            try:
                item = run(generator.__anext__())
            except StopAsyncIteration:
                return
            yield item
    finally:
        run(generator.aclose())


async def blocking(iterator: Iterator[T]) -> AsyncGenerator[T, None]:
    """A blocking iterator (a watch stream of the blocking transport) seen as an async one; closed with it."""
    try:
        for item in iterator:
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
