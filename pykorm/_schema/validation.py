"""Client-side checks of an object before it is sent: required fields, types, names, schema options.

Every finding names the JSON path of the field (``spec.score.exterior``, ``spec.seeds[0].kind``,
``spec.labels.team``) as the API server's own validation causes do for the CRD that
:func:`pykorm.crd` generates: a required field under a missing object is reported at
the outermost missing object (``spec``), which that CRD requires too.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import math
import re
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from .._base.errors import ClientValidationError, FieldError
from .._base.names import name_error
from .openapi import JSON_TYPES, check_bounds, schema_findings
from .._http.body import json_findings
from .._base.paths import MISSING, Path, dotted, get_path
from .._data.options import NON_EMPTY, OPTIONS, split_options
from .._data.types import TypeInfo

if TYPE_CHECKING:
    from .._data.fields import DataField
    from .._data.objects import _Object

__all__ = ["check_names", "validate"]

_TYPE_NAMES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "datetime": "string",
               "list": "array", "dict": "object", "object": "object", "nested": "object"}
"""A field's kind of value -> the OpenAPI type its JSON has."""
_JSON_TYPES = {kind: JSON_TYPES[name] for kind, name in _TYPE_NAMES.items()} | {"int_or_string": (int, str)}
_TYPE_NAMES |= {"datetime": "date-time string", "int_or_string": "integer,string"}  # as messages say them


def validate(obj: _Object, *, need_name: bool = True, served: Mapping[str, Any] | None = None,
             changed: Mapping[str, Any] | None = None) -> None:
    """Check ``obj`` and raise one :class:`ClientValidationError` listing every finding.

    The rule: pykorm never refuses a write the API server would accept. With ``served``,
    the schema the server enforces for the object's kind, the object is checked against
    that schema alone. Without it, against the model's fields: required fields and
    validation options as declared, and types as annotated where the annotation agrees
    with the field's default (``price: str = Spec("price", 1)`` documents, it does not check).
    With ``changed``, the merge patch an update sends, only what it changes is checked (and
    what holds it): the server lets an update keep a value that a schema tightened since
    it was written refuses (CRD validation ratcheting, Kubernetes ≥ 1.30).

    Raises:
        ClientValidationError: ``causes`` holds a :class:`FieldError` per finding.
    """
    touched = None if changed is None else _changed_paths(changed, "")
    causes = list(schema_findings(obj._raw, served) if served is not None else _findings(obj, (), touched))
    if _holds_free_form(type(obj)):  # values no schema types: what JSON cannot carry (a huge int, NaN...) is found here
        causes += [FieldError(path, message, "FieldValueInvalid") for path, message in json_findings(obj._raw)]
    if touched is not None:
        causes = [cause for cause in causes if _touches(cause.field, touched)]
    if need_name:
        named = _name_findings(obj)
        refused = {cause.field for cause in named}  # one finding per name: the name rules already say "a string"
        causes[:0] = named
        causes = [c for c in causes if c in named or c.field not in refused]
    _raise(obj, causes)


def _changed_paths(patch: Mapping[str, Any], prefix: str) -> list[str]:
    """The dotted paths a merge patch sets or removes (a nested dict is a change below it; a list, a whole)."""
    found: list[str] = []
    for key, value in patch.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and value:
            found += _changed_paths(value, path)
        else:
            found.append(path)
    return found


def _touches(field: str, changed: list[str]) -> bool:
    """Whether a finding at ``field`` is about a change: it is at, under or above a changed path."""
    for path in changed:
        shorter, longer = (field, path) if len(field) <= len(path) else (path, field)
        if longer.startswith(shorter) and (len(longer) == len(shorter) or longer[len(shorter)] in ".["):
            return True
    return False


def check_names(obj: _Object) -> None:
    """Check only the object's name and namespace (before anything is sent about it).

    Raises:
        ClientValidationError: the name or namespace is not one the API server accepts.
    """
    _raise(obj, _name_findings(obj))


def _name_findings(obj: _Object) -> list[FieldError]:
    causes: list[FieldError] = []
    namespace = get_path(obj._raw, ("metadata", "namespace"))
    if namespace is not MISSING and namespace is not None:
        found = name_error(namespace, "metadata.namespace", label=True)
        if found is not None:
            causes.append(found)
    if get_path(obj._raw, ("metadata", "generateName")) is MISSING:
        resource = getattr(type(obj), "__resource__", None)
        name = get_path(obj._raw, ("metadata", "name"))
        free_form = resource is not None and resource.free_form_names
        found = name_error(None if name is MISSING else name, "metadata.name", path_only=free_form)
        if found is not None:
            causes.append(found)
    return causes


def _raise(obj: _Object, causes: list[FieldError]) -> None:
    if causes:
        what = f"{type(obj).__name__} {get_path(obj._raw, ('metadata', 'name')) or ''}".strip()
        listing = "; ".join(str(c) for c in causes)
        raise ClientValidationError(f"{what} is invalid: {listing}", causes=tuple(causes))


def _findings(obj: _Object, prefix: Path, touched: list[str] | None = None) -> Iterator[FieldError]:
    """The findings about the model's fields (with ``touched``, the changed paths: about those fields only)."""
    missing: dict[str, list[str]] = {}  # where the server reports it: the required fields below
    for field in obj._fields.values():
        path = dotted(prefix + field.path)
        if touched is not None and not _touches(path, touched):
            continue
        value = get_path(obj._raw, field.path)
        if value is MISSING or value is None:
            if field.required and not (value is None and field.schema.get("nullable")):
                missing.setdefault(dotted(prefix + _outermost_missing(obj._raw, field.path)), []).append(path)
            continue
        if field.required and not field.allow_empty and field.info.kind in NON_EMPTY and value in ("", [], {}):
            yield FieldError(path, "Required value: must not be empty", "FieldValueRequired")
        info = field.info if annotation_checked(field) else _ANY
        own, items = split_options(info, field.schema)
        yield from _check(info, value, path, own, items)
    for where, paths in missing.items():
        below = "" if paths == [where] else f": needed for {', '.join(paths)}"
        yield FieldError(where, f"Required value{below}", "FieldValueRequired")


_ANY = TypeInfo("any")


def _holds_free_form(cls: type, seen: frozenset[type] = frozenset()) -> bool:
    """Whether objects of ``cls`` may hold free-form values (``dict[str, Any]``, ``Any``), in nested objects too."""
    found: bool | None = cls.__dict__.get("_pykorm_free_form")
    if found is not None:
        return found
    found = False
    for field in getattr(cls, "_fields", {}).values():
        info = field.info
        while info.item is not None and info.kind in ("list", "dict"):
            info = info.item
        if info.kind in ("object", "any") or (info.kind == "nested" and info.python not in seen
                                              and _holds_free_form(info.python, seen | {cls})):
            found = True
            break
    if not seen:  # a class's own answer (a cycle's inner answers are partial)
        setattr(cls, "_pykorm_free_form", found)
    return found


@functools.lru_cache(maxsize=None)
def annotation_checked(field: DataField) -> bool:
    """Whether the field's annotation is a type to check: it is, unless the field's own default contradicts it."""
    if not field.has_default:
        return True
    default = field.to_json(field.make_default())
    return default is None or next(_check(field.info, default, field.name, {}), None) is None


def _outermost_missing(raw: dict[str, Any], path: Path) -> Path:
    """Where the server reports a missing required field: at the first missing object on its way."""
    if path[0] == "metadata":
        return path  # not in the CRD's schema: pykorm's check alone
    for depth in range(1, len(path)):
        if get_path(raw, path[:depth]) in (MISSING, None):
            return path[:depth]
    return path


def _check(
    info: TypeInfo, value: Any, path: str, schema: dict[str, Any], items: dict[str, Any] | None = None
) -> Iterator[FieldError]:
    if value is None:
        if not info.optional:
            yield FieldError(path, "Invalid value: null is not allowed", "FieldValueInvalid")
        return
    expected = _JSON_TYPES.get(info.kind)
    if expected is not None and (
        not isinstance(value, expected) or (isinstance(value, bool) and info.kind in ("int", "float", "int_or_string"))
    ):
        yield FieldError(path, f"Invalid value: {type(value).__name__}: must be of type {_TYPE_NAMES[info.kind]}", "FieldValueTypeInvalid")
        return
    if isinstance(value, float) and not math.isfinite(value):
        yield FieldError(path, f"Invalid value: {value}: JSON has no NaN or infinity", "FieldValueInvalid")
        return
    if info.kind == "datetime" and not _FORMATS["date-time"](value):
        yield FieldError(path, f"Invalid value: {value!r}: must be of type date-time", "FieldValueTypeInvalid")
        return
    if info.kind in ("enum", "literal") and value not in info.choices:
        allowed = ", ".join(repr(c) for c in info.choices)
        yield FieldError(path, f"Unsupported value: {value!r}: supported values: {allowed}", "FieldValueNotSupported")
    if info.kind == "nested":
        yield from _findings(info.python._wrap(value), tuple(path.split(".")))
    elif info.kind == "list" and info.item is not None:
        for i, item in enumerate(value):
            yield from _check(info.item, item, f"{path}[{i}]", items or {})
    elif info.kind == "dict" and info.item is not None:
        for key, item in value.items():
            yield from _check(info.item, item, f"{path}.{key}", items or {})
    yield from _check_schema(value, path, schema)


def _check_schema(value: Any, path: str, schema: dict[str, Any]) -> Iterator[FieldError]:
    """The field's options checked as the API server checks the schema they make (same messages)."""
    if not schema:
        return
    yield from check_bounds(value, {OPTIONS[key]: option for key, option in schema.items() if key in OPTIONS}, path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        step = schema.get("multiple_of")
        if step and not _multiple(value, step):
            yield FieldError(path, f"Invalid value: {value}: should be a multiple of {step}", "FieldValueInvalid")
    if isinstance(value, str) and schema.get("format") in _FORMATS and not _FORMATS[schema["format"]](value):
        yield FieldError(path, f"Invalid value: {value!r}: must be of type {schema['format']}", "FieldValueTypeInvalid")


def _multiple(value: float, step: float) -> bool:
    """Whether ``value`` is a multiple of ``step`` as the API server judges it (kube-openapi's
    ``MultipleOf``): the quotient, computed as there, may miss an integer by a relative 1e-9."""
    quotient = (1 / step) * value if step < 1 else value / step
    whole = math.trunc(quotient)
    return quotient == whole or abs(quotient - whole) / (abs(quotient) + abs(whole)) < 1e-9


def _parses(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return check


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_FORMATS: dict[str, Callable[[str], bool]] = {
    "date-time": lambda v: bool(_DATE_TIME.match(v)),
    "date": lambda v: bool(re.match(r"^\d{4}-\d{2}-\d{2}$", v)),
    "uuid": lambda v: bool(re.match(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", v)) and _parses(uuid.UUID)(v),
    "ipv4": _parses(ipaddress.IPv4Address),
    "ipv6": _parses(ipaddress.IPv6Address),
    "cidr": _parses(lambda v: ipaddress.ip_network(v, strict=False)),
    "byte": _parses(lambda v: base64.b64decode(v, validate=True)),
}
"""The string formats checked before sending (the API server checks every format it knows)."""
