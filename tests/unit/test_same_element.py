"""Offline: conditions on one list element (issue #20) — Django's rule for multi-valued relations.

The lookups of one ``filter()`` call (one ``Q``, its children AND-ed) that cross the same list
hold for the same element; chained ``filter()`` calls may each use another element; ``~Q`` and
``exclude()`` are the complement of one such group. Checked on hand-written cases, then on random
filters and objects against a reference written here from the rule alone (it tries every choice of
elements, where pykorm groups and short-cuts), and on the plan (never a list condition pushed down).
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pykorm
from pykorm import Q
from pykorm._select.lookups import Node, resolve, resolve_all
from pykorm._select.plan import make_plan
from pykorm.fields import DataField, ListField, Spec
from pykorm.k8s.apps_v1 import Deployment

pytestmark = pytest.mark.unit


class Sub(pykorm.Nested):
    name: str | None = DataField("name", default=None)


class Part(pykorm.Nested):
    kind: str | None = DataField("kind", default=None)
    size: int | None = DataField("size", default=None)
    subs: list[Sub] = ListField(Sub, path=["subs"])


class Tag(pykorm.Nested):
    key: str | None = DataField("key", default=None)


@pykorm.k8s_custom_object("same.pykorm.io", "v1", "boxes")
class Box(pykorm.NamespacedModel):
    count: int | None = Spec("count", default=None, selectable=True)
    parts: list[Part] = ListField(Part, path=["spec", "parts"])
    tags: list[Tag] = ListField(Tag, path=["spec", "tags"])


def box(*parts: dict[str, Any], tags: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"parts": list(parts), **spec}
    if tags is not None:
        body["tags"] = tags
    return {"metadata": {"name": "b", "namespace": "n"}, "spec": body}


def keeps(raw: dict[str, Any], *calls: Q) -> bool:
    """Whether ``Box.query.filter(calls[0]).filter(calls[1])...`` keeps ``raw`` (a call's Q: its conditions)."""
    expr = resolve_all(Box, calls)
    return expr is None or expr.matches(raw)


AVAILABLE_FALSE = {
    "status": {"conditions": [{"type": "Available", "status": "False"}, {"type": "Progressing", "status": "True"}]}
}
AVAILABLE_TRUE = {
    "status": {"conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}]}
}


def test_the_deployment_of_the_issue() -> None:
    one_call = resolve_all(Deployment, (Q(status__conditions__type="Available", status__conditions__status="True"),))
    chained = resolve_all(Deployment, (Q(status__conditions__type="Available"), Q(status__conditions__status="True")))
    assert one_call is not None and chained is not None
    assert not one_call.matches(AVAILABLE_FALSE) and one_call.matches(AVAILABLE_TRUE)
    assert chained.matches(AVAILABLE_FALSE) and chained.matches(AVAILABLE_TRUE)
    # exclude() is filter()'s complement, group and all
    excluded = resolve_all(Deployment, (~Q(status__conditions__type="Available", status__conditions__status="True"),))
    assert excluded is not None and excluded.matches(AVAILABLE_FALSE) and not excluded.matches(AVAILABLE_TRUE)


def test_the_plan_shows_the_group() -> None:
    plan = Deployment.query.filter(status__conditions__type="Available", status__conditions__status="True").explain()
    assert str(plan.python) == (
        "SAME ELEMENT OF status.conditions[]: "
        "(status.conditions[].type exact 'Available' AND status.conditions[].status exact 'True')"
    )
    chained = Deployment.query.filter(status__conditions__type="Available").filter(status__conditions__status="True")
    assert str(chained.explain().python) == (
        "status.conditions[].type exact 'Available' AND status.conditions[].status exact 'True'"
    )
    assert "SAME ELEMENT" not in str(chained.explain())
    assert "python: NOT (SAME ELEMENT OF status.conditions[]: (" in str(
        Deployment.query.exclude(status__conditions__type="Available", status__conditions__status="True").explain()
    )


def test_one_q_is_one_group_and_q_combined_with_and_too() -> None:
    raw = box({"kind": "nut", "size": 1}, {"kind": "bolt", "size": 5})
    for same in (Q(parts__kind="nut", parts__size=5), Q(parts__kind="nut") & Q(parts__size=5),
                 Q(Q(parts__kind="nut"), Q(parts__size=5))):
        assert not keeps(raw, same), same
    assert keeps(raw, Q(parts__kind="nut"), Q(parts__size=5))  # chained: an element each
    assert keeps(raw, Q(parts__kind="bolt", parts__size=5))


def test_an_or_inside_a_group_reads_the_same_element() -> None:
    raw = box({"kind": "nut", "size": 1}, {"kind": "bolt", "size": 5})
    assert not keeps(raw, Q(parts__kind="nut") & (Q(parts__size=5) | Q(parts__size=7)))
    assert keeps(raw, Q(parts__kind="nut") & (Q(parts__size=1) | Q(parts__size=7)))
    # an OR of groups: either group, each on one element
    assert keeps(raw, Q(parts__kind="nut", parts__size=5) | Q(parts__kind="bolt", parts__size=5))
    assert not keeps(raw, Q(parts__kind="nut", parts__size=5) | Q(parts__kind="bolt", parts__size=1))


def test_exclude_drops_only_objects_with_one_element_having_both() -> None:
    both_in_one = box({"kind": "nut", "size": 5})
    in_two = box({"kind": "nut", "size": 1}, {"kind": "bolt", "size": 5})
    assert not keeps(both_in_one, ~Q(parts__kind="nut", parts__size=5))
    assert keeps(in_two, ~Q(parts__kind="nut", parts__size=5))  # Django's exclude() would drop it: not here
    # and a chain of excludes drops each condition on its own element
    assert not keeps(in_two, ~Q(parts__kind="nut"), ~Q(parts__size=5))


def test_a_negation_chooses_its_own_elements() -> None:
    """``~Q`` inside a group is "no element has ...", not "the group's element has not ..." (a subquery in Django)."""
    raw = box({"kind": "nut", "size": 1}, {"kind": "bolt", "size": 5})
    assert not keeps(raw, Q(parts__kind="nut") & ~Q(parts__size=5))
    assert keeps(box({"kind": "nut", "size": 1}), Q(parts__kind="nut") & ~Q(parts__size=5))


def test_lists_in_list_elements_share_the_outer_element_too() -> None:
    raw = box({"kind": "a", "subs": [{"name": "x"}]}, {"kind": "b", "subs": [{"name": "y"}]})
    assert keeps(raw, Q(parts__kind="a", parts__subs__name="x"))
    assert not keeps(raw, Q(parts__kind="a", parts__subs__name="y"))
    assert keeps(raw, Q(parts__kind="a"), Q(parts__subs__name="y"))
    two_subs = box({"subs": [{"name": "x"}, {"name": "y"}]})
    assert not keeps(two_subs, Q(parts__subs__name="x", parts__subs__name__startswith="y"))
    assert keeps(two_subs, Q(parts__subs__name="x"), Q(parts__subs__name__startswith="y"))


def test_two_lists_in_one_group_each_choose_an_element_and_unrelated_conditions_stay_apart() -> None:
    raw = box({"kind": "nut"}, tags=[{"key": "k"}], count=3)
    q = Q(parts__kind="nut", tags__key="k", count=3)
    assert keeps(raw, q)
    assert not keeps(raw, Q(parts__kind="nut", tags__key="z"))
    expr = resolve(Box, Q(parts__kind="nut", parts__size=None, tags__key="k", count=3))
    assert isinstance(expr, Node) and expr.op == "and"
    assert [c.op if isinstance(c, Node) else "leaf" for c in expr.children] == ["same", "leaf", "leaf"]


def test_an_empty_or_absent_list_offers_one_absent_element() -> None:
    for raw in (box(), {"spec": {}}, box(tags=[])):
        assert keeps(raw, Q(parts__kind=None, parts__size__isnull=True))
        assert not keeps(raw, Q(parts__kind="nut", parts__size__isnull=True))
        assert keeps(raw, Q(parts__kind="nut") | Q(count__isnull=True))


def test_no_list_condition_is_pushed_down_and_pushable_ones_still_are() -> None:
    plan = make_plan(resolve(Box, Q(parts__kind="nut", count=3, labels__app="web")), namespaced=True, namespaces=None,
                     selectable=[("spec", "count")])
    assert plan.label_selector == "app=web" and plan.field_selector == "spec.count=3"
    assert str(plan.python) == "spec.parts[].kind exact 'nut'"


# -- random filters against a reference written from the rule -------------------------------------

LOOKUPS: dict[str, tuple[tuple[str, ...], Any]] = {
    # lookup → (the lists it crosses, outermost first, as "spec.parts" ...; how to read its value)
    "count": ((), lambda env, raw: raw["spec"].get("count")),
    "parts__kind": (("parts",), lambda env, raw: _get(env["parts"], "kind")),
    "parts__size": (("parts",), lambda env, raw: _get(env["parts"], "size")),
    "parts__subs__name": (("parts", "parts.subs"), lambda env, raw: _get(env["parts.subs"], "name")),
    "tags__key": (("tags",), lambda env, raw: _get(env["tags"], "key")),
}
ABSENT = object()


def _get(element: Any, key: str) -> Any:
    return element.get(key, ABSENT) if isinstance(element, dict) else ABSENT


def _choices(raw: dict[str, Any], lists: set[str]) -> Iterator[dict[str, Any]]:
    """Every way to choose one element of each list (an empty list: one absent element)."""
    outer = [name for name in ("parts", "tags") if name in lists or f"{name}.subs" in lists]
    for elements in itertools.product(*[(raw["spec"].get(name) or [ABSENT]) for name in outer]):
        env = dict(zip(outer, elements))
        if "parts.subs" in lists:
            subs = env["parts"].get("subs") if isinstance(env["parts"], dict) else None
            for sub in subs or [ABSENT]:
                yield {**env, "parts.subs": sub}
        else:
            yield env


def _lookup(name: str) -> tuple[str, str]:
    for known in sorted(LOOKUPS, key=len, reverse=True):
        if name == known or name.startswith(known + "__"):
            return known, name[len(known) + 2:] or "exact"
    raise AssertionError(name)


def _holds(q: Q, raw: dict[str, Any], env: dict[str, Any]) -> bool:
    if q.op == "not":
        return not _group_holds(q.children[0], raw)
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(_holds(child, raw, env))
        else:
            name, op = _lookup(child[0])
            have = LOOKUPS[name][1](env, raw)
            want = child[1]
            if op == "exact":
                results.append(have in (ABSENT, None) if want is None else have is not ABSENT and have == want)
            elif op == "isnull":
                results.append((have is ABSENT or have is None) == want)
            else:
                assert op == "gt"
                results.append(isinstance(have, int) and have > want)
    return all(results) if q.op == "and" else any(results)


def _group_holds(q: Q, raw: dict[str, Any]) -> bool:
    lists = {lst for child in _leaves(q) for lst in LOOKUPS[_lookup(child)[0]][0]}
    return any(_holds(q, raw, env) for env in _choices(raw, lists))


def _leaves(q: Q) -> Iterator[str]:
    """The lookups of ``q`` outside its negations (which choose their own elements)."""
    if q.op == "not":
        return
    for child in q.children:
        if isinstance(child, Q):
            yield from _leaves(child)
        else:
            yield child[0]


_leaf = st.one_of(
    st.builds(lambda v: Q(parts__kind=v), st.sampled_from(["nut", "bolt", None])),
    st.builds(lambda v: Q(parts__size=v), st.sampled_from([1, 5])),
    st.builds(lambda v: Q(parts__size__gt=v), st.sampled_from([0, 2])),
    st.builds(lambda v: Q(parts__size__isnull=v), st.booleans()),
    st.builds(lambda v: Q(parts__subs__name=v), st.sampled_from(["x", "y"])),
    st.builds(lambda v: Q(parts__subs__name__isnull=v), st.booleans()),
    st.builds(lambda v: Q(tags__key=v), st.sampled_from(["k", "z"])),
    st.builds(lambda v: Q(count=v), st.sampled_from([1, 3])),
)
_q = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(lambda a, b: a & b, inner, inner),
        st.builds(lambda a, b: Q(a, b), inner, inner),
        st.builds(lambda a, b: a | b, inner, inner),
        st.builds(lambda a: ~a, inner),
    ),
    max_leaves=5,
)
_sub = st.fixed_dictionaries({}, optional={"name": st.sampled_from(["x", "y"])})
_part = st.fixed_dictionaries(
    {}, optional={"kind": st.sampled_from(["nut", "bolt"]), "size": st.sampled_from([1, 5]), "subs": st.lists(_sub, max_size=2)}
)
_box = st.builds(
    lambda parts, tags, count: {"metadata": {"name": "b", "namespace": "n"},
                                "spec": {k: v for k, v in (("parts", parts), ("tags", tags), ("count", count)) if v is not None}},
    st.one_of(st.none(), st.lists(_part, max_size=3)),
    st.one_of(st.none(), st.lists(st.fixed_dictionaries({}, optional={"key": st.sampled_from(["k", "z"])}), max_size=2)),
    st.sampled_from([None, 1, 3]),
)


@settings(max_examples=600, deadline=None)
@given(calls=st.lists(_q, min_size=1, max_size=3), raws=st.lists(_box, min_size=1, max_size=4))
def test_random_filters_match_the_reference(calls: list[Q], raws: list[dict[str, Any]]) -> None:
    expr = resolve_all(Box, tuple(calls))
    plan = make_plan(expr, namespaced=True, namespaces=None, selectable=[("spec", "count")])
    for raw in raws:
        expected = all(_group_holds(call, raw) for call in calls)
        assert expr is not None and expr.matches(raw) is expected, f"{calls} on {raw['spec']}: {expr}"
        # what the server selects (count's field selector, absent as "") then Python: the same answer
        count = raw["spec"].get("count")
        server = all((str(count) if count is not None else "") == values[0] if op == "=" else
                     (str(count) if count is not None else "") != values[0] for _, op, values in plan.field_terms)
        assert (server and (plan.python is None or plan.python.matches(raw))) is expected, f"{calls}: {plan}"
