"""A feed: one list and watch of a kind's objects on a thread of its own, filling a :class:`Store`.

Informers (:mod:`._informer`) read a feed; a session's shared informers — a ``Manager``'s and
``pk.cache``'s — read one feed per (model, namespace, label selector, cluster), found in the
session's :class:`Feeds`. A feed runs while an informer that started on it is not stopped
(reference counted): the last one to stop closes its watch connection, and the feed is never
reused after that (a started informer that finds its feed stopped gets a new one).

The watch's events come as JSON dicts (:meth:`pykorm._session.watch.Watcher.raw_events`): the
feed transforms and stores them as they are; objects are wrapped only when an informer hands
them out. Stopping closes the open watch connection, so the thread ends at once.

Transforms. A feed stores what the loosest of its informers asked to keep. An informer is
handed objects that hold at least what it asked for, never less: one that asked for every field
never sees slimmed objects, one that asked for :func:`slim_managed_fields` may be handed the
whole ``managedFields`` (:func:`keeps_all_of`). A transform outside that chain (a function of
the program's) shares a feed only with informers that asked for that same function.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .._base.drive import run
from .._base.errors import CacheUnavailable, WaitTimeout
from .._http.resource import resource_of
from .._http.transport import shut_down as _shut_down
from .._session import running
from .._session.client import ResourceClient
from .._session.query import Query
from .._session.watch import DEFAULT_SILENCE, Watcher, changes
from ._store import Raw, Store, key_of
from ._compact import Strings
from ._streaming import NotServed, stream_initial
from ._transforms import Transform, keeps_all_of, looser

if TYPE_CHECKING:
    from .._data.stored import Stored
    from .._session.session import Pykorm

__all__ = ["Feed", "Feeds", "Handler", "feeds_of", "log"]

log = logging.getLogger("pykorm.controller")

Handler = Callable[[str, "Raw | None", "Raw | None"], None]
"""A change: ``(type, old, new)``, ``type`` one of ADDED (old None), MODIFIED, DELETED (new: the last state seen)."""

_MAX_PAUSE = 30.0  # seconds between attempts after a failed list or watch


class Feed:
    """The list and watch of ``model``'s objects (in ``namespace``, with the labels of ``selector``) into :attr:`store`.

    See :class:`pykorm.controller.Informer` for the arguments; ``transform`` may be loosened
    (:func:`looser`) until the feed starts.
    """

    def __init__(self, model: type[Stored], session: Pykorm, namespace: str | None, selector: Mapping[str, str],
                 cluster: str | None, silence: float = DEFAULT_SILENCE, transform: Transform | None = None,
                 stream: bool | None = None) -> None:
        self.model = model
        self.session = session
        self.namespace = namespace
        self.selector = dict(selector)
        self.cluster = cluster
        self.silence = silence
        self.transform = transform
        self.stream = stream  # None: stream the first list where the server serves it; False: list
        self.streamed: bool | None = None  # whether the last first list was streamed (None: not made yet)
        self.store = Store()
        query: Query[Any] = Query(model).session(session)
        if namespace is not None:
            query = query.namespace(namespace)
        if self.selector:
            query = query.filter_by_labels(self.selector)
        self.query: Query[Any] = query.using(cluster) if cluster else query
        self.users = 0  # started informers reading the feed and not stopped (it stops when none is left)
        self._handlers: list[Handler] = []
        self._synced = threading.Event()
        self._settled = threading.Event()  # synced, or the thread ended: what wait_synced waits for
        self._stopped = threading.Event()
        self.ended: str | None = None  # why the thread ended on its own (an error), if it did
        self.failing: str | None = None  # the error that broke the last list or watch, until a list succeeds
        self._lock = threading.RLock()
        self._dispatching = threading.RLock()  # a change stored and told, or the objects told to a new handler
        self._thread: threading.Thread | None = None
        self._watcher: Watcher[Any] | None = None
        self._response: Any = None
        self.failures = 0  # lists and watches that failed, since start (a health figure)
        self.on_stop: Callable[[], None] | None = None  # told once when the feed stops (its registry forgets it)

    # -- state -----------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        """True once stopped or its thread ended on an error: nothing keeps the store current."""
        return self._stopped.is_set() or self.ended is not None

    def label(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"the {self.model.__name__} informer{where}"

    def check(self) -> None:
        """Raise unless the store is kept current (see :meth:`pykorm.controller.Informer.check`)."""
        if self.stopped:
            how = f"its thread ended: {self.ended}" if self.ended else "it was stopped (stop(), pk.close(), a manager's shutdown)"
            raise CacheUnavailable(
                f"{self.label()}: {how}, so its objects are no longer kept current. pk.cache(...) and "
                "Model.query....cached() start a new informer; Informer(...).start() does too.")
        failing = self.failing
        if failing is not None:
            raise CacheUnavailable(f"{self.label()}: its list or watch failed ({failing}), so the cache may be "
                                   f"behind; it lists again ({self.failures} failures so far)")
        if not self._synced.is_set():
            raise CacheUnavailable(f"{self.label()}: not synced yet ({'started' if self._thread else 'not started'}, "
                                   f"{self.failures} failures); call wait_synced() first")

    def wait_settled(self, timeout: float | None) -> None:
        """Block until synced or stopped.

        Raises:
            WaitTimeout: neither within ``timeout`` seconds.
        """
        if not self.stopped and not self._settled.wait(timeout):
            raise WaitTimeout(f"{self.label()}: not synced within {timeout} s ({self.failures} failures)", last=None)

    def loosen(self, transform: Transform | None) -> bool:
        """Keep at least what ``transform`` keeps, if the feed has not started; whether it now does."""
        with self._lock:
            if self._thread is not None:
                return False
            found, merged = looser(self.transform, transform)
            if not found:
                return False
            self.transform = merged
            return True

    # -- handlers --------------------------------------------------------------------------

    def add_handler(self, handler: Handler) -> None:
        """Tell ``handler`` of every change; the objects stored already come to it as ADDED, before any change
        (a change made meanwhile waits: told first, it would be undone by an older state told after it)."""
        with self._dispatching:
            with self._lock:
                self._handlers.append(handler)
                current = self.store.items()
            for raw in current:
                self._call(handler, "ADDED", None, raw)

    def remove_handler(self, handler: Handler) -> None:
        with self._lock:
            if handler in self._handlers:
                self._handlers.remove(handler)

    def replace(self, objects: Iterable[Raw]) -> None:
        """Fill the store as a list would (for an informer never started) and count it synced."""
        self._replace(list(objects))
        self._synced.set()
        self._settled.set()

    # -- running ---------------------------------------------------------------------------

    def acquire(self) -> None:
        """One more started informer reads the feed: start it the first time.

        Raises:
            CacheUnavailable: the feed is stopped (an informer then takes a new one).
        """
        with self._lock:
            if self.stopped:
                self.check()
            self.users += 1
            if self._thread is None:
                name = f"informer-{self.model.__name__}" + (f"-{self.namespace}" if self.namespace else "")
                self._thread = threading.Thread(target=self._run, name=name, daemon=True)
                self._thread.start()

    def release(self, timeout: float = 10.0) -> None:
        """A started informer stopped reading: the last one stops the feed."""
        with self._lock:
            self.users -= 1
            last = self.users <= 0
            if last:
                self._stopped.set()  # under the lock: no informer acquires it from now on
        if last:
            self.stop(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching: the open connection is closed, the thread ends (waited for up to ``timeout`` s)."""
        with self._lock:
            self._stopped.set()
            if self._watcher is not None:
                self._watcher.deadline = 0.0  # its loops end at their next check
            self._close_stream()
            thread = self._thread
        self._forgotten()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _forgotten(self) -> None:
        with self._lock:
            told, self.on_stop = self.on_stop, None
        if told is not None:
            told()

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._list_and_watch()
        except BaseException as error:  # noqa: BLE001 - a thread cannot raise: readers are told (check())
            self.ended = f"{type(error).__name__}: {error}"
            log.error("pykorm: %s stopped: %s", self.label(), self.ended)
        finally:
            with self._lock:
                self._close_stream()
            self._settled.set()
            self._forgotten()

    def _list_and_watch(self) -> None:
        failures_in_row = 0
        client = ResourceClient(self.session, resource_of(self.model), self.cluster)
        transform = self.transform  # fixed from the start (loosened only before)
        share = Strings().share

        def keep(raw: Raw) -> Raw:  # what the store holds of an object: compact, transformed
            shared: Raw = share(raw)
            return shared if transform is None else transform(shared)
        while not self._stopped.is_set():
            try:
                plan = run(running.plan(self.query))  # once the cluster said which field selectors it serves: no request
                watcher: Watcher[Any] = Watcher(client, self.model, plan, timeout=None, silence=self.silence)
                watcher.opened = self._opened
                watcher.keep = keep
                with self._lock:
                    if self._stopped.is_set():
                        return
                    self._watcher = watcher
                self._replace(self._initial(client, watcher))
                self.failing = None
                self._synced.set()
                self._settled.set()
                failures_in_row = 0
                for kind, raw in watcher.raw_events():  # kept (compact, transformed) by the watcher
                    self._apply(kind, raw)
            except Exception as error:  # noqa: BLE001 - an informer outlives any one failure
                if self._stopped.is_set():
                    return
                self.failing = f"{type(error).__name__}: {error}"
                self.failures += 1
                failures_in_row += 1
                pause = min(_MAX_PAUSE, 0.5 * 2 ** (failures_in_row - 1))
                log.warning("pykorm: %s informer: %s; listing again in %.1f s", self.model.__name__, error, pause)
                self._stopped.wait(pause)

    def _initial(self, client: ResourceClient, watcher: Watcher[Any]) -> list[Raw]:
        """The objects now, streamed where the server serves it (asked once), else listed; as the watcher keeps them."""
        if self.stream is not False:
            try:
                streamed = stream_initial(client, watcher)  # kept as they arrive
                self.streamed = True
                return streamed
            except NotServed as refused:
                if self.stream:
                    raise CacheUnavailable(f"{self.label()}: the server does not stream lists ({refused})") from refused
                log.info("pykorm: %s: the server does not stream lists (%s); listing", self.label(), refused)
                self.stream = False
        raws = run(watcher.ainitial_raw())
        self.streamed = False
        return raws

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
        (:func:`pykorm._session.watch.changes`: deletions first, then creations and changes by resourceVersion).

        Objects are told apart by key *and* uid: one deleted and created again under its name while the
        feed was not watching is a deletion and a creation, never a change of one object (a controller
        whose predicate sees no difference between the two states would never reconcile the new one)."""
        fresh = {(key_of(raw), _uid(raw)): raw for raw in raws}
        with self._dispatching:
            held = {(key, _uid(raw)): raw for key in self.store.keys() if (raw := self.store.get(key)) is not None}
            for kind, old, new in changes(held, fresh):
                if kind == "DELETED":
                    self.store.remove(key_of(new))
                else:
                    self.store.put(new)
                self._dispatch(kind, old, new)

    def _apply(self, kind: str, raw: Raw) -> None:
        with self._dispatching:
            self._applied(kind, raw)

    def _applied(self, kind: str, raw: Raw) -> None:
        key = key_of(raw)
        held = self.store.get(key)
        if kind == "DELETED":
            if held is not None and _uid(held) != _uid(raw):
                return  # the object of that name now is another one (created again): its deletion is not this
            old = self.store.remove(key)
            self._dispatch("DELETED", old, raw)
            return
        if held is not None and _uid(held) != _uid(raw):  # deleted and created again: never one object's change
            self.store.remove(key)
            self._dispatch("DELETED", held, held)
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


def _uid(raw: Raw) -> str:
    return str((raw.get("metadata") or {}).get("uid") or "")


FeedKey = tuple[Any, ...]


class Feeds:
    """A session's shared feeds, by (model, namespace, label selector, cluster, silence, stream)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._feeds: dict[FeedKey, list[Feed]] = {}

    def pick(self, model: type[Stored], session: Pykorm, namespace: str | None, selector: Mapping[str, str],
             cluster: str | None, silence: float, transform: Transform | None, stream: bool | None,
             current: Feed | None = None) -> Feed:
        """The feed an informer asking for these objects reads: ``current`` while it is not stopped and keeps
        all ``transform`` keeps; else a running one that does; else one not started yet whose transform can
        be loosened to; else a new one."""
        key = (model, namespace, frozenset(selector.items()), cluster, silence, stream)
        with self._lock:
            live = [feed for feed in self._feeds.get(key, ()) if not feed.stopped]
            if current is not None and current in live and keeps_all_of(current.transform, transform):
                return current
            for feed in live:
                if feed.started and keeps_all_of(feed.transform, transform):
                    return feed
            for feed in live:
                if feed.loosen(transform):
                    return feed
            feed = Feed(model, session, namespace, selector, cluster, silence, transform, stream)
            feed.on_stop = lambda: self._forget(key, feed)
            self._feeds[key] = [*live, feed]
            return feed

    def _forget(self, key: FeedKey, feed: Feed) -> None:
        """A stopped feed is never handed out again, nor kept alive (its store) by the registry."""
        with self._lock:
            left = [other for other in self._feeds.get(key, ()) if other is not feed]
            if left:
                self._feeds[key] = left
            else:
                self._feeds.pop(key, None)


def feeds_of(session: Pykorm) -> Feeds:
    """The session's shared feeds (made on first use)."""
    feeds: Feeds = session.__dict__.setdefault("_shared_feeds", Feeds())
    return feeds
