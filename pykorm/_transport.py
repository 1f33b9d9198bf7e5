"""HTTP to one API server: JSON in, decoded JSON out, API errors as typed exceptions.

pykorm uses the official client for what it does well (reading kubeconfigs,
in-cluster config, auth plugins, TLS settings in ``Configuration``) and talks
to the server through its own thin urllib3 layer, so that a list response is
decoded once by ``json.loads`` and nothing else: no model classes, no
deserialisation of every field.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Iterator, Mapping, cast
from urllib.parse import urlencode

import urllib3
from kubernetes.client import Configuration

from ._errors import (
    AlreadyExists,
    ApiError,
    ConfigurationError,
    ConflictError,
    FieldError,
    Forbidden,
    Gone,
    NotFound,
    RequestTooLarge,
    ServerUnavailable,
    TLSVerificationError,
    Unauthorized,
    ValidationError,
)
from ._gc import full_gc_held_off

__all__ = ["Transport", "error_from_response", "error_from_status"]

JSON = Any
Params = Mapping[str, "str | int | bool | None"]

_LARGE_ANSWER = 256 * 1024  # bytes; above this, decode with full collections held off

MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


class Transport:
    """A connection pool to one API server, safe to share between threads.

    Args:
        configuration: host, TLS files and credentials, as the official client's
            ``kubernetes.config.load_kube_config`` fills them in.
        pool_size: connections kept open to the server.
    """

    def __init__(self, configuration: Configuration, *, pool_size: int = 16) -> None:
        self.configuration = configuration
        self.host = (configuration.host or "").rstrip("/")
        if not re.match(r"^https?://[^/]", self.host):
            raise ConfigurationError(
                f"the cluster has no usable server address ({configuration.host!r}): its kubeconfig entry "
                "needs `server: https://HOST:PORT`"
            )
        pool_args: dict[str, Any] = {"maxsize": pool_size, "block": False, "retries": False}
        if self.host.startswith("https"):
            pool_args["cert_reqs"] = "CERT_REQUIRED" if configuration.verify_ssl else "CERT_NONE"
            if configuration.ssl_ca_cert:
                pool_args["ca_certs"] = configuration.ssl_ca_cert
            if configuration.cert_file:
                pool_args["cert_file"] = configuration.cert_file
            if configuration.key_file:
                pool_args["key_file"] = configuration.key_file
            if getattr(configuration, "tls_server_name", None):
                pool_args["server_hostname"] = configuration.tls_server_name
            if configuration.assert_hostname is not None:
                pool_args["assert_hostname"] = configuration.assert_hostname
        self._pool = urllib3.PoolManager(**pool_args)
        self._auth_lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: JSON = None,
        content_type: str = "application/json",
        timeout: float | None = 60.0,
    ) -> JSON:
        """Send one request and return the decoded JSON answer.

        Raises:
            ApiError: a subclass chosen from the server's Status ``reason`` and HTTP code.
            ServerUnavailable: no answer (connection refused, timeout).
        """
        url = self._url(path, params)
        headers = self._headers()
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body, separators=(",", ":")).encode()
        try:
            response = self._pool.request(method, url, body=data, headers=headers, timeout=timeout, preload_content=True)
        except urllib3.exceptions.HTTPError as error:
            raise _no_answer(error, f"{method} {url}") from error.with_traceback(None)  # its frames hold the token
        if response.status >= 300:
            raise error_from_response(response.status, response.data, f"{method} {path}")
        return _decode(response, f"{method} {path}")

    def stream(self, path: str, *, params: Params | None = None, timeout: float | None = None) -> Iterator[JSON]:
        """GET a watch stream and yield each JSON line as it arrives.

        The connection is closed when the generator is closed or garbage-collected.

        Raises:
            ApiError: the server refused the watch.
            ServerUnavailable: the connection could not be made or broke.
        """
        url = self._url(path, params)
        try:
            response = self._pool.request(
                "GET",
                url,
                headers=self._headers(),
                preload_content=False,
                timeout=urllib3.Timeout(connect=10.0, read=timeout),
            )
        except urllib3.exceptions.HTTPError as error:
            raise _no_answer(error, f"GET {url}") from error.with_traceback(None)
        try:
            if response.status >= 300:
                raise error_from_response(response.status, response.read(), f"watch {path}")
            buffer = b""
            try:
                for chunk in response.stream(65536, decode_content=True):
                    buffer += chunk
                    while b"\n" in buffer:
                        line, buffer = buffer.split(b"\n", 1)
                        if line.strip():
                            yield json.loads(line)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise ServerUnavailable(f"watch {path}: the connection broke ({error})") from error.with_traceback(None)
        finally:
            response.release_conn()
            response.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()

    def _url(self, path: str, params: Params | None) -> str:
        url = self.host + path
        if params:
            query = {k: ("true" if v is True else "false" if v is False else v) for k, v in params.items() if v is not None}
            if query:
                url += "?" + urlencode(query)
        return url

    def _headers(self) -> dict[str, str]:
        headers = _Headers({"Accept": "application/json", "User-Agent": "pykorm"})
        with self._auth_lock:  # a refresh hook may rewrite the token
            settings = cast("Mapping[str, Mapping[str, Any]]", self.configuration.auth_settings())
        for setting in settings.values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        return headers


class _Headers(dict[str, str]):
    """Request headers whose repr masks credentials, as client-go masks ``Authorization`` in its logs:
    a traceback printed with its locals (``pytest --showlocals``, rich, Sentry) shows no token."""

    _SECRET = frozenset({"authorization", "proxy-authorization", "cookie"})

    def __repr__(self) -> str:
        shown = {k: ("<masked>" if k.lower() in self._SECRET else v) for k, v in self.items()}
        return repr(shown)

    __str__ = __repr__


def _no_answer(error: urllib3.exceptions.HTTPError, what: str) -> ApiError | ConfigurationError:
    """The error for a request that got no HTTP answer: a TLS verification failure, or the server unreachable."""
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, urllib3.exceptions.SSLError) or isinstance(error, urllib3.exceptions.SSLError):
        text = str(reason)
        if "CERTIFICATE_VERIFY_FAILED" in text or "hostname" in text.lower() or "certificate" in text.lower():
            return TLSVerificationError(
                f"{what}: the API server's certificate did not verify ({text}). Check the cluster's "
                "certificate-authority(-data) and server name in the kubeconfig"
            )
    return ServerUnavailable(f"{what}: no answer from the API server ({error})")


def _decode(response: Any, what: str) -> JSON:
    """A 2xx answer: decoded JSON, the text of a plain-text answer, or None when empty."""
    data = response.data
    if not data:
        return None
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type and "json" not in content_type:
        return data.decode("utf-8", errors="replace")  # /healthz, pod logs...
    try:
        if len(data) < _LARGE_ANSWER:
            return json.loads(data)
        with full_gc_held_off():  # a large list: see pykorm._gc
            return json.loads(data)
    except ValueError as error:
        raise ServerUnavailable(
            f"{what}: the answer is not JSON ({error}): {data[:200].decode(errors='replace')!r}", status=response.status
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
