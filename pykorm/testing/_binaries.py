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

How a missing asset is built with Go is :mod:`._gobuild`'s; this module finds, caches (a stamp per
folder records what is complete) and locks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from ._errors import BinaryNotFound
from ._gobuild import FILE_NAMES as _FILE_NAMES, Builder, Log, ReleaseModule, go_number, go_toolchain
from .._base.versions import KUBERNETES_VERSION, KWOK_VERSION

__all__ = ["Binaries", "CachedRelease", "cache_dir", "cache_root", "cached_releases", "ensure_binaries", "find_binaries",
           "kwok_cache_dir"]



_ENV_ASSETS = {
    "etcd": "TEST_ASSET_ETCD",
    "kube_apiserver": "TEST_ASSET_KUBE_APISERVER",
    "kube_controller_manager": "TEST_ASSET_KUBE_CONTROLLER_MANAGER",
    "kube_scheduler": "TEST_ASSET_KUBE_SCHEDULER",
    "kwok": "TEST_ASSET_KWOK",
}


_CORE = ("etcd", "kube_apiserver", "kube_controller_manager")


_WORKLOADS = ("kube_scheduler", "kwok", "kwok_stages")


_FROM_KWOK = ("kwok", "kwok_stages")  # cached per KWOK_VERSION, not only per Kubernetes version


_STAMP = "pykorm-build.json"


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
    folders = sorted(root.glob("k8s-v*"), key=lambda p: go_number(p.name.removeprefix("k8s-")))
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


def _build(version: str, folder: Path, fields: Sequence[str], say: Log) -> None:
    """Build the assets named by ``fields`` and add them to ``folder/bin``, leaving the others alone."""
    go = go_toolchain()
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
        builder = Builder(go, version, folder, staging, log, log_path, say)
        for field in sorted(fields, key=list(_FILE_NAMES).index):  # the Kubernetes ones first: kwok is optional
            began = time.monotonic()
            builder.make(field)
            os.replace(staging / _FILE_NAMES[field], bin_dir / _FILE_NAMES[field])
            _stamp(bin_dir, _stamp_key(bin_dir, version), builder.release, builder.go_version, field)
            say(f"pykorm: {_FILE_NAMES[field]} ready in {time.monotonic() - began:.0f} s")
    shutil.rmtree(staging, ignore_errors=True)
    say(f"pykorm: built {names} in {time.monotonic() - started:.0f} s into {bin_dir}")


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
