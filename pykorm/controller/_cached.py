"""Queries on an informer's store: the same lookups, ``Q`` trees and ordering as ``Model.query``, no request.

    >>> cache.query.filter(spec__replicas__gte=2, labels__tier="web").order_by("name").all()

A :class:`CachedQuery` wraps a :class:`pykorm.Query` for its refining methods (they check
the lookups as ever) and runs it on the store: the planner's namespaces, names and owner
narrow the candidates through the store's keys and indexes, then the whole resolved filter
(label and field terms included, which the server would have evaluated) runs on each
object's JSON, and the order sorts the JSON too. Only the objects handed out are made, each
holding the store's JSON until it needs its own copy (:meth:`pykorm.Stored._from_store`:
reading scalar fields copies nothing; a change, a container read or a save copies first), so
filtering 20,000 objects, ``count()`` and ``exists()`` allocate nothing per object. A query of
an informer's cache runs only while the informer keeps it current (:meth:`Informer.check`).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, TypeVar, overload

from .._base.errors import ClientValidationError, NotFound
from .._base.names import path_segment
from .._base.paths import MISSING, get_path
from .._session.query import Query, Selection
from .._session.query_view import QueryView
from .._http.resource import resource_of
from .._select.compiled import compiled
from .._select.ordering import getters, json_sort_key
from .._select.selectors import Term
from ._store import Raw, Store, key_of

if TYPE_CHECKING:
    from .._session.io import SessionIO
    from .._data.stored import Stored
    from ..models._model import Model

__all__ = ["CachedQuery"]

M = TypeVar("M", bound="Stored")


class Keeper(Protocol):
    """What a cached query uses of the informer keeping its store current (:class:`pykorm.controller.Informer`,
    which imports this module)."""

    @property
    def session(self) -> SessionIO: ...

    @property
    def store(self) -> Store: ...

    @property
    def namespace(self) -> str | None: ...

    @property
    def selector(self) -> dict[str, str]: ...

    def check(self) -> None: ...


class CachedQuery(QueryView[M]):
    """A query run on a cache's objects (see :class:`pykorm.Query` for each method's meaning)."""

    __slots__ = ("_store", "_cluster", "_owner", "_informer", "_selection")

    def __init__(self, query: Query[M], store: Store, cluster: str | None = None, owner: str | None = None, *,
                 informer: Keeper | None = None) -> None:
        super().__init__(query)
        self._store = store
        self._cluster = cluster
        self._owner = owner
        self._informer = informer  # checked before each run: a stopped informer's store is not answered from
        self._selection: tuple[Selection[M], Callable[[], Callable[[Raw], bool]], Callable[[Raw], Any] | None] | None = None

    def _refined(self, query: Query[M], owner: str | None = None) -> CachedQuery[M]:
        return CachedQuery(query, self._store, self._cluster, owner or self._owner, informer=self._informer)

    # -- refining (QueryView's, as Query), and by owner ------------------------------------

    def owned_by(self, owner: Model) -> CachedQuery[M]:
        """The objects ``owner`` owns, found through the store's owner index."""
        return self._refined(self.query.owned_by(owner), owner=owner.uid)

    @overload
    def __getitem__(self, index: int) -> M: ...
    @overload
    def __getitem__(self, index: slice) -> CachedQuery[M]: ...

    def __getitem__(self, index: int | slice) -> M | CachedQuery[M]:
        if isinstance(index, int):
            if index < 0:
                raise ClientValidationError("negative indexes are not supported")
            found = list(self[index : index + 1])
            if not found:
                raise IndexError(f"{self.query.model.__name__} cached query index {index} out of range")
            return found[0]
        return self._refined(self.query[index])

    # -- running (memory) ----------------------------------------------------------------

    def __iter__(self) -> Iterator[M]:
        return iter(self.all())

    def all(self) -> list[M]:
        """Every matching object, each a copy of the cached one (change and save it freely): made on first use."""
        return self._handed_out(self._selected())

    def first(self) -> M | None:
        found = self._handed_out(self[:1]._selected())
        return found[0] if found else None

    def exists(self) -> bool:
        return bool(self[:1]._selected())

    def count(self) -> int:
        return len(self._selected())

    def __len__(self) -> int:
        return self.count()

    def get(self, name: str, namespace: str | None = None) -> M | None:
        """The cached object called ``name`` that matches the query, or None (see :meth:`Query.get`)."""
        try:
            return self.get_or_raise(name, namespace)
        except NotFound:
            return None

    def get_or_raise(self, name: str, namespace: str | None = None) -> M:
        """As :meth:`get`, raising :class:`NotFound` instead of returning None."""
        resource = resource_of(self.query.model)
        what = f"{self.query.model.__name__} get"
        path_segment(name, "metadata.name", path_only=resource.free_form_names, what=what)  # refused as Query.get does
        if namespace is not None:
            path_segment(namespace, "metadata.namespace", label=True, what=what)
        namespaced = resource.namespaced
        query = self.query.filter(name=name, namespace=namespace) if namespace and namespaced else self.query.filter(name=name)
        if namespace is None and namespaced and len(query.explain().namespaces or ()) != 1:
            raise ClientValidationError(f"{query.model.__name__} is namespaced: say which namespace to get {name!r} from")
        query = type(query)(query.model, dataclasses.replace(query.state, start=0, stop=None, order=()))  # as Query.get
        found = self._refined(query)._selected()
        if not found:
            raise NotFound(f"{query.model.__name__} {name!r} not in the cache (or it does not match the query)", status=404)
        return self._handed_out(found)[0]

    def values(self, *names: str) -> list[dict[str, Any]]:
        readers = getters(self.query.model, names)
        return [{n: g(obj) for n, g in readers} for obj in self.all()]

    def pluck(self, name: str) -> list[Any]:
        getter = self.query.selection().getter(name)
        return [getter(obj) for obj in self.all()]

    if not TYPE_CHECKING:  # checkers see only what a cached query has
        def __getattr__(self, name: str) -> Any:
            if not name.startswith("_") and hasattr(Query, name):  # page(), delete(), watch()...: the server's
                raise AttributeError(
                    f"a cached query has no {name}(): it reads the cache's memory (all, first, get, count, exists, "
                    f"values, pluck, slices); run {name}() on the query itself ({self.query.model.__name__}.query...)",
                    name=name, obj=self)
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self)

    def __repr__(self) -> str:
        return f"<CachedQuery {self.query.model.__name__}: {str(self.query.explain()).replace(chr(10), '; ')}>"

    # -- internals -----------------------------------------------------------------------

    def _selected(self) -> list[Raw]:
        """The matching objects' JSON (the store's: not to be changed), ordered and sliced.

        Raises:
            CacheUnavailable: the informer is stopped or not synced (see :meth:`Informer.check`).
        """
        if self._informer is not None:
            self._informer.check()
        selection, compiled_where, order = self._resolved()
        terms = selection.field_terms
        found = self._candidates()
        if selection.where is not None:
            match = compiled_where() if len(found) >= _COMPILE_FROM else selection.where.matcher
            found = [raw for raw in found if match(raw)]
        if terms:
            found = [raw for raw in found if _fields_match(raw, terms)]
        found.sort(key=key_of)  # the server's order (by its keys): slices and order_by's ties as a server query's
        if order is not None:
            found.sort(key=order)
        return found[selection.start : selection.stop]

    def _handed_out(self, found: list[Raw]) -> list[M]:
        """Objects of the store's JSON ``found``, each making its own copy on first use (:meth:`Stored._from_store`)."""
        wrap, cluster, session = self.query.model._from_store, self._cluster, self._session
        return [wrap(raw, cluster, session) for raw in found]

    def _resolved(self) -> tuple[Selection[M], Callable[[], Callable[[Raw], bool]], Callable[[Raw], Any] | None]:
        """The query's selection, its filter compiled (made at the first call) and its order's key on the JSON:
        made once per query."""
        if self._selection is None:
            selection: Selection[M] = self.query.selection()
            where, order = selection.where, self.query.state.order
            self._selection = (selection, functools.cache(lambda: compiled(where)) if where is not None else _no_filter,
                               json_sort_key(self.query.model, order) if order else None)
        return self._selection

    def _candidates(self) -> list[Raw]:
        """The objects the plan's namespaces, names and the owner narrow the search to."""
        store = self._informer.store if self._informer is not None else self._store
        plan = self.query.explain()
        if plan.empty:
            return []
        held = self._informer.namespace if self._informer is not None else None
        if held is not None and plan.namespaces is not None and any(ns != held for ns in plan.namespaces):
            others = ", ".join(repr(ns) for ns in plan.namespaces if ns != held)
            raise ClientValidationError(f"{self.query.model.__name__} cached query: the informer holds namespace "
                                        f"{held!r} only, not {others} (an empty answer would be a guess); "
                                        "cache that namespace, or every namespace")
        wanted = self._informer.selector if self._informer is not None else {}
        if wanted:
            asked = {(key, tuple(values)) for key, op, values in plan.label_terms if op in ("=", "==", "in")}
            missing = {key: value for key, value in wanted.items() if (key, (value,)) not in asked}
            if missing:
                raise ClientValidationError(
                    f"{self.query.model.__name__} cached query: the informer holds only the objects labelled "
                    f"{wanted!r}, and the query does not ask for {missing!r} (its answer would leave out objects it "
                    "asks for); filter_by_labels(...) them, or cache without a selector")
        if self._owner is not None:
            owned = store.by_index("owner", self._owner)
            if plan.namespaces is None:
                return owned
            chosen = set(plan.namespaces)
            return [raw for raw in owned if (raw.get("metadata") or {}).get("namespace") in chosen]
        if plan.names is not None:
            namespaces = plan.namespaces if plan.namespaces is not None else (None,)
            keys = (f"{ns}/{name}" if ns else name for ns in namespaces for name in plan.names)
            return [raw for raw in (store.get(key) for key in keys) if raw is not None]
        if plan.namespaces is not None:
            if len(plan.namespaces) == 1 and store.count("namespace", plan.namespaces[0]) == len(store):
                return store.items()  # every object is in that namespace (an informer of it): no index walk
            return [raw for namespace in plan.namespaces for raw in store.by_index("namespace", namespace)]
        return store.items()

    @property
    def _session(self) -> SessionIO | None:
        """The session the objects handed out act through: the informer's (which read them), else the query's."""
        return self._informer.session if self._informer is not None else self.query.state.session


_COMPILE_FROM = 256  # objects to filter from which compiling the filter (some 100 µs) pays


def _no_filter() -> Callable[[Raw], bool]:
    raise AssertionError("no filter to compile")


def _fields_match(raw: Raw, terms: tuple[Term, ...]) -> bool:
    """The server's field-selector rules on the object's JSON: compare the value's text."""
    for key, op, values in terms:
        value = get_path(raw, tuple(key.split(".")))
        text = "" if value is MISSING or value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        equal = text in values
        if equal != (op in ("=", "==", "in")):
            return False
    return True
