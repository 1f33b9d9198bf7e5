"""JSON merge patches (RFC 7386): the difference between what the server sent and what the object holds now."""

from __future__ import annotations

from typing import Any

__all__ = ["merge_patch"]


def merge_patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The merge patch that turns ``old`` into ``new``: changed keys, ``None`` for removed ones.

    Lists are replaced whole, as merge patches do. An empty dict means "no change".

    >>> merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": 3}})
    {'b': {'c': 3}, 'a': None}
    """
    patch: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key, _ABSENT)
        if isinstance(value, dict) and isinstance(before, dict):
            nested = merge_patch(before, value)  # empty when they are the same: one walk, not one per depth
            if nested:
                patch[key] = nested
        elif not _same(before, value):
            patch[key] = value
    for key in old:
        if key not in new:
            patch[key] = None
    return patch


def _same(a: Any, b: Any) -> bool:
    """JSON equality: Python's ``==`` but ``true`` is not ``1`` (nor ``false`` ``0``), at any depth."""
    if a is b:
        return True  # the snapshot shares unchanged scalars with the object (pykorm._data.tracking.json_copy)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


_ABSENT = object()
