"""Resource identity (group, version, plural, kind, scope) and the decorators that attach it to a model."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, TypeVar

__all__ = ["ResourceType", "k8s_appsv1", "k8s_core", "k8s_custom_object", "resource_of"]

T = TypeVar("T", bound=type)


@dataclasses.dataclass(frozen=True)
class ResourceType:
    """Where a kind of object lives in the API: ``/apis/<group>/<version>/[namespaces/<ns>/]<plural>``."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

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

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        """The URL path of the collection (``name`` omitted) or of one object."""
        parts = [self.group_path()]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name is not None:
            parts.append(name)
            if subresource:
                parts.append(subresource)
        return "/".join(parts)


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


def _bind(cls: Any, group: str, version: str, plural: str, kind: str | None) -> Any:
    from ._models import ClusterModel, NamespacedModel

    if issubclass(cls, NamespacedModel):
        namespaced = True
    elif issubclass(cls, ClusterModel):
        namespaced = False
    else:
        raise TypeError(f"{cls.__name__} must inherit from pykorm.NamespacedModel or pykorm.ClusterModel")
    cls.__resource__ = ResourceType(group, version, plural, kind or cls.__name__, namespaced)
    return cls


def k8s_custom_object(group: str, version: str, plural: str, kind: str | None = None) -> Callable[[T], T]:
    """Bind a model class to a custom resource; ``kind`` defaults to the class name.

    >>> @k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
    ... class Peach(NamespacedModel): ...
    """
    return lambda cls: _bind(cls, group, version, plural, kind)


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
