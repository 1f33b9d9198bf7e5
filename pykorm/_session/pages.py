"""One page of a query at a time, with the server's continue token: for web APIs that list page by page.

A web API cannot keep a Python iterator between two HTTP requests; it hands its client the
server's continue token instead. ``query.page(100)`` reads the first page, ``query.page(100,
page.next_token)`` the next one, each from the snapshot of the first (the server's token
carries its resourceVersion), so that a walk returns each object exactly once. A token the
server has forgotten (after etcd compaction, about five minutes) raises :class:`pykorm.Gone`:
start again from the first page. Filters the server cannot evaluate run on each page, so a
page may hold fewer than ``size`` objects (never more), and ``remaining`` counts the objects
the server has left before those filters.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Awaitable, Callable, Generic, TypeVar

from .._base.errors import ClientValidationError
from .._select.plan import Plan
from .._http.resource import ResourceType

__all__ = ["Page", "read_page"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    """A page of objects.

    Attributes:
        items: the page's objects (those the query's filters keep): ``size`` at most, except where the
            server does not page a resource and answers the whole list whatever the limit (core/v1
            ``componentstatuses``, which no storage backs): then every object, and no ``next_token``.
        next_token: pass it to ``query.page(size, token)`` for the next page; None after the last.
        remaining: how many objects the server still has after this page (its
            ``remainingItemCount``), when it says; None when it does not (with field selectors,
            or at the end).
    """

    items: list[T]
    next_token: str | None
    remaining: int | None


async def read_page(
    request: Callable[..., Awaitable[Any]], resource: ResourceType, plan: Plan, size: int, token: str | None,
    wrap: Callable[[dict[str, Any]], T],
) -> Page[T]:
    """One list request for ``plan`` with ``limit=size`` from ``token``, filtered as the plan says.

    Raises:
        ClientValidationError: ``size`` < 1, or the plan lists several namespaces (a token belongs to one list).
        Gone: the server no longer knows ``token``.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ClientValidationError(f"a page size is an int >= 1, not {size!r}")
    if token is not None and (not isinstance(token, str) or not token):
        raise ClientValidationError(f"a page token is the next_token of a previous page, not {token!r}")
    if plan.empty:
        return Page([], None, None)
    namespaces = plan.namespaces if plan.namespaces is not None else (None,)
    if len(namespaces) > 1:
        raise ClientValidationError("page() lists one namespace or all of them; a token cannot span several lists")
    if plan.names is not None:  # one GET per name: they all fit a page
        path = resource.path(namespaces[0])
        params: dict[str, Any] = {"fieldSelector": f"metadata.name={plan.names[0]}"}
    else:
        path = resource.path(namespaces[0])
        params = {"labelSelector": plan.label_selector, "fieldSelector": plan.field_selector}
    params.update({"limit": size, "continue": token})
    answer = await request("GET", path, params=params)
    metadata = answer.get("metadata") or {}
    items = []
    for raw in answer.get("items") or ():
        raw.setdefault("apiVersion", resource.api_version)
        raw.setdefault("kind", resource.kind)
        if plan.python is None or plan.python.matches(raw):
            items.append(wrap(raw))
    return Page(items, metadata.get("continue") or None, metadata.get("remainingItemCount"))
