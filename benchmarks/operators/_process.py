"""Running an operator as a process of its own: its CPU seconds, peak resident set, what it prints."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

from pykorm.testing._binaries import cache_dir

HERE = Path(__file__).resolve().parent
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (every thread) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib(pid: int) -> float:
    """The process's resident set now (VmRSS), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def go_build(package: str, name: str, log: Path) -> Path:
    """``go build`` (niced) of ``crgo/<package>`` into pykorm's cache, once per source; the executable.

    The module's dependencies (controller-runtime, client-go at the pinned Kubernetes minor) come
    from the Go module proxy as ``go.sum`` pins them.
    """
    module = HERE / "crgo"
    digest = hashlib.sha256()
    for path in sorted([module / "go.mod", module / "go.sum", *(module / package).glob("*.go")]):
        digest.update(path.read_bytes())
    target = cache_dir().parent / "bench" / f"{name}-{digest.hexdigest()[:12]}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            subprocess.run(["nice", "-n", "10", "go", "build", "-o", str(target), f"./{package}"],
                           cwd=module, stdout=out, stderr=subprocess.STDOUT, check=True)
    return target


class Operator:
    """An operator process: started with ``command``, stopped with SIGTERM; its output lines kept."""

    def __init__(self, name: str, command: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self._log = log.open("w")
        self.process = subprocess.Popen(list(command), env=dict(env), stdout=subprocess.PIPE, stderr=self._log,
                                        text=True, cwd=HERE.parent.parent)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def check(self) -> None:
        """Raise if the process has exited."""
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self._log.name}")

    def stop(self, timeout: float = 60.0) -> dict[str, int]:
        """SIGTERM, wait, and the reconcile counts it printed (``reconciles {json}``), by key."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        self._log.close()
        for line in reversed(self.lines):
            if line.startswith("reconciles "):
                counts: dict[str, Any] = json.loads(line.split(" ", 1)[1])
                return {key: int(n) for key, n in counts.items()}
        raise RuntimeError(f"{self.name} printed no reconcile counts; see {self._log.name}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
