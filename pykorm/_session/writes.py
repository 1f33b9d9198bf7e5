"""A session's writes, as coroutines: create, merge-patch, apply, delete, and the one conflict-retry loop.

:class:`Writes` adds to :class:`~pykorm._session.reads.Reads` ``save`` (a create, or a
merge patch of exactly the changes against ``obj.original``, with its ``resourceVersion`` so that a
concurrent change is a ``ConflictError``), ``save_status``, server-side ``apply``, ``delete`` and
``update`` (``pk.update``, bulk updates and ``controller.update_status``: re-read and redo on a
conflict). Names are checked and objects validated (:mod:`pykorm._schema.validation`) before anything is sent.
"""

from __future__ import annotations

import copy
import inspect
import random
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from .._base.errors import (
    ApiError, ClientValidationError, ConflictError, NotFound, PrunedFieldsWarning, StatusNotWritten,
)
from .._data.objects import user_metadata
from .._schema.openapi import is_custom_group, pruned
from .._base.patch import merge_patch
from .._base.paths import MISSING, delete_path, get_path
from .._http.resource import ResourceType, resource_of
from .._http.transport import APPLY_PATCH, MERGE_PATCH
from .._schema.validation import check_names, validate
from .connections import TransportT, delete_options, dry_run_param, label_of
from .._http.retry import seconds
from .reads import Reads

if TYPE_CHECKING:
    from .._data.stored import Stored

__all__ = ["Writes"]

M = TypeVar("M", bound="Stored")


class Writes(Reads[TransportT]):
    """The writes of a session (see the module docstring)."""

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
        patch = merge_patch(original, obj._raw)
        validate(obj, served=await self._served_schema(resource, target), changed=patch)  # what the server re-checks
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
        if get_path(obj._raw, ("metadata", "resourceVersion")) in (MISSING, None, ""):
            # a new object's status was compared with itself: nothing written, and no error said so
            raise ClientValidationError(f"save_status(): {label_of(obj)} was never read from the cluster or saved to it: "
                                        "save() it first (a new object's status is written with it); nothing was sent")
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
        manager = self.field_manager if field_manager is None else field_manager
        if not isinstance(manager, str) or not manager or len(manager) > 128:
            raise ClientValidationError(f"apply(): field_manager is a name of 1 to 128 characters, not {manager!r:.60}; "
                                        "nothing was sent")
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
                    f"{label_of(obj)}: apply leaves out {', '.join(dropped)}: the schema the API server "
                    f"enforces for {resource.kind} does not declare {'it' if len(dropped) == 1 else 'them'}",
                    PrunedFieldsWarning, stacklevel=warn_level,
                )
        params = {"fieldManager": manager, "force": force or None, "dryRun": dry_run_param(dry_run)}
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
        # with wait, the timeout bounds the whole call
        deadline = time.monotonic() + seconds(timeout, "delete()'s timeout") if wait else None
        options = delete_options(propagation_policy, dry_run, grace_period_seconds)
        uid = get_path(obj._raw, ("metadata", "uid"))
        if uid and _same_cluster(obj, cluster):
            options["preconditions"] = {"uid": uid}
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
        if not callable(mutate):
            raise TypeError(f"update() takes a function that changes the object, not {type(mutate).__name__} {mutate!r:.60}")
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

    # -- helpers -------------------------------------------------------------------------------

    async def _create(self, obj: M, resource: ResourceType, cluster: str | None, dry_run: bool) -> M:
        self._fill_namespace(obj, resource, cluster)
        try:
            check_names(obj)  # a bad name or namespace: nothing is sent, not even a schema request
        except ClientValidationError:
            validate(obj)  # everything found without the server's schema, in one error
            raise
        validate(obj, need_name=False, served=await self._served_schema(resource, cluster))  # names: checked above
        body = dict(obj._raw)
        body["metadata"] = user_metadata(obj._raw)
        namespace = body["metadata"].get("namespace")
        params = {"dryRun": dry_run_param(dry_run), "fieldManager": self.field_manager, **_strict(resource)}
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
                    f"{label_of(obj)} was created, but its status was not written: {error}. "
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
        params = {"dryRun": dry_run_param(dry_run), "fieldManager": self.field_manager, **_strict(resource)}
        try:
            return await self._request(
                resource, "PATCH", path, cluster, body=patch, content_type=MERGE_PATCH, params=params
            )
        except ConflictError as error:
            raise ConflictError(
                f"{label_of(obj)} was changed on the server since it was read (resourceVersion "
                f"{get_path(obj.original or obj._raw, ('metadata', 'resourceVersion'))}); nothing was written. "
                "Reload it with pk.refresh(obj) and redo the change, or use pk.update(obj, fn) to retry. "
                f"Server: {error}",
                status=error.status, reason=error.reason, body=error.body,
            ) from error


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


def _apply_merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _apply_merge(target[key], value)
        else:
            target[key] = value
    return target
