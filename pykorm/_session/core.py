"""What a session does, written once for the blocking :class:`pykorm.Pykorm` and ``pykorm.aio.AsyncPykorm``.

:class:`SessionCore` holds a session's configuration (clusters, field manager, retry policy and
timeouts) and its caches (served subresources, served schemas), and implements every verb —
save, save_status, apply, delete, update, refresh, get, wait_for — as a coroutine that awaits
its I/O through three methods a subclass provides: :meth:`SessionCore._send` (one request),
:meth:`SessionCore._stream` (a watch stream) and :meth:`SessionCore._sleep`. The blocking
session's never suspend, so it runs these coroutines to the end at once (:mod:`pykorm._base.drive`);
the async session's await its async transport. Names are checked, objects validated, patches
computed and answers loaded by the same lines of code either way.
"""

from __future__ import annotations

import copy
import inspect
import logging
import os
import random
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Generic, Iterable, Mapping, Sequence, TypedDict, TypeVar

from .._http.clusters import ClusterConfig, ClusterSource, load_cluster
from .._http.hooks import EventHooks, hooks_of
from .._base.errors import (
    ApiError, ClientValidationError, ConflictError, CRDNotInstalled, NotFound, PrunedFieldsWarning, ServerUnavailable,
    StatusNotWritten, ValidationError, WaitTimeout,
)
from .._data.objects import user_metadata
from .._schema.openapi import crd_version_schema, is_custom_group, kind_schema, pruned
from .._base.patch import merge_patch
from .._base.paths import MISSING, delete_path, get_path
from .._base.gates import check_gates, gate_deadline
from .._base.receipts import note_write
from .._http.resource import ResourceType, resource_of
from .subresources import Scale, log_params, scale_from, scale_patch
from .._http.channels import ExecResult, exec_query
from .._http.retry import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, RetryPolicy
from .._http.transport import APPLY_PATCH, MERGE_PATCH
from .._schema.validation import check_names, validate
from .watch import unreachable, wait_until

if TYPE_CHECKING:
    from .._data.stored import Stored

log = logging.getLogger("pykorm")

__all__ = ["SessionCore", "SessionOptions"]

M = TypeVar("M", bound="Stored")
TransportT = TypeVar("TransportT")
LogOptions = tuple["str | None", "int | None", "int | None", bool]  # container, tail_lines, since_seconds, previous

_SCHEMA_TTL = 300.0  # seconds a served schema is trusted before it is read again
_NO_SCHEMA_TTL = 5.0  # seconds before asking again for a schema not found (OpenAPI lags a new CRD)
_EARLY = 0.05  # seconds: a read that timed out this close to a deadline ended at the deadline


class SessionOptions(TypedDict, total=False):
    """The keyword arguments both sessions take (see :class:`pykorm.Pykorm`)."""

    clusters: Mapping[str, ClusterSource] | None
    field_manager: str
    retries: RetryPolicy | None
    connect_timeout: float | None
    read_timeout: float | None
    event_hooks: EventHooks | None


class SessionCore(Generic[TransportT]):
    """A session's configuration, caches and verbs (as coroutines); see the module docstring.

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

    # -- reads ---------------------------------------------------------------------------------

    async def _get(self, model: type[M], name: str, namespace: str | None = None, cluster: str | None = None) -> M:
        resource = resource_of(model)
        if resource.namespaced and not namespace:
            namespace = self.default_namespace(cluster)
        raw = await self._request(resource, "GET", resource.object_path(namespace, name), cluster)
        return model._from_server(raw, cluster, self)

    async def _refresh(self, obj: M, cluster: str | None = None) -> M:
        resource, cluster = resource_of(type(obj)), cluster or obj._cluster
        raw = await self._request(resource, "GET", self._object_path(obj, resource), cluster)
        obj._load(raw, cluster, self)
        return obj

    async def _wait_for(
        self, obj: M, condition: Callable[[M | None], bool], timeout: float = 60.0, cluster: str | None = None
    ) -> M | None:
        resource, target = resource_of(type(obj)), cluster or obj._cluster
        self._object_path(obj, resource)  # checks the name and namespace before anything is sent
        query = type(obj).query.session(self).filter(name=obj.name)
        if target is not None:
            query = query.using(target)
        if resource.namespaced:
            query = query.namespace(get_path(obj._raw, ("metadata", "namespace")) or self.default_namespace(target))

        def holds(found: list[M]) -> bool:
            current = found[0] if found else None
            if current is not None:
                obj._load(current._raw, target, self)
            return condition(current)

        found = await wait_until(query._client(), type(obj), await query._plan(), holds, timeout, _label(obj),
                                 lambda seen: seen[0] if seen else None)
        return found[0] if found else None

    async def _wait_gone(self, obj: Stored, uid: str | None = None, timeout: float = 60.0,
                         cluster: str | None = None, deadline: float | None = None) -> None:
        """Poll until ``obj`` is gone; ``deadline`` (a ``time.monotonic()`` time) instead of ``timeout`` when given.

        An unreachable server is ridden out until the deadline (each GET is tried again until then)."""
        resource = resource_of(type(obj))
        path = self._object_path(obj, resource)
        deadline = time.monotonic() + timeout if deadline is None else deadline
        pause, raw = 0.05, None
        while True:
            failure: ServerUnavailable | None = None
            try:
                raw = await self._request(resource, "GET", path, cluster or obj._cluster, deadline=deadline)
            except NotFound:
                return
            except ServerUnavailable as error:
                failure = error
            if raw is not None and uid and (raw.get("metadata") or {}).get("uid") != uid:
                return  # the name now holds another object
            if time.monotonic() >= deadline:
                finalizers = (raw or {}).get("metadata", {}).get("finalizers")
                raise WaitTimeout(f"{resource.kind} {obj.name} is still there after {timeout} s "
                                  f"(finalizers: {finalizers})" + unreachable(failure),
                                  last=None if raw is None else type(obj)._from_server(raw, cluster or obj._cluster, self)) from failure
            await self._sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 1.0)

    # -- writes --------------------------------------------------------------------------------

    async def _save(self, obj: M, cluster: str | None = None, *, dry_run: bool = False) -> M:
        resource = resource_of(type(obj))
        target = cluster or obj._cluster
        if not obj.is_stored or not _same_cluster(obj, cluster):  # new, or copied to another cluster
            return await self._create(obj, resource, target, dry_run)
        self._object_path(obj, resource)  # a bad name or namespace: nothing is sent
        original = obj.original
        if original is None:
            if not dry_run:
                obj._bind(self)  # saved through this session, as a write would have bound it
            return obj  # unchanged since read
        validate(obj, served=await self._served_schema(resource, target))
        patch = merge_patch(original, obj._raw)
        status = patch.pop("status", MISSING)
        if status is not MISSING and not await self._serves(resource, f"{resource.plural}/status", target):
            patch["status"], status = status, MISSING
        version = get_path(original, ("metadata", "resourceVersion"))
        raw = None
        if patch:
            patch.setdefault("metadata", {})["resourceVersion"] = version
            raw = await self._patch(obj, resource, target, patch, dry_run)
            version = raw["metadata"]["resourceVersion"]
        if status is not MISSING:
            body = {"metadata": {"resourceVersion": version}, "status": status}
            raw = await self._patch(obj, resource, target, body, dry_run, subresource="status")
        if raw is not None and not dry_run:
            obj._load(raw, target, self)
        return obj

    async def _save_status(self, obj: M, cluster: str | None = None, *, dry_run: bool = False) -> M:
        resource, target = resource_of(type(obj)), cluster or obj._cluster
        self._object_path(obj, resource)  # a bad name or namespace: nothing is sent
        original = obj.original or obj._raw
        patch = merge_patch({"status": original.get("status") or {}}, {"status": obj._raw.get("status") or {}})
        if not patch:
            if not dry_run:
                obj._bind(self)
            return obj
        patch["metadata"] = {"resourceVersion": get_path(original, ("metadata", "resourceVersion"))}
        sub = "status" if await self._serves(resource, f"{resource.plural}/status", target) else None
        raw = await self._patch(obj, resource, target, patch, dry_run, subresource=sub)
        if not dry_run:
            # Keep unsaved changes outside status: reload, then lay them over the new state.
            pending = merge_patch(original, obj._raw)
            pending.pop("status", None)
            obj._load(raw, target, self)
            if pending:
                obj._will_change()
                _apply_merge(obj._raw, pending)
        return obj

    async def _apply(self, obj: M, cluster: str | None, field_manager: str | None, force: bool, dry_run: bool,
                     warn_level: int) -> M:
        resource, target = resource_of(type(obj)), cluster or obj._cluster
        self._fill_namespace(obj, resource, target)
        self._object_path(obj, resource)  # a bad name or namespace: nothing is sent
        served = await self._served_schema(resource, target)
        validate(obj, served=served)
        body = {k: v for k, v in obj._raw.items() if k != "status"}
        body["metadata"] = user_metadata(obj._raw)
        if served is not None:
            # A create or update prunes what the schema does not declare; an apply refuses it.
            body, dropped = pruned(body, served)
            if dropped:
                warnings.warn(
                    f"{_label(obj)}: apply leaves out {', '.join(dropped)}: the schema the API server "
                    f"enforces for {resource.kind} does not declare {'it' if len(dropped) == 1 else 'them'}",
                    PrunedFieldsWarning, stacklevel=warn_level,
                )
        params = {"fieldManager": field_manager or self.field_manager, "force": force or None, "dryRun": _dry(dry_run)}
        raw = await self._request(
            resource, "PATCH", self._object_path(obj, resource), target,
            body=body, content_type=APPLY_PATCH, params=params,
        )
        if not dry_run:
            obj._load(raw, target, self)
        return obj

    async def _delete(self, obj: Stored, cluster: str | None = None, *, dry_run: bool = False,
                      propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                      wait: bool = False, timeout: float = 60.0) -> None:
        resource, target = resource_of(type(obj)), cluster or obj._cluster
        deadline = time.monotonic() + timeout if wait else None  # with wait, the timeout bounds the whole call
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        uid = get_path(obj._raw, ("metadata", "uid"))
        if uid and _same_cluster(obj, cluster):
            options["preconditions"] = {"uid": uid}
        if propagation_policy:
            options["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if dry_run:
            options["dryRun"] = ["All"]
        answer = await self._request(resource, "DELETE", self._object_path(obj, resource), target, body=options,
                                     deadline=deadline)
        if wait and not dry_run:
            gone_uid = uid or get_path(answer or {}, ("metadata", "uid"))
            await self._wait_gone(obj, gone_uid, timeout, target, deadline)

    async def _update(self, obj: M, mutate: Callable[[M], object], retries: int = 10, cluster: str | None = None, *,
                      status: bool = False, same_object: bool = False) -> M:
        """``mutate``, then save (``status``: :meth:`_save_status`); on a conflict re-read and do it again.

        The one conflict-retry loop: ``pk.update``, bulk updates and ``controller.update_status``. With
        ``same_object``, a re-read that finds another object of that name (another uid) raises NotFound.
        """
        uid = obj.uid
        for attempt in range(retries + 1):
            changed = mutate(obj)
            if inspect.isawaitable(changed):  # an async mutate, with pykorm.aio
                await changed
            try:
                return await (self._save_status(obj, cluster) if status else self._save(obj, cluster))
            except ConflictError:
                if attempt == retries:
                    raise
                await self._sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
                await self._refresh(obj, cluster)
                if same_object and uid and obj.uid != uid:
                    raise NotFound(f"{type(obj).__name__} {obj.name}: the object to be written was deleted, and another "
                                   f"one of that name (uid {obj.uid}) created since it was read",
                                   status=404, reason="NotFound") from None
        raise AssertionError("unreachable")

    # -- subresources: /scale and /log ---------------------------------------------------------

    async def _get_scale(self, obj: Stored, cluster: str | None = None) -> Scale:
        resource = resource_of(type(obj))
        path = self._object_path(obj, resource, "scale")
        return scale_from(await self._request(resource, "GET", path, cluster or obj._cluster))

    async def _scale(self, obj: Stored, replicas: int, cluster: str | None = None, *, dry_run: bool = False) -> Scale:
        resource = resource_of(type(obj))
        body = scale_patch(replicas)
        path = self._object_path(obj, resource, "scale")
        params = {"fieldManager": self.field_manager, "dryRun": _dry(dry_run)}
        raw = await self._request(resource, "PATCH", path, cluster or obj._cluster, body=body,
                                  content_type=MERGE_PATCH, params=params)
        return scale_from(raw)

    async def _logs(self, pod: Stored, options: LogOptions, cluster: str | None = None,
                    timeout: float | None = None) -> str:
        resource = resource_of(type(pod))
        path = self._object_path(pod, resource, "log")
        deadline = None if timeout is None else time.monotonic() + timeout
        text = await self._request(resource, "GET", path, cluster or pod._cluster, params=log_params(*options, False),
                                   deadline=deadline)
        return text if isinstance(text, str) else ""

    async def _follow_logs(self, pod: Stored, options: LogOptions, cluster: str | None = None,
                           timeout: float | None = None,
                           opened: Callable[[Any], object] | None = None) -> AsyncGenerator[str, None]:
        """A pod's log lines as they come; with ``timeout``, the lines until then (a silent log ends there too).
        ``opened`` gets the open response (blocking sessions: another thread may shut it down)."""
        path = self._object_path(pod, resource_of(type(pod)), "log")
        deadline = None if timeout is None else time.monotonic() + timeout
        silence = None if deadline is None else max(0.1, deadline - time.monotonic())
        lines = self._stream(cluster or pod._cluster, path, log_params(*options, True), silence, raw=True,
                             deadline=deadline, **({"opened": opened} if opened is not None else {}))
        try:
            async for line in lines:
                yield line
                if deadline is not None and time.monotonic() >= deadline:
                    return
        except ServerUnavailable:
            if deadline is None or time.monotonic() < deadline - _EARLY:
                raise  # the connection broke before the deadline
        finally:
            await lines.aclose()

    async def _exec(self, pod: Stored, command: Any, container: str | None, stdin: str | bytes | None,
                    timeout: float | None, cluster: str | None) -> ExecResult:
        resource = resource_of(type(pod))
        if (resource.group, resource.plural) != ("", "pods"):
            raise ClientValidationError(f"exec runs a command in a Pod's container, not in a {type(pod).__name__}")
        if stdin is not None and not isinstance(stdin, (str, bytes)):
            raise ClientValidationError(f"stdin must be str, bytes or None, not {type(stdin).__name__}")
        if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
            raise ClientValidationError(f"timeout must be a number of seconds > 0 or None, not {timeout!r}")
        query = exec_query(command, container, stdin is not None)
        data = stdin.encode() if isinstance(stdin, str) else stdin
        deadline = None if timeout is None else time.monotonic() + timeout
        return await self._channels(cluster or pod._cluster, self._object_path(pod, resource, "exec"), query, data,
                                    deadline)

    # -- helpers -------------------------------------------------------------------------------

    async def _create(self, obj: M, resource: ResourceType, cluster: str | None, dry_run: bool) -> M:
        self._fill_namespace(obj, resource, cluster)
        try:
            check_names(obj)  # a bad name or namespace: nothing is sent, not even a schema request
        except ClientValidationError:
            validate(obj)  # everything found without the server's schema, in one error
            raise
        validate(obj, served=await self._served_schema(resource, cluster))
        body = dict(obj._raw)
        body["metadata"] = user_metadata(obj._raw)
        namespace = body["metadata"].get("namespace")
        params = {"dryRun": _dry(dry_run), "fieldManager": self.field_manager, **_strict(resource)}
        raw = await self._request(resource, "POST", resource.path(namespace), cluster, body=body, params=params)
        status = _status_to_write(obj)
        if status and not dry_run and await self._serves(resource, f"{resource.plural}/status", cluster):
            # The server dropped status from the create. Write what the user set, without a
            # resourceVersion precondition: a controller may already have touched the new object,
            # and a merge patch changes only the keys sent.
            path = resource.object_path(namespace, raw["metadata"]["name"], "status")
            try:
                raw = await self._request(
                    resource, "PATCH", path, cluster, body={"status": status}, content_type=MERGE_PATCH,
                    params={"fieldManager": self.field_manager, **_strict(resource)},
                )
            except ApiError as error:
                obj._load(raw, cluster, self)
                raise StatusNotWritten(
                    f"{_label(obj)} was created, but its status was not written: {error}. "
                    "Write it again with pk.save_status(obj).",
                    status=error.status, reason=error.reason, body=error.body,
                ) from error
        if not dry_run:
            obj._load(raw, cluster, self)
        return obj

    async def _patch(
        self, obj: Stored, resource: ResourceType, cluster: str | None, patch: dict[str, Any], dry_run: bool,
        subresource: str | None = None,
    ) -> Any:
        path = self._object_path(obj, resource, subresource)
        params = {"dryRun": _dry(dry_run), "fieldManager": self.field_manager, **_strict(resource)}
        try:
            return await self._request(
                resource, "PATCH", path, cluster, body=patch, content_type=MERGE_PATCH, params=params
            )
        except ConflictError as error:
            raise ConflictError(
                f"{_label(obj)} was changed on the server since it was read (resourceVersion "
                f"{get_path(obj.original or obj._raw, ('metadata', 'resourceVersion'))}); nothing was written. "
                "Reload it with pk.refresh(obj) and redo the change, or use pk.update(obj, fn) to retry. "
                f"Server: {error}",
                status=error.status, reason=error.reason, body=error.body,
            ) from error

    def _fill_namespace(self, obj: Stored, resource: ResourceType, cluster: str | None) -> None:
        if resource.namespaced and not get_path(obj._raw, ("metadata", "namespace")):
            obj._raw.setdefault("metadata", {})["namespace"] = self.default_namespace(cluster)

    def _object_path(self, obj: Stored, resource: ResourceType, subresource: str | None = None) -> str:
        namespace = get_path(obj._raw, ("metadata", "namespace")) if resource.namespaced else None
        if resource.namespaced and not namespace:
            namespace = self.default_namespace(obj._cluster)
        return resource.object_path(namespace or None, obj.name, subresource)


def _same_cluster(obj: Stored, cluster: str | None) -> bool:
    """True when ``cluster`` (None: the object's own) is where ``obj`` was read from."""
    return cluster is None or (obj._cluster or "default") == cluster


def _status_to_write(obj: Stored) -> dict[str, Any]:
    """The status of a new object less the values that only repeat a field's default.

    A default (``conditions: list = Status(..., default_factory=list)``) says what an
    absent value reads as; writing it would only add a second request racing the
    controllers that own the status.
    """
    status = obj._raw.get("status")
    if not isinstance(status, dict) or not status:
        return {}
    status = copy.deepcopy(status)
    for field in type(obj)._fields.values():
        if field.path[0] == "status" and field.has_default:
            if get_path(status, field.path[1:]) == field.to_json(field.make_default(), obj):
                delete_path(status, field.path[1:])
    return _without_empty_objects(status)


def _without_empty_objects(data: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = _without_empty_objects(value)
            if not value:
                continue
        kept[key] = value
    return kept


def _strict(resource: ResourceType) -> dict[str, str]:
    """``fieldValidation=Strict`` for a built-in kind's create or update: a field the server does not declare
    (one an older Kubernetes release lacks, such as a 1.37 field of pykorm.k8s sent to 1.35) is refused with
    the field named, where the server's default drops it with a warning nobody reads. Server-side apply refuses
    it anyway; a custom resource's unknown fields are the schema's pruning (see :class:`PrunedFieldsWarning`)."""
    return {} if is_custom_group(resource.group) else {"fieldValidation": "Strict"}


def _dry(dry_run: bool) -> str | None:
    return "All" if dry_run else None


def _apply_merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _apply_merge(target[key], value)
        else:
            target[key] = value
    return target


def _label(obj: Stored) -> str:
    namespace = get_path(obj._raw, ("metadata", "namespace"))
    where = f"{namespace}/" if isinstance(namespace, str) else ""
    return f"{type(obj).__name__} {where}{obj.name}"


def _crd_not_installed(resource: ResourceType, error: NotFound) -> CRDNotInstalled:
    if resource.group and "." in resource.group:
        fix = (
            f"its CustomResourceDefinition {resource.crd_name} is not installed. Install it with "
            f"pk.install_crds(Stored) or `kubectl apply -f` its manifest (pykorm crd MODULE:{resource.kind})"
        )
    else:
        fix = "this API server does not serve it"
    return CRDNotInstalled(
        f"{resource.kind} ({resource.api_version}, {resource.plural}) is not served: {fix}.",
        status=error.status, reason=error.reason, body=error.body,
    )
