"""Controllers: reconcile functions fed keys by informers through a work queue.

A reconcile function gets a :class:`Request` — a key, not an event — reads the newest
state (``request.get()``, from the cache) and makes the world match it; it is called
again whenever something it cares about changes, so it must be idempotent
(level-triggered, as controller-runtime's ``Reconcile``). What it cares about:

- its model's objects: created, deleted, and changed where a reconcile can act on it —
  the ``metadata.generation`` (spec), labels, annotations, finalizers or the deletion
  timestamp; a change of status alone is not a reason;
- the objects it ``owns``: any change of one (its status too: a Deployment becoming
  ready) maps, through the ``ownerReferences`` entry with ``controller: true``, to its
  owner's key (a reference removed: to the former owner's). Those come ``owned_delay``
  seconds later, so that the burst of changes a new Deployment goes through makes one
  reconcile instead of five.
An event whose object is exactly a state the reconcile's own write produced (the same uid
and resourceVersion as its answer: :mod:`._echoes`) is the echo of that write, not news,
and is no reason either. Only that: another writer's change is always news, even one that
leaves the controller's field manager the only writer (a key or an ownerReference removed).

The rules above are the default :data:`~._predicates.DEFAULT` predicate (``predicate=``
changes them per controller); ``watches=`` adds kinds mapped to keys by a function
(:mod:`._watches`).

A reconcile that raises is logged with its key and retried after the key's backoff (client-go's
default limiter: 5 ms doubling up to 1000 s per key, and 10 retries a second, bursts of 100,
overall: :mod:`._limiter`); returning ``Result(requeue_after=s)`` calls it again in ``s``
seconds; ``Result(requeue=True)`` retries with backoff without an error. With ``timeout``, the
requests a reconcile makes end by its deadline and are refused after it
(:class:`~pykorm.ReconcileCancelled`), and the reconcile is retried with backoff; so are they
once the manager's Lease is not certainly held (:mod:`pykorm._base.gates`). Python cannot stop a
thread: code that makes no request (a sleep, a loop) runs on; ``request.cancelled`` tells it.
"""

from __future__ import annotations

import collections
import contextvars
import dataclasses
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, TypeVar

from .._base.errors import ReconcileCancelled
from .._base.gates import gate
from .._base.receipts import receipts
from .._http.resource import resource_of
from ._echoes import Echoes
from ._informer import Informer, log
from ._limiter import Limiter, default_rate_limiter
from ._predicates import DEFAULT, Predicate
from ._queue import WorkQueue
from ._store import Raw, key_of
from ._watches import Mapper, keys_of

if TYPE_CHECKING:
    from ..models._model import Model

__all__ = ["Controller", "Reconciler", "Request", "Result", "WatchSpec", "current_controller"]

M = TypeVar("M", bound="Model")


@dataclasses.dataclass(frozen=True)
class Request(Generic[M]):
    """What to reconcile: the object ``namespace/name`` of ``model`` (it may be gone)."""

    namespace: str | None
    name: str
    model: type[M] = dataclasses.field(compare=False, repr=False)
    informer: Informer[M] = dataclasses.field(compare=False, repr=False)
    deadline: float | None = dataclasses.field(default=None, compare=False, repr=False)  # time.monotonic(); None: none
    _cancel: Callable[[], str | None] | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        """``namespace/name`` (``name`` for a cluster-scoped object)."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def get(self) -> M | None:
        """The newest cached object (a copy, to change and save), or None when it is gone."""
        return self.informer.get(self.name, self.namespace)

    @property
    def cancelled(self) -> str | None:
        """Why this reconcile should stop now (its timeout passed, the Lease is lost, the manager stops), or None."""
        return self._cancel() if self._cancel is not None else None


@dataclasses.dataclass(frozen=True)
class Result:
    """What a reconcile asks for next: nothing (the default), ``requeue`` with backoff, or a call in ``requeue_after`` s."""

    requeue: bool = False
    requeue_after: float | None = None


Reconciler = Callable[[Request[M]], "Result | None"]
"""A reconcile function: ``reconcile(request) -> Result | None``."""

WatchSpec = tuple[Informer[Any], "Mapper | None", Predicate]
"""A watched informer, its map function (None: the controller owner), its predicate."""

_current: contextvars.ContextVar[Controller[Any] | None] = contextvars.ContextVar("pykorm_controller", default=None)


def current_controller() -> Controller[Any] | None:
    """The controller whose reconcile runs in this context (thread), or None."""
    return _current.get()


class Controller(Generic[M]):
    """Calls ``reconcile`` for the keys of ``informer``'s objects and of the owners of ``owned`` informers' objects.

    Made by :meth:`Manager.reconciler`; ``start()``/``stop()`` are the manager's.

    Args:
        name: for logs and threads.
        reconcile: the function.
        informer: the informer of the reconciled model.
        owned: informers of owned kinds.
        workers: threads calling ``reconcile`` (never two on one key).
        resync: seconds after which every object is reconciled again (None: never).
        owned_delay: seconds an owned object's change waits (de-duplicated) before its owner is reconciled.
        predicate: which changes of the reconciled objects count (default :data:`~._predicates.DEFAULT`).
        watches: more informers, each with its map function (None: the controller owner) and predicate.
        rate_limiter: backoff of retries (default client-go's: :func:`~._limiter.default_rate_limiter`).
        timeout: seconds a reconcile's requests may run, from its start (None: no limit).
        guard: called before each request of a reconcile; returns why to refuse it, or None (the manager's Lease).
    """

    def __init__(
        self,
        name: str,
        reconcile: Reconciler[M],
        informer: Informer[M],
        owned: Iterable[Informer[Model]] = (),
        *,
        workers: int = 2,
        resync: float | None = None,
        owned_delay: float = 0.5,
        predicate: Predicate = DEFAULT,
        watches: Iterable[WatchSpec] = (),
        rate_limiter: Limiter[str] | None = None,
        timeout: float | None = None,
        guard: Callable[[], str | None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if resync is not None and resync <= 0:
            raise ValueError(f"resync must be positive seconds or None, not {resync!r}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be positive seconds or None, not {timeout!r}")
        if not isinstance(predicate, Predicate):
            raise TypeError(f"predicate must be a Predicate (see pykorm.controller.when), not {predicate!r}")
        self.name = name
        self.reconcile = reconcile
        self.informer = informer
        self.owned = list(owned)
        self.workers = workers
        self.resync = resync
        self.owned_delay = owned_delay
        self.predicate = predicate
        self.watches = list(watches)
        self.timeout = timeout
        self.guard = guard
        self.async_session: Any = None  # the manager's AsyncPykorm: what the *_async helpers await by default
        self.echoes = Echoes()
        self.queue: WorkQueue[str] = WorkQueue(rate_limiter if rate_limiter is not None else default_rate_limiter())
        self.timeouts: collections.Counter[str] = collections.Counter()  # reconciles cancelled by their timeout, per key
        self.reconciles: collections.Counter[str] = collections.Counter()  # calls per key (a figure to watch)
        self.failures: collections.Counter[str] = collections.Counter()  # reconciles that raised, per key
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self._cancelled: str | None = None  # why reconciles in flight must stop (cancel())
        resource = resource_of(informer.model)
        self._owner_kind = (resource.group, resource.kind)
        self._namespaced = resource.namespaced
        informer.add_handler(self._on_primary)
        for other in self.owned:
            other.add_handler(self._on_owned)
        for watched, mapper, chosen in self.watches:
            watched.add_handler(self._watch_handler(watched, mapper, chosen))

    @property
    def caches(self) -> list[Informer[Any]]:
        """Every informer this controller reads: its model's, the owned and the watched kinds'."""
        return [self.informer, *self.owned, *(w[0] for w in self.watches)]

    # -- events → keys -----------------------------------------------------------------

    def _on_primary(self, kind: str, old: Raw | None, new: Raw | None) -> None:
        raw = new or old or {}
        metadata = raw.get("metadata") or {}
        uid, version = metadata.get("uid"), metadata.get("resourceVersion")
        if kind == "DELETED":
            self.echoes.forget(uid)
            if self.predicate(self.informer.model, raw, None):
                self.queue.add(key_of(raw))
        elif not self.predicate(self.informer.model, old if kind == "MODIFIED" else None, new):
            self.echoes.consume(uid, version, key_of(raw))  # no reason (a status write): its receipt is used up
        else:
            for key in self.echoes.news((key_of(raw),), uid, version, 0.0):
                self.queue.add(key)

    def _on_owned(self, kind: str, old: Raw | None, new: Raw | None) -> None:
        raw = new or old or {}
        metadata = raw.get("metadata") or {}
        keys = {self._owner_key(metadata, r) for r in metadata.get("ownerReferences") or () if r.get("controller")}
        if old is not None and kind == "MODIFIED":  # an owner reference removed: tell the former owner too
            before = old.get("metadata") or {}
            keys |= {self._owner_key(before, r) for r in before.get("ownerReferences") or () if r.get("controller")}
        self._related(kind, metadata, [key for key in keys if key is not None])

    def _related(self, kind: str, metadata: Raw, keys: list[str]) -> None:
        """Queue ``keys`` for a change of an owned or watched object, unless it is an echo of a reconcile's write."""
        if kind == "DELETED":
            self.echoes.forget(metadata.get("uid"))
        else:
            keys = self.echoes.news(keys, metadata.get("uid"), metadata.get("resourceVersion"), self.owned_delay)
        for key in keys:
            self._queue(key, self.owned_delay)

    def _watch_handler(self, informer: Informer[Any], mapper: Mapper | None, chosen: Predicate) -> Callable[
            [str, Raw | None, Raw | None], None]:
        """The handler of a watched informer: ``chosen`` filters, ``mapper`` (None: owner references) finds the keys."""
        model = informer.model

        def handle(kind: str, old: Raw | None, new: Raw | None) -> None:
            before, after = (new or old, None) if kind == "DELETED" else (old if kind == "MODIFIED" else None, new)
            raw = new or old or {}
            metadata = raw.get("metadata") or {}
            if not chosen(model, before, after):
                if kind != "DELETED":
                    self.echoes.consume(metadata.get("uid"), metadata.get("resourceVersion"))
                else:
                    self.echoes.forget(metadata.get("uid"))
                return
            if mapper is None:
                self._on_owned(kind, old, new)
                return
            label = f"{model.__name__} {key_of(raw)}"
            keys = keys_of(mapper(model._from_store(raw, informer.cluster, informer.session)),
                           self.informer.model, self._namespaced, label)
            self._related(kind, metadata, keys)

        return handle

    def _queue(self, key: str, delay: float) -> None:
        if delay > 0:
            self.queue.add_after(key, delay)
        else:
            self.queue.add(key)

    def _owner_key(self, metadata: Raw, reference: Raw) -> str | None:
        group = str(reference.get("apiVersion") or "").rpartition("/")[0]
        if (group, reference.get("kind")) != self._owner_kind or not reference.get("name"):
            return None
        namespace = metadata.get("namespace") if resource_of(self.informer.model).namespaced else None
        return f"{namespace}/{reference['name']}" if namespace else str(reference["name"])

    # -- workers -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers (and the resync timer)."""
        self._stopped.clear()
        self._cancelled = None
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"{self.name}-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.resync is not None:
            thread = threading.Thread(target=self._resync_loop, name=f"{self.name}-resync", daemon=True)
            thread.start()
            self._threads.append(thread)

    def cancel(self, why: str) -> None:
        """Refuse every further request of the reconciles in flight (:class:`ReconcileCancelled`, saying ``why``)."""
        if self._cancelled is None:  # the first reason is the one to tell
            self._cancelled = why

    def stop(self, timeout: float | None = None) -> None:
        """Hand out no more keys; wait (up to ``timeout`` s) for the reconciles in flight to finish."""
        self._stopped.set()
        self.queue.shutdown()
        for thread in self._threads:
            thread.join(timeout)
        if any(thread.is_alive() for thread in self._threads):
            self.cancel(f"the controller stopped, and its reconciles in flight outlived the {timeout} s given them")
        self._threads = []

    def _work(self) -> None:
        namespaced = resource_of(self.informer.model).namespaced
        while True:
            key = self.queue.get()
            if key is None:
                return
            namespace, _, name = key.rpartition("/") if namespaced else ("", "", key)
            deadline = None if self.timeout is None else time.monotonic() + self.timeout
            cancelled = self._why_cancelled(deadline)
            request = Request(namespace or None, name, self.informer.model, self.informer, deadline, cancelled)
            self.reconciles[key] += 1
            self.echoes.begin(key)
            token = _current.set(self)
            try:
                with receipts(self.echoes.wrote), gate(self._gate_check(cancelled), deadline=deadline):
                    result = self.reconcile(request)
            except Exception:  # noqa: BLE001 - logged with its key, retried with backoff
                self.failures[key] += 1
                retries = self.queue.limiter.retries(key)
                why = cancelled()
                if why is not None:  # refused, or failed past its deadline: no traceback
                    if deadline is not None and time.monotonic() >= deadline:
                        self.timeouts[key] += 1
                    log.warning("pykorm: %s: reconcile of %s cancelled: %s (retry %d)", self.name, key, why, retries + 1)
                else:
                    log.exception("pykorm: %s: reconcile of %s failed (retry %d)", self.name, key, retries + 1)
                self.queue.add_rate_limited(key)
            else:
                if result is not None and result.requeue_after is not None:
                    self.queue.forget(key)
                    self.queue.add_after(key, result.requeue_after)
                elif result is not None and result.requeue:
                    self.queue.add_rate_limited(key)
                else:
                    self.queue.forget(key)
            finally:
                _current.reset(token)
                news = self.echoes.end(key)  # what changed meanwhile, echoes of its writes left out
                if news is not None:
                    self._queue(key, news)
                self.queue.done(key)

    def _why_cancelled(self, deadline: float | None) -> Callable[[], str | None]:
        """Why a reconcile begun now must stop: past ``deadline``, cancelled, refused by the guard; None: go on."""

        def why() -> str | None:
            if self._cancelled is not None:
                return self._cancelled
            if deadline is not None and time.monotonic() >= deadline:
                return f"its timeout of {self.timeout:g} s passed"
            return self.guard() if self.guard is not None else None

        return why

    def _gate_check(self, why: Callable[[], str | None]) -> Callable[[], None]:
        def check() -> None:
            reason = why()
            if reason is not None:
                raise ReconcileCancelled(f"{self.name}: a reconcile's request refused: {reason}")
        return check

    def _resync_loop(self) -> None:
        assert self.resync is not None
        while not self._stopped.wait(self.resync):
            for key in self.informer.store.keys():
                self.queue.add(key)


def _actionable_change(old: Raw, new: Raw) -> bool:
    """True when a change of the reconciled object is one a reconcile acts on (the DEFAULT predicate)."""
    return DEFAULT.test(None, old, new)
