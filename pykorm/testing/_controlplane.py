"""A local Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager on loopback.

Like controller-runtime's envtest, with kube-controller-manager added so that
garbage collection (owner references) and namespace deletion complete. With
``workloads=True`` it is a small cluster where workloads run, wired the way
``kwokctl --runtime binary`` wires one: every default controller, kube-scheduler,
and the kwok controller simulating the kubelets of N fake nodes.

    >>> with LocalControlPlane(workloads=True, nodes=2) as cp:
    ...     print(cp.kubeconfig)
"""

from __future__ import annotations

import atexit
import base64
import json
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

from ._errors import BinaryNotFound, StartFailed, StartTimeout
from ._flags import (
    ADMIN_USER, apiserver_args, component_flags, controller_manager_flags, etcd_args, kubeconfig_document, kwok_args,
)
from .._base.versions import kubernetes_release
from ._binaries import Binaries, ensure_binaries
from ._keys import ec_private_key_pem
from ._kwok import NODE_LABEL, cri_log_line, kwok_configuration, node_is_ready, node_manifest
from ._loopback import api_call, etcd_call, probe
from ._process import Process, free_port

__all__ = ["LocalControlPlane"]

_BARE_CONTROLLERS = ("garbagecollector", "namespace")
_STOP_ORDER = ("kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd")
_POD_LOG_GREETING = "pykorm: this container is simulated by kwok; nothing runs, so this is the log of every container"
_PORT_ATTEMPTS = 3
_DRAINED = 'name="InFlightRequestsDrained"'  # kube-apiserver's log, at --vmodule=genericapiserver=1


class LocalControlPlane:
    """etcd, kube-apiserver and kube-controller-manager running on loopback ports; maybe a cluster.

    ``start()`` builds or finds the binaries, starts the processes in a new
    temporary directory, waits until each is ready and writes a kubeconfig with
    an admin credential (group ``system:masters``). ``stop()`` ends every process
    and removes the directory; it runs at interpreter exit too, and the processes
    die with the Python process even when that is killed (Linux).

    With ``workloads=True``, kube-controller-manager runs its default controllers
    (deployment, replicaset, job, cronjob, statefulset, daemonset, endpointslice,
    serviceaccount, pod and node lifecycle...), kube-scheduler places pods, and the
    kwok controller plays the kubelet of ``nodes`` fake nodes (``pykorm-node-0``...,
    label ``pykorm.io/simulated-node=true``): pods get an IP and turn Running and
    Ready, pods of Jobs complete, and ``pods/NAME/log`` answers with :attr:`pod_log`.
    No container runs.

    Args:
        binaries: ready binaries; found or built (:func:`ensure_binaries`) when omitted.
        kubernetes_version: the Kubernetes release to run: a minor (``"1.35"``, its newest known
            patch) or a release (``"v1.35.4"``) of :data:`pykorm.testing.KUBERNETES_RELEASES`;
            :data:`pykorm.KUBERNETES_VERSION` (the newest) when omitted. Given, it is checked:
            binaries from the environment or ``binaries`` that serve another version fail to start.
        start_timeout: seconds each process may take to become ready.
        workloads: also run kube-scheduler and kwok, and create the nodes.
        nodes: how many fake nodes to create (with ``workloads``; 1 by default).
        controllers: the kube-controller-manager controllers to run; by default
            ``*`` (its default set) with workloads, else only the garbage collector and
            the namespace controller.
        extra_args: more flags per process name (``"etcd"``, ``"kube-apiserver"``,
            ``"kube-controller-manager"``, ``"kube-scheduler"``, ``"kwok"``),
            e.g. ``{"kube-apiserver": ["--watch-cache=false"]}``.
        log: where progress lines go (stderr by default).

    Attributes:
        kubernetes_version: the release asked for (``vX.Y.Z``).
        server_version: the ``gitVersion`` the started kube-apiserver's ``/version`` reports.
    """

    def __init__(
        self,
        binaries: Binaries | None = None,
        *,
        kubernetes_version: str | None = None,
        start_timeout: float = 60.0,
        workloads: bool = False,
        nodes: int | None = None,
        controllers: Sequence[str] | None = None,
        extra_args: Mapping[str, Sequence[str]] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if nodes is not None and (nodes < 0 or not workloads):
            raise ValueError(f"nodes={nodes}: fake nodes need workloads=True, and cannot be fewer than 0")
        if isinstance(controllers, str):
            raise TypeError("controllers is a sequence of names, such as ['deployment', 'replicaset']")
        self.kubernetes_version = kubernetes_release(kubernetes_version)  # vX.Y.Z; server_version: what /version says
        self._version_asked = kubernetes_version is not None
        self.server_version = ""
        self._binaries = binaries
        self.extra_args = {name: list(args) for name, args in (extra_args or {}).items()}
        self.start_timeout = start_timeout
        self.workloads = workloads
        self.nodes = (1 if nodes is None else nodes) if workloads else 0
        if controllers is None:
            controllers = ("*",) if workloads else _BARE_CONTROLLERS
        self.controllers = tuple(controllers)
        self._log = log
        self._dir: Path | None = None
        self._processes: dict[str, Process] = {}
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
    def node_names(self) -> list[str]:
        """The names of the fake nodes created at start (none without workloads)."""
        return [f"pykorm-node-{i}" for i in range(self.nodes)]

    @property
    def pod_log(self) -> Path:
        """The log every simulated container has (CRI format); :meth:`append_pod_log` adds to it."""
        return self.directory / "pod.log"

    def append_pod_log(self, text: str, stream: str = "stdout") -> None:
        """Add lines to the log that ``pods/NAME/log`` answers for every container.

        >>> control_plane.append_pod_log("ERROR: the database is gone")
        """
        with open(self.pod_log, "a") as log:
            log.writelines(cri_log_line(line, stream) for line in text.splitlines())

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
        binaries = self._binaries or ensure_binaries(self.kubernetes_version, log=self._log, workloads=self.workloads)
        if self.workloads and not binaries.workloads:
            raise BinaryNotFound(
                "workloads=True needs kube-scheduler, kwok and kwok's stages, and the binaries given lack them; "
                "pass binaries from ensure_binaries(workloads=True)"
            )
        self._binaries = binaries
        started = time.monotonic()
        self._dir = Path(tempfile.mkdtemp(prefix="pykorm-cp-"))
        atexit.register(self.stop)
        try:
            self._start_with_retries(self._start_etcd)
            self._start_with_retries(self._start_apiserver)
            self._check_version()
            self._write_kubeconfig()
            components = [self._launch_controller_manager]
            if self.workloads:
                components += [self._launch_scheduler, self._launch_kwok]
            self._start_together(components)
            if self.nodes:
                self._create_nodes()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _check_version(self) -> None:
        """Read the server's ``/version``; when a release was asked for, it must be that one."""
        self.server_version = str(api_call(self.host, self.token, "GET", "/version").get("gitVersion", ""))
        if self._version_asked and self.server_version != self.kubernetes_version:
            assert self._binaries is not None
            raise StartFailed(
                f"asked for Kubernetes {self.kubernetes_version}, but {self._binaries.kube_apiserver} serves "
                f"{self.server_version or 'no version'}: binaries from KUBEBUILDER_ASSETS or TEST_ASSET_* (or given "
                "as binaries=) are used as they are; unset those to let pykorm build the release asked for"
            )

    def stop(self) -> None:
        """Stop every process (kwok and the controllers first, etcd last) and delete the directory."""
        for name in _STOP_ORDER:
            proc = self._processes.get(name)
            if proc is not None:
                self._stop_process(proc)
        self._processes.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        atexit.unregister(self.stop)

    def restart_apiserver(self) -> None:
        """Restart kube-apiserver gracefully on the same port and data, as a rolling restart does; wait until ready.

        New connections are refused at once (clients retry), requests in flight finish and every
        watch ends (its client resumes it); the new process serves about a second later and is
        ready about a second after that: an outage shorter than a Lease's renew deadline.
        """
        proc = self._processes["kube-apiserver"]
        self._stop_process(proc)
        proc.start()
        self._wait_ready(proc, self.host + "/readyz", token=self.token)

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver (its port refuses connections) until :meth:`start_apiserver`: an outage, for tests."""
        self._stop_process(self._processes["kube-apiserver"])

    def start_apiserver(self) -> None:
        """Start a stopped kube-apiserver again on the same port and data, and wait until it is ready.

        Call it from a thread that outlives the control plane (the test's own, not a ``threading.Timer``):
        the processes die with the thread that started them (Linux's parent-death signal is per thread).
        """
        proc = self._processes["kube-apiserver"]
        if proc.exited() is None:
            return
        proc.start()
        self._wait_ready(proc, self.host + "/readyz", token=self.token)

    def compact_etcd(self) -> int:
        """Compact etcd's history up to now (as its periodic compaction would); returns the revision.

        With kube-apiserver's watch cache off (``--watch-cache=false``), older resourceVersions and
        continue tokens then get 410 Gone: how tests reach that path without waiting minutes.
        """
        key = base64.b64encode(b"/").decode()
        revision = int(etcd_call(self.etcd_url, "/v3/kv/range", {"key": key})["header"]["revision"])
        etcd_call(self.etcd_url, "/v3/kv/compaction", {"revision": str(revision), "physical": True})
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
        proc = self._launch("etcd", etcd_args(self._binaries.etcd, data, client, peer))
        self._wait_ready(proc, f"http://127.0.0.1:{client}/health")
        self.etcd_url = f"http://127.0.0.1:{client}"

    def _start_apiserver(self) -> None:
        assert self._binaries is not None
        port = free_port()
        key = self.directory / "service-account.key"
        key.write_bytes(ec_private_key_pem())
        tokens = self.directory / "tokens.csv"
        tokens.write_text(f'{self.token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
        args = apiserver_args(self._binaries.kube_apiserver, self.etcd_url, self.directory / "apiserver-certs", port, tokens, key)
        self.apiserver_port = port
        proc = self._launch("kube-apiserver", args)
        self._wait_ready(proc, self.host + "/readyz", token=self.token)

    def _start_together(self, launches: Sequence[Callable[[], tuple[Process, str]]]) -> None:
        """Launch the processes at once, then wait for each; one whose port was taken is started again alone."""
        pending = [(launch, *launch()) for launch in launches]
        for launch, proc, url in pending:
            try:
                self._wait_ready(proc, url)
            except StartFailed as error:
                if "address already in use" not in str(error):
                    raise
                self._start_with_retries(lambda: self._wait_ready(*launch()))

    def _launch_controller_manager(self) -> tuple[Process, str]:
        assert self._binaries is not None
        port = free_port()
        args = [str(self._binaries.kube_controller_manager),
                *component_flags(self.kubeconfig, self.directory, "kube-controller-manager", port),
                *controller_manager_flags(self.controllers, self.directory / "service-account.key", self.ca_file)]
        return self._launch("kube-controller-manager", args), f"https://127.0.0.1:{port}/healthz"

    def _launch_scheduler(self) -> tuple[Process, str]:
        assert self._binaries is not None and self._binaries.kube_scheduler is not None
        port = free_port()
        args = [str(self._binaries.kube_scheduler), *component_flags(self.kubeconfig, self.directory, "kube-scheduler", port)]
        return self._launch("kube-scheduler", args), f"https://127.0.0.1:{port}/healthz"

    def _launch_kwok(self) -> tuple[Process, str]:
        """kwok manages every node; its kubelet-like server (logs) listens where the nodes say it does."""
        assert self._binaries is not None and self._binaries.kwok is not None and self._binaries.kwok_stages is not None
        port = free_port()
        config = self.directory / "kwok.yaml"
        config.write_text(kwok_configuration(self._binaries.kwok_stages, self.pod_log, self.directory))
        if not self.pod_log.exists():
            self.append_pod_log(_POD_LOG_GREETING)
        args = kwok_args(self._binaries.kwok, self.kubeconfig, config, port, self.directory / "apiserver-certs")
        return self._launch("kwok", args), f"http://127.0.0.1:{port}/healthz"

    def _create_nodes(self) -> None:
        """Create the fake nodes and wait until kwok has made each Ready."""
        for name in self.node_names:
            api_call(self.host, self.token, "POST", "/api/v1/nodes", node_manifest(name))
        deadline = time.monotonic() + self.start_timeout
        while True:
            listed = api_call(self.host, self.token, "GET", f"/api/v1/nodes?labelSelector={NODE_LABEL}%3Dtrue")
            ready = {item["metadata"]["name"] for item in listed["items"] if node_is_ready(item)}
            if ready >= set(self.node_names):
                return
            if time.monotonic() > deadline:
                raise StartTimeout(
                    f"kwok did not make the nodes Ready within {self.start_timeout:.0f} s "
                    f"(ready: {sorted(ready)}); end of its log:\n{self._processes['kwok'].log_tail()}"
                )
            time.sleep(0.1)

    def _stop_process(self, proc: Process) -> None:
        """Stop ``proc``; kube-apiserver is killed once its log says every request has drained.

        What its graceful shutdown does after that is for the process only (Go's HTTP/2 server
        gives each client a second to hang up after GOAWAY), and would delay the restart. Without
        that line (``extra_args`` that change its logging) it gets the usual 10 s.
        """
        if proc.name == "kube-apiserver":
            start = proc.log_size()
            proc.stop(done=lambda: _DRAINED in proc.log_since(start))
        else:
            proc.stop()

    def _launch(self, name: str, args: list[str]) -> Process:
        old = self._processes.get(name)
        if old is not None:
            self._stop_process(old)
        proc = Process(name, args + self.extra_args.get(name, []), self.directory / f"{name}.log")
        self._processes[name] = proc
        self._say(f"pykorm: starting {name}")
        proc.start()
        return proc

    def _wait_ready(self, proc: Process, url: str, token: str | None = None) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = "no answer yet"
        while True:
            code = proc.exited()
            if code is not None:
                raise StartFailed(f"{proc.name} exited with code {code} while starting; end of its log:\n{proc.log_tail()}")
            ok, last = probe(url, token)
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
        # JSON is YAML: every kubeconfig reader accepts it.
        self.kubeconfig.write_text(json.dumps(kubeconfig_document(self.host, self.ca_file.read_bytes(), self.token), indent=2))
        self.kubeconfig.chmod(0o600)

    def _say(self, message: str) -> None:
        if self._log is not None:
            self._log(message)
