"""Declarative models: classes whose attributes are fields of a Kubernetes object.

A model is an object of the data core (:mod:`pykorm._data.objects`) with an identity
(name, namespace, uid...), a resource it is bound to (the ``k8s_*`` decorators
below), ``Model.query`` and the active-record façade ``obj.save()``/``apply()``/
``delete()``/``refresh()``/``owners()``, which go through the session that read, created or
last saved the object (the default session for one never sent). Objects loaded from the server
are not copied until first changed (reading never copies them); the copy taken
then is what ``save`` compares against to send only the changes. How changes are
noticed: pykorm._data.tracking.
"""

from __future__ import annotations

import copy
import datetime
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, TypeVar

from typing_extensions import Self

from .._data.objects import Nested, _Object, user_metadata
from .._data.owners import OwnerReference
from .._base.paths import get_path
from .._http.resource import ResourceType
from .._data.tracking import json_copy
from ..fields import Metadata

if TYPE_CHECKING:
    from .._session.core import SessionCore
    from .._session.query import Query
    from .._session.session import Pykorm

__all__ = [
    "ClusterModel", "Model", "NamespacedModel", "Nested", "OwnerReference", "k8s_appsv1", "k8s_core", "k8s_custom_object",
    "k8s_resource",
]

M = TypeVar("M", bound="Model")
T = TypeVar("T", bound=type)

class _QueryAccessor:
    """``Model.query``: a new query for the class each time (queries are immutable)."""

    def __get__(self, obj: object, owner: type[M]) -> Query[M]:
        from .._session.query import Query

        return Query(owner)


class Model(_Object):
    """A Kubernetes object. Subclass :class:`NamespacedModel` or :class:`ClusterModel`, and bind it
    to a resource with ``@k8s_custom_object`` or ``@k8s_core``.
    """

    __resource__: ClassVar[ResourceType | None] = None

    @property
    def _cluster(self) -> str | None:
        cluster: str | None = self.__dict__["_cluster"]
        return cluster
    query: ClassVar[_QueryAccessor] = _QueryAccessor()

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
            obj.__dict__[key] = value if key == "_session" else copy.deepcopy(value, memo)
        return obj

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_session": None}

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

    def owners(self, cluster: str | None = None) -> list[Model]:
        """The objects named in ``metadata.ownerReferences`` that still exist, as models (see :meth:`Pykorm.owners`),
        read through the object's session (see :meth:`save`)."""
        return self._acting_session("owners").owners(self, cluster)

    @classmethod
    def _from_server(cls, raw: dict[str, Any], cluster: str | None = None, session: SessionCore[Any] | None = None) -> Self:
        """An instance holding ``raw`` as the server sent it (not copied), read through ``session``."""
        obj = object.__new__(cls)
        d = obj.__dict__
        d["_raw"] = raw
        d["_original"] = None
        d["_cluster"] = cluster
        d["_session"] = session
        return obj

    def _load(self, raw: dict[str, Any], cluster: str | None = None, session: SessionCore[Any] | None = None) -> None:
        """Replace the object's state with the server's answer (through ``session``: the object acts through it now)."""
        d = self.__dict__
        d["_raw"] = raw
        d["_original"] = None
        if cluster is not None:
            d["_cluster"] = cluster
        if session is not None:
            d["_session"] = session

    def _bind(self, session: SessionCore[Any]) -> None:
        """From now on the object acts through ``session`` (a write through it sent nothing: still its session)."""
        self.__dict__["_session"] = session

    def _acting_session(self, verb: str) -> Pykorm:
        from .._session.session import session_of

        return session_of(self, verb)

    def _root_object(self) -> Model:
        return self

    def __hash__(self) -> int:
        # Stable while the object changes, and equal for equal objects.
        return hash((type(self).__qualname__, getattr(self, "namespace", None), self.name))

    def _will_change(self) -> None:
        d = self.__dict__
        if d["_original"] is None and self.is_stored:
            d["_original"] = json_copy(d["_raw"])  # the first change keeps the original (pykorm._data.tracking)

    @property
    def is_stored(self) -> bool:
        """True once the object was read from or written to the server."""
        return bool(get_path(self._raw, ("metadata", "resourceVersion")))

    @property
    def _k8s_dict(self) -> dict[str, Any]:
        """The object as it would be sent (a copy without what the server sets): the original pykorm's name."""
        return self.to_dict()

    @property
    def _k8s_uid(self) -> str | None:
        """The object's uid (the original pykorm's name); read-only once set."""
        return self.uid

    @_k8s_uid.setter
    def _k8s_uid(self, value: str | None) -> None:
        self.uid = value  # read-only once set, like uid

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
        raw: dict[str, Any] = json_copy(self._raw)
        return raw

    @property
    def original(self) -> dict[str, Any] | None:
        """The object as last read from the server, when it has changed since; else None."""
        original: dict[str, Any] | None = self.__dict__["_original"]
        return original

    def save(self, cluster: str | None = None, **options: Any) -> Self:
        """Create or update the object (see :meth:`Pykorm.save`) through its session: the one that read, created
        or last saved it; the default session for an object never sent (``pk.save(obj)`` names one).

        Raises:
            TypeError: the object came from an async session (``pykorm.aio``): ``await pk.save(obj)`` there.
        """
        return self._acting_session("save").save(self, cluster, **options)

    def apply(self, cluster: str | None = None, **options: Any) -> Self:
        """Server-side apply the object (see :meth:`Pykorm.apply`) through its session (see :meth:`save`)."""
        return self._acting_session("apply").apply(self, cluster, **options)

    def delete(self, cluster: str | None = None, **options: Any) -> None:
        """Delete the object (see :meth:`Pykorm.delete`) through its session (see :meth:`save`)."""
        self._acting_session("delete").delete(self, cluster, **options)

    def refresh(self, cluster: str | None = None) -> Self:
        """Read the object again, dropping unsaved changes (see :meth:`Pykorm.refresh`), through its session
        (see :meth:`save`); returns it."""
        return self._acting_session("refresh").refresh(self, cluster)


class NamespacedModel(Model):
    """A namespaced object; ``namespace`` defaults to the session's namespace when saved."""

    namespace: str | None = Metadata("namespace", default=None, readonly=True)  # set once, as the name


class ClusterModel(Model):
    """A cluster-scoped object (no namespace)."""


# -- binding a model class to its resource -------------------------------------------


def _bind(cls: Any, group: str, version: str, plural: str, kind: str | None, selectable: tuple[str, ...] = ()) -> Any:
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
