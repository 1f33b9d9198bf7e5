"""A local Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager on loopback.

Like controller-runtime's envtest, with kube-controller-manager added so that
garbage collection (owner references) and namespace deletion complete.

    >>> with LocalControlPlane() as cp:
    ...     print(cp.kubeconfig)
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import dataclasses
import json
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .._errors import StartFailed, StartTimeout
from ._binaries import Binaries, ensure_binaries
from ._keys import ec_private_key_pem

__all__ = ["LocalControlPlane"]

_ADMIN_USER = "pykorm-admin"
_PORT_ATTEMPTS = 3
_LOG_TAIL_LINES = 30


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class _Process:
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

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:])


class LocalControlPlane:
    """etcd, kube-apiserver and kube-controller-manager running on loopback ports.

    ``start()`` builds or finds the binaries, starts the three processes in a new
    temporary directory, waits until each is ready and writes a kubeconfig with
    an admin credential (group ``system:masters``). ``stop()`` ends every process
    and removes the directory; it runs at interpreter exit too, and the processes
    die with the Python process even when that is killed (Linux).

    Args:
        binaries: ready binaries; found or built (:func:`ensure_binaries`) when omitted.
        start_timeout: seconds each process may take to become ready.
        controllers: the kube-controller-manager controllers to run.
        extra_args: more flags per process name (``"etcd"``, ``"kube-apiserver"``,
            ``"kube-controller-manager"``), e.g. ``{"kube-apiserver": ["--watch-cache=false"]}``.
        log: where progress lines go (stderr by default).
    """

    def __init__(
        self,
        binaries: Binaries | None = None,
        *,
        start_timeout: float = 60.0,
        controllers: Sequence[str] = ("garbagecollector", "namespace"),
        extra_args: Mapping[str, Sequence[str]] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._binaries = binaries
        self.extra_args = {name: list(args) for name, args in (extra_args or {}).items()}
        self.start_timeout = start_timeout
        self.controllers = tuple(controllers)
        self._log = log
        self._dir: Path | None = None
        self._processes: dict[str, _Process] = {}
        self.token = secrets.token_hex(24)
        self.apiserver_port = 0
        self.etcd_url = ""
        self.startup_seconds = 0.0

    # -- public surface -------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while kube-apiserver is running."""
        proc = self._processes.get("kube-apiserver")
        return proc is not None and proc.popen is not None and proc.exited() is None

    @property
    def host(self) -> str:
        """The API server's URL, such as ``https://127.0.0.1:40123``."""
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def directory(self) -> Path:
        """The temporary directory holding data, certificates, logs and the kubeconfig."""
        if self._dir is None:
            raise StartFailed("the control plane is not started")
        return self._dir

    @property
    def kubeconfig(self) -> Path:
        """Path of a kubeconfig whose current context is the admin user on this control plane."""
        return self.directory / "kubeconfig"

    @property
    def ca_file(self) -> Path:
        """The certificate bundle that verifies the API server's serving certificate."""
        return self.directory / "apiserver-certs" / "apiserver.crt"

    @property
    def pids(self) -> dict[str, int]:
        """The process id of each running process, by name."""
        return {n: p.popen.pid for n, p in self._processes.items() if p.popen is not None and p.exited() is None}

    def start(self) -> LocalControlPlane:
        """Start the control plane and wait until it is ready; returns self.

        Raises:
            GoNotFound, BuildFailed: the binaries had to be built and could not be.
            StartFailed: a process exited; the message quotes the end of its log.
            StartTimeout: a process was not ready within ``start_timeout`` seconds.
        """
        if self.running:
            return self
        binaries = self._binaries or ensure_binaries(log=self._log)
        self._binaries = binaries
        started = time.monotonic()
        self._dir = Path(tempfile.mkdtemp(prefix="pykorm-cp-"))
        atexit.register(self.stop)
        try:
            self._start_with_retries(self._start_etcd)
            self._start_with_retries(self._start_apiserver)
            self._write_kubeconfig()
            self._start_with_retries(self._start_controller_manager)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Stop every process (controller manager first, etcd last) and delete the directory."""
        for name in ("kube-controller-manager", "kube-apiserver", "etcd"):
            proc = self._processes.get(name)
            if proc is not None:
                proc.stop()
        self._processes.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        atexit.unregister(self.stop)

    def restart_apiserver(self) -> None:
        """Stop kube-apiserver and start it again on the same port and data (for watch tests)."""
        proc = self._processes["kube-apiserver"]
        proc.stop()
        proc.start()
        self._wait_ready(proc, self.host + "/readyz", token=self.token)

    def compact_etcd(self) -> int:
        """Compact etcd's history up to now (as its periodic compaction would); returns the revision.

        With kube-apiserver's watch cache off (``--watch-cache=false``), older resourceVersions and
        continue tokens then get 410 Gone: how tests reach that path without waiting minutes.
        """
        key = base64.b64encode(b"/").decode()
        revision = int(_etcd_call(self.etcd_url, "/v3/kv/range", {"key": key})["header"]["revision"])
        _etcd_call(self.etcd_url, "/v3/kv/compaction", {"revision": str(revision), "physical": True})
        return revision

    def __enter__(self) -> LocalControlPlane:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- processes ------------------------------------------------------------------

    def _start_with_retries(self, start: Callable[[], None]) -> None:
        """Run ``start``; a port taken between choosing and binding it means: choose again."""
        for attempt in range(_PORT_ATTEMPTS):
            try:
                start()
                return
            except StartFailed as error:
                if "address already in use" not in str(error) or attempt == _PORT_ATTEMPTS - 1:
                    raise

    def _start_etcd(self) -> None:
        assert self._binaries is not None
        client, peer = free_port(), free_port()
        data = self.directory / "etcd-data"
        args = [
            str(self._binaries.etcd),
            f"--data-dir={data}",
            f"--listen-client-urls=http://127.0.0.1:{client}",
            f"--advertise-client-urls=http://127.0.0.1:{client}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=default=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ]
        proc = self._launch("etcd", args)
        self._wait_ready(proc, f"http://127.0.0.1:{client}/health")
        self.etcd_url = f"http://127.0.0.1:{client}"

    def _start_apiserver(self) -> None:
        assert self._binaries is not None
        port = free_port()
        key = self.directory / "service-account.key"
        key.write_bytes(ec_private_key_pem())
        tokens = self.directory / "tokens.csv"
        tokens.write_text(f'{self.token},{_ADMIN_USER},{_ADMIN_USER},"system:masters"\n')
        args = [
            str(self._binaries.kube_apiserver),
            f"--etcd-servers={self.etcd_url}",
            f"--cert-dir={self.directory / 'apiserver-certs'}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={port}",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--allow-privileged=true",
            "--authorization-mode=RBAC",
            f"--token-auth-file={tokens}",
            f"--service-account-issuer=https://127.0.0.1:{port}/",
            f"--service-account-key-file={key}",
            f"--service-account-signing-key-file={key}",
            "--disable-admission-plugins=ServiceAccount",
            "--endpoint-reconciler-type=none",
        ]
        self.apiserver_port = port
        proc = self._launch("kube-apiserver", args)
        self._wait_ready(proc, self.host + "/readyz", token=self.token)

    def _start_controller_manager(self) -> None:
        assert self._binaries is not None
        port = free_port()
        args = [
            str(self._binaries.kube_controller_manager),
            f"--kubeconfig={self.kubeconfig}",
            f"--controllers={','.join(self.controllers)}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={self.directory / 'controller-manager-certs'}",
            "--use-service-account-credentials=false",
        ]
        proc = self._launch("kube-controller-manager", args)
        self._wait_ready(proc, f"https://127.0.0.1:{port}/healthz")

    def _launch(self, name: str, args: list[str]) -> _Process:
        old = self._processes.get(name)
        if old is not None:
            old.stop()
        proc = _Process(name, args + self.extra_args.get(name, []), self.directory / f"{name}.log")
        self._processes[name] = proc
        self._say(f"pykorm: starting {name}")
        proc.start()
        return proc

    def _wait_ready(self, proc: _Process, url: str, token: str | None = None) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = "no answer yet"
        while True:
            code = proc.exited()
            if code is not None:
                raise StartFailed(f"{proc.name} exited with code {code} while starting; end of its log:\n{proc.log_tail()}")
            ok, last = _probe(url, token)
            if ok:
                return
            if time.monotonic() > deadline:
                proc.stop()
                raise StartTimeout(
                    f"{proc.name} was not ready after {self.start_timeout:.0f} s ({url}: {last}); "
                    f"end of its log:\n{proc.log_tail()}"
                )
            time.sleep(0.1)

    def _write_kubeconfig(self) -> None:
        ca = self.ca_file.read_bytes()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "pykorm-local",
                    "cluster": {
                        "server": self.host,
                        "certificate-authority-data": base64.b64encode(ca).decode(),
                    },
                }
            ],
            "users": [{"name": _ADMIN_USER, "user": {"token": self.token}}],
            "contexts": [{"name": "pykorm-local", "context": {"cluster": "pykorm-local", "user": _ADMIN_USER}}],
            "current-context": "pykorm-local",
        }
        # JSON is YAML: every kubeconfig reader accepts it.
        self.kubeconfig.write_text(json.dumps(config, indent=2))
        self.kubeconfig.chmod(0o600)

    def _say(self, message: str) -> None:
        if self._log is not None:
            self._log(message)


def _etcd_call(base: str, path: str, body: dict[str, object]) -> dict[str, Any]:
    """One call to etcd's JSON gateway."""
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def _probe(url: str, token: str | None) -> tuple[bool, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # a readiness probe on loopback; clients verify with the CA
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as response:
            body = response.read().decode(errors="replace")
            if url.endswith("/health"):
                return json.loads(body).get("health") == "true", body
            return response.status == 200, body
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return False, str(error)


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGKILL us when the parent dies.

    SIGKILL, not SIGTERM: all three would get the signal at once, and a
    kube-apiserver whose etcd is already gone spends ~30 s in graceful shutdown.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
