"""A field's value between JSON and Python: nested objects wrapped as views of the JSON (:class:`NestedList`
for a list of them), datetimes, enums; and back (:func:`to_json`), a nested value given as a dict checked
field by field.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, MutableSequence
from typing import TYPE_CHECKING, Any

from .dicts import json_time, nested_json
from .types import TypeInfo, is_nested_class

if TYPE_CHECKING:
    from .types import Holder, NestedClass

__all__ = ["PLAIN", "NestedList", "from_json", "instant", "is_view", "to_json"]


def from_json(info: TypeInfo, value: Any, obj: Holder | None) -> Any:
    kind = info.kind
    if kind == "nested" and isinstance(value, dict):
        return info.python._wrap(value, obj._root_object() if obj is not None else None)
    if kind == "list" and info.item is not None and info.item.kind == "nested" and isinstance(value, list):
        if obj is None:
            return [info.item.python._wrap(item) for item in value]
        return NestedList(value, info.item.python, obj)
    if kind == "datetime" and isinstance(value, str):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "enum":
        try:
            return info.python(value)
        except ValueError:
            return value  # the server holds a value the model does not know: show it as it is
    return value


def instant(value: Any) -> datetime.datetime | None:
    """A timestamp as an aware datetime, whatever its form (``Z``, an offset, fractions; UTC when it has no offset):
    what lookups and ``order_by`` compare on a datetime field. None for anything else (an unparsable string).
    """
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.timezone.utc)


def is_view(info: TypeInfo) -> bool:
    """A nested object or a list of them: read through views that report changes themselves."""
    kind = info.kind
    return kind == "nested" or (kind == "list" and info.item is not None and info.item.kind == "nested")


def to_json(info: TypeInfo, value: Any, obj: Holder | None) -> Any:
    kind = type(value)
    if kind in PLAIN or value is None:  # most values (an enum member or a datetime is never exactly one of these types)
        if info.kind == "nested" and value is not None:
            nested_json(info.python, value)  # raises: a str, int... is no nested object
        return value
    if (kind is dict or kind is list) and info.kind != "nested":  # labels, tags...: no datetime, enum or nested object
        item = info.item
        if item is None:
            return value
        own = PLAIN if item.kind != "nested" else _NONE  # a plain value is its own JSON (the first case above)
        if kind is list:
            return [v if type(v) in own else to_json(item, v, obj) for v in value]
        return {k: v if type(v) in own else to_json(item, v, obj) for k, v in value.items()}
    if isinstance(value, datetime.datetime):
        return json_time(value)
    if info.kind == "enum" and isinstance(value, info.python):
        return value.value
    if is_nested_class(type(value)):
        if info.kind == "nested" and not isinstance(value, info.python):
            nested_json(info.python, value)  # raises: another class's object
        if obj is not None:
            value._attach(obj._root_object())
        return value._raw
    if info.kind == "nested":  # a dict: each key a field (its name or JSON key), each value checked at any depth
        return nested_json(info.python, value)
    if isinstance(value, (list, tuple)) and info.item is not None:
        return [to_json(info.item, v, obj) for v in value]
    if isinstance(value, dict) and info.item is not None:
        return {k: to_json(info.item, v, obj) for k, v in value.items()}
    return value


PLAIN = frozenset({str, int, float, bool})
"""The types whose values are their own JSON: no conversion to look for."""

_NONE: frozenset[type] = frozenset()


class NestedList(MutableSequence[Any]):
    """A live view of a JSON list of nested objects: changes go straight into the owning object."""

    def __init__(self, raw: list[Any], nested: type[NestedClass], owner: Holder) -> None:
        self._raw = raw
        self._nested = nested
        self._owner = owner

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._nested._wrap(v, self._owner._root_object()) for v in self._raw[index]]
        return self._nested._wrap(self._raw[index], self._owner._root_object())

    def __iter__(self) -> Iterator[Any]:
        wrap, root = self._nested._wrap, self._owner._root_object()
        for raw in self._raw:
            yield wrap(raw, root)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._owner._will_change()
        if isinstance(index, slice):
            self._raw[index] = [self._unwrap(v) for v in value]
        else:
            self._raw[index] = self._unwrap(value)

    def __delitem__(self, index: Any) -> None:
        self._owner._will_change()
        del self._raw[index]

    def __len__(self) -> int:
        return len(self._raw)

    def insert(self, index: int, value: Any) -> None:
        self._owner._will_change()
        self._raw.insert(index, self._unwrap(value))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NestedList):
            return self._raw == other._raw
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))

    def _unwrap(self, value: Any) -> Any:
        return to_json(TypeInfo("nested", python=self._nested), value, self._owner)
