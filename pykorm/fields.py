"""Field descriptors (the original pykorm's ``pykorm.fields``).

At run time these are the descriptor classes of :mod:`pykorm._data.fields`. To a
type checker they are functions returning ``Any``, so that the annotation is
the attribute's type (``variety: str = Spec("variety")``) as with
``dataclasses.field``; they are the ``field_specifiers`` of the models'
``dataclass_transform``, so checkers know each model's constructor. Pass
``default=`` by keyword for a checker to see that a field may be omitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from ._data.convert import NestedList

if TYPE_CHECKING:
    from ._data.types import NestedClass

    def DataField(
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
    ) -> Any:
        """A field at ``path`` in the object."""

    Spec = Metadata = Status = DataField

    def MetadataAnnotation(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
        """One annotation."""

    MetadataLabel = MetadataAnnotation

    def DictNestedField(nested: type[NestedClass], path: str | Sequence[str], default: Any = None, *args: Any, **kwargs: Any) -> Any:
        """A nested object."""

    def ListField(nested: type[NestedClass], path: str | Sequence[str], default: Any = None, *args: Any, **kwargs: Any) -> Any:
        """A list of nested objects."""

    ListNestedField = ListField

else:
    from ._data.fields import DataField, DictNestedField, ListField, Metadata, MetadataAnnotation, MetadataLabel, Spec, Status

    ListNestedField = ListField  # the original pykorm's later name

__all__ = [
    "DataField",
    "DictNestedField",
    "ListField",
    "ListNestedField",
    "Metadata",
    "MetadataAnnotation",
    "MetadataLabel",
    "NestedList",
    "Spec",
    "Status",
]
