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
``SAME ELEMENT OF status.conditions[]: (...)``). The resolved conditions and their evaluation on
an object's JSON are :mod:`pykorm._select.conditions`'.
"""

from __future__ import annotations

import datetime
import enum
import re
from typing import TYPE_CHECKING, Any, Iterator, Literal, cast

from .._base.errors import ClientValidationError
from .._base.paths import Path
from .._schema.validation import annotation_checked
from .selectors import Term
from .._data.convert import instant
from .._data.dicts import json_time
from .._data.types import TypeInfo
from .conditions import OPERATORS, Leaf, Node, Operator, lookup_error

if TYPE_CHECKING:
    from .._data.objects import _Object

__all__ = ["Leaf", "Node", "Q", "label_condition", "resolve", "resolve_all", "resolve_lookup"]

BoolOp = Literal["and", "or", "not"]


class Q:
    """A filter: lookups AND-ed together, combinable with ``&``, ``|`` and ``~``.

    A ``Q`` is unresolved (lookups as strings) until a query resolves it against its model.
    """

    __slots__ = ("op", "children")

    def __init__(self, *children: Q, **lookups: Any) -> None:
        for child in children:
            if not isinstance(child, Q):
                raise ClientValidationError(
                    f"a condition given without a name must be a pykorm.Q, not {type(child).__name__} {child!r:.60}: "
                    "write lookups as keywords (filter(variety='Frost')) or filter(**a_dict)"
                )
        self.op: BoolOp = "and"
        self.children: tuple[Any, ...] = tuple(children) + tuple(lookups.items())

    @classmethod
    def _node(cls, op: BoolOp, children: tuple[Any, ...]) -> Q:
        node = cls.__new__(cls)
        node.op, node.children = op, children
        return node

    def __and__(self, other: Q) -> Q:
        if not isinstance(other, Q):
            return NotImplemented
        return Q._node("and", (self, other))

    def __or__(self, other: Q) -> Q:
        if not isinstance(other, Q):
            return NotImplemented
        return Q._node("or", (self, other))

    def __invert__(self) -> Q:
        return Q._node("not", (self,))

    def __repr__(self) -> str:
        if self.op == "not":
            return f"~{self.children[0]!r}"
        parts = [repr(c) if isinstance(c, Q) else f"{c[0]}={c[1]!r}" if isinstance(c, tuple) else f"<{c}>" for c in self.children]
        joiner = " & " if self.op == "and" else " | "
        return "Q(" + joiner.join(parts) + ")"


def resolve(model: type[_Object], q: Q) -> Node | Leaf:
    """The tree of ``q`` with every lookup resolved against ``model``, as the conditions of one ``filter()``.

    Its conditions on the same list hold for the same element (see the module's docstring).

    Raises:
        ClientValidationError: an unknown attribute (the message lists the choices) or operator,
            or a value that does not suit the operator.
    """
    return _grouped(_resolved(model, q))


def resolve_all(model: type[_Object], where: tuple[Q, ...]) -> Node | Leaf | None:
    """The conjunction of ``where``, one ``filter()`` call each: each groups its own conditions on lists.

    An empty ``Q`` (``exclude()`` with no arguments, ``~Q()``) states no condition: it is left out.
    """
    resolved = [r for r in (resolve(model, q) for q in where) if r != _NOTHING]
    if not resolved:
        return None
    return resolved[0] if len(resolved) == 1 else Node("and", tuple(resolved))


_NOTHING = Node("and", ())
"""An empty ``Q``: no condition. As in Django, it is left out wherever it appears: ``~Q()``, ``exclude()``
with no arguments and ``Q(a=1) | Q()`` state nothing (they are not "no object" nor "every object")."""


def _resolved(model: type[_Object], q: Q) -> Node | Leaf:
    children: list[Node | Leaf] = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_resolved(model, child))
        elif isinstance(child, (Node, Leaf)):  # resolved already (a label selector's term)
            children.append(child)
        else:
            children.append(resolve_lookup(model, child[0], child[1]))
    children = [child for child in children if child != _NOTHING]
    if not children:
        return _NOTHING
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
    checked = False  # the annotation of the field last resolved is a type to check values against
    i = 0
    while i < len(parts):
        part = parts[i]
        if owner is not None:
            field = owner._fields.get(part)
            if field is None:
                choices = ", ".join(sorted(owner._fields))
                raise lookup_error(lookup, f"cannot resolve {part!r} in {lookup!r} on {owner.__name__}; choices are: {choices}")
            path.extend(field.path)
            info = field.info
            checked = annotation_checked(field)
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
            raise lookup_error(lookup, f"{'__'.join(parts[: i + 1])!r} is a {info.kind}; it has no {parts[i + 1]!r} (unknown operator?)")
        i += 1
    json = _json_value(lookup, op, value, info)
    if checked:
        _check_type(lookup, op, json, info)
    return Leaf(lookup, tuple(path), op, json, info, tuple(list_at))


_COMPARABLE: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int, float), "float": (int, float), "bool": (bool,)}
_TYPE_WORDS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "True or False"}


def _check_type(lookup: str, op: str, value: Any, info: TypeInfo) -> None:
    """Refuse a value no object can match: ``price="3"`` on an ``int`` field (a form's string) selected nothing,
    silently. Only for fields whose annotation is checked (see :func:`annotation_checked`), and for equality,
    ``in`` and order comparisons; None (no value) stays a value to ask for."""
    if info.kind == "list" and op == "contains" and info.item is not None:  # an element of a list[int]...
        info, op = info.item, "exact"
    wanted = _COMPARABLE.get(info.kind)
    if wanted is None or op not in ("exact", "in", "gt", "gte", "lt", "lte"):
        return
    values = value if op == "in" else (value,)  # an __in's values, made a tuple
    for item in values:
        if item is None:
            continue
        if not isinstance(item, wanted) or (isinstance(item, bool) and info.kind != "bool"):
            raise lookup_error(lookup, f"{lookup} takes {_TYPE_WORDS[info.kind]} (the field is annotated {info.kind}), "
                                       f"not {type(item).__name__} {item!r:.60}: no object could match; convert it first")


def _json_value(lookup: str, op: str, value: Any, info: TypeInfo) -> Any:
    if info.kind == "datetime" and op in _INSTANT_OPERATORS:
        return _instants(lookup, op, value)
    if info.kind == "list" and info.item is not None and info.item.kind == "datetime":  # list[datetime]: instants too
        if op == "contains":
            return _instants(lookup, "exact", value)
        if op == "exact" and isinstance(value, (list, tuple)):
            return [_instants(lookup, "exact", v) for v in value]
    if op in ("gt", "gte", "lt", "lte") and isinstance(value, bool):
        raise lookup_error(lookup, f"__{op} takes a number, a string or a datetime: true and false have no order")
    if op == "isnull":
        if not isinstance(value, bool):
            raise lookup_error(lookup, "__isnull takes True or False")
        return value
    if op == "in":
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise lookup_error(lookup, "__in takes a list, tuple or set of values")
        return tuple(_scalar(v) for v in value)
    if op == "regex":
        try:
            return re.compile(value)
        except (re.error, TypeError) as error:
            raise lookup_error(lookup, f"__regex takes a regular expression: {error}") from None
    if op in ("has", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact"):
        if op == "contains" and info.kind == "list":
            return _scalar(value)
        if not isinstance(value, str):
            raise lookup_error(lookup, f"__{op} takes a string")
    return _scalar(value)


_INSTANT_OPERATORS = ("exact", "in", "gt", "gte", "lt", "lte")


def _instants(lookup: str, op: str, value: Any) -> Any:
    """The value of an equality or comparison on a datetime field: aware datetimes, compared as instants with the
    stored timestamps whatever their form (``Z``, offsets, fractions of a second), as Django compares datetimes."""
    if op == "in":
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise lookup_error(lookup, "__in takes a list, tuple or set of values")
        return tuple(_instants(lookup, "exact", v) for v in value)
    if value is None and op == "exact":
        return None
    found = instant(value)
    if found is None:
        raise lookup_error(lookup, f"{lookup} takes a datetime or an ISO 8601 timestamp string, not {value!r}")
    return found


def _scalar(value: Any) -> Any:
    if isinstance(value, (list, tuple)):  # a list field's exact value: its items as JSON (a tuple is a JSON list too)
        return [_scalar(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        return json_time(value)
    return value
