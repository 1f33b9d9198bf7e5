"""A field's value between JSON and Python: nested objects wrapped as views of the JSON (:class:`NestedList`
for a list of them), datetimes, enums, lists and dicts of those (:class:`ItemList`, :class:`ItemDict`: live
views whose items read as the scalar field reads them); and back (:func:`to_json`), a nested value given as a
dict checked field by field.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, MutableMapping, MutableSequence
from typing import TYPE_CHECKING, Any

from .._base.errors import ClientValidationError
from .dicts import at, json_time, nested_json
from .tracking import json_copy
from .types import TypeInfo, is_nested_class

if TYPE_CHECKING:
    from .types import Holder, NestedClass

__all__ = ["PLAIN", "ItemDict", "ItemList", "NestedList", "from_json", "instant", "is_view", "to_json"]


def from_json(info: TypeInfo, value: Any, obj: Holder | None) -> Any:
    kind = info.kind
    if kind == "nested" and isinstance(value, dict):
        return info.python._wrap(value, obj._root_object() if obj is not None else None)
    if kind == "list" and info.item is not None and info.item.kind == "nested" and isinstance(value, list):
        if obj is None:
            return [info.item.python._wrap(item) for item in value]
        return NestedList(value, info.item.python, obj)
    if kind == "list" and isinstance(value, list) and _reads_converted(info.item):
        return ItemList(value, info.item, obj) if obj is not None else [from_json(info.item, v, None) for v in value]  # type: ignore[arg-type]
    if kind == "dict" and isinstance(value, dict) and _reads_converted(info.item):
        if obj is None:
            return {k: from_json(info.item, v, None) for k, v in value.items()}  # type: ignore[arg-type]
        return ItemDict(value, info.item, obj)  # type: ignore[arg-type]
    if kind == "float" and type(value) is int:  # JSON has one number type: 2.0 comes back from the API server as 2
        return float(value)
    if kind == "datetime" and isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return value  # the server holds text that is no timestamp (a schema without the format): show it as it is
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
    """A nested object, or a list or dict whose items read as something else than their JSON (nested objects,
    datetimes, enum members): read through views that report changes themselves."""
    kind = info.kind
    return kind == "nested" or (kind in ("list", "dict") and _reads_converted(info.item))


def _reads_converted(info: TypeInfo | None) -> bool:
    """Whether a value of this type reads as something else than its JSON (a datetime, an enum member, a view)."""
    if info is None:
        return False
    return info.kind in ("nested", "datetime", "enum") or (info.kind in ("list", "dict") and _reads_converted(info.item))


def to_json(info: TypeInfo, value: Any, obj: Holder | None) -> Any:
    kind = type(value)
    if kind in _VIEWS:  # a view read from another object (or this one): its JSON, copied (never shared by two objects)
        return json_copy(value._raw)
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
            return [v if type(v) in own else _item_json(item, v, obj, i) for i, v in enumerate(value)]
        return {k: v if type(v) in own else _item_json(item, v, obj, k) for k, v in value.items()}
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
        return [_item_json(info.item, v, obj, i) for i, v in enumerate(value)]
    if isinstance(value, dict) and info.item is not None:
        return {k: _item_json(info.item, v, obj, k) for k, v in value.items()}
    return value


def _item_json(info: TypeInfo, value: Any, obj: Holder | None, where: str | int) -> Any:
    """:func:`to_json` of a list's item or a dict's value: an error says where it is (``[1].row``)."""
    try:
        return to_json(info, value, obj)
    except ClientValidationError as error:
        raise at(error, where) from None


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
        new: Any = [self._unwrap(v, i) for i, v in enumerate(value)] if isinstance(index, slice) else self._unwrap(value, index)
        self._owner._will_change()
        self._raw[index] = new

    def __delitem__(self, index: Any) -> None:
        self._owner._will_change()
        del self._raw[index]

    def __len__(self) -> int:
        return len(self._raw)

    def insert(self, index: int, value: Any) -> None:
        new = self._unwrap(value, min(index, len(self._raw)) if index >= 0 else max(0, len(self._raw) + index))
        self._owner._will_change()
        self._raw.insert(index, new)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NestedList):
            return self._raw == other._raw
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))

    def _unwrap(self, value: Any, where: int) -> Any:
        return _item_json(TypeInfo("nested", python=self._nested), value, self._owner, where)


class ItemList(MutableSequence[Any]):
    """A live view of a JSON list whose items read as something else than their JSON (``list[datetime]``,
    ``list[Enum]``): each item reads as the scalar field reads it (an aware datetime, an enum member) and is
    written as the scalar field writes it (:func:`to_json`); changes go straight into the owning object."""

    def __init__(self, raw: list[Any], item: TypeInfo, owner: Holder) -> None:
        self._raw = raw
        self._item = item
        self._owner = owner

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [from_json(self._item, v, self._owner) for v in self._raw[index]]
        return from_json(self._item, self._raw[index], self._owner)

    def __iter__(self) -> Iterator[Any]:
        item, owner = self._item, self._owner
        for raw in list.__iter__(self._raw):
            yield from_json(item, raw, owner)

    def __setitem__(self, index: Any, value: Any) -> None:
        new: Any = [self._json(v, i) for i, v in enumerate(value)] if isinstance(index, slice) else self._json(value, index)
        self._owner._will_change()
        list.__setitem__(self._raw, index, new)

    def __delitem__(self, index: Any) -> None:
        self._owner._will_change()
        list.__delitem__(self._raw, index)

    def __len__(self) -> int:
        return len(self._raw)

    def insert(self, index: int, value: Any) -> None:
        new = self._json(value, index)
        self._owner._will_change()
        list.insert(self._raw, index, new)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ItemList):
            return list(self) == list(other)
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))

    def __add__(self, other: Any) -> list[Any]:
        return list(self) + list(other)

    def __radd__(self, other: Any) -> list[Any]:
        return list(other) + list(self)

    def copy(self) -> list[Any]:
        """The items as a plain list (not a view: changing it changes nothing)."""
        return list(self)

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        """Sort in place, as ``list.sort`` does, by the items' values (instants, for datetimes)."""
        self[:] = sorted(self, key=key, reverse=reverse)

    def _json(self, value: Any, where: int) -> Any:
        return _item_json(self._item, value, self._owner, where)


class ItemDict(MutableMapping[str, Any]):
    """A live view of a JSON object whose values read as something else than their JSON (``dict[str, datetime]``,
    ``dict[str, Enum]``): :class:`ItemList`'s rules, by key."""

    def __init__(self, raw: dict[str, Any], item: TypeInfo, owner: Holder) -> None:
        self._raw = raw
        self._item = item
        self._owner = owner

    def __getitem__(self, key: str) -> Any:
        return from_json(self._item, dict.__getitem__(self._raw, key), self._owner)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.keys(self._raw))

    def __len__(self) -> int:
        return len(self._raw)

    def __setitem__(self, key: str, value: Any) -> None:
        new = _item_json(self._item, value, self._owner, key)
        self._owner._will_change()
        dict.__setitem__(self._raw, key, new)

    def __delitem__(self, key: str) -> None:
        if key not in self._raw:
            raise KeyError(key)
        self._owner._will_change()
        dict.__delitem__(self._raw, key)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ItemDict, dict)):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def copy(self) -> dict[str, Any]:
        """The items as a plain dict (not a view: changing it changes nothing)."""
        return dict(self.items())


_VIEWS = frozenset({NestedList, ItemList, ItemDict})
