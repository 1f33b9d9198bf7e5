"""The model of a kind: declared (pykorm.k8s's, the program's), or made at run time from discovery.

``resource("apps/v1", "Deployment")`` asks the server which plural and scope the kind has (its
group version's resource list) and which top-level properties its objects have (the OpenAPI v3
document of the group version), and returns a model: each property a field holding plain JSON,
so lookups reach inside as dict paths (``spec__replicas__gte=2``, ``data__key="v"``).
``resource("widgets.example.com")`` names a CRD by its ``<plural>.<group>``: its served
preferred version is used.

The session (:mod:`pykorm._session.verbs`, a layer below models) calls :func:`declared_model` and
:func:`runtime_model` through a function-level import (the one way up it has, said in the layering test).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from .._base.errors import ClientValidationError, NotFound
from ._model import ClusterModel, Model, NamespacedModel, k8s_resource
from .._schema.openapi import kind_schema
from .._http.resource import ResourceType
from ..fields import DataField

__all__ = ["declared_model", "discover", "resource", "runtime_model"]

_ENVELOPE = ("apiVersion", "kind", "metadata")

Send = Callable[[str, str], Awaitable[Any]]
"""A session's request, as a coroutine: (method, path) -> the decoded answer."""


async def discover(send: Send, api_version: str, kind: str | None = None) -> ResourceType:
    """The resource of ``kind`` in ``api_version`` (``"v1"``, ``"apps/v1"``); or with ``kind`` None,
    ``api_version`` is ``<plural>.<group>`` (a CRD name, or any resource's) and its preferred version is used.

    Raises:
        NotFound: the server serves no such group version or kind.
        ClientValidationError: ``api_version`` or ``kind`` is no name (nothing is sent).
    """
    if not isinstance(api_version, str) or not api_version or (kind is not None and (not isinstance(kind, str) or not kind)):
        raise ClientValidationError(f"a resource is named by an apiVersion and a kind ('apps/v1', 'Deployment') or by "
                                    f"<plural>.<group> ('widgets.example.com'), not {api_version!r:.60}, {kind!r:.60}")
    if kind is None:
        plural, _, group = api_version.partition(".")
        groups = await send("GET", "/apis")
        found = next((g for g in groups.get("groups", ()) if g["name"] == group), None)
        if found is None:
            raise NotFound(f"the server serves no API group {group!r} (for {api_version})", status=404)
        version = found["preferredVersion"]["groupVersion"]
        for entry in await _resources(send, version):
            if entry["name"] == plural:
                return _resource_type(version, entry)
        raise NotFound(f"{version} has no resource {plural!r}", status=404)
    for entry in await _resources(send, api_version):
        if entry["kind"] == kind and "/" not in entry["name"]:
            return _resource_type(api_version, entry)
    raise NotFound(f"{api_version} has no kind {kind!r}", status=404)


def resource(api_version: str, kind: str | None = None, *, cluster: str | None = None) -> type[Model]:
    """A model made at run time from discovery, through the default session (see :meth:`pykorm.Pykorm.resource`).

    >>> Deployment = pykorm.resource("apps/v1", "Deployment")
    >>> Widget = pykorm.resource("widgets.example.com")
    """
    from .._session.session import default_session

    return default_session().resource(api_version, kind, cluster=cluster)


def declared_model(api_version: str, kind: str) -> type[Model] | None:
    """A model class bound to ``api_version``/``kind``: pykorm.k8s's first, then the program's; None if none is."""
    from .. import k8s

    generated: type[Model] | None = k8s.model_of(api_version, kind)  # its group's module loaded now
    if generated is not None:
        return generated
    matches: list[type[Model]] = []
    pending: list[Any] = list(Model.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found = getattr(cls, "__resource__", None)
        if found is not None and found.api_version == api_version and found.kind == kind:
            matches.append(cls)
    matches.sort(key=lambda c: (not c.__module__.startswith("pykorm.k8s."), c.__module__, c.__qualname__))
    return matches[0] if matches else None


async def runtime_model(send: Send, api_version: str, kind: str | None = None) -> type[Model]:
    """A model class for a discovered resource: a field per top-level property of its OpenAPI schema (plain JSON).

    Raises:
        NotFound: the server serves no such group version or kind.
    """
    resource = await discover(send, api_version, kind)
    """A model class for ``resource``: a field per top-level property of its OpenAPI schema (plain JSON)."""
    prefix = f"/apis/{resource.api_version}" if resource.group else f"/api/{resource.version}"
    properties: dict[str, Any] = {}
    try:
        document = await send("GET", f"/openapi/v3{prefix}")
        document = json.loads(document) if isinstance(document, str) else document
        if isinstance(document, dict):
            properties = (kind_schema(document, resource.group, resource.version, resource.kind) or {}).get("properties") or {}
    except NotFound:
        pass
    if not properties:
        properties = {"spec": {"type": "object"}, "status": {"type": "object"}}
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": __name__, "__qualname__": resource.kind}
    taken = {n for n in dir(NamespacedModel)}
    for key, schema in properties.items():
        if key in _ENVELOPE or not key.isidentifier() or key in taken:
            continue
        namespace[key] = DataField(key, default=None)
        namespace["__annotations__"][key] = dict[str, Any] if schema.get("type") == "object" or "allOf" in schema else Any
    base = NamespacedModel if resource.namespaced else ClusterModel
    cls = type(resource.kind, (base,), namespace)
    bound: type[Model] = k8s_resource(resource.group, resource.version, resource.plural, resource.kind)(cls)
    return bound


async def _resources(send: Send, api_version: str) -> list[dict[str, Any]]:
    path = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    listing = await send("GET", path)
    return list(listing.get("resources") or ())


def _resource_type(api_version: str, entry: dict[str, Any]) -> ResourceType:
    group, _, version = api_version.rpartition("/")
    return ResourceType(group, version, entry["name"], entry["kind"], bool(entry["namespaced"]))
