"""A controller's echoes, offline: which writes give receipts (pykorm._base.receipts), and how a controller tells the
events of the states it wrote from other writers' changes (pykorm.controller._echoes), races included."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pytest

from pykorm._base.receipts import note_write, produced_state, receipts
from pykorm.controller._echoes import Echoes

from ..models import Peach

pytestmark = pytest.mark.unit


def answer(uid: str = "u1", version: str = "7") -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "c", "uid": uid, "resourceVersion": version}}


def test_a_receipt_only_for_a_state_the_write_provably_produced() -> None:
    based_on = {"metadata": {"resourceVersion": "6"}, "data": {"k": "v"}}
    assert produced_state("POST", {"metadata": {"name": "c"}}, {}, answer()) == ("u1", "7")  # created it
    assert produced_state("PATCH", based_on, {"fieldManager": "me"}, answer()) == ("u1", "7")  # on the state it read
    assert produced_state("PUT", based_on, None, answer()) == ("u1", "7")
    # Nothing changed (the answer is the state read, maybe another writer's) or no precondition: no receipt.
    assert produced_state("PATCH", {"metadata": {"resourceVersion": "7"}}, {}, answer()) is None
    assert produced_state("PATCH", {"spec": {"replicas": 3}}, {}, answer()) is None  # /scale, a plain merge patch
    assert produced_state("PATCH", {"metadata": {"name": "c"}, "data": {}}, {"force": True}, answer()) is None  # apply
    assert produced_state("PATCH", [{"op": "remove", "path": "/data/k"}], {}, answer()) is None  # a JSON patch
    assert produced_state("PATCH", based_on, {"dryRun": "All"}, answer()) is None
    assert produced_state("POST", {}, {"dryRun": "All"}, answer(version="")) is None
    assert produced_state("DELETE", {}, {}, answer()) is None
    assert produced_state("GET", {}, {}, answer()) is None
    assert produced_state("POST", {}, {}, {"kind": "Status", "status": "Success"}) is None  # an eviction, a binding
    assert produced_state("POST", {}, {}, "text") is None
    assert produced_state("PATCH", {"metadata": {"resourceVersion": None}}, {}, answer()) is None


def test_receipts_go_to_the_listeners_of_the_context_only() -> None:
    outer: list[tuple[str, str]] = []
    inner: list[tuple[str, str]] = []
    note_write("POST", {}, {}, answer("nobody"))  # nobody listens: nothing happens
    with receipts(lambda *r: outer.append(r)):
        note_write("POST", {}, {}, answer("u1"))
        with receipts(lambda *r: inner.append(r)):
            note_write("POST", {}, {}, answer("u2"))
            other = threading.Thread(target=lambda: note_write("POST", {}, {}, answer("u3")))  # another thread's
            other.start()
            other.join()
        note_write("PATCH", {"spec": {}}, {}, answer("u4"))  # no receipt
    note_write("POST", {}, {}, answer("u5"))
    assert outer == [("u1", "7"), ("u2", "7")] and inner == [("u2", "7")]


def test_an_echo_is_a_written_state_and_is_used_up_once() -> None:
    echoes = Echoes()
    echoes.wrote("u1", "7")
    assert echoes.news(["a/x"], "u1", "7", 0.5) == []  # the state written: an echo
    assert echoes.news(["a/x"], "u1", "7", 0.5) == ["a/x"]  # the same event again is news (a relist)
    assert echoes.news(["a/x", "a/y"], "u1", "8", 0.5) == ["a/x", "a/y"]  # another writer's state
    assert echoes.news(["a/x"], "u2", "7", 0.5) == ["a/x"]  # another object with the same version
    assert echoes.news(["a/x"], None, None, 0.5) == ["a/x"]
    echoes.wrote("u3", "9")
    echoes.forget("u3")  # deleted: its receipts go
    assert echoes.news(["a/x"], "u3", "9", 0.5) == ["a/x"]
    echoes.wrote("u4", "10")
    assert echoes.consume("u4", "10") and not echoes.consume("u4", "10")


def test_events_met_while_their_key_is_reconciled_are_judged_when_it_ends() -> None:
    echoes = Echoes()
    echoes.begin("a/x")
    assert echoes.news(["a/x", "a/y"], "u1", "7", 0.5) == ["a/y"]  # held for a/x: its write has not answered yet
    echoes.wrote("u1", "7")  # the answer comes
    assert echoes.end("a/x") is None  # it was the echo: no reconcile again
    echoes.begin("a/x")
    assert echoes.news(["a/x"], "u1", "8", 0.5) == []  # held
    assert echoes.news(["a/x"], "u9", "3", 0.0) == []  # held
    assert echoes.end("a/x") == 0.0  # news: once more, as soon as the shortest delay says
    assert echoes.news(["a/x"], "u1", "9", 0.5) == ["a/x"]  # no longer held
    echoes.begin("a/x")
    assert not echoes.consume("u1", "10", "a/x")  # a status write's echo, before its answer: no reason anyway
    echoes.wrote("u1", "10")
    assert echoes.end("a/x") is None and not echoes.consume("u1", "10")  # its receipt was used up at the end


def test_receipts_are_bounded_per_object_and_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    from pykorm.controller import _echoes

    monkeypatch.setattr(_echoes, "_OBJECTS", 3)
    echoes = Echoes()
    for version in range(20):
        echoes.wrote("u1", str(version))
    assert not echoes.consume("u1", "0") and echoes.consume("u1", "19")  # the last 8 kept
    for uid in ("u2", "u3", "u4", "u5"):
        echoes.wrote(uid, "1")
    assert not echoes.consume("u1", "18") and echoes.consume("u5", "1")  # the oldest object went first


# -- a controller, offline: informers never started, filled with replace() -----------------------------


def peach(name: str, version: str, uid: str | None = None, owner: tuple[str, str] | None = None,
          **metadata: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "a", "uid": uid or f"uid-{name}", "resourceVersion": version,
                            "generation": 1, **metadata}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "pykorm.infomaniak.com/v1", "kind": "Peach", "name": owner[0],
                                    "uid": owner[1], "controller": True}]
    return {"apiVersion": "pykorm.infomaniak.com/v1", "kind": "Peach", "metadata": meta, "spec": {}}


def settle(calls: list[Any], count: int, quiet: float = 0.3) -> None:
    """Wait until ``calls`` has ``count`` entries, then ``quiet`` seconds more (a late reconcile would show)."""
    deadline = time.monotonic() + 10
    while len(calls) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(quiet)


def test_a_controller_skips_the_echoes_of_its_writes_and_nothing_else() -> None:
    import pykorm
    from pykorm.controller import Controller, Informer, Request

    session = pykorm.Pykorm(make_default=False)  # reads no configuration: no request is made
    sites: Informer[Peach] = Informer(Peach, session=session)
    children: Informer[Peach] = Informer(Peach, session=session)
    site = peach("site", "1")
    sites.replace([site])
    children.replace([])
    owner = ("site", "uid-site")
    during: list[Callable[[], None]] = []  # what lands while a reconcile runs, before its write answers
    calls: list[int] = []

    def reconcile(request: Request[Peach]) -> None:
        calls.append(1)
        for land in during:
            land()
        during.clear()
        for write in writes:  # as pk.save / a create would: the answer, noted in this context
            note_write(*write)
        writes.clear()

    writes: list[tuple[str, Any, Any, Any]] = [
        ("POST", {}, {}, peach("child", "5", owner=owner)),  # creates its child
        ("PATCH", {"metadata": {"resourceVersion": "1"}}, {}, peach("site", "6", finalizers=["x.io/f"])),  # finalizer
    ]
    controller = Controller("sites", reconcile, sites, [children], workers=2, owned_delay=0.02)
    controller.queue.add("a/site")
    controller.start()
    try:
        settle(calls, 1)
        children.replace([peach("child", "5", owner=owner)])  # the echoes of both writes
        sites.replace([peach("site", "6", finalizers=["x.io/f"])])
        settle(calls, 1)
        assert len(calls) == 1

        children.replace([peach("child", "7", owner=owner, labels={"edited": "by hand"})])  # another writer's
        settle(calls, 2)
        assert len(calls) == 2
        children.replace([peach("child", "8")])  # the ownerReference stripped: the former owner hears of it
        settle(calls, 3)
        assert len(calls) == 3
        sites.replace([peach("site", "9", finalizers=[])])  # the finalizer stripped
        settle(calls, 4)
        assert len(calls) == 4

        # The echo arrives before the write's answer: held while the reconcile runs, then left out.
        writes.append(("PATCH", {"metadata": {"resourceVersion": "8"}}, {}, peach("child", "10", owner=owner)))
        during.append(lambda: children.replace([peach("child", "10", owner=owner)]))
        controller.queue.add("a/site")
        settle(calls, 5)
        assert len(calls) == 5  # not 6
        # Another writer's change lands during a reconcile: reconciled once more, after it.
        during.append(lambda: children.replace([peach("child", "11", owner=owner, labels={"x": "y"})]))
        controller.queue.add("a/site")
        settle(calls, 7)
        assert len(calls) == 7
    finally:
        controller.stop(5)
    assert sum(controller.failures.values()) == 0
