"""Every exception pykorm raises.

    PykormError
    ├── ApiError                      an answer of the API server (carries status/reason)
    │   ├── NotFound                  404 — also CRDNotInstalled, for a resource type the server lacks
    │   │   └── CRDNotInstalled
    │   ├── AlreadyExists             409 AlreadyExists
    │   ├── ConflictError             409 Conflict (stale resourceVersion, apply conflict)
    │   ├── ValidationError           422 Invalid, with the server's field causes (also a refused apply)
    │   ├── RequestTooLarge           413, or etcd's "request is too large": smaller objects, not a retry
    │   ├── StatusNotWritten          the object was created, but writing its status failed
    │   ├── Forbidden                 403
    │   ├── Unauthorized              401
    │   ├── Gone                      410 (expired resourceVersion or continue token)
    │   ├── ExecFailed                a command run by pk.exec could not run (or how it ended is unknown)
    │   └── ServerUnavailable         5xx, 429 still throttled after the retries, timeouts, refused
    │       │                         or broken connections (a lost answer to a write: outcome unknown)
    │       └── StreamSilent          an open watch or followed log sent nothing for its read timeout
    ├── ClientValidationError         caught before any request (required field, type, name)
    ├── ReadOnlyException             a read-only field was changed once set
    ├── BulkError                     a bulk operation stopped: what was done, what failed, what was not tried
    ├── WaitTimeout                   a wait ended without its condition (also a TimeoutError); .last
    ├── ConfigurationError            no usable cluster configuration
    │   └── TLSVerificationError      the server's certificate did not verify (CA, host name)
    ├── CRDNotEstablished             an installed CRD did not become Established and served
    ├── LeaderElectionLost            a controller manager lost its Lease (pykorm.controller)
    ├── ReconcileCancelled            a reconcile's request refused: past its timeout, Lease lost, stopping
    └── CacheUnavailable              an informer's cache read while not kept current: not synced yet,
                                      stopped (stop(), pk.close()), or its thread ended

The local control plane's errors are ``pykorm.testing``'s (:mod:`pykorm.testing._errors`): ``ControlPlaneError``
(a ``PykormError``) and under it ``GoNotFound``, ``BuildFailed``, ``BinaryNotFound``, ``StartFailed`` and its
``StartTimeout``; ``pykorm.ControlPlaneError`` and the others still name them.

Warnings: ``PrunedFieldsWarning`` (a ``UserWarning``) when ``apply`` leaves out fields the
server's schema does not declare; ``ServerWarning`` (a ``UserWarning``) for each warning the API
server sends with an answer (an admission webhook's, a deprecated API or CRD version's), as kubectl
prints them.

``http_status(error)`` is the HTTP status a web app built on pykorm answers its own clients with.

``ValidationError`` and ``ClientValidationError`` share :class:`FieldError`
records so that a caller handles the server's and pykorm's findings alike.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = [
    "AlreadyExists",
    "ApiError",
    "BulkError",
    "CRDNotEstablished",
    "CacheUnavailable",
    "CRDNotInstalled",
    "ClientValidationError",
    "ConfigurationError",
    "ConflictError",
    "ExecFailed",
    "FieldError",
    "Forbidden",
    "Gone",
    "LeaderElectionLost",
    "ReconcileCancelled",
    "NotFound",
    "PrunedFieldsWarning",
    "PykormError",
    "ReadOnlyException",
    "RequestTooLarge",
    "ServerUnavailable",
    "ServerWarning",
    "StatusNotWritten",
    "StreamSilent",
    "TLSVerificationError",
    "Unauthorized",
    "ValidationError",
    "WaitTimeout",
    "http_status",
]


class PykormError(Exception):
    """The root of every exception pykorm raises."""


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field: ``field`` is a JSON path such as ``spec.price``."""

    field: str
    message: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ApiError(PykormError):
    """The API server refused or failed a request.

    Attributes:
        status: the HTTP status code (0 when no answer came back).
        reason: the ``reason`` of the server's Status object (``NotFound``, ``Conflict``...).
        body: the decoded Status object, when the server sent one.
        attempts: how many times the request was sent (see :class:`pykorm.RetryPolicy`).
    """

    attempts: int = 1

    def __init__(self, message: str, *, status: int = 0, reason: str = "", body: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.body = body or {}


class NotFound(ApiError):
    """The object (or the resource type) does not exist."""


class CRDNotInstalled(NotFound):
    """The API server does not serve the model's resource: its CRD is not installed."""


class AlreadyExists(ApiError):
    """An object with that name already exists."""


class ConflictError(ApiError):
    """The object changed on the server since it was read (stale ``resourceVersion``), or an apply conflicted."""


class ValidationError(ApiError):
    """The API server rejected the object; ``causes`` lists each field it objected to."""

    def __init__(self, message: str, *, causes: tuple[FieldError, ...] = (), **kwargs: Any):
        super().__init__(message, **kwargs)
        self.causes = causes


class Forbidden(ApiError):
    """The credentials are not allowed to do this (RBAC)."""


class Unauthorized(ApiError):
    """The credentials were not accepted."""


class Gone(ApiError):
    """A resourceVersion or continue token is too old; list again."""


class RequestTooLarge(ApiError):
    """The object or request is larger than the API server or etcd stores (about 1.5 MiB): retrying will not help."""


class StatusNotWritten(ApiError):
    """The object was created, but writing its status through ``/status`` then failed.

    The object passed to ``save`` holds what the server stored; save its status again with
    ``pk.save_status(obj)``. ``__cause__`` is the error of the status write.
    """


class ExecFailed(ApiError):
    """A command run by ``pk.exec`` did not run, or how it ended is unknown (the runtime's error, quoted).

    ``result`` is what the command wrote before (an ``ExecResult`` with exit code -1), when known.
    A command that ran and exited non-zero is no error: its ``ExecResult`` has the exit code.
    """

    def __init__(self, message: str, *, result: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.result = result


class ServerUnavailable(ApiError):
    """The API server could not be reached or failed (5xx, timeout, connection refused)."""


class StreamSilent(ServerUnavailable):
    """A stream the API server opened (a watch, a followed log) sent nothing for its read timeout: the
    connection is presumed dead. A read timeout cut short by the caller's deadline is no such silence:
    a wait that ends so reports no unreachable server."""


class ClientValidationError(PykormError, ValueError):
    """pykorm found the object invalid before sending it; ``causes`` lists each field."""

    def __init__(self, message: str, *, causes: tuple[FieldError, ...] = ()):
        super().__init__(message)
        self.causes = causes


class ReadOnlyException(PykormError, AttributeError):
    """A read-only field already has a value and cannot be changed."""


class BulkError(PykormError):
    """A bulk operation stopped at a hard error.

    Attributes:
        done: the objects changed before the error.
        failed: the object whose change failed (None when a collection call failed).
        not_done: the objects not tried.
        error: the underlying exception (also ``__cause__``).
    """

    def __init__(self, message: str, *, done: list[Any], failed: Any, not_done: list[Any], error: Exception) -> None:
        super().__init__(message)
        self.done, self.failed, self.not_done, self.error = done, failed, not_done, error


class WaitTimeout(PykormError, TimeoutError):
    """A wait ended without its condition holding; ``last`` is the last state seen."""

    def __init__(self, message: str, last: Any) -> None:
        super().__init__(message)
        self.last = last


class ConfigurationError(PykormError):
    """No usable cluster configuration (kubeconfig, context or in-cluster) was found."""


class TLSVerificationError(ConfigurationError):
    """The API server's certificate did not verify against the configured CA, or not for its host name."""


class CRDNotEstablished(PykormError):
    """A CustomResourceDefinition was not ``Established`` and served in time; the message quotes its conditions."""


class LeaderElectionLost(PykormError):
    """A controller manager stopped renewing its Lease in time: another replica may lead now, so it stops."""


class ReconcileCancelled(PykormError):
    """A request made by a reconcile was refused before it was sent: the reconcile passed its ``timeout``, or its
    manager lost its Lease (another replica may act now) or is stopping. The reconcile is retried with backoff
    (after a timeout), or by the next leader."""


class CacheUnavailable(PykormError):
    """An informer's cache was read while nothing keeps it current: it has not synced yet, it was stopped
    (``informer.stop()``, ``pk.close()``, a manager's shutdown), or its thread ended on an error. A stale or
    partial answer is refused; ``pk.cache(...)`` and ``query.cached()`` start a new informer for a stopped one."""


class PrunedFieldsWarning(UserWarning):
    """``apply`` left out fields that the schema the API server enforces does not declare.

    A create or update drops such fields on the server; a server-side apply refuses them, so
    pykorm drops them first and names each one in the warning.
    """


class ServerWarning(UserWarning):
    """The API server sent a warning with its answer (``Warning: 299 - "..."``): an admission webhook's
    (``request.warn()`` in :mod:`pykorm.webhooks`), a deprecated API version's or a CRD version's
    ``deprecationWarning``. The message names the request and quotes the server."""


# Most specific first: CRDNotInstalled is a NotFound, but then the app is broken, not the request.
_HTTP_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (CRDNotInstalled, 503),
    (NotFound, 404),
    (AlreadyExists, 409),
    (ConflictError, 409),
    (ValidationError, 422),
    (ClientValidationError, 422),
    (ReadOnlyException, 422),
    (Gone, 410),
    (RequestTooLarge, 413),
    (ServerUnavailable, 503),
    (CacheUnavailable, 503),
    (WaitTimeout, 504),
)


def http_status(error: BaseException) -> int:
    """The HTTP status for a web app's answer to its client when ``error`` ends a request.

    What the client sent is at fault: 404 (NotFound), 409 (AlreadyExists, ConflictError), 422
    (ValidationError, ClientValidationError, ReadOnlyException), 410 (Gone: an expired page
    token), 413 (RequestTooLarge). The cluster is: 503 (ServerUnavailable, CRDNotInstalled,
    CacheUnavailable), 504 (WaitTimeout). Anything else, the app's own credentials refused (Forbidden,
    Unauthorized) included, is the app's fault: 500.

    >>> http_status(NotFound("peaches/cake-peach", status=404))
    404
    """
    return next((status for kind, status in _HTTP_STATUS if isinstance(error, kind)), 500)
