"""Object names and namespaces as the API server defines them, checked before they go into a URL.

A name goes into the request path (``/apis/g/v/namespaces/NS/plural/NAME``), so a
name such as ``x/..`` or ``../../api/v1/namespaces/victim`` would address another
object. Every path pykorm builds passes its segments through :func:`path_segment`,
which refuses what the API server itself refuses (``.``, ``..``, ``/``, ``%``) and
percent-encodes the rest as a second line of defence. Stricter, kind-specific rules
(DNS-1123 subdomain for most objects, DNS-1123 label for namespaces) come from
:func:`name_error`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from .errors import ClientValidationError, FieldError

__all__ = ["name_error", "path_segment"]

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MAX, _LABEL_MAX = 253, 63


def name_error(value: Any, field: str, *, label: bool = False, path_only: bool = False) -> FieldError | None:
    """What is wrong with ``value`` as an object name, or None.

    Args:
        field: the JSON path reported (``metadata.name``, ``metadata.namespace``).
        label: a DNS-1123 label (namespaces: at most 63 characters, no dots).
        path_only: only the API server's path-segment rule (not empty, not ``.``/``..``, no
            ``/`` or ``%``): for kinds whose names are free-form, such as RBAC roles
            (``system:controller:job-controller``).
    """
    if value is None or value == "":
        return FieldError(field, "Required value: a name is needed", "FieldValueRequired")
    if not isinstance(value, str):
        return FieldError(field, f"Invalid value: {type(value).__name__} {value!r:.80}: a name must be a string",
                          "FieldValueTypeInvalid")
    if value in (".", "..") or "/" in value or "%" in value:
        return FieldError(field, f"Invalid value {value!r}: may not be '.' or '..' and may not contain '/' or '%'", "FieldValueInvalid")
    if path_only:
        return None
    limit, pattern = (_LABEL_MAX, _DNS1123_LABEL) if label else (_SUBDOMAIN_MAX, _DNS1123_SUBDOMAIN)
    if len(value) > limit or not pattern.fullmatch(value):
        kind = "RFC 1123 label" if label else "RFC 1123 subdomain"
        dots = "" if label else " or '.'"
        shown = value if len(value) <= 80 else value[:77] + "..."
        return FieldError(
            field,
            f"Invalid value {shown!r}: a lowercase {kind} must consist of lower case alphanumeric characters, "
            f"'-'{dots}, start and end with an alphanumeric character and be at most {limit} characters (e.g. 'my-name')",
            "FieldValueInvalid",
        )
    return None


def path_segment(value: Any, field: str, *, label: bool = False, path_only: bool = False, what: str = "") -> str:
    """``value`` checked (see :func:`name_error`) and percent-encoded for a URL path.

    Raises:
        ClientValidationError: the value is not a valid name; nothing has been sent.
    """
    error = name_error(value, field, label=label, path_only=path_only)
    if error is not None:
        prefix = f"{what}: " if what else ""
        raise ClientValidationError(f"{prefix}{error}; nothing was sent", causes=(error,))
    return quote(value, safe="")
