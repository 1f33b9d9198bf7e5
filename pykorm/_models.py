"""Declarative models: classes whose attributes are fields of a Kubernetes object.

Each instance holds the object as a JSON dict (``_raw``). Objects loaded from
the server are not copied until first changed (reading never copies them); the
copy taken then is what ``save`` compares against to send only the changes.
How changes are noticed: pykorm._tracking.
"""

from __future__ import annotations

import copy
import datetime
import json
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Mapping, TypeVar

from typing_extensions import Self, dataclass_transform

from ._fields import DataField
from ._options import option_keys
from .fields import DictNestedField, ListField, Metadata, MetadataAnnotation, MetadataLabel, Spec, Status
from .fields import DataField as _DataFieldSpecifier
from ._paths import MISSING, get_path, set_path
from ._resource import ResourceType
from ._tracking import json_copy

if TYPE_CHECKING:
    from ._query import Query

__all__ = ["ClusterModel", "Model", "NamespacedModel", "Nested", "OwnerReference"]

M = TypeVar("M", bound="Model")

SERVER_METADATA = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink")
"""Metadata keys the API server sets: left out of equality and of what pykorm sends to create or apply."""


def user_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """The object's metadata without what the server sets."""
    return {k: v for k, v in (raw.get("metadata") or {}).items() if k not in SERVER_METADATA}


@dataclass_transform(
    kw_only_default=True,
    field_specifiers=(_DataFieldSpecifier, Spec, Metadata, MetadataAnnotation, MetadataLabel, Status, DictNestedField, ListField),
)
class _ObjectMeta(type):
    """Collects the fields of a class and of its bases and mixins, in declaration order."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> _ObjectMeta:
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        # The scope the class statement ran in: a model declared inside a function (a test, a
        # notebook cell) under `from __future__ import annotations` names its neighbours there.
        caller = sys._getframe(1)
        scope = dict(caller.f_locals) if caller.f_locals is not caller.f_globals else {}
        fields: dict[str, DataField] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, DataField):
                    fields.pop(attr, None)
                    fields[attr] = value
                elif attr in fields:
                    del fields[attr]  # a subclass replaced the field with something else
        for field in fields.values():
            if field.localns is None:
                field.localns = scope
                option_keys(field.schema, f"{name}.{field.name}")  # an unknown option fails here, not in crd()
        cls._fields = fields  # type: ignore[attr-defined]
        return cls


class _Object(metaclass=_ObjectMeta):
    """What models and nested objects share: a JSON dict behind field descriptors."""

    _fields: ClassVar[dict[str, DataField]]

    # State lives in the instance __dict__ (hot paths read it there); these properties type it
    # without making it a constructor parameter of the dataclass_transform.
    @property
    def _raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = self.__dict__["_raw"]
        return raw

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        obj = object.__new__(cls)
        obj.__dict__["_raw"] = cls._skeleton()
        return obj

    def __init__(self, **values: Any) -> None:
        fields = self._fields
        for name, value in values.items():
            field = fields.get(name)
            if field is None or not field.init:
                choices = ", ".join(n for n, f in fields.items() if f.init)
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {name!r}; fields are: {choices}")
            field.__set__(self, value)
        for name, field in fields.items():
            if name not in values and field.has_default and get_path(self._raw, field.path) is MISSING:
                set_path(self._raw, field.path, field.to_json(field.make_default(), self))

    @classmethod
    def _skeleton(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def _wrap(cls, raw: dict[str, Any], root: Model | None = None) -> Self:
        """An instance viewing ``raw`` (no copy); changes are reported to ``root``."""
        obj = object.__new__(cls)
        obj.__dict__["_raw"] = raw
        obj.__dict__["_root"] = root
        return obj

    def _root_object(self) -> Model | None:
        return None

    def _will_change(self) -> None:
        """Called before any change of ``_raw``: lets the owning model keep what the server sent."""

    def _field_items(self) -> Iterator[tuple[str, Any]]:
        fields = self._fields
        # Where an object is, then what it is: namespace and name lead, as in pykorm.
        order = [n for n in ("namespace", "name") if n in fields] + [n for n in fields if n not in ("namespace", "name")]
        for name in order:
            if fields[name].repr:
                yield name, getattr(self, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} " + ", ".join(f"{k}={v}" for k, v in self._field_items()) + ">"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return _content(self) == _content(other)

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, json.dumps(_content(self), sort_keys=True, default=str)))

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the object as JSON."""
        return copy.deepcopy(self._raw)


def _content(obj: _Object) -> dict[str, Any]:
    """The object's JSON without what the server manages, for equality."""
    raw = obj._raw
    if "metadata" not in raw:
        return raw
    content = dict(raw)
    content["metadata"] = user_metadata(raw)
    content.pop("status", None)
    return content


class Nested(_Object):
    """A nested object: declare fields relative to the nested dict, use it in a ``DictNestedField``/``ListField``.

    >>> class Score(Nested):
    ...     exterior: int = DataField("exterior")
    """

    def _root_object(self) -> Model | None:
        return self.__dict__.get("_root")

    def _attach(self, root: Model | None) -> None:
        self.__dict__["_root"] = root

    def _will_change(self) -> None:
        root = self.__dict__.get("_root")
        if root is not None:
            root._will_change()


class OwnerReference(Nested):
    """An object this one depends on (``metadata.ownerReferences``): once every owner is gone, it is collected."""

    api_version: str = _DataFieldSpecifier("apiVersion", required=True)
    kind: str = _DataFieldSpecifier("kind", required=True)
    name: str = _DataFieldSpecifier("name", required=True)
    uid: str = _DataFieldSpecifier("uid", required=True)
    controller: bool | None = _DataFieldSpecifier("controller", default=None)
    block_owner_deletion: bool | None = _DataFieldSpecifier("blockOwnerDeletion", default=None)


class _QueryAccessor:
    """``Model.query``: a new query for the class each time (queries are immutable)."""

    def __get__(self, obj: object, owner: type[M]) -> Query[M]:
        from ._query import Query

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
        return obj

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
        """The objects named in ``metadata.ownerReferences`` that still exist, as models (see :mod:`pykorm._relations`)."""
        from ._relations import owners
        from ._session import default_session

        return owners(default_session(), self, cluster)

    @classmethod
    def _from_server(cls, raw: dict[str, Any], cluster: str | None = None) -> Self:
        """An instance holding ``raw`` as the server sent it (not copied)."""
        obj = object.__new__(cls)
        d = obj.__dict__
        d["_raw"] = raw
        d["_original"] = None
        d["_cluster"] = cluster
        return obj

    def _load(self, raw: dict[str, Any], cluster: str | None = None) -> None:
        """Replace the object's state with the server's answer."""
        d = self.__dict__
        d["_raw"] = raw
        d["_original"] = None
        if cluster is not None:
            d["_cluster"] = cluster

    def _root_object(self) -> Model:
        return self

    def __hash__(self) -> int:
        # Stable while the object changes, and equal for equal objects.
        return hash((type(self).__qualname__, getattr(self, "namespace", None), self.name))

    def _will_change(self) -> None:
        d = self.__dict__
        if d["_original"] is None and self.is_stored:
            d["_original"] = json_copy(d["_raw"])  # the first change keeps the original (pykorm._tracking)

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
        ``resourceVersion`` and the other metadata the server sets."""
        data = copy.deepcopy(self._raw)
        data["metadata"] = user_metadata(data)
        return data

    @property
    def original(self) -> dict[str, Any] | None:
        """The object as last read from the server, when it has changed since; else None."""
        original: dict[str, Any] | None = self.__dict__["_original"]
        return original

    def save(self, cluster: str | None = None, **options: Any) -> Self:
        """Create or update the object through the default session (see :meth:`Pykorm.save`)."""
        from ._session import default_session

        return default_session().save(self, cluster, **options)

    def apply(self, cluster: str | None = None, **options: Any) -> Self:
        """Server-side apply the object through the default session (see :meth:`Pykorm.apply`)."""
        from ._session import default_session

        return default_session().apply(self, cluster, **options)

    def delete(self, cluster: str | None = None, **options: Any) -> None:
        """Delete the object through the default session (see :meth:`Pykorm.delete`)."""
        from ._session import default_session

        default_session().delete(self, cluster, **options)


class NamespacedModel(Model):
    """A namespaced object; ``namespace`` defaults to the session's namespace when saved."""

    namespace: str | None = Metadata("namespace", default=None, readonly=True)  # set once, as the name


class ClusterModel(Model):
    """A cluster-scoped object (no namespace)."""
