"""pykorm._base.gc: full collections held off while a list is decoded and wrapped, young ones not, and
the thresholds back (and the one full collection then due run soon after) when the last holder leaves."""

from __future__ import annotations

import gc
import threading
from typing import Any, Iterator

import pytest

import pykorm._base.gc as hold
from pykorm._base.gc import full_gc_held_off

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(not hold._APPLIES, reason="CPython < 3.14 only: the incremental collector is left alone"),
]


@pytest.fixture()
def collections() -> Iterator[list[int]]:
    """The generation of each collection that starts while the test runs."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def test_only_the_oldest_threshold_changes_and_comes_back() -> None:
    before = gc.get_threshold()
    with full_gc_held_off():
        held = gc.get_threshold()
        assert held[:2] == before[:2] and held[2] >= 1 << 30
    assert gc.get_threshold() == before


def test_nested_and_from_two_threads_the_last_holder_restores() -> None:
    before = gc.get_threshold()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with full_gc_held_off():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    with full_gc_held_off():
        with full_gc_held_off():
            pass
        assert gc.get_threshold()[2] >= 1 << 30  # the inner exit restored nothing
        thread.start()
        assert inside.wait(10)
    assert gc.get_threshold()[2] >= 1 << 30  # the thread still holds
    leave.set()
    thread.join(10)
    assert gc.get_threshold() == before


def test_an_exception_restores_and_the_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold()
    with pytest.raises(KeyError):
        with full_gc_held_off():
            raise KeyError("x")
    assert gc.get_threshold() == before
    monkeypatch.setattr(hold, "enabled", False)
    with full_gc_held_off():
        assert gc.get_threshold() == before


def test_young_collections_go_on_and_the_full_one_runs_after(collections: list[int]) -> None:
    gc.collect()
    collections.clear()
    count = max(100_000, len(gc.get_objects()) // 2)  # survivors: more than a quarter of the old generation
    with full_gc_held_off():
        kept = [[] for _ in range(count)]
        assert collections and 2 not in collections and 1 in collections  # young ones ran, no full one
    collections.clear()
    more = [[] for _ in range(1000)]  # the next young collection: the full one held off is due there
    assert 2 in collections
    del kept, more
