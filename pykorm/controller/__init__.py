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
- :func:`apply_owned`: a child made to match its desired state and owner, without a needless write or echo;
- :func:`apply_owned_async`, :func:`update_status_async`: the same for ``async def`` reconcilers (``pykorm.aio``);
- :class:`EventRecorder` (``manager.event_recorder``): ``events.k8s.io/v1`` Events, deduplicated into series;
- predicates (:data:`DEFAULT`, :func:`when`...) and :class:`Watch`: which changes reconcile which keys;
- :func:`default_rate_limiter`, :class:`TokenBucket`, :class:`MaxOf`: client-go's retry limits;
- :func:`set_condition` and friends: status conditions with Kubernetes' rules;
- :class:`Manager`: all of it, shared informers, ``run()`` with graceful shutdown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, TypeVar

from ._cached import CachedQuery
from ._conditions import find_condition, is_condition_true, remove_condition, set_condition
from ._events import EventRecorder
from ._finalizers import add_finalizer, finalize, is_deleting, remove_finalizer
from ._informer import Informer
from ._leader import LeaderElection, LeaderElector
from ._limiter import MaxOf, TokenBucket, default_rate_limiter
from ._manager import Manager
from .._base.public import show_as
from ._owned import apply_owned, apply_owned_async
from ._predicates import (
    ANY, DEFAULT, Predicate, annotations_changed, deletion_started, finalizers_changed, generation_changed,
    label_selector, labels_changed, status_changed, when,
)
from ._queue import RateLimiter, WorkQueue
from ._reconcile import Controller, Request, Result
from ._sharding import Sharding, shard_of
from ._status import update_status, update_status_async
from ._store import Store
from ._transforms import slim_managed_fields, strip_managed_fields
from ._watches import Watch

if TYPE_CHECKING:
    from ..models._model import Model
    from .._session.session import Pykorm

__all__ = [
    "ANY", "CachedQuery", "Controller", "DEFAULT", "EventRecorder", "Informer", "LeaderElection", "LeaderElector",
    "Manager", "MaxOf", "Predicate", "RateLimiter", "Request", "Result", "Sharding", "Store", "TokenBucket", "Watch", "WorkQueue",
    "add_finalizer", "annotations_changed", "apply_owned", "apply_owned_async", "cache", "default_rate_limiter", "deletion_started",
    "finalize", "finalizers_changed", "find_condition", "generation_changed", "is_condition_true", "is_deleting",
    "label_selector", "labels_changed", "remove_condition", "remove_finalizer", "set_condition", "shard_of", "slim_managed_fields",
    "status_changed", "strip_managed_fields", "update_status", "update_status_async", "when",
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

show_as(__name__, __all__, globals())
