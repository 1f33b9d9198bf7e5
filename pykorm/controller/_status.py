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

from typing import TYPE_CHECKING, Callable, TypeVar

from .._base.drive import run
from .._base.paths import set_path

if TYPE_CHECKING:
    from ..models._model import Model
    from .._session.session import Pykorm

__all__ = ["update_status"]

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

    if observed_generation is not None and (
            isinstance(observed_generation, bool) or not isinstance(observed_generation, int) or observed_generation < 1):
        raise ValueError(f"observed_generation is the metadata.generation the reconcile read (an int from 1), "
                         f"not {observed_generation!r}")
    session = session or session_of(obj, "update_status")

    def change(target: M) -> None:
        mutate(target)
        if observed_generation is not None:
            target._will_change()
            set_path(target._raw, ("status", "observedGeneration"), observed_generation)

    return run(session._update(obj, change, retries, status=True, same_object=True))
