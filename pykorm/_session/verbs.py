"""The session's verbs beyond reads and writes: relationships, scale, logs, manifests, kinds from discovery.

Each verb is a coroutine here (:func:`owners`, :func:`model_for`, :func:`apply_manifests`...) over a
session's own reads and writes, so that the blocking :class:`pykorm.Pykorm` and ``pykorm.aio.AsyncPykorm``
run the same code. Each is a thin layer over a module
named for its concept (:mod:`pykorm._data.owners`, :mod:`pykorm._session.subresources`,
:mod:`pykorm._session.manifests`).

The model of a kind is a ``Model`` class, a layer above: :mod:`pykorm.models._kinds` is imported
inside the functions that need it (the layering test lists that import with its reason).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Iterator, Literal, Mapping, TypeVar, overload

from .._base.errors import NotFound
from .._data.stored import adopt as adopt_checked
from .._http.resource import resource_of
from .manifests import ManifestSource, manifest_objects
from .._base.errors import ClientValidationError
from .logstream import LogLine
from . import running

if TYPE_CHECKING:
    from .._data.stored import Stored
    from ..models._model import Model
    from .core import SessionCore

_POD_OWNERS = {("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"),
               ("batch", "jobs")}


def _scoped(query: Any, cluster: str | None) -> Any:
    return query.using(cluster) if cluster else query


__all__ = ["pods_of", "workload_logs", "adopt", "apply_manifests", "model_for", "owners", "runtime_model"]

M = TypeVar("M", bound="Stored")
_runtime_lock = threading.Lock()


async def model_for(session: SessionCore[Any], api_version: str, kind: str, cluster: str | None) -> type[Model]:
    """``kind``'s model in ``api_version``: pykorm.k8s's, the program's, else one made from discovery."""
    from ..models import _kinds  # a layer up, on purpose: a kind's model is a Model class

    declared = _kinds.declared_model(api_version, kind)
    return declared if declared is not None else await runtime_model(session, api_version, kind, cluster)


async def runtime_model(session: SessionCore[Any], api_version: str, kind: str | None, cluster: str | None) -> type[Model]:
    """A model made from discovery, once per session, cluster, api_version and kind."""
    from ..models import _kinds  # a layer up, on purpose: a kind's model is a Model class

    key = (cluster or "default", api_version, kind or "")
    models: dict[tuple[str, str, str], type[Model]] = session.__dict__.setdefault("_runtime_models", {})
    found = models.get(key)
    if found is None:
        async def send(method: str, path: str) -> Any:
            return await session._send(cluster, method, path)

        found = await _kinds.runtime_model(send, api_version, kind)
        with _runtime_lock:
            found = models.setdefault(key, found)
    return found


async def owners(session: SessionCore[Any], obj: Stored, cluster: str | None) -> list[Model]:
    """The owners of ``obj`` that still exist, in reference order (see :meth:`Verbs.owners`)."""
    found: list[Model] = []
    target = cluster or obj._cluster
    namespace = obj._raw.get("metadata", {}).get("namespace")
    for reference in obj.owner_references or []:
        model = await model_for(session, reference.api_version, reference.kind, target)
        try:
            owner = await session._get(model, reference.name, namespace if resource_of(model).namespaced else None, target)
        except NotFound:
            continue
        if owner.uid == reference.uid:  # the same name may now hold another object
            found.append(owner)
    return found


async def pods_of(session: SessionCore[Any], workload: Stored, cluster: str | None) -> list[Model]:
    """A workload's pods by owner references, oldest first (see :meth:`pykorm.Pykorm.pods_of`)."""
    kind = resource_of(type(workload))
    if (kind.group, kind.plural) not in _POD_OWNERS:
        raise ClientValidationError(f"{type(workload).__name__} owns no pods: pods_of takes a Deployment, "
                                    "ReplicaSet, StatefulSet, DaemonSet or Job")
    target = cluster or workload._cluster
    pod = await model_for(session, "v1", "Pod", target)
    owners: list[Any] = [workload]
    if (kind.group, kind.plural) == ("apps", "deployments"):
        replica_set = await model_for(session, "apps/v1", "ReplicaSet", target)
        owners = await running.listed(_scoped(replica_set.query.session(session), target).owned_by(workload))
    pods = [p for owner in owners for p in await running.listed(_scoped(pod.query.session(session), target).owned_by(owner))]
    return sorted(pods, key=lambda p: (p._raw.get("metadata", {}).get("creationTimestamp") or "", p.name))


async def workload_logs(session: SessionCore[Any], workload: Stored, container: str | None, tail_lines: int | None,
                        cluster: str | None, timeout: float | None) -> list[LogLine]:
    """Every started pod's log lines with their pod and container (see :meth:`pykorm.Pykorm.workload_logs`)."""
    found: list[LogLine] = []
    for pod in await pods_of(session, workload, cluster):
        raw = pod._raw
        if (raw.get("status") or {}).get("phase") in (None, "Pending"):
            continue  # no container has started: no log yet
        names = [c.get("name") for c in (raw.get("spec") or {}).get("containers") or ()]
        for name in [container] if container is not None else names:
            text = await session._logs(pod, (name, tail_lines, None, False), cluster, timeout)
            found += [LogLine(pod.name, str(name), line) for line in text.splitlines()]
    return found


async def adopt(session: SessionCore[Any], child: M, owner: Stored, controller: bool, block_owner_deletion: bool,
                cluster: str | None) -> M:
    """``owner`` made an owner of ``child``, saved if it is stored (see :meth:`Verbs.adopt`)."""
    adopt_checked(child, owner, controller=controller, block_owner_deletion=block_owner_deletion)
    if child.is_stored:
        await session._save(child, cluster)
    return child


async def apply_manifests(session: SessionCore[Any], source: ManifestSource, cluster: str | None, field_manager: str | None,
                          force: bool, dry_run: bool, recursive: bool, warn_level: int) -> list[Model]:
    """Every object of ``source``, server-side applied (see :meth:`Verbs.apply_manifests`)."""
    applied: list[Model] = []
    for raw in manifest_objects(source, recursive=recursive):
        model = await model_for(session, raw["apiVersion"], raw["kind"], cluster)
        obj = await session._apply(model.from_dict(raw), cluster, field_manager, force, dry_run, warn_level + 1)
        if raw["kind"] == "CustomResourceDefinition" and not dry_run:
            await session._install_crds((obj.to_dict(),), cluster, 60.0)  # already applied: waits until served
            await session._refresh(obj, cluster)
        applied.append(obj)
    return applied
