"""Resource identity (group, version, plural, kind, scope) and the decorators that attach it to a model."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, TypeVar

from ._names import path_segment

__all__ = ["ResourceType", "k8s_appsv1", "k8s_core", "k8s_custom_object", "k8s_resource", "resource_of"]

T = TypeVar("T", bound=type)


@dataclasses.dataclass(frozen=True)
class ResourceType:
    """Where a kind of object lives in the API: ``/apis/<group>/<version>/[namespaces/<ns>/]<plural>``."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    selectable: tuple[str, ...] = ()
    """Field paths (``status.phase``) the server accepts in a field selector, beyond ``metadata.name``."""

    @property
    def api_version(self) -> str:
        """``group/version``, or just ``version`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def crd_name(self) -> str:
        """The name its CustomResourceDefinition has: ``<plural>.<group>``."""
        return f"{self.plural}.{self.group}"

    def group_path(self) -> str:
        """The discovery path of its group version: ``/api/v1`` or ``/apis/<group>/<version>``."""
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    @property
    def free_form_names(self) -> bool:
        """True for kinds whose names need only be valid path segments (RBAC: ``system:controller:x``)."""
        return self.group == "rbac.authorization.k8s.io"

    def path(self, namespace: str | None = None) -> str:
        """The URL path of the collection: all namespaces when ``namespace`` is None.

        Raises:
            ClientValidationError: the namespace is not a DNS-1123 label (nothing is sent).
        """
        parts = [self.group_path()]
        if self.namespaced and namespace is not None:
            parts.append("namespaces/" + path_segment(namespace, "metadata.namespace", label=True, what=self.kind))
        parts.append(self.plural)
        return "/".join(parts)

    def object_path(self, namespace: str | None, name: str | None, subresource: str | None = None) -> str:
        """The URL path of one object (or of its subresource).

        Every segment is checked as the API server defines names (a namespace is a DNS-1123
        label, a name a DNS-1123 subdomain or, for RBAC kinds, a path segment) and
        percent-encoded, so no name can address another object or the collection.

        Raises:
            ClientValidationError: a name or namespace is missing or invalid (nothing is sent).
        """
        name_segment = path_segment(name, "metadata.name", path_only=self.free_form_names, what=self.kind)
        path = f"{self.path(namespace)}/{name_segment}"
        if subresource:
            if not _SUBRESOURCE.match(subresource):
                raise ValueError(f"not a subresource: {subresource!r}")
            path += f"/{subresource}"
        return path


_SUBRESOURCE = re.compile(r"^[a-z]+$")


def resource_of(cls: type) -> ResourceType:
    """The resource a model class is bound to.

    Raises:
        TypeError: the class has no ``@k8s_custom_object``/``@k8s_core`` decorator.
    """
    resource: ResourceType | None = getattr(cls, "__resource__", None)
    if resource is None:
        raise TypeError(
            f"{cls.__name__} is not bound to a Kubernetes resource; decorate it with "
            "@pykorm.k8s_custom_object(group, version, plural) or @pykorm.k8s_core(kind)"
        )
    return resource


def _bind(cls: Any, group: str, version: str, plural: str, kind: str | None, selectable: tuple[str, ...] = ()) -> Any:
    from ._models import ClusterModel, NamespacedModel

    if issubclass(cls, NamespacedModel):
        namespaced = True
    elif issubclass(cls, ClusterModel):
        namespaced = False
    else:
        raise TypeError(f"{cls.__name__} must inherit from pykorm.NamespacedModel or pykorm.ClusterModel")
    cls.__resource__ = ResourceType(group, version, plural, kind or cls.__name__, namespaced, tuple(selectable))
    return cls


def k8s_custom_object(group: str, version: str, plural: str, kind: str | None = None) -> Callable[[T], T]:
    """Bind a model class to a custom resource; ``kind`` defaults to the class name.

    >>> @k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
    ... class Peach(NamespacedModel): ...
    """
    return lambda cls: _bind(cls, group, version, plural, kind)


def k8s_resource(
    group: str, version: str, plural: str, kind: str | None = None, *, selectable: tuple[str, ...] = ()
) -> Callable[[T], T]:
    """Bind a model class to a resource of any API group (``""`` for the core group).

    Args:
        kind: defaults to the class name.
        selectable: field paths the server accepts in a field selector for this resource
            (``("status.phase", "spec.nodeName")`` for pods): queries filtering on them push
            them down.

    >>> @k8s_resource("batch", "v1", "jobs")
    ... class Job(NamespacedModel): ...
    """
    return lambda cls: _bind(cls, group, version, plural, kind, selectable)


def _plural(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith("endpoints"):
        return lower
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


def k8s_core(kind: str, plural: str | None = None) -> Callable[[T], T]:
    """Bind a model class to a built-in kind of the core group (``v1``): Namespace, ConfigMap, Pod..."""
    return lambda cls: _bind(cls, "", "v1", plural or _plural(kind), kind)


def k8s_appsv1(kind: str, plural: str | None = None) -> Callable[[T], T]:
    """Bind a model class to a kind of the ``apps/v1`` group: Deployment, StatefulSet..."""
    return lambda cls: _bind(cls, "apps", "v1", plural or _plural(kind), kind)
