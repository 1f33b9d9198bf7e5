"""The requests about one resource type on one cluster: the one client queries, watches and bulk operations use.

Queries, watches and bulk operations decide *what* they want (a :class:`pykorm._select.plan.Plan`);
a :class:`ResourceClient` makes the requests for it: lists read page by page as one
snapshot (:mod:`pykorm._session.pager`), GETs by name, counts, ``deletecollection`` and watch
streams. Retries and timeouts are the transport's (:mod:`pykorm._http.retry`); a 404 for the
resource type itself becomes :class:`CRDNotInstalled` (the session's ``request``).

Its methods are coroutines: through the blocking session they finish at once
(:mod:`pykorm._base.drive`), through ``pykorm.aio``'s they run on the event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncGenerator, Awaitable, Callable, Mapping, TypeVar

from .._base.errors import CRDNotInstalled, NotFound
from .pager import Pager, consistent
from .._http.resource import ResourceType

if TYPE_CHECKING:
    from .io import SessionIO
    from .._data.stored import Stored

__all__ = ["ResourceClient"]

T = TypeVar("T")
M = TypeVar("M", bound="Stored")
Raw = dict[str, Any]


class ResourceClient:
    """Requests about ``resource`` on ``cluster`` (the session's default when None) through ``session``.

    ``deadline`` (a ``time.monotonic()`` time; None: none) bounds each of its requests, retries included.
    """

    __slots__ = ("session", "resource", "cluster", "deadline")

    def __init__(self, session: SessionIO, resource: ResourceType, cluster: str | None,
                 deadline: float | None = None) -> None:
        self.session = session
        self.resource = resource
        self.cluster = cluster
        self.deadline = deadline

    def until(self, deadline: float | None) -> ResourceClient:
        """This client, with every request bounded by ``deadline`` (a method with a timeout's)."""
        return ResourceClient(self.session, self.resource, self.cluster, deadline)

    def hydrate(self, model: type[M], raw: Raw) -> M:
        """``raw`` (not copied) as an object of ``model`` that acts through this client's session and cluster."""
        return model._from_server(raw, self.cluster, self.session)

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request (see :meth:`Pykorm.request`)."""
        if self.deadline is not None:
            kwargs.setdefault("deadline", self.deadline)
        return await self.session._request(self.resource, method, path, self.cluster, **kwargs)

    def pager(self, page_size: int | None, *, inconsistent: bool = False) -> Pager:
        """A pager over this resource's lists, all from one snapshot (``page_size`` None: one request)."""
        return Pager(self.request, self.resource, page_size=page_size, inconsistent=inconsistent)

    async def consistently(
        self, read: Callable[[Pager], Awaitable[T]], page_size: int, *, inconsistent: bool = False
    ) -> T:
        """``read(pager)`` with every list it makes from one snapshot, read again unpaged if it expires."""
        return await consistent(read, lambda size: self.pager(size, inconsistent=inconsistent), page_size)

    async def get(self, namespace: str | None, name: str) -> Raw | None:
        """The object called ``name``, as the server sent it, or None when there is none.

        Raises:
            CRDNotInstalled: the server does not serve the resource at all.
            ClientValidationError: an invalid name or namespace (nothing is sent).
        """
        try:
            raw: Raw = await self.request("GET", self.resource.object_path(namespace, name))
        except CRDNotInstalled:
            raise
        except NotFound:
            return None
        return raw

    async def count(self, namespace: str | None) -> int:
        """How many objects the collection holds, from one small page and ``remainingItemCount``."""
        page = await self.request("GET", self.resource.path(namespace), params={"limit": 1})
        return len(page.get("items") or ()) + int((page.get("metadata") or {}).get("remainingItemCount") or 0)

    async def delete_collection(self, namespace: str | None, selectors: Mapping[str, Any], options: Raw) -> list[Raw]:
        """``deletecollection`` of the selected objects; the deleted objects, with ``apiVersion`` and ``kind``."""
        answer = await self.request("DELETE", self.resource.path(namespace), body=options, params=selectors)
        items: list[Raw] = answer.get("items") or []
        for item in items:
            item.setdefault("apiVersion", self.resource.api_version)
            item.setdefault("kind", self.resource.kind)
        return items

    def stream(
        self, path: str, params: Mapping[str, Any], silence: float, opened: Callable[[Any], object] | None = None
    ) -> AsyncGenerator[Raw, None]:
        """A watch stream's events as decoded JSON; no byte for ``silence`` seconds raises ``ServerUnavailable``.

        ``opened`` gets the open response (blocking sessions: see :meth:`Transport.stream`)."""
        return self.session._stream(self.cluster, path, dict(params), silence, opened=opened, deadline=self.deadline)
