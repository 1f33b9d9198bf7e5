"""Label and field selectors: terms as data, rendered to the strings the API server parses.

A term is ``(key, operator, values)``; operators are ``=``, ``!=``, ``in``,
``notin``, ``exists`` and ``!exists`` for labels, ``=`` and ``!=`` for fields.
What a selector cannot express is refused here with a clear error, never sent.
"""

from __future__ import annotations

import re
from typing import Iterable

from ._errors import ClientValidationError, FieldError

__all__ = ["Term", "field_selector", "label_selector"]

Term = tuple[str, str, tuple[str, ...]]

# Matched with fullmatch: "$" would let a trailing newline through, which the server's lexer reads as a space.
_LABEL_KEY = re.compile(r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_FIELD_KEY = re.compile(r"[^\s,=!\\]+")  # the server does not unescape keys: these would make other terms


def label_selector(terms: Iterable[Term]) -> str | None:
    """The ``labelSelector`` parameter for ``terms`` (None when there are none).

    Raises:
        ClientValidationError: a key or value is not a valid label key or value.
    """
    rendered = []
    for key, op, values in terms:
        if not _LABEL_KEY.fullmatch(key) or len(key.rpartition("/")[0]) > 253:
            raise _invalid(f"labels.{key}", f"invalid label key {key!r}: a prefix/name of alphanumerics, '-', '_', '.'")
        for value in values:
            if not _LABEL_VALUE.fullmatch(value):
                raise _invalid(
                    f"labels.{key}",
                    f"invalid label value {value!r}: at most 63 alphanumerics, '-', '_' or '.', "
                    "starting and ending with an alphanumeric",
                )
        if op in ("=", "!="):
            rendered.append(f"{key}{op}{_one(key, values)}")
        elif op in ("in", "notin"):
            if not values:
                raise _invalid(f"labels.{key}", f"'{op}' needs at least one value")
            rendered.append(f"{key} {op} ({','.join(values)})")
        elif op == "exists":
            rendered.append(key)
        elif op == "!exists":
            rendered.append(f"!{key}")
        else:
            raise _invalid(f"labels.{key}", f"unknown label selector operator {op!r}")
    return ",".join(rendered) or None


def field_selector(terms: Iterable[Term]) -> str | None:
    """The ``fieldSelector`` parameter for ``terms`` (None when there are none).

    Raises:
        ClientValidationError: an operator other than ``=``/``!=``.
    """
    rendered = []
    for key, op, values in terms:
        if op not in ("=", "!="):
            raise _invalid(key, f"field selectors support only '=' and '!=', not {op!r}")
        if not _FIELD_KEY.fullmatch(key):
            raise _invalid(key, f"invalid field selector key {key!r}: a field path without spaces, ',', '=', '!' or '\\'")
        value = _one(key, values).replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")
        rendered.append(f"{key}{op}{value}")
    return ",".join(rendered) or None


def _one(key: str, values: tuple[str, ...]) -> str:
    if len(values) != 1:
        raise _invalid(key, f"'=' and '!=' take one value, not {len(values)}")
    return values[0]


def _invalid(field: str, message: str) -> ClientValidationError:
    return ClientValidationError(f"{field}: {message}", causes=(FieldError(field, message, "FieldValueInvalid"),))
