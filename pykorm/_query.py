"""Queries: immutable, chainable descriptions of a list, run only when iterated.

    >>> Peach.query.filter_by(namespace="default", variety="Frost").first()

Each refining method returns a new query; the original is unchanged, so a
query can be kept and refined in several ways. What the API server can select
(namespace, name, labels, fields) is sent to it; other attribute filters run in
Python on the streamed pages.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Generic, Iterator, Mapping, TypeVar

from ._errors import ClientValidationError, FieldError, NotFound
from ._resource import resource_of
from ._selectors import Term, field_selector, label_selector

if TYPE_CHECKING:
    from ._models import Model
    from ._session import Pykorm

__all__ = ["Query"]

M = TypeVar("M", bound="Model")


@dataclasses.dataclass(frozen=True)
class _State:
    cluster: str | None = None
    session: Pykorm | None = None
    namespaces: tuple[str, ...] = ()  # none: every namespace
    labels: tuple[Term, ...] = ()
    fields: tuple[Term, ...] = ()
    attributes: tuple[tuple[str, Any], ...] = ()  # evaluated in Python
    page_size: int = 500


class Query(Generic[M]):
    """A lazy query over the objects of one model; iterate it, or call ``all``/``first``/``get``."""

    __slots__ = ("model", "_state")

    def __init__(self, model: type[M], state: _State | None = None) -> None:
        self.model = model
        self._state = state or _State()

    def _chain(self, **changes: Any) -> Query[M]:
        return Query(self.model, dataclasses.replace(self._state, **changes))

    # -- refining (no I/O) ----------------------------------------------------------

    def using(self, cluster: str) -> Query[M]:
        """The same query on the named cluster (see ``Pykorm.clusters_config``)."""
        return self._chain(cluster=cluster)

    def session(self, session: Pykorm) -> Query[M]:
        """The same query through ``session`` instead of the default one."""
        return self._chain(session=session)

    def namespace(self, *names: str) -> Query[M]:
        """Only objects in these namespaces."""
        self._require_namespaced("namespace()")
        return self._chain(namespaces=tuple(dict.fromkeys(names)))

    ns = namespace

    def all_namespaces(self) -> Query[M]:
        """Objects in every namespace (the default when none is chosen)."""
        return self._chain(namespaces=())

    def page_size(self, size: int) -> Query[M]:
        """Fetch ``size`` objects per request while iterating (default 500)."""
        if size < 1:
            raise ValueError("page_size must be at least 1")
        return self._chain(page_size=size)

    def filter_by(self, **attributes: Any) -> Query[M]:
        """Objects whose attributes equal these values; ``name`` and ``namespace`` are selected by the server.

        Raises:
            ClientValidationError: an attribute the model does not have (the message lists them).
        """
        query = self
        fields = self.model._fields
        for attribute, value in attributes.items():
            if attribute == "namespace" and self._namespaced:
                query = query._chain(namespaces=(value,))
            elif attribute == "name":
                query = query._chain(fields=query._state.fields + (("metadata.name", "=", (str(value),)),))
            elif attribute in fields:
                query = query._chain(attributes=query._state.attributes + ((attribute, value),))
            else:
                choices = ", ".join(sorted(fields))
                raise ClientValidationError(
                    f"cannot resolve {attribute!r} on {self.model.__name__}; choices are: {choices}",
                    causes=(FieldError(attribute, "unknown field"),),
                )
        return query

    def filter_by_labels(self, labels: Mapping[str, str] | None = None, /, **more: str) -> Query[M]:
        """Objects carrying these labels (label selector ``key=value``); keys with dots go in the dict."""
        terms = tuple((k, "=", (str(v),)) for k, v in {**(labels or {}), **more}.items())
        return self._chain(labels=self._state.labels + terms)

    def filter_by_fields(self, fields: Mapping[str, str] | None = None, /, **more: str) -> Query[M]:
        """Objects whose fields equal these values (field selector): ``{"metadata.name": "a"}`` or ``metadata__name="a"``."""
        terms = tuple((k.replace("__", "."), "=", (str(v),)) for k, v in {**(fields or {}), **more}.items())
        return self._chain(fields=self._state.fields + terms)

    # -- running (I/O) ---------------------------------------------------------------

    def __iter__(self) -> Iterator[M]:
        state = self._state
        session = self._session()
        resource = resource_of(self.model)
        params: dict[str, Any] = {
            "labelSelector": label_selector(state.labels),
            "fieldSelector": field_selector(state.fields),
            "limit": state.page_size,
        }
        attributes = state.attributes
        for namespace in state.namespaces or (None,):
            path = resource.path(namespace)
            token = None
            while True:
                page = session.request(resource, "GET", path, state.cluster, params={**params, "continue": token})
                items = page.get("items") or ()
                if items and "kind" not in items[0]:  # built-in kinds omit it in lists
                    for item in items:
                        item["apiVersion"], item["kind"] = resource.api_version, resource.kind
                for item in items:
                    obj = self.model._from_server(item, state.cluster)
                    if not attributes or all(getattr(obj, a) == v for a, v in attributes):
                        yield obj
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    break

    def all(self) -> list[M]:
        """Every matching object, as a list."""
        return list(self)

    def first(self) -> M | None:
        """The first matching object, or None; fetches one page at most when the server does all the filtering."""
        query = self if self._state.attributes else self.page_size(1)
        return next(iter(query), None)

    def count(self) -> int:
        """How many objects match."""
        return sum(1 for _ in self)

    def exists(self) -> bool:
        """True when at least one object matches."""
        return self.first() is not None

    def get(self, name: str, namespace: str | None = None) -> M | None:
        """The object called ``name``, or None when there is none (as in pykorm); see :meth:`get_or_raise`."""
        try:
            return self.get_or_raise(name, namespace)
        except NotFound:
            return None

    def get_or_raise(self, name: str, namespace: str | None = None) -> M:
        """The object called ``name``, fetched with one GET.

        Raises:
            NotFound: no such object (or it does not match the query's filters).
            ClientValidationError: a namespaced model and no namespace (argument or ``.namespace()``).
        """
        state = self._state
        if self._namespaced and namespace is None:
            if len(state.namespaces) != 1:
                raise ClientValidationError(
                    f"{self.model.__name__} is namespaced: say which namespace to get {name!r} from, "
                    f"with get({name!r}, namespace=...) or .namespace(...).get({name!r})",
                    causes=(FieldError("metadata.namespace", "Required value", "FieldValueRequired"),),
                )
            namespace = state.namespaces[0]
        obj = self._session().get(self.model, name, namespace, state.cluster)
        if not self._matches(obj):
            raise NotFound(f"{self.model.__name__} {name!r} exists but does not match the query", status=404)
        return obj

    # -- helpers ---------------------------------------------------------------------

    @property
    def _namespaced(self) -> bool:
        return resource_of(self.model).namespaced

    def _require_namespaced(self, what: str) -> None:
        if not self._namespaced:
            raise ClientValidationError(f"{self.model.__name__} is cluster-scoped: {what} does not apply to it")

    def _session(self) -> Pykorm:
        from ._session import default_session

        return self._state.session or default_session()

    def _matches(self, obj: M) -> bool:
        state = self._state
        if not all(getattr(obj, a) == v for a, v in state.attributes):
            return False
        labels = obj._raw.get("metadata", {}).get("labels") or {}
        for key, _, values in state.labels:
            if labels.get(key) != values[0]:
                return False
        return True

    def __repr__(self) -> str:
        return f"<Query {self.model.__name__} {self._state}>"
