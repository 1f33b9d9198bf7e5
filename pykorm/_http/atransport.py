"""HTTP to one API server from an event loop: :class:`pykorm._http.transport.Transport`'s twin on aiohttp.

Only the sending differs. The URL, the body, the credentials (read from the same official
client ``Configuration``, refresh hooks of exec plugins and expiring tokens included), the
decoding of answers, the typed errors and the retry loop's decisions
(:class:`pykorm._http.transport.Attempts`, :mod:`pykorm._http.retry`'s policy and timeouts) are the
blocking transport's own functions.

aiohttp rather than httpx: 1,000 GETs from 50 tasks against the local control plane took
0.8 s with aiohttp and 7.9 s with httpx (benchmarks/aio_transports.py). Imported by
``pykorm.aio`` only: ``import pykorm`` does not load aiohttp.
"""

from __future__ import annotations

import asyncio
import socket
from time import monotonic
from typing import Any, AsyncGenerator, Callable

import aiohttp
from yarl import URL

from .._base.errors import ServerUnavailable, StreamSilent
from typing_extensions import Unpack

from .hooks import Request, Response, await_hooks
from .retry import DEFAULT, Attempts, Failure
from .transport import (
    APPLY_PATCH, KEEPALIVE, JSON, MERGE_PATCH, Endpoint, SendOptions, answer_error, answer_of, auth_headers,
    encode_body, read_lines, ssl_context, url_of,
)

__all__ = ["APPLY_PATCH", "MERGE_PATCH", "AsyncTransport"]

_HELD_OFF = 16 * 1024  # bytes: a list page above this is decoded with full collections held off


_STATIC_TOKEN_HOOK = "KubeConfigLoader._set_config.<locals>._refresh_api_key"


def may_block(hook: Callable[..., object]) -> bool:
    """Whether a configuration's ``refresh_api_key_hook`` may block (and so runs in a worker thread).

    Any hook may, but one: the official kubeconfig loader's for a token without an expiry, which
    only copies the loaded settings back (an exec plugin's or an expiring token's has an expiry).
    A thread hop per request costs the event loop more than that copy.
    """
    if getattr(hook, "__qualname__", "") != _STATIC_TOKEN_HOOK or getattr(hook, "__module__", "") != "kubernetes.config.kube_config":
        return True
    loaders = []
    for cell in getattr(hook, "__closure__", None) or ():
        try:
            if type(cell.cell_contents).__name__ == "KubeConfigLoader":
                loaders.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    return len(loaders) != 1 or "expiry" in vars(loaders[0])


class AsyncTransport(Endpoint):
    """A connection pool to one API server, for the event loop it is used on.

    Made as the blocking :class:`pykorm._http.transport.Transport` is (same arguments; ``pool_size``
    100 by default: concurrent requests beyond it wait for a connection); its methods are coroutines.
    """

    DEFAULT_POOL_SIZE = 100

    def _open(self) -> None:
        configuration = self.configuration
        self._ssl = ssl_context(configuration) if self.host.startswith("https") else False
        name = getattr(configuration, "tls_server_name", None) or configuration.assert_hostname
        self._server_hostname = name if isinstance(name, str) and name else None
        self._hook: tuple[object, bool] = (None, False)  # the refresh hook last seen, and whether it may block
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def request(self, method: str, path: str, *, body: JSON = None, content_type: str = "application/json",
                      **options: Unpack[SendOptions]) -> JSON:
        """Send one request (again, where :mod:`pykorm._http.retry` says so); the decoded answer. Arguments and
        errors as for :meth:`pykorm._http.transport.Transport.request`."""
        url = url_of(self.host, path, options.get("params"))
        data, headers = encode_body(body, content_type)
        response, answer, attempts = await self._send(method, url, data, headers, True, options)
        # Pages are decoded with full collections held off: one waits for the application's code (pykorm._base.gc).
        return answer_of(response.status, response.headers, answer, f"{method} {path}", attempts, _HELD_OFF)

    async def stream(self, path: str, *, raw: bool = False, **options: Unpack[SendOptions]) -> AsyncGenerator[JSON, None]:
        """GET a watch stream and yield each JSON line as it arrives (with ``raw``, each line as text).

        ``timeout`` is the longest silence allowed, as for the blocking transport's ``stream``.
        """
        url = url_of(self.host, path, options.get("params"))
        response, _, attempts = await self._send("GET", url, None, {}, False, options)
        try:
            if response.status >= 300:
                raise answer_error(response.status, response.headers, await response.read(), f"watch {path}", attempts)
            buffer = b""
            try:
                async for chunk in response.content.iter_any():
                    lines, buffer = read_lines(buffer, chunk, raw)
                    for line in lines:
                        yield line
                if raw and buffer:
                    yield buffer.decode("utf-8", errors="replace")
            except asyncio.TimeoutError as error:
                raise StreamSilent(
                    f"watch {path}: nothing received within the read timeout; the connection is presumed dead"
                ) from error.with_traceback(None)
            except aiohttp.ClientError as error:
                raise ServerUnavailable(f"watch {path}: the connection broke ({error})") from error.with_traceback(None)
        finally:
            response.close()

    async def close(self) -> None:
        """Close every pooled connection."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def _send(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str], preload: bool, options: SendOptions,
    ) -> tuple[aiohttp.ClientResponse, bytes, int]:
        """Send until an answer that is final by :mod:`pykorm._http.retry`'s rules: it, its body when ``preload``, the attempts."""
        attempts = Attempts(self.retries, self.timeouts, method, url, options.get("retries"),
                            options.get("connect_timeout", DEFAULT), options.get("timeout", DEFAULT),
                            options.get("deadline"))
        session = self._pool()
        target = URL(url, encoded=True)  # names are percent-encoded already (pykorm._base.names)
        hooks = self.hooks
        while True:
            limits = attempts.attempt_timeouts()
            # sock_connect, not connect: waiting for a free pooled connection under load is no connect failure;
            # but a deadline bounds the whole exchange (a stream's body: its reads).
            total = attempts.time_left() if preload else None
            timeout = aiohttp.ClientTimeout(total=total, sock_connect=limits.connect, sock_read=limits.read)
            sent = await self._headers()  # each time: a refresh hook may have rewritten the token
            sent.update(headers)
            if hooks:
                request = Request(method, url, sent, body, attempts.count)
                await await_hooks(hooks.request, request)
                started = monotonic()
            try:
                response = await session.request(
                    method, target, data=body, headers=sent, timeout=timeout, ssl=self._ssl,
                    server_hostname=self._server_hostname,
                )
                answer = await response.read() if preload else b""
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                await asyncio.sleep(attempts.failed(_failure(error)))  # raises once it is final
                continue
            if hooks.response:
                try:
                    await await_hooks(hooks.response, Response(request, response.status, response.headers,
                                                               answer if preload else None, monotonic() - started))
                except BaseException:
                    response.release()
                    raise
            pause = attempts.answered(response.status, response.headers)
            if pause is None:
                return response, answer, attempts.count
            response.release()
            await asyncio.sleep(pause)

    async def _headers(self) -> dict[str, str]:
        # An exec plugin or an expiring token refreshes in auth_settings(): blocking work, done off the loop.
        hook = getattr(self.configuration, "refresh_api_key_hook", None)
        if hook is not self._hook[0]:
            self._hook = (hook, hook is not None and may_block(hook))
        if self._hook[1]:
            return await asyncio.to_thread(auth_headers, self.configuration, self._auth_lock)
        return auth_headers(self.configuration, self._auth_lock)

    def _pool(self) -> aiohttp.ClientSession:
        """The session of the running loop (a pool belongs to one loop: another loop gets a new one)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            connector = aiohttp.TCPConnector(limit=self.pool_size, socket_factory=_keepalive_socket)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
            self._loop = loop
        return self._session


def _keepalive_socket(info: Any) -> socket.socket:
    """A socket with TCP keepalive: a dead peer on an idle connection is noticed (see pykorm._http.transport)."""
    family, kind, proto = info[0], info[1], info[2]
    sock = socket.socket(family, kind, proto)
    for option in KEEPALIVE:
        sock.setsockopt(*option)
    return sock


def _failure(error: BaseException) -> Failure:
    """What kind of failure an aiohttp error is (the kinds the blocking transport tells apart)."""
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return Failure(Failure.CERTIFICATE, error)
    if isinstance(error, aiohttp.ClientConnectorSSLError):
        text = str(error)
        certificate = "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower()
        return Failure(Failure.CERTIFICATE if certificate else Failure.OTHER, error)
    if isinstance(error, aiohttp.ClientConnectorError):
        return Failure(Failure.NOT_CONNECTED, error)
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return Failure(Failure.CONNECT_TIMEOUT, error)
    if isinstance(error, asyncio.TimeoutError):
        return Failure(Failure.TIMEOUT, error)
    if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError)):
        return Failure(Failure.BROKEN, error)
    return Failure(Failure.OTHER, error)
