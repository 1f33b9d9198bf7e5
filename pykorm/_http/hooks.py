"""Event hooks: functions a session calls with each request it sends and each answer it gets, as httpx's.

    >>> def log(request: pykorm.Request) -> None:
    ...     print(request.method, request.url)
    >>> pk = Pykorm(event_hooks={"request": [log], "response": [count]})

A hook sees every HTTP request on the wire, each retry included (``request.attempt``): reads,
writes, lists and their pages, watches and logs (whose answer is a stream: ``content`` is None),
discovery and CRD installs. A request hook may change ``request.headers`` (tracing headers):
the changes are sent. What a hook raises propagates to the caller as it is; the request is not
sent (a request hook) or its answer is not used (a response hook). An async session awaits a
hook that returns an awaitable.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Mapping, Sequence

__all__ = ["EventHooks", "Hooks", "Request", "Response", "await_hooks", "call_hooks", "hooks_of"]


@dataclasses.dataclass(eq=False)
class Request:
    """One request as it is sent: ``url`` is the full URL (query included); ``body`` the encoded bytes."""

    method: str
    url: str
    headers: dict[str, str]
    """Sent after the request hooks ran (their changes included); its repr masks credentials."""
    body: bytes | None
    attempt: int
    """1 for the first sending, 2 for the first retry..."""


@dataclasses.dataclass(frozen=True, eq=False)
class Response:
    """The answer to :attr:`request` (before pykorm decides whether to retry or raise)."""

    request: Request
    status: int
    headers: Mapping[str, str]
    content: bytes | None
    """The body; None for a stream (a watch, a followed log), which is read after the hooks."""
    elapsed: float
    """Seconds from sending to the answer's headers (its body read, when ``content`` is not None)."""


EventHooks = Mapping[str, Sequence[Callable[..., Any]]]
"""``{"request": [f, ...], "response": [g, ...]}``, the argument of ``Pykorm(event_hooks=...)``."""


@dataclasses.dataclass(frozen=True)
class Hooks:
    """A session's hooks, shared by the transports it makes: its lists, so that appending to them later counts."""

    request: list[Callable[[Request], Any]]
    response: list[Callable[[Response], Any]]

    def __bool__(self) -> bool:
        return bool(self.request or self.response)


def hooks_of(event_hooks: EventHooks | None) -> Hooks:
    """Checked hooks. Raises TypeError for a key other than "request"/"response" or a hook that is not callable."""
    given = dict(event_hooks or {})
    unknown = sorted(set(given) - {"request", "response"})
    if unknown:
        raise TypeError(f"event_hooks: unknown event {', '.join(map(repr, unknown))}; the events are 'request' and 'response'")
    for event, functions in given.items():
        if isinstance(functions, (str, bytes)) or not isinstance(functions, Sequence) or callable(functions):
            raise TypeError(f"event_hooks[{event!r}] must be a list of functions, not {functions!r}")
        for function in functions:
            if not callable(function):
                raise TypeError(f"event_hooks[{event!r}]: {function!r} is not callable")
    return Hooks(list(given.get("request", ())), list(given.get("response", ())))


def call_hooks(functions: Sequence[Callable[[Any], Any]], value: Request | Response) -> None:
    """Call each hook of a blocking session; one that returns an awaitable is a mistake said at once."""
    for function in functions:
        result = function(value)
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never awaited: no warning about it on top of this error
            raise TypeError(f"event hook {function!r} returned an awaitable: async hooks are for pykorm.aio.AsyncPykorm")


async def await_hooks(functions: Sequence[Callable[[Any], Any]], value: Request | Response) -> None:
    """Call each hook of an async session, awaiting those that return an awaitable."""
    for function in functions:
        result = function(value)
        if inspect.isawaitable(result):
            await result
