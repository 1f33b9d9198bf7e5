"""A session's connections: its configuration, a transport per cluster, and what it learnt each cluster serves.

:class:`Connections` is the base of :class:`~pykorm._session.core.SessionCore` (and so of both
sessions): the clusters (kubeconfig, contexts, ``as_service_account``) and their transports, the
I/O a subclass provides (:meth:`Connections._send`, :meth:`Connections._stream`,
:meth:`Connections._sleep`...), :meth:`Connections._request` (one request about a resource, through
the context's gates, its write noted for receipts) and the caches of what each cluster serves:
subresources, schemas, field selectors. The verbs are built on it: writes in
:mod:`pykorm._session.writes`, reads and subresources in :mod:`pykorm._session.core`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import (
    TYPE_CHECKING, Any, AsyncGenerator, Callable, Generic, Iterable, Mapping, Sequence, TypedDict, TypeVar,
)

from .._http.clusters import ClusterConfig, ClusterSource, load_cluster
from .._http.hooks import EventHooks, hooks_of
from .._base.errors import ApiError, ClientValidationError, CRDNotInstalled, NotFound, ServerUnavailable, ValidationError
from .._schema.openapi import crd_version_schema, is_custom_group, kind_schema
from .._base.paths import MISSING, get_path
from .._base.gates import check_gates, gate_deadline
from .._base.receipts import note_write
from .._http.resource import ResourceType
from .._http.channels import ExecResult
from .._http.retry import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, RetryPolicy

if TYPE_CHECKING:
    from .._data.stored import Stored

log = logging.getLogger("pykorm")

__all__ = ["Connections", "SessionOptions", "TransportT", "dry_run_param", "label_of"]

TransportT = TypeVar("TransportT")

_SCHEMA_TTL = 300.0  # seconds a served schema is trusted before it is read again
_NO_SCHEMA_TTL = 5.0  # seconds before asking again for a schema not found (OpenAPI lags a new CRD)


class SessionOptions(TypedDict, total=False):
    """The keyword arguments both sessions take (see :class:`pykorm.Pykorm`)."""

    clusters: Mapping[str, ClusterSource] | None
    field_manager: str
    retries: RetryPolicy | None
    connect_timeout: float | None
    read_timeout: float | None
    event_hooks: EventHooks | None


class Connections(Generic[TransportT]):
    """A session's configuration, connections and caches; the verbs are its subclasses' (see the module docstring).

    ``TransportT`` is the transport a subclass makes for each cluster (:meth:`_make_transport`).
    """

    _step_objects: int | None = None
    """Objects a query filters and wraps between two checkpoints (None: a page at once)."""

    def __init__(
        self,
        kubeconfig: str | os.PathLike[str] | None,
        context: str | None,
        sources: Mapping[str, ClusterSource],
        field_manager: str,
        retries: RetryPolicy | None,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
        event_hooks: EventHooks | None = None,
    ) -> None:
        if not isinstance(field_manager, str) or not field_manager or len(field_manager) > 128:
            raise ClientValidationError(f"field_manager is a name of 1 to 128 characters, not {field_manager!r:.60}")
        if retries is not None and not isinstance(retries, RetryPolicy):
            raise TypeError(f"retries is a pykorm.RetryPolicy (RetryPolicy(max_retries=3), RetryPolicy.none()), not "
                            f"{type(retries).__name__} {retries!r:.60}")
        self.kubeconfig = kubeconfig
        self.context = context
        self.field_manager = field_manager
        hooks = hooks_of(event_hooks)
        self.event_hooks: dict[str, list[Any]] = {"request": hooks.request, "response": hooks.response}
        """The hooks called with each request and answer (see :class:`pykorm.Pykorm`); appending to these lists counts."""
        self._transport_options: dict[str, Any] = {
            "retries": retries, "connect_timeout": connect_timeout, "read_timeout": read_timeout, "event_hooks": hooks,
        }
        self._sources: dict[str, ClusterSource] = dict(sources)
        self._clusters: dict[str, tuple[ClusterConfig, TransportT]] = {}
        self._served: dict[tuple[str, str], frozenset[str]] = {}
        self._schemas: dict[tuple[str, str, str], tuple[float, dict[str, Any] | None]] = {}
        self._field_paths: dict[tuple[str, str, str], dict[str, bool]] = {}  # whether a field selector is served
        self._lock = threading.Lock()

    # -- the I/O a subclass provides ---------------------------------------------------------

    def _make_transport(self, config: ClusterConfig) -> TransportT:
        raise NotImplementedError

    async def _send(self, cluster: str | None, method: str, path: str, **kwargs: Any) -> Any:
        """One request to ``cluster`` through its transport (retried as :mod:`pykorm._http.retry` says)."""
        raise NotImplementedError

    def _stream(self, cluster: str | None, path: str, params: dict[str, Any], silence: float | None,
                raw: bool = False, opened: Callable[[Any], object] | None = None,
                deadline: float | None = None) -> AsyncGenerator[Any, None]:
        """A watch stream's decoded lines (``raw``: text lines, a log); no byte for ``silence`` seconds (None:
        no limit) raises ``ServerUnavailable``. ``opened`` gets the open response, so that another thread
        can end a blocked read (blocking sessions only: an informer's stop). ``deadline`` (a
        ``time.monotonic()`` time) bounds opening it, retries included, and every read."""
        raise NotImplementedError

    async def _sleep(self, seconds: float) -> None:
        raise NotImplementedError

    async def _channels(self, cluster: str | None, path: str, query: str, stdin: bytes | None,
                        deadline: float | None) -> ExecResult:
        """Run the exec request ``path?query`` over a websocket (:mod:`pykorm._http.wsexec`)."""
        raise NotImplementedError

    async def _checkpoint(self) -> None:
        """Between two steps of a long computation: an event loop runs its other tasks here (blocking: nothing)."""

    async def _install_crds(self, models_or_manifests: tuple[Any, ...], cluster: str | None,
                            timeout: float) -> list[dict[str, Any]]:
        """``install_crds`` (see :meth:`pykorm.Pykorm.install_crds`); the caches learn the generated schemas."""
        from .crd_install import install_models

        async def send(method: str, path: str, **kwargs: Any) -> Any:
            return await self._send(cluster, method, path, **kwargs)

        installed, schemas = await install_models(send, self._sleep, models_or_manifests, timeout)  # deadline: its own
        self._served.clear()
        self._schemas.clear()
        now, name = time.monotonic(), cluster or "default"
        for (api_version, kind), schema in schemas.items():  # what pykorm generated is what the server enforces
            self._schemas[(name, api_version, kind)] = (now, schema)
        return installed

    async def _uninstall_crds(self, models_or_names: tuple[Any, ...], cluster: str | None, timeout: float) -> list[str]:
        from .crd_install import crd_names, uninstall

        async def send(method: str, path: str, **kwargs: Any) -> Any:
            return await self._send(cluster, method, path, **kwargs)

        names = crd_names(models_or_names)
        try:
            return await uninstall(send, self._sleep, names, timeout)
        finally:
            self._served.clear()
            self._schemas.clear()

    def _account(self, name: str, namespace: str | None, cluster: str | None, expiration_seconds: int,
                 audiences: Sequence[str] | None) -> ClusterConfig:
        """The cluster of this session as ServiceAccount ``name`` (blocking: its first token is asked for now)."""
        from .._http.transport import Transport
        from .accounts import ServiceAccountToken, account_configuration

        config, own = self._connection(cluster)
        asker: Transport
        if isinstance(own, Transport):
            asker = own
        else:  # an async session: its refreshes happen in a thread, blocking
            options = {k: v for k, v in self._transport_options.items() if k != "pool_size"}
            asker = Transport(config.configuration, pool_size=1, **options)

        def request(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = asker.request("POST", path, body=body)
            return answer

        token = ServiceAccountToken(request, name, namespace or config.namespace, expiration_seconds, audiences)
        return account_configuration(config.configuration, token)

    def _use_cluster(self, config: ClusterConfig) -> None:
        """Make ``config`` this session's ``"default"`` cluster (a session made by ``as_service_account``)."""
        with self._lock:
            self._clusters["default"] = (config, self._make_transport(config))

    # -- clusters ----------------------------------------------------------------------------

    def default_namespace(self, cluster: str | None = None) -> str:
        """The namespace of the cluster's kubeconfig context (``"default"`` when it names none)."""
        return self._connection(cluster)[0].namespace

    def _connection(self, cluster: str | None) -> tuple[ClusterConfig, TransportT]:
        name = cluster or "default"
        found = self._clusters.get(name)
        if found is None:
            with self._lock:
                found = self._clusters.get(name)
                if found is None:
                    config = load_cluster(name, self._sources, self.kubeconfig, self.context)
                    found = self._clusters[name] = (config, self._make_transport(config))
        return found

    async def _request(self, resource: ResourceType, method: str, path: str, cluster: str | None = None,
                       **kwargs: Any) -> Any:
        """One request about ``resource``; a 404 for the resource type itself raises :class:`CRDNotInstalled`.

        A write's answer is noted for the receipts asked for in this context (:mod:`pykorm._base.receipts`).
        """
        check_gates()  # a reconcile past its timeout, or whose manager lost its Lease: refused (pykorm._base.gates)
        limit = gate_deadline()
        if limit is not None:
            kwargs["deadline"] = limit if kwargs.get("deadline") is None else min(kwargs["deadline"], limit)
        try:
            answer = await self._send(cluster, method, path, **kwargs)
        except NotFound as error:
            if (error.body.get("details") or {}).get("name"):
                raise
            raise _crd_not_installed(resource, error) from error
        note_write(method, kwargs.get("body"), kwargs.get("params"), answer)
        return answer

    async def _serves(self, resource: ResourceType, name: str, cluster: str | None = None) -> bool:
        key = (cluster or "default", resource.group_path())
        served = self._served.get(key)
        if served is None:
            try:
                listing = await self._send(cluster, "GET", resource.group_path())
            except NotFound as error:
                raise _crd_not_installed(resource, error) from error
            served = self._served[key] = frozenset(r["name"] for r in listing.get("resources", ()))
        return name in served

    def _field_selectors_known(self, resource: ResourceType, cluster: str | None = None) -> Mapping[str, bool]:
        """The field paths (``status.phase``) asked about so far: whether the cluster serves a field selector on each."""
        return self._field_paths.get((cluster or "default", resource.api_version, resource.kind), {})

    async def _probe_field_selectors(self, resource: ResourceType, paths: Iterable[str], namespace: str | None,
                                     cluster: str | None = None) -> None:
        """Ask the cluster, once per path, whether it serves a field selector on it: a list of at most one object
        with ``fieldSelector=<path>=x`` is refused (400) for a path it does not serve. Which paths a kind serves
        changes between Kubernetes releases (and a CRD serves only the ``selectableFields`` its manifest lists),
        so the model's declaration is not trusted. The list goes to ``namespace`` (the query's own, None: all),
        so a probe needs no permission the query does not need."""
        known = self._field_paths.setdefault((cluster or "default", resource.api_version, resource.kind), {})
        for path in paths:
            if path in known:
                continue
            try:
                await self._request(resource, "GET", resource.path(namespace), cluster,
                                    params={"fieldSelector": f"{path}=x", "limit": 1})
            except ValidationError:
                known[path] = False
                log.info("pykorm: %s does not serve a field selector on %s: it is checked in Python",
                         resource.kind, path)
            else:
                known[path] = True

    async def _served_schema(self, resource: ResourceType, cluster: str | None = None) -> dict[str, Any] | None:
        if not is_custom_group(resource.group):
            return None
        key = (cluster or "default", resource.api_version, resource.kind)
        cached = self._schemas.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < (_SCHEMA_TTL if cached[1] is not None else _NO_SCHEMA_TTL):
            return cached[1]
        schema: dict[str, Any] | None = None
        try:
            crd = await self._send(
                cluster, "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{resource.crd_name}"
            )
            schema = crd_version_schema(crd, resource.version)
        except ServerUnavailable:
            raise  # the server is down or failing: the call fails now, not after a second request
        except ApiError:
            try:
                document = await self._send(cluster, "GET", f"/openapi/v3/apis/{resource.group}/{resource.version}")
                if isinstance(document, dict):
                    schema = kind_schema(document, resource.group, resource.version, resource.kind)
            except ServerUnavailable:
                raise
            except ApiError:
                pass  # pykorm checks the model's own declarations
        self._schemas[key] = (now, schema)
        return schema

    # -- an object's place ------------------------------------------------------------------

    def _fill_namespace(self, obj: Stored, resource: ResourceType, cluster: str | None) -> None:
        if resource.namespaced and _unset(get_path(obj._raw, ("metadata", "namespace"))):
            obj._raw.setdefault("metadata", {})["namespace"] = self.default_namespace(cluster)

    def _object_path(self, obj: Stored, resource: ResourceType, subresource: str | None = None) -> str:
        namespace = get_path(obj._raw, ("metadata", "namespace")) if resource.namespaced else None
        if resource.namespaced and _unset(namespace):
            namespace = self.default_namespace(obj._cluster)
        return resource.object_path(namespace, obj.name, subresource)


def _unset(namespace: Any) -> bool:
    """No namespace given: absent, None or "" (as the API server reads an empty one). Any other value,
    0 or False included, is the caller's, for the name checks to refuse, never the context's namespace."""
    return namespace is MISSING or namespace is None or namespace == ""


def dry_run_param(dry_run: bool) -> str | None:
    return "All" if dry_run else None


PROPAGATION_POLICIES = ("Foreground", "Background", "Orphan")


def delete_options(propagation_policy: str | None, dry_run: bool, grace_period_seconds: int | None = None) -> dict[str, Any]:
    """The ``DeleteOptions`` body of a delete or a ``deletecollection``.

    Raises:
        ClientValidationError: a propagation policy or grace period the API server does not take (a bulk delete
            that matched nothing sent nothing and never heard the server say so).
    """
    options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
    if propagation_policy is not None:
        if propagation_policy not in PROPAGATION_POLICIES:
            raise ClientValidationError(f"propagation_policy is one of {', '.join(PROPAGATION_POLICIES)} (or None), "
                                        f"not {propagation_policy!r:.60}; nothing was sent")
        options["propagationPolicy"] = propagation_policy
    if grace_period_seconds is not None:
        if isinstance(grace_period_seconds, bool) or not isinstance(grace_period_seconds, int) or grace_period_seconds < 0:
            raise ClientValidationError(f"grace_period_seconds is an int >= 0, not {grace_period_seconds!r:.60}; "
                                        "nothing was sent")
        options["gracePeriodSeconds"] = grace_period_seconds
    if dry_run:
        options["dryRun"] = ["All"]
    return options


def label_of(obj: Stored) -> str:
    namespace = get_path(obj._raw, ("metadata", "namespace"))
    where = f"{namespace}/" if isinstance(namespace, str) else ""
    return f"{type(obj).__name__} {where}{obj.name}"



def _crd_not_installed(resource: ResourceType, error: NotFound) -> CRDNotInstalled:
    if resource.group and "." in resource.group:
        fix = (
            f"its CustomResourceDefinition {resource.crd_name} is not installed. Install it with "
            f"pk.install_crds({resource.kind}) or `kubectl apply -f` its manifest (pykorm crd MODULE:{resource.kind})"
        )
    else:
        fix = "this API server does not serve it"
    return CRDNotInstalled(
        f"{resource.kind} ({resource.api_version}, {resource.plural}) is not served: {fix}.",
        status=error.status, reason=error.reason, body=error.body,
    )
