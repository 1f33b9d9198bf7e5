"""Find or build the control-plane binaries.

Always etcd, kube-apiserver and kube-controller-manager; for a cluster where
workloads run, also kube-scheduler, the kwok controller and kwok's stage
manifests (how simulated nodes and pods change state).

Binaries come, in this order, from the environment variables envtest users
already set (``TEST_ASSET_*``, ``KUBEBUILDER_ASSETS``), from pykorm's cache
(``$PYKORM_CACHE_DIR`` or ``~/.cache/pykorm``), or from a build with the
machine's Go toolchain. A build makes only what is missing: binaries already
in the cache stay (other processes may be running them). The cache holds a
folder per Kubernetes release (``k8s-v1.37.2``...) side by side, and one for
kwok (``kwok-v0.8.0``), which every release shares.

The Kubernetes binaries come from a throw-away Go module generated in the
cache: it requires ``k8s.io/kubernetes`` at :data:`KUBERNETES_VERSION`,
replaces every staging module named in that release's own ``go.mod`` with its
published ``v0.Y.Z`` and builds the etcd server that release pins, with the
Go that go.mod asks for: the machine's when it is new enough, else
:data:`GO_TOOLCHAIN` from the Go module proxy (``GOTOOLCHAIN``). kwok is its
own module, installed at :data:`KWOK_VERSION` with its own dependencies; its
stage manifests are copied from that module's source.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Mapping, Sequence

from .._base.errors import BinaryNotFound, BuildFailed, GoNotFound
from .._base.versions import GO_TOOLCHAIN, KUBERNETES_RELEASES, KUBERNETES_VERSION, KWOK_VERSION

__all__ = [
    "Binaries",
    "ReleaseModule",
    "CachedRelease",
    "cache_dir",
    "cached_releases",
    "ensure_binaries",
    "find_binaries",
    "go_toolchain_for",
    "kwok_cache_dir",
    "kwok_stages_text",
    "parse_release_gomod",
]

Log = Callable[[str], None]

_ENV_ASSETS = {
    "etcd": "TEST_ASSET_ETCD",
    "kube_apiserver": "TEST_ASSET_KUBE_APISERVER",
    "kube_controller_manager": "TEST_ASSET_KUBE_CONTROLLER_MANAGER",
    "kube_scheduler": "TEST_ASSET_KUBE_SCHEDULER",
    "kwok": "TEST_ASSET_KWOK",
}
_FILE_NAMES = {
    "etcd": "etcd",
    "kube_apiserver": "kube-apiserver",
    "kube_controller_manager": "kube-controller-manager",
    "kube_scheduler": "kube-scheduler",
    "kwok": "kwok",
    "kwok_stages": "kwok-stages.yaml",
}
_CORE = ("etcd", "kube_apiserver", "kube_controller_manager")
_WORKLOADS = ("kube_scheduler", "kwok", "kwok_stages")
_FROM_KWOK = ("kwok", "kwok_stages")  # cached per KWOK_VERSION, not only per Kubernetes version
_STAMP = "pykorm-build.json"

# The stages of kwok's "fast" profile, as kwokctl uses them when node leases are on.
KWOK_STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)


@dataclasses.dataclass(frozen=True)
class Binaries:
    """Paths of the executables a local control plane runs.

    The first three are always needed; the workload ones (kube-scheduler, the kwok
    controller and kwok's stage manifests) only for ``LocalControlPlane(workloads=True)``.
    """

    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path | None = None
    kwok: Path | None = None
    kwok_stages: Path | None = None

    @property
    def workloads(self) -> bool:
        """True when kube-scheduler, kwok and its stages are all there."""
        return None not in (self.kube_scheduler, self.kwok, self.kwok_stages)


@dataclasses.dataclass(frozen=True)
class ReleaseModule:
    """What pykorm needs to know from a Kubernetes release's own ``go.mod``."""

    go_version: str
    godebug: tuple[str, ...]
    staging_modules: tuple[str, ...]
    etcd_version: str


def cache_root() -> Path:
    """pykorm's cache: ``$PYKORM_CACHE_DIR``, else ``$XDG_CACHE_HOME/pykorm`` or ``~/.cache/pykorm``."""
    root = os.environ.get("PYKORM_CACHE_DIR")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pykorm"


def cache_dir(version: str = KUBERNETES_VERSION) -> Path:
    """The folder holding the binaries built for ``version`` (it may not exist yet)."""
    return cache_root() / f"k8s-{version}"


def kwok_cache_dir() -> Path:
    """The folder holding kwok and its stages at :data:`KWOK_VERSION`, shared by every release."""
    return cache_root() / f"kwok-{KWOK_VERSION}"


def find_binaries(
    environ: Mapping[str, str] | None = None, version: str = KUBERNETES_VERSION, *, workloads: bool = False
) -> Binaries | None:
    """Ready binaries from the environment or the cache, or None when a build is needed.

    With ``workloads``, kube-scheduler, kwok and kwok's stages must be there too.

    Raises:
        BinaryNotFound: an environment variable names a binary that does not exist.
    """
    paths = _located(os.environ if environ is None else environ, version)
    needed = _CORE + (_WORKLOADS if workloads else ())
    if any(field not in paths for field in needed):
        return None
    return Binaries(**{field: paths[field] for field in needed})


def ensure_binaries(version: str = KUBERNETES_VERSION, log: Log | None = None, *, workloads: bool = False) -> Binaries:
    """Binaries for ``version``: found ready, or the missing ones built into the cache with Go.

    Concurrent callers (several pytest workers) build once: the others wait.

    Raises:
        GoNotFound: a build is needed and no usable Go toolchain is installed.
        BuildFailed: ``go`` failed; the message quotes the end of its log.
    """
    say = log or _stderr
    found = find_binaries(version=version, workloads=workloads)
    if found is not None:
        return found
    needed = _CORE + (_WORKLOADS if workloads else ())
    for folder, fields in ((cache_dir(version), [f for f in needed if f not in _FROM_KWOK]),
                           (kwok_cache_dir(), [f for f in needed if f in _FROM_KWOK])):
        if not fields:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder / ".lock"):
            missing = [field for field in fields if field not in _located(os.environ, version)]
            if missing:
                _build(version, folder, missing, say)
    found = find_binaries(version=version, workloads=workloads)
    assert found is not None, "a finished build left the cache incomplete"
    return found


@dataclasses.dataclass(frozen=True)
class CachedRelease:
    """What the cache holds for one Kubernetes release (or, with ``version`` ``kwok-vX``, for kwok)."""

    version: str
    folder: Path
    files: tuple[str, ...]
    """The complete binaries (file names) the folder holds."""
    etcd: str | None = None
    go: str | None = None


def cached_releases() -> list[CachedRelease]:
    """Each release folder of the cache with something built in it, oldest release first, then kwok's folder.

    Folders of releases pykorm no longer pins are listed too: the cache is never pruned behind the user's back.
    """
    found = []
    root = cache_root()
    folders = sorted(root.glob("k8s-v*"), key=lambda p: _go_number(p.name.removeprefix("k8s-")))
    for folder in [*folders, kwok_cache_dir()]:
        bin_dir = folder / "bin"
        key = _stamp_key(bin_dir, folder.name.removeprefix("k8s-"))
        files = tuple(_FILE_NAMES[field] for field in _cached(bin_dir, key))
        if not files:
            continue
        stamp = json.loads((bin_dir / _STAMP).read_text())
        found.append(CachedRelease(key, folder, files, stamp.get("etcd"), stamp.get("go")))
    return found


def _located(env: Mapping[str, str], version: str) -> dict[str, Path]:
    """Each asset the environment or the cache has ready, by field name."""
    assets_dir = env.get("KUBEBUILDER_ASSETS")
    paths: dict[str, Path] = {}
    for field, var in _ENV_ASSETS.items():
        if env.get(var):
            paths[field] = Path(env[var])
        elif assets_dir and (field in _CORE or os.access(Path(assets_dir) / _FILE_NAMES[field], os.X_OK)):
            paths[field] = Path(assets_dir) / _FILE_NAMES[field]  # envtest's folders hold no kube-scheduler
    for field, path in paths.items():
        if not os.access(path, os.X_OK):
            source = _ENV_ASSETS[field] if env.get(_ENV_ASSETS[field]) else "KUBEBUILDER_ASSETS"
            raise BinaryNotFound(
                f"{source} points to {path}, which is not an executable file; "
                f"fix the variable or unset it to let pykorm build {_FILE_NAMES[field]}"
            )
    bin_dir = cache_dir(version) / "bin"
    for field in _cached(bin_dir, version):
        paths.setdefault(field, bin_dir / _FILE_NAMES[field])  # kwok too, where a build before kwok's folder put it
    kwok_bin = kwok_cache_dir() / "bin"
    for field in _cached(kwok_bin, _stamp_key(kwok_bin, version)):
        if field in _FROM_KWOK:
            paths.setdefault(field, kwok_bin / _FILE_NAMES[field])
    return paths


def _stamp_key(bin_dir: Path, version: str) -> str:
    """What a folder's stamp records as its version: the release's, or kwok's for kwok's own folder."""
    return f"kwok-{KWOK_VERSION}" if bin_dir.parent == kwok_cache_dir() else version


def parse_release_gomod(text: str) -> ReleaseModule:
    """Read the go directive, godebug lines, staging replaces and etcd pin from a release's go.mod."""
    go = re.search(r"^go\s+(\S+)", text, re.M)
    etcd = re.search(r"^\s*go\.etcd\.io/etcd/server/v3\s+(v\S+)", text, re.M)
    if go is None or etcd is None:
        raise BuildFailed("the Kubernetes release's go.mod has no go directive or no etcd server requirement")
    godebug = tuple(m.group(1) for m in re.finditer(r"^godebug\s+(.+)$", text, re.M))
    staging = tuple(
        sorted(m.group(1) for m in re.finditer(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/", text, re.M))
    )
    if not staging:
        raise BuildFailed("the Kubernetes release's go.mod replaces no staging module; is it a release go.mod?")
    return ReleaseModule(go.group(1), godebug, staging, etcd.group(1))


def wrapper_gomod(version: str, release: ReleaseModule) -> str:
    """The go.mod of the module that builds the control plane for ``version``."""
    minor = "v0." + version.split(".", 1)[1]
    lines = ["module pykorm.local/controlplane", "", f"go {release.go_version}", ""]
    lines += [f"godebug {g}" for g in release.godebug]
    lines += [
        "",
        "require (",
        f"\tk8s.io/kubernetes {version}",
        f"\tgo.etcd.io/etcd/server/v3 {release.etcd_version}",
        ")",
        "",
        "replace (",
    ]
    lines += [f"\t{m} => {m} {minor}" for m in release.staging_modules]
    lines += [")", ""]
    return "\n".join(lines)


_TARGETS = {
    "kube_apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
    "kube_controller_manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
    "kube_scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
    "etcd": "go.etcd.io/etcd/server/v3",
}


def _build(version: str, folder: Path, fields: Sequence[str], say: Log) -> None:
    """Build the assets named by ``fields`` and add them to ``folder/bin``, leaving the others alone."""
    go = _go_toolchain()
    log_path = folder / "build.log"
    started = time.monotonic()
    names = ", ".join(_FILE_NAMES[f] for f in fields)
    what = f"kwok {KWOK_VERSION}" if set(fields) <= set(_FROM_KWOK) else f"Kubernetes {version}"
    say(f"pykorm: building {names} for {what} with {go} (log: {log_path})")
    bin_dir, staging = folder / "bin", folder / "bin.partial"
    bin_dir.mkdir(exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    with open(log_path, "a") as log:
        builder = _Builder(go, version, folder, staging, log, log_path, say)
        for field in sorted(fields, key=list(_FILE_NAMES).index):  # the Kubernetes ones first: kwok is optional
            began = time.monotonic()
            builder.make(field)
            os.replace(staging / _FILE_NAMES[field], bin_dir / _FILE_NAMES[field])
            _stamp(bin_dir, _stamp_key(bin_dir, version), builder.release, builder.go_version, field)
            say(f"pykorm: {_FILE_NAMES[field]} ready in {time.monotonic() - began:.0f} s")
    shutil.rmtree(staging, ignore_errors=True)
    say(f"pykorm: built {names} in {time.monotonic() - started:.0f} s into {bin_dir}")


@dataclasses.dataclass
class _Builder:
    """Makes one asset at a time into ``staging`` with the Go toolchain ``go``."""

    go: str
    version: str
    folder: Path
    staging: Path
    log: IO[str]
    log_path: Path
    say: Log
    release: ReleaseModule | None = None
    toolchain: str = "local"  # GOTOOLCHAIN: the machine's Go, or the one a module's go.mod needs

    @property
    def go_version(self) -> str:
        return self.toolchain if self.toolchain != "local" else _go_version(self.go)

    def make(self, field: str) -> None:
        if field == "kwok":
            self.say(f"pykorm: compiling kwok {KWOK_VERSION} (about 3 minutes on 2 cores)")
            module = self._download(f"sigs.k8s.io/kwok@{KWOK_VERSION}")
            self._use_go(parse_go_directive(Path(module["GoMod"]).read_text()), f"sigs.k8s.io/kwok {KWOK_VERSION}")
            env = {**self._env(), "GOBIN": str(self.staging), "GOFLAGS": ""}  # outside any module: no -mod
            self._go(["install", "-trimpath", "-ldflags", "-s -w", f"sigs.k8s.io/kwok/cmd/kwok@{KWOK_VERSION}"],
                     self.folder, env)
        elif field == "kwok_stages":
            self.say(f"pykorm: copying the stage manifests of sigs.k8s.io/kwok@{KWOK_VERSION}")
            source = Path(self._download(f"sigs.k8s.io/kwok@{KWOK_VERSION}")["Dir"])
            (self.staging / _FILE_NAMES[field]).write_text(kwok_stages_text(source))
        else:
            self._compile(field)

    def _compile(self, field: str) -> None:
        src = self.folder / "src"
        if self.release is None:
            module = self._download(f"k8s.io/kubernetes@{self.version}")
            self.release = parse_release_gomod(Path(module["GoMod"]).read_text())
            self._use_go(self.release.go_version, f"Kubernetes {self.version}")
            (src / "go.mod").write_text(wrapper_gomod(self.version, self.release))
        major, minor = self.version.lstrip("v").split(".")[:2]
        prefix = "k8s.io/component-base/version"
        ldflags = f"-s -w -X {prefix}.gitVersion={self.version} -X {prefix}.gitMajor={major} -X {prefix}.gitMinor={minor}"
        name = _FILE_NAMES[field]
        self.say(f"pykorm: compiling {name} (a cold build of kube-apiserver takes 10-25 minutes on 2 cores)")
        self._go(["build", "-trimpath", "-ldflags", ldflags, "-o", str(self.staging / name), _TARGETS[field]], src)

    def _download(self, module: str) -> dict[str, Any]:
        """``go mod download`` one module (from a probe module in ``src``); its JSON description.

        The wrapper's go.mod and go.sum are put back afterwards: its next build needs no new checksums.
        """
        src = self.folder / "src"
        src.mkdir(parents=True, exist_ok=True)
        kept = {path: path.read_bytes() for path in (src / "go.mod", src / "go.sum") if path.exists()}
        (src / "go.mod").write_text("module pykorm.local/probe\n\ngo 1.21\n")
        (src / "go.sum").unlink(missing_ok=True)
        try:
            answer: dict[str, Any] = json.loads(self._go(["mod", "download", "-json", module], src))
        finally:
            for path, content in kept.items():
                path.write_bytes(content)
        return answer

    def _use_go(self, required: str, what: str) -> None:
        """Build with a Go of at least ``required`` (a go.mod's go directive), fetching one when the machine's is older."""
        toolchain = go_toolchain_for(required, _go_version(self.go))
        if toolchain != "local" and toolchain != self.toolchain:
            self.say(f"pykorm: {what} needs Go {required}, newer than the machine's {_go_version(self.go)}: "
                     f"building with GOTOOLCHAIN={toolchain} (fetched once from the Go module proxy)")
        self.toolchain = toolchain

    def _env(self) -> dict[str, str]:
        return {**os.environ, "GOTOOLCHAIN": self.toolchain, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}

    def _go(self, args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
        return _run([self.go, *args], cwd, env or self._env(), self.log, self.log_path)


def parse_go_directive(gomod: str) -> str:
    """The Go version a go.mod asks for (``1.26.0``); ``1.21`` when it says none (Go's own default is older)."""
    found = re.search(r"^go\s+(\S+)", gomod, re.M)
    return found.group(1) if found else "1.21"


def go_toolchain_for(required: str, machine: str) -> str:
    """``GOTOOLCHAIN`` for a module that needs Go ``required`` (``"1.27.0"``) on a machine with ``machine``
    (``"go1.26.8"``): ``"local"`` when the machine's is new enough, else :data:`GO_TOOLCHAIN`.

    Raises:
        BuildFailed: even :data:`GO_TOOLCHAIN` is older than ``required``.
    """
    if _go_number(required) <= _go_number(machine):
        return "local"
    if _go_number(required) <= _go_number(GO_TOOLCHAIN):
        return GO_TOOLCHAIN
    raise BuildFailed(f"the module needs Go {required}, newer than the machine's {machine} and than {GO_TOOLCHAIN}, "
                      "the toolchain pykorm knows to ask the Go module proxy for; install a newer Go")


def _go_number(version: str) -> tuple[int, ...]:
    """``go1.26.8`` / ``1.27`` / ``1.27rc1`` as comparable numbers (a pre-release counts as its release's .0)."""
    parts = re.findall(r"\d+", re.sub(r"(rc|beta)\d*$", "", version.removeprefix("go")))[:3]
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))


def kwok_stages_text(kwok_source: Path) -> str:
    """kwok's fast stages from its module source, as one multi-document YAML file that keeps their origin."""
    header = (
        f"# The stages of sigs.k8s.io/kwok {KWOK_VERSION} (https://github.com/kubernetes-sigs/kwok),\n"
        "# Copyright The Kubernetes Authors, licensed under the Apache License, Version 2.0\n"
        "# (http://www.apache.org/licenses/LICENSE-2.0). Copied unchanged by pykorm from:\n"
    )
    documents = []
    for relative in KWOK_STAGES:
        path = kwok_source / relative
        try:
            documents.append(f"# {relative}\n" + path.read_text().strip() + "\n")
        except OSError as error:
            raise BuildFailed(f"kwok's module has no stage manifest {relative} ({error})") from error
    return header + "---\n".join(documents)


def _stamp(bin_dir: Path, version: str, release: ReleaseModule | None, go_version: str, field: str) -> None:
    """Record ``field`` as built in the cache's stamp (replaced atomically: others read it meanwhile)."""
    try:
        stamp = json.loads((bin_dir / _STAMP).read_text())
    except (OSError, ValueError):
        stamp = {}
    if stamp.get("version") != version:
        stamp = {"version": version, "sizes": {}}
    stamp.setdefault("sizes", {})[_FILE_NAMES[field]] = (bin_dir / _FILE_NAMES[field]).stat().st_size
    if release is not None and field == "etcd":
        stamp["etcd"] = release.etcd_version
    if field in _FROM_KWOK:
        stamp["kwok"] = KWOK_VERSION
    stamp["go"] = go_version
    partial = bin_dir / f".{_STAMP}.{os.getpid()}.partial"
    partial.write_text(json.dumps(stamp))
    os.replace(partial, bin_dir / _STAMP)


def _cached(bin_dir: Path, version: str) -> list[str]:
    """The fields whose asset the cache holds, complete, for ``version``."""
    try:
        stamp = json.loads((bin_dir / _STAMP).read_text())
    except (OSError, ValueError):
        return []
    if stamp.get("version") != version:
        return []
    sizes = stamp.get("sizes") or {}
    found = []
    for field, name in _FILE_NAMES.items():
        path = bin_dir / name
        if name not in sizes and field not in _CORE:
            continue  # never built here (a stamp written before workloads existed lists only the core three)
        if field in _FROM_KWOK and stamp.get("kwok") != KWOK_VERSION:
            continue
        # A missing, non-executable or truncated binary (an interrupted copy, a full disk) means: rebuild.
        usable = os.access(path, os.R_OK if field == "kwok_stages" else os.X_OK)
        if usable and (name not in sizes or path.stat().st_size == sizes[name]):
            found.append(field)
    return found


def _go_toolchain() -> str:
    go = os.environ.get("PYKORM_GO") or shutil.which("go")
    if not go:
        raise GoNotFound(
            "building the local control plane needs the Go toolchain (go 1.26 or newer), and `go` is not on PATH. "
            "Install it (https://go.dev/doc/install, or your package manager's golang package), "
            "or point KUBEBUILDER_ASSETS at ready binaries (setup-envtest use -p path)."
        )
    return go


def _go_version(go: str) -> str:
    return subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False).stdout.strip()


def _run(cmd: list[str], cwd: Path, env: Mapping[str, str], log: IO[str], log_path: Path) -> str:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.run(cmd, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=log, text=True, check=False)
    log.write(proc.stdout[-4000:] + "\n")
    log.flush()
    if proc.returncode != 0:
        tail = "\n".join(log_path.read_text().splitlines()[-25:])
        raise BuildFailed(f"`{' '.join(cmd[:3])} ...` failed with exit code {proc.returncode}; end of {log_path}:\n{tail}")
    return proc.stdout


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
