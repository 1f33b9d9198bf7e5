"""Admission: the functions registered on a model, and how one ``AdmissionReview`` request runs them.

A validating function says why an object is refused — it returns the reasons (a string, a list of
them, a ``{field: message}`` mapping, :class:`~pykorm.FieldError` records) or raises :class:`Denied`;
nothing (``None``, ``[]``) admits the object. A defaulting function changes the object in place; the
answer is the JSON patch (RFC 6902) from what the API server sent to what the function left. A
function takes the object, optionally the old object (on UPDATE; None otherwise) and the
:class:`AdmissionRequest` (who asks, dry run, ``warn()``), by how many parameters it declares.

Any other exception of a function refuses the request with a message naming the function and the
error (code 500, logged with its traceback): a bug never admits an object by accident, and the API
server gets an answer, not a broken connection it would report as the webhook being down.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import inspect
import json
import logging
from typing import Any, Callable, Generic, Iterable, Mapping, Sequence, TypeVar

from .._base.errors import FieldError
from .._base.patch import json_patch
from .._http.resource import ResourceType, resource_of

__all__ = ["OPERATIONS", "AdmissionRequest", "Denied", "Hook", "admit", "reasons_of"]

log = logging.getLogger("pykorm.webhooks")

M = TypeVar("M")

OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT")
_REASONS = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 422: "Invalid", 500: "InternalError"}


class Denied(Exception):
    """Raised by an admission function: the request is refused with these reasons.

    Args:
        reasons: messages, ``(field, message)`` pairs or :class:`~pykorm.FieldError` records.
        field: the field the (single) message is about, such as ``"spec.instances"``.
        code: the HTTP status the client gets: 422 (``ValidationError`` in pykorm) by default, 403 for
            a refusal that is about who asks rather than what they send.

    >>> raise Denied("at most 5 instances", field="spec.instances")
    """

    def __init__(self, *reasons: str | tuple[str, str] | FieldError, field: str = "", code: int = 422) -> None:
        if field and len(reasons) == 1 and isinstance(reasons[0], str):
            reasons = (FieldError(field, reasons[0], "FieldValueInvalid"),)
        self.reasons = reasons_of(list(reasons)) or (FieldError("", "denied"),)
        if not 400 <= code <= 599:
            raise ValueError(f"Denied(code={code}): a refusal's code is an HTTP error status (400-599)")
        self.code = code
        super().__init__("; ".join(map(str, self.reasons)))


def reasons_of(result: Any) -> tuple[FieldError, ...]:
    """A validating function's answer as field errors; empty means admitted.

    Raises:
        TypeError: the answer is none of: None, a string, a mapping of field to message, an iterable of
            strings, ``(field, message)`` pairs or ``FieldError`` records.
    """
    if result is None or result is True:
        return ()
    if isinstance(result, str):
        return (FieldError("", result),) if result else ()
    if isinstance(result, FieldError):
        return (result,)
    if isinstance(result, Mapping):
        return tuple(FieldError(str(field), str(message), "FieldValueInvalid") for field, message in result.items())
    if isinstance(result, Iterable) and not isinstance(result, (bytes, dict)):
        found: list[FieldError] = []
        for item in result:
            if isinstance(item, FieldError):
                found.append(item)
            elif isinstance(item, str):
                if item:
                    found.append(FieldError("", item))
            elif isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item):
                found.append(FieldError(item[0], item[1], "FieldValueInvalid"))
            else:
                raise TypeError(f"a reason must be a string, a (field, message) pair or a FieldError, not {item!r}")
        return tuple(found)
    raise TypeError(
        f"a validating function returns None, a string, a list of reasons or a {{field: message}} mapping, not {result!r}"
    )


class AdmissionRequest(Generic[M]):
    """One request of the API server to a webhook: what is asked, by whom, on what.

    Attributes:
        uid: the request's uid (the answer carries it).
        operation: ``CREATE``, ``UPDATE``, ``DELETE`` or ``CONNECT``.
        object: the object as it would be stored (on DELETE: the object being deleted), as the model.
        old: the object before (UPDATE, and DELETE where the server sends it); None on CREATE.
        namespace, name: where the object is (``name`` may be empty on a create with ``generateName``).
        sub_resource: ``""`` or the subresource (``status``, ``scale``).
        user: the user name asking; ``groups``: their groups.
        dry_run: the request will not be stored: no side effects.
        raw: the ``request`` part of the AdmissionReview, as sent.
        warnings: what :meth:`warn` collected (sent back; ``kubectl`` and the client show them).
    """

    def __init__(self, raw: Mapping[str, Any], obj: M | None, old: M | None) -> None:
        self.raw = raw
        self.uid = str(raw.get("uid", ""))
        self.operation = str(raw.get("operation", ""))
        self.object = obj
        self.old = old
        self.namespace = str(raw.get("namespace") or "")
        self.name = str(raw.get("name") or "")
        self.sub_resource = str(raw.get("subResource") or "")
        user = raw.get("userInfo") or {}
        self.user = str(user.get("username", "")) if isinstance(user, Mapping) else ""
        groups = user.get("groups") if isinstance(user, Mapping) else None
        self.groups = tuple(str(g) for g in groups) if isinstance(groups, list) else ()
        self.dry_run = bool(raw.get("dryRun"))
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        """Send a warning back with the answer (admitted or not)."""
        self.warnings.append(str(message))

    def __repr__(self) -> str:
        return f"<AdmissionRequest {self.operation} {self.namespace}/{self.name} by {self.user}>"


@dataclasses.dataclass(frozen=True)
class Hook:
    """One registered function: validating or defaulting ``model`` on ``operations``."""

    mutating: bool
    model: type
    function: Callable[..., Any]
    operations: tuple[str, ...]

    @property
    def resource(self) -> ResourceType:
        return resource_of(self.model)

    @property
    def label(self) -> str:
        return str(getattr(self.function, "__qualname__", getattr(self.function, "__name__", repr(self.function))))

    def call(self, obj: Any, old: Any, request: AdmissionRequest[Any]) -> Any:
        arity = _arity(self.function)
        arguments = (obj, old, request)[:arity]
        return self.function(*arguments)


def _arity(function: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return 3
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return max(1, min(3, len(positional)))


def check_operations(operations: Sequence[str], mutating: bool) -> tuple[str, ...]:
    """The operations a hook asks for, checked (upper case, known; no DELETE for a defaulting function)."""
    if isinstance(operations, str):
        operations = (operations,)
    found = tuple(dict.fromkeys(str(o).upper() for o in operations))
    unknown = [o for o in found if o not in OPERATIONS + ("*",)]
    if unknown or not found:
        raise TypeError(f"operations: {unknown or 'none given'}; choose among {', '.join(OPERATIONS)}")
    if mutating and "DELETE" in found:
        raise TypeError("a defaulting function cannot change an object being deleted: leave DELETE out")
    return found


# -- one review -------------------------------------------------------------------------


def admit(review: Mapping[str, Any], hooks: Sequence[Hook]) -> dict[str, Any]:
    """The ``AdmissionReview`` answering ``review`` after running ``hooks`` (all of one model, one kind).

    Raises:
        ValueError: ``review`` is not an ``admission.k8s.io/v1`` AdmissionReview with a request and a uid
            (the server answers 400: there is no uid to answer to).
    """
    request = review.get("request") if isinstance(review, Mapping) else None
    if (review.get("apiVersion"), review.get("kind")) != ("admission.k8s.io/v1", "AdmissionReview") or not (
        isinstance(request, Mapping) and isinstance(request.get("uid"), str) and request.get("uid")
    ):
        raise ValueError("not an admission.k8s.io/v1 AdmissionReview with a request uid")
    response: dict[str, Any] = {"uid": request["uid"], "allowed": True}
    answer = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
    mutating = any(h.mutating for h in hooks)
    try:
        model = _model_for(request, hooks)
        operation = str(request.get("operation", ""))
        new_raw, old_raw = request.get("object"), request.get("oldObject")
        sent = new_raw if operation != "DELETE" else old_raw
        if not isinstance(sent, dict):
            raise _Refusal(400, f"the AdmissionReview has no object for {operation}")
        obj = model._from_server(copy.deepcopy(sent))
        old = model._from_server(copy.deepcopy(old_raw)) if operation == "UPDATE" and isinstance(old_raw, dict) else None
        admission: AdmissionRequest[Any] = AdmissionRequest(request, obj, old)
        try:
            for hook in hooks:
                if operation not in hook.operations and "*" not in hook.operations:
                    continue
                result = _run(hook, obj, old, admission)
                if hook.mutating:
                    if isinstance(result, model) and result is not obj:
                        obj = result
                        admission.object = obj
                    elif result is not None and result is not obj:
                        raise _Refusal(500, f"pykorm webhook: {hook.label} failed: TypeError: it returned "
                                            f"{type(result).__name__}; a defaulting function changes the object in "
                                            f"place (or returns a {model.__name__})")
                else:
                    try:
                        reasons = reasons_of(result)
                    except TypeError as error:
                        raise _Refusal(500, f"pykorm webhook: {hook.label} failed: TypeError: {error}") from None
                    if reasons:
                        raise Denied(*reasons)
        finally:
            if admission.warnings:
                response["warnings"] = admission.warnings
        if mutating:
            patch = json_patch(sent, obj._raw)
            if patch:
                response["patchType"] = "JSONPatch"
                response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
    except Denied as denied:
        response["allowed"] = False
        response["status"] = _status(denied.code, denied.reasons, request)
    except _Refusal as refusal:
        response["allowed"] = False
        response["status"] = _status(refusal.code, (FieldError("", refusal.message),), request)
    return answer


class _Refusal(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _run(hook: Hook, obj: Any, old: Any, request: AdmissionRequest[Any]) -> Any:
    try:
        return hook.call(obj, old, request)
    except Denied:
        raise
    except Exception as error:  # noqa: BLE001 - a bug refuses the request, clearly, instead of admitting it
        where = f"{request.operation} {request.namespace + '/' if request.namespace else ''}{request.name}"
        log.exception("pykorm webhook: %s failed on %s", hook.label, where)
        raise _Refusal(500, f"pykorm webhook: {hook.label} failed: {type(error).__name__}: {error}") from error


def _model_for(request: Mapping[str, Any], hooks: Sequence[Hook]) -> Any:
    kind = request.get("kind") or {}
    group, version, name = (str(kind.get(k, "")) for k in ("group", "version", "kind")) if isinstance(kind, Mapping) \
        else ("", "", "")
    for hook in hooks:
        resource = hook.resource
        if (resource.group, resource.version, resource.kind) == (group, version, name):
            return hook.model
    wanted = ", ".join(sorted({f"{h.resource.api_version} {h.resource.kind}" for h in hooks}))
    raise _Refusal(400, f"pykorm webhook: this endpoint admits {wanted}, not {group}/{version} {name}".replace(" /", " "))


def _status(code: int, reasons: Sequence[FieldError], request: Mapping[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = {"status": "Failure", "code": code, "reason": _REASONS.get(code, "BadRequest"),
                              "message": "; ".join(map(str, reasons))}
    causes = [{"field": r.field, "message": r.message, "reason": r.reason or "FieldValueInvalid"} for r in reasons if r.field]
    if causes:
        kind = request.get("kind") or {}
        status["details"] = {"name": str(request.get("name") or ""), "causes": causes,
                             "group": str(kind.get("group", "")) if isinstance(kind, Mapping) else "",
                             "kind": str(kind.get("kind", "")) if isinstance(kind, Mapping) else ""}
    return status
