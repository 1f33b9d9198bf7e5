"""The manager's HTTP endpoints: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for the kubelet's probes.

    >>> manager = Manager(pk, metrics_port=8080, health_port=8081)
    >>> # GET :8080/metrics   GET :8081/healthz   GET :8081/readyz?verbose

As controller-runtime's: a probe runs its named checks and answers 200 ``ok`` when every one
passes, else 500 with a line per check (``[+]informers ok`` / ``[-]informers failed: reason``);
``?verbose`` lists them on success too, and ``/readyz/<check>`` runs one. Both ports may be the
same; each is served by a thread of its own, from the manager's start until its stop.
"""

from __future__ import annotations

import http.server
import threading
from typing import TYPE_CHECKING, Callable, Mapping
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["Check", "Endpoints"]

Check = Callable[[], "str | None"]
"""A health check: None when all is well, else what is wrong (one line)."""


class Endpoints:
    """HTTP servers on ``host`` for the metrics (``registry``) and the probes (``healthz`` and ``readyz`` checks).

    Args:
        host: the address to bind (``""`` or ``"0.0.0.0"``: every interface; ``"127.0.0.1"``: this machine).
        metrics_port: where ``/metrics`` is served (0: a free port; None: not served).
        health_port: where ``/healthz`` and ``/readyz`` are served (0: a free port; None: not served).
    """

    def __init__(self, host: str, metrics_port: int | None, health_port: int | None,
                 registry: CollectorRegistry | None, healthz: Mapping[str, Check], readyz: Mapping[str, Check]) -> None:
        self.host = host
        self._wanted = (metrics_port, health_port)
        self._registry = registry
        self._probes = {"healthz": healthz, "readyz": readyz}
        self._servers: list[http.server.ThreadingHTTPServer] = []
        self.metrics_port: int | None = None
        self.health_port: int | None = None

    def start(self) -> None:
        """Bind and serve.

        Raises:
            OSError: a port could not be bound (taken, not allowed).
        """
        metrics_port, health_port = self._wanted
        shared = metrics_port is not None and metrics_port == health_port and metrics_port != 0
        try:
            if metrics_port is not None:
                server = self._serve(metrics_port, metrics=True, probes=shared)
                self.metrics_port = server.server_address[1]
                if shared:
                    self.health_port = self.metrics_port
            if health_port is not None and not shared:
                self.health_port = self._serve(health_port, metrics=False, probes=True).server_address[1]
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving and close the ports."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.shutdown()
            server.server_close()

    def _serve(self, port: int, *, metrics: bool, probes: bool) -> http.server.ThreadingHTTPServer:
        endpoints = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                status, content_type, body = endpoints.answer(self.path, self.headers.get("Accept", ""), metrics, probes)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet: scrapes are frequent
                pass

        server = http.server.ThreadingHTTPServer((self.host, port), Handler)
        server.daemon_threads = True
        self._servers.append(server)
        threading.Thread(target=server.serve_forever, name=f"pykorm-endpoints-{server.server_address[1]}",
                         daemon=True).start()
        return server

    def answer(self, target: str, accept: str, metrics: bool, probes: bool) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of ``target`` on a port serving ``metrics`` and/or ``probes``."""
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        if metrics and path == "/metrics" and self._registry is not None:
            from prometheus_client.exposition import choose_encoder

            encoder, content_type = choose_encoder(accept)
            return 200, content_type, encoder(self._registry)
        probe, _, only = path.lstrip("/").partition("/")
        if probes and probe in self._probes:
            return probe_answer(self._probes[probe], only or None, "verbose" in parse_qs(parts.query, keep_blank_values=True))
        return 404, "text/plain; charset=utf-8", b"404 page not found\n"


def probe_answer(checks: Mapping[str, Check], only: str | None, verbose: bool) -> tuple[int, str, bytes]:
    """Run ``checks`` (or the one named ``only``): 200 and ``ok`` when all pass, else 500 and a line per check."""
    text = "text/plain; charset=utf-8"
    if only is not None:
        if only not in checks:
            return 404, text, f"no check {only!r}; the checks are: {', '.join(sorted(checks))}\n".encode()
        checks = {only: checks[only]}
    lines, healthy = [], True
    for name, check in checks.items():
        try:
            problem = check()
        except Exception as error:  # noqa: BLE001 - a check that raises fails, saying why
            problem = f"{type(error).__name__}: {error}"
        if problem is None:
            lines.append(f"[+]{name} ok")
        else:
            healthy = False
            lines.append(f"[-]{name} failed: {problem}")
    if healthy and not verbose:
        return 200, text, b"ok"
    body = "\n".join(lines) + ("\nhealthz check passed\n" if healthy else "\nhealthz check failed\n")
    return (200 if healthy else 500), text, body.encode()
