"""Watching a query: typed events that survive dropped connections, restarts and expired resourceVersions.

The watcher lists once, then watches from the list's resourceVersion. It keeps
the objects that match, so that it can
- resume after a broken connection from the last resourceVersion seen,
- relist after 410 Gone and report only the differences (no duplicates, nothing lost),
- report an object leaving or entering a Python-side filter as DELETED or ADDED.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, TypeVar

from ._errors import Gone, PykormError, ServerUnavailable
from ._lookups import Leaf, Node
from ._transport import error_from_status

if TYPE_CHECKING:
    from ._models import Model
    from ._query import Query

__all__ = ["WaitTimeout", "WatchEvent", "Watcher", "wait_until", "watch"]

M = TypeVar("M", bound="Model")

_MAX_OUTAGE_SECONDS = 300.0
_SERVER_TIMEOUT_SECONDS = 240


@dataclasses.dataclass(frozen=True)
class WatchEvent(Generic[M]):
    """A change: ``type`` is ``ADDED``, ``MODIFIED`` or ``DELETED``; unpacks as ``(type, obj)``."""

    type: str
    obj: M

    def __iter__(self) -> Iterator[Any]:
        yield self.type
        yield self.obj


class WaitTimeout(PykormError, TimeoutError):
    """A wait ended without its condition holding; ``last`` is the last state seen."""

    def __init__(self, message: str, last: Any) -> None:
        super().__init__(message)
        self.last = last


class Watcher(Generic[M]):
    """The machinery behind ``Query.watch``: the matching objects now, then their changes."""

    def __init__(self, query: Query[M], timeout: float | None) -> None:
        self.query = query
        self.deadline = None if timeout is None else time.monotonic() + timeout
        plan = query.explain()
        self.empty = plan.empty
        resource = query._resource
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

    # -- public ------------------------------------------------------------------------

    def initial(self) -> list[M]:
        """List the matching objects now (and remember them); the events start after this list."""
        if self.empty:
            return []
        self.known = self._list()
        return [self._hydrate(raw) for raw in self.known.values()]

    def events(self) -> Iterator[WatchEvent[M]]:
        """The changes after :meth:`initial`, until the deadline."""
        if self.empty:
            return
        outage_since: float | None = None
        while not self._expired():
            try:
                for event in self._stream():
                    outage_since = None
                    yield from self._apply(event)
                    if self._expired():
                        return
                outage_since = None
            except Gone:
                yield from self._relist()
            except ServerUnavailable:
                now = time.monotonic()
                outage_since = outage_since or now
                if now - outage_since > _MAX_OUTAGE_SECONDS:
                    raise
                time.sleep(min(1.0, self._remaining(1.0)))

    # -- internals ---------------------------------------------------------------------

    def _expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _remaining(self, cap: float) -> float:
        if self.deadline is None:
            return cap
        return max(0.0, min(cap, self.deadline - time.monotonic()))

    def _list(self) -> dict[str, dict[str, Any]]:
        query = self.query
        resource = query._resource
        known: dict[str, dict[str, Any]] = {}
        token = None
        while True:
            page = query._request("GET", self.path, params={**self.params, "limit": 500, "continue": token})
            for raw in page.get("items") or ():
                raw.setdefault("apiVersion", resource.api_version)
                raw.setdefault("kind", resource.kind)
                if self._matches(raw):
                    known[raw["metadata"]["uid"]] = raw
            metadata = page.get("metadata") or {}
            token = metadata.get("continue")
            if not token:
                self.version = metadata.get("resourceVersion", "")
                return known

    def _stream(self) -> Iterator[dict[str, Any]]:
        remaining = self._remaining(_SERVER_TIMEOUT_SECONDS)
        params = {
            **self.params,
            "watch": True,
            "resourceVersion": self.version,
            "allowWatchBookmarks": True,
            "timeoutSeconds": max(1, int(remaining)),
        }
        transport = self.query._session().transport(self.query._state.cluster)
        # The read timeout ends a quiet stream at the deadline, and notices a dead connection.
        return transport.stream(self.path, params=params, timeout=remaining + 5 if self.deadline is None else max(0.1, remaining))

    def _apply(self, event: dict[str, Any]) -> Iterator[WatchEvent[M]]:
        kind, raw = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            code = int(raw.get("code") or 0)
            raise error_from_status(code, raw, f"watch {self.path}")
        version = (raw.get("metadata") or {}).get("resourceVersion")
        if version:
            self.version = version
        if kind == "BOOKMARK":
            return
        resource = self.query._resource
        raw.setdefault("apiVersion", resource.api_version)
        raw.setdefault("kind", resource.kind)
        uid = raw["metadata"]["uid"]
        before = self.known.get(uid)
        if kind != "DELETED" and self._matches(raw):
            if before is not None and before["metadata"].get("resourceVersion") == version:
                return  # seen already
            self.known[uid] = raw
            yield WatchEvent("MODIFIED" if before is not None else "ADDED", self._hydrate(raw))
        elif before is not None:
            del self.known[uid]
            yield WatchEvent("DELETED", self._hydrate(raw))

    def _relist(self) -> Iterator[WatchEvent[M]]:
        """After 410 Gone: list again and report what changed meanwhile."""
        before, after = self.known, self._list()
        self.known = after
        for uid, raw in after.items():
            old = before.get(uid)
            if old is None:
                yield WatchEvent("ADDED", self._hydrate(raw))
            elif old["metadata"].get("resourceVersion") != raw["metadata"].get("resourceVersion"):
                yield WatchEvent("MODIFIED", self._hydrate(raw))
        for uid, raw in before.items():
            if uid not in after:
                yield WatchEvent("DELETED", self._hydrate(raw))

    def _matches(self, raw: dict[str, Any]) -> bool:
        metadata = raw.get("metadata") or {}
        if self.namespaces is not None and metadata.get("namespace") not in self.namespaces:
            return False
        if self.names is not None and metadata.get("name") not in self.names:
            return False
        return self.python is None or self.python.matches(raw)

    def _hydrate(self, raw: dict[str, Any]) -> M:
        return self.query.model._from_server(raw, self.query._state.cluster)


def watch(query: Query[M], *, timeout: float | None, initial: bool) -> Iterator[WatchEvent[M]]:
    """See :meth:`Query.watch`."""
    watcher = Watcher(query, timeout)
    current = watcher.initial()
    if initial:
        for obj in current:
            yield WatchEvent("ADDED", obj)
    yield from watcher.events()


def wait_until(query: Query[M], condition: Callable[[list[M]], bool], timeout: float) -> list[M]:
    """See :meth:`Query.wait_until`."""
    watcher = Watcher(query, timeout)
    watcher.initial()

    def current() -> list[M]:
        return [watcher._hydrate(raw) for raw in watcher.known.values()]

    if condition(current()):
        return current()
    for _ in watcher.events():
        if condition(current()):
            return current()
    raise WaitTimeout(
        f"{query.model.__name__} query: condition not met within {timeout} s ({len(watcher.known)} objects match)",
        last=current(),
    )
