"""Reading a named value of an object, and ordering objects, as queries (and caches) do.

``values``/``pluck`` read by name — a field attribute, a lookup (``placement__rack``) or a dotted
JSON path (``metadata.labels``) — and ``order_by`` sorts by lookups, ``-`` for descending. Values
of mixed JSON types order as numbers, then strings, then anything else by its repr (a datetime field's
timestamps as instants, whatever their form); absent values
come first (last when descending). A name whose path crosses a list (``spec__containers__image``,
``spec.containers.image``) reads a list: each element's value, as the lookups test each element
(lists in elements flattened, None for an element without the value); ``order_by`` refuses such
a path (an object has no single value there). Pure functions of a model class and decoded objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from .._base.errors import ClientValidationError, FieldError
from .conditions import Leaf
from .lookups import resolve_lookup
from .._base.paths import MISSING, Path, as_path, dotted, get_path
from .._data.convert import instant
from .._data.dicts import json_time
from .._data.objects import peek
from .._data.tracking import json_copy
from .._data.types import TypeInfo

if TYPE_CHECKING:
    from .._data.stored import Stored

__all__ = ["element_values", "getter", "getters", "json_sort_key", "list_key", "sort_key"]


def getter(model: type[Stored], name: str) -> Callable[[Any], Any]:
    """The reader of ``name`` on objects of ``model``: None where the object has no such value.

    Through a list, a list: the value of each element (see the module's docstring). A value read
    by path is a copy (the object may hold a cache's JSON, which must not change); a field is read
    through its attribute.

    Raises:
        ClientValidationError: ``name`` is not a string, or names nothing the model has.
    """
    _check_name(name, "a value to read")
    if "." in name:
        path = as_path(name)
        list_at = _declared_lists(model, path)
        if list_at is None:  # the path leaves the declared fields: lists are seen where they are
            return lambda obj: json_copy(_json_value(peek(obj), path))
        if list_at:
            leaf = Leaf(name, path, "exact", None, TypeInfo("any"), list_at)
            return lambda obj: json_copy(element_values(leaf, peek(obj)))
        return lambda obj: json_copy(_none_if_missing(get_path(peek(obj), path)))
    if name in model._fields:
        return lambda obj: getattr(obj, name)
    leaf = resolve_lookup(model, name, None)
    if leaf.list_at:
        return lambda obj: json_copy(element_values(leaf, peek(obj)))
    return lambda obj: json_copy(_none_if_missing(get_path(peek(obj), leaf.path)))


def getters(model: type[Stored], names: Sequence[str]) -> list[tuple[str, Callable[[Any], Any]]]:
    """Each name of ``values(*names)`` with its :func:`getter`.

    Raises:
        ClientValidationError: no names (``values()`` names what it reads), or a bad one.
    """
    if not names:
        raise ClientValidationError(f"values() needs the names to read ({model.__name__} fields, lookups or dotted "
                                    "paths): values('name', 'spec.variety'); all() gives the whole objects")
    return [(name, getter(model, name)) for name in names]


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str):
        message = f"{what} takes attribute names, lookups or dotted paths as strings, not {type(name).__name__} {name!r:.60}"
        raise ClientValidationError(message, causes=(FieldError(repr(name), message, "FieldValueTypeInvalid"),))


def list_key(raw: dict[str, Any]) -> str:
    """An object's key in the server's lists, ``namespace/name`` (``name`` for a cluster-scoped object): a
    list of every namespace is in the order of these keys (so ``a-b/x`` comes before ``a/x``)."""
    metadata = raw.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))


def sort_key(model: type[Stored], order: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The key that sorts objects of ``model`` as ``order_by(*order)`` says.

    Raises:
        ClientValidationError: an unknown attribute, or a path through a list.
    """
    key = json_sort_key(model, order)
    return lambda obj: key(peek(obj))


def json_sort_key(model: type[Stored], order: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """:func:`sort_key` on the objects' JSON (a cache sorts its dicts before making objects of them).

    Raises:
        ClientValidationError: an unknown attribute, or a path through a list.
    """
    for name in order:
        _check_name(name, "order_by()")
    leaves = [(key.startswith("-"), resolve_lookup(model, key.lstrip("-"), None)) for key in order]
    for _, leaf in leaves:
        if leaf.list_at:
            crossed = dotted(leaf.path[: leaf.list_at[0]])
            message = (f"cannot order by {leaf.lookup!r}: it goes through the list {crossed}, where an object has "
                       "a value per element and no single place in the order; order by a field outside the list "
                       "(or sort the objects in Python with a key of your choice)")
            raise ClientValidationError(message, causes=(FieldError(leaf.lookup, message, "FieldValueInvalid"),))

    def key(raw: dict[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for descending, leaf in leaves:
            value = get_path(raw, leaf.path)
            present = value is not MISSING and value is not None
            if present and leaf.info.kind == "datetime":
                value = _instant_text(value)
            part = (present, *_ranked(value if present else None))  # plain tuples: compared in C
            parts.append(_Reversed(part) if descending else part)
        return tuple(parts)

    return key


def element_values(leaf: Leaf, raw: dict[str, Any]) -> list[Any]:
    """The value of each element of the lists ``leaf`` crosses (lists in elements: flattened, in order).

    One entry per innermost element, None where that element has no such value; an absent or
    empty list gives none.
    """
    rest = leaf.path[leaf.list_at[-1]:]
    return [_none_if_missing(get_path(item, rest)) for item in _elements(raw, leaf.path, leaf.list_at)]


def _elements(data: Any, path: Path, list_at: tuple[int, ...], start: int = 0) -> Iterator[Any]:
    """The elements of the innermost list at ``list_at``, through the outer ones (none in an empty list)."""
    data = get_path(data, path[start : list_at[0]])
    for item in data if isinstance(data, list) else ():
        if len(list_at) == 1:
            yield item
        else:
            yield from _elements(item, path, list_at[1:], list_at[0])


def _declared_lists(model: type[Stored], path: Path) -> tuple[int, ...] | None:
    """Where a JSON path crosses lists of nested objects, by the model's declared fields (as ``list_at``).

    None when the path leaves the declared fields (a free-form dict, an undeclared key).
    """
    owner: Any = model
    at = 0
    list_at: list[int] = []
    while at < len(path):
        if owner is None:
            return None
        fields = [f for f in owner._fields.values() if path[at : at + len(f.path)] == f.path]
        if not fields:
            return None
        field = max(fields, key=lambda f: len(f.path))
        at += len(field.path)
        info, owner = field.info, None
        if info.kind == "nested":
            owner = info.python
        elif info.kind == "list" and info.item is not None and info.item.kind == "nested" and at < len(path):
            list_at.append(at)
            owner = info.item.python
        elif at < len(path):
            return None
    return tuple(list_at)


def _json_value(data: Any, path: tuple[str, ...]) -> Any:
    """The value at a dotted JSON path (None when absent); a list before its end fans out, flattened."""
    return _read(data, path)[0]


def _read(data: Any, path: tuple[str, ...]) -> tuple[Any, bool]:
    """The value at ``path`` and whether reading it went through a list (then a list of values)."""
    for index, key in enumerate(path):
        if isinstance(data, list):
            found: list[Any] = []
            for item in data:
                value, crossed = _read(item, path[index:])
                found.extend(value if crossed else [value])
            return found, True
        if not isinstance(data, dict):
            return None, False
        data = data.get(key, MISSING)
        if data is MISSING:
            return None, False
    return data, False


def _none_if_missing(value: Any) -> Any:
    return None if value is MISSING else value


def _instant_text(value: Any) -> Any:
    """A timestamp of a datetime field as text that sorts as its instant (UTC, every digit), else as it is."""
    found = instant(value)
    return value if found is None else json_time(found, every_digit=True)


def _ranked(value: Any) -> tuple[int, Any]:
    """``(rank, value)``: numbers, then strings, then anything else by its repr."""
    if isinstance(value, bool):
        return 0, value
    if isinstance(value, (int, float)):
        return 1, value
    if isinstance(value, str):
        return 2, value
    return 3, repr(value)


class _Reversed:
    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.inner < self.inner)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.inner == other.inner)
