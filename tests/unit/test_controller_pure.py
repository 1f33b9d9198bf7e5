"""pykorm.controller's pure parts, offline: the work queue, the rate limiter, the store and its indexes,
and queries on a cache, checked against the same selections written by hand in Python."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest

from pykorm import ClientValidationError, Q
from pykorm.controller import CachedQuery, LeaderElection, RateLimiter, Store, WorkQueue, is_deleting
from pykorm.controller._finalizers import _check
from pykorm.controller._reconcile import _actionable_change

from ..models import Apple, Peach

pytestmark = pytest.mark.unit


# -- rate limiter and queue ---------------------------------------------------------------


def test_the_rate_limiter_doubles_from_5_ms_to_1000_s_per_key_and_forgets() -> None:
    limiter: RateLimiter[str] = RateLimiter()
    waits = [limiter.when("a") for _ in range(20)]
    assert waits[:4] == [0.005, 0.01, 0.02, 0.04]
    assert waits[-1] == 1000.0 and max(waits) == 1000.0  # 5 ms * 2**18 > 1000 s
    assert limiter.when("b") == 0.005 and limiter.retries("a") == 20
    limiter.forget("a")
    assert limiter.when("a") == 0.005
    assert all(RateLimiter[str]().when("x") == 0.005 for _ in range(3))
    for _ in range(100):
        limiter.when("c")
    assert limiter.when("c") == 1000.0  # no overflow past many failures
    with pytest.raises(ValueError):
        RateLimiter(base=0)


def test_a_key_added_while_it_waits_is_queued_once() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for key in ["a", "b", "a", "a", "c", "b"]:
        queue.add(key)
    assert len(queue) == 3
    assert [queue.get(0), queue.get(0), queue.get(0), queue.get(0)] == ["a", "b", "c", None]


def test_a_key_added_while_processed_comes_back_only_when_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    assert queue.get(0) == "a"
    queue.add("a")
    queue.add("a")
    assert queue.get(0) is None  # not to a second worker
    queue.done("a")
    assert queue.get(0) == "a"
    queue.done("a")
    assert queue.get(0) is None  # done, not added again: gone


def test_add_after_holds_keys_back_and_the_earlier_time_wins() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("late", 0.3)
    queue.add_after("soon", 5.0)
    queue.add_after("soon", 0.05)  # the earlier time wins
    queue.add_after("now", 0)
    assert queue.get(0) == "now"
    started = time.monotonic()
    assert queue.get(5) == "soon"
    assert queue.get(5) == "late"
    assert 0.25 <= time.monotonic() - started < 5
    assert queue.get(0.05) is None


def test_shutdown_wakes_waiting_workers() -> None:
    queue: WorkQueue[str] = WorkQueue()
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(queue.get())) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    queue.shutdown()
    for thread in threads:
        thread.join(5)
    assert got == [None, None, None]
    queue.add("x")
    assert queue.get(0) is None and queue.shutting_down


def test_many_workers_never_hold_one_key_together_and_every_add_is_seen() -> None:
    queue: WorkQueue[int] = WorkQueue()
    holding: set[int] = set()
    lock = threading.Lock()
    overlaps: list[int] = []
    processed: list[int] = []

    def work() -> None:
        while (key := queue.get()) is not None:
            with lock:
                if key in holding:
                    overlaps.append(key)
                holding.add(key)
            time.sleep(0.0005)
            with lock:
                holding.discard(key)
                processed.append(key)
            queue.done(key)

    workers = [threading.Thread(target=work) for _ in range(6)]
    for worker in workers:
        worker.start()
    for _ in range(2000):
        queue.add(random.randrange(10))
    deadline = time.monotonic() + 20
    while (len(queue) or queue.processing()) and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.shutdown()
    for worker in workers:
        worker.join(5)
    assert overlaps == []
    assert set(processed) == set(range(10))
    assert len(processed) < 2000  # adds that found their key waiting were merged


def test_failures_come_back_after_a_growing_backoff() -> None:
    queue: WorkQueue[str] = WorkQueue(RateLimiter(base=0.02, maximum=0.08))
    times = []
    queue.add("flaky")
    started = time.monotonic()
    for _ in range(4):
        key = queue.get(5)
        assert key == "flaky"
        times.append(time.monotonic() - started)
        queue.add_rate_limited(key)
        queue.done(key)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps[0] >= 0.015 and gaps[1] >= 0.035 and gaps[2] >= 0.07  # 20, 40, 80 ms (capped)
    queue.forget("flaky")
    assert queue.limiter.retries("flaky") == 0


# -- store and indexes --------------------------------------------------------------------


def raw(name: str, namespace: str | None = "a", owners: tuple[str, ...] = (), version: str = "1", **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "uid": f"uid-{namespace}-{name}", "resourceVersion": version}
    if namespace:
        metadata["namespace"] = namespace
    if owners:
        metadata["ownerReferences"] = [{"apiVersion": "v1", "kind": "X", "name": o, "uid": o, "controller": True} for o in owners]
    return {"apiVersion": "pykorm.infomaniak.com/v1", "kind": "Peach", "metadata": metadata, "spec": spec}


def test_the_store_indexes_by_namespace_owner_and_added_functions() -> None:
    store = Store()
    store.put(raw("p1", "a", owners=("o1",), variety="x"))
    store.put(raw("p2", "b", owners=("o1", "o2"), variety="y"))
    store.put(raw("c1", None))
    assert sorted(store.keys()) == ["a/p1", "b/p2", "c1"]
    assert [r["metadata"]["name"] for r in store.by_index("namespace", "b")] == ["p2"]
    assert sorted(r["metadata"]["name"] for r in store.by_index("owner", "o1")) == ["p1", "p2"]
    store.add_index("variety", lambda r: [r["spec"]["variety"]] if "variety" in r.get("spec", {}) else [])
    assert [r["metadata"]["name"] for r in store.by_index("variety", "y")] == ["p2"]
    old = store.put(raw("p2", "b", owners=("o2",), version="2", variety="z"))  # replaced: indexes follow
    assert old is not None and old["metadata"]["resourceVersion"] == "1"
    assert [r["metadata"]["name"] for r in store.by_index("owner", "o1")] == ["p1"]
    assert store.by_index("variety", "y") == [] and len(store.by_index("variety", "z")) == 1
    assert store.remove("a/p1") is not None and store.remove("a/p1") is None
    assert store.by_index("owner", "o1") == [] and "a/p1" not in store and len(store) == 2
    with pytest.raises(KeyError, match="indexes are: namespace, owner, variety"):
        store.by_index("colour", "red")
    with pytest.raises(ValueError):
        store.add_index("variety", lambda r: [])


# -- queries on the cache vs the same selection in Python ----------------------------------


@pytest.fixture(scope="module")
def peaches() -> tuple[Store, list[dict[str, Any]]]:
    rng = random.Random(12)
    store, raws = Store(), []
    for i in range(600):
        spec: dict[str, Any] = {"variety": rng.choice(["Frost", "Flat", "Red Haven", "élan", ""])}
        if rng.random() < 0.8:
            spec["price"] = i  # unique: orders are unambiguous
        item = raw(f"p{i:03d}", rng.choice(["a", "b", "c"]), owners=(f"o{i % 7}",), **spec)
        if rng.random() < 0.5:
            item["metadata"]["labels"] = {"tier": rng.choice(["web", "db"]), "example.com/team": "x"}
        if rng.random() < 0.3:
            item["status"] = {"ripeness": rng.choice(["ripe", "green"])}
        store.put(item)
        raws.append(item)
    return store, raws


def names(objects: Any) -> list[str]:
    return sorted(o.name if hasattr(o, "name") else o["metadata"]["name"] for o in objects)


def label(r: dict[str, Any], key: str) -> Any:
    return (r["metadata"].get("labels") or {}).get(key)


CASES: list[tuple[str, Any, Any]] = [
    ("price__gt", lambda q: q.filter(price__gt=300), lambda r: isinstance(r["spec"].get("price"), int) and r["spec"]["price"] > 300),
    ("isnull", lambda q: q.filter(price__isnull=True), lambda r: "price" not in r["spec"]),
    ("label", lambda q: q.filter(labels__tier="web"), lambda r: label(r, "tier") == "web"),
    ("or/not", lambda q: q.filter(Q(variety="Frost") | ~Q(labels__tier="db")),
     lambda r: r["spec"]["variety"] == "Frost" or label(r, "tier") != "db"),
    ("exclude", lambda q: q.exclude(variety__startswith="F"), lambda r: not r["spec"]["variety"].startswith("F")),
    ("namespaces+in", lambda q: q.namespace("a", "c").filter(variety__in=["Flat", "élan"]),
     lambda r: r["metadata"]["namespace"] in ("a", "c") and r["spec"]["variety"] in ("Flat", "élan")),
    ("icontains", lambda q: q.filter(variety__icontains="HAVEN"), lambda r: "haven" in r["spec"]["variety"].lower()),
    ("status", lambda q: q.filter(ripeness="ripe"), lambda r: (r.get("status") or {}).get("ripeness") == "ripe"),
    ("has", lambda q: q.filter(labels__has="example.com/team"), lambda r: label(r, "example.com/team") is not None),
    ("name", lambda q: q.namespace("b").filter(name="p010"), lambda r: r["metadata"]["namespace"] == "b" and r["metadata"]["name"] == "p010"),
    ("fields", lambda q: q.filter_by_fields({"metadata.namespace": "c"}), lambda r: r["metadata"]["namespace"] == "c"),
    ("empty", lambda q: q.filter(name="p001").filter(name="p002"), lambda r: False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_cached_query_selects_what_python_selects(peaches: tuple[Store, list[dict[str, Any]]], case: Any) -> None:
    store, raws = peaches
    _, refine, expected = case
    query: CachedQuery[Peach] = refine(CachedQuery(Peach.query, store))
    want = [r for r in raws if expected(r)]
    assert names(query.all()) == names(want)
    assert query.count() == len(want) and query.exists() == bool(want)


def test_order_slice_values_and_pluck_on_the_cache(peaches: tuple[Store, list[dict[str, Any]]]) -> None:
    store, raws = peaches
    cached = CachedQuery(Peach.query, store)
    priced = sorted((r for r in raws if "price" in r["spec"]), key=lambda r: -r["spec"]["price"])
    unpriced = [r for r in raws if "price" not in r["spec"]]
    got = cached.order_by("-price")[5:15].pluck("price")
    assert got == [r["spec"]["price"] for r in priced[5:15]]
    assert cached.order_by("price")[: len(unpriced)].pluck("price") == [None] * len(unpriced)  # missing first
    first = cached.order_by("name").first()
    assert first is not None and first.name == "p000"
    assert cached.filter(name="p000", namespace=first.namespace).values("name", "spec.variety") == [
        {"name": "p000", "spec.variety": first.variety}]
    assert cached.order_by("name")[3].name == "p003"
    with pytest.raises(IndexError):
        cached.filter(price__gt=10**9)[0]


def test_objects_handed_out_are_copies_and_get_needs_a_namespace(peaches: tuple[Store, list[dict[str, Any]]]) -> None:
    store, _ = peaches
    cached = CachedQuery(Peach.query, store)
    peach = cached.namespace("a").order_by("name").first()
    assert peach is not None
    peach.variety = "changed"
    peach.labels["new"] = "x"
    again = cached.get(peach.name, "a")
    assert again is not None and again.variety != "changed" and "new" not in again.labels
    assert cached.get("nope", "a") is None
    with pytest.raises(ClientValidationError, match="namespaced"):
        cached.get(peach.name)


def test_owned_by_reads_the_owner_index(peaches: tuple[Store, list[dict[str, Any]]]) -> None:
    store, raws = peaches
    owner = Peach._from_server(raw("o3", "a"))
    owner._raw["metadata"]["uid"] = "o3"
    got = CachedQuery(Peach.query, store).owned_by(owner)
    assert names(got) == names(r for r in raws if r["metadata"]["namespace"] == "a" and r["metadata"]["name"] and
                                int(r["metadata"]["name"][1:]) % 7 == 3)


def test_nested_and_list_lookups_on_a_cluster_scoped_cache() -> None:
    store = Store()
    for i in range(50):
        item = raw(f"apple{i}", None, score={"exterior": i % 10}, seeds=[{"kind": "pit" if i % 3 == 0 else "pip"}, {"kind": "x"}])
        store.put(item)
    cached = CachedQuery(Apple.query, store)
    assert len(cached.filter(score__exterior__gte=7)) == 15
    assert names(cached.filter(seeds__kind="pit")) == sorted(f"apple{i}" for i in range(0, 50, 3))
    assert cached.get("apple3") is not None  # cluster-scoped: no namespace needed


# -- small pure helpers ----------------------------------------------------------------------


def test_status_writes_are_not_reasons_to_reconcile_again_but_finalizer_changes_are() -> None:
    old = raw("p", generation=1)
    old["metadata"]["generation"] = 1
    status = {**old, "status": {"readyReplicas": 1}, "metadata": {**old["metadata"], "resourceVersion": "2"}}
    finalized = {**old, "metadata": {**old["metadata"], "finalizers": ["example.com/x"]}}
    stripped = {**finalized, "metadata": {**finalized["metadata"], "finalizers": []}}
    spec = {**old, "metadata": {**old["metadata"], "generation": 2}}
    deleting = {**old, "metadata": {**old["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    assert not _actionable_change(old, status)
    # A finalizer removed by another client must be put back (issue 20, item 8); the reconcile's own
    # finalizer writes are left out as echoes (their resourceVersions), not by this rule.
    assert _actionable_change(old, finalized) and _actionable_change(finalized, stripped)
    assert _actionable_change(old, spec) and _actionable_change(old, deleting)
    assert is_deleting(Peach._from_server(deleting)) and not is_deleting(Peach._from_server(old))


@pytest.mark.parametrize("bad", ["", "cleanup", "Example.com/x", "a/b/c", "example.com/", "x" * 400 + "/y"])
def test_finalizer_names_must_be_qualified(bad: str) -> None:
    with pytest.raises(ClientValidationError, match="qualified name"):
        _check(bad)
    _check("example.com/cleanup")


def test_leader_election_timings_must_be_in_client_go_order() -> None:
    config = LeaderElection("op")
    assert (config.lease_duration, config.renew_deadline, config.retry_period) == (15.0, 10.0, 2.0)
    assert config.identity and LeaderElection("op").identity != config.identity
    with pytest.raises(ClientValidationError, match="lease_duration > renew_deadline"):
        LeaderElection("op", lease_duration=5, renew_deadline=6)
    with pytest.raises(ClientValidationError):
        LeaderElection("op", renew_deadline=2, retry_period=2)


# -- a controller's workers, offline (an informer never started: filled with replace()) ---------------


def test_a_failing_reconcile_is_logged_with_its_key_and_retried_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    import pykorm
    from pykorm.controller import Controller, Informer, Request, Result

    session = pykorm.Pykorm(make_default=False)  # reads no configuration until a request: none is made
    informer: Informer[Peach] = Informer(Peach, session=session)
    with pytest.raises(pykorm.CacheUnavailable, match="not synced yet"):
        informer.get("flaky", "shop")  # empty: never read as if it were the server's list
    informer.replace([raw("flaky", "shop", variety="x")])
    calls: list[tuple[float, str | None]] = []

    def reconcile(request: Request[Peach]) -> Result | None:
        peach = request.get()
        calls.append((time.monotonic(), peach.variety if peach else None))
        if len(calls) <= 2:
            raise RuntimeError("the bank is closed")
        return Result(requeue_after=0.2) if len(calls) == 3 else None

    controller = Controller("peaches", reconcile, informer, workers=2)
    controller.queue.add("shop/flaky")
    controller.start()
    try:
        deadline = time.monotonic() + 10
        while len(calls) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        controller.stop(5)
    assert [variety for _, variety in calls] == ["x"] * 4 and controller.reconciles["shop/flaky"] == 4
    gaps = [b - a for (a, _), (b, _) in zip(calls, calls[1:])]
    assert gaps[0] >= 0.004 and gaps[1] >= 0.009 and gaps[2] >= 0.19  # 5 ms, 10 ms backoff; requeue_after 0.2 s
    assert controller.failures["shop/flaky"] == 2 and controller.queue.limiter.retries("shop/flaky") == 0
    failed = [r for r in caplog.records if "reconcile of shop/flaky failed" in r.getMessage()]
    assert len(failed) == 2 and failed[0].exc_info is not None and "bank is closed" in str(failed[0].exc_info[1])
