"""The data core of every pykorm class: a JSON dict behind field descriptors.

Each instance holds the object as a JSON dict (``_raw``), as decoded from the server
and not copied: a field reads and writes at its path in that dict. An object a cache hands
out holds the cache's dict (shared, never changed) until it needs ``_raw``, which then is a
copy of its own (:class:`_OwnCopy`). ``_ObjectMeta``
collects a class's fields when the class statement runs (and checks their options);
``Nested`` is the base of nested objects, whose changes are reported to the model that
holds them. Models (:mod:`pykorm.models._model`) build on this with identity and I/O.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator, overload

from typing_extensions import Self, dataclass_transform

from .annotations import declare
from .fields import DataField, with_empty_fields
from .options import option_keys
from .tracking import json_copy
from ..fields import DictNestedField, Metadata, MetadataAnnotation, MetadataLabel, Spec, Status
from ..fields import DataField as _DataFieldSpecifier
from .._base.paths import MISSING, get_path, set_path


__all__ = ["Nested", "SERVER_METADATA", "peek", "user_metadata"]


SERVER_METADATA = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink")
"""Metadata keys the API server sets: left out of equality and of what pykorm sends to create or apply."""


def user_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """The object's metadata without what the server sets."""
    return {k: v for k, v in (raw.get("metadata") or {}).items() if k not in SERVER_METADATA}


# ListField is not a field specifier: its default is an empty list whether or not the call says
# so, and a checker only sees a specifier's default in the call's arguments; as a plain value it
# makes the field optional in the constructor, as it is.
@dataclass_transform(
    kw_only_default=True,
    field_specifiers=(_DataFieldSpecifier, Spec, Metadata, MetadataAnnotation, MetadataLabel, Status, DictNestedField),
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
        own_init = namespace.get("__init__")
        if own_init is not None and bases:  # the class's own constructor, as the original pykorm's README writes
            cls.__init__ = _filling_defaults(own_init)  # type: ignore[misc]
        declare(cls)  # findable by the annotations of its neighbours (pykorm._data.annotations)
        return cls


def _filling_defaults(own_init: Any) -> Any:
    """``own_init``, then the defaults of the fields it left unset written into the JSON, as the keyword
    constructor writes them (and the original pykorm sent them): a constructor of the model's own that never
    calls ``super().__init__()`` otherwise left them out of what is saved, while reading them gave the default."""

    @functools.wraps(own_init)
    def __init__(self: _Object, *args: Any, **kwargs: Any) -> None:
        own_init(self, *args, **kwargs)
        _fill_defaults(self, ())

    return __init__


class _OwnCopy:
    """``_raw``, a non-data descriptor: it runs only when ``_raw`` is not in the instance dict, that is
    in an object a cache handed out (:meth:`pykorm.Stored._from_store`) whose copy is not made yet.

    Such an object holds the store's JSON (shared, never to be changed) as ``__dict__["_shared"]``;
    the first use of ``_raw`` puts a private copy (:func:`json_copy`) in the instance dict, so later
    reads find it there without this descriptor. Reads that cannot change anything (a scalar field,
    equality, :meth:`to_dict`) look at the shared JSON through :func:`peek` and copy nothing.
    """

    @overload
    def __get__(self, obj: None, owner: type) -> _OwnCopy: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> dict[str, Any]: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> dict[str, Any] | _OwnCopy:
        if obj is None:
            return self
        d = obj.__dict__
        shared = d.get("_shared")
        if shared is None:  # made by another thread meanwhile, or asked for directly (type(obj)._raw.__get__)
            if "_raw" not in d:
                raise AttributeError(f"{type(obj).__name__} object has no JSON (made without __new__?)")
            raw: dict[str, Any] = d["_raw"]
            return raw
        own: dict[str, Any] = d.setdefault("_raw", json_copy(shared))  # two threads at once: one copy wins for both
        d.pop("_shared", None)
        return own


def peek(obj: _Object) -> dict[str, Any]:
    """The object's JSON without making a copy of a cache's: only to read (never to change, keep or hand out)."""
    d = obj.__dict__
    raw: dict[str, Any] | None = d.get("_raw")
    if raw is None:
        raw = d.get("_shared")
        if raw is None:  # its copy was made meanwhile (the copy is put in before the shared JSON is dropped)
            raw = obj._raw
    return raw


class _Object(metaclass=_ObjectMeta):
    """What models and nested objects share: a JSON dict behind field descriptors."""

    _fields: ClassVar[dict[str, DataField]]

    # State lives in the instance __dict__ (hot paths read it there). ``_raw`` is the object's own
    # JSON: found in the instance dict, except in an object a cache handed out, which holds the
    # store's dict as ``_shared`` until something needs ``_raw`` (see _OwnCopy).
    _raw = _OwnCopy()

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
            field.__set__(self, value)  # a ClientValidationError names the path from this object
        _fill_defaults(self, values)

    @classmethod
    def _skeleton(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def _wrap(cls, raw: dict[str, Any], root: _Object | None = None) -> Self:
        """An instance viewing ``raw`` (no copy); changes are reported to ``root``."""
        obj = object.__new__(cls)
        obj.__dict__["_raw"] = raw
        obj.__dict__["_root"] = root
        return obj

    def _root_object(self) -> _Object | None:
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
        """A deep copy of the object as JSON; an unset field declared ``allow_empty=True`` is there as None."""
        return with_empty_fields(type(self), copy.deepcopy(peek(self)))


def _fill_defaults(obj: _Object, given: Iterable[str]) -> None:
    """Write the default of each field not ``given`` whose path the JSON lacks."""
    raw = obj._raw
    for name, field in _defaulted(type(obj)):
        if name not in given and get_path(raw, field.path) is MISSING:
            set_path(raw, field.path, field.to_json(field.make_default(), obj))


def _defaulted(cls: type[_Object]) -> tuple[tuple[str, DataField], ...]:
    """The fields of ``cls`` that give new objects a default, made once per class (in the class's own ``__dict__``)."""
    found: tuple[tuple[str, DataField], ...] | None = cls.__dict__.get("_pykorm_defaulted")
    if found is None:
        found = tuple((name, field) for name, field in cls._fields.items() if field.has_default)
        setattr(cls, "_pykorm_defaulted", found)
    return found


def _content(obj: _Object) -> dict[str, Any]:
    """The object's JSON without what the server manages, for equality (read only: the JSON is not copied)."""
    raw = peek(obj)
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

    __pykorm_nested__: ClassVar[bool] = True  # how pykorm._data.types knows a nested class without importing it

    def _root_object(self) -> _Object | None:
        return self.__dict__.get("_root")

    def _attach(self, root: _Object | None) -> None:
        self.__dict__["_root"] = root

    def _will_change(self) -> None:
        root = self.__dict__.get("_root")
        if root is not None:
            root._will_change()
