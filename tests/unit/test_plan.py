"""Offline: the query planner — what goes to the API server as selectors, what is checked in Python.

The planner's promise: a pushed-down conjunct means on the server exactly what it means in
Python, and nothing the filter says is lost. So each test checks both the plan and that the
plan's Python predicate, applied to what the server would send back, gives the filter's answer.
"""

from __future__ import annotations

from typing import Any

import pytest

import pykorm
from pykorm import ClientValidationError, Q
from pykorm._select.lookups import Leaf, Node, resolve
from pykorm._select.plan import Plan, make_plan
from pykorm.fields import DataField, ListField, Spec

pytestmark = pytest.mark.unit


class Part(pykorm.Nested):
    kind: str = DataField("kind")


@pykorm.k8s_custom_object("plan.pykorm.io", "v1", "gadgets")
class Gadget(pykorm.NamespacedModel):
    colour: str = Spec("colour", selectable=True)
    size: int | None = Spec("size", default=None, selectable=True)
    shiny: bool | None = Spec("shiny", default=None, selectable=True)
    weight: float | None = Spec("weight", default=None)
    note: str | None = Spec("note", default=None)
    parts: list[Part] = ListField(Part, path=["spec", "parts"])


@pykorm.k8s_custom_object("plan.pykorm.io", "v1", "globals")
class Global(pykorm.ClusterModel):
    colour: str = Spec("colour")


def plan(model: type, *where: Q, namespaces: tuple[str, ...] | None = None, **lookups: Any) -> Plan:
    """The plan of ``model.query.filter(*where, **lookups)``, made from the pure functions only."""
    q = Q(*where, **lookups)
    expr = resolve(model, q) if q.children else None
    namespaced = issubclass(model, pykorm.NamespacedModel)
    selectable = [f.path for f in model._fields.values() if f.selectable]  # type: ignore[attr-defined]
    return make_plan(expr, namespaced=namespaced, namespaces=namespaces, selectable=selectable)


def raw(name: str = "a", namespace: str = "n", labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels is not None:
        metadata["labels"] = labels
    return {"metadata": metadata, "spec": spec}


def python_keeps(p: Plan, obj: dict[str, Any]) -> bool:
    return p.python is None or p.python.matches(obj)


# -- what is pushed down ------------------------------------------------------------------


def test_no_filter_lists_everything_with_nothing_left_for_python() -> None:
    p = plan(Gadget)
    assert (p.namespaces, p.names, p.label_selector, p.field_selector, p.python) == (None, None, None, None, None)
    assert p.fully_pushed and not p.empty


def test_labels_become_a_label_selector_in_their_full_syntax() -> None:
    p = plan(
        Gadget,
        ~Q(labels__tier="db"),
        ~Q(labels__zone__in=["x", "y"]),
        Q(labels__app__isnull=False),
        ~Q(labels__has="legacy"),
        labels__app="web",
        labels__env__in=["prod", "staging"],
    )
    # Q(**kw) keeps the keywords after the positional conditions, in their order
    assert p.label_selector == "tier!=db,zone notin (x,y),app,!legacy,app=web,env in (prod,staging)"
    assert p.fully_pushed


def test_an_or_of_one_label_key_is_an_in_term_without_repeats() -> None:
    p = plan(Gadget, Q(labels__app="a") | Q(labels__app="b") | Q(labels__app__in=["b", "c"]))
    assert p.label_selector == "app in (a,b,c)"
    assert p.fully_pushed


@pytest.mark.parametrize(
    "where",
    [
        Q(labels__app="a") | Q(labels__env="b"),  # two keys: no single term says it
        Q(labels__app="a") | Q(colour="red"),
        Q(labels__app="a") | ~Q(labels__app="b"),
        Q(labels__app="a") | Q(labels__app__isnull=True),
        ~(Q(labels__app="a") | Q(labels__app="b")),  # not pushed as notin: kept in Python, still correct
    ],
    ids=repr,
)
def test_ors_that_no_label_term_expresses_stay_in_python(where: Q) -> None:
    p = plan(Gadget, where)
    assert p.label_selector is None and p.python is not None


@pytest.mark.parametrize(
    "lookups",
    [
        {"labels__app": ""},  # refused by the planner: kept in Python
        {"labels__app": "has space"},
        {"labels__app": "x" * 64},
        {"labels__app": "-leading"},
        {"labels__app": "a,b"},
        {"labels__app": "a)b"},
        {"labels__app__in": []},
        {"labels__app__in": ["ok", ""]},
        {"labels__app__in": ["ok", "not ok"]},
        {"labels__app__startswith": "we"},
        {"labels__app__iexact": "WEB"},
        {"labels__app__regex": "^w"},
        {"labels__has": "bad key!"},
    ],
    ids=repr,
)
def test_label_values_a_selector_cannot_carry_are_checked_in_python_never_sent(lookups: dict[str, Any]) -> None:
    p = plan(Gadget, **lookups)
    assert p.label_selector is None
    assert p.python is not None


def test_a_label_key_that_is_not_a_valid_key_stays_in_python() -> None:
    p = plan(Gadget, Q(**{"labels__bad key": "v"}), labels__good="v")
    assert p.label_selector == "good=v"
    assert isinstance(p.python, Leaf) and p.python.path == ("metadata", "labels", "bad key")


def test_selectable_fields_are_sent_typed_as_the_server_compares_them() -> None:
    p = plan(Gadget, colour="red", size=3, shiny=False)
    assert p.field_selector == "spec.colour=red,spec.size=3,spec.shiny=false"
    assert p.fully_pushed


@pytest.mark.parametrize(
    "where",
    [
        Q(colour=""),  # empty: the server's "x=" matches an absent field too
        Q(size=None),
        ~Q(colour=""),  # the server's "x!=" drops an absent field, which Python's exclude keeps
        ~Q(colour__in=["red"]),
        ~Q(colour="red", size=3),  # a NOT of an AND is an OR of "!=": no field selector says it
        ~Q(parts__kind="bolt"),  # through a list
        Q(colour__in=["red"]),
        Q(colour__iexact="RED"),
        Q(size__gt=1),
        Q(weight=1.5),  # not selectable
        Q(note="x"),  # not selectable
    ],
    ids=repr,
)
def test_field_conditions_whose_server_meaning_differs_stay_in_python(where: Q) -> None:
    p = plan(Gadget, where)
    assert p.field_selector is None and not p.fully_pushed


def test_exclude_on_a_selectable_field_or_the_name_is_a_not_equal_field_selector() -> None:
    """The server reads an absent field as "" (a CRD's), so ``!=`` a non-empty value keeps it, as Python's exclude."""
    p = plan(Gadget, ~Q(colour="red"), ~Q(size=0), ~Q(shiny=False), ~Q(name="a"), ~Q(namespace="kube-system"))
    assert p.field_selector == "spec.colour!=red,spec.size!=0,spec.shiny!=false,metadata.name!=a,metadata.namespace!=kube-system"
    assert p.fully_pushed
    # a cluster-scoped list has no metadata.namespace (the server refuses it): never sent there
    expr = resolve(Gadget, ~Q(namespace="x"))
    assert make_plan(expr, namespaced=False, namespaces=None).field_selector is None


def test_a_built_in_kinds_zero_value_stays_in_python_for_exclude_too() -> None:
    expr = resolve(Gadget, ~Q(size=0) & ~Q(shiny=False) & ~Q(size=3) & ~Q(colour="red"))
    p = make_plan(expr, namespaced=True, namespaces=None, built_in_selectable=[("spec", "size"), ("spec", "shiny"), ("spec", "colour")])
    assert p.field_selector == "spec.size!=3,spec.colour!=red"
    assert str(p.python) == "(NOT (spec.size exact 0)) AND (NOT (spec.shiny exact False))"


def test_field_selector_values_are_escaped() -> None:
    p = plan(Gadget, colour="a,b=c\\d")
    assert p.field_selector == r"spec.colour=a\,b\=c\\d"


def test_name_across_namespaces_is_a_metadata_name_field_selector_first() -> None:
    p = plan(Gadget, colour="red", name="x,y")
    assert p.names is None
    assert p.field_selector == r"metadata.name=x\,y,spec.colour=red"
    negated = plan(Gadget, ~Q(name="x"))
    assert negated.field_selector == "metadata.name!=x" and negated.fully_pushed


def test_a_name_in_known_namespaces_is_fetched_by_gets_and_the_rest_is_checked_in_python() -> None:
    p = plan(Gadget, namespaces=("b", "a"), name="x", labels__app="web", colour="red")
    assert (p.namespaces, p.names) == (("a", "b"), ("x",))
    assert (p.label_terms, p.field_terms) == ((), ())  # a GET takes no selector
    assert python_keeps(p, raw("x", labels={"app": "web"}, colour="red"))
    assert not python_keeps(p, raw("x", labels={"app": "web"}, colour="blue"))
    assert not python_keeps(p, raw("x", colour="red"))


def test_a_cluster_scoped_name_is_a_get_without_namespaces() -> None:
    p = plan(Global, name="x")
    assert (p.namespaces, p.names, p.python) == (None, ("x",), None)


def test_namespace_lookups_narrow_the_namespaces_listed() -> None:
    assert plan(Gadget, namespace="a").namespaces == ("a",)
    assert plan(Gadget, namespaces=("a", "b", "c"), namespace__in=["c", "a", "z"]).namespaces == ("a", "c")
    p = plan(Gadget, Q(namespace="a") | Q(namespace="b"))
    assert p.namespaces is None and not p.fully_pushed  # an OR of namespaces is checked in Python


@pytest.mark.parametrize(
    ("kwargs", "lookups"),
    [
        ({}, {"namespace__in": []}),
        ({"namespaces": ("a",)}, {"namespace": "b"}),
        ({"namespaces": ()}, {}),
    ],
    ids=repr,
)
def test_contradictory_namespaces_make_no_request(kwargs: dict[str, Any], lookups: dict[str, Any]) -> None:
    p = plan(Gadget, **kwargs, **lookups)
    assert p.empty
    assert str(p) == "no request: the filter can match nothing"


def test_two_different_names_make_no_request() -> None:
    assert plan(Gadget, Q(name="a"), Q(name="b")).empty
    assert not plan(Gadget, Q(name="a"), Q(name="a")).empty


def test_namespaces_are_listed_in_the_servers_order_of_keys() -> None:
    """``ns("a", "a-b")`` listed "a" first, while the server's all-namespaces list (by "namespace/name" keys)
    puts "a-b/..." first ("-" sorts before "/"): ``[:n]`` and ``first()`` gave other objects than ``all_namespaces()``."""
    assert plan(Gadget, namespaces=("a", "a-b", "a0")).namespaces == ("a-b", "a", "a0")


def test_a_namespace_filter_on_a_value_no_namespace_can_have_matches_nothing() -> None:
    """``filter(namespace="Alpha")`` raised ClientValidationError (the value went into a URL path) where a cache
    answered []; a filter on a value no namespace can have selects nothing, as Django's would."""
    assert plan(Gadget, namespace="Alpha").empty
    assert plan(Gadget, namespace__in=["Alpha", "a/b", "ok"]).namespaces == ("ok",)


@pytest.mark.parametrize(
    "where",
    [Q(namespace__in=["a", 1]), Q(name="a", namespace__in=[7]), Q(size="3"), Q(size=True), Q(shiny=1),
     Q(labels__app=3), Q(labels__app__in=["ok", 3])],
    ids=repr,
)
def test_a_value_no_object_can_hold_is_refused_never_planned(where: Q) -> None:
    """These stayed in Python as no match (never sent, rightly); a value of another type than the field's checked
    annotation is now the caller's mistake, named before anything is planned or sent (``filter(size="3")`` from a
    web form selected nothing, silently)."""
    with pytest.raises(ClientValidationError, match="no object could match"):
        resolve(Gadget, where)


# -- nothing the filter says is lost ------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "namespaces"),
    [
        (Q(name="a", name__in=["b", "c"]), ("n",)),
        (Q(name="a") & Q(name__startswith="b"), ("n",)),
        (Q(name="a") & ~Q(name="a"), ("n",)),
        (Q(name="a") & ~Q(namespace="n"), ("n",)),
        (Q(name="a") & ~Q(namespace__in=["n"]), ("n",)),
        (Q(name="a", name__in=["b"]), None),
    ],
    ids=repr,
)
def test_a_get_by_name_still_checks_every_other_name_and_namespace_condition(
    where: Q, namespaces: tuple[str, ...] | None
) -> None:
    """The object a GET returns must still pass the whole filter (found: ``name__in`` was dropped)."""
    p = plan(Gadget, where, namespaces=namespaces)
    obj = raw("a", "n")
    assert resolve(Gadget, where).matches(obj) is False
    assert p.empty or not python_keeps(p, obj)


def test_a_get_on_a_cluster_scoped_model_keeps_other_name_conditions() -> None:
    p = plan(Global, Q(name="a", name__in=["b"]))
    assert p.names == ("a",)
    assert not python_keeps(p, {"metadata": {"name": "a"}, "spec": {}})


HOSTILE = [
    Q(labels__app="web") & Q(colour="red") & Q(name="a"),
    Q(labels__app="web") | Q(labels__app="db"),
    ~Q(labels__app="web") & Q(size=3),
    Q(labels__app__isnull=True) & ~Q(shiny=True),
    Q(name="a") & Q(name__in=["a", "b"]) & Q(namespace="n"),
    Q(parts__kind="bolt") & Q(labels__has="app"),
    ~Q(name="b") & Q(labels__app__in=["web", "x"]),
    Q(colour="red", size=None),
    ~Q(colour="red"),  # exclude() on selectable fields: "!=", true where the field is absent, as in Python
    ~Q(size=3) & ~Q(shiny=True),
    ~Q(size=0) & ~Q(shiny=False),
    ~Q(namespace="m") & ~Q(name="b"),
    ~Q(colour="red") | Q(labels__app="db"),
    ~Q(parts__kind="bolt") & ~Q(size=3),
]
OBJECTS = [
    raw("a", "n", {"app": "web"}, colour="red", size=3, shiny=False, parts=[{"kind": "bolt"}]),
    raw("b", "n", {"app": "db"}, colour="red", size=3, shiny=True),
    raw("a", "m", None, colour="blue", parts=[]),
    raw("c", "n", {"tier": "x"}, colour="red", size=None, parts=[{"kind": "nut"}, {"kind": "bolt"}]),
    raw("d", "n", {"app": "db"}, size=0, shiny=False),  # no colour
    raw("e", "m", None),  # no spec field at all
]


def _server_selects(p: Plan, obj: dict[str, Any]) -> bool:
    """What the API server would send back for the plan (a minimal model of selectors on these objects)."""
    meta = obj["metadata"]
    if p.namespaces is not None and meta["namespace"] not in p.namespaces:
        return False
    if p.names is not None:
        return meta["name"] in p.names
    labels = meta.get("labels") or {}
    for key, op, values in p.label_terms:
        have = labels.get(key)
        if op in ("exists", "!exists"):
            ok = (key in labels) == (op == "exists")
        else:
            ok = (have in values) == (op in ("=", "in"))
        if not ok:
            return False
    for key, op, values in p.field_terms:
        section, _, leaf = key.partition(".")
        have = obj[section].get(leaf)
        rendered = ("true" if have else "false") if isinstance(have, bool) else "" if have is None else str(have)
        if (rendered == values[0]) != (op == "="):
            return False
    return True


@pytest.mark.parametrize("where", HOSTILE, ids=repr)
def test_server_selection_then_python_gives_the_filters_answer(where: Q) -> None:
    expected = [o["metadata"]["name"] + "/" + o["metadata"]["namespace"] for o in OBJECTS if resolve(Gadget, where).matches(o)]
    for namespaces in (None, ("n",), ("n", "m")):
        p = plan(Gadget, where, namespaces=namespaces)
        got = [
            o["metadata"]["name"] + "/" + o["metadata"]["namespace"]
            for o in OBJECTS
            if not p.empty and _server_selects(p, o) and python_keeps(p, o)
        ]
        want = [w for w in expected if namespaces is None or w.split("/")[1] in namespaces]
        assert got == want, f"{where!r} in {namespaces}:\n{p}"


def test_the_plan_prints_as_data() -> None:
    p = plan(Gadget, Q(size__gt=2), labels__app="web", colour="red")
    assert str(p).splitlines() == [
        "namespaces: all",
        "LIST",
        "labelSelector: app=web",
        "fieldSelector: spec.colour=red",
        "python: spec.size gt 2",
    ]
    assert isinstance(plan(Gadget, Q(size__gt=2), Q(size__lt=9)).python, Node)
