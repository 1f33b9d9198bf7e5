"""Bulk operations, watch and wait, against the real API server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Iterator

import pytest

import pykorm
from pykorm.testing import Cluster

from .models import Plant
from .helpers import Counting


@pytest.fixture
def plants(pk: pykorm.Pykorm, k8s_namespace: str) -> list[Plant]:
    made = []
    for i in range(12):
        labels = {"app": "web" if i % 2 else "db"}
        made.append(pk.save(Plant(namespace=k8s_namespace, name=f"p{i:02d}", variety="Frost" if i < 6 else "Elberta", price=i % 5, labels=labels)))
    return made


def test_delete_pushed_down_is_one_deletecollection(pk: pykorm.Pykorm, k8s_namespace: str, plants: list[Plant]) -> None:
    query = Plant.query.namespace(k8s_namespace).filter(labels__app="web")
    with Counting(pk) as counting:
        result = query.delete()
    assert [(m, p) for m, p, _ in counting.calls] == [("DELETE", f"/apis/pykorm.infomaniak.com/v1/namespaces/{k8s_namespace}/plants")]
    assert sorted(p.name for p in result) == [p.name for p in plants if p.labels["app"] == "web"]
    assert Plant.query.namespace(k8s_namespace).filter(labels__app="web").count() == 0
    assert Plant.query.namespace(k8s_namespace).count() == 6


def test_delete_filtered_in_python_deletes_each(pk: pykorm.Pykorm, k8s_namespace: str, plants: list[Plant]) -> None:
    result = Plant.query.namespace(k8s_namespace).filter(price__gte=3).delete()
    assert sorted(p.name for p in result) == sorted(p.name for p in plants if (p.price or 0) >= 3)
    assert Plant.query.namespace(k8s_namespace).filter(price__gte=3).count() == 0
    assert Plant.query.namespace(k8s_namespace).count() == len([p for p in plants if (p.price or 0) < 3])


def test_update_label_annotate(pk: pykorm.Pykorm, k8s_namespace: str, plants: list[Plant]) -> None:
    frost = Plant.query.namespace(k8s_namespace).filter(variety="Frost")
    assert len(frost.update(price=9)) == 6
    assert set(frost.pluck("price")) == {9}
    assert len(frost.label(tier="gold", app=None)) == 6
    assert all(p.labels == {"tier": "gold"} for p in frost)
    assert Plant.query.namespace(k8s_namespace).filter(labels__tier="gold").count() == 6
    assert len(frost.annotate(**{"note": "checked"})) == 6
    assert {p.annotations.get("note") for p in Plant.query.namespace(k8s_namespace)} == {"checked", None}


def test_bulk_stops_at_the_first_hard_error_and_reports(pk: pykorm.Pykorm, k8s_namespace: str, plants: list[Plant]) -> None:
    # The CRD sets minimum 0 on price; the model does not know it, pykorm checks the served schema.
    query = Plant.query.namespace(k8s_namespace).order_by("name")
    with pytest.raises(pykorm.BulkError) as caught:
        query.update(price=-1)
    error = caught.value
    assert error.done == [] and error.failed.name == "p00" and len(error.not_done) == 11
    assert isinstance(error.error, pykorm.ClientValidationError)
    assert [c.field for c in error.error.causes] == ["spec.price"]
    assert set(query.pluck("price")) == {p.price for p in plants}  # nothing half-written


def collect(events: Iterator[Any], into: list[tuple[str, str]], stop: threading.Event) -> None:
    for event in events:
        into.append((event.type, event.obj.name))
        if stop.is_set():
            return


def wait_for_len(items: list[Any], n: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while len(items) < n and time.monotonic() < deadline:
        time.sleep(0.05)


def test_watch_sees_each_change_exactly_once(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    seen: list[tuple[str, str]] = []
    stop = threading.Event()
    query = Plant.query.namespace(k8s_namespace).filter(variety="Frost", price__gte=2)  # pushed + Python
    events = query.watch(timeout=30)
    watcher = threading.Thread(target=collect, args=(events, seen, stop))
    watcher.start()
    time.sleep(1.0)  # let the watch start
    a = pk.save(Plant(namespace=k8s_namespace, name="a", variety="Frost", price=2))  # ADDED a
    pk.save(Plant(namespace=k8s_namespace, name="b", variety="Elberta", price=5))  # not matching: nothing
    c = pk.save(Plant(namespace=k8s_namespace, name="c", variety="Frost", price=1))  # not matching yet
    a.price = 3
    pk.save(a)  # MODIFIED a
    c.price = 4
    pk.save(c)  # ADDED c: it starts matching the Python-side filter
    a.price = 0
    pk.save(a)  # DELETED a: it stops matching
    pk.delete(c)  # DELETED c
    wait_for_len(seen, 5)
    stop.set()
    pk.save(Plant(namespace=k8s_namespace, name="z", variety="Frost", price=9))  # wakes the watcher up to stop
    watcher.join(35)
    assert seen[:5] == [("ADDED", "a"), ("MODIFIED", "a"), ("ADDED", "c"), ("DELETED", "a"), ("DELETED", "c")]


def test_watch_survives_an_apiserver_restart(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str) -> None:
    if k8s_cluster.control_plane is None:
        pytest.skip("restarting kube-apiserver needs the local control plane")
    seen: list[tuple[str, str]] = []
    stop = threading.Event()
    watcher = threading.Thread(target=collect, args=(Plant.query.namespace(k8s_namespace).watch(timeout=90), seen, stop))
    watcher.start()
    time.sleep(1.0)
    pk.save(Plant(namespace=k8s_namespace, name="before", variety="Frost"))
    wait_for_len(seen, 1)
    k8s_cluster.control_plane.restart_apiserver()
    pk.close()  # drop pooled connections to the old process
    pk.save(Plant(namespace=k8s_namespace, name="after", variety="Frost"))
    changed = pk.get(Plant, "before", k8s_namespace)
    changed.price = 1
    pk.save(changed)
    wait_for_len(seen, 3, timeout=60)
    stop.set()
    pk.save(Plant(namespace=k8s_namespace, name="zz", variety="Frost"))
    watcher.join(60)
    assert seen[:3] == [("ADDED", "before"), ("ADDED", "after"), ("MODIFIED", "before")]


def test_watch_initial_and_timeout(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    pk.save(Plant(namespace=k8s_namespace, name="old", variety="Frost"))
    started = time.monotonic()
    events = [(e.type, e.obj.name) for e in Plant.query.namespace(k8s_namespace).watch(timeout=2, initial=True)]
    assert events == [("ADDED", "old")]
    assert 1.5 < time.monotonic() - started < 10
    kind, obj = next(iter(Plant.query.namespace(k8s_namespace).watch(timeout=2, initial=True)))
    assert (kind, obj.name) == ("ADDED", "old")


def test_wait_for_and_wait_until(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    plant = pk.save(Plant(namespace=k8s_namespace, name="w", variety="Frost", price=1))

    def later() -> None:
        time.sleep(0.5)
        other = pykorm.Pykorm(kubeconfig=pk.kubeconfig, context=pk.context, make_default=False)
        copy = other.get(Plant, "w", k8s_namespace)
        copy.price = 7
        other.save(copy)
        other.save(Plant(namespace=k8s_namespace, name="w2", variety="Frost"))

    threading.Thread(target=later).start()
    got = pk.wait_for(plant, lambda p: p is not None and p.price == 7, timeout=20)
    assert got is not None and got.price == 7 and plant.price == 7
    listed = Plant.query.namespace(k8s_namespace).wait_until(lambda objs: len(objs) == 2, timeout=20)
    assert sorted(p.name for p in listed) == ["w", "w2"]

    with pytest.raises(pykorm.WaitTimeout) as caught:
        pk.wait_for(plant, lambda p: p is not None and p.price == 100, timeout=1)
    assert isinstance(caught.value, TimeoutError) and caught.value.last.price == 7

    threading.Thread(target=lambda: (time.sleep(0.5), pk.delete(pk.get(Plant, "w2", k8s_namespace)))).start()
    assert pk.wait_for(pk.get(Plant, "w2", k8s_namespace), lambda p: p is None, timeout=20) is None


def test_a_wait_on_an_idle_object_times_out_for_its_condition_not_the_server(
    pk: pykorm.Pykorm, k8s_namespace: str,
) -> None:
    """Nothing changes and the server is fine: the wait's last stream, which the server could not be asked to
    end before the deadline (under a second left), is cut by the deadline: no dead connection. Before, both
    sessions said "the API server could not be reached at the end (... the connection is presumed dead)"."""
    from pykorm.aio import AsyncPykorm

    plant = pk.save(Plant(namespace=k8s_namespace, name="idle", variety="Frost"))
    errors: list[pykorm.WaitTimeout] = []
    started = time.monotonic()
    with pytest.raises(pykorm.WaitTimeout) as caught:
        pk.wait_for(plant, lambda p: False, timeout=1.5)  # a stream ended by the server at 1 s, then one cut at 1.5 s
    errors.append(caught.value)

    async def awaited() -> None:
        async with AsyncPykorm(kubeconfig=pk.kubeconfig, context=pk.context) as apk:
            with pytest.raises(pykorm.WaitTimeout) as caught:
                await apk.wait_for(await apk.get(Plant, "idle", k8s_namespace), lambda p: False, timeout=1.5)
            errors.append(caught.value)

    asyncio.run(awaited())
    assert time.monotonic() - started < 3 + 2 * 1.0  # each ends at its deadline (+ 1 s)
    for error in errors:
        assert str(error) == f"Plant {k8s_namespace}/idle: condition not met within 1.5 s" and error.__cause__ is None
        assert error.last is not None and error.last.name == "idle"


def test_changing_a_watched_object_changes_nothing_the_watcher_keeps(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    """The objects a watch hands out are the user's to change (and save): the watcher's memory of each
    object (what it compares the next events and a re-list with) stays the server's."""
    from pykorm._session import running
    from pykorm._session.watch import Watcher

    pk.save(Plant(namespace=k8s_namespace, name="kept", variety="Frost", price=1, labels={"a": "b"}))
    query = Plant.query.session(pk).namespace(k8s_namespace)
    watcher = Watcher(running.client(query), Plant, query.explain(), timeout=3)
    (handed,) = watcher.initial()
    (known,) = watcher.known.values()
    before = json.dumps(known, sort_keys=True)
    handed.price = 5
    handed.labels["a"] = "changed"
    handed.labels["new"] = "x"
    assert json.dumps(known, sort_keys=True) == before
    saved = pk.save(handed)  # the change is the object's own: saving it sends it
    assert pk.get(Plant, "kept", k8s_namespace).price == 5 and saved.labels == {"a": "changed", "new": "x"}
    events = [(e.type, e.obj.price, e.obj.labels) for e in watcher.events()]
    assert events == [("MODIFIED", 5, {"a": "changed", "new": "x"})]
