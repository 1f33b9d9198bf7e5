"""``Stored``: a Kubernetes object's identity, metadata and state — what the session uses of an object.

:class:`pykorm.Model` (a layer above, with ``Model.query`` and the active-record façade) is a
``Stored``; the session, queries, watches and bulk operations are typed against this class, so that
their imports point down even for type checkers (tests/unit/test_architecture.py counts type-only
imports). Objects loaded from the server are not copied until first changed (reading never copies
them); the copy taken then is what ``save`` compares against to send only the changes
(:mod:`pykorm._data.tracking`). :func:`adopt` adds an owner reference with the garbage collector's checks.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any, ClassVar, Mapping, overload

from typing_extensions import Self

from .._base.errors import ClientValidationError
from .._base.paths import delete_path, get_path, set_path
from .._http.resource import ResourceType, resource_of
from ..fields import Metadata
from .objects import _Object, peek, user_metadata
from .owners import OwnerReference
from .tracking import json_copy

__all__ = ["Stored", "adopt", "owner_reference"]



class _OriginalUid:
    """``obj._k8s_uid``, the original pykorm's name of the uid: read-only once set, like ``uid``.

    ``Model._k8s_uid`` is this descriptor, with the original's ``readonly`` flag: its multi-cluster example
    clears the uid of an object read from one cluster to save it to another (``Namespace._k8s_uid.readonly =
    False; ns._k8s_uid = None``), which pykorm does not need but lets it do.
    """

    readonly = True

    @overload
    def __get__(self, obj: None, owner: type) -> _OriginalUid: ...
    @overload
    def __get__(self, obj: Stored, owner: type | None = None) -> str | None: ...

    def __get__(self, obj: Stored | None, owner: type | None = None) -> _OriginalUid | str | None:
        return self if obj is None else obj.uid

    def __set__(self, obj: Stored, value: str | None) -> None:
        if self.readonly:
            obj.uid = value  # ReadOnlyException once set, like uid
            return
        obj._will_change()
        if value is None:
            delete_path(obj._raw, ("metadata", "uid"))
        else:
            set_path(obj._raw, ("metadata", "uid"), value)


class Stored(_Object):
    """A top-level object of a resource: identity (``name``, ``uid``...), metadata, the JSON it holds and
    the session and cluster it came through. Models subclass :class:`pykorm.Model`, not this."""

    __resource__: ClassVar[ResourceType | None] = None
    query: ClassVar[Any]
    """``Model.query``, a new query of the class (made a layer above: :mod:`pykorm.models`)."""

    @property
    def _cluster(self) -> str | None:
        cluster: str | None = self.__dict__["_cluster"]
        return cluster
    name: str = Metadata("name", readonly=True)  # set once, as in pykorm: a new name is a new object
    labels: dict[str, str] = Metadata("labels", default_factory=dict, repr=False)
    annotations: dict[str, str] = Metadata("annotations", default_factory=dict, repr=False)
    created_at: datetime.datetime | None = Metadata("creationTimestamp", readonly=True, init=False, repr=False)
    uid: str | None = Metadata("uid", readonly=True, init=False, repr=False)
    resource_version: str | None = Metadata("resourceVersion", init=False, repr=False)
    generation: int | None = Metadata("generation", readonly=True, init=False, repr=False)
    owner_references: list[OwnerReference] | None = Metadata("ownerReferences", default=None, repr=False)
    finalizers: list[str] | None = Metadata("finalizers", default=None, repr=False)
    deletion_timestamp: datetime.datetime | None = Metadata("deletionTimestamp", readonly=True, init=False, repr=False)
    deletion_grace_period_seconds: int | None = Metadata("deletionGracePeriodSeconds", init=False, repr=False)

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        obj = super().__new__(cls)
        obj.__dict__["_original"] = None
        obj.__dict__["_cluster"] = None
        obj.__dict__["_session"] = None
        return obj

    # A copy acts through the same session; a pickled object has none (another process: the default one).

    def __copy__(self) -> Self:
        obj = object.__new__(type(self))
        obj.__dict__.update(self.__dict__)
        return obj

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        obj = object.__new__(type(self))
        memo[id(self)] = obj
        for key, value in self.__dict__.items():
            # a cache's JSON, not copied yet: the deep copy is the copy's own
            obj.__dict__["_raw" if key == "_shared" else key] = value if key == "_session" else copy.deepcopy(value, memo)
        return obj

    def __getstate__(self) -> dict[str, Any]:
        state = {**self.__dict__, "_session": None}
        if "_shared" in state:  # a cache's JSON, not copied yet: the unpickled object owns what it reads
            state["_raw"] = state.pop("_shared")
        return state

    @classmethod
    def _skeleton(cls) -> dict[str, Any]:
        resource = cls.__resource__
        if resource is None:
            return {"metadata": {}}
        return {"apiVersion": resource.api_version, "kind": resource.kind, "metadata": {}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """A typed object from a manifest dict (the counterpart of :meth:`to_dict`); ``data`` is copied.

        Raises:
            ValueError: ``data`` names another ``apiVersion`` or ``kind`` than the model's.

        >>> Deployment.from_dict(yaml.safe_load(open("deployment.yaml"))).spec.replicas
        """
        raw = copy.deepcopy(dict(data))
        for key, expected in cls._skeleton().items():
            if key == "metadata":
                raw.setdefault("metadata", {})
            elif raw.setdefault(key, expected) != expected:
                raise ValueError(f"{cls.__name__}.from_dict: {key} is {raw[key]!r}, not {expected!r}")
        return cls._from_server(raw)

    @classmethod
    def _from_server(cls, raw: dict[str, Any], cluster: str | None = None, session: Any = None) -> Self:
        """An instance holding ``raw`` as the server sent it (not copied), read through ``session``."""
        obj = object.__new__(cls)
        d = obj.__dict__
        d["_raw"] = raw
        d["_original"] = None
        d["_cluster"] = cluster
        d["_session"] = session
        return obj

    @classmethod
    def _from_store(cls, raw: dict[str, Any], cluster: str | None = None, session: Any = None) -> Self:
        """An instance of a cache's JSON ``raw`` (shared: never changed), copied the first time it is needed.

        Reading scalar fields (``name``, ``spec.replicas``...), equality and :meth:`to_dict` read ``raw``;
        anything else that uses the JSON (a change, a container or nested object read, a save) first
        makes the object's own copy (:class:`pykorm._data.objects._OwnCopy`): changing the object never
        changes the store, nor another object handed out from it.
        """
        obj = cls._from_server(raw, cluster, session)
        d = obj.__dict__
        d["_shared"] = d.pop("_raw")
        return obj

    def _load(self, raw: dict[str, Any], cluster: str | None = None, session: Any = None) -> None:
        """Replace the object's state with the server's answer (through ``session``: the object acts through it now)."""
        d = self.__dict__
        d["_raw"] = raw
        d.pop("_shared", None)
        d["_original"] = None
        if cluster is not None:
            d["_cluster"] = cluster
        if session is not None:
            d["_session"] = session

    def _bind(self, session: Any) -> None:
        """From now on the object acts through ``session`` (a write through it sent nothing: still its session)."""
        self.__dict__["_session"] = session

    def _root_object(self) -> Stored:
        return self

    def __hash__(self) -> int:
        # Stable while the object changes, and equal for equal objects.
        return hash((type(self).__qualname__, getattr(self, "namespace", None), self.name))

    def _will_change(self) -> None:
        d = self.__dict__
        if d["_original"] is None:
            raw = d["_raw"] if "_raw" in d else self._raw  # a cache's object: its own copy, made now
            if _stored(raw):
                d["_original"] = json_copy(raw)  # the first change keeps the original (pykorm._data.tracking)

    @property
    def is_stored(self) -> bool:
        """True once the object was read from or written to the server."""
        return _stored(peek(self))

    @property
    def _k8s_dict(self) -> dict[str, Any]:
        """The object as it would be sent (a copy without what the server sets): the original pykorm's name."""
        return self.to_dict()

    _k8s_uid = _OriginalUid()  # the original pykorm's name of the uid (not a field: no annotation)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the object as it would be sent: without ``creationTimestamp``, ``uid``,
        ``resourceVersion`` and the other metadata the server sets; an unset field declared
        ``allow_empty=True`` is there as None (the original pykorm's rule)."""
        data = super().to_dict()
        data["metadata"] = user_metadata(data)
        return data

    def to_k8s(self) -> dict[str, Any]:
        """The whole object as the API server returns it (``kubectl get -o json``): a deep copy of its JSON.

        What :meth:`to_dict` gives plus the metadata the server sets (``uid``, ``resourceVersion``,
        ``creationTimestamp``, ``generation``, ``managedFields``...), e.g. for an HTTP API that returns
        the stored object. Changes made since the object was read or saved are in it (:attr:`original`
        is the object as read); the copy is plain dicts and lists, changing it changes nothing else.

        >>> pk.save(peach).to_k8s()["metadata"]["uid"]
        """
        raw: dict[str, Any] = json_copy(peek(self))
        return raw

    @property
    def original(self) -> dict[str, Any] | None:
        """The object as last read from the server, when it has changed since; else None."""
        original: dict[str, Any] | None = self.__dict__["_original"]
        return original


def _stored(raw: dict[str, Any]) -> bool:
    """Whether an object's JSON has a ``resourceVersion`` (each field set of a new object asks: kept cheap)."""
    metadata = raw.get("metadata")
    return isinstance(metadata, dict) and bool(metadata.get("resourceVersion"))


def owner_reference(owner: Stored, *, controller: bool = True, block_owner_deletion: bool = True) -> OwnerReference:
    """A reference to ``owner`` (a stored object: its uid is needed).

    Raises:
        ClientValidationError: ``owner`` has no uid yet (save it first).
    """
    resource = resource_of(type(owner))
    if not owner.uid:
        raise ClientValidationError(f"{resource.kind} {owner.name}: an owner must be saved first (it has no uid yet)")
    return OwnerReference(api_version=resource.api_version, kind=resource.kind, name=owner.name, uid=owner.uid,
                          controller=controller, block_owner_deletion=block_owner_deletion)


def adopt(child: Stored, owner: Stored, *, controller: bool = True, block_owner_deletion: bool = True) -> None:
    """Add (or update) ``owner`` in ``child``'s owner references, in memory.

    Raises:
        ClientValidationError: the owner is not saved; a namespaced owner in another namespace,
            or a namespaced owner of a cluster-scoped child (the garbage collector would delete
            the child at once); another owner is already the controller.
    """
    child_resource, owner_resource = resource_of(type(child)), resource_of(type(owner))
    reference = owner_reference(owner, controller=controller, block_owner_deletion=block_owner_deletion)
    if owner_resource.namespaced:
        owner_ns = get_path(peek(owner), ("metadata", "namespace"))  # read only: a cached owner is not copied
        child_ns = get_path(peek(child), ("metadata", "namespace")) if child_resource.namespaced else None
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
