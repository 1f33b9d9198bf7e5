"""Resolved conditions and their evaluation on an object's JSON: :class:`Leaf` (one lookup) and :class:`Node` trees.

:mod:`pykorm._select.lookups` resolves a user's lookups and ``Q`` trees into these; the planner
(:mod:`pykorm._select.plan`) splits them between the server and Python, and the Python side runs
:meth:`Leaf.matches` / :meth:`Node.matches` (or their ``matcher`` closures, for loops over many
objects) on the raw JSON, never on built objects. A lookup through a list of nested objects holds
for any element; a ``same`` :class:`Node` makes its conditions hold for the same element.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import operator
from typing import Any, Callable, Iterator, Literal, get_args

from .._base.errors import ClientValidationError, FieldError
from .._base.paths import MISSING, Path, get_path
from .._data.convert import instant
from .._data.types import TypeInfo

__all__ = ["Binding", "Leaf", "Node", "NodeOp", "OPERATORS", "Operator", "lookup_error"]

Operator = Literal[
    "exact", "iexact", "contains", "icontains", "in", "gt", "gte", "lt", "lte",
    "startswith", "istartswith", "endswith", "iendswith", "isnull", "has", "regex",
]
"""A lookup operator: the last ``__`` part of ``price__gt``; ``exact`` when none is given."""
OPERATORS: tuple[Operator, ...] = get_args(Operator)
NodeOp = Literal["and", "or", "not", "same"]
Binding = dict[Path, Any]  # a list's path → the element chosen in it (MISSING for an empty list)


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One resolved lookup: the JSON path it reads, the operator, the value (as JSON), what the path holds.

    ``list_at`` marks path prefixes that hold lists of nested objects (``path[:i]`` is a list for
    each ``i``): alone, the lookup is true when it is true for any element (lists in elements
    included); in a ``same`` group, for the elements the group chose (:meth:`matches_in`).
    """

    lookup: str  # as the user wrote it, for messages and plans
    path: Path
    op: Operator
    value: Any
    info: TypeInfo
    list_at: tuple[int, ...] = ()

    def __str__(self) -> str:
        value = self.value
        shown = repr(value.isoformat() if isinstance(value, datetime.datetime) else value)
        return f"{_shown(self.path, self.list_at)} {self.op} {shown}"

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

    @functools.cached_property
    def matcher(self) -> Callable[[dict[str, Any]], bool]:
        """:meth:`matches` as one closure made for this lookup, for loops over many objects (a cache's, a page's).

        The path is read by indexing; where it is missing or crosses a non-object, the closure
        answers as :meth:`matches` does (it asks it).
        """
        if self.list_at:
            return self.matches
        path, slow, check = self.path, self.matches, self._check  # _check holds the specialised tests

        def matcher(raw: dict[str, Any]) -> bool:
            data: Any = raw
            try:
                for key in path:
                    data = data[key]
            except (KeyError, TypeError, IndexError):
                return slow(raw)
            return check(data)

        return matcher

    def matches_in(self, raw: dict[str, Any], binding: Binding) -> bool:
        """True when the lookup holds for the elements ``binding`` chose in the lists it crosses."""
        if not self.list_at:
            return self.matches(raw)
        at = self.list_at[-1]  # the element chosen in the innermost list; the rest of the path crosses none
        return self._check(get_path(binding[self.path[:at]], self.path[at:]))

    def lists(self) -> Iterator[tuple[Path, Path | None]]:
        """Each list the path crosses, outermost first, with the list it is inside (None: the object)."""
        parent: Path | None = None
        for at in self.list_at:
            yield self.path[:at], parent
            parent = self.path[:at]


@dataclasses.dataclass(frozen=True)
class Node:
    """A resolved filter tree: ``and``/``or``/``not``/``same`` over :class:`Leaf` and :class:`Node` children.

    A ``same`` node has one child, true when one element of each of its ``lists`` (the paths of
    the lists the child's lookups cross, each with the list it is inside: None for the object)
    makes it true: the conditions of one ``filter()`` call on the same element.
    """

    op: NodeOp
    children: tuple[Node | Leaf, ...]
    lists: tuple[tuple[Path, Path | None], ...] = ()

    def matches(self, raw: dict[str, Any]) -> bool:
        op = self.op
        if op == "and":
            for child in self.children:  # loops, not all(...): a cache runs this on every object
                if not child.matches(raw):
                    return False
            return True
        if op == "or":
            for child in self.children:
                if child.matches(raw):
                    return True
            return False
        if op == "not":
            return not self.children[0].matches(raw)
        child = self.children[0]
        return any(child.matches_in(raw, binding) for binding in _bindings(raw, self.lists, {}, 0))

    @functools.cached_property
    def matcher(self) -> Callable[[dict[str, Any]], bool]:
        """:meth:`matches` as one closure over its children's matchers, for loops over many objects."""
        op = self.op
        if op == "not":
            inner = self.children[0].matcher
            return lambda raw: not inner(raw)
        if op not in ("and", "or"):
            return self.matches
        tests = tuple(child.matcher for child in self.children)
        if len(tests) == 2:
            first, second = tests
            if op == "and":
                return lambda raw: first(raw) and second(raw)
            return lambda raw: first(raw) or second(raw)
        if op == "and":
            return lambda raw: all(test(raw) for test in tests)
        return lambda raw: any(test(raw) for test in tests)

    def matches_in(self, raw: dict[str, Any], binding: Binding) -> bool:
        """True with the elements ``binding`` chose (in a ``same`` group); a ``not`` chooses its own."""
        if self.op == "and":
            return all(child.matches_in(raw, binding) for child in self.children)
        if self.op == "or":
            return any(child.matches_in(raw, binding) for child in self.children)
        return self.matches(raw)

    def __str__(self) -> str:
        if self.op == "not":
            return f"NOT ({self.children[0]})"
        if self.op == "same":
            lists = ", ".join(_shown(path, tuple(len(p) for p, _ in self.lists if path[: len(p)] == p)) for path, _ in self.lists)
            return f"SAME ELEMENT OF {lists}: ({self.children[0]})"
        return f" {self.op.upper()} ".join(f"({c})" if isinstance(c, Node) else str(c) for c in self.children)


def _bindings(raw: Any, lists: tuple[tuple[Path, Path | None], ...], binding: Binding, index: int) -> Iterator[Binding]:
    """Every choice of one element in each of ``lists`` (outer lists first); an empty list offers MISSING."""
    if index == len(lists):
        yield binding
        return
    path, parent = lists[index]
    data = raw if parent is None else binding[parent]
    for key in path[len(parent) if parent is not None else 0:]:
        data = data.get(key, MISSING) if isinstance(data, dict) else MISSING
    for item in data if isinstance(data, list) and data else (MISSING,):
        binding[path] = item
        yield from _bindings(raw, lists, binding, index + 1)


def _values(data: Any, path: Path, list_at: tuple[int, ...], start: int = 0) -> Iterator[Any]:
    """The values at ``path``, fanning out over the lists at ``list_at`` (MISSING when absent or in an empty list)."""
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


def _shown(path: Path, list_at: tuple[int, ...]) -> str:
    """``path`` with ``[]`` after each list it crosses: ``status.conditions[].type``."""
    return ".".join(key + ("[]" if i + 1 in list_at else "") for i, key in enumerate(path))


def _test(op: str, have: Any, want: Any) -> bool:
    test = _TESTS.get(op)
    if test is None:
        raise lookup_error(op, f"unknown operator {op!r}; operators are: {', '.join(OPERATORS)}")
    if op == "isnull":
        return test(have, want)
    if have is MISSING or have is None:
        return op == "exact" and want is None
    if isinstance(want, datetime.datetime) or (op == "in" and any(isinstance(w, datetime.datetime) for w in want)):
        if isinstance(have, list):  # list[datetime]__contains: an item that is the instant
            return op == "contains" and any(instant(item) == want for item in have)
        have = instant(have)  # a datetime field's equality or comparison: as instants (see lookups._instants)
        if have is None:
            return False
    elif op == "exact" and type(want) is list and isinstance(have, list) and any(isinstance(w, datetime.datetime) for w in want):
        return len(have) == len(want) and all(instant(h) == w for h, w in zip(have, want))  # list[datetime]: instants
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


def lookup_error(lookup: str, message: str) -> ClientValidationError:
    return ClientValidationError(message, causes=(FieldError(lookup, message, "FieldValueInvalid"),))
