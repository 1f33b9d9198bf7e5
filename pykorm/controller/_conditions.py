"""Status conditions with Kubernetes' rules (apimachinery's ``meta.SetStatusCondition``).

    >>> set_condition(site, "Ready", True, reason="Serving", message="2/2 replicas", observed_generation=generation)
    >>> is_condition_true(site, "Ready")

A condition is ``{type, status, reason, message, lastTransitionTime, observedGeneration}`` in
``status.conditions``, one per ``type``. Setting one:
- ``lastTransitionTime`` changes only when ``status`` does (a new reason or message is no
  transition); a new condition gets the time now;
- ``reason``, ``message`` and ``observedGeneration`` are written as given, every time;
- nothing changes (and ``update_status`` then sends nothing) when all of them are already so.
``status`` is ``True``/``False`` (bools) or ``"True"``/``"False"``/``"Unknown"``; ``reason`` is
CamelCase as the API's validation requires (``^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$``).

Pass ``observed_generation`` as the ``metadata.generation`` the reconcile read (taken before
``update_status``'s retries: a fresh read after a conflict may hold a newer spec, not yet acted on).
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any, Union

from .._base.errors import ClientValidationError
from .._base.paths import get_path

if TYPE_CHECKING:
    from ..models._model import Model

__all__ = ["Condition", "find_condition", "is_condition_true", "remove_condition", "set_condition"]

Condition = dict[str, Any]
"""A condition as the API serves it: ``{"type": ..., "status": "True", "reason": ..., ...}``."""

_REASON = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
_TYPE = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,314}[A-Za-z0-9])?$")
_STATUSES = {True: "True", False: "False", "True": "True", "False": "False", "Unknown": "Unknown"}

Target = Union["Model", list[Condition]]


def now() -> str:
    """Now as a condition's ``lastTransitionTime`` (RFC 3339, whole seconds, UTC)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    target: Target,
    type: str,
    status: bool | str,
    *,
    reason: str,
    message: str = "",
    observed_generation: int | None = None,
    at: str | None = None,
) -> bool:
    """Set the condition ``type`` in ``target``'s ``status.conditions`` (or in a list, in place); True when changed.

    Only memory changes: save with ``update_status`` (or ``pk.save_status``), which sends nothing when
    nothing changed. ``at`` is the transition time to record (default: now), used only when the status changes.

    Raises:
        ClientValidationError: a bad type, status, reason, message or observed generation.
    """
    wanted = _check(type, status, reason, message, observed_generation)
    conditions = target if isinstance(target, list) else [dict(c) for c in _conditions(target)]
    found = next((c for c in conditions if c.get("type") == type), None)
    if found is None:
        conditions.append({"type": type, **wanted, "lastTransitionTime": at or now()})
    else:
        before = dict(found)
        if found.get("status") != wanted["status"] or not found.get("lastTransitionTime"):
            found["lastTransitionTime"] = at or now()
        found.update(wanted)
        if observed_generation is None:
            found.pop("observedGeneration", None)
        if found == before:
            return False
    if not isinstance(target, list):
        _store(target, conditions)
    return True


def find_condition(target: Target, type: str) -> Condition | None:
    """The condition ``type`` of ``target`` (a copy), or None."""
    conditions = target if isinstance(target, list) else _conditions(target)
    found = next((c for c in conditions if isinstance(c, dict) and c.get("type") == type), None)
    return None if found is None else dict(found)


def is_condition_true(target: Target, type: str) -> bool:
    """True when ``target`` has the condition ``type`` with status ``"True"``."""
    found = find_condition(target, type)
    return found is not None and found.get("status") == "True"


def remove_condition(target: Target, type: str) -> bool:
    """Remove the condition ``type`` from ``target``; True when it was there."""
    if isinstance(target, list):
        kept = [c for c in target if c.get("type") != type]
        removed = len(kept) != len(target)
        target[:] = kept
        return removed
    conditions = _conditions(target)
    kept = [dict(c) for c in conditions if c.get("type") != type]
    if len(kept) == len(conditions):
        return False
    _store(target, kept)
    return True


def _check(type: str, status: bool | str, reason: str, message: str, observed_generation: int | None) -> Condition:
    if not isinstance(type, str) or not _TYPE.match(type):
        raise ClientValidationError(f"condition type {type!r}: a name such as 'Ready' or 'example.com/Synced'")
    if isinstance(status, int) and not isinstance(status, bool) or status not in _STATUSES:
        raise ClientValidationError(f"condition {type}: status is True, False, 'True', 'False' or 'Unknown', "
                                    f"not {status!r}")
    if not isinstance(reason, str) or len(reason) > 1024 or not _REASON.match(reason):
        raise ClientValidationError(f"condition {type}: reason {reason!r} must be CamelCase, such as 'Serving' "
                                    "(letters, digits, '_', ',' and ':'; at most 1024)")
    if not isinstance(message, str) or len(message) > 32768:
        raise ClientValidationError(f"condition {type}: the message is text of at most 32768 characters")
    if observed_generation is not None and (
            isinstance(observed_generation, bool) or not isinstance(observed_generation, int) or observed_generation < 0):
        raise ClientValidationError(f"condition {type}: observed_generation is the metadata.generation the "
                                    f"reconcile read (an int), not {observed_generation!r}")
    wanted: Condition = {"status": _STATUSES[status], "reason": reason, "message": message}
    if observed_generation is not None:
        wanted["observedGeneration"] = observed_generation
    return wanted


def _conditions(obj: Model) -> list[Condition]:
    found = get_path(obj._raw, ("status", "conditions"))
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _store(obj: Model, conditions: list[Condition]) -> None:
    obj._will_change()
    status = obj._raw.get("status")
    if not isinstance(status, dict):
        status = obj._raw["status"] = {}
    status["conditions"] = conditions
