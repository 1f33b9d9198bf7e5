"""Filter expressions: Django-style lookups (``price__gt=2``) combined into ``Q`` trees.

    >>> Q(variety="Frost") | ~Q(price__gte=3)

A lookup names an attribute of the model, then attributes of nested objects or
keys of dict fields (``score__exterior``, ``labels__app``), then optionally an
operator (``gt``, ``in``, ``startswith``... default ``exact``). Lookups are
resolved against the model into JSON paths once, and evaluated on the
objects' JSON, so a filter never builds nested Python objects.

A lookup through a list of nested objects (``status__conditions__type``) is true when it is
true for an element. The conditions of one ``filter()`` call (one ``Q``, its children AND-ed)
that cross the same list must hold for the *same* element; conditions of chained ``filter()``
calls may each hold for a different element, as Django's rule for multi-valued relations says:

    >>> Deployment.query.filter(status__conditions__type="Available", status__conditions__status="True")

is the Deployments with one condition that is both ``Available`` and ``"True"``, whereas
``.filter(status__conditions__type="Available").filter(status__conditions__status="True")`` also
finds one whose Available condition is ``"False"`` and another condition ``"True"``. A ``~Q`` and
``exclude()`` are the complement of the same conditions as one group: ``exclude(a__x=1, a__y=2)``
drops the objects having one element with both (Django's ``exclude()`` would also drop those
having them in different elements: here ``exclude(...)`` is always ``filter(...)``'s complement).
Within a group, an element of each list it crosses is chosen (an empty or absent list offers one
absent element, as a SQL outer join does), lists inside list elements included; a ``~`` opens a
group of its own. :func:`resolve` marks a group as a ``same`` :class:`Node` (``explain()`` prints
``SAME ELEMENT OF status.conditions[]: (...)``).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import operator
import re
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal, cast, get_args

from .._base.errors import ClientValidationError, FieldError
from .._base.paths import MISSING, Path, dotted, get_path
from .selectors import Term
from .._data.types import TypeInfo

if TYPE_CHECKING:
    from .._data.objects import _Object

__all__ = ["Leaf", "Node", "Q", "label_condition", "resolve", "resolve_all"]

Operator = Literal[
    "exact", "iexact", "contains", "icontains", "in", "gt", "gte", "lt", "lte",
    "startswith", "istartswith", "endswith", "iendswith", "isnull", "has", "regex",
]
"""A lookup operator: the last ``__`` part of ``price__gt``; ``exact`` when none is given."""
OPERATORS: tuple[Operator, ...] = get_args(Operator)
BoolOp = Literal["and", "or", "not"]
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
        return f"{_shown(self.path, self.list_at)} {self.op} {self.value!r}"

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
        parts = [repr(c) if isinstance(c, Q) else f"{c[0]}={c[1]!r}" if isinstance(c, tuple) else f"<{c}>" for c in self.children]
        joiner = " & " if self.op == "and" else " | "
        return "Q(" + joiner.join(parts) + ")"


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


def resolve(model: type[_Object], q: Q) -> Node | Leaf:
    """The tree of ``q`` with every lookup resolved against ``model``, as the conditions of one ``filter()``.

    Its conditions on the same list hold for the same element (see the module's docstring).

    Raises:
        ClientValidationError: an unknown attribute (the message lists the choices) or operator,
            or a value that does not suit the operator.
    """
    return _grouped(_resolved(model, q))


def resolve_all(model: type[_Object], where: tuple[Q, ...]) -> Node | Leaf | None:
    """The conjunction of ``where``, one ``filter()`` call each: each groups its own conditions on lists."""
    resolved = [resolve(model, q) for q in where]
    if not resolved:
        return None
    return resolved[0] if len(resolved) == 1 else Node("and", tuple(resolved))


def _resolved(model: type[_Object], q: Q) -> Node | Leaf:
    children: list[Node | Leaf] = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_resolved(model, child))
        elif isinstance(child, (Node, Leaf)):  # resolved already (a label selector's term)
            children.append(child)
        else:
            children.append(resolve_lookup(model, child[0], child[1]))
    if q.op == "not":
        return Node("not", tuple(children))
    if len(children) == 1:
        return children[0]
    return Node(q.op, tuple(children))


def _grouped(expr: Node | Leaf) -> Node | Leaf:
    """``expr`` (one ``filter()`` call's conditions) with its conditions on the same lists in ``same`` groups.

    An element chosen for a whole ``or`` is one chosen for one of its branches, so each branch
    groups on its own; of an ``and``, the conjuncts that share a list (through other conjuncts
    too) form one group; a ``not`` is a group of its own (its conditions do not see the
    elements chosen outside it). A lone lookup needs no group: it is true for any element.
    """
    if isinstance(expr, Leaf) or not _crosses_lists(expr):  # most filters: nothing to group
        return expr
    if expr.op != "and":
        return Node(expr.op, tuple(_grouped(c) for c in expr.children), expr.lists)
    conjuncts = list(_conjuncts(expr))
    groups: list[tuple[list[Node | Leaf], dict[Path, Path | None]]] = []
    for conjunct in conjuncts:
        lists = dict(_lists(conjunct))
        joined = [g for g in groups if lists and not lists.keys().isdisjoint(g[1])]
        for group in joined:
            groups.remove(group)
        members = [c for group in joined for c in group[0]] + [conjunct]
        for group in joined:
            lists.update(group[1])
        groups.append((members, lists))
    order = {id(c): i for i, c in enumerate(conjuncts)}
    groups.sort(key=lambda g: min(order[id(c)] for c in g[0]))
    out: list[Node | Leaf] = []
    for members, lists in groups:
        if len(members) == 1:
            out.append(_grouped(members[0]))
        else:
            members.sort(key=lambda c: order[id(c)])
            chosen = tuple(sorted(lists.items(), key=lambda item: len(item[0])))  # a list after the one it is inside
            out.append(Node("same", (_within(Node("and", tuple(members))),), chosen))
    return out[0] if len(out) == 1 else Node("and", tuple(out))


def _within(expr: Node | Leaf) -> Node | Leaf:
    """Inside a ``same`` group: its ``and``/``or`` read the group's elements, each ``not`` is a group of its own."""
    if isinstance(expr, Leaf):
        return expr
    if expr.op == "not":
        return Node("not", (_grouped(expr.children[0]),))
    return Node(expr.op, tuple(_within(c) for c in expr.children), expr.lists)


def _conjuncts(expr: Node | Leaf) -> Iterator[Node | Leaf]:
    if isinstance(expr, Node) and expr.op == "and":
        for child in expr.children:
            yield from _conjuncts(child)
    else:
        yield expr


def _crosses_lists(expr: Node | Leaf) -> bool:
    if isinstance(expr, Leaf):
        return bool(expr.list_at)
    return any(_crosses_lists(child) for child in expr.children)


def _lists(expr: Node | Leaf) -> Iterator[tuple[Path, Path | None]]:
    """The lists ``expr``'s lookups cross, outside its ``not``s (which choose their own elements)."""
    if isinstance(expr, Leaf):
        yield from expr.lists()
    elif expr.op in ("and", "or"):
        for child in expr.children:
            yield from _lists(child)


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


def label_condition(term: Term) -> Node | Leaf:
    """The condition a label selector's term (``app=web``, ``tier notin (a,b)``, ``!legacy``) states, resolved.

    As the API server reads it: ``!=``, ``notin`` and ``!key`` also hold for objects without the label.
    """
    key, op, values = term
    text = {"exists": key, "!exists": f"!{key}"}.get(op) or f"{key} {op} {values}"
    if op in ("exists", "!exists"):
        leaf = Leaf(text, ("metadata", "labels"), "has", key, TypeInfo("dict", item=TypeInfo("str")))
    elif op in ("=", "!="):
        leaf = Leaf(text, ("metadata", "labels", key), "exact", values[0], TypeInfo("str"))
    else:
        leaf = Leaf(text, ("metadata", "labels", key), "in", tuple(values), TypeInfo("str"))
    return Node("not", (leaf,)) if op in ("!=", "notin", "!exists") else leaf


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
