"""Operators with pykorm: informer caches, work queues, reconcile loops, finalizers, leader election.

    >>> from pykorm.controller import Manager, finalize, update_status
    >>> manager = Manager(pk)
    >>> @manager.reconciler(WebSite, owns=[ConfigMap, Deployment])
    ... def reconcile(request):
    ...     site = request.get()            # the newest cached object, or None once gone
    ...     ...
    >>> manager.run()

The pieces, each usable alone (controller-runtime's shapes, in Python):

- :class:`Informer` (and :func:`cache`): list then watch into a :class:`Store` with indexes;
  ``informer.query`` runs ``Model.query``'s lookups on it at memory speed (:class:`CachedQuery`);
- :class:`WorkQueue` and :class:`RateLimiter`: keys de-duplicated, one worker per key, backoff;
- :class:`Controller`, :class:`Request`, :class:`Result`: a reconcile function fed keys;
- :func:`finalize`, :func:`is_deleting`, :func:`update_status`: the writes every operator makes;
- :class:`LeaderElection`: one active replica through a Lease;
- :class:`Manager`: all of it, shared informers, ``run()`` with graceful shutdown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, TypeVar

from ._cached import CachedQuery
from ._finalizers import add_finalizer, finalize, is_deleting, remove_finalizer
from ._informer import Informer
from ._leader import LeaderElection, LeaderElector
from ._manager import Manager
from ._queue import RateLimiter, WorkQueue
from ._reconcile import Controller, Request, Result
from ._status import update_status
from ._store import Store

if TYPE_CHECKING:
    from ..models._model import Model
    from .._session.session import Pykorm

__all__ = [
    "CachedQuery", "Controller", "Informer", "LeaderElection", "LeaderElector", "Manager", "RateLimiter", "Request",
    "Result", "Store", "WorkQueue", "add_finalizer", "cache", "finalize", "is_deleting", "remove_finalizer",
    "update_status",
]

M = TypeVar("M", bound="Model")


def cache(
    model: type[M],
    namespace: str | None = None,
    selector: Mapping[str, str] | None = None,
    *,
    session: Pykorm | None = None,
    timeout: float | None = 60.0,
) -> Informer[M]:
    """The session's informer of ``model``, started and synced (see :meth:`pykorm.Pykorm.cache`).

    ``cache(Pod).query.filter(...)`` reads memory, not the server; ``session.close()`` stops it.

    Raises:
        WaitTimeout: the first list did not complete within ``timeout`` seconds.
    """
    from .._session.session import default_session

    return (session or default_session()).cache(model, namespace, selector, timeout=timeout)
