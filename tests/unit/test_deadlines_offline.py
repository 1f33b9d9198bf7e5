"""Offline: the decisions behind deadlines (issue #26) and the order of a relist's events.

tests/test_deadlines.py measures the same rules against a real API server that is stopped,
restarted, compacted, or reached through a proxy that fails; here are their edges.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
import urllib3

import pykorm
from pykorm._http.retry import MIN_ATTEMPT, NO_ANSWER_BUDGET, Attempts, Failure, RetryPolicy, Timeouts, request_options
from pykorm._session.watch import changes

pytestmark = pytest.mark.unit

REFUSED = Failure(Failure.NOT_CONNECTED, urllib3.exceptions.NewConnectionError(None, "refused"))  # type: ignore[arg-type]
BROKEN = Failure(Failure.BROKEN, urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError()))


def attempts(method: str = "GET", policy: RetryPolicy | None = None, connect: float | None = 10.0,
             deadline: float | None = None) -> Attempts:
    return Attempts(RetryPolicy(), Timeouts(connect, 60.0), method, "https://server/x", policy, connect, 60.0, deadline)


def test_a_server_that_refuses_is_tried_for_the_budget_then_reported() -> None:
    """With connect_timeout=0.5 the budget is 0.5 s (3 s otherwise): retried with backoff, a last attempt
    at its end, then ServerUnavailable."""
    started = time.monotonic()
    tries = attempts(connect=0.5, policy=RetryPolicy(backoff=0.1, max_backoff=0.2))
    with pytest.raises(pykorm.ServerUnavailable, match="cannot connect") as caught:
        for _ in range(100):
            time.sleep(tries.failed(REFUSED))
    assert 0.5 - 0.05 <= time.monotonic() - started <= 0.5 + 0.3
    assert caught.value.attempts is not None and caught.value.attempts > 2
    default = attempts()
    assert default.no_answer_until is not None
    assert NO_ANSWER_BUDGET - 0.1 < default.no_answer_until - time.monotonic() <= NO_ANSWER_BUDGET


def test_the_no_answer_budget_is_never_longer_than_the_connect_timeout() -> None:
    now = time.monotonic()
    short = attempts(connect=1.0)
    assert short.no_answer_until is not None and short.no_answer_until <= now + 1.0 + 0.05
    unbounded = attempts(connect=None)
    assert unbounded.no_answer_until is not None and unbounded.no_answer_until <= time.monotonic() + NO_ANSWER_BUDGET


def test_max_elapsed_widens_the_no_answer_budget_and_bounds_everything() -> None:
    tries = attempts(policy=RetryPolicy(max_elapsed=40))
    assert tries.deadline is not None and tries.no_answer_until == tries.deadline
    assert 39 < tries.deadline - time.monotonic() <= 40
    for failure in (REFUSED, Failure(Failure.TIMEOUT, TimeoutError("read timed out"))):
        nothing = attempts(policy=RetryPolicy(max_elapsed=0))  # no time at all: the first failure is final
        time.sleep(0.01)
        with pytest.raises(pykorm.ServerUnavailable, match="time was up"):
            nothing.failed(failure)


def test_a_callers_deadline_wins_over_a_longer_budget() -> None:
    deadline = time.monotonic() + 2
    tries = attempts(policy=RetryPolicy(max_elapsed=60), deadline=deadline)
    assert tries.deadline == deadline and tries.no_answer_until == deadline


def test_a_callers_deadline_is_also_how_long_a_server_that_gives_no_answer_is_tried() -> None:
    """A method with a timeout spends it: a wait of 30 s rides out a restart that a plain call would not."""
    deadline = time.monotonic() + 30
    assert attempts(deadline=deadline).no_answer_until == deadline
    assert attempts(policy=RetryPolicy(max_elapsed=5), deadline=deadline).no_answer_until < deadline


def test_each_attempt_waits_at_most_what_is_left_and_at_least_min_attempt() -> None:
    tries = attempts(deadline=time.monotonic() + 2)
    limits = tries.attempt_timeouts()
    assert limits.connect is not None and limits.read is not None
    assert 1.5 < limits.connect <= 2 and 1.5 < limits.read <= 2
    late = attempts(deadline=time.monotonic() - 5)
    assert late.attempt_timeouts() == Timeouts(MIN_ATTEMPT, MIN_ATTEMPT)  # never 0: a socket timeout of 0 never waits
    assert attempts().attempt_timeouts() == Timeouts(10.0, 60.0)  # no deadline: the configured ones
    assert attempts(connect=None, deadline=time.monotonic() + 3).attempt_timeouts().connect is not None


def test_a_retry_after_longer_than_the_time_left_is_not_waited() -> None:
    tries = attempts(deadline=time.monotonic() + 2)
    assert tries.answered(429, {"Retry-After": "5"}) is None  # final: raised at once with the server's answer
    assert tries.count == 1
    wait = tries.answered(429, {"Retry-After": "1"})
    assert wait is not None and 1 <= wait <= 2


def test_a_backoff_is_cut_so_that_a_last_attempt_comes_at_the_deadline() -> None:
    tries = attempts(policy=RetryPolicy(backoff=100, max_backoff=100), deadline=time.monotonic() + 1)
    wait = tries.answered(429, {})
    assert wait is not None and 0.9 < wait <= 1


def test_a_write_whose_answer_was_lost_is_never_sent_again_whatever_the_budget() -> None:
    tries = attempts("POST", policy=RetryPolicy(max_elapsed=60))
    with pytest.raises(pykorm.ServerUnavailable, match="outcome is unknown"):
        tries.failed(BROKEN)
    assert attempts("POST").failed(REFUSED) >= 0  # refused: nothing was sent, so it is sent again


def test_max_retries_still_applies_within_a_wide_budget() -> None:
    tries = attempts(policy=RetryPolicy(max_retries=2, backoff=0, max_elapsed=60))
    tries.failed(REFUSED)
    tries.failed(REFUSED)
    with pytest.raises(pykorm.ServerUnavailable, match="after 3 attempts"):
        tries.failed(REFUSED)


@pytest.mark.parametrize("value", [-1, -0.5, math.nan])
def test_a_negative_or_nan_budget_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="RetryPolicy values"):
        RetryPolicy(max_elapsed=value)
    with pytest.raises(ValueError, match="max_elapsed"):
        with request_options(max_elapsed=value):
            pass


def test_request_options_max_elapsed_changes_only_the_budget_of_the_policy_in_force() -> None:
    session_policy = RetryPolicy(max_retries=3, backoff=0.1)
    with request_options(max_elapsed=30):
        found = Attempts(session_policy, Timeouts(), "GET", "u", None, 10.0, 60.0)
        assert found.policy == RetryPolicy(max_retries=3, backoff=0.1, max_elapsed=30)
        with request_options(retries=RetryPolicy.none()):
            inner = Attempts(session_policy, Timeouts(), "GET", "u", None, 10.0, 60.0)
            assert inner.policy == RetryPolicy(max_retries=0, max_elapsed=30)  # the outer budget stays
    assert Attempts(session_policy, Timeouts(), "GET", "u", None, 10.0, 60.0).policy == session_policy


# -- the order of a relist's events ---------------------------------------------------------------------------------


def obj(name: str, version: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": version}}


def test_a_relist_reports_deletions_first_then_changes_in_resource_version_order() -> None:
    before = {"uid-a": obj("a", "10"), "uid-b": obj("b", "11"), "uid-c": obj("c", "12"), "uid-d": obj("d", "9")}
    after = {"uid-b": obj("b", "11"), "uid-c": obj("c", "30"), "uid-e": obj("e", "25"), "uid-f": obj("f", "100")}
    found = [(kind, new["metadata"]["name"], old is None) for kind, old, new in changes(before, after)]
    assert found == [
        ("DELETED", "d", False), ("DELETED", "a", False),  # gone: before any change, older first
        ("ADDED", "e", True), ("MODIFIED", "c", False), ("ADDED", "f", True),  # by resourceVersion, not by name
    ]


def test_resource_versions_compare_as_numbers_and_opaque_ones_keep_their_list_order() -> None:
    after = {"x": obj("x", "9"), "y": obj("y", "10"), "z": obj("z", "opaque"), "w": obj("w", "also-opaque")}
    assert [new["metadata"]["name"] for _, _, new in changes({}, after)] == ["x", "y", "z", "w"]


def test_nothing_is_reported_twice_and_an_unchanged_object_not_at_all() -> None:
    same = {"uid-a": obj("a", "5")}
    assert changes(same, dict(same)) == []
    assert changes({}, {}) == []
