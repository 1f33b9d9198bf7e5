"""Running a query: the coroutines that execute a :class:`~pykorm._session.statement.Statement` through its session.

Both sessions run the same code: :class:`pykorm.Query`'s blocking methods drive these coroutines to
the end (:func:`pykorm._base.drive.run`), ``pykorm.aio.AsyncQuery`` awaits them. They read a
statement's ``model``, ``state`` and ``explain()`` only (a statement is the query's description,
as SQLAlchemy separates a statement from the session that executes it), and make their requests
through the statement's :class:`~pykorm._session.client.ResourceClient`: :func:`listed` (one
consistent snapshot, :mod:`pykorm._session.pager`), :func:`batches` (pages as they come),
:func:`count`, :func:`first`, :func:`get_or_raise`, :func:`values`/:func:`pluck`, :func:`page`
(:mod:`pykorm._session.pages`), bulk (:mod:`pykorm._session.bulk`) and watches
(:mod:`pykorm._session.watch`). See :class:`pykorm.Query` for what each promises.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Iterable, TypeVar

from .client import ResourceClient
from .._base.errors import ClientValidationError, CRDNotInstalled, FieldError, NotFound
from .._base.gc import full_gc_held_off
from .._base.names import name_error, path_segment
from .bulk import BulkResult, delete_matching, update_matching
from .._http.resource import resource_of
from .._select.ordering import getter, getters, json_sort_key, sort_key
from .pager import Pager
from .pages import Page, read_page
from .._select.plan import Plan
from .statement import (
    DEFAULT_PAGE_SIZE, WHOLE_LIST_PAGE_SIZE, QueryState, Statement, known_field_selectors, session_of_query,
)
from .watch import Raw

if TYPE_CHECKING:
    from .._data.stored import Stored
    from .watch import WatchEvent

__all__ = [
    "batches", "client", "count", "delete", "first", "get", "get_or_raise", "listed", "page", "plan", "pluck",
    "update", "values", "wait_until", "watch",
]

M = TypeVar("M", bound="Stored")
T = TypeVar("T")


def client(query: Statement[M]) -> ResourceClient:
    """The client that makes the query's requests, through its session (a ``Query``'s: or the default one)."""
    session = session_of_query(query)
    if session is None:
        raise TypeError(f"{query.model.__name__} statement: no session to run it through (statement.session(pk))")
    return ResourceClient(session, resource_of(query.model), query.state.cluster)


async def plan(query: Statement[M]) -> Plan:
    """:meth:`Statement.explain`, once the cluster was asked about each declared-selectable field the plan sends."""
    made = query.explain()
    model, resource = query.model, resource_of(query.model)
    declared = set(resource.selectable) | {".".join(f.path) for f in model._fields.values() if f.selectable}
    known = known_field_selectors(query)
    asked = [key for key, _, _ in made.field_terms if key in declared and key not in known]
    if not asked:
        return made
    namespace = made.namespaces[0] if made.namespaces else None
    await client(query).session._probe_field_selectors(resource, asked, namespace, query.state.cluster)
    return query.explain()


async def batches(query: Statement[M]) -> AsyncGenerator[list[M], None]:
    """The matching objects, a page at a time (an object at a time would cost a coroutine step each)."""
    state = query.state
    if state.order:
        yield await listed(query)  # sorting needs every object first: one snapshot
        return
    made = await plan(query)
    pager = client(query).pager(_page_size(state, made, whole=False), inconsistent=state.inconsistent)
    async with contextlib.aclosing(_selected(query, made, pager)) as found:
        async for batch in found:
            yield batch


async def listed(query: Statement[M]) -> list[M]:
    """Every matching object: one consistent snapshot (see :meth:`pykorm.Query.all`)."""
    return await _consistently(query, lambda batch: batch)


async def first(query: Statement[M]) -> M | None:
    async with contextlib.aclosing(batches(query[:1])) as found:
        async for batch in found:
            if batch:
                return batch[0]
    return None


async def count(query: Statement[M]) -> int:
    state = query.state
    made = await plan(query)
    if made.fully_pushed and made.names is None and not made.empty and not made.label_terms and not made.field_terms:
        requests = client(query)
        namespaces = made.namespaces if made.namespaces is not None else (None,)
        total = sum([await requests.count(namespace) for namespace in namespaces])
        remaining = max(0, total - state.start)
        return remaining if state.stop is None else min(remaining, state.stop - state.start)
    return sum(await _consistently(query, lambda batch: [len(batch)]))


async def get(query: Statement[M], name: str, namespace: str | None = None) -> M | None:
    try:
        return await get_or_raise(query, name, namespace)
    except CRDNotInstalled:
        raise  # not "no such object": the kind itself is missing
    except NotFound:
        return None


async def get_or_raise(query: Statement[M], name: str, namespace: str | None = None) -> M:
    model = query.model
    resource = resource_of(model)
    path_segment(name, "metadata.name", path_only=resource.free_form_names, what=f"{model.__name__} get")
    if namespace is not None:
        path_segment(namespace, "metadata.namespace", label=True, what=f"{model.__name__} get")
    if resource.namespaced and namespace is None:
        chosen = query.explain().namespaces  # from .namespace() or a namespace filter
        if chosen is None or len(chosen) != 1:
            raise ClientValidationError(
                f"{model.__name__} is namespaced: say which namespace to get {name!r} from, "
                f"with get({name!r}, namespace=...) or .namespace(...).get({name!r})",
                causes=(FieldError("metadata.namespace", "Required value", "FieldValueRequired"),),
            )
        namespace = chosen[0]
    # the namespace asked for is one more filter: outside the query's namespaces, no object is found
    named = query.filter(name=name, namespace=namespace) if namespace and resource.namespaced else query.filter(name=name)
    state = dataclasses.replace(named.state, start=0, stop=None, order=())  # the filters, not the order or slice
    if namespace is not None and not resource.namespaced:
        state = dataclasses.replace(state, namespaces=(namespace,))
    found = await first(type(named)(model, state))
    if found is None:
        where = f" in namespace {namespace!r}" if namespace else ""
        raise NotFound(f"{model.__name__} {name!r}{where} not found (or it does not match the query)", status=404)
    return found


async def values(query: Statement[M], names: tuple[str, ...]) -> list[dict[str, Any]]:
    readers = getters(query.model, names)
    return await _consistently(query, lambda batch: [{n: g(obj) for n, g in readers} for obj in batch])


async def pluck(query: Statement[M], name: str) -> list[Any]:
    read = getter(query.model, name)
    return await _consistently(query, lambda batch: [read(obj) for obj in batch])


async def page(query: Statement[M], size: int, token: str | None) -> Page[M]:
    state = query.state
    if state.order:
        raise ClientValidationError(
            f"page() cannot follow order_by{state.order!r}: a page token walks the server's order (by namespace "
            "and name), so every page would come unsorted; sort each page's items, or use all() to sort them all"
        )
    if state.start or state.stop is not None:
        raise ClientValidationError(
            "page() cannot follow a slice: a page token walks the server's whole list from its first object; "
            "pass the page size to page(size) and the next_token to walk on"
        )
    requests, model = client(query), query.model
    return await read_page(requests.request, resource_of(model), await plan(query), size, token,
                           lambda raw: requests.hydrate(model, raw))


async def delete(query: Statement[M], propagation_policy: str | None, dry_run: bool) -> BulkResult[M]:
    state = query.state
    whole = not state.order and state.start == 0 and state.stop is None
    return await delete_matching(
        client(query), query.model, await plan(query), whole, functools.partial(listed, query),
        propagation_policy=propagation_policy, dry_run=dry_run,
    )


async def update(query: Statement[M], mutate: Callable[[M], object]) -> BulkResult[M]:
    return await update_matching(client(query), functools.partial(listed, query), mutate)


def watch(query: Statement[M], timeout: float | None, initial: bool,
          silence: float) -> AsyncGenerator[WatchEvent[M], None]:
    """The query's events; with ``initial``, the objects' ``ADDED`` events in the query's order. Refused at once,
    before anything is sent, after a slice."""
    state = query.state
    if state.start or state.stop is not None:
        raise ClientValidationError(
            f"{query.model.__name__} watch() cannot follow a slice: events come as the changes happen, and a "
            "stream has no first or tenth object (the first N change as objects come and go); watch the query "
            "without it and slice what you keep — or wait_until(), which orders and slices the objects it checks")
    return _watch(query, timeout, initial, silence)


async def _watch(query: Statement[M], timeout: float | None, initial: bool,
                 silence: float) -> AsyncGenerator[WatchEvent[M], None]:
    from .watch import watch as watching

    order = sort_key(query.model, query.state.order) if query.state.order else None
    events = watching(client(query), query.model, await plan(query), timeout=timeout, initial=initial,
                      silence=silence, order=order)
    async with contextlib.aclosing(events):
        async for event in events:
            yield event


async def wait_until(query: Statement[M], condition: Callable[[list[M]], bool], timeout: float) -> list[M]:
    from .watch import wait_until as waiting

    state = query.state
    key = json_sort_key(query.model, state.order) if state.order else None

    def shape(raws: list[Raw]) -> list[Raw]:  # the query's order and slice, on the matching objects of now
        ordered = sorted(raws, key=key) if key is not None else raws
        return ordered[state.start:state.stop]

    return await waiting(client(query), query.model, await plan(query), condition, timeout, shape=shape)


# -- listing ---------------------------------------------------------------------------------


def _page_size(state: QueryState, made: Plan, *, whole: bool) -> int:
    """Objects per request: the query's ``page_size()``, else the default for streaming or for a ``whole``
    list (see :data:`~pykorm._session.statement.WHOLE_LIST_PAGE_SIZE`); no more than a slice needs when
    the server does all the filtering."""
    size = state.page_size or (WHOLE_LIST_PAGE_SIZE if whole else DEFAULT_PAGE_SIZE)
    if state.stop is not None and not state.order and made.python is None:
        return max(1, min(size, state.stop))
    return size


async def _consistently(query: Statement[M], use: Callable[[list[M]], list[T]]) -> list[T]:
    """``use`` applied to each batch of selected objects of one snapshot, the results joined (a batch is
    dropped once used: counting keeps no object). See :func:`pykorm._session.pager.consistent`."""
    made = await plan(query)

    async def read(pager: Pager) -> list[T]:
        found: list[T] = []
        with full_gc_held_off():  # no user code runs until the list is complete: see pykorm._base.gc
            async with contextlib.aclosing(_selected(query, made, pager)) as selected:
                async for batch in selected:
                    found += use(batch)
        return found

    state = query.state
    return await client(query).consistently(read, _page_size(state, made, whole=True), inconsistent=state.inconsistent)


async def _selected(query: Statement[M], made: Plan, pager: Pager) -> AsyncGenerator[list[M], None]:
    """The plan's objects, ordered and sliced as the query says, in batches (pages)."""
    state = query.state
    if state.stop is not None and state.stop <= state.start:
        return
    async with contextlib.aclosing(_objects(query, made, pager)) as found:
        pages: AsyncGenerator[list[M], None] = found
        if state.order:
            everything = [obj async for batch in found for obj in batch]
            pages = _replay([sorted(everything, key=sort_key(query.model, state.order))])
        seen = 0  # objects before this batch
        async for batch in pages:
            start = max(0, state.start - seen)
            stop = None if state.stop is None else state.stop - seen
            seen += len(batch)
            kept = batch[start:stop]
            if kept:
                yield kept
            if state.stop is not None and seen >= state.stop:
                return


async def _objects(query: Statement[M], made: Plan, pager: Pager) -> AsyncGenerator[list[M], None]:
    """Every object the plan selects, filtered in Python where it says so, a page (or a GET) at a time."""
    if made.empty:
        return
    model = query.model
    resource, cluster, python, requests = resource_of(model), query.state.cluster, made.python, client(query)
    namespaces: tuple[str | None, ...] = made.namespaces if made.namespaces is not None else (None,)
    if made.names is not None:
        for namespace in namespaces:
            for name in made.names:
                if name_error(name, "metadata.name", path_only=resource.free_form_names) is not None:
                    continue  # a filter on a name no object can have: nothing to ask for
                raw = await requests.get(namespace, name)
                if raw is not None and (python is None or python.matches(raw)):
                    yield [requests.hydrate(model, raw)]
        return
    params = {"labelSelector": made.label_selector, "fieldSelector": made.field_selector}
    wrap, session = model._from_server, requests.session
    matches = python.matcher if python is not None else None
    for namespace in namespaces:
        async with contextlib.aclosing(pager.pages(resource.path(namespace), params)) as pages:
            async for page in pages:
                # On an event loop, in slices with a checkpoint between, so that no step runs long
                # (filtering and wrapping 500 objects can take a few ms); blocking, a page at once.
                step = session._step_objects or len(page) or 1
                for start in range(0, len(page), step):
                    with full_gc_held_off():  # see pykorm._base.gc: wrapping a page allocates no garbage
                        objects = [wrap(raw, cluster, session) for raw in page[start:start + step]
                                   if matches is None or matches(raw)]
                    yield objects
                    await session._checkpoint()


async def _replay(items: Iterable[T]) -> AsyncGenerator[T, None]:
    for item in items:
        yield item
