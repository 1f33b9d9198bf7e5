"""HTTP to one API server: JSON in, decoded JSON out, API errors as typed exceptions.

pykorm uses the official client for what it does well (reading kubeconfigs,
in-cluster config, auth plugins, TLS settings in ``Configuration``) and talks
to the server through its own thin urllib3 layer, so that a list response is
decoded once (:mod:`pykorm._http.answers`) and nothing else: no model classes, no
deserialisation of every field.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, TypedDict, cast
from urllib.parse import urlencode

import urllib3
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import connection_from_url

from .._base.errors import ConfigurationError, ServerUnavailable, StreamSilent
from .answers import (
    answer_error, answer_of, decode_answer, decode_json, error_from_response, error_from_status, read_lines,
    warn_from_server,
)
from .hooks import Hooks, Request, Response, call_hooks
from .retry import (
    DEFAULT,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    Attempts,
    Failure,
    RetryPolicy,
    Timeouts,
    _Default,
    resendable,
)
from .body import APPLY_PATCH, encode_body  # the async transport imports them from here too

if TYPE_CHECKING:
    from kubernetes.client import Configuration

__all__ = [
    "APPLY_PATCH", "DEFAULT", "KEEPALIVE", "Attempts", "Endpoint", "Failure", "SendOptions", "Transport", "answer_error", "answer_of", "auth_headers", "decode_answer",
    "decode_json", "encode_body", "error_from_response", "error_from_status", "read_lines", "server_of", "shut_down",
    "ssl_context", "url_of", "warn_from_server",
]

JSON = Any
Params = Mapping[str, "str | int | bool | None"]

MERGE_PATCH = "application/merge-patch+json"


# A dead peer on an idle or long-read connection is noticed by the kernel in about a minute
# (keepalive probes after 30 s idle, every 10 s, 3 unanswered), as Go's dialer does.
KEEPALIVE = [
    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
    *((socket.IPPROTO_TCP, getattr(socket, name), value)
      for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3))
      if hasattr(socket, name)),
]


class SendOptions(TypedDict, total=False):
    """The options of one request (see :meth:`Transport.request`), for the async transport's keywords."""

    params: Params | None
    timeout: float | None | _Default
    connect_timeout: float | None | _Default
    retries: RetryPolicy | None
    deadline: float | None


class Endpoint:
    """One API server's address, credentials, retry policy and timeouts: what both transports are made of.

    Args:
        configuration: host, TLS files and credentials, as the official client's
            ``kubernetes.config.load_kube_config`` fills them in.
        pool_size: connections kept open to the server (:attr:`DEFAULT_POOL_SIZE` when None).
        retries: when requests are sent again (see :mod:`pykorm._http.retry`); ``RetryPolicy()`` by default.
        connect_timeout: seconds to connect and finish the TLS handshake (None: no limit).
        read_timeout: seconds to wait for an answer, and for each read of it (None: no limit).
        event_hooks: called with each request sent and each answer (see :mod:`pykorm._http.hooks`).
    """

    DEFAULT_POOL_SIZE = 16

    def __init__(
        self,
        configuration: Configuration,
        *,
        pool_size: int | None = None,
        retries: RetryPolicy | None = None,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
        event_hooks: Hooks | None = None,
    ) -> None:
        self.configuration = configuration
        self.hooks = event_hooks if event_hooks is not None else Hooks([], [])
        self.host = server_of(configuration)
        self.retries = retries if retries is not None else RetryPolicy()
        self.timeouts = Timeouts(connect_timeout, read_timeout)
        self.pool_size = pool_size if pool_size is not None else self.DEFAULT_POOL_SIZE
        self._auth_lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        """Make the connection pool, with the transport's own HTTP library."""
        raise NotImplementedError


class Transport(Endpoint):
    """A connection pool to one API server, safe to share between threads (arguments: :class:`Endpoint`)."""

    def _open(self) -> None:
        configuration = self.configuration
        pool_args: dict[str, Any] = {
            "maxsize": self.pool_size,
            "block": False,
            "retries": False,  # pykorm decides, in _send
            "socket_options": HTTPConnection.default_socket_options + KEEPALIVE,
        }
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
        # One server: its own connection pool, without a PoolManager's per-request URL parsing and pool lookup
        # (some 40 µs of client CPU per request). Requests name their target relative to the server's origin.
        self._pool_args = pool_args
        self._origin = _ORIGIN.match(self.host).group(0)  # type: ignore[union-attr]  # server_of checked it
        self._pool = connection_from_url(self._origin, **pool_args)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: JSON = None,
        content_type: str = "application/json",
        timeout: float | None | _Default = DEFAULT,
        connect_timeout: float | None | _Default = DEFAULT,
        retries: RetryPolicy | None = None,
        deadline: float | None = None,
    ) -> JSON:
        """Send one request (again, where :mod:`pykorm._http.retry` says so) and return the decoded JSON answer.

        Args:
            timeout: seconds to wait for the answer; connect_timeout: to connect and handshake;
                retries: the policy for this call. Each defaults to a ``request_options`` block's,
                else the transport's.
            deadline: a ``time.monotonic()`` time to be done by, retries included (a method with a
                timeout passes its own): each attempt's timeouts are cut to the time left.

        Raises:
            ApiError: a subclass chosen from the server's Status ``reason`` and HTTP code;
                ``attempts`` says how many times the request was sent.
            ServerUnavailable: no answer (connection refused, timeout, connection broken).
        """
        url = url_of(self.host, path, params)
        data, headers = encode_body(body, content_type)
        headers["Accept-Encoding"] = "gzip"  # as client-go: the server compresses answers over 128 KiB (lists)
        response, attempts = self._send(
            method, url, data, headers, preload=True, read=timeout, connect=connect_timeout, retries=retries,
            deadline=deadline,
        )
        return answer_of(response.status, response.headers, response.data, f"{method} {path}", attempts)

    def stream(
        self,
        path: str,
        *,
        params: Params | None = None,
        timeout: float | None | _Default = DEFAULT,
        connect_timeout: float | None | _Default = DEFAULT,
        retries: RetryPolicy | None = None,
        raw: bool = False,
        opened: Callable[[urllib3.BaseHTTPResponse], object] | None = None,
        deadline: float | None = None,
    ) -> Iterator[JSON]:
        """GET a watch stream and yield each JSON line as it arrives (with ``raw``, each line as text: logs).

        ``timeout`` is the longest silence allowed: with no byte for that long the
        connection is presumed dead. Opening the stream is retried as any GET, within ``deadline``
        (after which no read waits either).
        The connection is closed when the generator is closed or garbage-collected.
        ``opened`` is called with the response once the stream is open: another thread may
        ``shutdown()`` it to end a blocked read at once (a stopping informer does).

        Raises:
            ApiError: the server refused the watch.
            ServerUnavailable: the connection could not be made, broke, or stayed silent.
        """
        url = url_of(self.host, path, params)
        response, attempts = self._send(
            "GET", url, None, {}, preload=False, read=timeout, connect=connect_timeout, retries=retries,
            deadline=deadline,
        )
        try:
            if response.status >= 300:
                raise answer_error(response.status, response.headers, response.read(), f"watch {path}", attempts)
            if opened is not None:
                opened(response)
            buffer = b""
            try:
                for chunk in response.stream(65536, decode_content=True):
                    lines, buffer = read_lines(buffer, chunk, raw)
                    yield from lines
                if raw and buffer:
                    yield buffer.decode("utf-8", errors="replace")
            except urllib3.exceptions.ReadTimeoutError as error:
                raise StreamSilent(
                    f"watch {path}: nothing received within the read timeout; the connection is presumed dead"
                ) from error.with_traceback(None)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise ServerUnavailable(f"watch {path}: the connection broke ({error})") from error.with_traceback(None)
        finally:
            response.release_conn()
            response.close()

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        *,
        preload: bool,
        read: float | None | _Default,
        connect: float | None | _Default,
        retries: RetryPolicy | None,
        deadline: float | None,
    ) -> tuple[urllib3.BaseHTTPResponse, int]:
        """Send until an answer that is final by :mod:`pykorm._http.retry`'s rules; return it and the attempts made."""
        attempts = Attempts(self.retries, self.timeouts, method, url, retries, connect, read, deadline)
        hooks = self.hooks
        while True:
            limits = attempts.attempt_timeouts()  # each read of the answer waits at most what is left
            timeout = urllib3.Timeout(connect=limits.connect, read=limits.read)
            sent = auth_headers(self.configuration, self._auth_lock)  # each time: a hook may rewrite the token
            sent.update(headers)
            if hooks:
                request = Request(method, url, sent, body, attempts.count)
                call_hooks(hooks.request, request)
                started = time.monotonic()
            try:
                response = self._pool.urlopen(
                    method, url[len(self._origin):], body=body, headers=sent, timeout=timeout, preload_content=preload,
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as error:
                time.sleep(attempts.failed(_failure(error)))  # raises once it is final
                continue
            if hooks.response:
                try:
                    call_hooks(hooks.response, Response(request, response.status, response.headers,
                                                        response.data if preload else None, time.monotonic() - started))
                except BaseException:
                    if not preload:
                        response.release_conn()
                        response.close()
                    raise
            pause = attempts.answered(response.status, response.headers)
            if pause is None:
                return response, attempts.count
            if not preload:
                response.drain_conn()
                response.release_conn()
            time.sleep(pause)

    def close(self) -> None:
        """Close every pooled connection (the transport stays usable: new connections are made)."""
        pool, self._pool = self._pool, connection_from_url(self._origin, **self._pool_args)
        pool.close()


class _Headers(dict[str, str]):
    """Request headers whose repr masks credentials, as client-go masks ``Authorization`` in its logs:
    a traceback printed with its locals (``pytest --showlocals``, rich, Sentry) shows no token."""

    _SECRET = frozenset({"authorization", "proxy-authorization", "cookie"})

    def __repr__(self) -> str:
        shown = {k: ("<masked>" if k.lower() in self._SECRET else v) for k, v in self.items()}
        return repr(shown)

    __str__ = __repr__


def ssl_context(configuration: Configuration) -> ssl.SSLContext:
    """The TLS settings of a kubeconfig entry as an ``SSLContext``: its CA, client certificate, whether to verify."""
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert or None)
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file or None)
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif configuration.assert_hostname is False:
        context.check_hostname = False
    return context


_ORIGIN = re.compile(r"^https?://[^/]+")


def server_of(configuration: Configuration) -> str:
    """The server's address, without a trailing slash.

    Raises:
        ConfigurationError: the configuration names no ``http(s)://HOST`` server.
    """
    host = (configuration.host or "").rstrip("/")
    if not re.match(r"^https?://[^/]", host):
        raise ConfigurationError(
            f"the cluster has no usable server address ({configuration.host!r}): its kubeconfig entry "
            "needs `server: https://HOST:PORT`"
        )
    return host


def url_of(host: str, path: str, params: Params | None) -> str:
    """The URL of ``path`` on ``host`` with the query parameters that are not None (booleans as Kubernetes spells them)."""
    url = host + path
    if params:
        query = {k: ("true" if v is True else "false" if v is False else v) for k, v in params.items() if v is not None}
        if query:
            url += "?" + urlencode(query)
    return url


def auth_headers(configuration: Configuration, lock: threading.Lock) -> dict[str, str]:
    """The headers of every request: JSON wanted, and the credentials the configuration holds now
    (its refresh hook — an exec plugin, an expiring token — may have rewritten them)."""
    headers = _Headers({"Accept": "application/json", "User-Agent": "pykorm"})
    with lock:
        settings = cast("Mapping[str, Mapping[str, Any]]", configuration.auth_settings())
    for setting in settings.values():
        if setting.get("in") == "header" and setting.get("value"):
            headers[setting["key"]] = setting["value"]
    return headers


def _failure(error: urllib3.exceptions.HTTPError) -> Failure:
    """What kind of failure a urllib3 error is."""
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        # refused or unreachable (checked first: a ConnectTimeoutError in urllib3 1.x)
        return Failure(Failure.NOT_CONNECTED, error)
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return Failure(Failure.CONNECT_TIMEOUT, error)
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return Failure(Failure.TIMEOUT, error)
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, urllib3.exceptions.SSLError) or isinstance(error, urllib3.exceptions.SSLError):
        text = str(reason)
        if "CERTIFICATE_VERIFY_FAILED" in text or "hostname" in text.lower() or "certificate" in text.lower():
            return Failure(Failure.CERTIFICATE, error)
        # a certificate that does not verify is no broken connection; an EOF or a reset is
        return Failure(Failure.BROKEN if "EOF" in text or "reset" in text.lower() else Failure.OTHER, error)
    if isinstance(error, urllib3.exceptions.ProtocolError):
        return Failure(Failure.BROKEN, error)
    return Failure(Failure.OTHER, error)


def _resendable(method: str, error: urllib3.exceptions.HTTPError) -> bool:
    return resendable(method, _failure(error).kind)


def shut_down(response: Any) -> None:
    """End a blocked read of ``response`` at once, from another thread (its socket shut down)."""
    shutdown = getattr(response, "shutdown", None)  # urllib3 >= 2.3
    if shutdown is not None:
        shutdown()
        return
    connection = getattr(response, "connection", None) or getattr(response, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:  # urllib3 1.26: the http.client response's socket file
        sock = getattr(getattr(getattr(getattr(response, "_fp", None), "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.shutdown(socket.SHUT_RDWR)
