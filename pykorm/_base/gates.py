"""Gates: checks a context runs before each request it sends, and the deadline it sets them.

A controller's reconcile may outlive its welcome: past its timeout, or after its manager
lost the Lease (another replica may be acting on the same objects now). A write sent then
is the harm, so the check sits where every request of a session passes
(:meth:`pykorm._session.core.SessionCore._request`): each gate of the calling context (thread or
task) runs first and may raise; the context's deadline bounds each request's retries and
timeouts, so a request already on its way ends by then too.

    >>> with gate(lambda: None, deadline=time.monotonic() + 30):
    ...     pk.save(obj)      # refused if a gate raises; done (or failed) within 30 s
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Callable, Iterator

__all__ = ["check_gates", "gate", "gate_deadline"]

_gates: contextvars.ContextVar[tuple[tuple[Callable[[], object], float | None], ...]] = contextvars.ContextVar(
    "pykorm_gates", default=())


@contextlib.contextmanager
def gate(check: Callable[[], object], *, deadline: float | None = None) -> Iterator[None]:
    """Within the block, run ``check`` before each request (it raises to refuse it); end requests by ``deadline``."""
    token = _gates.set((*_gates.get(), (check, deadline)))
    try:
        yield
    finally:
        _gates.reset(token)


def check_gates() -> None:
    """Run the context's gates (each may raise)."""
    for check, _ in _gates.get():
        check()


def gate_deadline() -> float | None:
    """The earliest deadline (``time.monotonic()``) of the context's gates, or None."""
    deadlines = [deadline for _, deadline in _gates.get() if deadline is not None]
    return min(deadlines) if deadlines else None
