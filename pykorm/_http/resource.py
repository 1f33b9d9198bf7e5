"""Resource identity: group, version, plural, kind, scope, and the URL paths they make.

It imports nothing from the models or the client; the ``k8s_*`` decorators that bind a
model class to a :class:`ResourceType` live with the models (:mod:`pykorm.models._model`).
"""

from __future__ import annotations

import dataclasses
import re

from .._base.names import path_segment

__all__ = ["ResourceType", "resource_of"]

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
    if not isinstance(cls, type):
        raise TypeError(f"a model class is expected (such as Peach or pykorm.k8s.Pod), not {type(cls).__name__} {cls!r:.60}")
    resource: ResourceType | None = getattr(cls, "__resource__", None)
    if resource is None:
        if issubclass(cls, type):
            raise TypeError("a model class was given where one of its objects is expected: "
                            "pass an instance (Peach(name=..., ...)), not the class")
        raise TypeError(
            f"{cls.__name__} is not bound to a Kubernetes resource; decorate it with "
            "@pykorm.k8s_custom_object(group, version, plural) or @pykorm.k8s_core(kind)"
        )
    return resource
