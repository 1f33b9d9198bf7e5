"""Queries: immutable, chainable descriptions of a set of objects, run only when iterated.

    >>> Peach.query.ns("a", "b").filter(price__gt=2, labels__app="web").order_by("-price")[:10]

Each refining method returns a new query; the original is unchanged. Nothing is
sent until the query is iterated (or ``all``/``first``/``count``/``get``...).
The planner (:mod:`pykorm._select.plan`) sends what the API server can select and
checks the rest in Python on the streamed, paginated results; ``explain()``
shows the split.

A :class:`Query` is a :class:`~pykorm._session.statement.Statement` (the description: refining,
``explain``, no I/O) with the blocking running methods, each the coroutine of
:mod:`pykorm._session.running` driven to the end; ``pykorm.aio.AsyncQuery`` awaits the same coroutines.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar, overload

from .._base.drive import iterate, run
from .._base.errors import ClientValidationError
from .bulk import BulkResult, assign, merge_annotations, merge_labels
from .pages import Page
from . import running
from .statement import Selection, Statement

if TYPE_CHECKING:
    from ..controller import CachedQuery
    from .io import SessionIO
    from .._data.stored import Stored
    from .watch import WatchEvent

__all__ = ["Query", "Selection"]

M = TypeVar("M", bound="Stored")


class Query(Statement[M]):
    """A lazy query over the objects of one model."""

    __slots__ = ()

    @overload
    def __getitem__(self, index: int) -> M: ...
    @overload
    def __getitem__(self, index: slice) -> Query[M]: ...

    def __getitem__(self, index: int | slice) -> M | Query[M]:
        """``query[:10]`` is a query that stops fetching after 10 objects; ``query[3]`` is the fourth object."""
        if isinstance(index, int):
            if index < 0:
                raise ClientValidationError("negative indexes are not supported: the result size is not known")
            found = list(self[index : index + 1])
            if not found:
                raise IndexError(f"{self.model.__name__} query index {index} out of range")
            return found[0]
        return super().__getitem__(index)

    def _session(self, make: bool) -> SessionIO | None:
        """Its session, else the default one (made now if ``make``; ``explain()`` makes none)."""
        from . import session as sessions

        if self.state.session is not None:
            return self.state.session
        return sessions.default_session() if make else sessions._default

    # -- running (I/O): pykorm._session.running's coroutines, run to the end ----------------------

    def __iter__(self) -> Iterator[M]:
        """The matching objects, fetched page by page as the iteration goes (memory: one page).

        Raises:
            Gone: the list's snapshot expired after some objects were handed out (a loop slower
                than the server keeps continue tokens, ~5 min): iterate again, use :meth:`all`,
                or :meth:`allow_inconsistent`.
        """
        return itertools.chain.from_iterable(iterate(running.batches(self)))

    def all(self) -> list[M]:
        """Every matching object, as a list: one consistent snapshot of the server's state.

        Every page (and every namespace) is read at the resourceVersion of the first; if the
        server forgets it midway (410 Gone), the list is read again unpaged, as client-go's
        ListPager does, never mixing two states. (Objects named in the filter are each read
        by a GET of their own.)
        """
        return run(running.listed(self))

    def first(self) -> M | None:
        """The first matching object, or None."""
        return run(running.first(self))

    def exists(self) -> bool:
        """True when at least one object matches."""
        return self.first() is not None

    def count(self) -> int:
        """How many objects match; a single small request when the server does all the filtering."""
        return run(running.count(self))

    def get(self, name: str, namespace: str | None = None) -> M | None:
        """The object called ``name``, or None when there is none (as in pykorm); see :meth:`get_or_raise`.

        Raises:
            CRDNotInstalled: the server does not serve the model's kind at all.
            ClientValidationError: ``name`` or ``namespace`` is not a valid name (nothing is sent).
        """
        return run(running.get(self, name, namespace))

    def get_or_raise(self, name: str, namespace: str | None = None) -> M:
        """The object called ``name`` (one GET), if it also matches the query's filters.

        Raises:
            NotFound: no such object, or it does not match the filters.
            ClientValidationError: a namespaced model and no single namespace (argument or ``.namespace()``).
        """
        return run(running.get_or_raise(self, name, namespace))

    def values(self, *names: str) -> list[dict[str, Any]]:
        """Each matching object as a dict of the named values: attributes, lookups or dotted JSON paths.

        >>> Peach.query.values("name", "spec.variety")
        [{'name': 'cake-peach', 'spec.variety': 'Frost'}]
        """
        return run(running.values(self, names))

    def pluck(self, name: str) -> list[Any]:
        """The named value (attribute, lookup or dotted JSON path) of each matching object."""
        return run(running.pluck(self, name))

    def page(self, size: int, token: str | None = None) -> Page[M]:
        """One page of ``size`` objects at most, from ``token`` (a previous page's ``next_token``).

        Pages come in the server's order (by namespace and name), which the token walks: a query
        with ``order_by`` or a slice has no pages (sort or slice each page's ``items`` instead).

        Raises:
            ClientValidationError: a bad size or token, several namespaces, ``order_by`` or a slice (a ValueError).
            Gone: the server forgot the token.

        >>> page = Pod.query.namespace("shop").page(100)
        >>> page = Pod.query.namespace("shop").page(100, page.next_token)
        """
        return run(running.page(self, size, token))

    def cached(self, timeout: float | None = 60.0) -> CachedQuery[M]:
        """This query on the session's cache of the model (:meth:`Pykorm.cache`): no request once synced.

        The first call lists and starts watching the query's namespace (all namespaces when it
        names none or several); later ones read memory, kept current by the watch.

        >>> Peach.query.namespace("shop").filter(price__gt=2).cached().all()
        """
        from .session import Pykorm, default_session

        state = self.state
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
        return run(running.delete(self, propagation_policy, dry_run))

    def update(self, **values: Any) -> BulkResult[M]:
        """Set these attributes on every matching object and save each (retrying on conflicts)."""
        return run(running.update(self, assign(self.model, values)))

    def label(self, **labels: str | None) -> BulkResult[M]:
        """Set (or, with None, remove) these labels on every matching object (K8Kat's ``tag_each``)."""
        return run(running.update(self, merge_labels(labels)))

    def annotate(self, **annotations: str | None) -> BulkResult[M]:
        """Set (or, with None, remove) these annotations on every matching object."""
        return run(running.update(self, merge_annotations(annotations)))

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
            initial: first yield an ``ADDED`` event for each object that matches now (in the query's ``order_by``).
            silence: seconds without a byte (not even a bookmark) after which the connection
                is presumed dead and the watch resumes on a new one (see :mod:`pykorm._session.watch`).

        Raises:
            ServerUnavailable: no stream could be kept open for 5 minutes.
            ClientValidationError: the query has a slice (a stream has no first or tenth object).
        """
        return iterate(running.watch(self, timeout, initial, silence))

    def wait_until(
        self, condition: Callable[[list[M]], bool], timeout: float = 60.0
    ) -> list[M]:
        """Block until ``condition`` holds for the list of matching objects; return that list.

        The list is what :meth:`all` would give: the server's order (namespace, name), then
        ``order_by``, then the slice (``q.order_by("-name")[:1].wait_until(...)`` sees one object).

        Raises:
            WaitTimeout: ``timeout`` seconds passed; ``last`` holds the last list seen.
        """
        return run(running.wait_until(self, condition, timeout))
