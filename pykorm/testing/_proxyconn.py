"""One client connection of a :class:`FaultProxy`: HTTP/1.1 relayed to the server, with the faults it is told.

Each connection has its own thread and its own TLS connection to the server. Every
socket is read with a short timeout, so that between reads the thread sees what the
proxy asks of it (freeze, reset, stop) and acts at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http
import json
import re
import select
import socket
import ssl
import struct
import threading
import time
from typing import Iterator, Protocol

__all__ = ["POLL", "Rule", "Connection", "pattern"]

POLL = 0.1  # seconds between looks at the proxy's state while a socket is quiet
_HANDSHAKE_TIMEOUT = 10.0


@dataclasses.dataclass
class Rule:
    action: str  # "respond", "hold", "cut" or "stall"
    times: int
    verb: str | None
    path: re.Pattern[str] | None
    status: int = 0
    retry_after: float | None = None
    body_bytes: int | None = None
    release: threading.Event | None = None

    def matches(self, verb: str, path: str) -> bool:
        return (self.verb is None or self.verb == verb) and (self.path is None or bool(self.path.search(path)))


class _Closed(Exception):
    """The connection is over: closed by a peer, reset, or the proxy stopped."""


class _Frozen(Exception):
    """The connection must go silent from now on."""


class Relaying(Protocol):
    """What a connection uses of its :class:`pykorm.testing.FaultProxy` (which imports this module)."""

    port: int
    latency: float
    _lock: threading.Lock
    _connections: set[Connection]
    _server_context: ssl.SSLContext | None
    _stopped: threading.Event

    def _connect_upstream(self) -> socket.socket: ...

    def _take_rule(self, verb: str, path: str) -> Rule | None: ...

    def _record(self, verb: str, path: str, outcome: str) -> None: ...


class Connection:
    """One client connection and its own connection to the server, served by one thread."""

    def __init__(self, proxy: Relaying, raw: socket.socket) -> None:
        self.proxy = proxy
        self.raw = raw
        self.state = "open"  # "open", "freeze" or "reset": set by the proxy, acted on here
        self.last: tuple[str, str] | None = None  # the verb and path of the last request
        self.down: socket.socket = raw
        self.up: socket.socket | None = None
        self.thread = threading.Thread(target=self._run, name=f"FaultProxy:{proxy.port}:conn", daemon=True)
        self._down_buffer = bytearray()
        self._up_buffer = bytearray()

    def _run(self) -> None:
        try:
            self._serve()
        except _Frozen:
            self._stay_silent()
        except (_Closed, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            self._close()
            with self.proxy._lock:
                self.proxy._connections.discard(self)

    def _serve(self) -> None:
        self._check()
        try:
            self.up = self.proxy._connect_upstream()
        except OSError:
            self.state = "reset"  # the server is down: the client's connection fails too
            raise _Closed() from None
        self._check()
        context = self.proxy._server_context
        if context is not None:
            self.raw.settimeout(_HANDSHAKE_TIMEOUT)
            self.down = context.wrap_socket(self.raw, server_side=True)
        self.down.settimeout(POLL)
        self.up.settimeout(POLL)
        while True:
            head = self._read_head(self.down, self._down_buffer, idle=True)
            verb, path, headers = _parse_request(head)
            self.last = (verb, path)
            body = self._read_body(self.down, self._down_buffer, headers)
            rule = self.proxy._take_rule(verb, path)
            if rule is not None and rule.action == "respond":
                self.proxy._record(verb, path, f"{rule.status} (injected)")
                self._send(self.down, _status_answer(rule.status, rule.retry_after))
                continue
            if rule is not None and rule.release is not None:
                self.proxy._record(verb, path, "held")
                self._wait_for(rule.release)
                rule = None
            self._wait(self.proxy.latency)
            self._send(self.up, head + body)
            keep = self._relay_answer(verb, path, rule)
            if not keep or headers.get("connection", "").lower() == "close":
                return

    def _relay_answer(self, verb: str, path: str, rule: Rule | None) -> bool:
        """Pass the server's answer on, cutting or stalling it if ``rule`` says so; False when the connection must close."""
        assert self.up is not None
        head = self._read_head(self.up, self._up_buffer, idle=False)  # the server has done the work
        status, headers = _parse_answer(head)
        if rule is None:
            self.proxy._record(verb, path, str(status))
        elif rule.body_bytes is None:
            return self._fault(rule, verb, path, f"before the answer ({status})")
        self._send(self.down, head)
        budget = rule.body_bytes if rule is not None else None
        for piece in self._body_pieces(self.up, self._up_buffer, headers, verb, status):
            if budget is not None and len(piece) >= budget:
                self._send(self.down, piece[:budget])
                break
            if budget is not None:
                budget -= len(piece)
            self._send(self.down, piece)
        if rule is not None:  # cut or stall where the budget ran out, or at the end of a shorter body
            return self._fault(rule, verb, path, f"after {rule.body_bytes} bytes of body ({status})")
        framed = "content-length" in headers or "chunked" in headers.get("transfer-encoding", "").lower()
        return framed and headers.get("connection", "").lower() != "close"

    def _fault(self, rule: Rule, verb: str, path: str, where: str) -> bool:
        self.proxy._record(verb, path, f"{rule.action} {where}")
        if rule.action == "stall":
            raise _Frozen()
        return False

    # -- reading and writing, watching the proxy's state between polls ----------------

    def _check(self) -> None:
        if self.proxy._stopped.is_set():
            raise _Closed()
        if self.state == "freeze":
            raise _Frozen()
        if self.state == "reset":
            raise _Closed()

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._check()
            time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))

    def _wait_for(self, event: threading.Event) -> None:
        while not event.wait(POLL):
            self._check()

    def _recv(self, sock: socket.socket, idle: bool = False) -> bytes:
        while True:
            self._check()
            if idle and self.up is not None and self._closed_by_server():
                raise _Closed()
            try:
                data = sock.recv(65536)
            except (TimeoutError, socket.timeout):
                continue
            except ssl.SSLWantReadError:
                continue
            if not data:
                raise _Closed()
            return data

    def _closed_by_server(self) -> bool:
        """While waiting for the client's next request: has the server closed its side?"""
        assert self.up is not None
        readable, _, _ = select.select([self.up], [], [], 0)
        if not readable:
            return False
        try:
            data = self.up.recv(65536)
        except (TimeoutError, socket.timeout, ssl.SSLWantReadError):
            return False
        if not data:
            return True
        self._up_buffer += data  # unexpected bytes: keep them for the next answer
        return False

    def _send(self, sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._check()
            try:
                sent = sock.send(view)
            except (TimeoutError, socket.timeout, ssl.SSLWantWriteError):
                continue
            view = view[sent:]

    def _read_head(self, sock: socket.socket, buffer: bytearray, idle: bool) -> bytes:
        while b"\r\n\r\n" not in buffer:
            if len(buffer) > 1 << 20:
                raise _Closed()
            buffer += self._recv(sock, idle=idle and not buffer)
        end = buffer.index(b"\r\n\r\n") + 4
        head = bytes(buffer[:end])
        del buffer[:end]
        return head

    def _read_exact(self, sock: socket.socket, buffer: bytearray, size: int) -> bytes:
        while len(buffer) < size:
            buffer += self._recv(sock)
        data = bytes(buffer[:size])
        del buffer[:size]
        return data

    def _read_line(self, sock: socket.socket, buffer: bytearray) -> bytes:
        while b"\r\n" not in buffer:
            buffer += self._recv(sock)
        end = buffer.index(b"\r\n") + 2
        line = bytes(buffer[:end])
        del buffer[:end]
        return line

    def _read_body(self, sock: socket.socket, buffer: bytearray, headers: dict[str, str]) -> bytes:
        """A request's body, as it came (requests have a length or are chunked)."""
        return b"".join(self._body_pieces(sock, buffer, headers, "", 0, until_close=False))

    def _body_pieces(
        self, sock: socket.socket, buffer: bytearray, headers: dict[str, str], verb: str, status: int,
        until_close: bool = True,
    ) -> Iterator[bytes]:
        """The raw bytes of a body, piece by piece as they arrive (chunk framing included)."""
        if verb == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                line = self._read_line(sock, buffer)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    trailer = line
                    while True:
                        more = self._read_line(sock, buffer)
                        trailer += more
                        if more == b"\r\n":
                            break
                    yield trailer
                    return
                yield line + self._read_exact(sock, buffer, size + 2)
        elif "content-length" in headers:
            remaining = int(headers["content-length"])
            while remaining > 0:
                if not buffer:
                    buffer += self._recv(sock)
                piece = bytes(buffer[:remaining])
                del buffer[: len(piece)]
                remaining -= len(piece)
                yield piece
        elif until_close:
            try:
                while True:
                    if buffer:
                        piece = bytes(buffer)
                        buffer.clear()
                        yield piece
                    buffer += self._recv(sock)
            except _Closed:
                if self.state != "open" or self.proxy._stopped.is_set():
                    raise
                return

    # -- endings ---------------------------------------------------------------------------

    def _stay_silent(self) -> None:
        """Frozen: drop the server side, keep the client's connection open, read and discard until it closes."""
        if self.up is not None:
            _close_quietly(self.up)
            self.up = None
        self.down.settimeout(POLL)
        while not self.proxy._stopped.is_set() and self.state != "reset":
            try:
                if not self.down.recv(65536):
                    return
            except (TimeoutError, socket.timeout, ssl.SSLWantReadError):
                continue
            except (OSError, ValueError):
                return

    def _close(self) -> None:
        if self.up is not None:
            _close_quietly(self.up)
        if self.state == "reset":
            with contextlib.suppress(OSError):
                self.down.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        _close_quietly(self.down)


def pattern(path: str | None) -> re.Pattern[str] | None:
    return re.compile(path) if path else None


def _close_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError, ValueError):
        sock.close()


def _parse_request(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise _Closed()
    return parts[0].upper(), parts[1], _headers(lines[1:])


def _parse_answer(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise _Closed()
    return int(parts[1]), _headers(lines[1:])


def _headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _status_answer(status: int, retry_after: float | None) -> bytes:
    """An HTTP answer carrying a Kubernetes ``Status``, as kube-apiserver writes one."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    reason = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}.get(status, "")
    body = json.dumps(
        {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": f"{phrase} (injected by pykorm.testing.FaultProxy)", "reason": reason, "code": status,
        }
    ).encode()
    lines = [f"HTTP/1.1 {status} {phrase}", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    if retry_after is not None:
        lines.append(f"Retry-After: {retry_after:g}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

