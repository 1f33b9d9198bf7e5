"""One process of the local control plane: started, stopped in order, dying with the Python that started it.

Also the choice of its loopback port (:func:`free_port`).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

__all__ = ["Process", "free_port"]

_LOG_TAIL_LINES = 30
_POLL = 0.02

_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and never handed out before in this process.

    The kernel may give the same free port to two ``bind(0)`` calls in a row; two of our
    processes started together would then race for it, and the readiness probe of the one
    that lost would be answered by the one that won.
    """
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


@dataclasses.dataclass
class Process:
    """A binary with its arguments, logging to ``log_path``; started and stopped again as often as needed."""

    name: str
    args: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        try:
            self.popen = subprocess.Popen(
                self.args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches Python, which stops us in order
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()

    def exited(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def stop(self, timeout: float = 10.0, done: Callable[[], bool] | None = None) -> None:
        """SIGTERM, and wait for the exit; SIGKILL after ``timeout`` seconds, or as soon as ``done()`` is true.

        ``done`` says that what the graceful shutdown is for is over (for kube-apiserver: every request
        drained), so that what is left of it (tearing down goroutines, waiting for HTTP/2 clients to
        hang up after GOAWAY) need not be waited for.
        """
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.popen.poll() is None:
            if time.monotonic() >= deadline or (done is not None and done()):
                self.popen.kill()
                break
            time.sleep(_POLL)
        self.popen.wait()

    def log_size(self) -> int:
        """How many bytes the log has now (0 when there is none yet)."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        """What the log got after its first ``offset`` bytes."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:])


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGKILL us when the parent dies.

    SIGKILL, not SIGTERM: all three would get the signal at once, and a
    kube-apiserver whose etcd is already gone spends ~30 s in graceful shutdown.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
