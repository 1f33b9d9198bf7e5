"""The OpenAPI v3 schema of a model's fields: the ``openAPIV3Schema`` of its CRD, as a pure function.

Each field contributes the schema of its annotation (see :func:`type_schema`) at
its path; paths share their parent objects, so ``Spec("score.exterior")`` and
``Spec("score.taste")`` make one ``spec.score`` object. Fields under
``metadata`` are not in the schema (the API server owns ``metadata``).

What the schema says, and why:

* ``Optional[T]`` on a field means "may be absent" and adds nothing: the API server
  drops a ``null`` sent for a field that is not ``nullable``, as pykorm reads an absent
  field as ``None``. Pass ``nullable=True`` to keep nulls; inside lists and dicts
  (``list[int | None]``) a ``None`` is a value, so the items are ``nullable``.
* ``required=True`` puts the key in its parent's ``required`` list, and the parents
  on the way there too (an object without ``spec`` has no ``spec.variety``). Unless
  ``allow_empty=True``, a required string, list or object is also non-empty
  (``minLength``/``minItems``/``minProperties`` 1), as pykorm's own check wants.
* ``default=`` (not ``default_factory``, which may be any callable) becomes the
  schema's ``default``, as JSON.
* Validation options are field arguments, snake_case: see :data:`OPTIONS`. On a list
  or dict field, the options about single values (``pattern``, ``minimum``...) apply
  to its items. ``x_kubernetes_<name>=...`` passes ``x-kubernetes-<name>`` through
  (``x_kubernetes_validations=[{"rule": "self > 0"}]``, ``x_kubernetes_list_type="set"``).
"""

from __future__ import annotations

import inspect
import json
from typing import TYPE_CHECKING, Any, Iterable

from .._data.options import NON_EMPTY, option_keys, split_options
from .._data.types import TypeInfo

if TYPE_CHECKING:
    from .._data.fields import DataField

__all__ = ["docstring_summary", "field_schema", "object_schema", "type_schema"]

_SCALARS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def type_schema(info: TypeInfo, *, where: str = "") -> dict[str, Any]:
    """The schema of one annotation (without the field's options).

    Raises:
        TypeError: enum or literal values of mixed or non-JSON types.
    """
    kind = info.kind
    if kind in _SCALARS:
        return {"type": _SCALARS[kind]}
    if kind == "datetime":
        return {"type": "string", "format": "date-time"}
    if kind in ("enum", "literal"):
        return {"type": _choice_type(info.choices, where), "enum": list(info.choices)}
    if kind == "any":
        return {"x-kubernetes-preserve-unknown-fields": True}
    if kind == "int_or_string":
        return {"x-kubernetes-int-or-string": True}
    if kind == "object":
        return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    if kind == "nested":
        return object_schema(info.python)
    assert info.item is not None, info
    item = _item_schema(info.item, where)
    if kind == "list":
        return {"type": "array", "items": item}
    return {"type": "object", "additionalProperties": item}


def _item_schema(info: TypeInfo, where: str) -> dict[str, Any]:
    schema = type_schema(info, where=where)
    if info.optional:
        schema["nullable"] = True
    return schema


def _choice_type(choices: Iterable[Any], where: str) -> str:
    types = {"boolean" if isinstance(c, bool) else _JSON_TYPE_OF.get(type(c), "?") for c in choices}
    if types == {"integer", "number"}:
        return "number"
    if len(types) != 1 or "?" in types:
        raise TypeError(f"{where}: enum values {list(choices)!r} must all be strings, all integers or all numbers")
    return types.pop()


_JSON_TYPE_OF: dict[type, str] = {str: "string", int: "integer", float: "number"}


def field_schema(field: DataField) -> dict[str, Any]:
    """The schema of one field: its annotation's, with its description, default and options."""
    where = f"{field.owner.__name__ if field.owner else '?'}.{field.name}"
    info = field.declared_info()
    own, items = split_options(info, dict(field.schema))
    schema = type_schema(info, where=where)
    if items:
        target = schema["items"] if info.kind == "list" else schema["additionalProperties"]
        target.update(option_keys(items, where))
    schema.update(option_keys(own, where))
    if field.required and not field.allow_empty and info.kind in NON_EMPTY:
        schema.setdefault(NON_EMPTY[info.kind], 1)
    if field.description:
        schema["description"] = field.description
    if field.default is not None:
        default = field.to_json(field.default)
        try:
            json.dumps(default)
        except (TypeError, ValueError):
            pass  # not JSON: a client-side default only
        else:
            schema["default"] = default
    return _ordered(schema)


def object_schema(cls: type, *, model: bool = False) -> dict[str, Any]:
    """The object schema of a nested class's fields (their paths become properties), or of a model's.

    A nested class's docstring describes the object; a model's fields under ``metadata``
    are left out, and its description is the CRD's business.

    Raises:
        TypeError: a field's annotation or option cannot be mapped (the message names Class.field).
    """
    root: dict[str, Any] = {"type": "object"}
    doc = None if model else docstring_summary(cls)
    if doc:
        root["description"] = doc
    for field in cls._fields.values():  # type: ignore[attr-defined]
        if model and field.path[0] == "metadata":
            continue
        _place(root, field.path, field_schema(field), field.required, field)
    return _ordered(root)


def _place(root: dict[str, Any], path: tuple[str, ...], schema: dict[str, Any], required: bool, field: DataField) -> None:
    node = root
    for key in path[:-1]:
        if required:
            _require(node, key)
        properties = node.setdefault("properties", {})
        node = properties.setdefault(key, {"type": "object"})
        if node.get("type") != "object" or "additionalProperties" in node:
            raise TypeError(f"{_where(field)}: its path {'.'.join(path)} goes through a field that is not an object")
    properties = node.setdefault("properties", {})
    key = path[-1]
    existing = properties.get(key)
    if existing is not None:  # a field at a path other fields go through: merge the objects
        if schema.get("type") != "object" or existing.get("type") != "object":
            raise TypeError(f"{_where(field)}: another field is already at {'.'.join(path)}")
        schema = {**schema, "properties": {**schema.get("properties", {}), **existing.get("properties", {})}}
        for name in existing.get("required", ()):
            _require(schema, name)
    properties[key] = schema
    if required:
        _require(node, key)


def _require(node: dict[str, Any], key: str) -> None:
    required = node.setdefault("required", [])
    if key not in required:
        required.append(key)


def _where(field: DataField) -> str:
    return f"{field.owner.__name__ if field.owner else '?'}.{field.name}"


_KEY_ORDER = ("description", "type", "format", "enum", "default", "nullable")


def _ordered(schema: dict[str, Any]) -> dict[str, Any]:
    """Keys in the order people write them: description and type first, properties last."""
    first: dict[str, Any] = {k: schema[k] for k in _KEY_ORDER if k in schema}
    last: dict[str, Any] = {k: schema[k] for k in ("items", "additionalProperties", "properties", "required") if k in schema}
    middle = {k: v for k, v in schema.items() if k not in first and k not in last}
    return {**first, **middle, **last}


def docstring_summary(cls: type) -> str | None:
    """The first paragraph of the class's own docstring (not inherited), on one line."""
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None
    paragraph = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())
