"""Subresources of any kind: ``/scale`` (Deployments, StatefulSets, ReplicaSets, CRDs with ``Meta.scale``)
and a pod's ``/log``."""

from __future__ import annotations

import dataclasses
from typing import Any

from .._base.errors import ClientValidationError

__all__ = ["Scale", "log_params", "scale_from", "scale_patch"]


@dataclasses.dataclass(frozen=True)
class Scale:
    """An object's ``autoscaling/v1`` Scale: the replicas asked for, those running, their label selector."""

    replicas: int
    current_replicas: int | None
    selector: str | None
    resource_version: str | None


def scale_from(raw: dict[str, Any]) -> Scale:
    spec, status = raw.get("spec") or {}, raw.get("status") or {}
    return Scale(int(spec.get("replicas") or 0), status.get("replicas"), status.get("selector") or None,
                 (raw.get("metadata") or {}).get("resourceVersion"))


def scale_patch(replicas: int) -> dict[str, Any]:
    """The merge patch that sets the replicas (a bool or a negative count is refused here)."""
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ClientValidationError(f"replicas must be an int >= 0, not {replicas!r}")
    return {"spec": {"replicas": replicas}}


def log_params(
    container: str | None, tail_lines: int | None, since_seconds: int | None, previous: bool, follow: bool
) -> dict[str, Any]:
    """The query parameters of ``/log`` (None and False are left out)."""
    for name, value in (("tail_lines", tail_lines), ("since_seconds", since_seconds)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ClientValidationError(f"{name} must be an int >= 0, not {value!r}")
    return {"container": container, "tailLines": tail_lines, "sinceSeconds": since_seconds,
            "previous": "true" if previous else None, "follow": "true" if follow else None}
