"""Compact cached objects: one string object for each dict key and short value that repeats across them.

A list's JSON decoder shares the keys of one answer; an informer's objects come from many
(streamed first lists and watch events decode each object alone), and values repeat too — the
apiVersion and kind, the namespace, label values, managers in managedFields, enum-like fields.
:meth:`Strings.share` rebuilds an object with every dict key, and every string value of at most
:data:`SHORT` characters, replaced by the first equal string seen: the cache then holds about
what the official client's list of dicts holds, or less. Strings are immutable, so sharing them
changes no answer.

The table is bounded: once it holds :data:`LIMIT` strings it starts again empty (strings of
deleted objects, unique names and resourceVersions are not kept alive forever; objects stored
before keep what they share).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LIMIT", "SHORT", "Strings"]

SHORT = 40  # characters: longer values (descriptions, certificates, unique paths) are rarely shared
LIMIT = 1 << 17  # strings in the table before it starts again


class Strings:
    """A table of the strings seen, for :meth:`share` (one per informer's feed; used by its thread)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def share(self, value: Any) -> Any:
        """``value`` (decoded JSON) rebuilt with its keys and short string values shared (see the module)."""
        if len(self._seen) > LIMIT:
            self._seen = {}
        return _share(value, self._seen)


def _share(value: Any, seen: dict[str, str]) -> Any:
    if type(value) is dict:
        out = {}
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                if len(item) <= SHORT:
                    item = seen.setdefault(item, item)
            elif kind is dict or kind is list:
                item = _share(item, seen)
            out[seen.setdefault(key, key)] = item
        return out
    if type(value) is list:
        return [seen.setdefault(item, item) if type(item) is str and len(item) <= SHORT
                else _share(item, seen) if type(item) is dict or type(item) is list else item for item in value]
    return value
