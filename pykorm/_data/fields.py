"""Field descriptors: each maps a Python attribute to a path in the Kubernetes object.

An instance keeps the Kubernetes object itself (a dict, as decoded from JSON);
a field reads and writes at its path in that dict. Loading a list of objects
therefore costs no more than decoding the JSON, and what is saved is exactly
what the server sent plus the changes made.
"""

from __future__ import annotations

import copy
import inspect
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Sequence, overload

from .._base.errors import ClientValidationError, ReadOnlyException
from .._base.paths import MISSING, Path, as_path, dotted, get_path, set_path
from .tracking import Pending, pending, tracked
from .annotations import resolve_annotation
from .convert import PLAIN as _OWN_JSON, from_json, is_view, to_json
from .dicts import with_prefix
from .types import TypeInfo, describe, is_nested_class

if TYPE_CHECKING:
    from .types import Holder, NestedClass

__all__ = [
    "DataField",
    "DictNestedField",
    "ListField",
    "Metadata",
    "MetadataAnnotation",
    "MetadataLabel",
    "Spec",
    "Status",
]


class DataField:
    """A field at ``path`` in the object; ``Spec``, ``Metadata``, ``Status`` root the path for you.

    Args:
        path: a key, a dotted string of keys (``"score.exterior"``) or a list of keys.
        default: the value when the object has none; lists and dicts are copied per instance.
        required: the object is invalid without a value (checked before any request).
        readonly: the value cannot change once set (:class:`ReadOnlyException`).
        allow_empty: with ``required``, accept ``""``, ``[]`` and ``{}``.
        default_factory: called for the default instead of copying ``default``.
        description: documents the field (and its CRD schema).
        selectable: the CRD lists the field in ``selectableFields`` (Kubernetes 1.31+), so
            queries filter on it with a field selector.
        printer_column: ``kubectl get`` shows the field (a string names the column).
        schema: validation options for the CRD schema and client-side checks:
            ``minimum``, ``maximum``, ``pattern``, ``enum``, ``min_length``, ``max_length``,
            ``min_items``, ``max_items``, ``format``.
    """

    root: ClassVar[Path] = ()
    _processes: ClassVar[bool] = False  # a subclass overrides preprocessor or postprocessor

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._processes = cls.preprocessor is not DataField.preprocessor or cls.postprocessor is not DataField.postprocessor

    def __init__(
        self,
        path: str | Sequence[str],
        default: Any = None,
        required: bool = False,
        readonly: bool = False,
        allow_empty: bool = False,
        *,
        default_factory: Callable[[], Any] | None = None,
        description: str | None = None,
        init: bool = True,
        repr: bool = True,
        selectable: bool = False,
        printer_column: bool | str = False,
        **schema: Any,
    ) -> None:
        self.path: Path = self.root + as_path(path)
        self.default = default
        self.default_factory = default_factory
        self.required = required
        self.readonly = readonly
        self.allow_empty = allow_empty
        self.description = description
        self.init = init
        self.repr = repr
        self.selectable = selectable
        self.printer_column = printer_column
        self.schema = schema
        self.name = ""
        self.owner: type | None = None
        self.localns: Mapping[str, Any] | None = None  # the scope its model was declared in (see _ObjectMeta)
        self._info: TypeInfo | None = None

    # -- declaration -------------------------------------------------------------------

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.name = name

    def __repr__(self) -> str:
        return f"<pykorm/{type(self).__name__}: {dotted(self.path)}>"

    @property
    def info(self) -> TypeInfo:
        """What the field's annotation means, for reading, writing and checking values.

        Resolved on first use, in the scope the model was declared in (so forward references
        and models declared inside functions work). An annotation that cannot be resolved or
        has no JSON meaning reads as ``any`` here, since annotations may be documentation
        only; :meth:`declared_info` says why (and :func:`pykorm.crd` raises it).
        """
        if self._info is None:
            try:
                self._info = self._annotation_info()
            except TypeError:
                self._info = TypeInfo("any")
        return self._info

    def declared_info(self) -> TypeInfo:
        """Like :attr:`info`, but an annotation without a JSON meaning is an error.

        Raises:
            TypeError: naming ``Model.field`` and the annotation.
        """
        return self._annotation_info()

    def _annotation_info(self) -> TypeInfo:
        owner = self.owner
        if owner is None:
            return TypeInfo("any")
        annotations = inspect.get_annotations(owner)
        if self.name not in annotations:
            return TypeInfo("any")
        annotation = resolve_annotation(annotations[self.name], owner, self.localns or {})
        try:
            return describe(annotation)
        except TypeError as error:
            raise TypeError(f"{owner.__name__}.{self.name}: {error}") from None

    # -- the original pykorm's field API ---------------------------------------------------

    @property
    def fullpath(self) -> list[str]:
        """The keys from the object's root to the value: ``Spec("score")`` → ``["spec", "score"]``."""
        return list(self.path)

    def preprocessor(self, value: Any) -> Any:
        """Turn a value assigned to the field before it is stored; override in a subclass (identity here)."""
        return value

    def postprocessor(self, value: Any) -> Any:
        """Turn a stored value before it is read; override in a subclass (identity here)."""
        return value

    def to_dict(self, value: Any) -> dict[str, Any]:
        """``value`` as JSON placed at the field's path: ``Metadata("foo").to_dict("42") == {"metadata": {"foo": "42"}}``.

        Nested objects show their unset ``allow_empty`` fields as None (see :func:`with_empty_fields`).
        """
        data: dict[str, Any] = {}
        json = copy.deepcopy(self.to_json(self.preprocessor(value)))
        _with_empty_inside(self.info, json)
        set_path(data, self.path, json)
        return data

    def get_data(self, k8s_dict: Mapping[str, Any]) -> Any:
        """The field's value in a Kubernetes object given as a dict: its default when absent, nested
        objects as instances (lists of them as lists of instances)."""
        value = get_path(k8s_dict, self.path)
        if value is MISSING or value is None:
            value = self.make_default()
            if value is None:
                return None
            value = self.to_json(value)
        info = self.info
        if info.kind == "list" and info.item is not None and info.item.kind == "nested" and isinstance(value, list):
            return self.postprocessor([info.item.python._wrap(item) for item in value])
        return self.from_json(value, None)

    @property
    def has_default(self) -> bool:
        """True when the field provides a value of its own for new objects."""
        return self.default is not None or self.default_factory is not None

    def make_default(self) -> Any:
        """A fresh default value (copied when mutable)."""
        if self.default_factory is not None:
            return self.default_factory()
        if isinstance(self.default, (list, dict)):
            return copy.deepcopy(self.default)
        return self.default

    # -- access --------------------------------------------------------------------------

    _reads: str = ""  # known on first read: "plain" (the JSON value as it is), "nested", "view" or "convert"
    _view: Any = None  # with "nested": the Nested class whose views a read hands out

    @overload
    def __get__(self, obj: None, owner: type) -> DataField: ...
    @overload
    def __get__(self, obj: object, owner: type) -> Any: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        shared = False
        try:
            value = obj.__dict__["_raw"]
        except KeyError:  # an object a cache handed out, not copied yet: only a scalar is read in the cache's JSON
            value = obj.__dict__.get("_shared")
            shared = value is not None
            if not shared:
                value = obj._raw  # type: ignore[attr-defined] # made meanwhile by another thread (else: no JSON, raises)
        try:
            for key in self.path:
                value = _dict_get(value, key)
        except TypeError:  # a scalar on the way: no value here
            value = None
        reads = self._reads or self._how_to_read()
        if value is None:
            if not self.has_default:
                return None
            value = self.make_default()
            if isinstance(value, (list, dict)):  # handed out, put in the JSON by its first change (not by this read)
                if shared:
                    return self._from_own_copy(obj)
                if reads == "view":
                    return self.from_json(value, Pending(obj, self.path, value))  # type: ignore[arg-type]
                return self.from_json(pending(obj, self.path, value), obj)  # type: ignore[arg-type]
        elif reads == "plain" and not isinstance(value, (list, dict)):
            return value  # the most common read (str, int...): the JSON value is the Python value
        if reads == "nested":  # the common nested object: its view, made here (what from_json would do)
            if shared:
                return self._from_own_copy(obj)
            if isinstance(value, dict):  # Nested._wrap, inlined: this is every program's hot path
                view = object.__new__(self._view)
                state = view.__dict__
                state["_raw"] = value
                state["_root"] = obj._root_object()  # type: ignore[attr-defined]
                return view
            return self.from_json(value, obj)  # type: ignore[arg-type]
        if isinstance(value, (list, dict)):
            if shared:
                return self._from_own_copy(obj)
            if reads != "view":
                # Handed out: it reports in-place changes to the model (pykorm._data.tracking). Nothing is copied.
                parent = get_path(obj.__dict__["_raw"], self.path[:-1])
                value = tracked(parent, self.path[-1], value, obj._root_object() or obj)  # type: ignore[attr-defined]
        elif reads == "plain":
            return value
        elif shared and reads == "view":
            return self._from_own_copy(obj)
        return self.from_json(value, obj)  # type: ignore[arg-type]

    def _from_own_copy(self, obj: Any) -> Any:
        """:meth:`__get__` on an object a cache handed out, once it has its own copy (made here by reading
        ``_raw``): what is read is a container, a nested object or a default to store, which must never
        be the cache's (a tracked container is swapped into the JSON, a view keeps it)."""
        obj._raw  # noqa: B018
        return self.__get__(obj, type(obj))

    def _how_to_read(self) -> str:
        info = self.info
        if info.kind == "nested" and not self._processes and type(self).from_json is DataField.from_json:
            self._view = info.python
            self._reads = "nested"  # a nested object: a view of the dict (from_json's first case, inlined)
        elif is_view(info):
            self._reads = "view"  # a nested object or a list of them: views that report changes themselves
        elif info.kind in ("datetime", "enum", "float") or self._processes or type(self).from_json is not DataField.from_json:
            self._reads = "convert"
        else:
            self._reads = "plain"  # str, int, Literal...: the JSON value is the Python value
        return self._reads

    _writes: str = ""  # known on first write: "plain" (a str, int, float, bool or None is stored as it is) or "convert"

    def __set__(self, obj: Holder, value: Any) -> None:
        if self._processes:
            value = self.preprocessor(value)
        if (type(value) in _OWN_JSON or value is None) and (self._writes or self._how_to_write()) == "plain":
            new = value  # what to_json returns for it, without the calls
        else:
            try:
                new = self.to_json(value, obj)
            except ClientValidationError as error:  # a dict or list given for nested objects: the path from the object
                raise with_prefix(error, type(obj).__name__, self.path) from None
        if self.readonly:
            current = get_path(obj._raw, self.path)
            if current is not MISSING and current is not None and current != new:
                raise ReadOnlyException(
                    f"{type(obj).__name__}.{self.name} is read-only: it is {current!r} and cannot become {new!r}"
                )
        obj._will_change()
        set_path(obj._raw, self.path, new)  # _raw read after _will_change: the JSON as it is once told

    def _how_to_write(self) -> str:
        # A nested field refuses a str or int (to_json raises); a subclass's to_json may convert anything.
        plain = self.info.kind != "nested" and type(self).to_json is DataField.to_json
        self._writes = "plain" if plain else "convert"
        return self._writes

    # -- conversion ----------------------------------------------------------------------

    def from_json(self, value: Any, obj: Holder | None) -> Any:
        """The Python value for a JSON value stored at the field's path."""
        if self._processes:
            return self.postprocessor(from_json(self.info, value, obj))
        return from_json(self.info, value, obj)

    def to_json(self, value: Any, obj: Holder | None = None) -> Any:
        """The JSON value to store for a Python value."""
        return to_json(self.info, value, obj)


class Spec(DataField):
    """A field under ``spec``."""

    root = ("spec",)


class Metadata(DataField):
    """A field under ``metadata``."""

    root = ("metadata",)


class Status(DataField):
    """A field under ``status`` (written through the ``/status`` subresource where the CRD has one)."""

    root = ("status",)


class MetadataAnnotation(DataField):
    """One annotation: ``MetadataAnnotation("example.com/owner")``; the key is never split on dots."""

    root = ("metadata", "annotations")

    def __init__(self, key: str, *args: Any, **kwargs: Any) -> None:
        super().__init__([key], *args, **kwargs)


class MetadataLabel(DataField):
    """One label: ``MetadataLabel("app.kubernetes.io/name")``; the key is never split on dots."""

    root = ("metadata", "labels")

    def __init__(self, key: str, *args: Any, **kwargs: Any) -> None:
        super().__init__([key], *args, **kwargs)


class DictNestedField(DataField):
    """A nested object of class ``nested`` (a :class:`pykorm.models.Nested`) at ``path``."""

    def __init__(self, nested: type[NestedClass], path: str | Sequence[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(path, *args, **kwargs)
        self.nested = _nested_class(nested, "DictNestedField")

    def _annotation_info(self) -> TypeInfo:
        return TypeInfo("nested", optional=True, python=self.nested)


class ListField(DataField):
    """A list of nested objects of class ``nested`` at ``path``; reads give a live, mutable list."""

    def __init__(self, nested: type[NestedClass], path: str | Sequence[str], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default_factory", list)
        super().__init__(path, *args, **kwargs)
        self.nested = _nested_class(nested, "ListField")

    def _annotation_info(self) -> TypeInfo:
        return TypeInfo("list", optional=True, item=TypeInfo("nested", python=self.nested))


def _nested_class(nested: Any, what: str) -> Any:
    """``nested``, a class of nested objects (the first argument of ``DictNestedField``/``ListField``).

    Raises:
        TypeError: it is not one (``DictNestedField(int, ...)`` read and wrote nothing sensible).
    """
    if not is_nested_class(nested):
        raise TypeError(f"{what}'s first argument is a pykorm.Nested class (its objects' fields), not "
                        f"{getattr(nested, '__name__', None) or repr(nested)}")
    return nested


def with_empty_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a JSON object of ``cls``, changed in place) with None at the path of each unset field
    declared ``allow_empty=True``, in nested objects and lists of them too: the original pykorm's
    ``to_dict`` rule (a field that may be empty is shown empty, other unset fields are left out)."""
    for field in getattr(cls, "_fields", {}).values():
        value = get_path(data, field.path)
        if value is MISSING:
            if field.allow_empty:
                set_path(data, field.path, None)
            continue
        _with_empty_inside(field.info, value)
    return data


def _with_empty_inside(info: TypeInfo, value: Any) -> None:
    """:func:`with_empty_fields` on a field's value when it is a nested object or a list of them."""
    if info.kind == "nested" and isinstance(value, dict):
        with_empty_fields(info.python, value)
    elif info.kind == "list" and info.item is not None and info.item.kind == "nested" and isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                with_empty_fields(info.item.python, item)


_dict_get = dict.get
