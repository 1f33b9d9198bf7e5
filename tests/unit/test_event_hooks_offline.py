"""Event hooks are checked when a session is made, before any request."""

from __future__ import annotations

from typing import Any

import pytest

from pykorm import Pykorm, Request
from pykorm._http.hooks import call_hooks
from pykorm.aio import AsyncPykorm

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("session", [Pykorm, AsyncPykorm])
@pytest.mark.parametrize("hooks, message", [
    ({"requests": []}, "unknown event 'requests'"),
    ({"request": print}, "must be a list of functions"),
    ({"response": "print"}, "must be a list of functions"),
    ({"request": [None]}, "is not callable"),
])
def test_a_misspelt_event_or_a_hook_that_is_no_function_is_refused_at_once(session: Any, hooks: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        session(event_hooks=hooks, **({"make_default": False} if session is Pykorm else {}))


def test_the_session_exposes_its_hook_lists_and_appending_counts() -> None:
    seen: list[str] = []
    pk = Pykorm(make_default=False, event_hooks={"request": [lambda r: seen.append("first")]})
    pk.event_hooks["request"].append(lambda r: seen.append("second"))
    assert pk.event_hooks["response"] == []
    call_hooks(pk._transport_options["event_hooks"].request, Request("GET", "https://x/api", {}, None, 1))
    assert seen == ["first", "second"]
