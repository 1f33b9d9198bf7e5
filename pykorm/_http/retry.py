"""When a request is sent again, and how long pykorm waits for an answer.

client-go's rules, in one place:

- an answer that says the request was *not processed* — ``429 Too Many Requests``
  (API Priority and Fairness throttling), or a ``5xx`` carrying ``Retry-After`` — is
  retried for every verb, after at least the delay the server asked for;
- a connection that could not be made (refused, unreachable) is retried for every
  verb: nothing was sent;
- a connection that broke after the request was sent is retried only for reads
  (``GET`` — also lists and watches — and ``HEAD``): a write may have been done,
  so a lost answer to it is reported (:class:`ServerUnavailable`, "outcome unknown");
- a timeout is never retried: the time is spent (a black-holed server fails after
  the connect timeout, not ten of them).

Every request has a time budget, and its retries live inside it:

- a request that gets no answer (refused, reset) is tried again until its deadline: the
  deadline of the method with a timeout that makes it (``wait_for``, a watch...), or
  ``RetryPolicy(max_elapsed=...)`` (an operator that rides out API server restarts); when
  nothing says one, for ``min(connect_timeout, 3 s)`` (:data:`NO_ANSWER_BUDGET`): a stopped
  server fails in seconds, as kubectl does;
- the deadline bounds everything: each attempt's connect and read timeouts are cut to the
  time left (:data:`MIN_ATTEMPT` at the least), and a wait that would pass the deadline is
  not made — a ``Retry-After`` longer than the time left fails at once with the server's answer.

Each retry is logged at DEBUG on the ``pykorm`` logger; after the last one the
error raised carries ``attempts`` and the last ``status``.

    >>> pk = Pykorm(retries=RetryPolicy(max_retries=3), connect_timeout=2)
    >>> with request_options(retries=RetryPolicy.none(), read_timeout=5):
    ...     pk.save(peach)                      # this call only: no retries, 5 s to answer
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import email.utils
import logging
import math
import random
import re
import time
from typing import Iterator, Mapping

from .._base.errors import ApiError, ConfigurationError, ServerUnavailable, TLSVerificationError

__all__ = [
    "DEFAULT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "IDEMPOTENT",
    "MIN_ATTEMPT",
    "NO_ANSWER_BUDGET",
    "Attempts",
    "Failure",
    "RetryPolicy",
    "Timeouts",
    "counted",
    "current_options",
    "log",
    "no_answer",
    "request_options",
    "resendable",
    "retry_after",
]

log = logging.getLogger("pykorm")

DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds for TCP connect plus TLS handshake (client-go's TLSHandshakeTimeout)
DEFAULT_READ_TIMEOUT = 60.0  # seconds of silence while waiting for (or reading) an answer
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})  # lists and watches are GETs
NO_ANSWER_BUDGET = 3.0  # seconds a request that gets no answer is tried again, unless max_elapsed says otherwise
MIN_ATTEMPT = 0.25  # seconds an attempt may always take, even one sent when the deadline is (nearly) reached


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often, and after how long, a request that was not processed is sent again.

    Args:
        max_retries: sends after the first one (client-go: 10); 0 never retries.
        backoff: the first wait, in seconds, when the server names none; it doubles each retry.
        max_backoff: the longest such wait.
        max_retry_after: the longest ``Retry-After`` honoured (a server asking more is cut short).
        max_elapsed: the most one request may take in all, its attempts and the waits between them
            included (a watch or log stream: until it is open, then each read; None: bounded by
            ``max_retries``, the timeouts and the deadline of the method making it, and a server that
            gives no answer — refused, reset — is tried for ``min(connect_timeout, 3 s)`` when the
            method has none). A number is also how long a server that gives no answer is tried again:
            ``RetryPolicy(max_elapsed=60)`` rides out an API server restart. ``max_retries`` applies
            too: whichever is reached first.

    The wait before retry ``n`` (1, 2...) is the server's ``Retry-After`` plus a random
    share of ``min(max_backoff, backoff * 2**(n-1))``, or without ``Retry-After`` a random
    time between half and all of that: waiting clients spread out instead of coming back
    together.

    >>> Pykorm(retries=RetryPolicy(max_retries=3, max_retry_after=5))
    >>> Pykorm(retries=RetryPolicy(max_elapsed=60))       # an operator: ride out a restart
    """

    max_retries: int = 10
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    max_elapsed: float | None = None

    def __post_init__(self) -> None:
        values = (self.max_retries, self.backoff, self.max_backoff, self.max_retry_after,
                  0 if self.max_elapsed is None else self.max_elapsed)
        if not all(value >= 0 for value in values):
            raise ValueError(f"RetryPolicy values must be numbers, not negative: {self}")  # NaN too

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_retries=0)

    def delay(self, retry: int, server_delay: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (from 1); ``server_delay`` is the ``Retry-After``."""
        window = min(self.max_backoff, self.backoff * 2.0 ** min(max(0, retry - 1), 1000))  # no int-to-float overflow
        if server_delay is not None:
            return min(server_delay, self.max_retry_after) + random.uniform(0, window)
        return random.uniform(window / 2, window)


@dataclasses.dataclass(frozen=True)
class Timeouts:
    """What one request may spend: on connecting (TCP and TLS), and waiting for each read."""

    connect: float | None = DEFAULT_CONNECT_TIMEOUT
    read: float | None = DEFAULT_READ_TIMEOUT


@dataclasses.dataclass(frozen=True)
class _Overrides:
    retries: RetryPolicy | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_elapsed: float | None = None


_overrides: contextvars.ContextVar[_Overrides] = contextvars.ContextVar("pykorm_request_options", default=_Overrides())


@contextlib.contextmanager
def request_options(
    *, retries: RetryPolicy | None = None, connect_timeout: float | None = None, read_timeout: float | None = None,
    max_elapsed: float | None = None,
) -> Iterator[None]:
    """Within the block (this thread or task only), requests use these instead of the session's settings.

    Args:
        retries: the retry policy (``RetryPolicy.none()`` to fail at the first error).
        connect_timeout: seconds to connect and finish the TLS handshake.
        read_timeout: seconds to wait for the answer (each read of it).
        max_elapsed: the policy in force, with this ``RetryPolicy.max_elapsed``: the most each
            request may take, retries included (and how long a server that gives no answer is tried).

    >>> with pykorm.request_options(retries=RetryPolicy.none(), connect_timeout=2):
    ...     Peach.query.all()
    >>> with pykorm.request_options(max_elapsed=60):   # a batch job that rides out a restart
    ...     pk.save(peach)
    """
    if max_elapsed is not None and not max_elapsed >= 0:
        raise ValueError(f"max_elapsed must be a number, not negative: {max_elapsed!r}")
    current = _overrides.get()
    token = _overrides.set(
        _Overrides(
            retries if retries is not None else current.retries,
            connect_timeout if connect_timeout is not None else current.connect_timeout,
            read_timeout if read_timeout is not None else current.read_timeout,
            max_elapsed if max_elapsed is not None else current.max_elapsed,
        )
    )
    try:
        yield
    finally:
        _overrides.reset(token)


def current_options(retries: RetryPolicy, timeouts: Timeouts) -> tuple[RetryPolicy, Timeouts]:
    """The policy and timeouts in force: a :func:`request_options` block's, else the given defaults."""
    found = _overrides.get()
    policy = found.retries or retries
    if found.max_elapsed is not None:
        policy = dataclasses.replace(policy, max_elapsed=found.max_elapsed)
    return (
        policy,
        Timeouts(
            found.connect_timeout if found.connect_timeout is not None else timeouts.connect,
            found.read_timeout if found.read_timeout is not None else timeouts.read,
        ),
    )


def retry_after(status: int, headers: Mapping[str, str]) -> tuple[bool, float | None]:
    """Whether an answer says "not processed, try again", and the delay the server asked for.

    ``429`` always does (APF sends ``Retry-After``; a proxy may not); a ``5xx`` does only
    with a ``Retry-After`` header, as in client-go — otherwise the request may have been done.
    """
    if status != 429 and status < 500:
        return False, None
    delay = _parse_retry_after(headers.get("Retry-After"))
    return status == 429 or delay is not None, delay


_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` value: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):  # delay-seconds are digits (RFC 9110): not "nan", "inf", "-5" or "1e400"
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Default:
    """The type of :data:`DEFAULT`: "not given here, use the session's setting" (None means no limit)."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()


class Failure:
    """Why a request got no HTTP answer, whatever the HTTP library: the kinds :mod:`pykorm._http.retry` tells apart."""

    NOT_CONNECTED = "not connected"  # refused or unreachable: nothing was sent
    CONNECT_TIMEOUT = "connect timeout"  # nothing was sent, but the time is spent
    TIMEOUT = "timeout"  # no answer within the read timeout
    CERTIFICATE = "certificate"  # the server's certificate did not verify
    BROKEN = "broken"  # the connection broke after the request may have been sent
    OTHER = "other"

    def __init__(self, kind: str, error: BaseException) -> None:
        self.kind = kind
        self.error = error


class Attempts:
    """The retry loop of one request, as decisions: both transports send, then ask this what to do.

    Args:
        retries, timeouts: the transport's; ``policy``, ``connect`` and ``read``: this call's, if given.
        deadline: a ``time.monotonic()`` time the request must be done by (a method with a timeout's);
            ``policy.max_elapsed`` sets an earlier one.
    """

    def __init__(
        self, retries: RetryPolicy, timeouts: Timeouts, method: str, url: str, policy: RetryPolicy | None,
        connect: float | None | _Default, read: float | None | _Default, deadline: float | None = None,
    ) -> None:
        found, base = current_options(retries, timeouts)
        self.policy = policy or found
        self.timeouts = Timeouts(
            base.connect if isinstance(connect, _Default) else connect, base.read if isinstance(read, _Default) else read
        )
        self.method, self.url, self.count = method, url, 1
        now = time.monotonic()
        budget = self.policy.max_elapsed
        self.deadline = _earliest(deadline, None if budget is None else now + budget)
        if self.deadline is not None:  # the caller's time, or max_elapsed: a server that gives no answer is tried till then
            self.no_answer_until: float = self.deadline
        else:  # nothing said: a few seconds, never more than a connection may take
            connect = math.inf if self.timeouts.connect is None else self.timeouts.connect
            self.no_answer_until = now + min(NO_ANSWER_BUDGET, connect)

    def time_left(self) -> float | None:
        """Seconds the next attempt may take before the deadline (:data:`MIN_ATTEMPT` at the least); None: no deadline."""
        return None if self.deadline is None else max(MIN_ATTEMPT, self.deadline - time.monotonic())

    def attempt_timeouts(self) -> Timeouts:
        """The next attempt's connect and read timeouts: the configured ones, cut to the time left before the deadline."""
        left = self.time_left()
        if left is None:
            return self.timeouts
        connect, read = self.timeouts.connect, self.timeouts.read
        return Timeouts(left if connect is None else min(connect, left), left if read is None else min(read, left))

    def answered(self, status: int, headers: Mapping[str, str]) -> float | None:
        """None when the answer is final (also when waiting for a retry would pass the deadline);
        else the seconds to wait before sending again."""
        again, server_delay = retry_after(status, headers)
        if not again or self.count > self.policy.max_retries:
            return None
        reason = f"HTTP {status}" + (f", Retry-After {server_delay:g} s" if server_delay is not None else "")
        return self._again(server_delay, reason, self.deadline)

    def failed(self, failure: Failure) -> float:
        """The seconds to wait before sending again after no answer.

        Raises:
            ServerUnavailable, TLSVerificationError: when it is not sent again (the error, without its frames).
        """
        if self.count <= self.policy.max_retries and resendable(self.method, failure.kind):
            wait = self._again(None, f"no answer ({failure.error})", self.no_answer_until)
            if wait is not None:
                return wait
        late = self.deadline is not None and time.monotonic() >= self.deadline
        raise no_answer(failure, self.method, self.url, self.count, late) from failure.error.with_traceback(None)

    def _again(self, server_delay: float | None, reason: str, until: float | None) -> float | None:
        """The wait before the next attempt, or None when there is no time for one before ``until``.

        A wait the server asked for (``Retry-After``) is never cut; a backoff is cut so that a
        last attempt is made at ``until``.
        """
        seconds = self.policy.delay(self.count, server_delay)
        if until is not None:
            left = until - time.monotonic()
            if left <= 0 or (server_delay is not None and seconds > left):
                return None
            seconds = min(seconds, left)
        log.debug(
            "pykorm: %s %s: %s; retry %d of %d in %.2f s",
            self.method, self.url, reason, self.count, self.policy.max_retries, seconds,
        )
        self.count += 1
        return seconds


def _earliest(first: float | None, second: float | None) -> float | None:
    """The earlier of two deadlines (None: none)."""
    if first is None:
        return second
    return first if second is None else min(first, second)


def resendable(method: str, kind: str) -> bool:
    """Whether a request that got no answer may be sent again: never after a timeout; a write only
    when it cannot have been sent (the connection was never made)."""
    return kind == Failure.NOT_CONNECTED or (kind == Failure.BROKEN and method in IDEMPOTENT)


def no_answer(
    failure: Failure, method: str, url: str, attempts: int = 1, late: bool = False
) -> ApiError | ConfigurationError:
    """The error for a request that got no HTTP answer: a TLS verification failure, the server unreachable,
    or — for a write whose answer was lost — an outcome nobody knows. ``late``: the call's deadline had come."""
    what, error = f"{method} {url}", failure.error
    if failure.kind == Failure.CERTIFICATE:
        return TLSVerificationError(
            f"{what}: the API server's certificate did not verify ({getattr(error, 'reason', None) or error}). "
            "Check the cluster's certificate-authority(-data) and server name in the kubeconfig"
        )
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if failure.kind == Failure.NOT_CONNECTED:
        told = f"cannot connect to the API server{tries} ({error}); nothing was sent"
    elif failure.kind == Failure.CONNECT_TIMEOUT:
        told = f"no connection to the API server within the connect timeout{tries} ({error}); nothing was sent"
    elif method not in IDEMPOTENT:
        told = (
            f"the answer was lost{tries} ({error}): the outcome is unknown, the change may or may not "
            "have been made; read the object to find out"
        )
    else:
        told = f"no answer from the API server{tries} ({error})"
    if late:
        told += "; the call's time was up"
    return counted(ServerUnavailable(f"{what}: {told}"), attempts)


def counted(error: ApiError, attempts: int, gave_up: bool = False) -> ApiError:
    """``error`` with the number of attempts made; the message says when pykorm stopped retrying."""
    error.attempts = attempts
    if gave_up:
        error.args = (f"{error.args[0]} (gave up after {attempts} attempts)", *error.args[1:])
    return error


def seconds(value: object, what: str) -> float:
    """``value`` as a number of seconds.

    Raises:
        TypeError: it is not a number (a string, a bool, None).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} is a number of seconds, not {type(value).__name__} {value!r:.60}")
    return float(value)
