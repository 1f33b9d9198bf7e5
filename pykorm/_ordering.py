"""Reading a named value of an object, and ordering objects, as queries (and caches) do.

``values``/``pluck`` read by name — a field attribute, a lookup (``placement__rack``) or a dotted
JSON path (``metadata.labels``) — and ``order_by`` sorts by lookups, ``-`` for descending. Values
of mixed JSON types order as numbers, then strings, then anything else by its repr; absent values
come first (last when descending). Pure functions of a model class and decoded objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from ._lookups import resolve_lookup
from ._paths import MISSING, as_path, get_path

if TYPE_CHECKING:
    from ._models import Model

__all__ = ["getter", "sort_key"]


def getter(model: type[Model], name: str) -> Callable[[Any], Any]:
    """The reader of ``name`` on objects of ``model``: None where the object has no such value."""
    if "." in name:
        path = as_path(name)
        return lambda obj: _none_if_missing(get_path(obj._raw, path))
    if name in model._fields:
        return lambda obj: getattr(obj, name)
    leaf = resolve_lookup(model, name, None)
    return lambda obj: _none_if_missing(leaf.first_value(obj._raw))


def sort_key(model: type[Model], order: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The key that sorts objects of ``model`` as ``order_by(*order)`` says."""
    leaves = [(key.startswith("-"), resolve_lookup(model, key.lstrip("-"), None)) for key in order]

    def key(obj: Any) -> tuple[Any, ...]:
        parts = []
        for descending, leaf in leaves:
            value = leaf.first_value(obj._raw)
            present = value is not MISSING and value is not None
            part = (present, _Sortable(value if present else None))
            parts.append(_Reversed(part) if descending else part)
        return tuple(parts)

    return key


def _none_if_missing(value: Any) -> Any:
    return None if value is MISSING else value


class _Sortable:
    """Orders values of mixed JSON types: numbers, then strings, then anything else by its repr."""

    __slots__ = ("value", "rank")

    def __init__(self, value: Any) -> None:
        self.value = value
        if isinstance(value, bool):
            self.rank = 0
        elif isinstance(value, (int, float)):
            self.rank = 1
        elif isinstance(value, str):
            self.rank = 2
        else:
            self.rank, self.value = 3, repr(value)

    def __lt__(self, other: _Sortable) -> bool:
        return (self.rank, self.value) < (other.rank, other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Sortable) and (self.rank, self.value) == (other.rank, other.value)


class _Reversed:
    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.inner < self.inner)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.inner == other.inner)
