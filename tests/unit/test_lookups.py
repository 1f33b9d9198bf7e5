"""Offline: lookups resolved against a model and evaluated on objects' JSON — operators and their edges.

tests/test_query.py checks the common lookups against a reference on real objects; here are the
edges: absent and null values, lists of nested objects (also two deep), empty lists, type
mismatches (JSON ``true`` is not ``1``), the operators' argument checks and the error messages.
"""

from __future__ import annotations

import datetime
import enum
import re
from typing import Any, Literal

import pytest

import pykorm
from pykorm import ClientValidationError, Q
from pykorm._select.compiled import compiled
from pykorm._select.lookups import Leaf, Node, resolve
from pykorm._select.ordering import element_values, sort_key
from pykorm._base.paths import MISSING
from pykorm.fields import DataField, ListField, Spec

pytestmark = pytest.mark.unit


class Colour(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Sub(pykorm.Nested):
    name: str = DataField("name")


class Part(pykorm.Nested):
    kind: str = DataField("kind")
    size: int | None = DataField("size", default=None)
    subs: list[Sub] = ListField(Sub, path=["subs"])


@pykorm.k8s_custom_object("lookups.pykorm.io", "v1", "things")
class Thing(pykorm.NamespacedModel):
    title: str | None = Spec("title", default=None)
    count: int | None = Spec("count", default=None)
    ratio: float | None = Spec("ratio", default=None)
    on: bool | None = Spec("on", default=None)
    colour: Colour | None = Spec("colour", default=None)
    mode: Literal["a", "b"] | None = Spec("mode", default=None)
    when: datetime.datetime | None = Spec("when", default=None)
    nums: list[int] = Spec("nums", default_factory=list)
    words: list[str] = Spec("words", default_factory=list)
    env: dict[str, str] = Spec("env", default_factory=dict)
    free: dict[str, Any] = Spec("free", default_factory=dict)
    parts: list[Part] = ListField(Part, path=["spec", "parts"])


def obj(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "t", "namespace": "n", "labels": {"app": "web"}}, "spec": spec}


def matches(q: Q, raw: dict[str, Any]) -> bool:
    """The lookup's answer, the same from its closure for loops (``matcher``) as from ``matches``."""
    tree = resolve(Thing, q)
    answer = tree.matches(raw)
    assert tree.matcher(raw) is answer, f"matcher and matches differ on {q!r} for {raw!r}"
    return answer


# -- resolution ---------------------------------------------------------------------------


def test_lookups_resolve_to_json_paths_and_operators() -> None:
    leaf = resolve(Thing, Q(parts__subs__name__startswith="x"))
    assert isinstance(leaf, Leaf)
    assert (leaf.path, leaf.op, leaf.value, leaf.list_at) == (("spec", "parts", "subs", "name"), "startswith", "x", (2, 3))
    assert resolve(Thing, Q(labels__app="w")).path == ("metadata", "labels", "app")  # type: ignore[union-attr]
    assert resolve(Thing, Q(free__a__b__c=1)).path == ("spec", "free", "a", "b", "c")  # type: ignore[union-attr]


def test_one_lookup_is_a_leaf_several_an_and_a_negation_a_not() -> None:
    assert isinstance(resolve(Thing, Q(count=1)), Leaf)
    both = resolve(Thing, Q(count=1, title="x"))
    assert isinstance(both, Node) and both.op == "and" and len(both.children) == 2
    negated = resolve(Thing, ~Q(count=1))
    assert isinstance(negated, Node) and negated.op == "not"
    assert str(resolve(Thing, Q(count=1) | ~Q(title="x"))) == "spec.count exact 1 OR (NOT (spec.title exact 'x'))"


def test_an_unknown_attribute_lists_the_choices_of_the_class_it_was_looked_up_on() -> None:
    with pytest.raises(pykorm.ClientValidationError) as caught:
        resolve(Thing, Q(parts__colour="x"))
    message = str(caught.value)
    assert "cannot resolve 'colour' in 'parts__colour' on Part" in message
    assert "choices are: kind, size, subs" in message
    assert caught.value.causes[0].field == "parts__colour"


@pytest.mark.parametrize(
    ("lookup", "says"),
    [
        ("count__bigger", "'count' is a int; it has no 'bigger'"),
        ("title__x__exact", "'title' is a str; it has no 'x'"),
        ("env__a__b", "'env__a' is a str; it has no 'b'"),
        ("nums__0", "'nums' is a list; it has no '0'"),
    ],
)
def test_a_path_past_a_scalar_is_refused_naming_where_it_stops(lookup: str, says: str) -> None:
    with pytest.raises(pykorm.ClientValidationError, match=re.escape(says)):
        resolve(Thing, Q(**{lookup: 1}))


@pytest.mark.parametrize(
    ("lookups", "says"),
    [
        ({"count__isnull": None}, "__isnull takes True or False"),
        ({"count__isnull": 1}, "__isnull takes True or False"),
        ({"title__in": "abc"}, "__in takes a list"),
        ({"title__in": b"abc"}, "__in takes a list"),
        ({"count__in": 3}, "__in takes a list"),
        ({"title__regex": "("}, "__regex takes a regular expression"),
        ({"title__regex": None}, "__regex takes a regular expression"),
        ({"title__startswith": None}, "__startswith takes a string"),
        ({"title__icontains": 3}, "__icontains takes a string"),
        ({"labels__has": 1}, "__has takes a string"),
        ({"title__iexact": None}, "__iexact takes a string"),
    ],
    ids=repr,
)
def test_values_that_do_not_suit_the_operator_are_refused(lookups: dict[str, Any], says: str) -> None:
    with pytest.raises(pykorm.ClientValidationError, match=re.escape(says)):
        resolve(Thing, Q(**lookups))


def test_in_takes_any_iterable_once_even_a_generator() -> None:
    leaf = resolve(Thing, Q(count__in=(n for n in (1, 2))))
    assert leaf.value == (1, 2)  # type: ignore[union-attr]
    assert matches(Q(count__in={2}), obj(count=2))


# -- absent, null, empty -----------------------------------------------------------------


@pytest.mark.parametrize("raw", [obj(), obj(count=None), {"metadata": {}}, {}, {"spec": None}, {"spec": "not an object"}], ids=repr)
def test_absent_and_null_match_only_exact_none_and_isnull(raw: dict[str, Any]) -> None:
    assert matches(Q(count=None), raw)
    assert matches(Q(count__isnull=True), raw)
    assert not matches(Q(count__isnull=False), raw)
    for q in (Q(count=0), Q(count__gt=-1), Q(count__lte=10**9), Q(count__in=[0, None]), Q(title=""),
              Q(title__contains=""), Q(title__regex=".*"), Q(title__iexact=""), Q(title__startswith="")):
        assert not matches(q, raw), q
    assert matches(~Q(count=0), raw)  # the complement is total


def test_in_with_an_empty_list_matches_nothing_and_its_negation_everything() -> None:
    for raw in (obj(count=1), obj()):
        assert not matches(Q(count__in=[]), raw)
        assert matches(~Q(count__in=[]), raw)


def test_zero_false_and_empty_are_values_not_null() -> None:
    assert matches(Q(count=0), obj(count=0)) and matches(Q(count__isnull=False), obj(count=0))
    assert matches(Q(on=False), obj(on=False)) and not matches(Q(on=None), obj(on=False))
    assert matches(Q(title=""), obj(title="")) and matches(Q(title__startswith=""), obj(title=""))
    assert matches(Q(words__isnull=False), obj(words=[]))


# -- types --------------------------------------------------------------------------------


def test_json_true_is_not_one_and_false_is_not_zero() -> None:
    assert not matches(Q(count=1), obj(count=True))
    assert not matches(Q(count=0), obj(count=False))
    assert not matches(Q(on=True), obj(on=1))
    assert not matches(Q(count__in=[1]), obj(count=True))
    assert not matches(Q(count__gt=0), obj(count=True))
    assert matches(Q(count=1), obj(count=1.0))  # JSON has one number type


def test_json_true_is_not_one_inside_a_list_either() -> None:
    with pytest.raises(ClientValidationError, match="no object could match"):  # was no match; now refused
        matches(Q(nums__contains=True), obj(nums=[1, 2]))
    assert not matches(Q(nums__contains=1), obj(nums=[True]))
    assert matches(Q(nums__contains=2), obj(nums=[1, 2]))


def test_comparisons_across_types_are_no_match_not_an_error() -> None:
    """Data of another type than the annotation (another writer's) is no match; a value of another type than the
    annotation is the caller's mistake, refused (test_a_value_of_another_type_than_the_annotation_is_refused)."""
    assert not matches(Q(count__gt=1), obj(count="5"))
    assert not matches(Q(title__gt="a"), obj(title=5))
    assert not matches(Q(count__gt=None), obj(count=5))
    assert matches(Q(ratio__gte=1), obj(ratio=1.0)) and matches(Q(count__lt=1.5), obj(count=1))
    assert not matches(Q(title__icontains="a"), obj(title=5))
    assert not matches(Q(free__has="a"), obj(free=["a"]))


@pytest.mark.parametrize(
    "lookups",
    [{"count__lt": "9"}, {"count": "3"}, {"count__in": [1, "2"]}, {"title__gt": 1}, {"title": 3}, {"ratio": "1.5"},
     {"on": 1}, {"count": True}, {"nums__contains": "1"}, {"parts__size": "3"}],
    ids=repr,
)
def test_a_value_of_another_type_than_the_annotation_is_refused(lookups: dict[str, Any]) -> None:
    """``filter(count="3")`` (a web form's string) selected nothing, silently: no object can hold it."""
    with pytest.raises(ClientValidationError, match="no object could match"):
        resolve(Thing, Q(**lookups))


def test_values_of_the_annotated_type_none_and_numbers_are_accepted() -> None:
    for lookups in ({"count": 3}, {"count": 3.0}, {"ratio": 1}, {"count": None}, {"count__in": [1, None]},
                    {"title__in": ("a", "b")}, {"on": False}, {"colour": "red"}, {"when": "2024-05-01T12:00:00Z"}):
        resolve(Thing, Q(**lookups))


def test_enums_and_datetimes_compare_as_their_json() -> None:
    assert matches(Q(colour=Colour.RED), obj(colour="red"))
    assert matches(Q(colour__in=[Colour.BLUE, "red"]), obj(colour="red"))
    assert matches(Q(mode="a"), obj(mode="a"))
    naive = datetime.datetime(2024, 5, 1, 12, 0, 0)
    aware = datetime.datetime(2024, 5, 1, 14, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    # a datetime field's value is kept as an aware datetime (it was its "...Z" text, compared as text)
    assert resolve(Thing, Q(when=naive)).value == naive.replace(tzinfo=datetime.timezone.utc)  # type: ignore[union-attr]
    assert matches(Q(when=aware), obj(when="2024-05-01T12:00:00Z"))
    assert matches(Q(when__gt=naive), obj(when="2024-05-01T12:00:01Z"))
    assert not matches(Q(when__lt=naive), obj(when="2024-05-01T12:00:00Z"))


def test_datetimes_compare_as_instants_whatever_the_stored_form() -> None:
    """Timestamps written by other clients (an offset, fractions of a second) compared as text gave wrong answers:
    ``when__gt=10:00:00Z`` missed "10:00:00.5Z" ("." sorts before "Z") and kept "11:30:00+02:00" (09:30 UTC)."""
    ten = datetime.datetime(2026, 1, 1, 10, 0, 0, tzinfo=datetime.timezone.utc)
    assert matches(Q(when__gt=ten), obj(when="2026-01-01T10:00:00.500000Z"))
    assert not matches(Q(when__gt=ten), obj(when="2026-01-01T11:30:00+02:00"))
    assert matches(Q(when="2026-01-01T12:00:00+02:00"), obj(when="2026-01-01T10:00:00Z"))  # a string is read as a time
    assert matches(Q(when__in=[None, ten]), obj(when="2026-01-01T11:00:00+01:00"))
    assert matches(Q(when__gte=ten.replace(microsecond=250000)), obj(when="2026-01-01T10:00:00.5Z"))  # no truncation
    assert not matches(Q(when__lt=ten), obj(when="not a time")) and not matches(Q(when__lt=ten), obj())
    assert matches(Q(when__startswith="2026-01-01T11"), obj(when="2026-01-01T11:30:00+02:00"))  # text lookups: the text
    with pytest.raises(pykorm.ClientValidationError, match="ISO 8601"):
        resolve(Thing, Q(when__gt="yesterday"))


def test_an_empty_q_states_no_condition_wherever_it_is() -> None:
    """``exclude()`` with no arguments (``q.exclude(**filters)`` of an empty dict) and ``filter(~Q())`` selected no
    object, and ``Q(count=1) | Q()`` every object: as in Django, an empty ``Q`` is left out wherever it appears."""
    assert Thing.query.exclude().explain().python is None
    assert Thing.query.filter(~Q()).explain().python is None
    assert Thing.query.filter(Q()).exclude(**{}).explain().python is None
    assert not matches(Q(count=1) | Q(), obj(count=2)) and matches(Q(count=1) | Q(), obj(count=1))
    assert matches(Q(count=1) & ~Q(), obj(count=1))
    assert not matches(~(Q(count=1) | ~Q()), obj(count=1))


def test_a_comparison_with_true_or_false_is_refused() -> None:
    """``count__gt=True`` matched the counts above 1 (Python's True == 1) although ``count=True`` matches no number:
    JSON's true is no number, and booleans have no order."""
    for lookup in ("count__gt", "count__lte", "on__gte", "title__lt"):
        with pytest.raises(pykorm.ClientValidationError, match="no order"):
            resolve(Thing, Q(**{lookup: True}))


def test_order_by_a_datetime_field_orders_instants() -> None:
    """``order_by("when")`` sorted the stored text: "11:30:00+02:00" (09:30 UTC) after "10:00:00Z"."""
    texts = ["2026-01-01T10:00:00Z", "2026-01-01T11:30:00+02:00", "2026-01-01T10:00:00.5Z", "2025-12-31T23:00:00-01:00"]
    things = [Thing._from_server({"metadata": {"name": str(i), "namespace": "n"}, "spec": {"when": t}}) for i, t in enumerate(texts)]
    assert [t.name for t in sorted(things, key=sort_key(Thing, ["when"]))] == ["3", "1", "0", "2"]
    assert [t.name for t in sorted(things, key=sort_key(Thing, ["-when"]))] == ["2", "0", "1", "3"]


# -- strings ------------------------------------------------------------------------------


def test_case_insensitive_lookups() -> None:
    raw = obj(title="Straße Ünïcode")
    assert matches(Q(title__iexact="straße ünïcode"), raw)
    assert matches(Q(title__istartswith="STRA"), raw)
    assert matches(Q(title__iendswith="ÜNÏCODE"), raw)
    assert matches(Q(title__icontains="SSE ü"), raw) is False  # lower(), not casefold(): ß is not ss
    assert not matches(Q(title__exact="straße ünïcode"), raw)
    assert not matches(Q(title__startswith="stra"), raw)


def test_regex_searches_anywhere_unless_anchored() -> None:
    raw = obj(title="abc-123")
    assert matches(Q(title__regex=r"\d+"), raw)
    assert not matches(Q(title__regex=r"^\d+"), raw)
    assert matches(Q(title__regex=re.compile("ABC", re.I)), raw)
    assert not matches(Q(count__regex="1"), obj(count=1))  # a number is not searched as text


def test_has_names_a_key_of_a_dict_field() -> None:
    assert matches(Q(labels__has="app"), obj())
    assert not matches(Q(labels__has="tier"), obj())
    assert matches(Q(env__has="A"), obj(env={"A": ""}))
    assert not matches(Q(env__has="A"), obj(env=None))


def test_dict_and_free_form_keys_are_paths() -> None:
    assert matches(Q(env__PATH="/bin"), obj(env={"PATH": "/bin"}))
    assert matches(Q(free__a__b__in=[1, 2]), obj(free={"a": {"b": 2}}))
    assert not matches(Q(free__a__b=2), obj(free={"a": [{"b": 2}]}))  # a free-form list is not fanned out
    assert matches(Q(free__a__b__isnull=True), obj(free={"a": "scalar"}))


# -- lists of nested objects ---------------------------------------------------------------


def test_a_lookup_through_a_list_matches_when_any_element_matches() -> None:
    raw = obj(parts=[{"kind": "nut", "size": 1}, {"kind": "bolt", "size": 5}])
    assert matches(Q(parts__kind="bolt"), raw)
    assert matches(Q(parts__size__gt=4), raw)
    assert not matches(Q(parts__kind="screw"), raw)
    # the lookups of one filter() (one Q) hold for the same element, as in Django (issue #20)
    assert not matches(Q(parts__kind="nut", parts__size=5), raw)
    assert matches(Q(parts__kind="nut", parts__size=1), raw)


def test_lists_two_deep_fan_out_at_both_levels() -> None:
    raw = obj(parts=[{"kind": "a", "subs": [{"name": "x"}]}, {"kind": "b"}, {"kind": "c", "subs": [{"name": "y"}, {"name": "z"}]}])
    assert matches(Q(parts__subs__name="z"), raw)
    assert not matches(Q(parts__subs__name="w"), raw)
    assert matches(Q(parts__subs__name__isnull=True), raw)  # part b has no subs


@pytest.mark.parametrize("parts", [None, [], "not a list", {"kind": "bolt"}], ids=repr)
def test_an_absent_empty_or_broken_list_is_read_as_no_value(parts: Any) -> None:
    """An absent list and an empty one read the same (a model shows both as ``[]``): nothing in them."""
    raw = obj() if parts is None else obj(parts=parts)
    assert not matches(Q(parts__kind="bolt"), raw)
    assert matches(~Q(parts__kind="bolt"), raw)
    assert matches(Q(parts__kind__isnull=True), raw)
    assert matches(Q(parts__kind=None), raw)
    assert not matches(Q(parts__kind__isnull=False), raw)


def test_list_elements_that_are_not_objects_are_skipped_not_crashed_on() -> None:
    raw = obj(parts=[None, 3, "x", [], {"kind": "bolt"}])
    assert matches(Q(parts__kind="bolt"), raw)
    assert not matches(Q(parts__kind="nut"), raw)


def test_element_values_are_what_values_reads_through_a_list() -> None:
    leaf = resolve(Thing, Q(parts__size=None))
    assert isinstance(leaf, Leaf)
    assert element_values(leaf, obj(parts=[{"kind": "a", "size": 3}, {"kind": "b"}, None, {"size": 1}])) == [3, None, None, 1]
    assert element_values(leaf, obj()) == [] == element_values(leaf, obj(parts=[]))
    deep = resolve(Thing, Q(parts__subs__name=None))
    assert isinstance(deep, Leaf)
    nested = obj(parts=[{"subs": [{"name": "x"}, {}]}, {"subs": []}, {"kind": "no subs"}, {"subs": [{"name": "y"}]}])
    assert element_values(deep, nested) == ["x", None, "y"]  # flattened; an empty or absent inner list adds none


# -- Q trees ------------------------------------------------------------------------------


def test_q_trees_combine_and_print() -> None:
    q = (Q(count=1) | Q(title="x")) & ~Q(on=True)
    assert repr(q) == "Q(Q(Q(count=1) | Q(title='x')) & ~Q(on=True))"
    assert matches(q, obj(count=1, on=False))
    assert not matches(q, obj(count=1, on=True))
    assert not matches(q, obj(count=2, title="y"))
    assert matches(~~Q(count=1), obj(count=1))
    assert matches(Q(), obj())  # no condition: everything


def test_a_deep_tree_of_many_lookups_is_evaluated() -> None:
    q = Q(count=0)
    for n in range(1, 200):
        q = q | Q(count=n)
    assert matches(q, obj(count=199))
    assert not matches(q, obj(count=200))


@pytest.mark.parametrize("q", [
    Q(title="x"), Q(count__gte=2), Q(count__lt=2.5), Q(title__startswith="x"), Q(labels__app="web"),
    Q(free__a__b="x"), Q(free__a__b__gte=1), Q(title="x", count__gte=2), Q(title="x") | Q(count__gte=2),
    ~Q(title="x"), ~(Q(free__a__b="x") | Q(on=True)), Q(title__in=["x", "y"]), Q(title__isnull=True),
    Q(title="x", count__gt=1, ratio__lte=2) & ~Q(on=True), Q(parts__kind="a") | Q(free__a__b__lte=2.5),
    Q(Q(title="y") | Q(count=2), free__a__b="x") | ~Q(labels__app="web", count__gte=0.5),
])
def test_the_closure_for_loops_answers_as_matches_on_odd_shapes(q: Q) -> None:
    """The matcher, and the compiled filter a cache runs (``pykorm._select.compiled``), answer as ``matches``."""
    shapes: list[Any] = [
        obj(), obj(title="x"), obj(title="y"), obj(title=None), obj(title=1), obj(title=["x"]), obj(title={"x": 1}),
        obj(count=2), obj(count=True), obj(count="2"), obj(count=2.5), obj(count=None), obj(on=True),
        obj(free={"a": {"b": "x"}}), obj(free={"a": {"b": 3}}), obj(free={"a": "b"}), obj(free={"a": ["b"]}),
        obj(free={"a": None}), obj(free=None), obj(free=[{"a": {"b": "x"}}]), {"metadata": {}, "spec": None},
        {"metadata": None}, {"spec": "text"}, {}, {"metadata": {"labels": None}}, {"metadata": {"labels": ["app"]}},
    ]
    tree = resolve(Thing, q)
    fast = compiled(tree)
    for raw in shapes:
        assert tree.matcher(raw) is tree.matches(raw), raw
        assert fast(raw) is tree.matches(raw), raw
