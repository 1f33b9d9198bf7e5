"""A loopback proxy in front of an API server that fails on demand, for tests of programs that must survive it.

    >>> with FaultProxy(cluster.configuration(), certfile=crt, keyfile=key) as proxy:
    ...     pk = proxy.session()                              # a Pykorm whose requests go through the proxy
    ...     proxy.respond(429, retry_after=1, times=3, verb="GET", path="/plants")
    ...     Plant.query.session(pk).all()                     # throttled three times, then served
    ...     proxy.cut(body_bytes=100, path="/plants")          # the next answer breaks after 100 bytes
    ...     proxy.freeze()                                    # every open connection goes silent

The proxy speaks HTTP/1.1 on both sides: it terminates TLS towards the client (with
the certificate it is given; plain HTTP without one) and opens its own TLS connection
to the server with the configuration's CA and client certificate, one per client
connection. Tokens travel in the requests' headers, unchanged. It understands
requests and answers well enough (``Content-Length``, chunked streams such as
watches) to answer some itself, or to cut or freeze a chosen one midway.

Faults:

- ``latency``: seconds added before each request is passed on;
- :meth:`respond`: the next K matching requests are answered by the proxy (``429`` with
  ``Retry-After``, ``503``...) and never reach the server;
- :meth:`hold`: the next K matching requests wait until the test releases them;
- :meth:`cut`: the next K matching requests reach the server, and their answers are cut
  (connection closed) before the first byte or after N bytes of body;
- :meth:`stall`: the same, but the connection stays open, silent;
- :meth:`freeze`: every open connection goes silent now (no FIN, no RST);
- :meth:`reset`: every open connection is reset now (RST);
- :meth:`refuse`: the port stops listening (connections are refused);
- :meth:`blackhole`: new connections are accepted and never answered, not even the TLS handshake;
- :meth:`heal`: all of these off (connections already frozen stay so).

:attr:`exchanges` records what went through, for assertions (when, verb, path, outcome).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit


from .._http.transport import ssl_context
from ..webhooks import self_signed
from ._cluster import Cluster
from ._proxyconn import POLL, Connection, Rule, pattern

if TYPE_CHECKING:
    from kubernetes.client import Configuration

if TYPE_CHECKING:
    from .._session.session import Pykorm

__all__ = ["Exchange", "FaultProxy"]

_UPSTREAM_CONNECT_TIMEOUT = 10.0


@dataclasses.dataclass(frozen=True)
class Exchange:
    """One request seen by the proxy: ``outcome`` is the status passed on, or what the proxy did."""

    when: float  # time.monotonic()
    verb: str
    path: str
    outcome: str


class FaultProxy:
    """A proxy on 127.0.0.1 in front of the API server of ``upstream``, failing as told.

    Args:
        upstream: the official client's configuration of the real server (host, CA, client
            certificate); e.g. ``Cluster.configuration()``.
        certfile: the certificate (chain) the proxy shows its clients; it must be valid for
            127.0.0.1. Without it and ``keyfile`` the proxy speaks plain HTTP to its clients.
        keyfile: the key of ``certfile``.
        port: the port to listen on (0: any free one).
    """

    def __init__(
        self,
        upstream: Configuration,
        *,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
        port: int = 0,
    ) -> None:
        self.upstream = upstream
        target = urlsplit(upstream.host)
        self._upstream_tls = target.scheme == "https"
        self._upstream_address = (target.hostname or "127.0.0.1", target.port or (443 if self._upstream_tls else 80))
        self.certfile = Path(certfile) if certfile is not None else None
        self._server_context: ssl.SSLContext | None = None
        if certfile is not None:
            self._server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._server_context.load_cert_chain(str(certfile), str(keyfile) if keyfile is not None else None)
            self._server_context.set_alpn_protocols(["http/1.1"])
        self._client_context = self._upstream_context() if self._upstream_tls else None
        self.port = port
        self.latency = 0.0
        self.exchanges: list[Exchange] = []
        self._rules: list[Rule] = []
        self._connections: set[Connection] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None  # owned by the accepting thread once started
        self._refusing = False
        self._listening = threading.Event()
        self._blackhole = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._certificates_directory: Path | None = None  # made by in_front_of, removed by stop()

    @classmethod
    def in_front_of(cls, cluster: Cluster) -> FaultProxy:
        """A proxy (not started) for ``cluster``: with the API server's own certificate when pykorm runs
        its control plane, so that clients verify it as they would the server; plain HTTP otherwise."""
        control_plane = cluster.control_plane
        if control_plane is not None:
            return cls(cluster.configuration(), certfile=control_plane.ca_file,
                       keyfile=control_plane.ca_file.with_suffix(".key"))
        # Any other cluster: a certificate of its own, so that the proxy's clients speak TLS to it as to an API
        # server. In plain HTTP a black-holed connection is a request sent and never answered (the read timeout),
        # not a handshake that never completes (the connect timeout), and tests would see another client.
        try:
            certificates = self_signed(["127.0.0.1"])
        except ImportError:  # pragma: no cover - cryptography is in the test extra
            return cls(cluster.configuration())
        proxy = cls(cluster.configuration(), certfile=certificates.certfile, keyfile=certificates.keyfile)
        proxy._certificates_directory = certificates.directory
        return proxy

    # -- life ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Where clients connect, such as ``https://127.0.0.1:40123``."""
        return f"{'https' if self._server_context else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        """Listen and start passing requests on; returns self."""
        self._listen()
        self._thread = threading.Thread(target=self._accept_loop, name=f"FaultProxy:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and stop listening."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.thread.join(5)
        if self._certificates_directory is not None:
            shutil.rmtree(self._certificates_directory, ignore_errors=True)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def configuration(self) -> Configuration:
        """A copy of the upstream configuration that goes through this proxy."""
        configuration = copy.deepcopy(self.upstream)
        configuration.host = self.url
        configuration.ssl_ca_cert = str(self.certfile) if self.certfile is not None else None
        configuration.cert_file = configuration.key_file = None  # the proxy shows them to the server
        configuration.verify_ssl = True
        configuration.assert_hostname = None
        if hasattr(configuration, "tls_server_name"):
            configuration.tls_server_name = None
        return configuration

    def write_kubeconfig(self, path: str | Path) -> Path:
        """Write a kubeconfig whose server is this proxy (with the upstream's token, if any); returns its path.

        For programs under test that read ``$KUBECONFIG``.
        """
        configuration = self.configuration()
        user: dict[str, Any] = {}
        token = (configuration.api_key or {}).get("authorization") or (configuration.api_key or {}).get("BearerToken")
        if token:
            user["token"] = token.split(" ", 1)[1] if token.lower().startswith("bearer ") else token
        cluster: dict[str, Any] = {"server": self.url}
        if self.certfile is not None:
            cluster["certificate-authority"] = str(self.certfile)
        config = {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "fault-proxy", "cluster": cluster}],
            "users": [{"name": "fault-proxy", "user": user}],
            "contexts": [{"name": "fault-proxy", "context": {"cluster": "fault-proxy", "user": "fault-proxy"}}],
            "current-context": "fault-proxy",
        }
        target = Path(path)
        target.write_text(json.dumps(config, indent=2))  # JSON is YAML
        target.chmod(0o600)
        return target

    def session(self, **options: Any) -> Pykorm:
        """A :class:`pykorm.Pykorm` whose ``"default"`` cluster is the server behind this proxy.

        ``options`` go to ``Pykorm`` (``retries=``, ``connect_timeout=``...); it does not become
        the default session unless ``make_default=True`` is passed.
        """
        from .._session.session import Pykorm

        options.setdefault("make_default", False)
        return Pykorm(clusters={"default": self.configuration()}, **options)

    # -- faults ----------------------------------------------------------------------

    def respond(
        self,
        status: int = 429,
        *,
        times: int = 1,
        retry_after: float | None = None,
        verb: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (a Kubernetes Status body) instead of passing them on.

        Args:
            retry_after: the ``Retry-After`` header's seconds (none when None).
            verb: only requests of this HTTP method (``GET``: also lists and watches).
            path: only requests whose path and query match this regular expression (``re.search``).
        """
        self._add(Rule("respond", times, verb, pattern(path), status=status, retry_after=retry_after))

    def hold(self, *, times: int = 1, verb: str | None = None, path: str | None = None) -> threading.Event:
        """Keep the next ``times`` matching requests at the proxy until the returned event is set, then pass them on.

        Their exchanges are recorded as ``held`` when they arrive: a test waits for that, changes
        the world, then releases them — no timing involved.
        """
        release = threading.Event()
        self._add(Rule("hold", times, verb, pattern(path), release=release))
        return release

    def cut(self, *, body_bytes: int | None = None, times: int = 1, verb: str | None = None, path: str | None = None) -> None:
        """Pass the next ``times`` matching requests on, and close the connection during their answers:
        when the server's answer begins but before its first byte reaches the client (None: the server
        did the work, the client never hears of it), or after the headers and ``body_bytes`` bytes of body."""
        self._add(Rule("cut", times, verb, pattern(path), body_bytes=body_bytes))

    def stall(self, *, body_bytes: int | None = None, times: int = 1, verb: str | None = None, path: str | None = None) -> None:
        """As :meth:`cut`, but the connection stays open and silent instead of closing."""
        self._add(Rule("stall", times, verb, pattern(path), body_bytes=body_bytes))

    def freeze(self, *, verb: str | None = None, path: str | None = None) -> int:
        """Open connections go silent now, both ways, without closing; returns how many.

        With ``verb``/``path``, only those whose last request matched (``path="watch=true"``:
        the watches); else all, idle pooled ones too.
        """
        return self._signal("freeze", verb, path)

    def reset(self, *, verb: str | None = None, path: str | None = None) -> int:
        """Open connections are reset now (TCP RST to the client), as :meth:`freeze` chooses them; returns how many
        once they are closed."""
        return self._signal("reset", verb, path)

    def refuse(self) -> None:
        """The server is gone: every open connection is reset, new ones are refused until :meth:`heal`."""
        with self._lock:
            self._refusing = True
        self._wait_listening(False)
        self._signal("reset", None, None)

    def blackhole(self) -> None:
        """Accept new connections and never answer them (not even the TLS handshake) until :meth:`heal`."""
        with self._lock:
            self._blackhole = True

    def heal(self) -> None:
        """Turn every fault off: no rules, no latency, listening and answering again (held requests go on)."""
        with self._lock:
            for rule in self._rules:
                if rule.release is not None:
                    rule.release.set()
            self._rules.clear()
            self._blackhole = False
            self._refusing = False
        self.latency = 0.0
        if self._thread is not None:
            self._wait_listening(True)

    def seen(self, verb: str | None = None, path: str | None = None) -> list[Exchange]:
        """The exchanges so far, of this verb and whose path matches ``path`` (``re.search``)."""
        pattern = re.compile(path) if path else None
        with self._lock:
            return [e for e in self.exchanges if (verb is None or e.verb == verb) and (pattern is None or pattern.search(e.path))]

    # -- internals ---------------------------------------------------------------------

    def _add(self, rule: Rule) -> None:
        if rule.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rules.append(rule)

    def _signal(self, state: str, verb: str | None, path: str | None) -> int:
        chosen = Rule(state, 1, verb, pattern(path))
        with self._lock:
            connections = [
                c for c in self._connections
                if c.state == "open" and (c.last is not None and chosen.matches(*c.last) or verb is None and path is None)
            ]
            for connection in connections:
                connection.state = state
        if state == "reset":  # done when it returns: the next request cannot use a connection about to die
            for connection in connections:
                connection.thread.join(5)
        return len(connections)

    def _take_rule(self, verb: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(verb, path):
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def _record(self, verb: str, path: str, outcome: str) -> None:
        with self._lock:
            self.exchanges.append(Exchange(time.monotonic(), verb, path, outcome))

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(POLL)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._listening.set()

    def _wait_listening(self, listening: bool) -> None:
        deadline = time.monotonic() + 10
        while self._listening.is_set() != listening and time.monotonic() < deadline:
            time.sleep(0.01)

    def _accept_loop(self) -> None:
        """Accept connections; the only thread that opens and closes the listening socket after start()."""
        while not self._stopped.is_set():
            if self._refusing and self._listener is not None:
                self._listener.close()
                self._listener = None
                self._listening.clear()
            elif not self._refusing and self._listener is None:
                self._listen()
            if self._listener is None:
                time.sleep(POLL / 10)
                continue
            try:
                raw, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            connection = Connection(self, raw)
            with self._lock:
                self._connections.add(connection)
                if self._blackhole:
                    connection.state = "freeze"
            connection.thread.start()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            self._listening.clear()

    def _upstream_context(self) -> ssl.SSLContext:
        context = ssl_context(self.upstream)
        context.set_alpn_protocols(["http/1.1"])
        return context

    def _connect_upstream(self) -> socket.socket:
        raw = socket.create_connection(self._upstream_address, timeout=_UPSTREAM_CONNECT_TIMEOUT)
        if self._client_context is None:
            return raw
        name = getattr(self.upstream, "tls_server_name", None) or self._upstream_address[0]
        try:
            return self._client_context.wrap_socket(raw, server_hostname=name)
        except BaseException:
            raw.close()
            raise
