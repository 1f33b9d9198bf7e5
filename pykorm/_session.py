"""The session: writes (save, apply, delete, status), reads by name, and the clusters they go to.

    >>> pk = Pykorm()
    >>> pk.save(Peach(namespace="default", name="cake-peach", variety="Frost"))

Every write sends what it must and no more (a merge patch of the changes, with
the ``resourceVersion`` read, so that a concurrent change raises
:class:`ConflictError` instead of being overwritten), then refreshes the object
from the server's answer.
"""

from __future__ import annotations

import copy
import os
import random
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, TypeVar

from typing_extensions import Self

from ._clusters import ClusterConfig, ClusterSource, load_cluster
from ._errors import (
    ApiError, ClientValidationError, ConflictError, CRDNotInstalled, NotFound, PrunedFieldsWarning, StatusNotWritten, WaitTimeout,
)
from ._objects import user_metadata
from ._openapi import crd_version_schema, is_custom_group, kind_schema, pruned
from ._patch import merge_patch
from ._paths import MISSING, delete_path, get_path
from ._resource import ResourceType, resource_of
from ._retry import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, RetryPolicy
from ._transport import APPLY_PATCH, MERGE_PATCH, Transport
from ._validation import check_names, validate
from ._verbs import Verbs

if TYPE_CHECKING:
    from ._models import Model

__all__ = ["Pykorm", "default_session", "set_default_session"]

M = TypeVar("M", bound="Model")

_SCHEMA_TTL = 300.0  # seconds a served schema is trusted before it is read again
_NO_SCHEMA_TTL = 5.0  # seconds before asking again for a schema not found (OpenAPI lags a new CRD)

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


def set_default_session(session: Pykorm | None) -> None:
    """Make ``session`` the default one (None: the next use makes a new ``Pykorm()``)."""
    global _default
    with _default_lock:
        _default = session


class Pykorm(Verbs):
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
    ) -> None:
        self.kubeconfig = kubeconfig
        self._transport_options: dict[str, Any] = {
            "retries": retries, "connect_timeout": connect_timeout, "read_timeout": read_timeout,
        }
        self.context = context
        self.field_manager = field_manager
        self._sources: dict[str, ClusterSource] = {**type(self).clusters_config, **(clusters or {})}
        self._clusters: dict[str, tuple[ClusterConfig, Transport]] = {}
        self._served: dict[tuple[str, str], frozenset[str]] = {}
        self._schemas: dict[tuple[str, str, str], tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()
        if make_default:
            set_default_session(self)

    # -- clusters -------------------------------------------------------------------

    def transport(self, cluster: str | None = None) -> Transport:
        """The connection pool to ``cluster`` (``"default"`` when None), made on first use."""
        return self._connection(cluster)[1]

    def default_namespace(self, cluster: str | None = None) -> str:
        """The namespace of the cluster's kubeconfig context (``"default"`` when it names none)."""
        return self._connection(cluster)[0].namespace

    def _connection(self, cluster: str | None) -> tuple[ClusterConfig, Transport]:
        name = cluster or "default"
        found = self._clusters.get(name)
        if found is None:
            with self._lock:
                found = self._clusters.get(name)
                if found is None:
                    config = load_cluster(name, self._sources, self.kubeconfig, self.context)
                    found = self._clusters[name] = (config, Transport(config.configuration, **self._transport_options))
        return found

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

    def request(self, resource: ResourceType, method: str, path: str, cluster: str | None = None, **kwargs: Any) -> Any:
        """One request about ``resource``; a 404 for the resource type itself raises :class:`CRDNotInstalled`."""
        try:
            return self.transport(cluster).request(method, path, **kwargs)
        except NotFound as error:
            if (error.body.get("details") or {}).get("name"):
                raise
            raise _crd_not_installed(resource, error) from error

    def serves(self, resource: ResourceType, name: str, cluster: str | None = None) -> bool:
        """True when the server lists ``name`` (``peaches/status``...) in the resource's group version."""
        key = (cluster or "default", resource.group_path())
        served = self._served.get(key)
        if served is None:
            try:
                listing = self.transport(cluster).request("GET", resource.group_path())
            except NotFound as error:
                raise _crd_not_installed(resource, error) from error
            served = self._served[key] = frozenset(r["name"] for r in listing.get("resources", ()))
        return name in served

    def served_schema(self, resource: ResourceType, cluster: str | None = None) -> dict[str, Any] | None:
        """The schema the API server enforces for a custom resource's objects, or None when unknown.

        Read from its CustomResourceDefinition where the credentials may read it, else from the
        server's OpenAPI v3 document of the group version (readable by every authenticated user,
        published a moment after the CRD); for CRDs this session installed from models, the schema
        pykorm generated. Kept for five minutes (an unknown schema for a few seconds). None for
        built-in kinds and when neither can be read.
        """
        if not is_custom_group(resource.group):
            return None
        key = (cluster or "default", resource.api_version, resource.kind)
        cached = self._schemas.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < (_SCHEMA_TTL if cached[1] is not None else _NO_SCHEMA_TTL):
            return cached[1]
        transport = self.transport(cluster)
        schema: dict[str, Any] | None = None
        try:
            crd = transport.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{resource.crd_name}")
            schema = crd_version_schema(crd, resource.version)
        except ApiError:
            try:
                document = transport.request("GET", f"/openapi/v3/apis/{resource.group}/{resource.version}")
                if isinstance(document, dict):
                    schema = kind_schema(document, resource.group, resource.version, resource.kind)
            except ApiError:
                pass  # pykorm checks the model's own declarations
        self._schemas[key] = (now, schema)
        return schema

    def install_crds(self, *models_or_manifests: Any, cluster: str | None = None, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Create or update CustomResourceDefinitions and wait until the server serves them.

        Each argument is a model class (its CRD is generated: :func:`pykorm.crds`; models of
        one resource become its versions), a CRD dict or the path of a YAML/JSON file.
        Returns the CRDs as stored.

        Raises:
            TypeError: a model cannot be mapped to a CRD (the message names Model.field).
            CRDNotEstablished: a CRD was not served within ``timeout`` (its conditions are quoted).
            ValidationError: the API server refused a CRD; the message names it and quotes the reason.

        >>> pk.install_crds(Peach, "crds/apples.example.com.yaml")
        """
        from ._crd import crds
        from ._crd_install import install_crds

        models = [m for m in models_or_manifests if isinstance(m, type)]
        manifests = [*crds(*models), *(m for m in models_or_manifests if not isinstance(m, type))]
        installed = install_crds(self.transport(cluster), *manifests, timeout=timeout)
        self._served.clear()
        self._schemas.clear()
        now, name = time.monotonic(), cluster or "default"
        for manifest in crds(*models):  # what pykorm generated is what the server now enforces
            spec = manifest["spec"]
            for version in spec["versions"]:
                api_version = f"{spec['group']}/{version['name']}"
                self._schemas[(name, api_version, spec["names"]["kind"])] = (now, version["schema"]["openAPIV3Schema"])
        return installed

    # -- reads -------------------------------------------------------------------------

    def get(self, model: type[M], name: str, namespace: str | None = None, cluster: str | None = None) -> M:
        """The object ``name`` of ``model``.

        Raises:
            NotFound: there is no such object. CRDNotInstalled: the resource type is not served.
        """
        resource = resource_of(model)
        if resource.namespaced and not namespace:
            namespace = self.default_namespace(cluster)
        raw = self.request(resource, "GET", resource.object_path(namespace, name), cluster)
        return model._from_server(raw, cluster)

    def refresh(self, obj: M, cluster: str | None = None) -> M:
        """Reload ``obj`` from the server, dropping unsaved changes; returns ``obj``."""
        resource, cluster = resource_of(type(obj)), cluster or obj._cluster
        raw = self.request(resource, "GET", self._object_path(obj, resource), cluster)
        obj._load(raw, cluster)
        return obj

    def wait_for(
        self, obj: M, condition: Callable[[M | None], bool], timeout: float = 60.0, cluster: str | None = None
    ) -> M | None:
        """Block until ``condition`` holds for the object (None once it is deleted); return it.

        ``obj`` is refreshed with each state seen.

        Raises:
            WaitTimeout: ``timeout`` seconds passed; ``last`` is the last state seen.
        """
        resource, target = resource_of(type(obj)), cluster or obj._cluster
        self._object_path(obj, resource)  # checks the name and namespace before anything is sent
        query = type(obj).query.session(self).filter(name=obj.name)
        if target is not None:
            query = query.using(target)
        if resource.namespaced:
            query = query.namespace(get_path(obj._raw, ("metadata", "namespace")) or self.default_namespace(target))
        current: M | None = None
        for event in query.watch(timeout=timeout, initial=True):
            current = None if event.type == "DELETED" else event.obj
            if current is not None:
                obj._load(current._raw, target)
            if condition(current):
                return current
        if current is None and condition(None):
            return None
        raise WaitTimeout(f"{_label(obj)}: condition not met within {timeout} s", last=current)

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
        resource = resource_of(type(obj))
        target = cluster or obj._cluster
        if not obj.is_stored or not _same_cluster(obj, cluster):  # new, or copied to another cluster
            return self._create(obj, resource, target, dry_run)
        self._object_path(obj, resource)  # a bad name or namespace: nothing is sent
        original = obj.original
        if original is None:
            return obj  # unchanged since read
        validate(obj, served=self.served_schema(resource, target))
        patch = merge_patch(original, obj._raw)
        status = patch.pop("status", MISSING)
        if status is not MISSING and not self.serves(resource, f"{resource.plural}/status", target):
            patch["status"], status = status, MISSING
        version = get_path(original, ("metadata", "resourceVersion"))
        raw = None
        if patch:
            patch.setdefault("metadata", {})["resourceVersion"] = version
            raw = self._patch(obj, resource, target, patch, dry_run)
            version = raw["metadata"]["resourceVersion"]
        if status is not MISSING:
            body = {"metadata": {"resourceVersion": version}, "status": status}
            raw = self._patch(obj, resource, target, body, dry_run, subresource="status")
        if raw is not None and not dry_run:
            obj._load(raw, target)
        return obj

    def save_status(self, obj: M, cluster: str | None = None, *, dry_run: bool = False) -> M:
        """Send only the changes of ``obj.status`` (through ``/status`` where served); returns ``obj``.

        Raises:
            ConflictError: someone changed the object since it was read.
        """
        resource, target = resource_of(type(obj)), cluster or obj._cluster
        self._object_path(obj, resource)  # a bad name or namespace: nothing is sent
        original = obj.original or obj._raw
        patch = merge_patch({"status": original.get("status") or {}}, {"status": obj._raw.get("status") or {}})
        if not patch:
            return obj
        patch["metadata"] = {"resourceVersion": get_path(original, ("metadata", "resourceVersion"))}
        sub = "status" if self.serves(resource, f"{resource.plural}/status", target) else None
        raw = self._patch(obj, resource, target, patch, dry_run, subresource=sub)
        if not dry_run:
            # Keep unsaved changes outside status: reload, then lay them over the new state.
            pending = merge_patch(original, obj._raw)
            pending.pop("status", None)
            obj._load(raw, target)
            if pending:
                obj._will_change()
                _apply_merge(obj._raw, pending)
        return obj

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
        resource, target = resource_of(type(obj)), cluster or obj._cluster
        self._fill_namespace(obj, resource, target)
        self._object_path(obj, resource)  # a bad name or namespace: nothing is sent
        served = self.served_schema(resource, target)
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
                    PrunedFieldsWarning, stacklevel=2,
                )
        params = {"fieldManager": field_manager or self.field_manager, "force": force or None, "dryRun": _dry(dry_run)}
        raw = self.request(
            resource, "PATCH", self._object_path(obj, resource), target,
            body=body, content_type=APPLY_PATCH, params=params,
        )
        if not dry_run:
            obj._load(raw, target)
        return obj

    def delete(
        self,
        obj: Model,
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
        resource, target = resource_of(type(obj)), cluster or obj._cluster
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
        answer = self.request(resource, "DELETE", self._object_path(obj, resource), target, body=options)
        if wait and not dry_run:
            gone_uid = uid or get_path(answer or {}, ("metadata", "uid"))
            self.wait_gone(obj, gone_uid, timeout, target)

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
        for attempt in range(retries + 1):
            mutate(obj)
            try:
                return self.save(obj, cluster)
            except ConflictError:
                if attempt == retries:
                    raise
                time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
                self.refresh(obj, cluster)
        raise AssertionError("unreachable")

    # -- helpers -------------------------------------------------------------------------

    def _create(self, obj: M, resource: ResourceType, cluster: str | None, dry_run: bool) -> M:
        self._fill_namespace(obj, resource, cluster)
        try:
            check_names(obj)  # a bad name or namespace: nothing is sent, not even a schema request
        except ClientValidationError:
            validate(obj)  # everything found without the server's schema, in one error
            raise
        validate(obj, served=self.served_schema(resource, cluster))
        body = dict(obj._raw)
        body["metadata"] = user_metadata(obj._raw)
        namespace = body["metadata"].get("namespace")
        params = {"dryRun": _dry(dry_run), "fieldManager": self.field_manager}
        raw = self.request(resource, "POST", resource.path(namespace), cluster, body=body, params=params)
        status = _status_to_write(obj)
        if status and not dry_run and self.serves(resource, f"{resource.plural}/status", cluster):
            # The server dropped status from the create. Write what the user set, without a
            # resourceVersion precondition: a controller may already have touched the new object,
            # and a merge patch changes only the keys sent.
            path = resource.object_path(namespace, raw["metadata"]["name"], "status")
            try:
                raw = self.request(
                    resource, "PATCH", path, cluster, body={"status": status}, content_type=MERGE_PATCH,
                    params={"fieldManager": self.field_manager},
                )
            except ApiError as error:
                obj._load(raw, cluster)
                raise StatusNotWritten(
                    f"{_label(obj)} was created, but its status was not written: {error}. "
                    "Write it again with pk.save_status(obj).",
                    status=error.status, reason=error.reason, body=error.body,
                ) from error
        if not dry_run:
            obj._load(raw, cluster)
        return obj

    def _patch(
        self, obj: Model, resource: ResourceType, cluster: str | None, patch: dict[str, Any], dry_run: bool,
        subresource: str | None = None,
    ) -> Any:
        path = self._object_path(obj, resource, subresource)
        params = {"dryRun": _dry(dry_run), "fieldManager": self.field_manager}
        try:
            return self.request(resource, "PATCH", path, cluster, body=patch, content_type=MERGE_PATCH, params=params)
        except ConflictError as error:
            raise ConflictError(
                f"{_label(obj)} was changed on the server since it was read (resourceVersion "
                f"{get_path(obj.original or obj._raw, ('metadata', 'resourceVersion'))}); nothing was written. "
                "Reload it with pk.refresh(obj) and redo the change, or use pk.update(obj, fn) to retry. "
                f"Server: {error}",
                status=error.status, reason=error.reason, body=error.body,
            ) from error

    def _fill_namespace(self, obj: Model, resource: ResourceType, cluster: str | None) -> None:
        if resource.namespaced and not get_path(obj._raw, ("metadata", "namespace")):
            obj._raw.setdefault("metadata", {})["namespace"] = self.default_namespace(cluster)

    def _object_path(self, obj: Model, resource: ResourceType, subresource: str | None = None) -> str:
        namespace = get_path(obj._raw, ("metadata", "namespace")) if resource.namespaced else None
        if resource.namespaced and not namespace:
            namespace = self.default_namespace(obj._cluster)
        return resource.object_path(namespace or None, obj.name, subresource)


def _same_cluster(obj: Model, cluster: str | None) -> bool:
    """True when ``cluster`` (None: the object's own) is where ``obj`` was read from."""
    return cluster is None or (obj._cluster or "default") == cluster


def _status_to_write(obj: Model) -> dict[str, Any]:
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


def _label(obj: Model) -> str:
    namespace = get_path(obj._raw, ("metadata", "namespace"))
    where = f"{namespace}/" if isinstance(namespace, str) else ""
    return f"{type(obj).__name__} {where}{obj.name}"


def _crd_not_installed(resource: ResourceType, error: NotFound) -> CRDNotInstalled:
    if resource.group and "." in resource.group:
        fix = (
            f"its CustomResourceDefinition {resource.crd_name} is not installed. Install it with "
            f"pk.install_crds(Model) or `kubectl apply -f` its manifest (pykorm crd MODULE:{resource.kind})"
        )
    else:
        fix = "this API server does not serve it"
    return CRDNotInstalled(
        f"{resource.kind} ({resource.api_version}, {resource.plural}) is not served: {fix}.",
        status=error.status, reason=error.reason, body=error.body,
    )
