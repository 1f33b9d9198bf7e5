"""Rate limiters for a work queue's retries: client-go's default, and its parts.

A limiter answers ``when(key)``: how long to hold ``key`` back before its next retry (a
failed reconcile, or ``Result(requeue=True)``). client-go's default controller limiter —
:func:`default_rate_limiter` — is the larger of two answers:

- :class:`RateLimiter` (per key): 5 ms doubling with each failure in a row, at most 1000 s;
  ``forget(key)`` after a success starts it from 5 ms again;
- :class:`TokenBucket` (over all keys): 10 retries a second on average, bursts of 100; a
  retry beyond that waits for its token (``golang.org/x/time/rate``'s reservations: the
  bucket may go into debt, each retry waiting its turn).

So a single failing key backs off on its own, and a thousand keys failing at once cannot
make more than ten retries a second after the first hundred. Plain adds (events) are not
limited, as in client-go. Each piece is a plain object with ``when``/``retries``/``forget``
(:class:`Limiter`); :class:`MaxOf` combines any of them.

    >>> manager.reconciler(WebSite, rate_limiter=default_rate_limiter(base=0.1, qps=5, burst=20))
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Generic, Hashable, TypeVar

from ._queue import Limiter, RateLimiter

__all__ = ["Limiter", "MaxOf", "RateLimiter", "TokenBucket", "default_rate_limiter"]

K = TypeVar("K", bound=Hashable)


class TokenBucket(Generic[K]):
    """An overall limit on retries: ``qps`` tokens a second, at most ``burst`` saved up (client-go's BucketRateLimiter).

    Every ``when`` takes a token, whatever the key; without one it waits until its token is due
    (later callers queue behind it). ``clock`` is for tests.

    >>> bucket = TokenBucket(qps=10, burst=2, clock=lambda: 0.0)
    >>> [bucket.when("a"), bucket.when("b"), bucket.when("c"), bucket.when("d")]
    [0.0, 0.0, 0.1, 0.2]
    """

    def __init__(self, qps: float = 10.0, burst: int = 100, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not qps > 0 or isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"need qps > 0 and an int burst >= 1, not qps={qps!r}, burst={burst!r}")
        self.qps = float(qps)
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def when(self, key: K) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.qps)
            self._at = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def retries(self, key: K) -> int:
        return 0

    def forget(self, key: K) -> None:
        pass


class MaxOf(Generic[K]):
    """The longest wait any of ``limiters`` asks for (client-go's MaxOfRateLimiter); each counts every retry."""

    def __init__(self, *limiters: Limiter[K]) -> None:
        if not limiters:
            raise ValueError("MaxOf needs at least one limiter")
        self.limiters = limiters

    def when(self, key: K) -> float:
        return max([limiter.when(key) for limiter in self.limiters])  # every one counts the retry

    def retries(self, key: K) -> int:
        return max(limiter.retries(key) for limiter in self.limiters)

    def forget(self, key: K) -> None:
        for limiter in self.limiters:
            limiter.forget(key)


def default_rate_limiter(
    *, base: float = 0.005, maximum: float = 1000.0, qps: float = 10.0, burst: int = 100,
) -> MaxOf[str]:
    """client-go's ``DefaultControllerRateLimiter``: per-key ``base`` doubling to ``maximum`` s, and ``qps``/``burst`` overall.

    Raises:
        ValueError: a value out of range (``0 < base <= maximum``, ``qps > 0``, ``burst >= 1``).
    """
    return MaxOf(RateLimiter[str](base, maximum), TokenBucket[str](qps, burst))
