"""A request's body as bytes: JSON the API server reads as the value it was made of, or a typed refusal.

``json.dumps`` would write what the server cannot read as meant, so :func:`encode_body` refuses it
before anything is sent (:class:`ClientValidationError`, naming the JSON path): NaN and infinity
(JSON has none), values that are no JSON (a ``datetime`` left in a free-form dict, a set), and
strings holding surrogate code points (no Unicode text: Go's decoder would store U+FFFD for a lone one, and
one character for a pair).
A server-side apply body is read as YAML, whose ``\\u`` escapes name no surrogate: a character
outside the BMP (an emoji) is written as YAML's ``\\U`` escape of the whole code point there.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterator

from .._base.errors import ClientValidationError, FieldError

__all__ = ["APPLY_PATCH", "encode_body", "json_findings"]

APPLY_PATCH = "application/apply-patch+yaml"


def encode_body(body: Any, content_type: str) -> tuple[bytes | None, dict[str, str]]:
    """A request's body as compact JSON bytes, and the header that says its type (none without a body).

    Raises:
        ClientValidationError: the body holds NaN or infinity, a value that is no JSON, or a surrogate code point.
    """
    if body is None:
        return None, {}
    try:
        text = _ENCODER.encode(body)
    except (ValueError, TypeError) as error:
        raise _refusal(body, error) from None
    if "\\ud" in text:  # a surrogate escape: a pair is a character outside the BMP, a lone one is no text
        text = _surrogates(text, content_type == APPLY_PATCH, body)
    return text.encode(), {"Content-Type": content_type}


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)  # made once (json.dumps makes one per call)
_INT64 = range(-(2**63), 2**63)

_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")
"""A surrogate pair escape (not an escaped backslash followed by the text ``ud83d``)."""


def _surrogates(text: str, yaml: bool, body: Any) -> str:
    if next(json_findings(body, ""), None) is not None:  # a string holding surrogates (lone, or a pair of code units)
        raise _refusal(body, None)
    if not yaml:
        return text

    def whole(match: re.Match[str]) -> str:
        point = 0x10000 + ((int(match.group(2), 16) - 0xD800) << 10) + (int(match.group(3), 16) - 0xDC00)
        return f"{match.group(1)}\\U{point:08x}"

    return _PAIR.sub(whole, text)


def _refusal(body: Any, error: Exception | None) -> ClientValidationError:
    causes = tuple(FieldError(path, message, "FieldValueInvalid") for path, message in json_findings(body, ""))
    if not causes:  # not found by the walk (a subclass of a JSON type encoding oddly): the encoder's words
        causes = (FieldError("", f"Invalid value: not JSON: {error}", "FieldValueInvalid"),)
    return ClientValidationError("the request body is not JSON the API server reads as meant: "
                                 + "; ".join(str(c) for c in causes), causes=causes)


def json_findings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, message)`` for each value in ``value`` that JSON cannot carry to the API server as meant: NaN and
    infinity, integers beyond 64 bits (refused by the server, or kept as a float that is another number where the
    schema declares no integer), strings with surrogate code points, keys that are no strings, values that are no JSON."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                yield path, f"Invalid value: a key is {type(key).__name__} {key!r:.40}: JSON keys are strings"
            else:
                yield from json_findings(key, f"{path}.{key}" if path else key) if _lone(key) else ()
                yield from json_findings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from json_findings(item, f"{path}[{i}]")
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path, f"Invalid value: {value}: JSON has no NaN or infinity"
    elif isinstance(value, str):
        if _lone(value):
            yield path, f"Invalid value: {value!r:.60}: holds surrogate code points, no Unicode text (the server would store U+FFFD or another character)"
    elif isinstance(value, int) and not isinstance(value, bool):
        if value not in _INT64:
            yield path, (f"Invalid value: {value}: beyond a 64-bit integer (the API server would refuse it, or store "
                         "a float that is another number)")
    elif value is not None and not isinstance(value, bool):
        yield path, f"Invalid value: {type(value).__name__} {value!r:.60}: not a JSON value"


def _lone(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
