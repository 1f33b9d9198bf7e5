"""Offline: label and field selectors rendered as the API server parses them; what they cannot say is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

import pykorm
from pykorm import Q
from pykorm._select.lookups import resolve
from pykorm._select.plan import make_plan
from pykorm._select.selectors import Term, field_selector, label_selector, parse_label_selector
from pykorm.fields import Spec

pytestmark = pytest.mark.unit


def test_no_terms_is_no_selector() -> None:
    assert label_selector([]) is None and field_selector(()) is None


def test_every_label_operator() -> None:
    terms: list[Term] = [
        ("app", "=", ("web",)),
        ("tier", "!=", ("db",)),
        ("env", "in", ("prod", "qa")),
        ("zone", "notin", ("a",)),
        ("example.com/owned", "exists", ()),
        ("legacy", "!exists", ()),
    ]
    assert label_selector(terms) == "app=web,tier!=db,env in (prod,qa),zone notin (a),example.com/owned,!legacy"


@pytest.mark.parametrize(
    "key",
    [
        "a", "A", "a.b_c-D9", "x" * 63, "example.com/x", "a-b.c-d.example/app",
        "k8s.io/" + "x" * 63, ".".join(["a" * 63] * 3) + "/n",
    ],
)
def test_valid_label_keys_pass(key: str) -> None:
    assert label_selector([(key, "exists", ())]) == key


@pytest.mark.parametrize(
    "key",
    [
        "", "x" * 64, "-a", "a-", "_a", "a b", "a,b", "a=b", "a!", "(a)", "a\n", "\na", "a\r", "a\t", "a\x00",
        "/a", "a/", "A.com/x", "a//b", "a/b/c", "ex_ample.com/x", "é", "a\u200b",
        "p" * 254 + "/a",  # a prefix is a DNS subdomain: at most 253 characters
    ],
    ids=repr,
)
def test_invalid_label_keys_are_refused_naming_the_key(key: str) -> None:
    with pytest.raises(pykorm.ClientValidationError) as caught:
        label_selector([(key, "exists", ())])
    assert caught.value.causes[0].field == f"labels.{key}"
    assert "invalid label key" in str(caught.value)


@pytest.mark.parametrize(
    "value",
    ["x" * 64, "-a", "a-", "a b", "a,b", "a)", "(a", "a=b", "a!b", "web\n", "\nweb", "web\r\n", "é", "a\x00", "a/b"],
    ids=repr,
)
def test_invalid_label_values_are_refused_for_every_operator(value: str) -> None:
    for op in ("=", "!=", "in", "notin"):
        with pytest.raises(pykorm.ClientValidationError, match="invalid label value"):
            label_selector([("app", op, ("ok", value) if op in ("in", "notin") else (value,))])


def test_an_empty_label_value_is_a_value() -> None:
    assert label_selector([("app", "=", ("",))]) == "app="
    assert label_selector([("app", "in", ("", "x"))]) == "app in (,x)"


@pytest.mark.parametrize(
    "term",
    [("app", "in", ()), ("app", "notin", ()), ("app", "=", ()), ("app", "!=", ()), ("app", "=", ("a", "b")),
     ("app", "==", ("a",)), ("app", "gt", ("1",)), ("app", "", ())],
    ids=repr,
)
def test_terms_a_label_selector_cannot_say_are_refused(term: Term) -> None:
    with pytest.raises(pykorm.ClientValidationError):
        label_selector([term])


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("plain", "plain"),
        ("a,b", r"a\,b"),
        ("a=b", r"a\=b"),
        ("a\\b", r"a\\b"),
        ("\\,=", r"\\\,\="),
        ("", ""),
        ("a!=b", r"a!\=b"),
        ("spaces and ünïcode", "spaces and ünïcode"),
    ],
    ids=repr,
)
def test_field_selector_values_are_escaped_as_the_server_unescapes_them(value: str, sent: str) -> None:
    assert field_selector([("spec.x", "=", (value,))]) == f"spec.x={sent}"
    assert _unescape_split(field_selector([("spec.x", "!=", (value,)), ("spec.y", "=", ("z",))]) or "") == [
        ("spec.x", "!=", value), ("spec.y", "=", "z")
    ]


def _unescape_split(selector: str) -> list[tuple[str, str, str]]:
    """The server's parse (k8s.io/apimachinery fields.ParseSelector): split on unescaped ',', then on the first operator."""
    terms, current, escaped = [], "", False
    for char in selector + ",":
        if escaped:
            current, escaped = current + "\\" + char, False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(current)
            current = ""
        else:
            current += char
    parsed = []
    for term in terms:
        for i in range(len(term)):
            op = next((o for o in ("!=", "==", "=") if term.startswith(o, i)), None)
            if op is not None:
                value = term[i + len(op):]
                unescaped, j = "", 0
                while j < len(value):
                    if value[j] == "\\":
                        j += 1
                    unescaped += value[j]
                    j += 1
                parsed.append((term[:i], op, unescaped))
                break
    return parsed


@pytest.mark.parametrize("op", ["in", "notin", "exists", "==", "<"])
def test_field_selectors_take_only_equality(op: str) -> None:
    with pytest.raises(pykorm.ClientValidationError, match="only '=' and '!='"):
        field_selector([("spec.x", op, ("a",))])


@pytest.mark.parametrize(
    "key",
    ["", "spec.a,metadata.name", "spec.a=b", "spec.a!", "spec.a b", "spec.a\\", "spec.a\n"],
    ids=repr,
)
def test_field_keys_that_would_change_the_selector_are_refused(key: str) -> None:
    """A key is not escaped by the server's parser: one holding ',' or '=' would make other terms."""
    with pytest.raises(pykorm.ClientValidationError, match="field selector key"):
        field_selector([(key, "=", ("a",))])


@pytest.mark.parametrize("values", [(), ("a", "b")], ids=repr)
def test_a_field_term_takes_exactly_one_value(values: tuple[str, ...]) -> None:
    with pytest.raises(pykorm.ClientValidationError, match="one value"):
        field_selector([("spec.x", "=", values)])


# -- through the planner: a value the selector refuses is checked in Python, never sent --------


@pykorm.k8s_custom_object("selectors.pykorm.io", "v1", "widgets")
class Widget(pykorm.NamespacedModel):
    colour: str = Spec("colour", selectable=True)


@pytest.mark.parametrize("value", ["web\n", "web ", " web", "web\t", "a,b", "x" * 64], ids=repr)
def test_a_label_filter_the_selector_cannot_carry_is_kept_in_python(value: str) -> None:
    expr = resolve(Widget, Q(labels__app=value))
    plan = make_plan(expr, namespaced=True, namespaces=None)
    assert plan.label_selector is None
    assert plan.python is not None
    assert not plan.python.matches({"metadata": {"labels": {"app": "web"}}})
    assert plan.python.matches({"metadata": {"labels": {"app": value}}})


def test_filter_by_fields_with_a_hostile_key_is_refused_before_sending() -> None:
    query: Any = Widget.query.filter_by_fields({"spec.colour,metadata.name": "x"})
    with pytest.raises(pykorm.ClientValidationError):
        query.explain().field_selector  # noqa: B018 - rendering is what refuses


# -- label selector strings (query.selector, issue #20) ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("", ()),
        ("  ", ()),
        ("app=web,tier!=db", (("app", "=", ("web",)), ("tier", "!=", ("db",)))),
        ("app==web", (("app", "=", ("web",)),)),
        (" app = web , tier != db ", (("app", "=", ("web",)), ("tier", "!=", ("db",)))),
        ("env in (prod, qa),zone notin (a)", (("env", "in", ("prod", "qa")), ("zone", "notin", ("a",)))),
        ("example.com/owned,!legacy", (("example.com/owned", "exists", ()), ("legacy", "!exists", ()))),
        ("a=", (("a", "=", ("",)),)),
        ("a=,b", (("a", "=", ("",)), ("b", "exists", ()))),
        ("k in (a,)", (("k", "in", ("a", "")),)),
        ("k in ()", (("k", "in", ("",)),)),  # the server reads "()" as the empty value
        ("k notin (,a)", (("k", "notin", ("", "a")),)),
        ("k in (a,a)", (("k", "in", ("a",)),)),
        ("a=b\n", (("a", "=", ("b",)),)),
        ("controller-uid=0d5f,batch.kubernetes.io/job-name=pi", (("controller-uid", "=", ("0d5f",)), ("batch.kubernetes.io/job-name", "=", ("pi",)))),
    ],
    ids=repr,
)
def test_a_label_selector_string_parses_into_terms(text: str, terms: tuple[Term, ...]) -> None:
    assert parse_label_selector(text) == terms
    rendered = label_selector(terms)
    assert parse_label_selector(rendered or "") == terms  # what is sent reads back the same


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a=b=c", "expected ','"),
        ("a,", "after the last ','"),
        (",a", "expected a label key"),
        ("a=b,,c", "expected a label key"),
        ("!a=b", "expected ','"),
        ("!", "after '!'"),
        ("a in x", "expected '('"),
        ("a in (x", "expected ',' or ')'"),
        ("a>1", "does not evaluate '>'"),
        ("a < 1", "does not evaluate '<'"),
        ("in=1", "expected a label key"),
        ("a b", "not 'b'"),
        ("a=b c", "expected ','"),
        ("bad key=1", "not 'key'"),
        ("a=" + "x" * 64, "invalid label value"),
        ("-a=b", "invalid label key"),
        ("a=b\u00a0", "invalid label value"),  # only ASCII blanks separate, as in the server's lexer
    ],
    ids=repr,
)
def test_an_invalid_label_selector_string_is_refused_saying_where(text: str, says: str) -> None:
    with pytest.raises(pykorm.ClientValidationError, match=re.escape(says)) as caught:
        parse_label_selector(text)
    assert isinstance(caught.value, ValueError)


def test_a_label_selector_is_a_string() -> None:
    with pytest.raises(pykorm.ClientValidationError, match="is a string"):
        parse_label_selector(None)  # type: ignore[arg-type]
    with pytest.raises(pykorm.ClientValidationError):
        Widget.query.selector(["app=web"])  # type: ignore[arg-type]


def _labels(**labels: str) -> dict[str, Any]:
    return {"metadata": {"name": "w", "namespace": "n", "labels": labels}}


def test_query_selector_is_pushed_down_and_means_what_the_server_means() -> None:
    query = Widget.query.selector("app=web,tier!=db,env in (a,b),zone notin (x),owned,!legacy")
    plan = query.explain()
    assert plan.label_selector == "app=web,tier!=db,env in (a,b),zone notin (x),owned,!legacy" and plan.fully_pushed
    where = query.selection().where
    assert where is not None
    assert where.matches(_labels(app="web", env="a", owned=""))
    assert where.matches(_labels(app="web", env="b", owned="", tier="web", zone="y"))
    for failing in (_labels(env="a", owned=""), _labels(app="web", env="a", owned="", tier="db"),
                    _labels(app="web", env="c", owned=""), _labels(app="web", env="a", owned="", zone="x"),
                    _labels(app="web", env="a"), _labels(app="web", env="a", owned="", legacy="1")):
        assert not where.matches(failing), failing


def test_query_selector_combines_with_filter_and_a_get_by_name_checks_it_in_python() -> None:
    plan = Widget.query.filter(labels__app="web").selector("tier=db").explain()
    assert plan.label_selector == "app=web,tier=db"
    by_name = Widget.query.namespace("n").selector("tier=db").filter(name="w").explain()
    assert by_name.names == ("w",) and by_name.label_selector is None
    assert by_name.python is not None and not by_name.python.matches(_labels(tier="web"))
    assert by_name.python.matches(_labels(tier="db"))
    assert Widget.query.selector("").explain().python is None and Widget.query.selector("").explain().label_selector is None


def test_filter_by_labels_keys_are_label_keys_never_lookups() -> None:
    """``filter_by_labels(has="x")`` was the ``has`` operator (objects with a label *key* "x")."""
    where = Widget.query.filter_by_labels(has="x", **{"in": "y"}).selection().where
    assert where is not None
    assert where.matches(_labels(has="x", **{"in": "y"}))
    assert not where.matches(_labels(x="1", **{"in": "y"}))
    assert Widget.query.filter_by_labels({"a__b": "v"}).explain().label_selector == "a__b=v"  # was refused as a lookup
    spaced = Widget.query.filter_by_labels({"bad key": "v"})
    assert spaced.explain().label_selector is None  # not a label key: checked in Python
    assert spaced.selection().where.matches(_labels(**{"bad key": "v"}))  # type: ignore[union-attr]
