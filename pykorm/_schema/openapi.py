"""The schema the API server enforces for a custom resource, and what it implies before sending.

The API server enforces each custom resource's structural schema, found in its
CustomResourceDefinition and published in the OpenAPI v3 document of its group
version (``/openapi/v3/apis/<group>/<version>``, readable by every authenticated
user). Two pure functions act on it:

- :func:`schema_findings`: what the server would refuse (types, required keys, enums,
  bounds, lengths, patterns), with the server's field paths. Fields the schema does not
  declare are not findings: the server prunes them.
- :func:`pruned`: the object without the fields the schema does not declare, as the
  server stores it after a create or update; server-side apply, unlike those, refuses
  such fields, so ``apply`` sends the pruned object.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Mapping

from .._base.errors import FieldError

__all__ = ["JSON_TYPES", "check_bounds", "crd_version_schema", "declared_fields", "is_custom_group", "kind_schema", "pruned",
           "schema_findings"]

_ENVELOPE = ("apiVersion", "kind", "metadata")
JSON_TYPES: dict[str, tuple[type, ...]] = {
    # OpenAPI type -> the Python types of its decoded JSON values
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def is_custom_group(group: str) -> bool:
    """True for API groups served by CustomResourceDefinitions (``example.com``), not by Kubernetes itself."""
    return "." in group and not group.endswith(".k8s.io")


def kind_schema(document: Mapping[str, Any], group: str, version: str, kind: str) -> dict[str, Any] | None:
    """The schema of ``kind`` objects in an OpenAPI v3 group-version document, or None."""
    schemas = (document.get("components") or {}).get("schemas") or {}
    for schema in schemas.values():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            if (gvk.get("group"), gvk.get("version"), gvk.get("kind")) == (group, version, kind):
                return dict(schema)
    return None


def crd_version_schema(crd: Mapping[str, Any], version: str) -> dict[str, Any] | None:
    """The ``openAPIV3Schema`` of one version of a CustomResourceDefinition, or None."""
    for served in (crd.get("spec") or {}).get("versions") or ():
        if served.get("name") == version:
            schema = (served.get("schema") or {}).get("openAPIV3Schema")
            return dict(schema) if isinstance(schema, Mapping) else None
    return None


def declared_fields(schema: Mapping[str, Any]) -> frozenset[tuple[str, ...]]:
    """The field paths a structural schema declares (``("spec", "colour")``; ``[]`` an array's items, ``{}`` a map's
    values, ``...`` where unknown fields are kept): what the server prunes by. The envelope (``apiVersion``, ``kind``,
    ``metadata``, which the published OpenAPI adds) is left out at the top and in embedded resources, so a CRD's
    ``openAPIV3Schema`` and the schema the server publishes for it have the same fields.

    >>> sorted(declared_fields({"properties": {"spec": {"properties": {"colour": {"type": "string"}}}}}))
    [('spec',), ('spec', 'colour')]
    """
    found: set[tuple[str, ...]] = set()

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, Mapping):
            return
        if path:
            found.add(path)
        if node.get("x-kubernetes-preserve-unknown-fields"):
            found.add((*path, "..."))
        for key, child in (node.get("properties") or {}).items():
            if key not in _ENVELOPE or (path and not node.get("x-kubernetes-embedded-resource")):
                walk(child, (*path, key))
        if isinstance(node.get("items"), Mapping):
            walk(node["items"], (*path, "[]"))
        if isinstance(node.get("additionalProperties"), Mapping):
            walk(node["additionalProperties"], (*path, "{}"))
        for part in node.get("allOf") or ():  # the published document wraps some schemas in allOf
            walk(part, path)

    walk(schema, ())
    return frozenset(found)


def schema_findings(obj: Mapping[str, Any], schema: Mapping[str, Any]) -> list[FieldError]:
    """What the API server would refuse in ``obj`` (outside its metadata), one finding per field.

    The schema is compiled once into a tree of checks (:func:`_compiled`): a session's served
    schema is the same dict for every write of its kind.
    """
    found: list[FieldError] = []
    _compiled(schema)({k: v for k, v in obj.items() if k not in _ENVELOPE}, (), found)
    return found


_Checker = Callable[[Any, "tuple[str | int, ...]", "list[FieldError]"], None]
"""``check(value, path, found)``: appends to ``found`` what the server would refuse in ``value`` at ``path``."""

_COMPILED: dict[int, tuple[Mapping[str, Any], _Checker]] = {}  # id(schema) -> (schema, its checks): held, so ids stay unique
_COMPILED_MAX = 64


def _compiled(schema: Mapping[str, Any]) -> _Checker:
    """The checks of a kind's whole schema (its envelope left out), compiled once per schema object."""
    cached = _COMPILED.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    properties = {k: v for k, v in (schema.get("properties") or {}).items() if k not in _ENVELOPE}
    check = _compile({**schema, "properties": properties, "required": _not_envelope(schema)})
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[id(schema)] = (schema, check)
    return check


def _not_envelope(schema: Mapping[str, Any]) -> list[str]:
    return [k for k in schema.get("required") or () if k not in _ENVELOPE]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _dotted(path: tuple[str | int, ...]) -> str:
    """A path as the server writes it: ``spec.ports[0].name``."""
    text = ""
    for part in path:
        text = f"{text}[{part}]" if isinstance(part, int) else _join(text, part)
    return text


def _skip(value: Any, path: tuple[str | int, ...], found: list[FieldError]) -> None:
    """The checks of a schema node that declares nothing checkable."""


def _leaf(schema: Any) -> tuple[tuple[type, ...], bool, str] | None:
    """A node whose only check is its type (most of a schema): its types, whether numeric, its type's name."""
    if not isinstance(schema, Mapping) or schema.get("x-kubernetes-int-or-string") or not _BOUNDS.isdisjoint(schema):
        return None
    kind = schema.get("type")
    expected = JSON_TYPES.get(kind) if isinstance(kind, str) else None
    if expected is None or any(schema.get(k) for k in ("properties", "required", "additionalProperties", "items")):
        return None
    return expected, kind in ("integer", "number"), kind  # type: ignore[return-value]


def _wrong_type(value: Any, path: tuple[str | int, ...], kind: str) -> FieldError:
    return FieldError(_dotted(path), f"Invalid value: {_shown(value)}: must be of type {kind}", "FieldValueTypeInvalid")


def _compile(schema: Mapping[str, Any]) -> _Checker:
    """The checks of one schema node and those below it, as one function (see :data:`_Checker`).

    A null is never a finding (the server drops a null sent for a field that is not nullable);
    a value of the wrong type is reported alone, nothing below it checked. The properties whose
    only check is their type are checked inline, without a call.
    """
    if not isinstance(schema, Mapping):
        return _skip
    if schema.get("x-kubernetes-int-or-string"):
        def int_or_string(value: Any, path: tuple[str | int, ...], found: list[FieldError]) -> None:
            if value is not None and (not isinstance(value, (int, str)) or isinstance(value, bool)):
                found.append(_wrong_type(value, path, "integer,string"))
        return int_or_string
    kind = schema.get("type")
    expected = JSON_TYPES.get(kind) if isinstance(kind, str) else None
    numeric = kind in ("integer", "number")
    bounded = not _BOUNDS.isdisjoint(schema)  # most properties declare none: their checks are skipped
    declared = schema.get("properties") or {}
    leaves = {key: leaf for key, leaf in ((key, _leaf(sub)) for key, sub in declared.items()) if leaf is not None}
    properties = {key: _compile(sub) for key, sub in declared.items() if key not in leaves}
    required = tuple(schema.get("required") or ())
    additional = schema.get("additionalProperties")
    other_leaf = _leaf(additional)
    other = _compile(additional) if isinstance(additional, Mapping) and other_leaf is None else None
    items = schema.get("items")
    each_leaf = _leaf(items)  # items whose only check is their type (tags: a list of strings): checked inline
    each = _compile(items) if isinstance(items, Mapping) and each_leaf is None else None
    if (expected is None and not bounded and not declared and not required and additional is None and each is None
            and each_leaf is None):
        return _skip

    def check(value: Any, path: tuple[str | int, ...], found: list[FieldError]) -> None:
        if value is None:
            return
        if expected is not None and (not isinstance(value, expected) or (numeric and isinstance(value, bool))):
            found.append(_wrong_type(value, path, str(kind)))
            return
        if bounded:
            found.extend(check_bounds(value, schema, _dotted(path)))
        if isinstance(value, dict):
            for key in required:
                if value.get(key) is None:
                    found.append(FieldError(_dotted((*path, key)), "Required value", "FieldValueRequired"))
            for key, item in value.items():
                leaf = leaves.get(key) if key in leaves or key in properties else other_leaf
                if leaf is not None:
                    if item is not None and (not isinstance(item, leaf[0]) or (leaf[1] and isinstance(item, bool))):
                        found.append(_wrong_type(item, (*path, key), leaf[2]))
                    continue
                below = properties.get(key, other)
                if below is not None and below is not _skip:
                    below(item, (*path, key), found)
        elif isinstance(value, list):
            if each_leaf is not None:
                types, number, name = each_leaf
                for i, item in enumerate(value):
                    if item is not None and (not isinstance(item, types) or (number and isinstance(item, bool))):
                        found.append(_wrong_type(item, (*path, i), name))
            elif each is not None and each is not _skip:
                for i, item in enumerate(value):
                    each(item, (*path, i), found)

    return check


def pruned(obj: Mapping[str, Any], schema: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``obj`` without the fields ``schema`` does not declare (its metadata untouched), and their paths."""
    dropped: list[str] = []
    result = {k: v for k, v in obj.items() if k in _ENVELOPE}
    body = _prune({k: v for k, v in obj.items() if k not in _ENVELOPE}, schema, "", dropped)
    result.update(body)
    return result, dropped


def _prune(value: Any, schema: Mapping[str, Any], path: str, dropped: list[str]) -> Any:
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_prune(item, schema["items"], f"{path}[{i}]", dropped) for i, item in enumerate(value)]
    if not isinstance(value, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return value
    properties = schema.get("properties")
    additional = schema.get("additionalProperties")
    if properties is None and additional is None and schema.get("type") != "object":
        return value  # no structure declared here (or a $ref): leave it to the server
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if properties is not None and key in properties:
            kept[key] = _prune(item, properties[key], _join(path, key), dropped)
        elif isinstance(additional, Mapping):
            kept[key] = _prune(item, additional, _join(path, key), dropped)
        elif additional is True:
            kept[key] = item
        else:
            dropped.append(_join(path, key))
    return kept


_BOUNDS = frozenset({
    "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "minProperties",
    "maxProperties",
})
"""The schema keywords :func:`check_bounds` reads (``exclusiveMinimum``/``Maximum`` only with a bound)."""


def check_bounds(value: Any, schema: Mapping[str, Any], path: str) -> Iterator[FieldError]:
    """What ``value`` breaks of the schema's enum, bounds, lengths, pattern and sizes, in the server's words."""
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        allowed = ", ".join(repr(c) for c in enum)
        yield FieldError(path, f"Unsupported value: {value!r}: supported values: {allowed}", "FieldValueNotSupported")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and (value < low or (schema.get("exclusiveMinimum") and value == low)):
            yield FieldError(path, f"Invalid value: {value}: should be greater than {'' if schema.get('exclusiveMinimum') else 'or equal to '}{low}", "FieldValueInvalid")
        if high is not None and (value > high or (schema.get("exclusiveMaximum") and value == high)):
            yield FieldError(path, f"Invalid value: {value}: should be less than {'' if schema.get('exclusiveMaximum') else 'or equal to '}{high}", "FieldValueInvalid")
    if isinstance(value, str):
        if schema.get("minLength") is not None and len(value) < schema["minLength"]:
            yield FieldError(path, f"Invalid value: should be at least {schema['minLength']} chars long", "FieldValueInvalid")
        if schema.get("maxLength") is not None and len(value) > schema["maxLength"]:
            yield FieldError(path, f"Too long: may not be more than {schema['maxLength']} bytes", "FieldValueTooLong")
        pattern = schema.get("pattern")
        if pattern is not None and _mismatch(pattern, value):
            yield FieldError(path, f"Invalid value: {value!r}: should match '{pattern}'", "FieldValueInvalid")
    if isinstance(value, (list, dict)):
        low, high = ("minItems", "maxItems") if isinstance(value, list) else ("minProperties", "maxProperties")
        if schema.get(low) is not None and len(value) < schema[low]:
            yield FieldError(path, f"Invalid value: should have at least {schema[low]} {'items' if isinstance(value, list) else 'properties'}", "FieldValueInvalid")
        if schema.get(high) is not None and len(value) > schema[high]:
            yield FieldError(path, f"Too many: {len(value)}: must have at most {schema[high]} {'items' if isinstance(value, list) else 'properties'}", "FieldValueTooMany")


def _mismatch(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is None
    except re.error:  # an RE2 construct Python does not know: leave it to the server
        return False


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, (dict, list)) else type(value).__name__
