"""Receipts of writes: the object states that writes made in a context provably produced.

A controller must tell the echo of its own write (the watch event of the state it wrote)
from another writer's change, which it must act on. The sound test is identity, not
inference: an event is an echo only when its object is *exactly* a state the controller's
own write produced — the same ``uid`` and ``resourceVersion`` (a resourceVersion names one
state of one object). Inferring it from ``managedFields`` is unsound: another writer that
only removes fields ends up owning none, has no entry, and its change looks like ours.

A write provably produced the state it answers with when it:
- created the object (``POST``); or
- carried a ``resourceVersion`` precondition and answered with another resourceVersion: the
  server applied it to the very state the writer read (``pk.save``, ``pk.update``,
  ``update_status``, finalizers and ``adopt`` all write so).
A write without a precondition (server-side apply, ``/scale``, a JSON patch) may have changed
nothing and answered with the current state, which may be another writer's unseen change: it
gives no receipt. Dry runs and deletes give none either.

    >>> with receipts(lambda uid, version: mine.add((uid, version))):
    ...     pk.save(configmap)          # mine now holds the state the save produced
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Callable, Iterator, Mapping

__all__ = ["Receipt", "note_state", "note_write", "produced_state", "receipts"]

Receipt = Callable[[str, str], object]
"""Told ``(uid, resourceVersion)`` of each state a write in its context produced."""

_listeners: contextvars.ContextVar[tuple[Receipt, ...]] = contextvars.ContextVar("pykorm_receipts", default=())


@contextlib.contextmanager
def receipts(listener: Receipt) -> Iterator[None]:
    """Within the block (this thread or task), tell ``listener`` of the states writes produce."""
    token = _listeners.set((*_listeners.get(), listener))
    try:
        yield
    finally:
        _listeners.reset(token)


def note_write(method: str, body: Any, params: Mapping[str, Any] | None, answer: Any) -> None:
    """Give the listeners in context the receipt of a successful request, if it is one (see the module)."""
    listeners = _listeners.get()
    if not listeners:
        return
    produced = produced_state(method, body, params, answer)
    if produced is not None:
        for listener in listeners:
            listener(*produced)


def note_state(uid: str, version: str) -> None:
    """Give the listeners in context a receipt the caller proved otherwise (``pykorm.controller.apply_owned``:
    an apply whose answer holds no other writer's field)."""
    for listener in _listeners.get():
        listener(uid, version)


def produced_state(method: str, body: Any, params: Mapping[str, Any] | None, answer: Any) -> tuple[str, str] | None:
    """``(uid, resourceVersion)`` of the state a write with this body produced, or None when not provably its own."""
    if method not in ("POST", "PUT", "PATCH") or (params or {}).get("dryRun") or not isinstance(answer, dict):
        return None
    metadata = answer.get("metadata")
    if not isinstance(metadata, dict):
        return None
    uid, version = metadata.get("uid"), metadata.get("resourceVersion")
    if not isinstance(uid, str) or not uid or not isinstance(version, str) or not version:
        return None
    if method == "POST":
        return uid, version
    sent = body.get("metadata") if isinstance(body, dict) else None
    precondition = sent.get("resourceVersion") if isinstance(sent, dict) else None
    if not isinstance(precondition, str) or not precondition or precondition == version:
        return None  # no precondition, or nothing changed: the answer may be another writer's state
    return uid, version
