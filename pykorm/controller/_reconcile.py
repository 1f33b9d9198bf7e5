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

A reconcile that raises is logged with its key and retried after the key's backoff
(5 ms doubling up to 1000 s); returning ``Result(requeue_after=s)`` calls it again in
``s`` seconds; ``Result(requeue=True)`` retries with backoff without an error.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from typing import TYPE_CHECKING, Callable, Generic, Iterable, TypeVar

from .._base.receipts import receipts
from .._http.resource import resource_of
from ._echoes import Echoes
from ._informer import Informer, log
from ._queue import WorkQueue
from ._store import Raw, key_of

if TYPE_CHECKING:
    from ..models._model import Model

__all__ = ["Controller", "Reconciler", "Request", "Result"]

M = TypeVar("M", bound="Model")


@dataclasses.dataclass(frozen=True)
class Request(Generic[M]):
    """What to reconcile: the object ``namespace/name`` of ``model`` (it may be gone)."""

    namespace: str | None
    name: str
    model: type[M] = dataclasses.field(compare=False, repr=False)
    informer: Informer[M] = dataclasses.field(compare=False, repr=False)

    @property
    def key(self) -> str:
        """``namespace/name`` (``name`` for a cluster-scoped object)."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def get(self) -> M | None:
        """The newest cached object (a copy, to change and save), or None when it is gone."""
        return self.informer.get(self.name, self.namespace)


@dataclasses.dataclass(frozen=True)
class Result:
    """What a reconcile asks for next: nothing (the default), ``requeue`` with backoff, or a call in ``requeue_after`` s."""

    requeue: bool = False
    requeue_after: float | None = None


Reconciler = Callable[[Request[M]], "Result | None"]
"""A reconcile function: ``reconcile(request) -> Result | None``."""


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
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if resync is not None and resync <= 0:
            raise ValueError(f"resync must be positive seconds or None, not {resync!r}")
        self.name = name
        self.reconcile = reconcile
        self.informer = informer
        self.owned = list(owned)
        self.workers = workers
        self.resync = resync
        self.owned_delay = owned_delay
        self.echoes = Echoes()
        self.queue: WorkQueue[str] = WorkQueue()
        self.reconciles: collections.Counter[str] = collections.Counter()  # calls per key (a figure to watch)
        self.failures: collections.Counter[str] = collections.Counter()  # reconciles that raised, per key
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        resource = resource_of(informer.model)
        self._owner_kind = (resource.group, resource.kind)
        informer.add_handler(self._on_primary)
        for other in self.owned:
            other.add_handler(self._on_owned)

    # -- events → keys -----------------------------------------------------------------

    def _on_primary(self, kind: str, old: Raw | None, new: Raw | None) -> None:
        raw = new or old or {}
        metadata = raw.get("metadata") or {}
        uid, version = metadata.get("uid"), metadata.get("resourceVersion")
        if kind == "DELETED":
            self.echoes.forget(uid)
            self.queue.add(key_of(raw))
        elif kind == "MODIFIED" and old is not None and new is not None and not _actionable_change(old, new):
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
        owners = [key for key in keys if key is not None]
        if kind == "DELETED":
            self.echoes.forget(metadata.get("uid"))
        else:
            owners = self.echoes.news(owners, metadata.get("uid"), metadata.get("resourceVersion"), self.owned_delay)
        for key in owners:
            self._queue(key, self.owned_delay)

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
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"{self.name}-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.resync is not None:
            thread = threading.Thread(target=self._resync_loop, name=f"{self.name}-resync", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float | None = None) -> None:
        """Hand out no more keys; wait (up to ``timeout`` s) for the reconciles in flight to finish."""
        self._stopped.set()
        self.queue.shutdown()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def _work(self) -> None:
        namespaced = resource_of(self.informer.model).namespaced
        while True:
            key = self.queue.get()
            if key is None:
                return
            namespace, _, name = key.rpartition("/") if namespaced else ("", "", key)
            request = Request(namespace or None, name, self.informer.model, self.informer)
            self.reconciles[key] += 1
            self.echoes.begin(key)
            try:
                with receipts(self.echoes.wrote):
                    result = self.reconcile(request)
            except Exception:  # noqa: BLE001 - logged with its key, retried with backoff
                self.failures[key] += 1
                retries = self.queue.limiter.retries(key)
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
                news = self.echoes.end(key)  # what changed meanwhile, echoes of its writes left out
                if news is not None:
                    self._queue(key, news)
                self.queue.done(key)

    def _resync_loop(self) -> None:
        assert self.resync is not None
        while not self._stopped.wait(self.resync):
            for key in self.informer.store.keys():
                self.queue.add(key)


def _actionable_change(old: Raw, new: Raw) -> bool:
    """True when a change of the reconciled object is one a reconcile acts on (not status alone)."""
    before, after = old.get("metadata") or {}, new.get("metadata") or {}
    if before.get("generation") is None or after.get("generation") is None:  # a kind without generations
        return {k: v for k, v in old.items() if k != "metadata"} != {k: v for k, v in new.items() if k != "metadata"} or any(
            before.get(f) != after.get(f) for f in _WATCHED_METADATA)
    return any(before.get(f) != after.get(f) for f in ("generation", *_WATCHED_METADATA))


_WATCHED_METADATA = ("labels", "annotations", "finalizers", "deletionTimestamp")
