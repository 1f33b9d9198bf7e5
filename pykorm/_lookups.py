"""Filter expressions: Django-style lookups (``price__gt=2``) combined into ``Q`` trees.

    >>> Q(variety="Frost") | ~Q(price__gte=3)

A lookup names an attribute of the model, then attributes of nested objects or
keys of dict fields (``score__exterior``, ``labels__app``), then optionally an
operator (``gt``, ``in``, ``startswith``... default ``exact``). Lookups are
resolved against the model into JSON paths once, and evaluated on the
objects' JSON, so a filter never builds nested Python objects.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import operator
import re
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal, cast, get_args

from ._errors import ClientValidationError, FieldError
from ._paths import MISSING, Path, dotted
from ._types import TypeInfo

if TYPE_CHECKING:
    from ._objects import _Object

__all__ = ["Leaf", "Q", "resolve"]

Operator = Literal[
    "exact", "iexact", "contains", "icontains", "in", "gt", "gte", "lt", "lte",
    "startswith", "istartswith", "endswith", "iendswith", "isnull", "has", "regex",
]
"""A lookup operator: the last ``__`` part of ``price__gt``; ``exact`` when none is given."""
OPERATORS: tuple[Operator, ...] = get_args(Operator)
BoolOp = Literal["and", "or", "not"]


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One resolved lookup: the JSON path it reads, the operator, the value (as JSON), what the path holds.

    ``list_at`` marks path prefixes that hold lists of nested objects: the lookup
    is true when it is true for any element, as a Django lookup across a relation.
    """

    lookup: str  # as the user wrote it, for messages and plans
    path: Path
    op: Operator
    value: Any
    info: TypeInfo
    list_at: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{dotted(self.path)} {self.op} {self.value!r}"

    def matches(self, raw: dict[str, Any]) -> bool:
        """True when the object's JSON satisfies the lookup."""
        if not self.list_at:  # the common case, without a generator: a cache runs it on every object
            data: Any = raw
            for key in self.path:
                if not isinstance(data, dict):
                    return self._check(MISSING)
                data = data.get(key, MISSING)
                if data is MISSING:
                    break
            return self._check(data)
        return any(_test(self.op, v, self.value) for v in _values(raw, self.path, self.list_at))

    @functools.cached_property
    def _check(self) -> Callable[[Any], bool]:
        """The test of one value, specialised for the common lookups (the same answers as ``_test``)."""
        op, want = self.op, self.value
        if op == "exact" and isinstance(want, str):
            return lambda have: bool(have == want)  # MISSING, None and non-strings never equal a string
        if op in ("gt", "gte", "lt", "lte") and type(want) in (int, float):
            compare = _COMPARE[op]
            return lambda have: type(have) in (int, float) and compare(have, want)
        return lambda have: _test(op, have, want)

    def first_value(self, raw: dict[str, Any]) -> Any:
        """The (first) value the lookup reads in the object's JSON, or MISSING."""
        return next(_values(raw, self.path, self.list_at), MISSING)


class Q:
    """A filter: lookups AND-ed together, combinable with ``&``, ``|`` and ``~``.

    A ``Q`` is unresolved (lookups as strings) until a query resolves it against its model.
    """

    __slots__ = ("op", "children")

    def __init__(self, *children: Q, **lookups: Any) -> None:
        self.op: BoolOp = "and"
        self.children: tuple[Any, ...] = tuple(children) + tuple(lookups.items())

    @classmethod
    def _node(cls, op: BoolOp, children: tuple[Any, ...]) -> Q:
        node = cls.__new__(cls)
        node.op, node.children = op, children
        return node

    def __and__(self, other: Q) -> Q:
        return Q._node("and", (self, other))

    def __or__(self, other: Q) -> Q:
        return Q._node("or", (self, other))

    def __invert__(self) -> Q:
        return Q._node("not", (self,))

    def __repr__(self) -> str:
        if self.op == "not":
            return f"~{self.children[0]!r}"
        parts = [repr(c) if isinstance(c, Q) else f"{c[0]}={c[1]!r}" for c in self.children]
        joiner = " & " if self.op == "and" else " | "
        return "Q(" + joiner.join(parts) + ")"


@dataclasses.dataclass(frozen=True)
class Node:
    """A resolved filter tree: ``and``/``or``/``not`` over :class:`Leaf` and :class:`Node` children."""

    op: BoolOp
    children: tuple[Node | Leaf, ...]

    def matches(self, raw: dict[str, Any]) -> bool:
        if self.op == "and":
            for child in self.children:  # loops, not all(...): a cache runs this on every object
                if not child.matches(raw):
                    return False
            return True
        if self.op == "or":
            for child in self.children:
                if child.matches(raw):
                    return True
            return False
        return not self.children[0].matches(raw)

    def __str__(self) -> str:
        if self.op == "not":
            return f"NOT ({self.children[0]})"
        return f" {self.op.upper()} ".join(f"({c})" if isinstance(c, Node) else str(c) for c in self.children)


def resolve(model: type[_Object], q: Q) -> Node | Leaf:
    """The tree of ``q`` with every lookup resolved against ``model``.

    Raises:
        ClientValidationError: an unknown attribute (the message lists the choices) or operator,
            or a value that does not suit the operator.
    """
    children: list[Node | Leaf] = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(resolve(model, child))
        else:
            children.append(resolve_lookup(model, child[0], child[1]))
    if q.op == "not":
        return Node("not", tuple(children))
    if len(children) == 1:
        return children[0]
    return Node(q.op, tuple(children))


def resolve_lookup(model: type[_Object], lookup: str, value: Any) -> Leaf:
    """Resolve ``lookup`` (``score__exterior__gte``) on ``model`` into a :class:`Leaf`."""
    parts = lookup.split("__")
    op: Operator = "exact"
    if len(parts) > 1 and parts[-1] in OPERATORS:
        op = cast(Operator, parts.pop())
    path: list[str] = []
    list_at: list[int] = []
    owner: type[_Object] | None = model
    info = TypeInfo("any")
    i = 0
    while i < len(parts):
        part = parts[i]
        if owner is not None:
            field = owner._fields.get(part)
            if field is None:
                choices = ", ".join(sorted(owner._fields))
                raise _invalid(lookup, f"cannot resolve {part!r} in {lookup!r} on {owner.__name__}; choices are: {choices}")
            path.extend(field.path)
            info = field.info
        else:  # inside a dict or free-form object: the part is a key
            path.append(part)
            info = info.item if info.item is not None else TypeInfo("any")
        owner = None
        if info.kind == "nested":
            owner = info.python
        elif info.kind == "list" and info.item is not None and info.item.kind == "nested" and i + 1 < len(parts):
            list_at.append(len(path))
            owner = info.item.python
            info = info.item
        elif info.kind not in ("dict", "object", "any", "nested") and i + 1 < len(parts):
            raise _invalid(lookup, f"{'__'.join(parts[: i + 1])!r} is a {info.kind}; it has no {parts[i + 1]!r} (unknown operator?)")
        i += 1
    return Leaf(lookup, tuple(path), op, _json_value(lookup, op, value, info), info, tuple(list_at))


def _json_value(lookup: str, op: str, value: Any, info: TypeInfo) -> Any:
    if op == "isnull":
        if not isinstance(value, bool):
            raise _invalid(lookup, "__isnull takes True or False")
        return value
    if op == "in":
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise _invalid(lookup, "__in takes a list, tuple or set of values")
        return tuple(_scalar(v) for v in value)
    if op == "regex":
        try:
            return re.compile(value)
        except (re.error, TypeError) as error:
            raise _invalid(lookup, f"__regex takes a regular expression: {error}") from None
    if op in ("has", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact"):
        if op == "contains" and info.kind == "list":
            return _scalar(value)
        if not isinstance(value, str):
            raise _invalid(lookup, f"__{op} takes a string")
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _values(data: Any, path: Path, list_at: tuple[int, ...], start: int = 0) -> Iterator[Any]:
    """The values at ``path``, fanning out over the lists at ``list_at`` (MISSING when absent)."""
    for index in range(start, len(path)):
        if index in list_at:  # ``data`` is a list of nested objects: each continues the path
            if not isinstance(data, list) or not data:  # an empty list reads as an absent one (both show as [])
                yield MISSING
                return
            rest = tuple(i for i in list_at if i != index)
            for item in data:
                yield from _values(item, path, rest, index)
            return
        if not isinstance(data, dict):
            yield MISSING
            return
        data = data.get(path[index], MISSING)
        if data is MISSING:
            yield MISSING
            return
    yield data


def _test(op: str, have: Any, want: Any) -> bool:
    test = _TESTS.get(op)
    if test is None:
        raise _invalid(op, f"unknown operator {op!r}; operators are: {', '.join(OPERATORS)}")
    if op == "isnull":
        return test(have, want)
    if have is MISSING or have is None:
        return op == "exact" and want is None
    try:
        return test(have, want)
    except TypeError:  # comparing across types (a string with a number): not a match
        return False


def _exact(have: Any, want: Any) -> bool:
    if isinstance(have, bool) or isinstance(want, bool):
        return have is want  # JSON true is not 1
    return bool(have == want)


def _ordered(have: Any, want: Any) -> bool:
    return not isinstance(have, bool) and isinstance(have, (int, float)) == isinstance(want, (int, float))


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": lambda h, w: _exact(h, w),
    "iexact": lambda h, w: isinstance(h, str) and h.lower() == w.lower(),
    "contains": lambda h, w: (w in h) if isinstance(h, str) else isinstance(h, list) and any(_exact(x, w) for x in h),
    "icontains": lambda h, w: isinstance(h, str) and w.lower() in h.lower(),
    "in": lambda h, w: any(_exact(h, x) for x in w),
    "gt": lambda h, w: _ordered(h, w) and h > w,
    "gte": lambda h, w: _ordered(h, w) and h >= w,
    "lt": lambda h, w: _ordered(h, w) and h < w,
    "lte": lambda h, w: _ordered(h, w) and h <= w,
    "startswith": lambda h, w: isinstance(h, str) and h.startswith(w),
    "istartswith": lambda h, w: isinstance(h, str) and h.lower().startswith(w.lower()),
    "endswith": lambda h, w: isinstance(h, str) and h.endswith(w),
    "iendswith": lambda h, w: isinstance(h, str) and h.lower().endswith(w.lower()),
    "isnull": lambda h, w: (h is MISSING or h is None) == w,
    "has": lambda h, w: isinstance(h, dict) and w in h,
    "regex": lambda h, w: isinstance(h, str) and w.search(h) is not None,
}


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le,
}


def _invalid(lookup: str, message: str) -> ClientValidationError:
    return ClientValidationError(message, causes=(FieldError(lookup, message, "FieldValueInvalid"),))
