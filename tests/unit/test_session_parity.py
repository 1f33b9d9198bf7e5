"""AsyncPykorm has every verb Pykorm has, with the same parameters (the async one awaited)."""

from __future__ import annotations

import inspect

import pytest

from pykorm import Pykorm
from pykorm.aio import AsyncPykorm

pytestmark = pytest.mark.unit

ASYNC_ONLY = {"connect", "follow_logs", "query"}
"""connect: configuration read off the loop; follow_logs: ``logs(follow=True)``'s iterator; query: ``Model.query``'s chain."""


def public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def test_the_async_session_has_every_verb_of_the_blocking_one() -> None:
    assert public(Pykorm) - public(AsyncPykorm) == set()
    assert public(AsyncPykorm) - public(Pykorm) == ASYNC_ONLY


@pytest.mark.parametrize("name", sorted(n for n in public(Pykorm) if callable(getattr(Pykorm, n))))
def test_each_verb_takes_the_same_arguments_and_is_awaited(name: str) -> None:
    blocking, awaited = getattr(Pykorm, name), getattr(AsyncPykorm, name)
    if name in {"__init__", "close", "transport", "default_namespace"}:
        return
    if name == "logs":  # follow=True is AsyncPykorm.follow_logs
        params = [p for p in inspect.signature(blocking).parameters.values() if p.name != "follow"]
    else:
        params = list(inspect.signature(blocking).parameters.values())
    assert [(p.name, p.kind, p.default) for p in inspect.signature(awaited).parameters.values()] == \
        [(p.name, p.kind, p.default) for p in params]
    assert inspect.iscoroutinefunction(awaited), f"AsyncPykorm.{name} is not awaited"
