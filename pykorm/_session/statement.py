"""A query's description: the immutable, chainable statement of a set of objects, and no I/O.

    >>> Peach.query.ns("a", "b").filter(price__gt=2, labels__app="web").order_by("-price")[:10]

:class:`Statement` holds a query's model and its :class:`QueryState` (namespaces, filters, field
selectors, order, slice, page size, cluster, session). Each refining method returns a new
statement; the original is unchanged. :meth:`Statement.explain` is the plan (:mod:`pykorm._select.plan`):
what the API server selects and what Python checks. Running it is another module's
(:mod:`pykorm._session.running`), as SQLAlchemy separates a statement from the session that
executes it: the running code reads a statement's ``model``, ``state`` and ``explain()``, never its
private members. :class:`pykorm.Query` is a statement with the blocking running methods.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Generic, Mapping, TypeVar

from typing_extensions import Self

from .._base.errors import ClientValidationError
from .._base.names import path_segment
from .._http.resource import ResourceType, resource_of
from .._select.conditions import Leaf, Node
from .._select.lookups import Q, label_condition, resolve, resolve_all
from .._select.ordering import getter, sort_key
from .._select.plan import Plan, make_plan
from .._select.selectors import Term, parse_label_selector

if TYPE_CHECKING:
    from .io import SessionIO
    from .._data.stored import Stored

__all__ = ["DEFAULT_PAGE_SIZE", "WHOLE_LIST_PAGE_SIZE", "QueryState", "Selection", "Statement", "known_field_selectors", "session_of_query"]

M = TypeVar("M", bound="Stored")
DEFAULT_PAGE_SIZE = 500
"""Objects per request while iterating: memory is bounded by a page (kubectl's and client-go's ListPager's size)."""
WHOLE_LIST_PAGE_SIZE = 5000
"""Objects per request when every object is read before anything is returned (``all()``, ``count()``, ``values()``,
sorting, bulk): the caller holds the whole list anyway, and each page costs ~1.4 ms of client CPU beyond its
objects (about 15% of a list of 2,000 in pages of 500: benchmarks/README.md); a page stays bounded for the server,
and its decode holds the GIL some 50 ms at most."""


@dataclasses.dataclass(frozen=True)
class QueryState:
    """A query's description, as data: what the code running it reads (tuples, so a copy is shallow)."""

    cluster: str | None = None
    session: SessionIO | None = None
    namespaces: tuple[str, ...] | None = None  # None: every namespace
    where: tuple[Q, ...] = ()  # AND-ed
    fields: tuple[Term, ...] = ()  # raw field-selector terms (filter_by_fields)
    order: tuple[str, ...] = ()
    start: int = 0
    stop: int | None = None
    page_size: int | None = None  # None: DEFAULT_PAGE_SIZE iterating, WHOLE_LIST_PAGE_SIZE for a whole list
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


class Statement(Generic[M]):
    """What a query selects, lazily: refined by copies, planned by :meth:`explain`, run elsewhere."""

    __slots__ = ("model", "state")

    def __init__(self, model: type[M], state: QueryState | None = None) -> None:
        self.model = model
        self.state = state or QueryState()
        """The description (frozen): what the code running the query reads."""

    def _session(self, make: bool) -> SessionIO | None:
        """See :func:`session_of_query` (a statement has no default session; :class:`pykorm.Query` has)."""
        return self.state.session

    def _chain(self, **changes: Any) -> Self:
        return type(self)(self.model, dataclasses.replace(self.state, **changes))

    # -- refining (no I/O) ------------------------------------------------------------

    def using(self, cluster: str) -> Self:
        """The same query on the named cluster (see ``Pykorm.clusters_config``)."""
        return self._chain(cluster=cluster)

    def session(self, session: SessionIO) -> Self:
        """The same query through ``session`` instead of the default one."""
        return self._chain(session=session)

    def namespace(self, *names: str) -> Self:
        """Only objects in these namespaces (each listed with its own requests)."""
        self._require_namespaced("namespace()")
        if not names:
            raise ClientValidationError("namespace() needs at least one namespace; use all_namespaces() for every one")
        for name in names:
            path_segment(name, "metadata.namespace", label=True, what=f"{self.model.__name__}.query.namespace()")
        return self._chain(namespaces=tuple(dict.fromkeys(names)))

    ns = namespace

    def all_namespaces(self) -> Self:
        """Objects in every namespace (the default when none is chosen)."""
        return self._chain(namespaces=None)

    def page_size(self, size: int) -> Self:
        """Fetch at most ``size`` objects per request (default: 500 while iterating, 5,000 for ``all()``,
        ``count()``, ``values()``, ``pluck()``, ``order_by`` and bulk operations, which read every object first)."""
        if size < 1:
            raise ClientValidationError("page_size must be at least 1")
        return self._chain(page_size=size)

    def allow_inconsistent(self) -> Self:
        """Let iteration go on past an expired continue token, mixing two snapshots.

        A list is otherwise one snapshot: ``all()`` (and ``count``, ``values``, ``pluck``,
        ``order_by``) lists again if its snapshot expires midway, and plain iteration raises
        :class:`Gone` once it has handed out objects. With this, the iteration goes on with
        the server's newer continue token instead: objects created or deleted meanwhile may be
        missed or listed, later pages may be newer than earlier ones. For long loops that must
        not start over.
        """
        return self._chain(inconsistent=True)

    def filter(self, *conditions: Q, **lookups: Any) -> Self:
        """Objects matching every lookup (``price__gt=2``, ``labels__app="web"``) and ``Q`` condition.

        Lookups of one call through the same list hold for the same element (chained calls: any
        element each), as Django's rule for multi-valued relations; see :mod:`pykorm._select.lookups`.

        Raises:
            ClientValidationError: an unknown attribute or operator (the message lists the choices).
        """
        q = Q(*conditions, **lookups)
        resolve(self.model, q)  # fail now, at the line that wrote the lookup
        return self._chain(where=self.state.where + (q,))

    def exclude(self, *conditions: Q, **lookups: Any) -> Self:
        """Objects not matching all of these lookups and conditions together: the complement of ``filter(...)``.

        Through a list, it drops the objects having one element that matches them all.
        """
        q = ~Q(*conditions, **lookups)
        resolve(self.model, q)
        return self._chain(where=self.state.where + (q,))

    def filter_by(self, **attributes: Any) -> Self:
        """Objects whose attributes equal these values (pykorm's ``filter_by``; see :meth:`filter`)."""
        return self.filter(**attributes)

    def filter_by_labels(self, labels: Mapping[str, str] | None = None, /, **more: str) -> Self:
        """Objects carrying these labels (``key=value``); keys with dots or slashes go in the dict.

        A key is a label key, never a lookup: ``filter_by_labels(has="x")`` is the label ``has``.
        """
        terms = [(str(k), "=", (str(v),)) for k, v in {**(labels or {}), **more}.items()]
        if not terms:
            return self
        return self._chain(where=self.state.where + (Q._node("and", tuple(label_condition(t) for t in terms)),))

    def selector(self, selector: str) -> Self:
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
        return self._chain(where=self.state.where + (Q._node("and", tuple(label_condition(t) for t in terms)),))

    def filter_by_fields(self, fields: Mapping[str, str] | None = None, /, **more: str) -> Self:
        """Objects selected by this field selector: ``{"metadata.name": "a"}`` or ``metadata__name="a"``."""
        terms = tuple((k.replace("__", "."), "=", (str(v),)) for k, v in {**(fields or {}), **more}.items())
        return self._chain(fields=self.state.fields + terms)

    def order_by(self, *keys: str) -> Self:
        """Sort by attributes or lookups (``"price"``, ``"-score__exterior"``); objects lacking a value come first.

        Sorting happens in Python, after every matching object is fetched.

        Raises:
            ClientValidationError: an unknown attribute, or a path through a list (an object has
                a value per element there, so it has no single place in the order).
        """
        sort_key(self.model, keys)  # checks each key
        return self._chain(order=tuple(keys))

    def __getitem__(self, index: slice) -> Self:
        """``query[:10]`` is a query that stops fetching after 10 objects."""
        state = self.state
        if not isinstance(index, slice):
            raise TypeError(f"a query's indices are integers or slices, not {type(index).__name__} {index!r:.60}")
        if not all(bound is None or isinstance(bound, int) for bound in (index.start, index.stop, index.step)):
            raise TypeError(f"a query's slice bounds are integers or None, not {index!r:.80}")
        if (index.start or 0) < 0 or (index.stop or 0) < 0 or index.step not in (None, 1):
            raise ClientValidationError("slices need non-negative bounds and no step")
        start = state.start + (index.start or 0)
        stop = state.stop
        if index.stop is not None:
            stop = state.start + index.stop if stop is None else min(stop, state.start + index.stop)
        return self._chain(start=start, stop=stop)

    # -- the plan ---------------------------------------------------------------------

    def owned_by(self, owner: Stored) -> Self:
        """The objects ``owner`` owns (an entry of their ``ownerReferences`` has its uid), in its namespace.

        Raises:
            ClientValidationError: ``owner`` is not saved (it has no uid).
        """
        if not hasattr(type(owner), "__resource__") or isinstance(owner, type):
            raise TypeError(f"owned_by() takes an object read from or saved to the cluster, not {type(owner).__name__} "
                            f"{owner!r:.60}")
        if not owner.uid:
            raise ClientValidationError(f"{type(owner).__name__} {owner.name}: an owner must be saved first (no uid)")
        query = self.filter(owner_references__uid=owner.uid)
        namespace = getattr(owner, "namespace", None)
        return query.namespace(namespace) if namespace and self._resource.namespaced else query

    def explain(self) -> Plan:
        """The plan: the namespaces, names and selectors sent, and the predicate left for Python.

        A field the model declares selectable (a CRD's ``selectable=True`` field, a built-in kind's
        ``selectable`` paths) is sent as a field selector only where the cluster serves one on it:
        which fields a kind serves changes between Kubernetes releases, so before a query first
        sends one, its session asks the cluster (once per field) and checks the field in Python
        where the cluster refuses it. ``explain()`` itself sends nothing: it shows what the session
        knows so far (before a field was first asked about, the declared push-down).
        """
        state = self.state
        resource = resource_of(self.model)
        expr = resolve_all(self.model, state.where)
        refused = {path for path, served in known_field_selectors(self).items() if not served}
        selectable = [f.path for f in self.model._fields.values() if f.selectable and ".".join(f.path) not in refused]
        return make_plan(
            expr,
            namespaced=resource.namespaced,
            namespaces=state.namespaces,
            selectable=selectable,
            extra_fields=state.fields,
            built_in_selectable=[tuple(p.split(".")) for p in resource.selectable if p not in refused],
        )

    def selection(self) -> Selection[M]:
        """The query's selection, resolved (no I/O): what a cache needs to run it in memory."""
        state = self.state
        return Selection(
            namespaces=state.namespaces,
            where=resolve_all(self.model, state.where),
            field_terms=state.fields,
            sort_key=sort_key(self.model, state.order) if state.order else None,
            start=state.start,
            stop=state.stop,
            getter=lambda name: getter(self.model, name),
        )

    @property
    def _resource(self) -> ResourceType:
        return resource_of(self.model)

    def _require_namespaced(self, what: str) -> None:
        if not self._resource.namespaced:
            raise ClientValidationError(f"{self.model.__name__} is cluster-scoped: {what} does not apply to it")

    def __repr__(self) -> str:
        return f"<Query {self.model.__name__}: {str(self.explain()).replace(chr(10), '; ')}>"


def known_field_selectors(statement: Statement[Any]) -> Mapping[str, bool]:
    """The field paths the statement's session (or the default one, if made) asked its cluster about so far:
    whether it serves a field selector on each (no I/O, and no default session is made)."""
    session = session_of_query(statement, make=False)
    return {} if session is None else session._field_selectors_known(resource_of(statement.model), statement.state.cluster)


def session_of_query(statement: Statement[Any], *, make: bool = True) -> SessionIO | None:
    """The session ``statement`` runs through: its own; for a :class:`pykorm.Query` without one, the default
    session (made now if ``make``, else None when there is none yet)."""
    return statement._session(make)
