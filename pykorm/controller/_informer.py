"""Informers: a list, then a watch, feeding an in-memory store that controllers and queries read.

    >>> sites = Informer(WebSite, session=pk).start()
    >>> sites.wait_synced(30)
    >>> sites.query.filter(spec__replicas__gte=2).count()      # no request

An informer reads a :class:`~pykorm.controller._feed.Feed`: the watch machinery of
``Query.watch`` (:class:`pykorm._session.watch.Watcher`: one snapshot, then a watch from its
resourceVersion, resumed after a broken connection, relisted after 410 Gone with only the
differences reported, bookmarks asked) run on a thread of its own, keeping every object in a
:class:`Store`. Handlers hear of each change (``ADDED``/``MODIFIED``/``DELETED`` with the object
before and after) on that thread: they must be quick (a controller's only enqueues a key).

Shared informers (``shared=True``: a ``Manager``'s and ``pk.cache``'s) read one feed per
(model, namespace, label selector, cluster) of their session: one list and one watch however
many of them there are. Each informer keeps its own handlers and indexes; stopping one takes its
handlers off and stops the feed only when no other started informer reads it. The feed stores
what the loosest of its informers' transforms keeps (:mod:`._feed`): an informer may be handed
more than its transform keeps, never less.

Stopping closes the open watch connection (of the last informer reading it), so the thread ends at once. A stopped informer (or one whose thread ended on an error it could not ride out) keeps no object current: reading it (``query``, ``get``,
``by_index``) raises :class:`CacheUnavailable`, as does reading it before its first list, or
after a list or watch failed (a watch gave up, access was revoked, an index function raised)
until a new list succeeds. A dropped connection or a 410 is no failure: the watch resumes.
``pk.cache`` and ``query.cached()`` replace a stopped informer with a new one.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Generic, Iterable, Mapping, TypeVar

from .._base.errors import CacheUnavailable, ClientValidationError
from .._http.resource import resource_of
from .._session.query import Query
from .._session.watch import DEFAULT_SILENCE
from ._cached import CachedQuery
from ._feed import Feed, Handler, feeds_of, log
from ._store import IndexFunc, Raw, Store
from ._transforms import Transform

if TYPE_CHECKING:
    from .._data.stored import Stored
    from .._session.session import Pykorm

__all__ = ["Handler", "Informer", "log"]

M = TypeVar("M", bound="Stored")

_BUILT_IN_INDEXES = ("namespace", "owner")


class Informer(Generic[M]):
    """The objects of ``model`` (in ``namespace``, with the labels of ``selector``), kept current in memory.

    Args:
        model: the model class.
        session: the session to list and watch through (the default one when None).
        namespace: only this namespace (None: every namespace, or a cluster-scoped model).
        selector: only objects with these labels.
        cluster: the named cluster of the session.
        silence: seconds without a byte before the watch connection is presumed dead.
        transform: what to keep of each object, applied before it is stored (:mod:`._transforms`,
            e.g. :func:`strip_managed_fields`); None: the object as the server sends it. A shared
            informer may hold more than its transform keeps (never less).
        stream: the first list (and each relist after a failure) as a watch with ``sendInitialEvents``
            (:mod:`._streaming`): None (default) where the server serves it, else a list; True: only
            streamed; False: always a list. :attr:`streamed` tells which the last one was.
        shared: read the session's one list and watch of these objects, with its other shared
            informers (a ``Manager``'s and ``pk.cache``'s are), instead of a list and watch of its own.
    """

    def __init__(
        self,
        model: type[M],
        *,
        session: Pykorm | None = None,
        namespace: str | None = None,
        selector: Mapping[str, str] | None = None,
        cluster: str | None = None,
        silence: float = DEFAULT_SILENCE,
        transform: Transform | None = None,
        stream: bool | None = None,
        shared: bool = False,
    ) -> None:
        from .._session.session import default_session

        self.model = model
        self.session = session or default_session()
        self.namespace = namespace
        self.selector = dict(selector or {})
        self.cluster = cluster
        self.silence = silence
        self.transform = transform
        self._stream = stream
        self.shared = shared
        self._lock = threading.Lock()
        self._handlers: list[Handler] = []
        self._indexes: dict[str, tuple[str, IndexFunc]] = {}  # name -> (the store's name for it, function)
        self._started = False
        self._stopped = False
        self._feed: Feed = self._pick(None)
        self._query: Query[M] = self._feed.query

    def _pick(self, current: Feed | None) -> Feed:
        if not self.shared:
            return current if current is not None else Feed(
                self.model, self.session, self.namespace, self.selector, self.cluster, self.silence, self.transform,
                self._stream)
        return feeds_of(self.session).pick(self.model, self.session, self.namespace, self.selector, self.cluster,
                                           self.silence, self.transform, self._stream, current)

    # -- reading ---------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The objects (JSON dicts, not to be changed), by key, with indexes: the feed's, shared with the
        session's other informers of these objects when :attr:`shared`."""
        return self._feed.store

    @property
    def query(self) -> CachedQuery[M]:
        """A query on the cached objects: ``informer.query.filter(...)`` as ``Model.query.filter(...)``.

        Running it raises :class:`CacheUnavailable` once the informer is stopped (see :meth:`check`).
        """
        return CachedQuery(self._query, self.store, self.cluster, informer=self)

    def cached(self, query: Query[M]) -> CachedQuery[M]:
        """``query`` run on this cache: its namespaces and filters, within what the informer holds.

        Running it raises :class:`ClientValidationError` when the query asks for more than the informer
        holds: a namespace it does not watch, or objects without its selector's labels (the query must
        ask for them: ``filter_by_labels``); an answer would silently leave those out.
        """
        return CachedQuery(query, self.store, self.cluster, informer=self)

    def get(self, name: str, namespace: str | None = None) -> M | None:
        """The cached object (a copy, made on first use: see :meth:`Stored._from_store`), or None.

        ``namespace`` defaults to the informer's (a namespaced model's informer of every namespace
        needs one). None means the object is not on the server as far as the cache knows — never that
        the cache does not hold that namespace: asking for one it does not hold raises.

        Raises:
            CacheUnavailable: the informer is not synced yet, or stopped (see :meth:`check`).
            ClientValidationError: a namespaced model without a namespace (an informer of every namespace),
                a namespace the informer does not hold, or a namespace for a cluster-scoped model.
        """
        self.check()
        raw = self.store.get(self._key(name, namespace))
        return None if raw is None else self.model._from_store(raw, self.cluster, self.session)

    def _key(self, name: str, namespace: str | None) -> str:
        """The store's key of ``name`` in ``namespace`` (default the informer's), refusing what it cannot hold."""
        what = f"{self.model.__name__} informer get({name!r})"
        if not resource_of(self.model).namespaced:
            if namespace:
                raise ClientValidationError(f"{what}: {self.model.__name__} is cluster-scoped, not in a namespace "
                                            f"({namespace!r})")
            return name
        if namespace is None:
            namespace = self.namespace
            if namespace is None:
                raise ClientValidationError(f"{what}: {self.model.__name__} is namespaced and the informer holds "
                                            "every namespace: say which")
        elif self.namespace is not None and namespace != self.namespace:
            raise ClientValidationError(f"{what}: the informer holds namespace {self.namespace!r} only, not "
                                        f"{namespace!r} (a None answer would be a guess)")
        return f"{namespace}/{name}"

    def by_index(self, index: str, value: str) -> list[M]:
        """The cached objects (copies, made on first use) that index ``index`` (``namespace``, ``owner`` or added ones) gives ``value``.

        Raises:
            CacheUnavailable: the informer is not synced yet, or stopped (see :meth:`check`).
            KeyError: no such index.
            ClientValidationError: the ``namespace`` index asked for a namespace the informer does not hold.
        """
        self.check()
        wrap, cluster, session = self.model._from_store, self.cluster, self.session
        return [wrap(raw, cluster, session) for raw in self.raw_by_index(index, value)]

    def raw_by_index(self, index: str, value: str) -> list[Raw]:
        """The stored JSON (not to be changed) that index ``index`` gives ``value``.

        Raises:
            KeyError: no such index (the message lists them).
            ClientValidationError: the ``namespace`` index asked for a namespace the informer does not hold.
        """
        if index == "namespace" and self.namespace is not None and value != self.namespace:
            raise ClientValidationError(f"{self.model.__name__} informer by_index('namespace', {value!r}): the informer "
                                        f"holds namespace {self.namespace!r} only (an empty answer would be a guess)")
        if index in _BUILT_IN_INDEXES:
            return self.store.by_index(index, value)
        found = self._indexes.get(index)
        if found is None:
            raise KeyError(f"no index {index!r}; indexes are: {', '.join(sorted([*_BUILT_IN_INDEXES, *self._indexes]))}")
        return self.store.by_index(found[0], value)

    def check(self) -> None:
        """Raise unless the cache is kept current: synced, not stopped, its thread running, its watch not failed.

        Raises:
            CacheUnavailable: saying which, and what to do.
        """
        if self._stopped:
            raise CacheUnavailable(
                f"{self._feed.label()}: it was stopped (stop(), pk.close(), a manager's shutdown), so its objects "
                "are no longer kept current. pk.cache(...) and Model.query....cached() start a new informer; "
                "Informer(...).start() does too.")
        self._feed.check()

    def add_index(self, name: str, function: IndexFunc) -> None:
        """Index the objects by ``function(raw_json)`` (see :meth:`Store.add_index`); the index is this informer's
        (another informer sharing its objects may use the name for another function).

        Raises:
            ValueError: ``name`` indexes with another function already, or is a built-in index.
        """
        with self._lock:
            if name in _BUILT_IN_INDEXES or (name in self._indexes and self._indexes[name][1] is not function):
                raise ValueError(f"index {name!r} exists already, with another function")
            if name in self._indexes:
                return
            stored = f"{name}@{id(self):x}" if self.shared else name
            self._indexes[name] = (stored, function)
            self._feed.store.add_index(stored, function)

    def replace(self, objects: Iterable[Raw]) -> Informer[M]:
        """Fill the cache with ``objects`` (JSON dicts) as a list from the server would, and count it synced:
        for testing a controller offline, with an informer that is never started. Handlers hear of the
        differences. Returns the informer.

        Raises:
            ValueError: the informer was started (its list and watch own the store), or shares its objects
                with an informer that was.
        """
        if self._started or self._stopped or self._feed.started:
            raise ValueError(f"{self._feed.label()} was started: its list and watch fill the cache, not replace()")
        self._feed.replace(objects)
        return self

    # -- running ---------------------------------------------------------------------------

    def add_handler(self, handler: Handler) -> None:
        """Tell ``handler`` of every change; the objects cached already come to it as ADDED."""
        with self._lock:
            self._handlers.append(handler)
            feed = self._feed
        feed.add_handler(handler)

    def start(self) -> Informer[M]:
        """Start listing and watching on a thread of its own (once; a shared informer reads the running
        list and watch of its objects if there is one); returns the informer.

        Raises:
            CacheUnavailable: the informer was stopped (an informer runs once: make a new one).
        """
        if self._stopped:
            self.check()
        with self._lock:
            if self._started:
                return self
            old = self._feed
            if self.shared:
                self._feed = self._pick(old)
                self._query = self._feed.query
            if self._feed is not old:
                self._move(old, self._feed)
            for _ in range(3):  # a shared feed may stop between picking and acquiring it: pick again
                try:
                    self._feed.acquire()
                    break
                except CacheUnavailable:
                    if not self.shared:
                        raise
                    old, self._feed = self._feed, self._pick(None)
                    self._query = self._feed.query
                    self._move(old, self._feed)
            else:
                self._feed.acquire()
            self._started = True
        return self

    def _move(self, old: Feed, new: Feed) -> None:
        """Take this informer's handlers and indexes from ``old`` (stopped, or not the one to read) to ``new``."""
        for handler in self._handlers:
            old.remove_handler(handler)
        for stored, function in self._indexes.values():
            new.store.add_index(stored, function)
        for handler in self._handlers:
            new.add_handler(handler)

    @property
    def synced(self) -> bool:
        """True once the first list is in the store."""
        return self._feed.synced

    @property
    def stream(self) -> bool | None:
        """Whether first lists are streamed: None where the server serves it (False once it said it does not)."""
        return self._feed.stream

    @property
    def streamed(self) -> bool | None:
        """Whether the last first list was streamed (None: not made yet)."""
        return self._feed.streamed

    @property
    def failures(self) -> int:
        """Lists and watches that failed, since start (a health figure)."""
        return self._feed.failures

    def wait_synced(self, timeout: float | None = None) -> Informer[M]:
        """Block until the first list is in the store; returns the informer.

        Raises:
            WaitTimeout: not synced within ``timeout`` seconds (the server unreachable, the kind not served...).
            CacheUnavailable: the informer stopped, or its thread ended on an error.
        """
        if not self.stopped:
            self._feed.wait_settled(timeout)
        if self.stopped:
            self.check()  # raises, saying why
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop: this informer's handlers hear no more; the watch connection is closed and the thread ends
        (waited for up to ``timeout`` s) unless another started shared informer reads them."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            started, feed = self._started, self._feed
        for handler in self._handlers:
            feed.remove_handler(handler)
        if started:
            feed.release(timeout)
        elif not self.shared:
            feed.stop(timeout)

    @property
    def alive(self) -> bool:
        """True while the informer is started, not stopped, and its thread runs."""
        return self._started and not self._stopped and self._feed.alive

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called or the thread ended on an error: nothing keeps the cache current."""
        return self._stopped or (self._started and self._feed.stopped) or (not self.shared and self._feed.stopped)

    def __enter__(self) -> Informer[M]:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
