"""The query planner: which parts of a filter the API server evaluates, and which run in Python.

The server evaluates namespaces, a single name (a GET), label selectors in
their full syntax and field selectors (``=`` and, for ``exclude()``, ``!=``) on
``metadata.name``, ``metadata.namespace`` and on the fields a CRD declares
selectable or a built-in kind's server selects. Only conjuncts whose server
meaning is exactly their Python meaning are pushed down (never a lookup through
a list); everything else stays in :attr:`Plan.python`.
A plan is plain data: ``print(query.explain())`` shows it.
"""

from __future__ import annotations

import dataclasses
from typing import AbstractSet, Any, Iterable

from .._base.names import name_error
from .conditions import Leaf, Node
from .._base.paths import dotted
from .selectors import Term, field_selector, label_selector

__all__ = ["Plan", "make_plan"]

_LABELS = ("metadata", "labels")
_NAME = ("metadata", "name")
_NAMESPACE = ("metadata", "namespace")


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a query sends and what it leaves for Python.

    Attributes:
        namespaces: the namespaces listed one by one; None lists across all namespaces
            (or the model is cluster-scoped).
        names: the object names fetched with GETs instead of a list; None lists.
        label_terms / field_terms: the selector terms sent.
        python: the predicate applied in Python to each object the server returns (None: nothing).
        empty: the filter contradicts itself (two different names, disjoint namespaces): no request.
    """

    namespaces: tuple[str, ...] | None = None
    names: tuple[str, ...] | None = None
    label_terms: tuple[Term, ...] = ()
    field_terms: tuple[Term, ...] = ()
    python: Node | Leaf | None = None
    empty: bool = False

    @property
    def label_selector(self) -> str | None:
        """The ``labelSelector`` sent, exactly."""
        return label_selector(self.label_terms)

    @property
    def field_selector(self) -> str | None:
        """The ``fieldSelector`` sent, exactly."""
        return field_selector(self.field_terms)

    @property
    def fully_pushed(self) -> bool:
        """True when the server does all the filtering."""
        return self.python is None

    def __str__(self) -> str:
        if self.empty:
            return "no request: the filter can match nothing"
        lines = [
            "namespaces: " + (", ".join(self.namespaces) if self.namespaces is not None else "all"),
            ("GET by name: " + ", ".join(self.names)) if self.names is not None else "LIST",
            f"labelSelector: {self.label_selector or '-'}",
            f"fieldSelector: {self.field_selector or '-'}",
            f"python: {self.python if self.python is not None else '-'}",
        ]
        return "\n".join(lines)


def make_plan(
    expr: Node | Leaf | None,
    *,
    namespaced: bool,
    namespaces: tuple[str, ...] | None,
    selectable: Iterable[tuple[str, ...]] = (),
    extra_fields: tuple[Term, ...] = (),
    built_in_selectable: Iterable[tuple[str, ...]] = (),
) -> Plan:
    """Split ``expr`` into what the server can select and what Python must check.

    Args:
        expr: the resolved filter (None: no filter).
        namespaced: whether the model is namespaced.
        namespaces: namespaces chosen with ``.namespace()`` (None: all).
        selectable: JSON paths the CRD declares in ``selectableFields``.
        extra_fields: raw field-selector terms (``filter_by_fields``), sent as they are.
        built_in_selectable: JSON paths a built-in kind's server accepts in field selectors
            (``status.phase`` for pods). The server reads an absent field there as its Go zero
            value, so ``false`` and ``0`` stay in Python (where absent is None).
    """
    zero_is_absent = set(built_in_selectable)
    selectable = set(selectable) | zero_is_absent
    ns_set: set[str] | None = set(namespaces) if namespaces is not None else None
    names: set[str] | None = None
    labels: list[Term] = []
    fields: list[Term] = list(extra_fields)
    residual: list[Node | Leaf] = []
    for_gets: list[Node | Leaf] = []  # what GETs by name leave to Python: all but the namespaces and names taken

    for conjunct in _conjuncts(expr):
        if isinstance(conjunct, Leaf) and conjunct.path == _NAMESPACE and namespaced and conjunct.op in ("exact", "in"):
            values = _strings(conjunct.value if conjunct.op == "in" else (conjunct.value,))
            if values is not None:  # a value no namespace can be called (RFC 1123 label) matches nothing
                values = tuple(v for v in values if name_error(v, "metadata.namespace", label=True) is None)
                ns_set = set(values) if ns_set is None else ns_set & set(values)
                continue
        if isinstance(conjunct, Leaf) and conjunct.path == _NAME and conjunct.op == "exact" and isinstance(conjunct.value, str):
            names = {conjunct.value} if names is None else names & {conjunct.value}
            continue
        for_gets.append(conjunct)
        term = _label_term(conjunct) or _field_term(conjunct, selectable, zero_is_absent, namespaced)
        if term is None:
            residual.append(conjunct)
        elif term[0] is _LABELS:
            labels.append(term[1])
        else:
            fields.append(term[1])

    if (ns_set is not None and not ns_set) or (names is not None and not names):
        return Plan(empty=True)
    # in the server's order of an all-namespaces list, by its keys "namespace/name" ("a-b/" sorts before "a/")
    namespaces_out = tuple(sorted(ns_set, key=lambda namespace: namespace + "/")) if ns_set is not None else None
    if names is not None and (namespaces_out is not None or not namespaced):
        # A GET per name: label and field terms are checked in Python on what comes back.
        return Plan(namespaces_out, tuple(sorted(names)), (), tuple(extra_fields), _all_of(for_gets))
    if names is not None:
        fields.insert(0, ("metadata.name", "=", (next(iter(names)),)))
    return Plan(namespaces_out, None, tuple(labels), tuple(fields), _all_of(residual))


def _conjuncts(expr: Node | Leaf | None) -> list[Node | Leaf]:
    if expr is None:
        return []
    if isinstance(expr, Node) and expr.op == "and":
        return [c for child in expr.children for c in _conjuncts(child)]
    return [expr]


def _strings(values: Iterable[Any]) -> tuple[str, ...] | None:
    values = tuple(values)
    return values if all(isinstance(v, str) for v in values) else None


def _label_term(expr: Node | Leaf) -> tuple[tuple[str, ...], Term] | None:
    """The label-selector term equivalent to ``expr``, if there is one."""
    negated = isinstance(expr, Node) and expr.op == "not"
    leaf = expr.children[0] if negated and isinstance(expr, Node) else expr
    if isinstance(leaf, Node) and leaf.op == "or" and not negated:
        return _label_in(leaf)
    if not isinstance(leaf, Leaf) or leaf.list_at:
        return None
    if leaf.path == _LABELS and leaf.op == "has" and _valid_term((leaf.value, "exists", ())):
        return _LABELS, (leaf.value, "!exists" if negated else "exists", ())
    if len(leaf.path) != 3 or leaf.path[:2] != _LABELS:
        return None
    key = leaf.path[2]
    term: Term | None = None
    if leaf.op == "exact" and isinstance(leaf.value, str) and leaf.value:
        term = (key, "!=" if negated else "=", (leaf.value,))
    elif leaf.op == "in" and leaf.value and _strings(leaf.value) and all(leaf.value):
        term = (key, "notin" if negated else "in", tuple(leaf.value))
    elif leaf.op == "isnull":
        term = (key, "!exists" if leaf.value != negated else "exists", ())
    if term is None or not _valid_term(term):
        return None
    return _LABELS, term


def _label_in(node: Node) -> tuple[tuple[str, ...], Term] | None:
    """``labels__k="a" | labels__k="b"`` is ``k in (a,b)``."""
    keys: set[str] = set()
    values: list[str] = []
    for child in node.children:
        found = _label_term(child)
        if found is None or found[1][1] not in ("=", "in"):
            return None
        keys.add(found[1][0])
        values.extend(found[1][2])
    if len(keys) != 1:
        return None
    return _LABELS, (keys.pop(), "in", tuple(dict.fromkeys(values)))


def _field_term(
    expr: Node | Leaf, selectable: AbstractSet[tuple[str, ...]], zero_is_absent: AbstractSet[tuple[str, ...]] = frozenset(),
    namespaced: bool = True,
) -> tuple[tuple[str, ...], Term] | None:
    """The field-selector term equivalent to ``expr``, if there is one."""
    negated = isinstance(expr, Node) and expr.op == "not"
    leaf = expr.children[0] if negated and isinstance(expr, Node) else expr
    if not isinstance(leaf, Leaf) or leaf.op != "exact" or leaf.list_at:
        return None
    op = "!=" if negated else "="
    if leaf.path == _NAME and isinstance(leaf.value, str):
        return ("fields",), ("metadata.name", op, (leaf.value,))
    if leaf.path == _NAMESPACE and negated and namespaced and isinstance(leaf.value, str) and leaf.value:
        return ("fields",), ("metadata.namespace", op, (leaf.value,))  # "=" chose the namespaces listed
    if leaf.path not in selectable:
        return None
    # The server compares the field's text: an absent (or null) field reads as "" on a CRD and as
    # its Go zero value ("", "0", "false") on a built-in kind. "=" with any other value is false
    # there as in Python, so "!=", its complement on every object, is also exact (and true there).
    value = leaf.value
    if leaf.path in zero_is_absent and value in (0, False):
        return None
    kind = leaf.info.kind
    if kind == "str" and isinstance(value, str) and value:
        rendered = value
    elif kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        rendered = str(value)
    elif kind == "bool" and isinstance(value, bool):
        rendered = "true" if value else "false"
    else:
        return None
    return ("fields",), (dotted(leaf.path), op, (rendered,))


def _valid_term(term: Term) -> bool:
    try:
        label_selector([term])
    except ValueError:
        return False
    return True


def _all_of(conjuncts: list[Node | Leaf]) -> Node | Leaf | None:
    """The conjunction of ``conjuncts`` (None when there are none)."""
    if not conjuncts:
        return None
    return conjuncts[0] if len(conjuncts) == 1 else Node("and", tuple(conjuncts))
