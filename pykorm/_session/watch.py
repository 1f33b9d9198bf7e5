"""Watching a query: typed events that survive dropped connections, restarts and expired resourceVersions.

The watcher lists once (one snapshot: :mod:`pykorm._session.pager`), then watches from the
list's resourceVersion. It keeps the objects that match, so that it can
- resume after a broken connection from the last resourceVersion seen,
- relist after 410 Gone and report only the differences (no duplicates, nothing lost),
- report an object leaving or entering a Python-side filter as DELETED or ADDED.

Liveness. A connection can die without a sign (no FIN, no RST: a NAT or load
balancer forgot it, a peer froze). Three things keep a watch alive:
- the server ends each stream after ``timeoutSeconds``, drawn between 5 and 10 min
  as client-go's reflector does, so that watchers reconnect spread out in time;
- bookmarks (requested) carry the current resourceVersion, when it moved on, about
  once a minute and 2 s before the server's timeout;
- no byte for ``silence`` seconds (default 45, what client-go's HTTP/2 health check
  takes) means the connection is presumed dead: the watcher reconnects at once from
  the last resourceVersion. A quiet stream is silent a minute or more, so after a
  silence the next streams ask a server timeout shorter than ``silence``: the server
  closes them first (after a bookmark, if other objects of the kind changed, which
  keeps the resourceVersion fresh). A stream that delivers events again gets long
  timeouts back.
Failures in a row are retried with growing, jittered waits; after 5 min without
any answer the last error is raised.

Deadlines. A watch with a timeout passes its deadline to every request it makes (lists,
streams and their retries: :mod:`pykorm._http.retry`), so that it ends at its deadline whatever
the server does, and rides out an unreachable server until then: its first list too (a
watch that could not list at all raises ``ServerUnavailable`` at its deadline). Without a
timeout, the first list fails as any call does.

Order. Events come in the server's order: a resumed stream goes on from the last
resourceVersion seen. After 410 Gone the watcher lists again and reports the differences
(:func:`changes`): first the objects deleted meanwhile (each deletion happened before
the list was taken, and before anything after it), then the creations and changes in
resourceVersion order — so a consumer that stops at the last object written has seen
every deletion made before it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import time
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Generic, Hashable, Iterator, Mapping, TypeVar

from .._base.drive import iterate, run
from .._base.errors import Gone, ServerUnavailable, StreamSilent, WaitTimeout
from .._select.conditions import Leaf, Node
from .._select.ordering import list_key
from .pager import Pager
from .._http.retry import RetryPolicy, log, seconds
from .._http.transport import error_from_status

if TYPE_CHECKING:
    from .client import ResourceClient
    from .._data.stored import Stored
    from .._select.plan import Plan

__all__ = ["DEFAULT_SILENCE", "WatchEvent", "Watcher", "changes", "unreachable", "wait_until", "watch"]

M = TypeVar("M", bound="Stored")
K = TypeVar("K", bound=Hashable)
Raw = dict[str, Any]

DEFAULT_SILENCE = 45.0  # seconds without a byte before a stream is presumed dead
_MAX_OUTAGE_SECONDS = 300.0
_SERVER_END_MARGIN = 0.5  # seconds between a watch's timeoutSeconds and its end as the client sees it, at most
_SERVER_TIMEOUT = (300.0, 600.0)  # seconds: client-go's reflector asks minWatchTimeout (5 min) times [1, 2)
_PAGE_SIZE = 500
_RECONNECT = RetryPolicy(backoff=0.5, max_backoff=10.0)  # waits between failed streams in a row


@dataclasses.dataclass(frozen=True)
class WatchEvent(Generic[M]):
    """A change: ``type`` is ``ADDED``, ``MODIFIED`` or ``DELETED``; unpacks as ``(type, obj)``."""

    type: str
    obj: M

    def __iter__(self) -> Iterator[Any]:
        yield self.type
        yield self.obj


class Watcher(Generic[M]):
    """The machinery behind ``Query.watch``: the matching objects now, then their changes."""

    def __init__(
        self, client: ResourceClient, model: type[M], plan: Plan, timeout: float | None, silence: float = DEFAULT_SILENCE
    ) -> None:
        for name, value in (("timeout", timeout), ("silence", silence)):
            if value is not None:
                seconds(value, name)
        if silence is None or silence <= 0:
            raise ValueError(f"silence must be positive, not {silence!r}")
        self.client = client
        self.model = model
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.silence = silence
        self.quiet = False  # a stream went silent: ask the server to close the next ones before `silence`
        self.empty = plan.empty
        resource = client.resource
        namespaces = plan.namespaces
        # One stream: a single namespace's path, else all namespaces with the rest checked here.
        self.path = resource.path(namespaces[0] if namespaces is not None and len(namespaces) == 1 else None)
        self.namespaces = set(namespaces) if namespaces is not None and len(namespaces) > 1 else None
        fields = list(plan.field_terms)
        self.names: set[str] | None = None
        if plan.names is not None:
            if len(plan.names) == 1:
                fields.insert(0, ("metadata.name", "=", (plan.names[0],)))
            else:
                self.names = set(plan.names)
        plan = dataclasses.replace(plan, field_terms=tuple(fields))
        self.params = {"labelSelector": plan.label_selector, "fieldSelector": plan.field_selector}
        self.python: Node | Leaf | None = plan.python
        self.known: dict[str, dict[str, Any]] = {}  # uid -> raw, the objects that match now
        self.version = ""
        self.opened: Callable[[Any], object] | None = None  # told of each stream opened (to close it from elsewhere)
        self.last_error: ServerUnavailable | None = None  # why the last stream failed, while no line came since
        self.keep: Callable[[Raw], Raw] | None = None
        """What the watcher keeps (and reports) of each matching object listed or changed: an informer's
        compaction and transform; None: the object as decoded."""
        self._cut_by_deadline = False  # the last stream's read timeout is the time left, shorter than its silence

    # -- public ------------------------------------------------------------------------

    def initial(self) -> list[M]:
        """List the matching objects now (and remember them); the events start after this list."""
        return run(self.ainitial())

    def events(self) -> Iterator[WatchEvent[M]]:
        """The changes after :meth:`initial`, until the deadline."""
        return iterate(self.aevents())

    def raw_events(self) -> Iterator[tuple[str, Raw]]:
        """:meth:`events` as ``(type, JSON dict)``, nothing wrapped (an informer stores the dicts)."""
        return iterate(self.araw_events())

    async def ainitial(self) -> list[M]:
        """:meth:`initial`, as a coroutine (the one implementation: see :mod:`pykorm._base.drive`).

        With a deadline, a server that cannot be reached is tried again until then (then
        ``ServerUnavailable``); without one, the list fails as any call does.
        """
        return [self._hydrate(raw) for raw in await self.ainitial_raw()]

    async def ainitial_raw(self) -> list[Raw]:
        """:meth:`ainitial` as the JSON dicts (remembered by the watcher, not copied)."""
        if self.empty:
            return []
        failures = 0
        while True:
            try:
                self.known = await self._list()
                break
            except ServerUnavailable as error:
                if self.deadline is None or self._expired():
                    raise
                self.last_error = error
                failures += 1
                await self.client.session._sleep(self._remaining(_RECONNECT.delay(failures, None)))
        self.last_error = None
        return list(self.known.values())

    async def aevents(self) -> AsyncGenerator[WatchEvent[M], None]:
        """:meth:`events`, as an async generator."""
        async with contextlib.aclosing(self.araw_events()) as events:
            async for kind, raw in events:
                yield WatchEvent(kind, self._hydrate(raw))

    async def araw_events(self) -> AsyncGenerator[tuple[str, Raw], None]:
        """:meth:`raw_events`, as an async generator (the one implementation of the events)."""
        if self.empty:
            return
        failures = 0  # streams and lists in a row that failed without delivering a line
        outage_since = 0.0
        relist = False  # the last stream said 410 Gone: list again before watching
        while not self._expired():
            try:
                if relist:
                    for change in self._relist(await self._list()):
                        yield change
                    relist, self.last_error = False, None
                    if self._expired():
                        return
                async with contextlib.aclosing(self._stream()) as stream:
                    async for event in stream:
                        failures, self.last_error = 0, None
                        for change in self._apply(event):
                            yield change
                        if self._expired():
                            return
                failures = 0  # the server ended the stream at its timeout
                continue
            except Gone as error:
                if not relist:
                    relist = True  # the resourceVersion is forgotten: list again at once
                    continue
                failure: Exception = error  # the list itself expired: wait before the next
            except StreamSilent as error:
                if self._expired() and self._cut_by_deadline:
                    self.last_error = None  # the server answered: the read timeout was the deadline's, no silence
                    return
                self.last_error = failure = error
            except ServerUnavailable as error:
                self.last_error = failure = error
            if self._expired():
                return  # the last request waited until the deadline
            now = time.monotonic()
            failures += 1
            if failures == 1:
                outage_since = now
            elif now - outage_since > _MAX_OUTAGE_SECONDS:
                raise failure
            self.quiet = True
            wait = 0.0 if failures == 1 else _RECONNECT.delay(failures - 1, None)
            log.debug("pykorm: %s; watching again from resourceVersion %s in %.2f s", failure, self.version, wait)
            await self.client.session._sleep(self._remaining(wait))

    # -- internals ---------------------------------------------------------------------

    def _expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _remaining(self, cap: float) -> float:
        if self.deadline is None:
            return cap
        return max(0.0, min(cap, self.deadline - time.monotonic()))

    async def _list(self) -> dict[str, dict[str, Any]]:
        """The matching objects now, by uid (one snapshot); sets the resourceVersion to watch from."""
        async def read(pager: Pager) -> tuple[dict[str, dict[str, Any]], str]:
            keep = self.keep
            known = {
                raw["metadata"]["uid"]: raw if keep is None else keep(raw)
                async for page in pager.pages(self.path, self.params)
                for raw in page
                if self._matches(raw)
            }
            return known, pager.resource_version or ""

        known, self.version = await self.client.until(self.deadline).consistently(read, _PAGE_SIZE)
        return known

    def _stream(self) -> AsyncGenerator[dict[str, Any], None]:
        if self.quiet:
            server_timeout = max(1.0, self.silence * 0.8)
        else:
            server_timeout = random.uniform(*_SERVER_TIMEOUT)
        ends = max(1, int(self._remaining(server_timeout)))  # whole seconds: the server's end comes before the deadline
        params = {**self.params, "watch": True, "resourceVersion": self.version, "allowWatchBookmarks": True,
                  "timeoutSeconds": ends}
        # The read timeout notices a silent connection, and ends the last stream at the deadline. A stream the
        # server was asked to end before the deadline that stays silent until then is dead; a stream it could not
        # be asked to end in time (under a second left, or its end too close to the deadline) proves nothing so.
        silence = self._remaining(self.silence)
        self._cut_by_deadline = silence < self.silence and ends > silence - _SERVER_END_MARGIN
        client = self.client.until(self.deadline)
        return client.stream(self.path, params, silence=max(0.1, silence), opened=self.opened)

    def _apply(self, event: dict[str, Any]) -> Iterator[tuple[str, Raw]]:
        kind, raw = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            code = int(raw.get("code") or 0)
            raise error_from_status(code, raw, f"watch {self.path}")
        version = (raw.get("metadata") or {}).get("resourceVersion")
        if version:
            self.version = version
        if kind == "BOOKMARK":
            return
        self.quiet = False
        resource = self.client.resource
        raw.setdefault("apiVersion", resource.api_version)
        raw.setdefault("kind", resource.kind)
        uid = raw["metadata"]["uid"]
        before = self.known.get(uid)
        if kind != "DELETED" and self._matches(raw):
            if before is not None and before["metadata"].get("resourceVersion") == version:
                return  # seen already
            if self.keep is not None:
                raw = self.keep(raw)
            self.known[uid] = raw
            yield ("MODIFIED" if before is not None else "ADDED", raw)
        elif before is not None:
            del self.known[uid]
            yield ("DELETED", raw)

    def _relist(self, after: dict[str, Raw]) -> list[tuple[str, Raw]]:
        """After 410 Gone, given the new list: what changed meanwhile, in the order :func:`changes` gives."""
        before, self.known = self.known, after
        return [(kind, new) for kind, _, new in changes(before, after)]

    def _matches(self, raw: dict[str, Any]) -> bool:
        metadata = raw.get("metadata") or {}
        if self.namespaces is not None and metadata.get("namespace") not in self.namespaces:
            return False
        if self.names is not None and metadata.get("name") not in self.names:
            return False
        return self.python is None or self.python.matcher(raw)

    def _hydrate(self, raw: dict[str, Any]) -> M:
        # the watcher keeps ``raw`` (what it knows): the object handed out copies it on first use
        return self.model._from_store(raw, self.client.cluster, self.client.session)


def changes(before: Mapping[K, Raw], after: Mapping[K, Raw]) -> list[tuple[str, Raw | None, Raw]]:
    """What happened between two lists of the same objects, as ``(type, old, new)``, in an order consistent
    with the server's.

    The deletions come first (``DELETED``, old, old): each happened before the second list was
    taken, and may have happened before any of the changes it shows. Then the creations (``ADDED``,
    None, new) and changes (``MODIFIED``, old, new) in resourceVersion order, the order the server
    made them in. An object whose resourceVersion did not move is no change.
    """
    gone = [(old, old) for key, old in before.items() if key not in after]
    moved = [
        (before.get(key), new) for key, new in after.items()
        if key not in before or _version(before[key]) != _version(new)
    ]
    gone.sort(key=lambda pair: _order(pair[1]))
    moved.sort(key=lambda pair: _order(pair[1]))
    return [
        *(("DELETED", old, new) for old, new in gone),
        *(("ADDED" if old is None else "MODIFIED", old, new) for old, new in moved),
    ]


def _version(raw: Raw) -> Any:
    return (raw.get("metadata") or {}).get("resourceVersion")


def _order(raw: Raw) -> tuple[int, int]:
    """A sort key in resourceVersion order (etcd revisions are numbers; an opaque one sorts last, as listed)."""
    version = _version(raw)
    return (0, int(version)) if isinstance(version, str) and version.isdigit() else (1, 0)


async def watch(
    client: ResourceClient, model: type[M], plan: Plan, *, timeout: float | None, initial: bool, silence: float = DEFAULT_SILENCE,
    order: Callable[[M], Any] | None = None,
) -> AsyncGenerator[WatchEvent[M], None]:
    """See :meth:`Query.watch` (``order``: the sort key of the initial ``ADDED`` events, the query's ``order_by``)."""
    watcher = Watcher(client, model, plan, timeout, silence)
    current = await watcher.ainitial()
    if initial:
        for obj in current if order is None else sorted(current, key=order):
            yield WatchEvent("ADDED", obj)
    async with contextlib.aclosing(watcher.aevents()) as events:
        async for event in events:
            yield event


async def wait_until(
    client: ResourceClient, model: type[M], plan: Plan, condition: Callable[[list[M]], bool], timeout: float,
    what: str | None = None, last: Callable[[list[M]], Any] = list,
    shape: Callable[[list[Raw]], list[Raw]] | None = None,
) -> list[M]:
    """See :meth:`Query.wait_until`. ``what`` names the wait in its :class:`WaitTimeout`, whose ``last`` is
    ``last(the objects seen last)``; ``shape`` orders and slices the matching objects (their JSON, in the
    server's order) as the query does, before ``condition`` sees them.

    The deadline bounds every request and retry (the watcher's), and an unreachable server is ridden
    out until then: at the deadline :class:`WaitTimeout` is raised, from the last ``ServerUnavailable``
    if the server could not be reached at the end.
    """
    if not callable(condition):
        raise TypeError(f"the condition waited for is a function of the objects, not {type(condition).__name__} "
                        f"{condition!r:.60}")
    watcher = Watcher(client, model, plan, timeout)

    def current() -> list[M]:
        raws = sorted(watcher.known.values(), key=list_key)  # the server's order, not the order events came in
        return [watcher._hydrate(raw) for raw in (raws if shape is None else shape(raws))]

    def timed_out(error: ServerUnavailable | None) -> WaitTimeout:
        found = current()
        label = what or f"{model.__name__} query"
        matching = "" if what else f" ({len(found)} objects match)"
        return WaitTimeout(f"{label}: condition not met within {timeout} s{matching}" + unreachable(error),
                           last=last(found))

    try:
        await watcher.ainitial()
    except ServerUnavailable as error:  # only at the deadline: the list is tried again until then
        raise timed_out(error) from error
    found = current()
    if condition(found):
        return found
    async with contextlib.aclosing(watcher.aevents()) as events:
        async for _ in events:
            found = current()
            if condition(found):
                return found
    raise timed_out(watcher.last_error) from watcher.last_error


def unreachable(error: ServerUnavailable | None) -> str:
    """What a wait that timed out adds to its message when the server could not be reached at the end."""
    return "" if error is None else f"; the API server could not be reached at the end ({error})"
