"""The work queue of a controller: keys to reconcile, de-duplicated, one worker per key, retried with backoff.

The rules are client-go's (``workqueue``):
- a key added while it waits is not added twice (ten events before a worker is free
  make one reconcile);
- a key being processed is never handed to a second worker: added meanwhile, it waits
  until :meth:`WorkQueue.done`, then goes back in line;
- a failed key comes back after a per-key exponential backoff (:class:`RateLimiter`:
  5 ms doubling up to 1000 s, client-go's default item limiter) until it succeeds
  (:meth:`WorkQueue.forget`);
- :meth:`WorkQueue.add_after` holds a key back (``requeue_after``); a key held back twice
  comes at the earlier time.

An ``observer`` (:class:`pykorm.controller._metrics.QueueMetrics`: client-go's ``workqueue``
metrics) hears of each key entering the line, handed out, done, and sent back after a backoff.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import threading
import time
from typing import Generic, Hashable, Protocol, TypeVar

__all__ = ["Limiter", "QueueObserver", "RateLimiter", "WorkQueue"]

K = TypeVar("K")
K_contra = TypeVar("K_contra", contravariant=True)


class Limiter(Protocol[K_contra]):
    """What a work queue asks a rate limiter."""

    def when(self, key: K_contra) -> float:
        """Seconds to hold ``key`` back before its next retry (and count the retry)."""

    def retries(self, key: K_contra) -> int:
        """Retries of ``key`` in a row so far."""

    def forget(self, key: K_contra) -> None:
        """``key`` succeeded: its next retry starts afresh."""


class QueueObserver(Protocol):
    """What a work queue tells of its keys (the metrics): each call made under the queue's lock, so quick."""

    def added(self, key: Hashable) -> None: ...  # entered the line (it was not waiting already)
    def handed_out(self, key: Hashable) -> None: ...  # a worker took it
    def finished(self, key: Hashable) -> None: ...  # the worker is done with it
    def retried(self, key: Hashable) -> None: ...  # to come back after a backoff (add_rate_limited)


class RateLimiter(Generic[K]):
    """Per-key exponential backoff: ``base * 2**failures`` seconds, at most ``maximum``.

    >>> limiter = RateLimiter(); [limiter.when("a") for _ in range(3)]
    [0.005, 0.01, 0.02]
    """

    def __init__(self, base: float = 0.005, maximum: float = 1000.0) -> None:
        if base <= 0 or maximum < base:
            raise ValueError(f"need 0 < base <= maximum, not base={base!r}, maximum={maximum!r}")
        self.base = base
        self.maximum = maximum
        self._failures: dict[K, int] = {}
        self._lock = threading.Lock()

    def when(self, key: K) -> float:
        """The wait before retrying ``key`` once more (and count one more failure)."""
        with self._lock:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
        if failures > 64:  # 2**64 * base is past any maximum; avoid huge floats
            return self.maximum
        return float(min(self.maximum, self.base * 2**failures))

    def retries(self, key: K) -> int:
        """How many failures in a row ``key`` has had."""
        return self._failures.get(key, 0)

    def forget(self, key: K) -> None:
        """``key`` succeeded: its next failure starts from ``base`` again."""
        with self._lock:
            self._failures.pop(key, None)


class WorkQueue(Generic[K]):
    """A de-duplicating, delaying, rate-limited queue of keys for a pool of workers (thread-safe).

    A worker loops on ``key = queue.get()`` (None once shut down), works, then calls
    ``queue.done(key)`` — and ``forget(key)`` on success or ``add_rate_limited(key)`` on failure.
    """

    def __init__(self, limiter: Limiter[K] | None = None) -> None:
        self.limiter: Limiter[K] = limiter if limiter is not None else RateLimiter()
        self._ready: collections.deque[K] = collections.deque()
        self._dirty: set[K] = set()  # waiting in _ready, or added again while processing
        self._processing: set[K] = set()
        self._later: list[tuple[float, int, K]] = []  # heap of (due, sequence, key)
        self._due: dict[K, float] = {}  # the earliest due time of each key held back
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._shut = False
        self.observer: QueueObserver | None = None  # told of each key's moves (metrics)

    def add(self, key: K) -> None:
        """Queue ``key`` unless it waits already (a key being processed goes back in line when done)."""
        with self._condition:
            self._add(key)

    def add_after(self, key: K, delay: float) -> None:
        """Queue ``key`` in ``delay`` seconds (at once when ``delay`` <= 0)."""
        if delay <= 0:
            self.add(key)
            return
        due = time.monotonic() + delay
        with self._condition:
            if self._shut:
                return
            if key in self._due and self._due[key] <= due:
                return
            self._due[key] = due
            heapq.heappush(self._later, (due, next(self._sequence), key))
            self._condition.notify()

    def add_rate_limited(self, key: K) -> None:
        """Queue ``key`` after its backoff (:meth:`RateLimiter.when`)."""
        if self.observer is not None and not self._shut:
            self.observer.retried(key)
        self.add_after(key, self.limiter.when(key))

    def forget(self, key: K) -> None:
        """``key`` succeeded: reset its backoff."""
        self.limiter.forget(key)

    def get(self, timeout: float | None = None) -> K | None:
        """The next key (now being processed), waiting for one; None when shut down or after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while True:
                self._move_due()
                if self._shut:
                    return None
                if self._ready:
                    key = self._ready.popleft()
                    self._dirty.discard(key)
                    self._processing.add(key)
                    if self.observer is not None:
                        self.observer.handed_out(key)
                    return key
                now = time.monotonic()
                wait = None if deadline is None else deadline - now
                if wait is not None and wait <= 0:
                    return None
                if self._later:
                    until_due = self._later[0][0] - now
                    wait = until_due if wait is None else min(wait, until_due)
                self._condition.wait(wait)

    def done(self, key: K) -> None:
        """The worker finished ``key``: if it was added meanwhile, it goes back in line."""
        with self._condition:
            self._processing.discard(key)
            if self.observer is not None:
                self.observer.finished(key)
            if key in self._dirty:
                self._ready.append(key)
                self._condition.notify()

    def shutdown(self) -> None:
        """Hand out no more keys: waiting workers get None; keys being processed may still be marked done."""
        with self._condition:
            self._shut = True
            self._condition.notify_all()

    @property
    def shutting_down(self) -> bool:
        """True once :meth:`shutdown` was called."""
        return self._shut

    def processing(self) -> int:
        """How many keys workers hold now."""
        return len(self._processing)

    def __len__(self) -> int:
        """How many keys wait to be handed out now (not those held back)."""
        return len(self._ready)

    def _add(self, key: K) -> None:
        if self._shut or key in self._dirty:
            return
        self._dirty.add(key)
        if self.observer is not None:
            self.observer.added(key)
        if key not in self._processing:
            self._ready.append(key)
            self._condition.notify()

    def _move_due(self) -> None:
        now = time.monotonic()
        while self._later and self._later[0][0] <= now:
            due, _, key = heapq.heappop(self._later)
            if self._due.get(key) == due:
                del self._due[key]
                self._add(key)
