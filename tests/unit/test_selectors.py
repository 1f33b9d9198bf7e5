"""Offline: label and field selectors rendered as the API server parses them; what they cannot say is refused."""

from __future__ import annotations

from typing import Any

import pytest

import pykorm
from pykorm import Q
from pykorm._lookups import resolve
from pykorm._plan import make_plan
from pykorm._selectors import Term, field_selector, label_selector
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
