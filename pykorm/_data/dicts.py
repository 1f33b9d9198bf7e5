"""Plain dicts and lists given for nested fields: converted, and checked against the nested classes.

``Deployment(spec={"replicas": 2, "template": {"spec": {"containers": [{"name": "web", ...}]}}})``: each
key of a dict given for a :class:`pykorm.Nested` field is one of its fields, by Python name or by JSON
key (``match_labels`` or ``matchLabels``); each value is checked against that field's type at any depth
(lists, dicts of values, nested objects within). A key no field has or a value of the wrong type raises
:class:`pykorm.ClientValidationError` naming the JSON path (``spec.template.spec.containers[0].imagee``) and, for
a misspelt key, the nearest field — never a key kept as it is and refused (or pruned) by the server later.
"""

from __future__ import annotations

import datetime
import difflib
import enum
from collections.abc import Mapping  # typing.Mapping's isinstance goes through typing's __instancecheck__: slower
from typing import TYPE_CHECKING, Any

from .._base.errors import ClientValidationError, FieldError
from .._base.paths import set_path
from .types import TypeInfo, is_nested_class

if TYPE_CHECKING:
    from .types import NestedClass

__all__ = ["at", "checked", "nested_json", "with_prefix"]

Where = tuple["str | int", ...]


def _bad(where: Where, message: str) -> ClientValidationError:
    """The error for a value given for a nested field that its class does not hold (``where``: the path inside it)."""
    error = ClientValidationError(f"{_dotted(where)}: {message}" if where else message,
                                  causes=(FieldError(_dotted(where), message, "FieldValueInvalid"),))
    error.nested_where, error.nested_detail = where, message  # type: ignore[attr-defined]
    return error


def with_prefix(error: ClientValidationError, owner: str, path: tuple[str, ...]) -> ClientValidationError:
    """``error`` (of :func:`nested_json`) seen from ``owner``'s constructor: the path starts at the field's
    ``path``; another error as it is."""
    where = getattr(error, "nested_where", None)
    if where is None:
        return error
    found = _bad((*path, *where), getattr(error, "nested_detail"))
    found.args = (f"{owner}: {found.args[0]}",)
    return found


def at(error: ClientValidationError, *where: str | int) -> ClientValidationError:
    """``error`` (of :func:`nested_json` or :func:`checked`) seen from one level up: ``where`` (a list's index, a
    dict's key, a field's path) before its path; another error as it is."""
    inside = getattr(error, "nested_where", None)
    if inside is None:
        return error
    return _bad((*where, *inside), getattr(error, "nested_detail"))


def _dotted(where: Where) -> str:
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def nested_json(nested: type[NestedClass], value: Any, where: Where = ()) -> dict[str, Any]:
    """The JSON dict of a ``nested`` object given as a dict (or as an instance), every key and value checked.

    Raises:
        ClientValidationError: a key ``nested`` has no field for, a value of the wrong type (the path says where).
    """
    if is_nested_class(type(value)):
        if not isinstance(value, nested):
            raise _bad(where, f"expected {nested.__name__} or a dict, got {type(value).__name__}")
        instance: Any = value
        own: dict[str, Any] = instance._raw  # the instance's own dict, not a copy
        return own
    if not isinstance(value, Mapping):
        raise _bad(where, f"expected {nested.__name__} or a dict, got {type(value).__name__} {value!r:.60}")
    fields, by_key = _keys(nested)
    empty: Any = nested()
    raw: dict[str, Any] = empty._raw  # its defaults
    given: dict[int, Any] = {}  # id(field) -> the key it was given by
    for key, item in value.items():
        field = fields.get(key) if isinstance(key, str) else None
        field = field or (by_key.get(key) if isinstance(key, str) else None)
        if field is not None and given.setdefault(id(field), key) != key:
            raise _bad((*where, *field.path), f"given twice, as {given[id(field)]!r} and as {key!r}")
        if field is None:
            names = sorted(fields)
            near = difflib.get_close_matches(str(key), [*names, *by_key], n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise _bad((*where, str(key)), f"{nested.__name__} has no field {key!r}{hint} (fields: {', '.join(names)})")
        if field._processes:
            item = field.preprocessor(item)
        info = field.info
        if info.kind not in _OWN_JSON.get(type(item), ()):  # else checked() returns it as it is: no path to build
            item = checked(info, item, (*where, *field.path))
        set_path(raw, field.path, item)
    return raw


def _keys(nested: type[NestedClass]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields a dict given for ``nested`` may name: by Python name, and by JSON key (one-key paths).

    Made once per class (kept in the class's own ``__dict__``, so that a subclass makes its own)."""
    found: tuple[dict[str, Any], dict[str, Any]] | None = nested.__dict__.get("_pykorm_keys")
    if found is None:
        fields = {name: f for name, f in nested._fields.items() if f.init}
        found = (fields, {f.path[0]: f for f in fields.values() if len(f.path) == 1})
        setattr(nested, "_pykorm_keys", found)
    return found


def checked(info: TypeInfo, value: Any, where: Where = ()) -> Any:
    """``value``'s JSON for a field of type ``info``; a nested dict within it checked by :func:`nested_json`."""
    if value is None:
        return None
    kind = info.kind
    if kind in _OWN_JSON.get(type(value), ()):  # the common case: a str for a str field... (what the checks below pass as is)
        return value
    if kind == "nested":
        return nested_json(info.python, value, where)
    if kind == "list":
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
            raise _bad(where, f"expected a list, got {type(value).__name__} {value!r:.60}")
        return [checked(info.item, v, (*where, i)) if info.item else v for i, v in enumerate(value)]
    if kind == "dict":
        if not isinstance(value, Mapping):
            raise _bad(where, f"expected a dict, got {type(value).__name__} {value!r:.60}")
        for key in value:
            if not isinstance(key, str):
                raise _bad((*where, repr(key)), f"a key is a str, not {type(key).__name__}")
        return {k: checked(info.item, v, (*where, k)) if info.item else v for k, v in value.items()}
    expected = _SCALARS.get(kind)
    if expected is not None and (not isinstance(value, expected[0]) or (isinstance(value, bool) and bool not in expected[0])):
        raise _bad(where, f"expected {expected[1]}, got {type(value).__name__} {value!r:.60}")
    if kind in ("literal", "enum") and not isinstance(value, enum.Enum) and value not in info.choices:
        raise _bad(where, f"expected one of {', '.join(map(repr, info.choices))}, got {value!r:.60}")
    if isinstance(value, datetime.datetime):
        return json_time(value)
    return value.value if isinstance(value, enum.Enum) else value


def json_time(value: datetime.datetime, *, every_digit: bool = False) -> str:
    """A datetime as pykorm writes it: RFC 3339 in UTC (a naive one is UTC), to the second, with the
    fraction when there is one (``2026-12-05T10:00:00Z``, ``2026-12-05T10:00:00.500000Z``); the year in four
    digits (``0001``: strftime writes ``1``, no timestamp). ``every_digit``: the fraction always, so that the
    text sorts as the instants do (``order_by``).

    Raises:
        ClientValidationError: the instant is outside the years 1-9999 in UTC.
    """
    moment = value if value.tzinfo is not None else value.replace(tzinfo=datetime.timezone.utc)
    try:
        moment = moment.astimezone(datetime.timezone.utc)
    except OverflowError:  # datetime.min at +01:00: before the year 1 in UTC
        raise _bad((), f"{value.isoformat()} is outside the years 1-9999 in UTC: no timestamp") from None
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")
    return f"{text}.{moment.microsecond:06d}Z" if moment.microsecond or every_digit else f"{text}Z"


_SCALARS: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "a str"),
    "int": ((int,), "an int"),
    "float": ((int, float), "a number"),
    "bool": ((bool,), "a bool"),
    "datetime": ((datetime.datetime, str), "a datetime"),
    "int_or_string": ((int, str), "an int or a str"),
}
"""The Python types a JSON scalar field takes (bool is an int in Python: refused where an int or str is wanted)."""

_OWN_JSON: dict[type, frozenset[str]] = {
    str: frozenset({"str", "datetime", "int_or_string", "any", "object"}),
    int: frozenset({"int", "float", "int_or_string", "any", "object"}),
    float: frozenset({"float", "any", "object"}),
    bool: frozenset({"bool", "any", "object"}),
}
"""The field kinds whose check passes a value of exactly that type through unchanged (``checked``'s fast path)."""
