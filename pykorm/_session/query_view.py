"""A :class:`Query` run another way: the refining half of its API, shared by the async and cached queries.

``pykorm.aio.AsyncQuery`` awaits a query's I/O and ``pykorm.controller.CachedQuery`` runs it on an
informer's memory; both refine exactly as :class:`Query` does. :class:`QueryView` forwards each
refining method to the wrapped query and wraps the result again (:meth:`QueryView._refined`), so
that a refinement added to :class:`Query` is added here once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Mapping, TypeVar

from typing_extensions import Self

from .._select.lookups import Q
from .query import Query

if TYPE_CHECKING:
    from .._data.stored import Stored

__all__ = ["QueryView"]

M = TypeVar("M", bound="Stored")


class QueryView(Generic[M]):
    """Refines the wrapped :attr:`query` (no I/O); a subclass says how it runs and how it wraps."""

    __slots__ = ("query",)

    def __init__(self, query: Query[M]) -> None:
        self.query = query

    def _refined(self, query: Query[M]) -> Self:
        """The same view of ``query`` (a refinement of :attr:`query`)."""
        raise NotImplementedError

    def filter(self, *conditions: Q, **lookups: Any) -> Self:
        """See :meth:`pykorm.Query.filter`."""
        return self._refined(self.query.filter(*conditions, **lookups))

    def exclude(self, *conditions: Q, **lookups: Any) -> Self:
        """See :meth:`pykorm.Query.exclude`."""
        return self._refined(self.query.exclude(*conditions, **lookups))

    def filter_by(self, **attributes: Any) -> Self:
        """See :meth:`pykorm.Query.filter_by`."""
        return self._refined(self.query.filter_by(**attributes))

    def filter_by_labels(self, labels: Mapping[str, str] | None = None, /, **more: str) -> Self:
        """See :meth:`pykorm.Query.filter_by_labels`."""
        return self._refined(self.query.filter_by_labels(labels, **more))

    def selector(self, selector: str) -> Self:
        """See :meth:`pykorm.Query.selector`."""
        return self._refined(self.query.selector(selector))

    def filter_by_fields(self, fields: Mapping[str, str] | None = None, /, **more: str) -> Self:
        """See :meth:`pykorm.Query.filter_by_fields`."""
        return self._refined(self.query.filter_by_fields(fields, **more))

    def namespace(self, *names: str) -> Self:
        """See :meth:`pykorm.Query.namespace`."""
        return self._refined(self.query.namespace(*names))

    ns = namespace

    def all_namespaces(self) -> Self:
        """See :meth:`pykorm.Query.all_namespaces`."""
        return self._refined(self.query.all_namespaces())

    def order_by(self, *keys: str) -> Self:
        """See :meth:`pykorm.Query.order_by`."""
        return self._refined(self.query.order_by(*keys))
