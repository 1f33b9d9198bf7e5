"""``AsyncQuery``: a :class:`pykorm.Query`'s chain, run on the event loop.

It wraps a ``Query`` (made by ``AsyncPykorm.query(Model)``): refining methods return a new
``AsyncQuery`` around the refined ``Query``, so lookups are checked, plans made
(``explain()``) and objects hydrated by the same code; running methods await
the coroutines the blocking ``Query`` runs to the end (:mod:`pykorm._session.running`) through the async session.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Protocol, TypeVar

from .._session import running
from .._session.bulk import assign, merge_annotations, merge_labels
from .._session.query import Query
from .._session.query_view import QueryView

if TYPE_CHECKING:
    from .._session.bulk import BulkResult
    from ..models._model import Model
    from .._session.pages import Page
    from .._select.plan import Plan
    from .._session.watch import WatchEvent

__all__ = ["AsyncQuery"]


class Connecting(Protocol):
    """What an async query uses of its :class:`pykorm.aio.AsyncPykorm` (which imports this module)."""

    async def connect(self, cluster: str | None = None) -> Any: ...

M = TypeVar("M", bound="Model")


class AsyncQuery(QueryView[M]):
    """A lazy query over one model's objects, for ``await`` and ``async for`` (see :class:`pykorm.Query`).

    >>> q = pk.query(Peach).ns("shop").filter(price__gt=2)
    >>> async for peach in q: ...
    >>> await q.count(), await q.first(), await q.values("name", "price")
    """

    __slots__ = ("session",)

    def __init__(self, query: Query[M], session: Connecting) -> None:
        super().__init__(query)
        self.session = session

    def _refined(self, query: Query[M]) -> AsyncQuery[M]:
        return AsyncQuery(query, self.session)

    # -- refining (no I/O): Query's (QueryView), and paging ----------------------------------------

    def page_size(self, size: int) -> AsyncQuery[M]:
        """See :meth:`pykorm.Query.page_size`."""
        return self._refined(self.query.page_size(size))

    def allow_inconsistent(self) -> AsyncQuery[M]:
        """See :meth:`pykorm.Query.allow_inconsistent`."""
        return self._refined(self.query.allow_inconsistent())

    def using(self, cluster: str) -> AsyncQuery[M]:
        """See :meth:`pykorm.Query.using`."""
        return self._refined(self.query.using(cluster))

    def owned_by(self, owner: Model) -> AsyncQuery[M]:
        """See :meth:`pykorm.Query.owned_by`."""
        return self._refined(self.query.owned_by(owner))

    def __getitem__(self, index: slice) -> AsyncQuery[M]:
        """``q[:10]``: a query that stops after 10 objects (an int index: ``await q[3:4].first()``)."""
        if not isinstance(index, slice):
            raise TypeError("an async query takes slices only: `await q[3:4].first()` for the fourth object")
        return self._refined(self.query[index])

    def explain(self) -> Plan:
        """The plan, as the blocking query's: what the server selects and what Python checks."""
        return self.query.explain()

    # -- running (I/O) ------------------------------------------------------------------------

    async def __aiter__(self) -> AsyncGenerator[M, None]:
        """The matching objects, fetched page by page (memory: one page)."""
        await self._ready()
        async with contextlib.aclosing(running.batches(self.query)) as batches:
            async for batch in batches:
                for obj in batch:
                    yield obj

    async def all(self) -> list[M]:
        """See :meth:`pykorm.Query.all`: one consistent snapshot."""
        await self._ready()
        return await running.listed(self.query)

    async def first(self) -> M | None:
        """See :meth:`pykorm.Query.first`."""
        await self._ready()
        return await running.first(self.query)

    async def exists(self) -> bool:
        """See :meth:`pykorm.Query.exists`."""
        return await self.first() is not None

    async def count(self) -> int:
        """See :meth:`pykorm.Query.count`."""
        await self._ready()
        return await running.count(self.query)

    async def get(self, name: str, namespace: str | None = None) -> M | None:
        """See :meth:`pykorm.Query.get` (None when there is no such object)."""
        await self._ready()
        return await running.get(self.query, name, namespace)

    async def get_or_raise(self, name: str, namespace: str | None = None) -> M:
        """See :meth:`pykorm.Query.get_or_raise` (raises NotFound)."""
        await self._ready()
        return await running.get_or_raise(self.query, name, namespace)

    async def values(self, *names: str) -> list[dict[str, Any]]:
        """See :meth:`pykorm.Query.values`."""
        await self._ready()
        return await running.values(self.query, names)

    async def pluck(self, name: str) -> list[Any]:
        """See :meth:`pykorm.Query.pluck`."""
        await self._ready()
        return await running.pluck(self.query, name)

    async def page(self, size: int, token: str | None = None) -> Page[M]:
        """See :meth:`pykorm.Query.page`: one page and the token of the next."""
        await self._ready()
        return await running.page(self.query, size, token)

    async def delete(self, *, propagation_policy: str | None = None, dry_run: bool = False) -> BulkResult[M]:
        """See :meth:`pykorm.Query.delete`."""
        await self._ready()
        return await running.delete(self.query, propagation_policy, dry_run)

    async def update(self, **values: Any) -> BulkResult[M]:
        """See :meth:`pykorm.Query.update`."""
        await self._ready()
        return await running.update(self.query, assign(self.query.model, values))

    async def label(self, **labels: str | None) -> BulkResult[M]:
        """See :meth:`pykorm.Query.label`."""
        await self._ready()
        return await running.update(self.query, merge_labels(labels))

    async def annotate(self, **annotations: str | None) -> BulkResult[M]:
        """See :meth:`pykorm.Query.annotate`."""
        await self._ready()
        return await running.update(self.query, merge_annotations(annotations))

    async def watch(
        self, timeout: float | None = None, *, initial: bool = False, silence: float = 45.0
    ) -> AsyncGenerator[WatchEvent[M], None]:
        """See :meth:`pykorm.Query.watch`: ``async for event in q.watch(): ...`` (resumes, relists after 410)."""
        await self._ready()
        async with contextlib.aclosing(running.watch(self.query, timeout, initial, silence)) as events:
            async for event in events:
                yield event

    async def wait_until(self, condition: Callable[[list[M]], bool], timeout: float = 60.0) -> list[M]:
        """See :meth:`pykorm.Query.wait_until`."""
        await self._ready()
        return await running.wait_until(self.query, condition, timeout)

    async def _ready(self) -> None:
        await self.session.connect(self.query.state.cluster)

    def __repr__(self) -> str:
        return f"<AsyncQuery {self.query!r}>"
