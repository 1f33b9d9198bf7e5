"""Owner references: an object names the objects it depends on in ``metadata.ownerReferences``.

The garbage collector deletes an object once all its owners are gone (after them, with
``propagation_policy="Foreground"``). :class:`OwnerReference` is the typed entry every model
has in ``owner_references``; :func:`pykorm._data.stored.adopt` adds one with the checks the garbage
collector needs (an owner must exist, be cluster-scoped or in the child's namespace; one controller).
Reading the owners back (``obj.owners()``) and listing children (``Model.query.owned_by``)
are I/O: :class:`pykorm.Pykorm` and :class:`pykorm.Query` do them.
"""

from __future__ import annotations

from .objects import Nested
from ..fields import DataField

__all__ = ["OwnerReference"]


class OwnerReference(Nested):
    """An object this one depends on (``metadata.ownerReferences``): once every owner is gone, it is collected."""

    api_version: str = DataField("apiVersion", required=True)
    kind: str = DataField("kind", required=True)
    name: str = DataField("name", required=True)
    uid: str = DataField("uid", required=True)
    controller: bool | None = DataField("controller", default=None)
    block_owner_deletion: bool | None = DataField("blockOwnerDeletion", default=None)
