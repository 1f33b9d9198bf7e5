"""Workload states and their reasons, from statuses as the controllers write them (offline)."""

from __future__ import annotations

from typing import Any

import pytest

import pykorm

pytestmark = pytest.mark.unit


def deployment(wanted: int | None = 3, generation: int = 2, **status: Any) -> dict[str, Any]:
    spec = {} if wanted is None else {"replicas": wanted}
    return {"kind": "Deployment", "metadata": {"generation": generation}, "spec": spec, "status": status}


def condition(kind: str, status: str, reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


DONE = dict(observedGeneration=2, replicas=3, updatedReplicas=3, readyReplicas=3, availableReplicas=3,
            conditions=[condition("Available", "True", "MinimumReplicasAvailable"),
                        condition("Progressing", "True", "NewReplicaSetAvailable")])


def test_a_deployment_whose_replicas_are_all_updated_and_available_is_rolled_out() -> None:
    state = pykorm.rollout_state(deployment(**DONE))

    assert (state.rolled_out, state.available, state.failed, state.reason) == (True, True, False, None)
    assert pykorm.rolled_out(deployment(**DONE)) and pykorm.available(deployment(**DONE))


@pytest.mark.parametrize("change,reason", [
    ({"observedGeneration": 1}, "its controller has not seen the latest spec yet"),
    ({"updatedReplicas": 1, "replicas": 4}, "1 of 3 replicas updated"),
    ({"replicas": 5}, "2 old replicas pending termination"),
    ({"availableReplicas": 2}, "2 of 3 updated replicas available"),
])
def test_why_a_deployment_is_not_rolled_out(change: dict[str, Any], reason: str) -> None:
    state = pykorm.rollout_state(deployment(**{**DONE, **change}))

    assert not state.rolled_out and state.reason == reason


def test_a_rollout_past_its_deadline_failed_and_says_why() -> None:
    stuck = deployment(observedGeneration=2, replicas=3, updatedReplicas=3, availableReplicas=0, conditions=[
        condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
        condition("Progressing", "False", "ProgressDeadlineExceeded", 'ReplicaSet "web-1" has timed out progressing.')])

    state = pykorm.rollout_state(stuck)

    assert (state.rolled_out, state.available, state.failed) == (False, False, True)
    assert state.reason == 'ProgressDeadlineExceeded: ReplicaSet "web-1" has timed out progressing.'


def test_the_unavailable_condition_is_quoted_and_no_replicas_field_means_one() -> None:
    waiting = deployment(wanted=None, observedGeneration=2, replicas=0, conditions=[
        condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")])

    state = pykorm.rollout_state(waiting)

    assert state.wanted == 1 and not state.available
    assert state.reason == ("0 of 1 replicas updated (MinimumReplicasUnavailable: "
                            "Deployment does not have minimum availability.)")


def test_zero_replicas_is_rolled_out_and_a_deleted_object_is_not() -> None:
    assert pykorm.rolled_out(deployment(wanted=0, observedGeneration=2))
    assert not pykorm.rolled_out(None) and not pykorm.available(None)
    assert pykorm.rollout_state(None).reason == "it does not exist"


def test_a_daemon_set_counts_its_scheduled_pods() -> None:
    ds = {"kind": "DaemonSet", "metadata": {"generation": 1}, "status": {
        "observedGeneration": 1, "desiredNumberScheduled": 2, "currentNumberScheduled": 2,
        "updatedNumberScheduled": 2, "numberReady": 2, "numberAvailable": 1}}

    assert pykorm.rollout_state(ds).reason == "1 of 2 updated replicas available"


def job(**status: Any) -> dict[str, Any]:
    return {"kind": "Job", "metadata": {}, "spec": {}, "status": status}


def test_a_jobs_final_condition_decides_with_its_reason() -> None:
    done = pykorm.job_state(job(succeeded=2, conditions=[condition("SuccessCriteriaMet", "True", "CompletionsReached"),
                                                          condition("Complete", "True", "CompletionsReached")]))
    failed = pykorm.job_state(job(failed=1, conditions=[
        condition("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        condition("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]))

    assert (done.state, done.reason, done.succeeded, done.finished) == ("succeeded", "CompletionsReached", 2, True)
    assert (failed.state, failed.reason, failed.finished) == ("failed", "BackoffLimitExceeded", True)
    assert failed.message == "Job has reached the specified backoff limit"
    assert pykorm.job_succeeded(job(conditions=[condition("Complete", "True")]))
    assert pykorm.job_failed(job(conditions=[condition("Failed", "True")]))


def test_a_job_not_finished_says_where_it_is() -> None:
    assert pykorm.job_state(job()).state == "pending"
    assert pykorm.job_state(job(active=1, startTime="2026-01-01T00:00:00Z")).state == "running"
    terminating = pykorm.job_state(job(failed=1, conditions=[condition("FailureTarget", "True", "DeadlineExceeded")]))
    assert (terminating.state, terminating.reason, terminating.finished) == ("running", "DeadlineExceeded", False)
    suspended = pykorm.job_state({"kind": "Job", "spec": {"suspend": True}, "status": {}})
    assert (suspended.state, suspended.reason) == ("pending", "Suspended")
    assert not pykorm.job_finished(job(conditions=[condition("Complete", "False")]))
    assert not pykorm.job_finished(None)


def test_a_value_that_is_no_object_is_refused() -> None:
    with pytest.raises(TypeError):
        pykorm.rollout_state(3)
    with pytest.raises(TypeError):
        pykorm.job_state("job")
