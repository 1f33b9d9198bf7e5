"""A session's reads, as coroutines: get, refresh, and waiting for an object's deletion.

:class:`Reads` adds them to :class:`~pykorm._session.connections.Connections`; the writes
(:mod:`pykorm._session.writes`) build on them (``update`` re-reads, ``delete(wait=True)`` waits gone).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

from .._base.errors import NotFound, ServerUnavailable, WaitTimeout
from .._http.resource import resource_of
from .connections import Connections, TransportT
from .watch import unreachable

if TYPE_CHECKING:
    from .._data.stored import Stored

__all__ = ["Reads"]

M = TypeVar("M", bound="Stored")


class Reads(Connections[TransportT]):
    """The reads of a session (see the module docstring)."""

    async def _get(self, model: type[M], name: str, namespace: str | None = None, cluster: str | None = None) -> M:
        resource = resource_of(model)
        if resource.namespaced and not namespace:
            namespace = self.default_namespace(cluster)
        raw = await self._request(resource, "GET", resource.object_path(namespace, name), cluster)
        return model._from_server(raw, cluster, self)

    async def _refresh(self, obj: M, cluster: str | None = None) -> M:
        resource, cluster = resource_of(type(obj)), cluster or obj._cluster
        raw = await self._request(resource, "GET", self._object_path(obj, resource), cluster)
        obj._load(raw, cluster, self)
        return obj

    async def _wait_gone(self, obj: Stored, uid: str | None = None, timeout: float = 60.0,
                         cluster: str | None = None, deadline: float | None = None) -> None:
        """Poll until ``obj`` is gone; ``deadline`` (a ``time.monotonic()`` time) instead of ``timeout`` when given.

        An unreachable server is ridden out until the deadline (each GET is tried again until then)."""
        resource = resource_of(type(obj))
        path = self._object_path(obj, resource)
        deadline = time.monotonic() + timeout if deadline is None else deadline
        pause, raw = 0.05, None
        while True:
            failure: ServerUnavailable | None = None
            try:
                raw = await self._request(resource, "GET", path, cluster or obj._cluster, deadline=deadline)
            except NotFound:
                return
            except ServerUnavailable as error:
                failure = error
            if raw is not None and uid and (raw.get("metadata") or {}).get("uid") != uid:
                return  # the name now holds another object
            if time.monotonic() >= deadline:
                finalizers = (raw or {}).get("metadata", {}).get("finalizers")
                raise WaitTimeout(f"{resource.kind} {obj.name} is still there after {timeout} s "
                                  f"(finalizers: {finalizers})" + unreachable(failure),
                                  last=None if raw is None else type(obj)._from_server(raw, cluster or obj._cluster, self)) from failure
            await self._sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 1.0)
