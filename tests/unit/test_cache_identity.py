"""A cache tells objects apart by uid, not only by name, and never answers for objects it does not hold (offline:
informers never started, filled as a list or a watch would fill them)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import pykorm
from pykorm.controller import Controller, Informer, Request
from pykorm.k8s.core_v1 import ConfigMap, Namespace

pytestmark = pytest.mark.unit


def raw(name: str, uid: str, version: str, namespace: str = "a", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "data": dict(data),
            "metadata": {"name": name, "namespace": namespace, "uid": uid, "resourceVersion": version}}


def informer_of(namespace: str | None = "a") -> Informer[ConfigMap]:
    session = pykorm.Pykorm(make_default=False)  # reads no configuration until a request: none is made
    return Informer(ConfigMap, session=session, namespace=namespace)


def told(informer: Informer[Any]) -> list[tuple[str, str | None, str | None]]:
    changes: list[tuple[str, str | None, str | None]] = []
    informer.add_handler(lambda kind, old, new: changes.append(
        (kind, None if old is None else old["metadata"]["uid"], None if new is None else new["metadata"]["uid"])))
    return changes


def test_a_relist_tells_an_object_created_again_under_its_name_as_a_deletion_and_a_creation() -> None:
    informer = informer_of()
    informer.replace([raw("x", "u1", "5", k="v"), raw("y", "u3", "6")])
    changes = told(informer)
    changes.clear()
    # Deleted and created again, identical, while the feed was not watching (its watch failed; it lists again).
    informer.replace([raw("x", "u2", "9", k="v"), raw("y", "u3", "6")])
    assert changes == [("DELETED", "u1", "u1"), ("ADDED", None, "u2")]  # was [("MODIFIED", "u1", "u2")]
    cached = informer.get("x")
    assert cached is not None and cached.uid == "u2"


def test_a_controller_reconciles_an_object_created_again_identical_while_it_was_not_watching() -> None:
    informer = informer_of()
    informer.replace([raw("x", "u1", "5", k="v")])
    controller = Controller("c", lambda request: None, informer)
    assert controller.queue.get(0) == "a/x"
    controller.queue.done("a/x")
    informer.replace([raw("x", "u2", "9", k="v")])  # nothing differs but the uid: a new object all the same
    assert controller.queue.get(0) == "a/x"  # was None: the new object was never reconciled


def test_a_watch_event_of_another_object_under_the_name_is_a_deletion_and_a_creation() -> None:
    informer = informer_of()
    informer.replace([raw("x", "u1", "5", k="v")])
    changes = told(informer)
    changes.clear()
    feed = informer._feed
    feed._apply("DELETED", raw("x", "u0", "4"))  # a deletion of an older object of that name: not this one's
    assert changes == [] and informer.get("x") is not None
    feed._apply("ADDED", raw("x", "u2", "9", k="v"))
    assert changes == [("DELETED", "u1", "u1"), ("ADDED", None, "u2")]


def test_informer_get_defaults_to_its_namespace_and_refuses_one_it_does_not_hold() -> None:
    informer = informer_of()
    informer.replace([raw("x", "u1", "5")])
    found = informer.get("x")  # was None: the key without its namespace
    assert found is not None and found.uid == "u1"
    assert informer.get("x", "a") == found and informer.get("nothing") is None
    with pytest.raises(pykorm.ClientValidationError, match="holds namespace 'a' only, not 'b'"):
        informer.get("x", "b")  # was None, which says "not on the server"
    assert [c.name for c in informer.by_index("namespace", "a")] == ["x"]
    with pytest.raises(pykorm.ClientValidationError, match="holds namespace 'a' only"):
        informer.by_index("namespace", "b")  # was []
    everywhere = informer_of(None)
    everywhere.replace([raw("x", "u1", "5"), raw("x", "u4", "7", namespace="b")])
    assert everywhere.get("x", "b").uid == "u4"  # type: ignore[union-attr]
    with pytest.raises(pykorm.ClientValidationError, match="say which"):
        everywhere.get("x")
    namespaces: Informer[Namespace] = Informer(Namespace, session=pykorm.Pykorm(make_default=False))
    namespaces.replace([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "uid": "n", "resourceVersion": "1"}}])
    assert namespaces.get("a") is not None
    with pytest.raises(pykorm.ClientValidationError, match="cluster-scoped"):
        namespaces.get("a", "a")


def test_a_cached_query_refuses_a_namespace_its_informer_does_not_hold() -> None:
    informer = informer_of()
    informer.replace([raw("x", "u1", "5")])
    assert [c.name for c in informer.cached(ConfigMap.query)] == ["x"]  # no namespace named: the informer's
    assert informer.cached(ConfigMap.query.namespace("a")).count() == 1
    for query in (ConfigMap.query.namespace("b"), ConfigMap.query.namespace("a", "b")):
        with pytest.raises(pykorm.ClientValidationError, match="holds namespace 'a' only"):
            informer.cached(query).count()  # was 0 / 1: an answer for objects it never saw


def test_a_request_reads_its_objects_namespace() -> None:
    informer = informer_of()
    informer.replace([raw("x", "u1", "5")])
    assert Request("a", "x", ConfigMap, informer).get().uid == "u1"  # type: ignore[union-attr]


def test_a_handler_added_to_a_running_feed_hears_no_change_before_the_objects_it_is_told_of() -> None:
    informer = informer_of()
    informer.replace([raw("x", "u1", "5"), raw("y", "u2", "6")])
    held: dict[str, str] = {}
    deleting: list[threading.Thread] = []

    def handler(kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        name = (new or old or {})["metadata"]["name"]
        if kind == "DELETED":
            held.pop(name, None)
        else:
            held[name] = (new or {})["metadata"]["uid"]
        if not deleting:  # the feed deletes another object while the stored ones are being told
            deleting.append(threading.Thread(target=informer._feed._apply, args=("DELETED", raw(
                "y" if name == "x" else "x", "u2" if name == "x" else "u1", "7"))))
            deleting[0].start()
            deleting[0].join(1.0)  # before: the deletion was told at once, then the deleted object as ADDED

    informer.add_handler(handler)
    deleting[0].join(10)
    assert len(informer.store) == 1
    assert {f"a/{name}" for name in held} == set(informer.store.keys())  # was 2 names: a ghost held for ever


def test_a_cached_query_refuses_to_answer_beyond_its_informers_selector() -> None:
    session = pykorm.Pykorm(make_default=False)
    informer: Informer[ConfigMap] = Informer(ConfigMap, session=session, namespace="a", selector={"app": "x"})
    labelled = raw("x", "u1", "5")
    labelled["metadata"]["labels"] = {"app": "x", "tier": "web"}
    informer.replace([labelled])
    assert informer.query.count() == 1
    assert informer.cached(ConfigMap.query.filter_by_labels({"app": "x", "tier": "web"})).count() == 1
    assert informer.cached(ConfigMap.query.filter(labels__app="x")).count() == 1
    for query in (ConfigMap.query, ConfigMap.query.filter_by_labels({"tier": "web"}),
                  ConfigMap.query.filter(labels__app__in=["x", "y"])):
        with pytest.raises(pykorm.ClientValidationError, match="holds only the objects labelled"):
            informer.cached(query).count()  # was an answer without the objects the informer never held
