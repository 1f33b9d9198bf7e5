"""Running a command in a container through the API server, blocking: a websocket (``websocket-client``,
which the official client already installs) speaking :mod:`pykorm._http.channels`' protocol.

The handshake is retried as any request whose connection could not be made (nothing was sent);
once the command may have started, nothing is sent again.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from .._base.errors import ApiError, ServerUnavailable, WaitTimeout
from .channels import PROTOCOLS, ExecResult, Output, stdin_frames
from .retry import DEFAULT, Attempts, Failure
from .transport import KEEPALIVE, answer_error, auth_headers, ssl_context

if TYPE_CHECKING:
    import websocket

    from .transport import Endpoint

__all__ = ["run_exec", "websocket_url"]


def websocket_url(host: str, path: str, query: str) -> str:
    """``https://h/p`` → ``wss://h/p?query`` (``http`` → ``ws``)."""
    scheme, _, rest = host.partition("://")
    return ("wss" if scheme == "https" else "ws") + "://" + rest + path + "?" + query


def run_exec(endpoint: Endpoint, path: str, query: str, stdin: bytes | None, deadline: float | None,
             protocols: tuple[str, ...] = PROTOCOLS,
             opened: Callable[[websocket.WebSocket], object] | None = None) -> ExecResult:
    """Run the exec request ``path?query`` and collect its output until the error channel says how it ended.

    ``opened`` gets the open websocket: another thread may ``abort()`` it to end the exec at once
    (an async caller's cancellation).

    Raises:
        ApiError: the server refused the request (NotFound, ValidationError, Forbidden...).
        ExecFailed: the command did not run. WaitTimeout: ``deadline`` came first (``last``: the output so far;
            the connection is closed). ServerUnavailable: no connection, or it broke.
    """
    what = f"exec {path}"
    connection = _connect(endpoint, websocket_url(endpoint.host, path, query), what, deadline, protocols)
    if opened is not None:
        opened(connection)
    output = Output(what)
    sender: threading.Thread | None = None
    try:
        protocol = connection.getsubprotocol() or ""
        if protocol not in protocols:
            raise ApiError(f"{what}: the server speaks none of {', '.join(protocols)} (it chose {protocol!r})")
        if stdin is not None:  # sent while the output is read: a command echoing its input never blocks on us
            sender = threading.Thread(target=_send_stdin, args=(connection, stdin, protocol), daemon=True,
                                      name="pykorm-exec-stdin")
            sender.start()
        while output.status is None:
            connection.settimeout(None if deadline is None else max(0.001, deadline - time.monotonic()))
            try:
                opcode, data = connection.recv_data()
            except (socket.timeout, TimeoutError, _timeout_error()):
                raise WaitTimeout(f"{what}: the command did not end in time", output.partial()) from None
            except (OSError, _closed_error()) as error:
                raise ServerUnavailable(f"{what}: the connection broke ({error})") from None
            if opcode == 0x8:  # close: the server ended the stream without the command's status
                break
            output.add(data)
        if output.status is None:
            raise ServerUnavailable(f"{what}: the stream ended before the command's exit status")
        return output.result()
    finally:
        connection.close(timeout=0.5)
        if sender is not None:
            sender.join(1)


def _send_stdin(connection: websocket.WebSocket, data: bytes, protocol: str) -> None:
    import websocket

    try:
        for frame in stdin_frames(data, protocol):
            connection.send(frame, opcode=websocket.ABNF.OPCODE_BINARY)
    except (OSError, websocket.WebSocketException):
        pass  # the command ended (or the connection broke) before reading all of it: the reader reports that


def _connect(endpoint: Endpoint, url: str, what: str, deadline: float | None,
             protocols: tuple[str, ...]) -> websocket.WebSocket:
    """The open websocket; a refused connection is tried again as :class:`Attempts` says (nothing was sent)."""
    import websocket

    attempts = Attempts(endpoint.retries, endpoint.timeouts, "POST", url, None, DEFAULT, DEFAULT, deadline)
    sslopt: dict[str, Any] = {}
    if url.startswith("wss"):
        sslopt["context"] = ssl_context(endpoint.configuration)
        name = getattr(endpoint.configuration, "tls_server_name", None)
        if name:
            sslopt["server_hostname"] = name
    while True:
        limits = attempts.attempt_timeouts()
        headers = dict(auth_headers(endpoint.configuration, endpoint._auth_lock))
        headers.pop("Accept", None)
        connection = websocket.WebSocket(sockopt=KEEPALIVE, sslopt=sslopt, enable_multithread=True)
        try:
            connection.connect(url, header=headers, timeout=limits.connect, subprotocols=list(protocols),
                               suppress_origin=True)  # type: ignore[no-untyped-call]
            return connection
        except websocket.WebSocketBadStatusException as error:
            connection.close()
            answer = dict(error.resp_headers or {})
            pause = attempts.answered(error.status_code, answer)
            if pause is None:
                raise answer_error(error.status_code, answer, error.resp_body or b"", what, attempts.count) from None
            time.sleep(pause)
        except (OSError, websocket.WebSocketException) as error:
            connection.close()
            time.sleep(attempts.failed(_failure(error)))  # raises once it is final


def _failure(error: BaseException) -> Failure:
    if isinstance(error, ssl.SSLCertVerificationError):
        return Failure(Failure.CERTIFICATE, error)
    if isinstance(error, (ConnectionRefusedError, socket.gaierror)):
        return Failure(Failure.NOT_CONNECTED, error)
    if isinstance(error, (socket.timeout, TimeoutError, _timeout_error())):
        return Failure(Failure.CONNECT_TIMEOUT, error)
    if isinstance(error, (ConnectionResetError, BrokenPipeError, _closed_error())):
        return Failure(Failure.BROKEN, error)
    return Failure(Failure.OTHER, error)


def _timeout_error() -> type[Exception]:
    import websocket

    return websocket.WebSocketTimeoutException


def _closed_error() -> type[Exception]:
    import websocket

    return websocket.WebSocketConnectionClosedException

