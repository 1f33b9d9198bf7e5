"""``WebhookServer``: the HTTPS server the API server calls, for one :class:`~pykorm.webhooks.Webhooks` app.

Standard library only (``http.server`` with a thread per connection, ``ssl``): the API server sends
one review per request over kept-alive HTTP/1.1 connections. TLS is set up per connection from
:class:`CertificateFiles` (renewed files are served from the next connection on). ``GET /healthz``
and ``/readyz`` answer ``ok`` while it serves (a Deployment's probes; a Manager's health checks).

Bad input is answered, never crashes the server: a body that is no review gets 400, one larger than
``max_body`` 413 (without reading it), a request without ``Content-Length`` 411, a connection that
stalls is dropped after ``read_timeout`` seconds.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._app import DEFAULT_MAX_BODY, Webhooks
from ._certs import CertificateFiles, Certificates

__all__ = ["PROBE_PATH", "WebhookServer"]

PROBE_PATH = "/pykorm-probe/"
"""Admission reviews POSTed under this path are admitted and counted (``server.probes``): how a test
helper knows the API server has loaded a webhook configuration."""

log = logging.getLogger("pykorm.webhooks")


_DRAIN = 1024 * 1024
"""At most this much of a refused body is read and dropped before the connection closes."""


class WebhookServer:
    """Serves ``app`` over HTTPS on ``host:port``.

    Args:
        app: the webhooks.
        host, port: where to listen (port 0: any free port; :attr:`port` says which).
        certfile, keyfile: the serving certificate (with its chain) and key, reloaded when they change.
        certificates: or certificates made by :func:`~pykorm.webhooks.self_signed`.
        max_body: the largest request body accepted, in bytes.
        read_timeout: seconds a connection may stay silent in the middle of a request.

    >>> server = WebhookServer(webhooks, port=9443, certfile="/certs/tls.crt", keyfile="/certs/tls.key").start()
    >>> server.stop()
    """

    def __init__(
        self,
        app: Webhooks,
        *,
        host: str = "0.0.0.0",
        port: int = 9443,
        certfile: str | os.PathLike[str] | None = None,
        keyfile: str | os.PathLike[str] | None = None,
        certificates: Certificates | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        read_timeout: float = 30.0,
    ) -> None:
        if certificates is not None:
            certfile, keyfile = certificates.certfile, certificates.keyfile
        if certfile is None or keyfile is None:
            raise TypeError("WebhookServer needs a certificate: certfile= and keyfile=, or certificates=self_signed(...)")
        app.check()
        self.app = app
        self.certificates = certificates
        self.tls = CertificateFiles(certfile, keyfile)
        self.max_body = max_body
        self.read_timeout = read_timeout
        self._httpd = _HTTPServer((host, port), _Handler, self)
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self.requests = 0
        self.probes: dict[str, int] = {}

    @property
    def url(self) -> str:
        """``https://host:port`` (for a URL ``clientConfig``; ``0.0.0.0`` shows as ``127.0.0.1``)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"https://[{host}]:{self.port}" if ":" in host else f"https://{host}:{self.port}"

    @property
    def ca_bundle(self) -> bytes | None:
        """The CA's PEM when the server serves certificates pykorm made; else None."""
        return self.certificates.ca if self.certificates is not None else None

    @property
    def serving(self) -> bool:
        """True while the server accepts connections."""
        return self._serving.is_set()

    def start(self) -> WebhookServer:
        """Serve in a background thread; returns the server."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.serve_forever, name="pykorm-webhooks", daemon=True)
            self._thread.start()
            self._serving.wait(5)
        return self

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` (blocking)."""
        self._serving.set()
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._serving.clear()

    def stop(self) -> None:
        """Stop accepting connections and close the socket (requests in flight finish)."""
        if self._serving.is_set():
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> WebhookServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<WebhookServer {self.url} {self.app!r}>"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: WebhookServer) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # In the connection's own thread: a slow or broken handshake holds no one else up.
        request.settimeout(self.owner.read_timeout)
        # The headers and the body go out as two writes: without this, Nagle's algorithm holds the body
        # until the client's delayed ACK (40 ms a review, measured).
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.owner.tls.context().wrap_socket(request, server_side=True)
        except (OSError, ValueError) as error:
            log.debug("pykorm webhook: TLS handshake with %s failed: %s", client_address, error)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("pykorm webhook: connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "pykorm-webhooks"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?")[0] in ("/healthz", "/readyz", "/livez"):
            self._send(200, b"ok", "text/plain")
        else:
            self._send_json(404, {"error": f"GET {self.path}: not found (POST reviews to {self.server.owner.app.paths()})"})

    def do_POST(self) -> None:  # noqa: N802
        owner = self.server.owner
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self._send_json(411, {"error": "a review needs a Content-Length"}, close=True)
            return
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            self._send_json(400, {"error": f"bad Content-Length {length_text!r}"}, close=True)
            return
        if length > owner.max_body:
            self._send_json(413, {"error": f"the body is {length} bytes; at most {owner.max_body} are read"}, close=True)
            self._drain(min(length, _DRAIN))  # so that closing does not reset the answer away before it is read
            return
        try:
            body = self.rfile.read(length)
        except (OSError, socket.timeout):
            self.close_connection = True
            return
        if len(body) < length:
            self.close_connection = True
            return
        owner.requests += 1
        path = self.path.split("?", 1)[0]  # the API server adds ?timeout=10s
        if path.startswith(PROBE_PATH):
            owner.probes[path] = owner.probes.get(path, 0) + 1
            status, answer = 200, _allow(body)
            self._send_json(status, answer)
            return
        try:
            status, answer = owner.app.handle(path, body)
        except Exception as error:  # noqa: BLE001 - the app answers everything; this is a last resort
            log.exception("pykorm webhook: %s failed", self.path)
            status, answer = 500, {"error": f"{type(error).__name__}: {error}"}
        self._send_json(status, answer)

    def _drain(self, size: int) -> None:
        try:
            self.connection.settimeout(1.0)
            while size > 0:
                chunk = self.rfile.read(min(size, 65536))
                if not chunk:
                    break
                size -= len(chunk)
        except (OSError, socket.timeout):
            pass

    def _send_json(self, status: int, answer: dict[str, Any], close: bool = False) -> None:
        self._send(status, json.dumps(answer, separators=(",", ":")).encode(), "application/json", close)

    def _send(self, status: int, data: bytes, content_type: str, close: bool = False) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        log.debug("pykorm webhook: %s " + format, self.address_string(), *args)


def _allow(body: bytes) -> dict[str, Any]:
    try:
        uid = json.loads(body)["request"]["uid"]
    except (ValueError, KeyError, TypeError):
        uid = ""
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {"uid": uid, "allowed": True}}
