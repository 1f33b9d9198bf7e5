"""What an API server's answer says: its decoded JSON, or the typed exception for it; its warnings.

Both transports (urllib3's and aiohttp's) read answers with these functions. JSON is decoded
by ``msgspec`` when it is installed (``pip install 'pykorm[fast]'``: about 40% less client CPU
than :func:`json.loads` per listed object), else by the standard library: the same values either
way, since whatever ``msgspec`` refuses (``1e400``, a lone surrogate, UTF-16 bytes...) goes to
:func:`json.loads` as before, which decides.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any, Callable, Mapping

from .._base.errors import (
    AlreadyExists,
    ApiError,
    ConflictError,
    FieldError,
    Forbidden,
    Gone,
    NotFound,
    RequestTooLarge,
    ServerUnavailable,
    ServerWarning,
    Unauthorized,
    ValidationError,
)
from .._base.gc import full_gc_held_off
from .retry import counted, retry_after

__all__ = [
    "answer_error", "answer_of", "decode_answer", "decode_json", "error_from_response", "error_from_status", "read_lines",
    "warn_from_server",
]

JSON = Any

_LARGE_ANSWER = 256 * 1024  # bytes; above this, decode with full collections held off


def _decoder() -> Callable[[bytes], JSON]:
    try:
        from msgspec import DecodeError
        from msgspec.json import Decoder
    except ImportError:
        return json.loads
    fast = Decoder().decode

    def decode(data: bytes) -> JSON:
        try:
            return fast(data)
        except DecodeError:
            return json.loads(data)  # what msgspec refuses: as the standard library decides (a value or its error)

    return decode


decode_json: Callable[[bytes], JSON] = _decoder()
"""JSON bytes to Python values (dicts, lists, str, int, float, bool, None), as :func:`json.loads` gives them.

Raises:
    ValueError: not JSON.
"""


def read_lines(buffer: bytes, chunk: bytes, raw: bool) -> tuple[list[JSON], bytes]:
    """The complete lines of ``buffer + chunk`` (decoded JSON, or text with ``raw``), and what is left over."""
    buffer += chunk
    lines: list[JSON] = []
    while b"\n" in buffer:
        line, buffer = buffer.split(b"\n", 1)
        if raw:
            lines.append(line.decode("utf-8", errors="replace"))
        elif line.strip():
            lines.append(decode_json(line))
    return lines, buffer



def answer_error(status: int, headers: Mapping[str, str], data: bytes, what: str, attempts: int) -> ApiError:
    """The typed error for an error answer, with the attempts made (and whether pykorm gave up retrying)."""
    return counted(error_from_response(status, data, what), attempts, gave_up=retry_after(status, headers)[0])


def answer_of(
    status: int, headers: Mapping[str, str], data: bytes, what: str, attempts: int, large: int = _LARGE_ANSWER
) -> JSON:
    """What an answer says: its decoded body, or (status 300 and above) its typed error, raised.

    Answers of ``large`` bytes or more are decoded with full collections held off (:mod:`pykorm._base.gc`).
    The server's warnings (``Warning`` headers) are issued as :class:`ServerWarning`.
    """
    if "Warning" in headers:
        warn_from_server(headers, what)
    if status >= 300:
        raise answer_error(status, headers, data, what, attempts)
    return decode_answer(status, headers, data, what, large)


_WARNING = re.compile(r'\d{3} \S+ "((?:[^"\\]|\\.)*)"')


def warn_from_server(headers: Mapping[str, str], what: str) -> None:
    """Issue each ``Warning`` header of an answer (RFC 7234: ``299 - "text"``) as a :class:`ServerWarning`."""
    getall = getattr(headers, "getlist", None) or getattr(headers, "getall", None)  # urllib3's, aiohttp's
    values = list(getall("Warning", [])) if getall is not None else [headers["Warning"]]
    for value in values:
        for text in _WARNING.findall(value) or [value]:
            warnings.warn(f"{what}: {text.replace(chr(92) + chr(34), chr(34))}", ServerWarning, stacklevel=3)


def decode_answer(status: int, headers: Mapping[str, str], data: bytes, what: str, large: int = _LARGE_ANSWER) -> JSON:
    """A 2xx answer: decoded JSON, the text of a plain-text answer, or None when empty."""
    if not data:
        return None
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type and "json" not in content_type:
        return data.decode("utf-8", errors="replace")  # /healthz, pod logs...
    try:
        if len(data) < large:
            return decode_json(data)
        with full_gc_held_off():  # a large list: see pykorm._base.gc
            return decode_json(data)
    except ValueError as error:
        raise ServerUnavailable(
            f"{what}: the answer is not JSON ({error}): {data[:200].decode(errors='replace')!r}", status=status
        ) from None


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: ConflictError,
    410: Gone,
    413: RequestTooLarge,
    422: ValidationError,
}

# An apply the server cannot even type (a field its schema does not declare, a wrong type) is
# answered with a 500 naming the field: "failed to create typed patch object (...): .spec.x: ..."
_TYPED_PATCH = re.compile(r"failed to create typed (?:patch )?object[^:]*:\s*\.?([^:\s]+):\s*(.+)$", re.S)


def error_from_response(status: int, data: bytes, what: str) -> ApiError:
    """The typed exception for an API server's error answer (a ``Status`` object, usually)."""
    try:
        body = json.loads(data) if data else {}
    except ValueError:
        body = {"message": data.decode(errors="replace")[:500]}
    return error_from_status(status, body if isinstance(body, dict) else {}, what)


def error_from_status(status: int, body: dict[str, Any], what: str) -> ApiError:
    """The typed exception for a decoded ``Status`` object (from an answer or a watch ERROR event)."""
    reason = str(body.get("reason", ""))
    message = f"{what}: {body.get('message') or reason or f'HTTP {status}'}"
    if reason == "AlreadyExists":
        return AlreadyExists(message, status=status, reason=reason, body=body)
    text = str(body.get("message") or "")
    if status >= 500 and "request is too large" in text:  # etcd's limit, answered as a 500
        return RequestTooLarge(message, status=status, reason=reason, body=body)
    typed = _TYPED_PATCH.search(text) if status >= 500 else None
    if typed is not None:
        cause = FieldError(typed.group(1).strip("."), typed.group(2).strip(), "FieldValueInvalid")
        return ValidationError(message, causes=(cause,), status=status, reason=reason, body=body)
    cls = _BY_STATUS.get(status, ServerUnavailable if status >= 500 or status == 429 else ApiError)
    if cls is ValidationError:
        causes = tuple(
            FieldError(str(c.get("field", "")), str(c.get("message", "")), str(c.get("reason", "")))
            for c in (body.get("details") or {}).get("causes") or ()
        )
        return ValidationError(message, causes=causes, status=status, reason=reason, body=body)
    return cls(message, status=status, reason=reason, body=body)
