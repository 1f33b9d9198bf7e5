"""Paged lists that are one consistent snapshot, the way client-go's ListPager makes them.

A list is read in pages (``limit`` and ``continue``); every page belongs to the
snapshot of the first one, at its ``resourceVersion``. The pager's further lists
(a query's other namespaces) ask for that same ``resourceVersion`` exactly, so that
a query over several namespaces is one snapshot too.

When the server has forgotten the snapshot midway (``410 Gone``: the continue token
or the resourceVersion was compacted away), the pager raises :class:`Gone`.
:func:`consistent` then reads everything again with unpaged lists — one request per
list, which cannot expire halfway — as client-go falls back to a full list. It never
continues with the "inconsistent continue" token the server offers: that would mix
two snapshots (list a deleted object, miss a new one, return a stale value). A caller
that wants that anyway (a long loop that must not start over) says so with
``inconsistent=True``.
"""

from __future__ import annotations

from typing import Any, AsyncGenerator, Awaitable, Callable, Mapping, TypeVar

from .._base.errors import Gone
from .._http.resource import ResourceType
from .._http.retry import log

__all__ = ["Pager", "consistent"]

T = TypeVar("T")
Request = Callable[..., Awaitable[Any]]  # await request("GET", path, params=...) -> the decoded answer

_UNPAGED_ATTEMPTS = 2


class Pager:
    """Reads lists of one resource type page by page, all from one snapshot.

    Args:
        request: sends one request, as ``ResourceClient.request`` does (a coroutine: see :mod:`pykorm._base.drive`).
        resource: the listed type (built-in kinds omit ``kind`` in list items; it is filled in).
        page_size: objects per request; None lists everything in one request.
        inconsistent: on an expired continue token, go on with the server's newer token
            (or start over, skipping the objects already listed) instead of raising.
    """

    def __init__(
        self, request: Request, resource: ResourceType, *, page_size: int | None, inconsistent: bool = False
    ) -> None:
        self.request = request
        self.resource = resource
        self.page_size = page_size
        self.inconsistent = inconsistent
        self.resource_version: str | None = None  # the snapshot's, from the first answer

    async def pages(self, path: str, params: Mapping[str, Any]) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Each page of the list at ``path``, its items with ``apiVersion`` and ``kind``.

        Raises:
            Gone: the snapshot expired midway (never with ``inconsistent=True``, once a page was read).
        """
        token: str | None = None
        exact = self.resource_version
        seen: set[str] = set()  # uids listed, to skip after an inconsistent restart
        restarted = False
        while True:
            query = {**params, "limit": self.page_size, "continue": token}
            if token is None and exact is not None:
                query.update(resourceVersion=exact, resourceVersionMatch="Exact")
            try:
                page = await self.request("GET", path, params=query)
            except Gone as error:
                if not self.inconsistent or (token is None and exact is None):
                    raise
                log.debug("pykorm: listing %s: %s; going on with an inconsistent list as asked", path, error)
                if token is None:
                    exact = None  # the snapshot is gone: list the current state
                else:
                    token = (error.body.get("metadata") or {}).get("continue") or None
                    restarted = restarted or token is None
                continue
            metadata = page.get("metadata") or {}
            if self.resource_version is None:
                self.resource_version = metadata.get("resourceVersion") or None
            items = page.get("items") or []
            if items and "kind" not in items[0]:  # built-in kinds omit it in lists
                for item in items:
                    item["apiVersion"], item["kind"] = self.resource.api_version, self.resource.kind
            if self.inconsistent:
                if restarted:
                    items = [item for item in items if item["metadata"].get("uid") not in seen]
                seen.update(item["metadata"].get("uid", "") for item in items)
            yield items
            token = metadata.get("continue") or None
            if token is None:
                return


async def consistent(
    read: Callable[[Pager], Awaitable[T]], make_pager: Callable[[int | None], Pager], page_size: int
) -> T:
    """``read(pager)``, with every list it makes from one snapshot.

    The first try reads in pages of ``page_size``; if the snapshot expires midway, the
    read starts over with unpaged lists (client-go's ListPager fallback), whose result
    ``read`` must not have shown to anyone before it returns.

    Raises:
        Gone: the snapshot expired even between unpaged lists, twice.
    """
    try:
        return await read(make_pager(page_size))
    except Gone as error:
        log.debug("pykorm: a paged list expired midway (%s); listing again in one request per list", error)
    for attempt in range(_UNPAGED_ATTEMPTS):
        try:
            return await read(make_pager(None))
        except Gone as error:
            if attempt == _UNPAGED_ATTEMPTS - 1:
                raise
            log.debug("pykorm: the list snapshot expired between two lists (%s); listing again", error)
    raise AssertionError("unreachable")
