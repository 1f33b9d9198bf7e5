"""Writing a reconciled object's status: only the status, through ``/status``, retried on conflict.

A reconcile reads from the cache, which may be a moment behind the server: a status
written with the read's resourceVersion then conflicts. :func:`update_status` applies the
change again to a fresh read and retries, as client-go's ``RetryOnConflict``. Nothing is
sent when the status did not change, so a reconcile that finds everything in order
writes nothing (and causes no event).
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Callable, TypeVar

from .._errors import ConflictError

if TYPE_CHECKING:
    from .._models import Model
    from .._session import Pykorm

__all__ = ["update_status"]

M = TypeVar("M", bound="Model")


def update_status(obj: M, mutate: Callable[[M], object], *, session: Pykorm | None = None, retries: int = 5) -> M:
    """Apply ``mutate`` to ``obj`` and save its status; on a conflict, read it again and retry.

    ``mutate`` must be safe to call again on a freshly read object. Without ``session``, through the
    session that read the object (see :meth:`pykorm.Model.save`).

    Raises:
        ConflictError: still conflicting after ``retries`` fresh reads.
        NotFound: the object is gone.

    >>> update_status(site, lambda s: setattr(s.status, "ready_replicas", 2))
    """
    from .._session import session_of

    session = session or session_of(obj, "update_status")
    for attempt in range(retries + 1):
        mutate(obj)
        try:
            return session.save_status(obj)
        except ConflictError:
            if attempt == retries:
                raise
            time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
            session.refresh(obj)
    raise AssertionError("unreachable")
