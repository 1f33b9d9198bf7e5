"""The session: writes (save, apply, delete, status), reads by name, and the clusters they go to.

    >>> pk = Pykorm()
    >>> pk.save(Peach(namespace="default", name="cake-peach", variety="Frost"))

Every write sends what it must and no more (a merge patch of the changes, with
the ``resourceVersion`` read, so that a concurrent change raises
:class:`ConflictError` instead of being overwritten), then refreshes the object
from the server's answer. Also here: the default session (:func:`default_session`, :func:`session_of`)
and ``pk.cache``; the verbs beyond reads and writes are :mod:`pykorm._session.blocking_verbs`'s.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, ClassVar, Mapping, Sequence, TypeVar

from typing_extensions import Self

from .._http.clusters import ClusterConfig, ClusterSource
from .._http.hooks import EventHooks
from .blocking_verbs import BlockingVerbs
from .._base.drive import blocking, run
from .._http.resource import ResourceType, resource_of
from .._http.retry import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, RetryPolicy
from .._http.transport import Transport
from .._http.channels import ExecResult
from .._http.wsexec import run_exec

if TYPE_CHECKING:
    from .._data.stored import Stored
    from ..controller import Informer

__all__ = ["Pykorm", "default_session", "session_of", "set_default_session"]

M = TypeVar("M", bound="Stored")

_default: Pykorm | None = None
_default_lock = threading.Lock()


def default_session() -> Pykorm:
    """The session ``Model.query`` and ``obj.save()`` use.

    The rule: the last :class:`Pykorm` created (unless made with ``make_default=False``), or
    the one given to :func:`set_default_session`; when there is none yet, a new ``Pykorm()``
    is made from the kubeconfig (``$KUBECONFIG``, ``~/.kube/config``) or the pod's service
    account, so a script may start with ``Peach.query.all()``.
    """
    global _default
    session = _default
    if session is not None:
        return session
    with _default_lock:
        if _default is None:
            _default = Pykorm(make_default=False)  # reads no file yet: configuration loads on first request
        return _default


def session_of(obj: Stored, verb: str = "save") -> Pykorm:
    """The session ``obj`` acts through by itself (``obj.save()``, ``obj.owners()``...): the one that read,
    created or last saved it, so that its credentials and cluster are the ones it came from; the default
    session for an object never sent.

    Raises:
        TypeError: ``obj`` came from an async session (``pykorm.aio``), whose verbs are awaited: a blocking
            call cannot go through it, and going through the default session instead would use other
            credentials.
    """
    session = obj.__dict__.get("_session")
    if session is None:
        return default_session()
    if not isinstance(session, Pykorm):
        raise TypeError(
            f"{type(obj).__name__} {obj.name!r} was read through {type(session).__name__}, an async session: "
            f"`await pk.{verb}(obj)` on that session (obj.{verb}() blocks, and the default session would act "
            "with other credentials)")
    return session


def set_default_session(session: Pykorm | None) -> None:
    """Make ``session`` the default one (None: the next use makes a new ``Pykorm()``)."""
    global _default
    with _default_lock:
        _default = session


class Pykorm(BlockingVerbs):
    """A session: where objects are saved, applied, deleted and read.

    Args:
        kubeconfig: the kubeconfig file for the ``"default"`` cluster (else ``$KUBECONFIG``,
            ``~/.kube/config``, or the pod's service account).
        context: the kubeconfig context to use.
        clusters: named clusters besides ``"default"``, added to :attr:`clusters_config`.
        field_manager: the manager name for server-side apply and writes.
        make_default: serve ``Model.query`` and ``obj.save()`` from this session (as pykorm did).
        retries: when a request is sent again (throttled, refused, a read's connection broken):
            :class:`RetryPolicy`, client-go's rules by default; ``RetryPolicy.none()`` never retries.
        connect_timeout: seconds to connect and finish the TLS handshake (default 10).
        read_timeout: seconds to wait for an answer (default 60). Per call: :func:`pykorm.request_options`.
        event_hooks: ``{"request": [f, ...], "response": [g, ...]}``: each ``f`` is called with every
            request sent (a :class:`pykorm.Request`; retries too), each ``g`` with every answer (a
            :class:`pykorm.Response`), as httpx's hooks: for logging, metrics, tracing headers. What a
            hook raises propagates to the caller.
    """

    clusters_config: ClassVar[dict[str, ClusterSource]] = {}

    def __init__(
        self,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        *,
        clusters: Mapping[str, ClusterSource] | None = None,
        field_manager: str = "pykorm",
        make_default: bool = True,
        retries: RetryPolicy | None = None,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
        event_hooks: EventHooks | None = None,
    ) -> None:
        super().__init__(kubeconfig, context, {**type(self).clusters_config, **(clusters or {})}, field_manager,
                         retries, connect_timeout, read_timeout, event_hooks)
        if make_default:
            set_default_session(self)

    # -- clusters -------------------------------------------------------------------

    def transport(self, cluster: str | None = None) -> Transport:
        """The connection pool to ``cluster`` (``"default"`` when None), made on first use."""
        return self._connection(cluster)[1]

    def close(self) -> None:
        """Stop the session's caches (:meth:`cache`) and close every connection pool."""
        self._close_caches()
        for _, transport in self._clusters.values():
            transport.close()
        self._clusters.clear()

    def __enter__(self) -> Self:
        """The session, closed on leaving the block: for a web app's lifespan or a script's ``main``.

        >>> with Pykorm() as pk:
        ...     pk.save(peach)
        """
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # The I/O of SessionCore's coroutines: blocking, so that they never suspend (pykorm._base.drive).

    def _make_transport(self, config: ClusterConfig) -> Transport:
        return Transport(config.configuration, **self._transport_options)

    async def _send(self, cluster: str | None, method: str, path: str, **kwargs: Any) -> Any:
        return self.transport(cluster).request(method, path, **kwargs)

    def _stream(self, cluster: str | None, path: str, params: dict[str, Any], silence: float | None,
                raw: bool = False, opened: Callable[[Any], object] | None = None,
                deadline: float | None = None) -> AsyncGenerator[Any, None]:
        return blocking(self.transport(cluster).stream(path, params=params, timeout=silence, raw=raw, opened=opened,
                                                       deadline=deadline))

    async def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def _channels(self, cluster: str | None, path: str, query: str, stdin: bytes | None,
                        deadline: float | None) -> ExecResult:
        return run_exec(self.transport(cluster), path, query, stdin, deadline)

    def request(self, resource: ResourceType, method: str, path: str, cluster: str | None = None, **kwargs: Any) -> Any:
        """One request about ``resource``; a 404 for the resource type itself raises :class:`CRDNotInstalled`."""
        return run(self._request(resource, method, path, cluster, **kwargs))

    def serves(self, resource: ResourceType, name: str, cluster: str | None = None) -> bool:
        """True when the server lists ``name`` (``peaches/status``...) in the resource's group version."""
        return run(self._serves(resource, name, cluster))

    def served_schema(self, resource: ResourceType, cluster: str | None = None) -> dict[str, Any] | None:
        """The schema the API server enforces for a custom resource's objects, or None when unknown.

        Read from its CustomResourceDefinition where the credentials may read it, else from the
        server's OpenAPI v3 document of the group version (readable by every authenticated user,
        published a moment after the CRD); for CRDs this session installed from models, the schema
        pykorm generated. Kept for five minutes (an unknown schema for a few seconds). None for
        built-in kinds and when neither can be read.
        """
        return run(self._served_schema(resource, cluster))

    def install_crds(self, *models_or_manifests: Any, cluster: str | None = None, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Create or update CustomResourceDefinitions and wait until the server serves them.

        Each argument is a model class (its CRD is generated: :func:`pykorm.crds`; models of
        one resource become its versions), a CRD dict or the path of a YAML/JSON file.
        Returns the CRDs as stored.

        Raises:
            TypeError: a model cannot be mapped to a CRD (the message names Stored.field).
            CRDNotEstablished: a CRD was not served within ``timeout`` (its conditions are quoted).
            ValidationError: the API server refused a CRD; the message names it and quotes the reason.

        >>> pk.install_crds(Peach, "crds/apples.example.com.yaml")
        """
        return run(self._install_crds(models_or_manifests, cluster, timeout))

    def uninstall_crds(self, *models_or_names: Any, cluster: str | None = None, timeout: float = 60.0) -> list[str]:
        """Delete CustomResourceDefinitions (and so every object of theirs) and wait until they are gone.

        Each argument is a model class (its generated CRD's name), a CRD name (``peaches.example.com``),
        a CRD dict or the path of a YAML/JSON file: the inverse of :meth:`install_crds`. A CRD that does
        not exist is no error. Returns the names of those that existed.

        Raises:
            WaitTimeout: a CRD was still there, or still served, after ``timeout`` seconds (``last``: it).
            ClientValidationError: an argument is none of these. Forbidden: as the server answers.

        >>> pk.uninstall_crds(Peach)
        ['peaches.pykorm.infomaniak.com']
        """
        return run(self._uninstall_crds(models_or_names, cluster, timeout))

    def as_service_account(self, name: str, namespace: str | None = None, *, cluster: str | None = None,
                           expiration_seconds: int = 3600, audiences: Sequence[str] | None = None) -> Pykorm:
        """A new session on this session's cluster acting as the ServiceAccount ``name`` (RBAC as the account's).

        Its only credential is a token from the TokenRequest API, asked for with this session's
        credentials (``create`` on ``serviceaccounts/token``) and asked for again once 80 % of its
        ``expiration_seconds`` have passed; no client certificate of this session goes with it. Its
        default namespace is the account's (``namespace``, else this session's). It is never the default
        session; close it when done.

        Raises:
            NotFound: no such ServiceAccount. Forbidden: this session may not ask for its token.
            ClientValidationError: an invalid name, or ``expiration_seconds`` under 600 (the server's minimum).

        >>> shop = pk.as_service_account("shop", "shop")
        >>> shop.get(Secret, "db", "shop")       # Forbidden unless its RBAC allows
        """
        session = Pykorm(make_default=False, field_manager=self.field_manager, **self._transport_options)
        session._use_cluster(self._account(name, namespace, cluster, expiration_seconds, audiences))
        return session

    # -- reads -------------------------------------------------------------------------

    def get(self, model: type[M], name: str, namespace: str | None = None, cluster: str | None = None) -> M:
        """The object ``name`` of ``model``.

        Raises:
            NotFound: there is no such object. CRDNotInstalled: the resource type is not served.
        """
        return run(self._get(model, name, namespace, cluster))

    def refresh(self, obj: M, cluster: str | None = None) -> M:
        """Reload ``obj`` from the server, dropping unsaved changes; returns ``obj``."""
        return run(self._refresh(obj, cluster))

    def wait_for(
        self, obj: M, condition: Callable[[M | None], bool], timeout: float = 60.0, cluster: str | None = None
    ) -> M | None:
        """Block until ``condition`` holds for the object (None once it is deleted); return it.

        ``obj`` is refreshed with each state seen. A stored ``obj`` is that object (its uid): once another
        object holds its name (deleted and created again), the condition is told None, never the new one.

        Raises:
            WaitTimeout: ``timeout`` seconds passed; ``last`` is the last state seen.
        """
        return run(self._wait_for(obj, condition, timeout, cluster))

    # -- writes ------------------------------------------------------------------------

    def save(self, obj: M, cluster: str | None = None, *, dry_run: bool = False) -> M:
        """Create ``obj``, or send its changes since it was read; returns ``obj``, refreshed.

        A new object is created (:class:`AlreadyExists` if the name is taken: use :meth:`apply`
        to merge into an existing object). A stored one is patched with its changes and the
        ``resourceVersion`` it was read at. Status changes go through ``/status`` where the
        resource has that subresource. Nothing is sent when nothing changed.

        Raises:
            ClientValidationError: before any request, for missing or ill-typed fields.
            ConflictError: someone changed the object since it was read.
            ValidationError, AlreadyExists, Forbidden, CRDNotInstalled: as the server answers.
        """
        return run(self._save(obj, cluster, dry_run=dry_run))

    def save_status(self, obj: M, cluster: str | None = None, *, dry_run: bool = False) -> M:
        """Send only the changes of ``obj.status`` (through ``/status`` where served); returns ``obj``.

        Raises:
            ConflictError: someone changed the object since it was read.
        """
        return run(self._save_status(obj, cluster, dry_run=dry_run))

    def apply(
        self,
        obj: M,
        cluster: str | None = None,
        *,
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> M:
        """Server-side apply ``obj`` (create it, or merge the fields this manager owns); returns ``obj``.

        Sends every field the object sets except status and server-managed metadata.

        Raises:
            ConflictError: another manager owns a field being set (pass ``force=True`` to take it).
        """
        return run(self._apply(obj, cluster, field_manager, force, dry_run, warn_level=4))

    def delete(
        self,
        obj: Stored,
        cluster: str | None = None,
        *,
        dry_run: bool = False,
        propagation_policy: str | None = None,
        grace_period_seconds: int | None = None,
        wait: bool = False,
        timeout: float = 60.0,
    ) -> None:
        """Delete ``obj``; a stored object is deleted only if it is still the same object (its uid).

        Args:
            propagation_policy: ``Foreground``, ``Background`` or ``Orphan`` for its dependents.
            wait: return once the object is gone (its finalizers done; with ``Foreground``, its
                dependents deleted first), waiting at most ``timeout`` seconds.

        Raises:
            NotFound: it does not exist. ConflictError: the name now holds another object.
            WaitTimeout: still there after ``timeout`` seconds (with ``wait``).
        """
        run(self._delete(obj, cluster, dry_run=dry_run, propagation_policy=propagation_policy,
                         grace_period_seconds=grace_period_seconds, wait=wait, timeout=timeout))

    def update(
        self,
        obj: M,
        mutate: Callable[[M], object],
        retries: int = 10,
        cluster: str | None = None,
    ) -> M:
        """Apply ``mutate`` to ``obj`` and save; on a conflict re-read and try again, ``retries`` times.

        ``mutate`` must be safe to call again on a freshly read object.

        Raises:
            ConflictError: still conflicting after ``retries`` re-reads.
        """
        return run(self._update(obj, mutate, retries, cluster))

    # -- caches -----------------------------------------------------------------------------

    def cache(
        self, model: type[M], namespace: str | None = None, selector: Mapping[str, str] | None = None, *,
        cluster: str | None = None, timeout: float | None = 60.0,
    ) -> Informer[M]:
        """The session's informer of ``model`` (one per namespace, label selector and cluster), started and synced.

        ``pk.cache(Pod).query.filter(...)`` then runs on memory, kept current by a watch;
        ``Model.query....cached()`` is the same. :meth:`close` stops them (see :mod:`pykorm.controller`).
        It shares its list and watch with a ``Manager`` of this session caching the same objects (and
        never gets objects a transform slimmed: whole objects, as the server sends them).
        An informer stopped since (``informer.stop()``, :meth:`close`) or whose thread ended is replaced
        by a new one; queries made on the stopped one raise :class:`CacheUnavailable`.

        Raises:
            WaitTimeout: the first list did not complete within ``timeout`` seconds.
            CacheUnavailable: the new informer's thread ended before its first list.
        """
        from ..controller import Informer  # a layer up, on purpose: pk.cache's informers are the controller's

        resource_of(model)  # not a model: a TypeError here, not a thread that ends
        key = (model, namespace, frozenset((selector or {}).items()), cluster)
        with self._lock:
            caches: dict[Any, Any] = self.__dict__.setdefault("_caches", {})
            informer = caches.get(key)
            if informer is None or informer.stopped:  # never hand out a dead cache: a new informer instead
                informer = caches[key] = Informer(model, session=self, namespace=namespace, selector=selector,
                                                  cluster=cluster, shared=True).start()
        found: Informer[M] = informer.wait_synced(timeout)
        return found

    def _close_caches(self) -> None:
        with self._lock:
            caches: dict[Any, Any] = self.__dict__.pop("_caches", {})
        for informer in caches.values():
            informer.stop()
