"""Patches between two JSON documents: merge patches (RFC 7386), the difference between what the server
sent and what the object holds now; JSON patches (RFC 6902), what a mutating admission webhook answers."""

from __future__ import annotations

from typing import Any

__all__ = ["json_patch", "merge_patch"]


def merge_patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The merge patch that turns ``old`` into ``new``: changed keys, ``None`` for removed ones.

    Lists are replaced whole, as merge patches do. An empty dict means "no change".

    >>> merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": 3}})
    {'b': {'c': 3}, 'a': None}
    """
    # dict's own methods: a tracked container's (pykorm._data.tracking) would swap its children as they are read
    patch: dict[str, Any] = {}
    absent = _ABSENT
    for key, value in dict.items(new):
        before = dict.get(old, key, absent)
        if value is before:
            continue  # the snapshot shares what did not change (pykorm._data.tracking.json_copy): scalars
        if isinstance(value, dict) and isinstance(before, dict):
            nested = merge_patch(before, value)  # empty when they are the same: one walk, not one per depth
            if nested:
                patch[key] = nested
        elif not _same(before, value):
            patch[key] = value
    if len(old) != len(new) or not all(key in new for key in old):
        for key in old:
            if key not in new:
                patch[key] = None
    return patch


def json_patch(old: Any, new: Any) -> list[dict[str, Any]]:
    """The JSON patch (RFC 6902) operations that turn ``old`` into ``new``: ``add``, ``remove``, ``replace``.

    Objects are compared key by key; a list that changed is replaced whole (no moves: what was sent
    is what the patch says). Keys are escaped as JSON pointers want (``~`` → ``~0``, ``/`` → ``~1``).
    An empty list means "no change".

    >>> json_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": 3}, "d": [1]})
    [{'op': 'replace', 'path': '/b/c', 'value': 3}, {'op': 'add', 'path': '/d', 'value': [1]}, {'op': 'remove', 'path': '/a'}]
    """
    operations: list[dict[str, Any]] = []
    _json_patch(old, new, "", operations)
    return operations


def _json_patch(old: Any, new: Any, pointer: str, operations: list[dict[str, Any]]) -> None:
    if _same(old, new):
        return
    if not (isinstance(old, dict) and isinstance(new, dict)):
        operations.append({"op": "replace", "path": pointer, "value": new})
        return
    for key, value in new.items():
        here = f"{pointer}/{_escape(key)}"
        if key in old:
            _json_patch(old[key], value, here, operations)
        else:
            operations.append({"op": "add", "path": here, "value": value})
    operations.extend({"op": "remove", "path": f"{pointer}/{_escape(key)}"} for key in old if key not in new)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _same(a: Any, b: Any) -> bool:
    """JSON equality: Python's ``==`` but ``true`` is not ``1`` (nor ``false`` ``0``), at any depth."""
    if a is b:
        return True  # the snapshot shares unchanged scalars with the object (pykorm._data.tracking.json_copy)
    kind = type(a)
    if kind is type(b) and (kind is str or kind is int or kind is float):
        return bool(a == b)
    if kind is bool or type(b) is bool:  # bool has no subclasses; a is not b
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        if dict.keys(a) != dict.keys(b):
            return False
        for key, value in dict.items(a):
            other = dict.__getitem__(b, key)
            if value is not other and not _same(value, other):
                return False
        return True
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        for value, other in zip(list.__iter__(a), list.__iter__(b)):
            if value is not other and not _same(value, other):
                return False
        return True
    return bool(a == b)


_ABSENT = object()
