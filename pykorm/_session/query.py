"""Queries: immutable, chainable descriptions of a set of objects, run only when iterated.

    >>> Peach.query.ns("a", "b").filter(price__gt=2, labels__app="web").order_by("-price")[:10]

Each refining method returns a new query; the original is unchanged. Nothing is
sent until the query is iterated (or ``all``/``first``/``count``/``get``...).
The planner (:mod:`pykorm._select.plan`) sends what the API server can select and
checks the rest in Python on the streamed, paginated results; ``explain()``
shows the split.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Generic, Iterable, Iterator, Mapping, TypeVar, overload

from .client import ResourceClient
from .._base.drive import iterate, run
from .._base.errors import ClientValidationError, CRDNotInstalled, FieldError, NotFound
from .._base.gc import full_gc_held_off
from .bulk import BulkResult, assign, delete_matching, merge_annotations, merge_labels, update_matching
from .._select.lookups import Leaf, Node, Q, label_condition, resolve, resolve_all
from .._base.names import path_segment
from .._select.ordering import getter, sort_key
from .pager import Pager
from .pages import Page, read_page
from .._select.plan import Plan, make_plan
from .._http.resource import ResourceType, resource_of
from .._select.selectors import Term, parse_label_selector

if TYPE_CHECKING:
    from .io import SessionIO
    from ..controller import CachedQuery
    from .._data.stored import Stored
    from .watch import WatchEvent

__all__ = ["Query", "Selection"]

M = TypeVar("M", bound="Stored")
T = TypeVar("T")
DEFAULT_PAGE_SIZE = 500


@dataclasses.dataclass(frozen=True)
class _State:
    cluster: str | None = None
    session: SessionIO | None = None
    namespaces: tuple[str, ...] | None = None  # None: every namespace
    where: tuple[Q, ...] = ()  # AND-ed
    fields: tuple[Term, ...] = ()  # raw field-selector terms (filter_by_fields)
    order: tuple[str, ...] = ()
    start: int = 0
    stop: int | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    inconsistent: bool = False  # on an expired continue token, go on with the server's newer one


@dataclasses.dataclass(frozen=True)
class Selection(Generic[M]):
    """What a query selects, resolved: for running it on objects that are not on the server (a cache).

    Attributes:
        namespaces: the namespaces chosen with ``.namespace()`` (None: all).
        where: the resolved filter (lookups, ``Q`` trees; None: none), including namespace and name lookups.
        field_terms: raw field-selector terms of ``filter_by_fields``.
        sort_key: the key that sorts as ``order_by`` says (None: no order).
        start / stop: the slice.
        getter: the reader of a named value (attribute, lookup or dotted path), as ``values``/``pluck`` use.
    """

    namespaces: tuple[str, ...] | None
    where: Node | Leaf | None
    field_terms: tuple[Term, ...]
    sort_key: Callable[[M], Any] | None
    start: int
    stop: int | None
    getter: Callable[[str], Callable[[M], Any]]


class Query(Generic[M]):
    """A lazy query over the objects of one model."""

    __slots__ = ("model", "_state")

    def __init__(self, model: type[M], state: _State | None = None) -> None:
        self.model = model
        self._state = state or _State()

    def _chain(self, **changes: Any) -> Query[M]:
        return Query(self.model, dataclasses.replace(self._state, **changes))

    # -- refining (no I/O) ------------------------------------------------------------

    def using(self, cluster: str) -> Query[M]:
        """The same query on the named cluster (see ``Pykorm.clusters_config``)."""
        return self._chain(cluster=cluster)

    def session(self, session: SessionIO) -> Query[M]:
        """The same query through ``session`` instead of the default one."""
        return self._chain(session=session)

    def namespace(self, *names: str) -> Query[M]:
        """Only objects in these namespaces (each listed with its own requests)."""
        self._require_namespaced("namespace()")
        if not names:
            raise ClientValidationError("namespace() needs at least one namespace; use all_namespaces() for every one")
        for name in names:
            path_segment(name, "metadata.namespace", label=True, what=f"{self.model.__name__}.query.namespace()")
        return self._chain(namespaces=tuple(dict.fromkeys(names)))

    ns = namespace

    def all_namespaces(self) -> Query[M]:
        """Objects in every namespace (the default when none is chosen)."""
        return self._chain(namespaces=None)

    def page_size(self, size: int) -> Query[M]:
        """Fetch at most ``size`` objects per request while iterating (default 500)."""
        if size < 1:
            raise ClientValidationError("page_size must be at least 1")
        return self._chain(page_size=size)

    def allow_inconsistent(self) -> Query[M]:
        """Let iteration go on past an expired continue token, mixing two snapshots.

        A list is otherwise one snapshot: ``all()`` (and ``count``, ``values``, ``pluck``,
        ``order_by``) lists again if its snapshot expires midway, and plain iteration raises
        :class:`Gone` once it has handed out objects. With this, the iteration goes on with
        the server's newer continue token instead: objects created or deleted meanwhile may be
        missed or listed, later pages may be newer than earlier ones. For long loops that must
        not start over.
        """
        return self._chain(inconsistent=True)

    def filter(self, *conditions: Q, **lookups: Any) -> Query[M]:
        """Objects matching every lookup (``price__gt=2``, ``labels__app="web"``) and ``Q`` condition.

        Lookups of one call through the same list hold for the same element (chained calls: any
        element each), as Django's rule for multi-valued relations; see :mod:`pykorm._select.lookups`.

        Raises:
            ClientValidationError: an unknown attribute or operator (the message lists the choices).
        """
        q = Q(*conditions, **lookups)
        resolve(self.model, q)  # fail now, at the line that wrote the lookup
        return self._chain(where=self._state.where + (q,))

    def exclude(self, *conditions: Q, **lookups: Any) -> Query[M]:
        """Objects not matching all of these lookups and conditions together: the complement of ``filter(...)``.

        Through a list, it drops the objects having one element that matches them all.
        """
        q = ~Q(*conditions, **lookups)
        resolve(self.model, q)
        return self._chain(where=self._state.where + (q,))

    def filter_by(self, **attributes: Any) -> Query[M]:
        """Objects whose attributes equal these values (pykorm's ``filter_by``; see :meth:`filter`)."""
        return self.filter(**attributes)

    def filter_by_labels(self, labels: Mapping[str, str] | None = None, /, **more: str) -> Query[M]:
        """Objects carrying these labels (``key=value``); keys with dots or slashes go in the dict.

        A key is a label key, never a lookup: ``filter_by_labels(has="x")`` is the label ``has``.
        """
        terms = [(str(k), "=", (str(v),)) for k, v in {**(labels or {}), **more}.items()]
        if not terms:
            return self
        return self._chain(where=self._state.where + (Q._node("and", tuple(label_condition(t) for t in terms)),))

    def selector(self, selector: str) -> Query[M]:
        """Objects a label selector string selects, as the API server reads it (``"app=web,tier!=db"``).

        The full syntax: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``,
        ``!k``, comma-separated (AND); ``!=``, ``notin`` and ``!k`` also select objects without
        the label. Sent as the ``labelSelector`` (``explain()`` shows it); combinable with
        :meth:`filter`. ``""`` selects everything. For ``Scale.selector`` and kubectl's ``-l``.

        Raises:
            ClientValidationError: the text is not a valid label selector (``>``/``<`` included:
                pykorm does not evaluate them).

        >>> Pod.query.namespace("shop").selector("app=web,tier notin (db)").all()
        """
        terms = parse_label_selector(selector)
        if not terms:
            return self
        return self._chain(where=self._state.where + (Q._node("and", tuple(label_condition(t) for t in terms)),))

    def filter_by_fields(self, fields: Mapping[str, str] | None = None, /, **more: str) -> Query[M]:
        """Objects selected by this field selector: ``{"metadata.name": "a"}`` or ``metadata__name="a"``."""
        terms = tuple((k.replace("__", "."), "=", (str(v),)) for k, v in {**(fields or {}), **more}.items())
        return self._chain(fields=self._state.fields + terms)

    def order_by(self, *keys: str) -> Query[M]:
        """Sort by attributes or lookups (``"price"``, ``"-score__exterior"``); objects lacking a value come first.

        Sorting happens in Python, after every matching object is fetched.

        Raises:
            ClientValidationError: an unknown attribute, or a path through a list (an object has
                a value per element there, so it has no single place in the order).
        """
        sort_key(self.model, keys)  # checks each key
        return self._chain(order=tuple(keys))

    @overload
    def __getitem__(self, index: int) -> M: ...
    @overload
    def __getitem__(self, index: slice) -> Query[M]: ...

    def __getitem__(self, index: int | slice) -> M | Query[M]:
        """``query[:10]`` is a query that stops fetching after 10 objects; ``query[3]`` is the fourth object."""
        state = self._state
        if isinstance(index, int):
            if index < 0:
                raise ClientValidationError("negative indexes are not supported: the result size is not known")
            found = list(self[index : index + 1])
            if not found:
                raise IndexError(f"{self.model.__name__} query index {index} out of range")
            return found[0]
        if (index.start or 0) < 0 or (index.stop or 0) < 0 or index.step not in (None, 1):
            raise ClientValidationError("slices need non-negative bounds and no step")
        start = state.start + (index.start or 0)
        stop = state.stop
        if index.stop is not None:
            stop = state.start + index.stop if stop is None else min(stop, state.start + index.stop)
        return self._chain(start=start, stop=stop)

    # -- the plan ---------------------------------------------------------------------

    def owned_by(self, owner: Stored) -> Query[M]:
        """The objects ``owner`` owns (an entry of their ``ownerReferences`` has its uid), in its namespace.

        Raises:
            ClientValidationError: ``owner`` is not saved (it has no uid).
        """
        if not owner.uid:
            raise ClientValidationError(f"{type(owner).__name__} {owner.name}: an owner must be saved first (no uid)")
        query = self.filter(owner_references__uid=owner.uid)
        namespace = getattr(owner, "namespace", None)
        return query.namespace(namespace) if namespace and self._resource.namespaced else query

    def page(self, size: int, token: str | None = None) -> Page[M]:
        """One page of ``size`` objects at most, from ``token`` (a previous page's ``next_token``).

        Pages come in the server's order (by namespace and name), which the token walks: a query
        with ``order_by`` or a slice has no pages (sort or slice each page's ``items`` instead).

        Raises:
            ValueError: a bad size or token, several namespaces, ``order_by`` or a slice.
            Gone: the server forgot the token.

        >>> page = Pod.query.namespace("shop").page(100)
        >>> page = Pod.query.namespace("shop").page(100, page.next_token)
        """
        return run(self._page(size, token))

    async def _page(self, size: int, token: str | None) -> Page[M]:
        state = self._state
        if state.order:
            raise ValueError(
                f"page() cannot follow order_by{state.order!r}: a page token walks the server's order (by namespace "
                "and name), so every page would come unsorted; sort each page's items, or use all() to sort them all"
            )
        if state.start or state.stop is not None:
            raise ValueError(
                "page() cannot follow a slice: a page token walks the server's whole list from its first object; "
                "pass the page size to page(size) and the next_token to walk on"
            )
        client, model = self._client(), self.model
        return await read_page(client.request, self._resource, await self._plan(), size, token,
                               lambda raw: client.hydrate(model, raw))

    def explain(self) -> Plan:
        """The plan: the namespaces, names and selectors sent, and the predicate left for Python.

        A field the model declares selectable (a CRD's ``selectable=True`` field, a built-in kind's
        ``selectable`` paths) is sent as a field selector only where the cluster serves one on it:
        which fields a kind serves changes between Kubernetes releases, so before a query first
        sends one, its session asks the cluster (once per field) and checks the field in Python
        where the cluster refuses it. ``explain()`` itself sends nothing: it shows what the session
        knows so far (before a field was first asked about, the declared push-down).
        """
        state = self._state
        resource = resource_of(self.model)
        expr = resolve_all(self.model, state.where)
        refused = {path for path, served in self._known_field_selectors().items() if not served}
        selectable = [f.path for f in self.model._fields.values() if f.selectable and ".".join(f.path) not in refused]
        return make_plan(
            expr,
            namespaced=resource.namespaced,
            namespaces=state.namespaces,
            selectable=selectable,
            extra_fields=state.fields,
            built_in_selectable=[tuple(p.split(".")) for p in resource.selectable if p not in refused],
        )

    async def _plan(self) -> Plan:
        """:meth:`explain`, once the cluster was asked about each declared-selectable field the plan sends."""
        plan = self.explain()
        declared = set(self._resource.selectable) | {".".join(f.path) for f in self.model._fields.values() if f.selectable}
        known = self._known_field_selectors()
        asked = [key for key, _, _ in plan.field_terms if key in declared and key not in known]
        if not asked:
            return plan
        namespace = plan.namespaces[0] if plan.namespaces else None
        await self._client().session._probe_field_selectors(self._resource, asked, namespace, self._state.cluster)
        return self.explain()

    def _known_field_selectors(self) -> Mapping[str, bool]:
        from . import session as sessions

        session = self._state.session or sessions._default  # explain() makes no default session
        return {} if session is None else session._field_selectors_known(self._resource, self._state.cluster)

    def selection(self) -> Selection[M]:
        """The query's selection, resolved (no I/O): what a cache needs to run it in memory."""
        state = self._state
        return Selection(
            namespaces=state.namespaces,
            where=resolve_all(self.model, state.where),
            field_terms=state.fields,
            sort_key=sort_key(self.model, state.order) if state.order else None,
            start=state.start,
            stop=state.stop,
            getter=lambda name: getter(self.model, name),
        )

    # -- running (I/O) ------------------------------------------------------------------

    def __iter__(self) -> Iterator[M]:
        """The matching objects, fetched page by page as the iteration goes (memory: one page).

        Raises:
            Gone: the list's snapshot expired after some objects were handed out (a loop slower
                than the server keeps continue tokens, ~5 min): iterate again, use :meth:`all`,
                or :meth:`allow_inconsistent`.
        """
        return itertools.chain.from_iterable(iterate(self._batches()))

    async def _batches(self) -> AsyncGenerator[list[M], None]:
        """The matching objects, a page at a time (an object at a time would cost a coroutine step each)."""
        if self._state.order:
            yield await self._all()  # sorting needs every object first: one snapshot
            return
        plan = await self._plan()
        pager = self._client().pager(self._page_size(plan), inconsistent=self._state.inconsistent)
        async with contextlib.aclosing(self._selected(plan, pager)) as batches:
            async for batch in batches:
                yield batch

    def all(self) -> list[M]:
        """Every matching object, as a list: one consistent snapshot of the server's state.

        Every page (and every namespace) is read at the resourceVersion of the first; if the
        server forgets it midway (410 Gone), the list is read again unpaged, as client-go's
        ListPager does, never mixing two states. (Objects named in the filter are each read
        by a GET of their own.)
        """
        return run(self._all())

    async def _all(self) -> list[M]:
        return await self._consistently(lambda batch: batch)

    def first(self) -> M | None:
        """The first matching object, or None."""
        return run(self._first())

    async def _first(self) -> M | None:
        async with contextlib.aclosing(self[:1]._batches()) as batches:
            async for batch in batches:
                if batch:
                    return batch[0]
        return None

    def exists(self) -> bool:
        """True when at least one object matches."""
        return self.first() is not None

    def count(self) -> int:
        """How many objects match; a single small request when the server does all the filtering."""
        return run(self._count())

    async def _count(self) -> int:
        state = self._state
        plan = await self._plan()
        if plan.fully_pushed and plan.names is None and not plan.empty and not plan.label_terms and not plan.field_terms:
            client = self._client()
            namespaces = plan.namespaces if plan.namespaces is not None else (None,)
            total = sum([await client.count(namespace) for namespace in namespaces])
            remaining = max(0, total - state.start)
            return remaining if state.stop is None else min(remaining, state.stop - state.start)
        return sum(await self._consistently(lambda batch: [len(batch)]))

    def get(self, name: str, namespace: str | None = None) -> M | None:
        """The object called ``name``, or None when there is none (as in pykorm); see :meth:`get_or_raise`.

        Raises:
            CRDNotInstalled: the server does not serve the model's kind at all.
            ClientValidationError: ``name`` or ``namespace`` is not a valid name (nothing is sent).
        """
        return run(self._get(name, namespace))

    async def _get(self, name: str, namespace: str | None = None) -> M | None:
        try:
            return await self._get_or_raise(name, namespace)
        except CRDNotInstalled:
            raise  # not "no such object": the kind itself is missing
        except NotFound:
            return None

    def get_or_raise(self, name: str, namespace: str | None = None) -> M:
        """The object called ``name`` (one GET), if it also matches the query's filters.

        Raises:
            NotFound: no such object, or it does not match the filters.
            ClientValidationError: a namespaced model and no single namespace (argument or ``.namespace()``).
        """
        return run(self._get_or_raise(name, namespace))

    async def _get_or_raise(self, name: str, namespace: str | None = None) -> M:
        resource = self._resource
        path_segment(name, "metadata.name", path_only=resource.free_form_names, what=f"{self.model.__name__} get")
        if namespace is not None:
            path_segment(namespace, "metadata.namespace", label=True, what=f"{self.model.__name__} get")
        if resource.namespaced and namespace is None:
            chosen = self.explain().namespaces  # from .namespace() or a namespace filter
            if chosen is None or len(chosen) != 1:
                raise ClientValidationError(
                    f"{self.model.__name__} is namespaced: say which namespace to get {name!r} from, "
                    f"with get({name!r}, namespace=...) or .namespace(...).get({name!r})",
                    causes=(FieldError("metadata.namespace", "Required value", "FieldValueRequired"),),
                )
            namespace = chosen[0]
        query = self.filter(name=name)
        if namespace is not None:
            query = query._chain(namespaces=(namespace,))
        found = await query._chain(start=0, stop=None, order=())._first()
        if found is None:
            where = f" in namespace {namespace!r}" if namespace else ""
            raise NotFound(f"{self.model.__name__} {name!r}{where} not found (or it does not match the query)", status=404)
        return found

    def values(self, *names: str) -> list[dict[str, Any]]:
        """Each matching object as a dict of the named values: attributes, lookups or dotted JSON paths.

        >>> Peach.query.values("name", "spec.variety")
        [{'name': 'cake-peach', 'spec.variety': 'Frost'}]
        """
        return run(self._values(names))

    async def _values(self, names: tuple[str, ...]) -> list[dict[str, Any]]:
        getters = [(n, getter(self.model, n)) for n in names]
        return await self._consistently(lambda batch: [{n: g(obj) for n, g in getters} for obj in batch])

    def pluck(self, name: str) -> list[Any]:
        """The named value (attribute, lookup or dotted JSON path) of each matching object."""
        return run(self._pluck(name))

    async def _pluck(self, name: str) -> list[Any]:
        read = getter(self.model, name)
        return await self._consistently(lambda batch: [read(obj) for obj in batch])

    def cached(self, timeout: float | None = 60.0) -> CachedQuery[M]:
        """This query on the session's cache of the model (:meth:`Pykorm.cache`): no request once synced.

        The first call lists and starts watching the query's namespace (all namespaces when it
        names none or several); later ones read memory, kept current by the watch.

        >>> Peach.query.namespace("shop").filter(price__gt=2).cached().all()
        """
        from .session import Pykorm, default_session

        state = self._state
        session = state.session or default_session()
        if not isinstance(session, Pykorm):
            raise TypeError("cached() keeps an informer thread: it needs a blocking session (pykorm.Pykorm)")
        namespaces = state.namespaces
        one = namespaces[0] if namespaces is not None and len(namespaces) == 1 else None
        informer = session.cache(self.model, one, cluster=state.cluster, timeout=timeout)
        return informer.cached(self)

    # -- bulk (I/O) ---------------------------------------------------------------------

    def delete(self, *, propagation_policy: str | None = None, dry_run: bool = False) -> BulkResult[M]:
        """Delete every matching object: one ``deletecollection`` per namespace when the server does all
        the filtering, else one DELETE per object. See :class:`BulkError` for partial failures."""
        return run(self._delete(propagation_policy, dry_run))

    async def _delete(self, propagation_policy: str | None, dry_run: bool) -> BulkResult[M]:

        state = self._state
        whole = not state.order and state.start == 0 and state.stop is None
        return await delete_matching(
            self._client(), self.model, await self._plan(), whole, self._all,
            propagation_policy=propagation_policy, dry_run=dry_run,
        )

    def update(self, **values: Any) -> BulkResult[M]:
        """Set these attributes on every matching object and save each (retrying on conflicts)."""
        return run(self._update(assign(values)))

    def label(self, **labels: str | None) -> BulkResult[M]:
        """Set (or, with None, remove) these labels on every matching object (K8Kat's ``tag_each``)."""
        return run(self._update(merge_labels(labels)))

    def annotate(self, **annotations: str | None) -> BulkResult[M]:
        """Set (or, with None, remove) these annotations on every matching object."""
        return run(self._update(merge_annotations(annotations)))

    async def _update(self, mutate: Callable[[M], object]) -> BulkResult[M]:

        return await update_matching(self._client(), self._all, mutate)

    # -- watch (I/O) ----------------------------------------------------------------------

    def watch(
        self, timeout: float | None = None, *, initial: bool = False, silence: float = 45.0
    ) -> Iterator[WatchEvent[M]]:
        """Yield each change to the matching objects as a ``WatchEvent(type, obj)``.

        Resumes after a dropped connection from the last resourceVersion seen, and relists
        after a 410 Gone, without duplicates or lost changes. An object that stops matching
        a Python-side filter is reported ``DELETED``, one that starts matching ``ADDED``,
        as the server does for selectors.

        Args:
            timeout: seconds after which the iteration ends (None: never).
            initial: first yield an ``ADDED`` event for each object that matches now.
            silence: seconds without a byte (not even a bookmark) after which the connection
                is presumed dead and the watch resumes on a new one (see :mod:`pykorm._session.watch`).

        Raises:
            ServerUnavailable: no stream could be kept open for 5 minutes.
        """
        return iterate(self._watch(timeout, initial, silence))

    async def _watch(self, timeout: float | None, initial: bool, silence: float) -> AsyncGenerator[WatchEvent[M], None]:
        from .watch import watch

        plan = await self._plan()
        events = watch(self._client(), self.model, plan, timeout=timeout, initial=initial, silence=silence)
        async with contextlib.aclosing(events):
            async for event in events:
                yield event

    def wait_until(
        self, condition: Callable[[list[M]], bool], timeout: float = 60.0
    ) -> list[M]:
        """Block until ``condition`` holds for the list of matching objects; return that list.

        Raises:
            WaitTimeout: ``timeout`` seconds passed; ``last`` holds the last list seen.
        """
        return run(self._wait_until(condition, timeout))

    async def _wait_until(self, condition: Callable[[list[M]], bool], timeout: float) -> list[M]:
        from .watch import wait_until

        return await wait_until(self._client(), self.model, await self._plan(), condition, timeout)

    # -- helpers --------------------------------------------------------------------------

    @property
    def _resource(self) -> ResourceType:
        return resource_of(self.model)

    def _client(self) -> ResourceClient:
        """The client that makes this query's requests, through its session (or the default one)."""
        from .session import default_session

        return ResourceClient(self._state.session or default_session(), self._resource, self._state.cluster)

    def _require_namespaced(self, what: str) -> None:
        if not self._resource.namespaced:
            raise ClientValidationError(f"{self.model.__name__} is cluster-scoped: {what} does not apply to it")

    def _page_size(self, plan: Plan) -> int:
        """Objects per request: no more than a slice needs when the server does all the filtering."""
        state = self._state
        if state.stop is not None and not state.order and plan.python is None:
            return max(1, min(state.page_size, state.stop))
        return state.page_size

    async def _consistently(self, use: Callable[[list[M]], list[T]]) -> list[T]:
        """``use`` applied to each batch of selected objects of one snapshot, the results joined (a batch is
        dropped once used: counting keeps no object). See :func:`pykorm._session.pager.consistent`."""
        plan = await self._plan()

        async def read(pager: Pager) -> list[T]:
            found: list[T] = []
            with full_gc_held_off():  # no user code runs until the list is complete: see pykorm._base.gc
                async with contextlib.aclosing(self._selected(plan, pager)) as batches:
                    async for batch in batches:
                        found += use(batch)
            return found

        return await self._client().consistently(read, self._page_size(plan), inconsistent=self._state.inconsistent)

    async def _selected(self, plan: Plan, pager: Pager) -> AsyncGenerator[list[M], None]:
        """The plan's objects, ordered and sliced as the query says, in batches (pages)."""
        state = self._state
        if state.stop is not None and state.stop <= state.start:
            return
        async with contextlib.aclosing(self._objects(plan, pager)) as found:
            batches: AsyncGenerator[list[M], None] = found
            if state.order:
                everything = [obj async for batch in found for obj in batch]
                batches = _replay([sorted(everything, key=sort_key(self.model, self._state.order))])
            seen = 0  # objects before this batch
            async for batch in batches:
                start = max(0, state.start - seen)
                stop = None if state.stop is None else state.stop - seen
                seen += len(batch)
                kept = batch[start:stop]
                if kept:
                    yield kept
                if state.stop is not None and seen >= state.stop:
                    return

    async def _objects(self, plan: Plan, pager: Pager) -> AsyncGenerator[list[M], None]:
        """Every object the plan selects, filtered in Python where it says so, a page (or a GET) at a time."""
        if plan.empty:
            return
        resource, cluster, python, client = self._resource, self._state.cluster, plan.python, self._client()
        namespaces: tuple[str | None, ...] = plan.namespaces if plan.namespaces is not None else (None,)
        if plan.names is not None:
            for namespace in namespaces:
                for name in plan.names:
                    raw = await client.get(namespace, name)
                    if raw is not None and (python is None or python.matches(raw)):
                        yield [client.hydrate(self.model, raw)]
            return
        params = {"labelSelector": plan.label_selector, "fieldSelector": plan.field_selector}
        wrap, session = self.model._from_server, client.session
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

    def __repr__(self) -> str:
        return f"<Query {self.model.__name__}: {str(self.explain()).replace(chr(10), '; ')}>"


async def _replay(items: Iterable[T]) -> AsyncGenerator[T, None]:
    for item in items:
        yield item
