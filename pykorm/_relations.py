"""Relationships between objects: owner references, their owners, and the models that name a kind.

An object's ``metadata.ownerReferences`` names the objects it depends on; the garbage collector
deletes it once they are all gone (after them, with ``propagation_policy="Foreground"``).
:func:`adopt` adds such a reference, :func:`owners` reads them back as models, and
``Model.query.owned_by(owner)`` lists the children of a kind. The model for an ``apiVersion``
and ``kind`` is, in order: a model of :mod:`pykorm.k8s`, a model declared by the program, or one
made at run time from discovery (:func:`pykorm._discovery.resource`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import ClientValidationError, NotFound
from ._models import Model, OwnerReference
from ._paths import get_path
from ._resource import resource_of

if TYPE_CHECKING:
    from ._session import Pykorm

__all__ = ["adopt", "declared_model", "owner_reference", "owners"]


def owner_reference(owner: Model, *, controller: bool = True, block_owner_deletion: bool = True) -> OwnerReference:
    """A reference to ``owner`` (a stored object: its uid is needed).

    Raises:
        ClientValidationError: ``owner`` has no uid yet (save it first).
    """
    resource = resource_of(type(owner))
    if not owner.uid:
        raise ClientValidationError(f"{resource.kind} {owner.name}: an owner must be saved first (it has no uid yet)")
    return OwnerReference(api_version=resource.api_version, kind=resource.kind, name=owner.name, uid=owner.uid,
                          controller=controller, block_owner_deletion=block_owner_deletion)


def adopt(child: Model, owner: Model, *, controller: bool = True, block_owner_deletion: bool = True) -> None:
    """Add (or update) ``owner`` in ``child``'s owner references, in memory.

    Raises:
        ClientValidationError: the owner is not saved; a namespaced owner in another namespace,
            or a namespaced owner of a cluster-scoped child (the garbage collector would delete
            the child at once); another owner is already the controller.
    """
    child_resource, owner_resource = resource_of(type(child)), resource_of(type(owner))
    reference = owner_reference(owner, controller=controller, block_owner_deletion=block_owner_deletion)
    if owner_resource.namespaced:
        owner_ns = get_path(owner._raw, ("metadata", "namespace"))
        child_ns = get_path(child._raw, ("metadata", "namespace")) if child_resource.namespaced else None
        if not child_resource.namespaced or (child_ns and child_ns != owner_ns):
            where = f"namespace {child_ns}" if child_ns else "no namespace"
            raise ClientValidationError(
                f"{child_resource.kind} {child.name} ({where}) cannot be owned by {owner_resource.kind} {owner.name} "
                f"of namespace {owner_ns}: owners must be cluster-scoped or in the child's namespace")
        if child_resource.namespaced and not child_ns:
            child._will_change()
            child._raw.setdefault("metadata", {})["namespace"] = owner_ns
    references = [r for r in (child.owner_references or []) if r.uid != reference.uid]
    if controller:
        other = next((r for r in references if r.controller), None)
        if other is not None:
            raise ClientValidationError(
                f"{child_resource.kind} {child.name} already has a controller, {other.kind} {other.name}; "
                "pass controller=False to add another owner")
    child.owner_references = [*references, reference]


def owners(session: Pykorm, obj: Model, cluster: str | None = None) -> list[Model]:
    """The owners of ``obj`` that still exist, in reference order, as models of their kinds."""
    found: list[Model] = []
    target = cluster or obj._cluster
    namespace = get_path(obj._raw, ("metadata", "namespace"))
    for reference in obj.owner_references or []:
        model = session.model_for(reference.api_version, reference.kind, target)
        scoped = namespace if resource_of(model).namespaced else None
        try:
            owner = session.get(model, reference.name, scoped, target)
        except NotFound:
            continue
        if owner.uid == reference.uid:  # the same name may now hold another object
            found.append(owner)
    return found


def declared_model(api_version: str, kind: str) -> type[Model] | None:
    """A model class bound to ``api_version``/``kind``: pykorm.k8s's first, then the program's; None if none is."""
    import pykorm.k8s  # noqa: F401 - the generated models register as Model subclasses

    matches: list[type[Model]] = []
    pending: list[Any] = list(Model.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        resource = getattr(cls, "__resource__", None)
        if resource is not None and resource.api_version == api_version and resource.kind == kind:
            matches.append(cls)
    matches.sort(key=lambda c: (not c.__module__.startswith("pykorm.k8s."), c.__module__, c.__qualname__))
    return matches[0] if matches else None
