"""Events: ``events.k8s.io/v1`` Events about an object, as client-go's event recorder writes them.

    >>> events = manager.event_recorder("website-operator")
    >>> events.event(site, "Normal", "Scaled", "Scale", note="2 replicas")       # returns at once

What ``kubectl describe`` and ``kubectl events`` show. The rules are client-go's
(``k8s.io/client-go/tools/events``), so a hot loop cannot flood the server:
- events are written by a thread of the recorder's own (a reconcile never waits for one);
- an event is *isomorphic* to an earlier one with the same regarding object, related object,
  reason, action and reporting controller (the note and type do not count): the first is
  created; the second turns it into a series (``series.count: 2``, one PATCH); later ones only
  count, and a series' count is written every 30 s while it grows; a series not seen for
  6 minutes is finished (the next occurrence is a new Event);
- new Events about one object are rate-limited as client-go's (older) recorder's spam filter
  does: a burst of 25, then one per 5 minutes; the queue holds 1000 events. What is left
  out is counted (``dropped``) and logged at debug level, never raised.
Notes longer than 1 kB are cut (the API refuses them). :meth:`EventRecorder.flush` waits
until what was recorded is written (tests); :meth:`EventRecorder.close` flushes and stops.

A manager's recorder (``manager.event_recorder``) speaks for the controller only while the
manager may act: with leader election, an event recorded by a replica that does not certainly
hold the Lease (a standby, or one that lost it) is refused — counted in ``refused``, not raised —
and so is each write the recorder's thread is about to send once the Lease is lost (events
recorded while leading, not yet written). A write already on its way when the Lease goes is
not recalled (as a reconcile's).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import queue
import re
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from .._base.errors import ApiError, ClientValidationError, NotFound
from .._data.objects import peek
from .._http.resource import resource_of
from .._http.transport import MERGE_PATCH
from ._informer import log

if TYPE_CHECKING:
    from ..models._model import Model
    from .._session.session import Pykorm

__all__ = ["EventKey", "EventRecorder", "SeriesBook", "SpamFilter"]

REFRESH = 30.0  # seconds between writes of a growing series (client-go's refreshTime)
FINISH = 360.0  # seconds after which a series not seen again is finished (client-go's finishTime)
SPAM_BURST = 25  # new Events about one object at once (client-go record's defaultSpamBurst)
SPAM_REFILL = 300.0  # seconds per further one (client-go record's defaultSpamQPS: 1/300)
QUEUE = 1000  # events waiting to be written (client-go's maxQueuedEvents)
NOTE_BYTES = 1024
_REASON = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.:]{0,127}$")


@dataclasses.dataclass(frozen=True)
class EventKey:
    """What makes two events isomorphic (client-go's ``getKey``): not the note, not the type."""

    regarding: tuple[str, ...]  # apiVersion, kind, namespace, name, uid
    related: tuple[str, ...] | None
    reason: str
    action: str
    controller: str


@dataclasses.dataclass
class _Series:
    event: dict[str, Any]  # the Event as last written (name, namespace, the series)
    count: int = 1
    seen: float = 0.0  # when last recorded (clock)
    written_count: int = 1  # the count the server has
    written_at: float = 0.0


class SeriesBook:
    """The isomorphic events seen lately and what each new one needs written (pure: the clock is given).

    >>> book = SeriesBook(); key = EventKey(("v1", "Pod", "ns", "p", "u"), None, "Failed", "Pull", "ctl")
    >>> [book.record(key, {}, now=t) for t in (0.0, 1.0, 2.0)]
    ['create', 'patch', None]
    """

    def __init__(self) -> None:
        self.series: dict[EventKey, _Series] = {}

    def record(self, key: EventKey, event: dict[str, Any], now: float) -> str | None:
        """Note one occurrence at ``now``: ``"create"`` (a new Event), ``"patch"`` (it became a series), or None."""
        found = self.series.get(key)
        if found is not None and now - found.seen >= FINISH:
            del self.series[key]
            found = None
        if found is None:
            self.series[key] = _Series(event, 1, now, 1, now)
            return "create"
        found.count += 1
        found.seen = now
        if found.count == 2:
            found.written_count, found.written_at = 2, now
            return "patch"
        return None

    def due(self, now: float) -> list[tuple[EventKey, _Series]]:
        """The series whose count grew since written, last written ``REFRESH`` s ago or more; finished ones dropped."""
        for key in [k for k, s in self.series.items() if now - s.seen >= FINISH and s.count == s.written_count]:
            del self.series[key]
        due = [(k, s) for k, s in self.series.items() if s.count > s.written_count and now - s.written_at >= REFRESH]
        for _, found in due:
            found.written_count, found.written_at = found.count, now
        return due


class SpamFilter:
    """A token bucket per regarding object: ``burst`` new Events at once, then one per ``refill`` s (pure: clock given)."""

    def __init__(self, burst: int = SPAM_BURST, refill: float = SPAM_REFILL) -> None:
        self.burst, self.refill = burst, refill
        self._buckets: dict[tuple[str, ...], tuple[float, float]] = {}  # tokens, when counted

    def allow(self, regarding: tuple[str, ...], now: float) -> bool:
        tokens, at = self._buckets.get(regarding, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) / self.refill)
        if tokens < 1.0:
            self._buckets[regarding] = (tokens, now)
            return False
        self._buckets[regarding] = (tokens - 1.0, now)
        if len(self._buckets) > 10_000:  # full buckets hold nothing worth keeping
            self._buckets = {k: v for k, v in self._buckets.items() if v[0] + (now - v[1]) / self.refill < self.burst}
        return True


class EventRecorder:
    """Writes Events about objects for one reporting controller (see the module for the rules).

    Args:
        session: the session to write through.
        controller: ``reportingController``, e.g. ``example.com/website-operator``.
        instance: ``reportingInstance`` (default: host name and pid).
        clock: for tests.
        guard: called before an event is taken and before each write; returns why this replica must not
            write for the controller now (the manager's Lease is not held), or None.
    """

    def __init__(self, session: Pykorm, controller: str, instance: str | None = None, *,
                 clock: Callable[[], float] = time.monotonic, guard: Callable[[], str | None] | None = None) -> None:
        if not isinstance(controller, str) or not controller or len(controller) > 253:
            raise ClientValidationError(f"reportingController is a name of 1 to 253 characters, not {controller!r}")
        self.session = session
        self.controller = controller
        self.instance = (instance or f"{socket.gethostname()}-{os.getpid()}")[:128]
        self.clock = clock
        self.guard = guard
        self.book = SeriesBook()
        self.spam = SpamFilter()
        self.created = 0  # Events created
        self.patched = 0  # series written
        self.dropped = 0  # occurrences left out (spam filter, full queue, write failures)
        self.refused = 0  # occurrences and writes refused by the guard (the Lease not held)
        self._queue: queue.Queue[tuple[EventKey, dict[str, Any]] | None] = queue.Queue(QUEUE)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    def event(self, regarding: Model, type: str, reason: str, action: str, note: str = "", *,
              related: Model | None = None) -> None:
        """Record an event about ``regarding`` (a stored object); written in the background.

        Args:
            type: ``"Normal"`` or ``"Warning"``.
            reason: why, CamelCase (``"Scaled"``); action: what was done or failed (``"Scale"``).
            note: a human-readable text (cut at 1 kB).
            related: a second object involved.

        Raises:
            ClientValidationError: a bad type, reason or action, or an object never stored (no uid).
        """
        if type not in ("Normal", "Warning"):
            raise ClientValidationError(f"an event's type is 'Normal' or 'Warning', not {type!r}")
        for label, value in (("reason", reason), ("action", action)):
            if not isinstance(value, str) or not _REASON.match(value):
                raise ClientValidationError(f"an event's {label} is a word of at most 128 characters such as "
                                            f"'Scaled' (letters, digits, '-', '_', '.', ':'), not {value!r}")
        reference = _reference(regarding)
        event: dict[str, Any] = {
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": f"{regarding.name}.{time.time_ns():x}", "namespace": reference.get("namespace") or "default"},
            "eventTime": _micro_now(), "type": type, "reason": reason, "action": action,
            "note": _cut(note), "regarding": reference,
            "reportingController": self.controller, "reportingInstance": self.instance,
        }
        if related is not None:
            event["related"] = _reference(related)
        key = EventKey(_identity(reference), None if related is None else _identity(event["related"]),
                       reason, action, self.controller)
        if self._refuse(f"{reason} about {reference.get('name')}"):
            return
        with self._lock:
            if self._closed:
                self.dropped += 1
                return
            self._start()
            try:
                self._queue.put_nowait((key, event))
            except queue.Full:
                self.dropped += 1
                log.debug("pykorm: events: queue full, dropped %s %s", reason, reference.get("name"))
                return
            self._pending += 1

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event recorded so far is written (growing series too); True when all were."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(left)
        self._write_due(force=True)
        return True

    def close(self, timeout: float | None = 10.0) -> None:
        """Write what is recorded (up to ``timeout`` s), then stop the thread; later events are dropped."""
        self.flush(timeout)
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _refuse(self, what: str) -> bool:
        """True (counted, logged) when the guard says this replica must not write for the controller now."""
        why = self.guard() if self.guard is not None else None
        if why is None:
            return False
        with self._lock:
            self.refused += 1
        log.debug("pykorm: events: %s refused: %s", what, why)
        return True

    # -- the thread -------------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"events-{self.controller}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=REFRESH / 3)
            except queue.Empty:
                self._write_due()
                continue
            if item is None:
                return
            try:
                self._record(*item)
            except Exception:  # noqa: BLE001 - an event is never worth the recorder's thread
                self.dropped += 1
                log.exception("pykorm: events: writing an event failed")
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()
            self._write_due()

    def _record(self, key: EventKey, event: dict[str, Any]) -> None:
        if self._refuse(f"{key.reason} about {key.regarding[3]}"):  # recorded while leading, the Lease gone since
            return
        now = self.clock()
        with self._lock:
            action = self.book.record(key, event, now)
            series = self.book.series.get(key)
            if action == "create" and not self.spam.allow(key.regarding, now):
                del self.book.series[key]
                self.dropped += 1
                log.debug("pykorm: events: too many about %s, dropped %s", key.regarding[3], key.reason)
                return
        if action == "create":
            self._create(event, series)
        elif action == "patch" and series is not None:
            self._patch(series, 2)

    def _write_due(self, force: bool = False) -> None:
        now = self.clock()
        with self._lock:
            due = self.book.due(now + (REFRESH if force else 0.0))
        for _, series in due:
            self._patch(series, series.written_count)

    def _create(self, event: dict[str, Any], series: _Series | None) -> None:
        from ..k8s.events_v1 import Event

        resource = resource_of(Event)
        try:
            written = self.session.request(resource, "POST", resource.path(event["metadata"]["namespace"]),
                                           body=event, params={"fieldManager": self.controller[:128]})
        except ApiError as error:
            self.dropped += 1
            log.debug("pykorm: events: %s not written: %s", event["reason"], error)
            return
        self.created += 1
        if series is not None and isinstance(written, dict):
            series.event = written

    def _patch(self, series: _Series, count: int) -> None:
        from ..k8s.events_v1 import Event

        resource = resource_of(Event)
        metadata = series.event.get("metadata") or {}
        if not metadata.get("name") or self._refuse(f"the series of {series.event.get('reason')}"):
            return
        body = {"series": {"count": count, "lastObservedTime": _micro_now()}}
        try:
            self.session.request(resource, "PATCH", resource.object_path(metadata.get("namespace"), metadata.get("name")),
                                 body=body, content_type=MERGE_PATCH, params={"fieldManager": self.controller[:128]})
            self.patched += 1
        except NotFound:  # the Event expired (the server keeps them an hour): write it again, as a series
            fresh = {k: v for k, v in series.event.items() if k != "metadata"}
            fresh["metadata"] = {"name": f"{metadata.get('name', 'event').rpartition('.')[0]}.{time.time_ns():x}",
                                 "namespace": metadata.get("namespace")}
            self._create({**fresh, **body}, series)
        except ApiError as error:
            self.dropped += 1
            log.debug("pykorm: events: a series not written: %s", error)


def _reference(obj: Model) -> dict[str, Any]:
    resource = resource_of(type(obj))
    if not obj.uid:
        raise ClientValidationError(f"{resource.kind} {obj.name}: an event is about a stored object (it has no uid)")
    reference = {"apiVersion": resource.api_version, "kind": resource.kind, "name": obj.name, "uid": obj.uid,
                 "resourceVersion": obj.resource_version}
    namespace = (peek(obj).get("metadata") or {}).get("namespace")
    if namespace:
        reference["namespace"] = namespace
    return reference


def _identity(reference: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(reference.get(k) or "") for k in ("apiVersion", "kind", "namespace", "name", "uid"))


def _cut(note: str) -> str:
    if not isinstance(note, str):
        raise ClientValidationError(f"an event's note is text, not {note!r}")
    data = note.encode()
    return note if len(data) <= NOTE_BYTES else data[: NOTE_BYTES - 3].decode(errors="ignore") + "..."


def _micro_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
