"""Offline: retry decisions and per-call options — hostile Retry-After values, extreme retry counts, nesting.

tests/test_reliability.py checks the main rules (429, 5xx with Retry-After, jitter bounds) beside
its server tests; here are the edges of the same pure functions.
"""

from __future__ import annotations

import concurrent.futures
import email.utils
import math
import time

import pytest

import pykorm
from pykorm._http.retry import RetryPolicy, Timeouts, current_options, request_options, retry_after

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "infinity", "-5", "-0.5", "1e3", "0x10", "3s", "soon", "", "  "],
                         ids=repr)
def test_a_retry_after_that_is_not_delay_seconds_nor_a_date_is_unreadable(value: str) -> None:
    """An unreadable header on a 5xx means "maybe processed": not retried (a 429 still is, with backoff)."""
    assert retry_after(503, {"Retry-After": value}) == (False, None)
    assert retry_after(429, {"Retry-After": value}) == (True, None)


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("7", 7.0), (" 12 ", 12.0), ("1.5", 1.5), ("007", 7.0)])
def test_delay_seconds(value: str, seconds: float) -> None:
    assert retry_after(503, {"Retry-After": value}) == (True, seconds)


def test_a_date_in_the_past_is_no_wait_and_a_future_one_is_its_distance() -> None:
    assert retry_after(503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == (True, 0.0)
    delay = retry_after(429, {"Retry-After": email.utils.formatdate(time.time() + 120, usegmt=True)})[1]
    assert delay is not None and 100 < delay <= 120


@pytest.mark.parametrize("status", [200, 201, 301, 400, 401, 403, 404, 409, 410, 422])
def test_other_answers_are_never_retried_even_with_a_retry_after(status: int) -> None:
    assert retry_after(status, {"Retry-After": "1"}) == (False, None)


def test_a_huge_server_delay_is_cut_to_max_retry_after() -> None:
    policy = RetryPolicy(max_retry_after=5, backoff=0)
    assert policy.delay(1, 10**9) == 5
    assert policy.delay(1, math.inf) == 5


@pytest.mark.parametrize("retry", [1, 2, 60, 1025, 10**6])
def test_any_retry_number_gives_a_bounded_wait(retry: int) -> None:
    policy = RetryPolicy(max_retries=10**6)
    for _ in range(20):
        assert 0 <= policy.delay(retry, None) <= policy.max_backoff


def test_no_backoff_means_no_wait() -> None:
    assert RetryPolicy(backoff=0).delay(5, None) == 0
    assert RetryPolicy(backoff=0).delay(5, 2.0) == 2.0


@pytest.mark.parametrize("field", ["max_retries", "backoff", "max_backoff", "max_retry_after"])
@pytest.mark.parametrize("value", [-1, -0.001, math.nan])
def test_negative_or_nan_settings_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match="RetryPolicy values"):
        RetryPolicy(**{field: value})  # type: ignore[arg-type]


def test_request_options_nest_and_restore() -> None:
    defaults, timeouts = RetryPolicy(), Timeouts(connect=10, read=60)
    assert current_options(defaults, timeouts) == (defaults, timeouts)
    with request_options(retries=RetryPolicy.none(), read_timeout=5):
        assert current_options(defaults, timeouts) == (RetryPolicy.none(), Timeouts(10, 5))
        with request_options(connect_timeout=1):
            assert current_options(defaults, timeouts) == (RetryPolicy.none(), Timeouts(1, 5))  # inner adds to outer
        assert current_options(defaults, timeouts) == (RetryPolicy.none(), Timeouts(10, 5))
    assert current_options(defaults, timeouts) == (defaults, timeouts)


def test_request_options_are_restored_after_an_error() -> None:
    defaults, timeouts = RetryPolicy(), Timeouts()
    with pytest.raises(RuntimeError), request_options(read_timeout=1):
        raise RuntimeError
    assert current_options(defaults, timeouts) == (defaults, timeouts)


def test_request_options_belong_to_one_thread() -> None:
    defaults, timeouts = RetryPolicy(), Timeouts()
    with request_options(retries=RetryPolicy.none()), concurrent.futures.ThreadPoolExecutor(1) as pool:
        other = pool.submit(current_options, defaults, timeouts).result()
        assert current_options(defaults, timeouts)[0] == RetryPolicy.none()
    assert other == (defaults, timeouts)


def test_the_public_names() -> None:
    assert pykorm.RetryPolicy is RetryPolicy and pykorm.request_options is request_options
