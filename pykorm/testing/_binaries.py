"""Find or build the control-plane binaries: etcd, kube-apiserver, kube-controller-manager.

Binaries come, in this order, from the environment variables envtest users
already set (``TEST_ASSET_*``, ``KUBEBUILDER_ASSETS``), from pykorm's cache
(``$PYKORM_CACHE_DIR`` or ``~/.cache/pykorm``), or from a build with the
machine's Go toolchain.

The build is a throw-away Go module generated in the cache: it requires
``k8s.io/kubernetes`` at :data:`KUBERNETES_VERSION`, replaces every staging
module named in that release's own ``go.mod`` with its published ``v0.Y.Z``
and builds the etcd server that release pins.
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
from typing import IO, Callable, Iterator, Mapping

from .._errors import BinaryNotFound, BuildFailed, GoNotFound
from .._versions import KUBERNETES_VERSION

__all__ = ["Binaries", "ReleaseModule", "cache_dir", "ensure_binaries", "find_binaries", "parse_release_gomod"]

Log = Callable[[str], None]

_ENV_ASSETS = {
    "etcd": "TEST_ASSET_ETCD",
    "kube_apiserver": "TEST_ASSET_KUBE_APISERVER",
    "kube_controller_manager": "TEST_ASSET_KUBE_CONTROLLER_MANAGER",
}
_FILE_NAMES = {
    "etcd": "etcd",
    "kube_apiserver": "kube-apiserver",
    "kube_controller_manager": "kube-controller-manager",
}
_STAMP = "pykorm-build.json"


@dataclasses.dataclass(frozen=True)
class Binaries:
    """Paths of the three executables a local control plane runs."""

    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path


@dataclasses.dataclass(frozen=True)
class ReleaseModule:
    """What pykorm needs to know from a Kubernetes release's own ``go.mod``."""

    go_version: str
    godebug: tuple[str, ...]
    staging_modules: tuple[str, ...]
    etcd_version: str


def cache_dir(version: str = KUBERNETES_VERSION) -> Path:
    """The folder holding the binaries built for ``version`` (it may not exist yet)."""
    root = os.environ.get("PYKORM_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pykorm"
    return base / f"k8s-{version}"


def find_binaries(environ: Mapping[str, str] | None = None, version: str = KUBERNETES_VERSION) -> Binaries | None:
    """Ready binaries from the environment or the cache, or None when a build is needed.

    Raises:
        BinaryNotFound: an environment variable names a binary that does not exist.
    """
    env = os.environ if environ is None else environ
    assets_dir = env.get("KUBEBUILDER_ASSETS")
    paths: dict[str, Path] = {}
    for field, var in _ENV_ASSETS.items():
        if env.get(var):
            paths[field] = Path(env[var])
        elif assets_dir:
            paths[field] = Path(assets_dir) / _FILE_NAMES[field]
    for field, path in paths.items():
        if not os.access(path, os.X_OK):
            source = _ENV_ASSETS[field] if env.get(_ENV_ASSETS[field]) else "KUBEBUILDER_ASSETS"
            raise BinaryNotFound(
                f"{source} points to {path}, which is not an executable file; "
                f"fix the variable or unset it to let pykorm build {_FILE_NAMES[field]}"
            )
    bin_dir = cache_dir(version) / "bin"
    if len(paths) < len(_FILE_NAMES) and _cache_is_complete(bin_dir, version):
        for field, name in _FILE_NAMES.items():
            paths.setdefault(field, bin_dir / name)
    if len(paths) < len(_FILE_NAMES):
        return None
    return Binaries(**paths)


def ensure_binaries(version: str = KUBERNETES_VERSION, log: Log | None = None) -> Binaries:
    """Binaries for ``version``: found ready, or built into the cache with Go.

    Concurrent callers (several pytest workers) build once: the others wait.

    Raises:
        GoNotFound: a build is needed and no usable Go toolchain is installed.
        BuildFailed: ``go`` failed; the message quotes the end of its log.
    """
    say = log or _stderr
    found = find_binaries(version=version)
    if found is not None:
        return found
    folder = cache_dir(version)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / ".lock"):
        found = find_binaries(version=version)
        if found is not None:
            return found
        _build(version, folder, say)
    found = find_binaries(version=version)
    assert found is not None, "a finished build left the cache incomplete"
    return found


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
    "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
    "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
    "etcd": "go.etcd.io/etcd/server/v3",
}


def _build(version: str, folder: Path, say: Log) -> None:
    go = _go_toolchain()
    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    log_path = folder / "build.log"
    env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    started = time.monotonic()
    say(f"pykorm: building Kubernetes {version} control plane with {go} (log: {log_path})")
    with open(log_path, "w") as log:
        (src / "go.mod").write_text("module pykorm.local/probe\n\ngo 1.21\n")
        (src / "go.sum").unlink(missing_ok=True)
        say("pykorm: downloading the k8s.io/kubernetes module")
        out = _run([go, "mod", "download", "-json", f"k8s.io/kubernetes@{version}"], src, env, log, log_path)
        release = parse_release_gomod(Path(json.loads(out)["GoMod"]).read_text())
        (src / "go.mod").write_text(wrapper_gomod(version, release))
        bin_dir = folder / "bin"
        staging = folder / "bin.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        major, minor = version.lstrip("v").split(".")[:2]
        prefix = "k8s.io/component-base/version"
        ldflags = f"-s -w -X {prefix}.gitVersion={version} -X {prefix}.gitMajor={major} -X {prefix}.gitMinor={minor}"
        for name, package in _TARGETS.items():
            say(f"pykorm: compiling {name} (a cold build takes 10-25 minutes on 2 cores)")
            _run(
                [go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(staging / name), package],
                src, env, log, log_path,
            )
        sizes = {name: (staging / name).stat().st_size for name in _FILE_NAMES.values()}
        stamp = {"version": version, "etcd": release.etcd_version, "go": _go_version(go), "sizes": sizes}
        (staging / _STAMP).write_text(json.dumps(stamp))
        shutil.rmtree(bin_dir, ignore_errors=True)
        staging.rename(bin_dir)
    say(f"pykorm: control plane built in {time.monotonic() - started:.0f} s into {bin_dir}")


def _cache_is_complete(bin_dir: Path, version: str) -> bool:
    try:
        stamp = json.loads((bin_dir / _STAMP).read_text())
    except (OSError, ValueError):
        return False
    if stamp.get("version") != version:
        return False
    sizes = stamp.get("sizes") or {}
    for name in _FILE_NAMES.values():
        path = bin_dir / name
        # A missing, non-executable or truncated binary (an interrupted copy, a full disk) means: rebuild.
        if not os.access(path, os.X_OK) or (name in sizes and path.stat().st_size != sizes[name]):
            return False
    return True


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
