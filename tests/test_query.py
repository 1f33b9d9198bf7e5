"""The query engine on 2,200 objects in four namespaces: lookups, push-down, pagination, bulk.

Every pushed-down query is compared with the same filter evaluated entirely in
Python on all the objects, so pushing down can never change a result.
"""

from __future__ import annotations

import random
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import pytest

import pykorm
from pykorm import Q
from pykorm._select.lookups import resolve
from pykorm.testing import Cluster

from .helpers import Counting
from .models import Check, Plant

VARIETIES = ["Frost", "Redhaven", "Elberta", "Contender", "Madison", "Reliance"]
CHECKS = ["water", "light", "soil"]
PER_NAMESPACE = 550


def make_plant(rng: random.Random, namespace: str, i: int) -> Plant:
    labels = {}
    if rng.random() < 0.8:
        labels["app"] = rng.choice(["web", "db", "cache"])
    if rng.random() < 0.3:
        labels["tier"] = rng.choice(["gold", "silver"])
    rating = None
    if rng.random() < 0.7:
        rating = {"exterior": rng.randrange(10)}
        if rng.random() < 0.5:
            rating["taste"] = rng.randrange(10)
    checks = [Check(kind=rng.choice(CHECKS), ok=rng.choice([True, False, None])) for _ in range(rng.randrange(4))]
    return Plant(
        checks=checks,
        namespace=namespace,
        name=f"{rng.choice('abcxyz')}-plant-{i:04d}",
        variety=rng.choice(VARIETIES),
        price=rng.randrange(10) if rng.random() < 0.9 else None,
        rating=rating,
        tags=rng.sample(["sweet", "white", "early", "late"], rng.randrange(3)),
        ripe=rng.choice([True, False, None]),
        labels=labels,
    )


class Dataset:
    def __init__(self, session: pykorm.Pykorm, namespaces: list[str]) -> None:
        self.session = session
        self.namespaces = namespaces
        self._everything: list[Plant] | None = None

    def query(self) -> pykorm.Query[Plant]:
        return Plant.query.session(self.session).ns(*self.namespaces)

    def everything(self) -> list[Plant]:
        """Every object, listed once: nothing writes to the data set after the fixture (the tests only read), so
        the references of the 35 lookups and the 65 property examples need not list 2,200 objects again each."""
        if self._everything is None:
            self._everything = self.query().all()
        return list(self._everything)


@pytest.fixture(scope="module")
def data(k8s_cluster: Cluster, crds_installed: None) -> Iterator[Dataset]:
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    transport = session.transport()
    run = secrets.token_hex(3)
    namespaces = [f"pykorm-q-{run}-{n}" for n in range(4)]
    for ns in namespaces:
        transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": ns, "labels": {"pykorm.io/test": "true"}}})
    rng = random.Random(20261122)
    plants = [make_plant(rng, ns, i) for ns in namespaces for i in range(PER_NAMESPACE)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(session.save, plants))
    yield Dataset(session, namespaces)
    for ns in namespaces:
        transport.request("DELETE", f"/api/v1/namespaces/{ns}")
    session.close()


def names(objects: Any) -> set[tuple[str | None, str]]:
    return {(o.namespace, o.name) for o in objects}


def python_only(data: Dataset, condition: Q) -> set[tuple[str | None, str]]:
    """The same filter, evaluated entirely in Python on every object."""
    expr = resolve(Plant, condition)
    return names(o for o in data.everything() if expr.matches(o._raw))


# (filter, reference predicate written independently of pykorm's lookups)
CASES: list[tuple[Q, Callable[[Plant], bool]]] = [
    (Q(variety="Frost"), lambda p: p.variety == "Frost"),
    (Q(price__gt=2), lambda p: p.price is not None and p.price > 2),
    (Q(price__gte=2, price__lt=5), lambda p: p.price is not None and 2 <= p.price < 5),
    (Q(price__lte=1), lambda p: p.price is not None and p.price <= 1),
    (Q(variety__in=["Frost", "Madison"]), lambda p: p.variety in ("Frost", "Madison")),
    (Q(name__startswith="a"), lambda p: p.name.startswith("a")),
    (Q(name__endswith="7"), lambda p: p.name.endswith("7")),
    (Q(variety__contains="ee"), lambda p: "ee" in p.variety),
    (Q(variety__icontains="FRO"), lambda p: "fro" in p.variety.lower()),
    (Q(variety__iexact="frost"), lambda p: p.variety.lower() == "frost"),
    (Q(variety__regex=r"^[CM]"), lambda p: p.variety[0] in "CM"),
    (Q(rating__exterior__gte=5), lambda p: p.rating is not None and p.rating.exterior is not None and p.rating.exterior >= 5),
    (Q(rating__taste__isnull=True), lambda p: p.rating is None or p.rating.taste is None),
    (Q(rating__isnull=False), lambda p: p.rating is not None),
    (Q(price__isnull=True), lambda p: p.price is None),
    (Q(labels__app="web"), lambda p: p.labels.get("app") == "web"),
    (Q(labels__has="tier"), lambda p: "tier" in p.labels),
    (~Q(labels__has="tier"), lambda p: "tier" not in p.labels),
    (Q(labels__app__in=["db", "cache"]), lambda p: p.labels.get("app") in ("db", "cache")),
    (~Q(labels__app__in=["db", "cache"]), lambda p: p.labels.get("app") not in ("db", "cache")),
    (~Q(labels__app="web"), lambda p: p.labels.get("app") != "web"),
    (Q(labels__app__isnull=True), lambda p: "app" not in p.labels),
    (Q(labels__app="web") | Q(labels__app="db"), lambda p: p.labels.get("app") in ("web", "db")),
    (Q(tags__contains="sweet"), lambda p: "sweet" in p.tags),
    (Q(ripe=True), lambda p: p.ripe is True),
    (Q(ripe=False), lambda p: p.ripe is False),
    (Q(ripe__isnull=True), lambda p: p.ripe is None),
    (Q(variety="Frost") | Q(price__gt=8), lambda p: p.variety == "Frost" or (p.price is not None and p.price > 8)),
    (Q(variety="Frost", labels__tier="gold") & ~Q(price=3), lambda p: p.variety == "Frost" and p.labels.get("tier") == "gold" and p.price != 3),
    (Q(price=4, labels__app="cache"), lambda p: p.price == 4 and p.labels.get("app") == "cache"),
    (~Q(name="a-plant-0001"), lambda p: p.name != "a-plant-0001"),
    # through a list: the conditions of one Q on the same element (issue #20)
    (Q(checks__kind="water"), lambda p: any(c.kind == "water" for c in p.checks)),
    (Q(checks__kind="water", checks__ok=True), lambda p: any(c.kind == "water" and c.ok is True for c in p.checks)),
    (~Q(checks__kind="water", checks__ok=True), lambda p: not any(c.kind == "water" and c.ok is True for c in p.checks)),
    (Q(checks__kind="water", checks__ok__isnull=True) | Q(checks__kind="soil", checks__ok=False),
     lambda p: any(c.kind == "water" and c.ok is None for c in p.checks) or any(c.kind == "soil" and c.ok is False for c in p.checks)),
    (Q(checks__kind="light", variety="Frost") & ~Q(checks__kind="light", checks__ok=False),
     lambda p: p.variety == "Frost" and any(c.kind == "light" for c in p.checks)
     and not any(c.kind == "light" and c.ok is False for c in p.checks)),
    (Q(checks__kind__isnull=True), lambda p: not p.checks),
]


@pytest.mark.parametrize("condition,reference", CASES, ids=[repr(c[0]) for c in CASES])
def test_every_lookup_matches_python_and_the_reference(data: Dataset, condition: Q, reference: Callable[[Plant], bool]) -> None:
    got = data.query().filter(condition).all()
    expected = names(p for p in data.everything() if reference(p))
    assert names(got) == expected
    assert names(got) == python_only(data, condition)
    assert len(got) == len(names(got))  # no duplicates


def test_exclude_is_the_complement(data: Dataset) -> None:
    everything = names(data.everything())
    kept = names(data.query().exclude(variety="Frost", labels__app="web"))
    dropped = names(data.query().filter(variety="Frost", labels__app="web"))
    assert kept | dropped == everything and not kept & dropped


def test_push_down_paths_are_explained(data: Dataset) -> None:
    q = data.query()
    plan = q.filter(labels__app="web", labels__tier__in=["gold"], price__gt=2).explain()
    assert plan.label_selector == "app=web,tier in (gold)"
    assert str(plan.python) == "spec.price gt 2"
    assert q.filter(~Q(labels__app__in=["db", "cache"]), ~Q(labels__has="tier")).explain().label_selector == "app notin (db,cache),!tier"
    assert q.filter(~Q(labels__app="web"), labels__has="x").explain().label_selector == "app!=web,x"
    assert q.filter(Q(labels__app="web") | Q(labels__app="db")).explain().label_selector == "app in (web,db)"

    # selectableFields: the CRD declares spec.variety and spec.price selectable
    plan = q.filter(variety="Frost", price=3).explain()
    assert plan.field_selector == "spec.variety=Frost,spec.price=3" and plan.fully_pushed
    # a name in one namespace is a GET; in every namespace, a field selector
    single = Plant.query.session(data.session).namespace(data.namespaces[0]).filter(name="a-plant-0001").explain()
    assert single.names == ("a-plant-0001",) and single.namespaces == (data.namespaces[0],)
    across = Plant.query.session(data.session).filter(name="a-plant-0001").explain()
    assert across.names is None and across.field_selector == "metadata.name=a-plant-0001"
    # namespace filters choose the namespaces listed
    assert q.filter(namespace__in=data.namespaces[:2]).explain().namespaces == tuple(sorted(data.namespaces[:2]))
    assert q.filter(namespace="elsewhere").explain().empty
    # what the server cannot do exactly stays in Python
    assert not q.filter(variety__startswith="F").explain().fully_pushed
    # "!=" on a selectable field is exact (absent reads as "" on the server, issue #20): sent too
    assert q.filter(~Q(variety="Frost")).explain().field_selector == "spec.variety!=Frost"
    assert not q.filter(~Q(variety="")).explain().fully_pushed  # but "x!=" would drop the absent ones


def test_selectable_field_filter_is_sent_as_a_field_selector(data: Dataset, k8s_cluster: Cluster) -> None:
    query = data.query().filter(variety="Madison", price=7)
    assert query.explain().field_selector == "spec.variety=Madison,spec.price=7"
    got = query.all()
    assert got and all(p.variety == "Madison" and p.price == 7 for p in got)
    # The server really evaluates it: the raw list with that selector returns exactly these objects.
    raw = data.session.transport().request(
        "GET", "/apis/pykorm.infomaniak.com/v1/plants", params={"fieldSelector": "spec.variety=Madison,spec.price=7"}
    )
    assert {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in raw["items"] if i["metadata"]["namespace"] in data.namespaces} == names(got)


def test_pagination_with_a_small_page_size(data: Dataset) -> None:
    ns = data.namespaces[1]
    with Counting(data.session) as counting:
        got = Plant.query.session(data.session).namespace(ns).page_size(37).all()
    assert len(got) == PER_NAMESPACE == len(names(got))
    assert len(counting.calls) == -(-PER_NAMESPACE // 37)
    assert all(params["limit"] == 37 for _, _, params in counting.calls)


def test_slicing_stops_fetching_early(data: Dataset) -> None:
    with Counting(data.session) as counting:
        first_five = data.query()[:5].all()
    assert len(first_five) == 5
    assert len(counting.calls) == 1 and counting.calls[0][2]["limit"] == 5

    with Counting(data.session) as counting:
        some = data.query().filter(price__gt=7)[:3].all()  # filtered in Python: stops after the first page
    assert len(some) == 3 and all(p.price is not None and p.price > 7 for p in some)
    assert len(counting.calls) == 1

    everything = data.query().order_by("name").all()
    assert data.query().order_by("name")[10:13].all() == everything[10:13]
    assert data.query().order_by("name")[4] == everything[4]
    with pytest.raises(IndexError):
        data.query().filter(namespace="nowhere-" + data.namespaces[0])[0]


def test_count_exists_first(data: Dataset) -> None:
    assert data.query().count() == 4 * PER_NAMESPACE
    assert data.query().filter(labels__app="web").count() == len(data.query().filter(labels__app="web").all())
    assert data.query().filter(price__gt=100).exists() is False
    assert data.query().filter(variety="Frost").first() is not None
    with Counting(data.session) as counting:
        assert data.query().count() == 4 * PER_NAMESPACE
    assert len(counting.calls) == 4  # one small request per namespace, using remainingItemCount


def test_order_by_values_and_pluck(data: Dataset) -> None:
    ordered = data.query().filter(variety="Frost").order_by("-price", "name").all()
    keys = [(-(p.price if p.price is not None else -1), p.name) for p in ordered]
    assert [p.price for p in ordered if p.price is not None] == sorted((p.price for p in ordered if p.price is not None), reverse=True)
    assert ordered[-1].price is None or all(p.price is not None for p in ordered)
    assert len(keys) == len(ordered)
    rows = data.query().filter(variety="Frost").order_by("name").values("name", "spec.variety", "rating__exterior")
    assert rows[0].keys() == {"name", "spec.variety", "rating__exterior"} and {r["spec.variety"] for r in rows} == {"Frost"}
    assert data.query().filter(variety="Frost").order_by("name").pluck("name") == [r["name"] for r in rows]


def test_namespaces(data: Dataset) -> None:
    two = Plant.query.session(data.session).ns(data.namespaces[0], data.namespaces[2]).all()
    assert {p.namespace for p in two} == {data.namespaces[0], data.namespaces[2]} and len(two) == 2 * PER_NAMESPACE
    everywhere = Plant.query.session(data.session).all_namespaces().filter(name="a-plant-0001")
    assert {p.namespace for p in everywhere if p.namespace in data.namespaces} <= set(data.namespaces)
    with pytest.raises(pykorm.ClientValidationError, match="namespaced"):
        Plant.query.session(data.session).get("a-plant-0001")
    with pytest.raises(pykorm.ClientValidationError, match="cannot resolve 'colour'"):
        Plant.query.filter(colour="red")


def test_queries_are_immutable_and_lazy(data: Dataset) -> None:
    with Counting(data.session) as counting:
        base = data.query()
        a = base.filter(variety="Frost")
        b = a.exclude(price__gt=1).order_by("name")[:3]
        assert base.explain().python is None and a.explain().fully_pushed and not b.explain().fully_pushed
    assert counting.calls == []



def test_a_get_by_name_still_applies_the_rest_of_the_filter(data: Dataset) -> None:
    """An exact name in known namespaces is fetched with GETs; other name conditions must still hold."""
    name = data.everything()[0].name
    assert data.query().filter(name=name, name__in=["no-such-plant"]).all() == []
    assert data.query().filter(name=name).exclude(name__in=[name]).all() == []
    for condition in (Q(name=name, name__in=[name, "x"]), Q(name=name) & ~Q(name__startswith="zzz")):
        assert names(data.query().filter(condition)) == python_only(data, condition) != set()


# -- property: for any filter, pushing down never changes the result --------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_leaves = st.one_of(
    st.builds(lambda v: Q(variety=v), st.sampled_from(VARIETIES + ["Nope"])),
    st.builds(lambda v: Q(price=v), st.integers(0, 9)),
    st.builds(lambda v: Q(price__gt=v), st.integers(-1, 10)),
    st.builds(lambda v: Q(labels__app=v), st.sampled_from(["web", "db", "cache", "none"])),
    st.builds(lambda v: Q(labels__app__in=v), st.lists(st.sampled_from(["web", "db", "cache"]), min_size=1, max_size=2)),
    st.builds(lambda v: Q(labels__has=v), st.sampled_from(["app", "tier", "other"])),
    st.builds(lambda v: Q(labels__tier__isnull=v), st.booleans()),
    st.builds(lambda v: Q(name__startswith=v), st.sampled_from(["a", "b", "x-", "z"])),
    # exact names in the query's namespaces are GETs: the rest of the filter must still apply
    st.builds(lambda c, i: Q(name=f"{c}-plant-{i:04d}"), st.sampled_from("abcxyz"), st.integers(0, 3)),
    st.builds(lambda v: Q(name__in=v), st.lists(st.sampled_from([f"{c}-plant-000{i}" for c in "abx" for i in range(3)]), max_size=2)),
    st.builds(lambda v: Q(rating__exterior__lte=v), st.integers(0, 9)),
    st.builds(lambda v: Q(ripe=v), st.sampled_from([True, False])),
    st.builds(lambda v: Q(tags__contains=v), st.sampled_from(["sweet", "late"])),
    st.builds(lambda v: Q(checks__kind=v), st.sampled_from(CHECKS)),
    st.builds(lambda v: Q(checks__ok=v), st.sampled_from([True, False])),
    st.builds(lambda k, v: Q(checks__kind=k, checks__ok=v), st.sampled_from(CHECKS), st.sampled_from([True, False, None])),
)
_filters = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.builds(lambda a, b: a & b, inner, inner),
        st.builds(lambda a, b: a | b, inner, inner),
        st.builds(lambda a: ~a, inner),
    ),
    max_leaves=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition=_filters)
def test_push_down_never_changes_a_result(data: Dataset, condition: Q) -> None:
    assert names(data.query().filter(condition)) == python_only(data, condition)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(_filters, min_size=2, max_size=3), excluded=st.lists(st.booleans(), min_size=3, max_size=3))
def test_chained_filters_and_excludes_are_each_their_own_group_and_push_down_never_changes_that(
    data: Dataset, calls: list[Q], excluded: list[bool]
) -> None:
    """``filter(a).exclude(b)...``: each call's conditions on the checks hold for an element of its own."""
    query = data.query()
    for condition, exclude in zip(calls, excluded):
        query = query.exclude(condition) if exclude else query.filter(condition)
    everything = data.everything()
    expected = names(everything)
    for condition, exclude in zip(calls, excluded):
        expr = resolve(Plant, condition)  # one call, evaluated in Python on every object
        kept = names(o for o in everything if expr.matches(o._raw) != exclude)
        expected &= kept
    assert names(query) == expected
