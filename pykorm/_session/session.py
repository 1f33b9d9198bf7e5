"""The session: writes (save, apply, delete, status), reads by name, and the clusters they go to.

    >>> pk = Pykorm()
    >>> pk.save(Peach(namespace="default", name="cake-peach", variety="Frost"))

Every write sends what it must and no more (a merge patch of the changes, with
the ``resourceVersion`` read, so that a concurrent change raises
:class:`ConflictError` instead of being overwritten), then refreshes the object
from the server's answer.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, ClassVar, Iterator, Literal, Mapping, Sequence, TypeVar, overload

from typing_extensions import Self

from .._http.clusters import ClusterConfig, ClusterSource
from .._http.hooks import EventHooks
from .core import SessionCore
from .._base.drive import blocking, iterate, run
from .._http.resource import ResourceType
from .._http.retry import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, RetryPolicy
from .._http.transport import Transport
from . import verbs
from .._http.channels import ExecResult
from .._http.wsexec import run_exec
from .logstream import LogLine, LogStream
from .manifests import ManifestSource
from .subresources import Scale

if TYPE_CHECKING:
    from .._data.stored import Stored
    from ..controller import Informer
    from ..models._model import Model

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


class Pykorm(SessionCore[Transport]):
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

        ``obj`` is refreshed with each state seen.

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
        An informer stopped since (``informer.stop()``, :meth:`close`) or whose thread ended is replaced
        by a new one; queries made on the stopped one raise :class:`CacheUnavailable`.

        Raises:
            WaitTimeout: the first list did not complete within ``timeout`` seconds.
            CacheUnavailable: the new informer's thread ended before its first list.
        """
        from ..controller import Informer  # a layer up, on purpose: pk.cache's informers are the controller's

        key = (model, namespace, frozenset((selector or {}).items()), cluster)
        with self._lock:
            caches: dict[Any, Any] = self.__dict__.setdefault("_caches", {})
            informer = caches.get(key)
            if informer is None or informer.stopped:  # never hand out a dead cache: a new informer instead
                informer = caches[key] = Informer(model, session=self, namespace=namespace, selector=selector,
                                                  cluster=cluster).start()
        found: Informer[M] = informer.wait_synced(timeout)
        return found

    def _close_caches(self) -> None:
        with self._lock:
            caches: dict[Any, Any] = self.__dict__.pop("_caches", {})
        for informer in caches.values():
            informer.stop()

    # -- kinds ------------------------------------------------------------------------------

    def model_for(self, api_version: str, kind: str, cluster: str | None = None) -> type[Model]:
        """The model of ``kind`` in ``api_version``: pykorm.k8s's, the program's, else one made from discovery.

        Raises:
            NotFound: the server serves no such kind.
        """
        return run(verbs.model_for(self, api_version, kind, cluster))

    def resource(self, api_version: str, kind: str | None = None, *, cluster: str | None = None) -> type[Model]:
        """A model made at run time from discovery, for kinds nobody declared (made once per session).

        ``resource("apps/v1", "Deployment")``, or ``resource("widgets.example.com")`` (``<plural>.<group>``,
        its preferred version). Fields are plain JSON: lookups go inside as dict paths.

        Raises:
            NotFound: the server serves no such group, version or kind.
        """
        return run(verbs.runtime_model(self, api_version, kind, cluster))

    # -- relationships -------------------------------------------------------------------

    def owners(self, obj: Stored, cluster: str | None = None) -> list[Model]:
        """The owners of ``obj`` that still exist, in reference order, as models of their kinds (see :meth:`model_for`)."""
        return run(verbs.owners(self, obj, cluster))

    def adopt(self, child: M, owner: Stored, *, controller: bool = True, block_owner_deletion: bool = True,
              cluster: str | None = None) -> M:
        """Make ``owner`` an owner of ``child`` (its controller by default) and save ``child`` if it is stored.

        Once every owner is deleted, the garbage collector deletes the child. A new child is only
        changed in memory: save it next.

        Raises:
            ClientValidationError: the owner is not saved, is namespaced in another namespace, or
                the child already has another controller.
        """
        return run(verbs.adopt(self, child, owner, controller, block_owner_deletion, cluster))

    def wait_gone(self, obj: Stored, uid: str | None = None, timeout: float = 60.0, cluster: str | None = None) -> None:
        """Block until ``obj`` (the object of ``uid``, when given) no longer exists: a GET, then fewer as time goes.

        Raises:
            WaitTimeout: still there after ``timeout`` seconds; ``last`` is the object as last read.
        """
        run(self._wait_gone(obj, uid, timeout, cluster))

    # -- scale -------------------------------------------------------------------------------

    def get_scale(self, obj: Stored, cluster: str | None = None) -> Scale:
        """``obj``'s ``/scale`` subresource: replicas asked for and running, and the pods' selector.

        Raises:
            NotFound: the object is gone, or its kind has no ``/scale``.
        """
        return run(self._get_scale(obj, cluster))

    def scale(self, obj: Stored, replicas: int, cluster: str | None = None, *, dry_run: bool = False) -> Scale:
        """Set ``obj``'s replicas through ``/scale`` (any kind that has it); returns the new Scale.

        Raises:
            ValueError: ``replicas`` is not an int >= 0. NotFound: no such object or no ``/scale``.
        """
        return run(self._scale(obj, replicas, cluster, dry_run=dry_run))

    # -- logs ----------------------------------------------------------------------------------

    @overload
    def logs(self, pod: Stored, container: str | None = ..., *, tail_lines: int | None = ...,
             since_seconds: int | None = ..., previous: bool = ..., follow: Literal[False] = ...,
             cluster: str | None = ..., timeout: float | None = ...) -> str: ...
    @overload
    def logs(self, pod: Stored, container: str | None = ..., *, tail_lines: int | None = ...,
             since_seconds: int | None = ..., previous: bool = ..., follow: Literal[True],
             cluster: str | None = ..., timeout: float | None = ...) -> LogStream: ...

    def logs(self, pod: Stored, container: str | None = None, *, tail_lines: int | None = None,
             since_seconds: int | None = None, previous: bool = False, follow: bool = False,
             cluster: str | None = None, timeout: float | None = None) -> str | LogStream:
        """A pod's log as text; with ``follow=True`` an iterator of lines as they are written, which
        ``stop()`` ends from any thread (:class:`pykorm.LogStream`).

        Args:
            container: needed when the pod has several. previous: the last terminated container's log.
            timeout: seconds the call may take, retries included; with ``follow``, the iteration ends
                then, whatever the server does (None: it follows until the log ends).

        Raises:
            ValueError: a negative or non-int count. ValidationError: the server refused (no such container).
            ServerUnavailable: the server could not be reached, or (following) the connection broke.
        """
        options = (container, tail_lines, since_seconds, previous)
        if follow:
            return LogStream(lambda opened: iterate(self._follow_logs(pod, options, cluster, timeout, opened)))
        return run(self._logs(pod, options, cluster, timeout))

    # -- workloads ---------------------------------------------------------------------------------

    def pods_of(self, workload: Stored, cluster: str | None = None) -> list[Model]:
        """The pods of a Deployment (through its ReplicaSets), ReplicaSet, StatefulSet, DaemonSet or Job, found by
        owner references (not by label selector: another workload's pods with the same labels are not
        its), oldest first.

        Raises:
            ClientValidationError: ``workload`` is not saved, or its kind owns no pods.
        """
        return run(verbs.pods_of(self, workload, cluster))

    def workload_logs(self, workload: Stored, container: str | None = None, *, tail_lines: int | None = None,
                      cluster: str | None = None, timeout: float | None = None) -> list[LogLine]:
        """The logs of a workload's started pods (:meth:`pods_of`), every container's (or ``container``'s),
        each line with its pod and container: oldest pod first, containers in the pod's order.

        Raises:
            ClientValidationError: as :meth:`pods_of`. ValidationError: no such container.
        """
        return run(verbs.workload_logs(self, workload, container, tail_lines, cluster, timeout))

    # -- exec ------------------------------------------------------------------------------------

    def exec(self, pod: Stored, command: Sequence[str], container: str | None = None, *,
             stdin: str | bytes | None = None, timeout: float | None = None, cluster: str | None = None) -> ExecResult:
        """Run ``command`` in a container of ``pod`` (as ``kubectl exec``); return its output and exit code.

        Speaks the API server's websocket protocol (``v5.channel.k8s.io``; ``v4`` where the server
        lacks it, and then ``stdin`` is sent but never closed). A non-zero exit is no error: see
        ``result.exit_code`` (``result.ok``).

        Args:
            command: the program and its arguments, not a shell line (``["sh", "-c", "..."]`` for one).
            container: needed when the pod has several.
            stdin: sent to the command's standard input, then closed (str: as UTF-8).
            timeout: seconds the command may take (None: no limit); then the connection is closed and
                :class:`WaitTimeout` raised, with the output so far as ``last`` (whether the command goes on is
                the runtime's affair: kubelets and kwok let it run).

        Raises:
            ClientValidationError: an empty command, or ``pod`` is no Pod. NotFound: no such pod.
            ValidationError: no such container, or the pod is not running (the server's 400).
            Forbidden: no ``create`` on ``pods/exec``. ExecFailed: the command could not run.
            WaitTimeout: the command was still running after ``timeout`` seconds.
            ServerUnavailable: the server could not be reached, or the connection broke.

        >>> pk.exec(pod, ["sh", "-c", "echo hi; exit 3"])
        ExecResult(exit_code=3, stdout=b'hi\\n', stderr=b'')
        """
        return run(self._exec(pod, command, container, stdin, timeout, cluster))

    # -- manifests ------------------------------------------------------------------------------

    def apply_manifests(self, source: ManifestSource, cluster: str | None = None, *, field_manager: str | None = None,
                        force: bool = False, dry_run: bool = False, recursive: bool = False) -> list[Model]:
        """Server-side apply every object of ``source`` (YAML/JSON text, a path, dicts, or a list of them).

        A path may name a folder: its ``*.json``, ``*.yaml`` and ``*.yml`` files are read in name order
        (with ``recursive``, its subfolders' too), as ``kubectl apply -f DIR [-R]`` reads them.
        Kinds are resolved as :meth:`model_for` does; Namespaces and CRDs are applied first, and
        each CRD is waited for until served (as :meth:`install_crds` does), so that objects of its
        kind can follow in the same source. Returns the objects as the server stored them.

        Raises:
            ClientValidationError: unreadable source, a folder without manifest files, or an object
                without apiVersion, kind or name.
            NotFound: a kind the server does not serve. ApiError: the first refused object (those before it stay applied).
        """
        return run(verbs.apply_manifests(self, source, cluster, field_manager, force, dry_run, recursive, 4))
