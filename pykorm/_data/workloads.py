"""The state of workloads, read from their status as their controllers write it, with the reason why not.

Pure functions of an object (a model of ``pykorm.k8s`` or its JSON dict): no request.

    >>> rollout_state(deployment).reason
    'ProgressDeadlineExceeded: ReplicaSet "web-5d4f" has timed out progressing.'
    >>> pk.wait_for(job, job_finished, timeout=60)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, Mapping

from .objects import _Object, peek

__all__ = [
    "JobState", "RolloutState", "available", "job_failed", "job_finished", "job_state", "job_succeeded", "rolled_out",
    "rollout_state",
]


@dataclasses.dataclass(frozen=True)
class RolloutState:
    """Where a Deployment's (or StatefulSet's, DaemonSet's) rollout stands.

    ``rolled_out``: the controller has seen the latest spec and every wanted replica runs it, updated
    and available, with no old one left (``kubectl rollout status`` says "successfully rolled out").
    ``available``: at least the wanted replicas are available (the ``Available`` condition, where written).
    ``failed``: the rollout stopped progressing (``Progressing=False``, ``ProgressDeadlineExceeded``).
    ``reason``: why not rolled out (None once it is), from the conditions, else from the counts.
    """

    rolled_out: bool
    available: bool
    failed: bool
    wanted: int
    updated: int
    ready: int
    available_replicas: int
    reason: str | None


@dataclasses.dataclass(frozen=True)
class JobState:
    """Where a Job stands: ``state`` is ``pending`` (no pod started yet or suspended), ``running``,
    ``succeeded`` or ``failed`` (its final ``Complete``/``Failed`` condition); ``reason`` and ``message``
    are that condition's (``BackoffLimitExceeded``, ``DeadlineExceeded``...), or why it waits."""

    state: Literal["pending", "running", "succeeded", "failed"]
    reason: str | None
    message: str | None
    active: int
    succeeded: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed")


def _raw(obj: Any) -> Mapping[str, Any]:
    if obj is None:
        return {}
    raw = peek(obj) if isinstance(obj, _Object) else obj  # read only: a cache's object is not copied
    if not isinstance(raw, Mapping):
        raise TypeError(f"expected a model or its JSON dict, not {type(obj).__name__}")
    return raw


def _conditions(status: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {c.get("type", ""): c for c in status.get("conditions") or () if isinstance(c, Mapping)}


def _said(condition: Mapping[str, Any] | None) -> str | None:
    if not condition:
        return None
    return ": ".join(str(x) for x in (condition.get("reason"), condition.get("message")) if x) or None


def rollout_state(obj: Any) -> RolloutState:
    """The rollout of a Deployment, StatefulSet or DaemonSet (its model or dict); None (deleted) is not rolled out.

    Raises:
        TypeError: ``obj`` is no model nor dict.
    """
    raw = _raw(obj)
    kind = raw.get("kind") or type(obj).__name__
    spec, status = raw.get("spec") or {}, raw.get("status") or {}
    metadata = raw.get("metadata") or {}
    conditions = _conditions(status)
    if kind == "DaemonSet":
        wanted = int(status.get("desiredNumberScheduled") or 0)
        updated = int(status.get("updatedNumberScheduled") or 0)
        ready = int(status.get("numberReady") or 0)
        free = int(status.get("numberAvailable") or 0)
        total = int(status.get("currentNumberScheduled") or 0)
    else:
        wanted = 1 if spec.get("replicas") is None else int(spec["replicas"])
        updated = int(status.get("updatedReplicas") or 0)
        ready = int(status.get("readyReplicas") or 0)
        free = int(status.get("availableReplicas") or 0)
        total = int(status.get("replicas") or 0)
    observed = int(status.get("observedGeneration") or 0) >= int(metadata.get("generation") or 0) and bool(raw)
    progressing = conditions.get("Progressing")
    failed = bool(progressing and progressing.get("status") == "False"
                  and progressing.get("reason") == "ProgressDeadlineExceeded")
    if "Available" in conditions:
        available = conditions["Available"].get("status") == "True" and free >= wanted
    else:
        available = free >= wanted
    if kind == "StatefulSet" and status.get("updateRevision") and status.get("currentRevision") != status.get(
            "updateRevision") and updated >= wanted:
        old_left = False  # a StatefulSet's revisions converge once every replica is updated
    else:
        old_left = total > updated
    rolled_out = observed and updated >= wanted and free >= wanted and not old_left and not failed
    reason: str | None = None
    if not raw:
        reason = "it does not exist"
    elif not rolled_out:
        if failed:
            reason = _said(progressing)
        elif not observed:
            reason = "its controller has not seen the latest spec yet"
        elif updated < wanted:
            reason = f"{updated} of {wanted} replicas updated"
        elif old_left:
            reason = f"{total - updated} old replicas pending termination"
        else:
            reason = f"{free} of {wanted} updated replicas available"
        unavailable = conditions.get("Available")
        if not failed and unavailable is not None and unavailable.get("status") == "False" and _said(unavailable):
            reason = f"{reason} ({_said(unavailable)})"
    return RolloutState(rolled_out, available, failed, wanted, updated, ready, free, reason)


def rolled_out(obj: Any) -> bool:
    """``pk.wait_for(deployment, pykorm.rolled_out)``: see :class:`RolloutState`."""
    return obj is not None and rollout_state(obj).rolled_out


def available(obj: Any) -> bool:
    """``pk.wait_for(deployment, pykorm.available)``: at least the wanted replicas are available."""
    return obj is not None and rollout_state(obj).available


def job_state(obj: Any) -> JobState:
    """The state of a Job (its model or dict).

    Raises:
        TypeError: ``obj`` is no model nor dict.
    """
    raw = _raw(obj)
    spec, status = raw.get("spec") or {}, raw.get("status") or {}
    conditions = _conditions(status)
    counts = (int(status.get("active") or 0), int(status.get("succeeded") or 0), int(status.get("failed") or 0))
    for kind, state in (("Failed", "failed"), ("Complete", "succeeded")):
        final = conditions.get(kind)
        if final is not None and final.get("status") == "True":
            return JobState(state, final.get("reason") or None, final.get("message") or None, *counts)  # type: ignore[arg-type]
    for kind in ("FailureTarget", "SuccessCriteriaMet"):  # decided; its pods are being terminated
        decided = conditions.get(kind)
        if decided is not None and decided.get("status") == "True":
            return JobState("running", decided.get("reason") or kind, decided.get("message") or None, *counts)
    suspended = conditions.get("Suspended")
    if spec.get("suspend") or (suspended is not None and suspended.get("status") == "True"):
        return JobState("pending", "Suspended", _said(suspended), *counts)
    if counts[0] or status.get("startTime") and (counts[1] or counts[2]):
        return JobState("running", None, None, *counts)
    return JobState("pending", None if raw else "NotFound", None if status.get("startTime") else
                    ("no pod has started yet" if raw else "it does not exist"), *counts)


def job_finished(obj: Any) -> bool:
    """``pk.wait_for(job, pykorm.job_finished)``: succeeded or failed (a deleted Job: False)."""
    return obj is not None and job_state(obj).finished


def job_succeeded(obj: Any) -> bool:
    return obj is not None and job_state(obj).state == "succeeded"


def job_failed(obj: Any) -> bool:
    return obj is not None and job_state(obj).state == "failed"
