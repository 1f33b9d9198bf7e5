"""Informers: a list, then a watch, feeding an in-memory store that controllers and queries read.

    >>> sites = Informer(WebSite, session=pk).start()
    >>> sites.wait_synced(30)
    >>> sites.query.filter(spec__replicas__gte=2).count()      # no request

An informer is the watch machinery of ``Query.watch`` (:class:`pykorm._session.watch.Watcher`:
one snapshot, then a watch from its resourceVersion, resumed after a broken connection,
relisted after 410 Gone with only the differences reported, bookmarks asked) run on a
thread of its own, keeping every object in a :class:`Store`. Handlers hear of each change
(``ADDED``/``MODIFIED``/``DELETED`` with the object before and after) on that thread: they
must be quick (a controller's only enqueues a key).

Stopping closes the open watch connection, so the thread ends at once instead of at the
next event or after the read timeout. A stopped informer (or one whose thread ended on an
error it could not ride out) keeps no object current: reading it (``query``, ``get``,
``by_index``) raises :class:`CacheUnavailable`, as does reading it before its first list, or
after a list or watch failed (a watch gave up, access was revoked, an index function raised)
until a new list succeeds. A dropped connection or a 410 is no failure: the watch resumes.
``pk.cache`` and ``query.cached()`` replace a stopped informer with a new one.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Mapping, TypeVar

from .._base.drive import run
from .._session.client import ResourceClient
from .._session.query import Query
from .._base.errors import CacheUnavailable, WaitTimeout
from .._http.resource import resource_of
from .._http.transport import shut_down as _shut_down
from .._data.tracking import json_copy
from .._session.watch import DEFAULT_SILENCE, Watcher, changes
from ._cached import CachedQuery
from ._store import IndexFunc, Raw, Store, key_of
from ._streaming import NotServed, stream_initial
from ._transforms import Transform

if TYPE_CHECKING:
    from .._data.stored import Stored
    from ..models._model import Model
    from .._session.session import Pykorm

__all__ = ["Handler", "Informer", "log"]

log = logging.getLogger("pykorm.controller")

M = TypeVar("M", bound="Stored")

Handler = Callable[[str, "Raw | None", "Raw | None"], None]
"""A change: ``(type, old, new)``, ``type`` one of ADDED (old None), MODIFIED, DELETED (new: the last state seen)."""

_MAX_PAUSE = 30.0  # seconds between attempts after a failed list or watch


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
            e.g. :func:`strip_managed_fields`); None: the object as the server sends it.
        stream: the first list (and each relist after a failure) as a watch with ``sendInitialEvents``
            (:mod:`._streaming`): None (default) where the server serves it, else a list; True: only
            streamed; False: always a list. :attr:`streamed` tells which the last one was.
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
    ) -> None:
        from .._session.session import default_session

        self.model = model
        self.session = session or default_session()
        self.namespace = namespace
        self.selector = dict(selector or {})
        self.cluster = cluster
        self.silence = silence
        self.transform = transform
        self.stream = stream  # None: stream the first list where the server serves it; False: list
        self.streamed: bool | None = None  # whether the last first list was streamed (None: not made yet)
        self.store = Store()
        query = Query(model).session(self.session)
        if namespace is not None:
            query = query.namespace(namespace)
        if self.selector:
            query = query.filter_by_labels(self.selector)
        self._query: Query[M] = query.using(cluster) if cluster else query
        self._handlers: list[Handler] = []
        self._synced = threading.Event()
        self._settled = threading.Event()  # synced, or the thread ended: what wait_synced waits for
        self._stopped = threading.Event()
        self._ended: str | None = None  # why the thread ended on its own (an error), if it did
        self._failing: str | None = None  # the error that broke the last list or watch, until a list succeeds
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._watcher: Watcher[M] | None = None
        self._response: Any = None
        self.failures = 0  # lists and watches that failed, since start (a health figure)

    # -- reading ---------------------------------------------------------------------------

    @property
    def query(self) -> CachedQuery[M]:
        """A query on the cached objects: ``informer.query.filter(...)`` as ``Model.query.filter(...)``.

        Running it raises :class:`CacheUnavailable` once the informer is stopped (see :meth:`check`).
        """
        return CachedQuery(self._query, self.store, self.cluster, informer=self)

    def cached(self, query: Query[M]) -> CachedQuery[M]:
        """``query`` run on this cache (its namespaces and filters; the informer's own narrow what is there)."""
        return CachedQuery(query, self.store, self.cluster, informer=self)

    def get(self, name: str, namespace: str | None = None) -> M | None:
        """The cached object (a copy), or None.

        Raises:
            CacheUnavailable: the informer is not synced yet, or stopped (see :meth:`check`).
        """
        self.check()
        raw = self.store.get(f"{namespace}/{name}" if namespace else name)
        return None if raw is None else self.model._from_server(json_copy(raw), self.cluster, self.session)

    def by_index(self, index: str, value: str) -> list[M]:
        """The cached objects (copies) that index ``index`` (``namespace``, ``owner`` or added ones) gives ``value``.

        Raises:
            CacheUnavailable: the informer is not synced yet, or stopped (see :meth:`check`).
        """
        self.check()
        return [self.model._from_server(json_copy(raw), self.cluster, self.session) for raw in self.store.by_index(index, value)]

    def check(self) -> None:
        """Raise unless the cache is kept current: synced, not stopped, its thread running, its watch not failed.

        Raises:
            CacheUnavailable: saying which, and what to do.
        """
        if self.stopped:
            how = f"its thread ended: {self._ended}" if self._ended else "it was stopped (stop(), pk.close(), a manager's shutdown)"
            raise CacheUnavailable(
                f"{self._label()}: {how}, so its objects are no longer kept current. pk.cache(...) and "
                "Model.query....cached() start a new informer; Informer(...).start() does too.")
        failing = self._failing
        if failing is not None:
            raise CacheUnavailable(f"{self._label()}: its list or watch failed ({failing}), so the cache may be "
                                   f"behind; it lists again ({self.failures} failures so far)")
        if not self._synced.is_set():
            raise CacheUnavailable(f"{self._label()}: not synced yet ({'started' if self._thread else 'not started'}, "
                                   f"{self.failures} failures); call wait_synced() first")

    def add_index(self, name: str, function: IndexFunc) -> None:
        """Index the objects by ``function(raw_json)`` (see :meth:`Store.add_index`)."""
        self.store.add_index(name, function)

    def replace(self, objects: Iterable[Raw]) -> Informer[M]:
        """Fill the cache with ``objects`` (JSON dicts) as a list from the server would, and count it synced:
        for testing a controller offline, with an informer that is never started. Handlers hear of the
        differences. Returns the informer.

        Raises:
            ValueError: the informer was started (its list and watch own the store).
        """
        if self._thread is not None or self.stopped:
            raise ValueError(f"{self._label()} was started: its list and watch fill the cache, not replace()")
        self._replace(list(objects))
        self._synced.set()
        self._settled.set()
        return self

    # -- running ---------------------------------------------------------------------------

    def add_handler(self, handler: Handler) -> None:
        """Tell ``handler`` of every change; the objects cached already come to it as ADDED."""
        with self._lock:
            self._handlers.append(handler)
            current = self.store.items()
        for raw in current:
            self._call(handler, "ADDED", None, raw)

    def start(self) -> Informer[M]:
        """Start listing and watching on a thread of its own (once); returns the informer.

        Raises:
            CacheUnavailable: the informer was stopped (an informer runs once: make a new one).
        """
        if self.stopped:
            self.check()
        with self._lock:
            if self._thread is None:
                name = f"informer-{self.model.__name__}" + (f"-{self.namespace}" if self.namespace else "")
                self._thread = threading.Thread(target=self._run, name=name, daemon=True)
                self._thread.start()
        return self

    @property
    def synced(self) -> bool:
        """True once the first list is in the store."""
        return self._synced.is_set()

    def wait_synced(self, timeout: float | None = None) -> Informer[M]:
        """Block until the first list is in the store; returns the informer.

        Raises:
            WaitTimeout: not synced within ``timeout`` seconds (the server unreachable, the kind not served...).
            CacheUnavailable: the informer stopped, or its thread ended on an error.
        """
        if not self.stopped and not self._settled.wait(timeout):
            raise WaitTimeout(f"{self._label()}: not synced within {timeout} s ({self.failures} failures)", last=None)
        if self.stopped:
            self.check()  # raises, saying why
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching: the open connection is closed, the thread ends (waited for up to ``timeout`` s)."""
        with self._lock:
            self._stopped.set()
            if self._watcher is not None:
                self._watcher.deadline = 0.0  # its loops end at their next check
            self._close_stream()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def alive(self) -> bool:
        """True while the informer's thread runs."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called or the thread ended on an error: nothing keeps the cache current."""
        return self._stopped.is_set() or self._ended is not None

    def _label(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"the {self.model.__name__} informer{where}"

    def __enter__(self) -> Informer[M]:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._list_and_watch()
        except BaseException as error:  # noqa: BLE001 - a thread cannot raise: readers are told (check())
            self._ended = f"{type(error).__name__}: {error}"
            log.error("pykorm: %s stopped: %s", self._label(), self._ended)
        finally:
            with self._lock:
                self._close_stream()
            self._settled.set()

    def _list_and_watch(self) -> None:
        failures_in_row = 0
        client = ResourceClient(self.session, resource_of(self.model), self.cluster)
        while not self._stopped.is_set():
            try:
                plan = run(self._query._plan())  # once the cluster said which field selectors it serves: no request
                watcher = Watcher(client, self.model, plan, timeout=None, silence=self.silence)
                watcher.opened = self._opened
                with self._lock:
                    if self._stopped.is_set():
                        return
                    self._watcher = watcher
                self._replace(self._initial(client, watcher))
                self._failing = None
                self._synced.set()
                self._settled.set()
                failures_in_row = 0
                for event in watcher.events():
                    raw = event.obj._raw
                    self._apply(event.type, raw if self.transform is None else self.transform(raw))
            except Exception as error:  # noqa: BLE001 - an informer outlives any one failure
                if self._stopped.is_set():
                    return
                self._failing = f"{type(error).__name__}: {error}"
                self.failures += 1
                failures_in_row += 1
                pause = min(_MAX_PAUSE, 0.5 * 2 ** (failures_in_row - 1))
                log.warning("pykorm: %s informer: %s; listing again in %.1f s", self.model.__name__, error, pause)
                self._stopped.wait(pause)

    def _initial(self, client: ResourceClient, watcher: Watcher[M]) -> list[Raw]:
        """The objects now, streamed where the server serves it (asked once), else listed; transformed."""
        if self.stream is not False:
            try:
                streamed = stream_initial(client, watcher, self.transform)  # transformed as they arrive
                self.streamed = True
                return streamed
            except NotServed as refused:
                if self.stream:
                    raise CacheUnavailable(f"{self._label()}: the server does not stream lists ({refused})") from refused
                log.info("pykorm: %s: the server does not stream lists (%s); listing", self._label(), refused)
                self.stream = False
        raws = [obj._raw for obj in watcher.initial()]
        self.streamed = False
        return raws if self.transform is None else [self.transform(raw) for raw in raws]

    def _opened(self, response: Any) -> None:
        with self._lock:
            self._response = response
            if self._stopped.is_set():
                self._close_stream()

    def _close_stream(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            try:
                _shut_down(response)
            except Exception:  # noqa: BLE001 - closing an already broken connection
                pass

    def _replace(self, raws: list[Raw]) -> None:
        """A new list: store it, and report what differs from the store, in the server's order
        (:func:`pykorm._session.watch.changes`: deletions first, then creations and changes by resourceVersion)."""
        fresh = {key_of(raw): raw for raw in raws}
        held = {key: raw for key in self.store.keys() if (raw := self.store.get(key)) is not None}
        for kind, old, new in changes(held, fresh):
            if kind == "DELETED":
                self.store.remove(key_of(new))
            else:
                self.store.put(new)
            self._dispatch(kind, old, new)

    def _apply(self, kind: str, raw: Raw) -> None:
        if kind == "DELETED":
            old = self.store.remove(key_of(raw))
            self._dispatch("DELETED", old, raw)
            return
        old = self.store.put(raw)
        self._dispatch("ADDED" if old is None else "MODIFIED", old, raw)

    def _dispatch(self, kind: str, old: Raw | None, new: Raw | None) -> None:
        for handler in list(self._handlers):
            self._call(handler, kind, old, new)

    def _call(self, handler: Handler, kind: str, old: Raw | None, new: Raw | None) -> None:
        try:
            handler(kind, old, new)
        except Exception:  # noqa: BLE001 - one handler's bug must not stop the cache
            log.exception("pykorm: %s informer: a handler failed on %s %s", self.model.__name__, kind,
                          key_of(new or old or {}))
