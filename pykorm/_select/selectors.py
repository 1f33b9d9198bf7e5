"""Label and field selectors: terms as data, rendered to the strings the API server parses.

A term is ``(key, operator, values)``; operators are ``=``, ``!=``, ``in``,
``notin``, ``exists`` and ``!exists`` for labels, ``=`` and ``!=`` for fields.
What a selector cannot express is refused here with a clear error, never sent;
a label selector's text (``"app=web,tier notin (db)"``) is parsed back into terms
by the API server's grammar (:func:`parse_label_selector`).
"""

from __future__ import annotations

import re
from typing import Iterable

from .._base.errors import ClientValidationError, FieldError

__all__ = ["Term", "field_selector", "label_selector", "parse_label_selector"]

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


_TOKEN = re.compile(r"[ \t\r\n]*(?:(==|!=|=|!|\(|\)|,|<|>)|([^ \t\r\n!=(),<>]+))")  # the server's lexer


def parse_label_selector(text: str) -> tuple[Term, ...]:
    """The terms of a label selector string, as the API server parses it (k8s.io/apimachinery's labels.Parse).

    ``"app=web,tier!=db"`` → ``(("app", "=", ("web",)), ("tier", "!=", ("db",)))``; ``==`` reads as
    ``=``, ``key`` as ``exists``, ``!key`` as ``!exists``; ``""`` has no terms.

    Raises:
        ClientValidationError: not a string, a syntax error, an invalid key or value, or
            ``>``/``<`` (numeric comparisons, which pykorm does not evaluate).
    """
    if not isinstance(text, str):
        raise _invalid("selector", f"a label selector is a string such as 'app=web,tier!=db', not {text!r}")
    tokens = _tokens(text)
    terms: list[Term] = []
    at = 0

    def take(*expected: str) -> str:
        nonlocal at
        token = tokens[at] if at < len(tokens) else ""
        if expected and token not in expected:
            found = f"{token!r}" if token else "the end"
            raise _invalid("selector", f"{text!r}: expected {' or '.join(repr(e) for e in expected)} at {found}")
        at += 1
        return token

    def identifier(what: str) -> str:
        token = take()
        if not token or token in _SYMBOLS or token in ("in", "notin"):
            found = f"{token!r}" if token else "the end"
            raise _invalid("selector", f"{text!r}: expected {what} at {found}")
        return token

    while at < len(tokens):
        if take("!") if tokens[at] == "!" else "":
            terms.append((identifier("a label key after '!'"), "!exists", ()))
        else:
            key = identifier("a label key")
            following = tokens[at] if at < len(tokens) else ","
            if following == ",":
                terms.append((key, "exists", ()))
            elif following in ("=", "==", "!="):
                take()
                value = tokens[at] if at < len(tokens) and tokens[at] not in _SYMBOLS else ""
                at += 1 if value else 0
                terms.append((key, "!=" if following == "!=" else "=", (value,)))
            elif following in ("in", "notin"):
                take()
                take("(")
                values: list[str] = []
                while True:  # as the server: "()", "(a,,b)" and "(a,)" hold an empty value
                    value = tokens[at] if at < len(tokens) and tokens[at] not in _SYMBOLS else ""
                    at += 1 if value else 0
                    values.append(value)
                    if take(",", ")") == ")":
                        break
                terms.append((key, following, tuple(dict.fromkeys(values))))
            elif following in ("<", ">"):
                raise _invalid(f"labels.{key}", f"{text!r}: pykorm does not evaluate '{following}' in label selectors; "
                                                "filter with labels__<key> lookups in Python instead")
            else:
                raise _invalid(f"labels.{key}", f"{text!r}: expected '=', '==', '!=', 'in', 'notin' or ',' after {key!r}, "
                                                f"not {following!r}")
        if at < len(tokens):
            take(",")
            if at == len(tokens):
                raise _invalid("selector", f"{text!r}: expected a label key after the last ','")
    label_selector(terms)  # validates each key and value
    return tuple(terms)


_SYMBOLS = ("==", "!=", "=", "!", "(", ")", ",", "<", ">")


def _tokens(text: str) -> list[str]:
    tokens = []
    position = 0
    text = text.rstrip(" \t\r\n")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # cannot happen: every character is a symbol, a space or part of an identifier
            raise _invalid("selector", f"{text!r}: unexpected {text[position]!r}")
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    return tokens


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
