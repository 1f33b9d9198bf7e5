"""What a field's annotation means: its shape, once, as data (used by fields, validation and schemas)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import types
import typing
from typing import Any, ClassVar, Literal, Protocol, Union

from typing_extensions import Annotated, get_args, get_origin

__all__ = ["Holder", "Kind", "NestedClass", "TypeInfo", "describe", "is_nested_class"]


class Holder(Protocol):
    """What a field descriptor uses of the object holding it (a model or a nested object: ``pykorm._data.objects``)."""

    @property
    def _raw(self) -> dict[str, Any]: ...

    def _will_change(self) -> None: ...

    def _root_object(self) -> Holder | None: ...


class NestedClass(Protocol):
    """A nested class (``pykorm.models.Nested``), as fields use it: known by its marker, wrapping a dict."""

    __pykorm_nested__: ClassVar[bool]
    _fields: ClassVar[dict[str, Any]]

    @classmethod
    def _wrap(cls, raw: dict[str, Any], root: Any = None) -> Any: ...

Kind = Literal[
    "any", "str", "int", "float", "bool", "datetime", "enum", "literal", "list", "dict", "nested", "object",
    "int_or_string",
]
"""What a field holds, as pykorm acts on it (see :class:`TypeInfo`)."""

_UNION_TYPES: tuple[Any, ...] = (Union, getattr(types, "UnionType", Union))


@dataclasses.dataclass(frozen=True)
class TypeInfo:
    """A field annotation reduced to what pykorm acts on.

    ``kind`` is one of: ``any``, ``str``, ``int``, ``float``, ``bool``, ``datetime``,
    ``enum``, ``literal``, ``list``, ``dict``, ``nested``, ``object`` (a free-form dict),
    ``int_or_string`` (``int | str``).
    """

    kind: Kind
    optional: bool = False
    item: TypeInfo | None = None  # list items and dict values
    choices: tuple[Any, ...] = ()  # enum and literal values as JSON
    python: Any = None  # the class for enum and nested


_SCALARS: dict[Any, Kind] = {str: "str", int: "int", float: "float", bool: "bool", datetime.datetime: "datetime"}


def is_nested_class(annotation: Any) -> bool:
    """True for a :class:`pykorm.Nested` subclass, known by its marker (this module imports no model)."""
    return isinstance(annotation, type) and getattr(annotation, "__pykorm_nested__", False) is True


def describe(annotation: Any) -> TypeInfo:
    """Reduce an annotation (``int``, ``Optional[list[Score]]``, ``Literal["a"]``...) to a :class:`TypeInfo`.

    Raises:
        TypeError: the annotation has no JSON meaning pykorm knows (the message names it).
    """
    optional = False
    origin = get_origin(annotation)
    if origin is Annotated:
        return describe(get_args(annotation)[0])
    if origin in _UNION_TYPES:
        args: tuple[Any, ...] = tuple(a for a in get_args(annotation) if a is not type(None))
        optional = len(args) < len(get_args(annotation))
        if set(args) == {int, str}:  # Kubernetes' IntOrString (ports, quantities, surges)
            return TypeInfo("int_or_string", optional=optional)
        if len(args) != 1:
            raise TypeError(f"cannot map the union {annotation!r} to one JSON type; use one type, Optional[T] or int | str")
        return dataclasses.replace(describe(args[0]), optional=optional or describe(args[0]).optional)
    if annotation is Any or annotation is object:
        return TypeInfo("any")
    if annotation in _SCALARS:
        return TypeInfo(_SCALARS[annotation])
    if origin is Literal:  # Literal["a", None] is Optional[Literal["a"]] (PEP 586)
        choices = tuple(c for c in get_args(annotation) if c is not None)
        return TypeInfo("literal", optional=len(choices) < len(get_args(annotation)), choices=choices)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return TypeInfo("enum", choices=tuple(m.value for m in annotation), python=annotation)
    if is_nested_class(annotation):
        return TypeInfo("nested", python=annotation)
    if annotation in (list, typing.List) or origin in (list, typing.List):
        args = get_args(annotation)
        return TypeInfo("list", item=describe(args[0]) if args else TypeInfo("any"))
    if annotation in (dict, typing.Dict) or origin in (dict, typing.Dict):
        args = get_args(annotation)
        if not args or args[1] is Any:
            return TypeInfo("object")
        if args[0] is not str:
            raise TypeError(f"{annotation!r}: JSON object keys are strings; use dict[str, ...]")
        return TypeInfo("dict", item=describe(args[1]))
    raise TypeError(
        f"cannot map the annotation {annotation!r} to JSON; use str, int, float, bool, datetime, an Enum, "
        "a Literal, a pykorm Nested class, list[...], dict[str, ...] or Optional[...] of those"
    )
