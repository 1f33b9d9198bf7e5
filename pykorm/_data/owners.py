"""Owner references: an object names the objects it depends on in ``metadata.ownerReferences``.

The garbage collector deletes an object once all its owners are gone (after them, with
``propagation_policy="Foreground"``). :class:`OwnerReference` is the typed entry every model
has in ``owner_references``; :func:`adopt` adds one with the checks the garbage collector
needs (an owner must exist, be cluster-scoped or in the child's namespace; one controller).
Reading the owners back (``obj.owners()``) and listing children (``Model.query.owned_by``)
are I/O: :class:`pykorm.Pykorm` and :class:`pykorm.Query` do them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._base.errors import ClientValidationError
from .objects import Nested
from .._base.paths import get_path
from .._http.resource import resource_of
from ..fields import DataField

if TYPE_CHECKING:
    from ..models._model import Model

__all__ = ["OwnerReference", "adopt", "owner_reference"]


class OwnerReference(Nested):
    """An object this one depends on (``metadata.ownerReferences``): once every owner is gone, it is collected."""

    api_version: str = DataField("apiVersion", required=True)
    kind: str = DataField("kind", required=True)
    name: str = DataField("name", required=True)
    uid: str = DataField("uid", required=True)
    controller: bool | None = DataField("controller", default=None)
    block_owner_deletion: bool | None = DataField("blockOwnerDeletion", default=None)


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
