"""Writing a reconciled object's status: only the status, through ``/status``, retried on conflict.

A reconcile reads from the cache, which may be a moment behind the server: a status
written with the read's resourceVersion then conflicts. :func:`update_status` applies the
change again to a fresh read and retries, as client-go's ``RetryOnConflict`` (the session's one
conflict-retry loop, ``pk.update``'s: :meth:`pykorm._session.core.SessionCore._update`). Nothing is
sent when the status did not change, so a reconcile that finds everything in order
writes nothing (and causes no event).

The fresh read may hold a newer spec (a higher ``metadata.generation``) than the one the
reconcile acted on: ``status.observedGeneration`` must then still say the generation the
reconcile read, never the fresh read's. ``observed_generation=obj.generation`` (taken from
the object the reconcile read, before any retry) writes exactly that on every attempt; the
newer generation's own event brings the reconcile that observes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Coroutine, TypeVar

from .._base.drive import run
from .._base.paths import set_path

if TYPE_CHECKING:
    from ..models._model import Model
    from .._session.core import SessionCore
    from .._session.session import Pykorm

__all__ = ["update_status", "update_status_async"]

M = TypeVar("M", bound="Model")


def update_status(
    obj: M,
    mutate: Callable[[M], object],
    *,
    observed_generation: int | None = None,
    session: Pykorm | None = None,
    retries: int = 5,
) -> M:
    """Apply ``mutate`` to ``obj`` and save its status; on a conflict, read it again and retry.

    ``mutate`` must be safe to call again on a freshly read object. Without ``session``, through the
    session that read the object (see :meth:`pykorm.Model.save`).

    Args:
        observed_generation: written to ``status.observedGeneration`` on every attempt: pass the
            ``generation`` of the object the reconcile read (a retry's fresh read may be newer).

    Raises:
        ConflictError: still conflicting after ``retries`` fresh reads.
        NotFound: the object is gone, or was deleted and created again (another uid) meanwhile.
        ValueError: ``observed_generation`` is not a positive int.

    >>> update_status(site, lambda s: setattr(s, "ready_replicas", 2), observed_generation=site.generation)
    """
    from .._session.session import session_of

    _check_generation(observed_generation)
    return run(_update_status(session or session_of(obj, "update_status"), obj, mutate, observed_generation, retries))


async def update_status_async(
    obj: M,
    mutate: Callable[[M], object],
    *,
    observed_generation: int | None = None,
    session: SessionCore[Any] | None = None,
    retries: int = 5,
) -> M:
    """:func:`update_status` for ``async def`` reconcilers: the same loop and rules, awaited on ``session``.

    ``session`` (a :class:`pykorm.aio.AsyncPykorm`) defaults to the reconciling manager's async session
    (``Manager(async_session=...)``),
    else the one that read ``obj``; ``mutate`` may be a coroutine function.

    Raises:
        TypeError: no async session given, none with the manager, and ``obj`` was not read through one.
        ConflictError, NotFound, ValueError: as :func:`update_status`.

    >>> await update_status_async(site, lambda s: setattr(s, "ready_replicas", 2), observed_generation=site.generation)
    """
    from ._owned import async_session_of

    _check_generation(observed_generation)
    chosen = async_session_of(obj, session, "update_status_async")
    return await _update_status(chosen, obj, mutate, observed_generation, retries)


def _check_generation(observed_generation: int | None) -> None:
    if observed_generation is not None and (
            isinstance(observed_generation, bool) or not isinstance(observed_generation, int) or observed_generation < 1):
        raise ValueError(f"observed_generation is the metadata.generation the reconcile read (an int from 1), "
                         f"not {observed_generation!r}")


def _update_status(session: SessionCore[Any], obj: M, mutate: Callable[[M], object], observed_generation: int | None,
                   retries: int) -> Coroutine[Any, Any, M]:
    async def change(target: M) -> None:
        changed = mutate(target)
        if hasattr(changed, "__await__"):
            await changed
        if observed_generation is not None:
            target._will_change()
            set_path(target._raw, ("status", "observedGeneration"), observed_generation)

    return session._update(obj, change, retries, status=True, same_object=True)
