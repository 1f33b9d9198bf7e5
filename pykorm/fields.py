"""Field descriptors (the original pykorm's ``pykorm.fields``)."""

from ._fields import (
    DataField,
    DictNestedField,
    ListField,
    Metadata,
    MetadataAnnotation,
    MetadataLabel,
    NestedList,
    Spec,
    Status,
)

__all__ = [
    "DataField",
    "DictNestedField",
    "ListField",
    "Metadata",
    "MetadataAnnotation",
    "MetadataLabel",
    "NestedList",
    "Spec",
    "Status",
]
