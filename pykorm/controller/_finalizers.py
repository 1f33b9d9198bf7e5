"""Finalizers: cleanup that must run before the API server lets an object go.

    >>> if finalize(site, "example.com/cleanup", lambda s: drop_dns_record(s)):
    ...     return None            # being deleted: cleaned up, the finalizer removed

A finalizer is a name in ``metadata.finalizers``; while one is there, a delete only sets
``deletionTimestamp`` and the object stays. :func:`finalize` does the whole pattern in one
call from a reconcile: it adds the name to a live object, and on a deleting one runs
``cleanup`` then removes the name (the server then deletes the object). Writes retry on
conflict with a fresh read (another finalizer may have been added or removed meanwhile).
``cleanup`` runs again if the removal fails after it, so it must be idempotent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, TypeVar

from .._base.errors import ClientValidationError, NotFound
from .._base.paths import MISSING, get_path
from .._data.objects import peek

if TYPE_CHECKING:
    from ..models._model import Model
    from .._session.session import Pykorm

__all__ = ["add_finalizer", "finalize", "is_deleting", "remove_finalizer"]

M = TypeVar("M", bound="Model")

_NAME = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def is_deleting(obj: Model) -> bool:
    """True when ``obj`` has a deletion timestamp: deleted, held back by finalizers."""
    return get_path(peek(obj), ("metadata", "deletionTimestamp")) not in (MISSING, None)


def finalize(obj: M, finalizer: str, cleanup: Callable[[M], object], *, session: Pykorm | None = None) -> bool:
    """Keep ``finalizer`` on ``obj`` while it lives; when it is deleted, run ``cleanup(obj)`` and remove it.

    Writes go through ``session``, else the session that read ``obj`` (see :meth:`pykorm.Model.save`).

    Returns:
        True when ``obj`` is being deleted (the reconcile should do nothing else), else False.

    Raises:
        ClientValidationError: ``finalizer`` is not a qualified name (``example.com/cleanup``).
        Exception: whatever ``cleanup`` raises (the finalizer stays; the reconcile is retried).
    """
    _check(finalizer)
    present = finalizer in (obj.finalizers or [])
    if is_deleting(obj):
        if present:
            cleanup(obj)
            remove_finalizer(obj, finalizer, session=session)
        return True
    if not present:
        add_finalizer(obj, finalizer, session=session)
    return False


def add_finalizer(obj: M, finalizer: str, *, session: Pykorm | None = None) -> M:
    """Add ``finalizer`` to ``obj`` on the server (no-op when there), retrying on conflicts."""
    _check(finalizer)

    def add(target: M) -> None:
        if finalizer not in (target.finalizers or []):
            target.finalizers = [*(target.finalizers or []), finalizer]

    return _session(session, obj).update(obj, add)


def remove_finalizer(obj: M, finalizer: str, *, session: Pykorm | None = None) -> M:
    """Remove ``finalizer`` from ``obj`` on the server, retrying on conflicts; an object gone meanwhile is fine."""
    _check(finalizer)

    def remove(target: M) -> None:
        if finalizer in (target.finalizers or []):
            target.finalizers = [f for f in target.finalizers or [] if f != finalizer]

    try:
        return _session(session, obj).update(obj, remove)
    except NotFound:
        return obj


def _check(finalizer: str) -> None:
    if not isinstance(finalizer, str) or len(finalizer) > 316 or not _NAME.match(finalizer) or "/" not in finalizer:
        raise ClientValidationError(
            f"finalizer {finalizer!r}: a finalizer is a qualified name such as 'example.com/cleanup' "
            "(a DNS subdomain, a slash, a name of letters, digits, '-', '_' and '.')")


def _session(session: Pykorm | None, obj: Model) -> Pykorm:
    """``session``, else the one that read ``obj`` (see :meth:`pykorm.Model.save`)."""
    from .._session.session import session_of

    return session or session_of(obj, "update")
