"""The one place that pins what the local control plane runs, and pykorm's own version.

Everything else (the etcd version, the staging-module list, the Go a release needs, the
cache key) is derived from the Kubernetes release's own ``go.mod`` at build time.
"""

from __future__ import annotations

import re

__all__ = ["GO_TOOLCHAIN", "KUBERNETES_RELEASES", "KUBERNETES_VERSION", "KWOK_VERSION", "kubernetes_release", "minor_of"]

KUBERNETES_RELEASES: tuple[str, ...] = ("v1.35.4", "v1.36.3", "v1.37.2")
"""The Kubernetes releases pykorm builds and tests: the newest patch of each maintained minor, oldest first."""

KUBERNETES_VERSION = KUBERNETES_RELEASES[-1]
"""The release the local control plane runs unless told otherwise (the newest), and the one
``pykorm.k8s`` is generated from."""

KWOK_VERSION = "v0.8.0"
"""The kwok release (``sigs.k8s.io/kwok``) whose controller simulates nodes and pods, with every release above.

v0.8.0, built against the Kubernetes 1.36 libraries, is the newest kwok release; it drives the nodes
and pods of 1.35, 1.36 and 1.37 alike (tests/test_workloads.py runs on each in CI's compatibility
pass). Built once, into its own cache folder beside the releases'.
"""

GO_TOOLCHAIN = "go1.27.3"
"""The Go toolchain a build asks the Go module proxy for (``GOTOOLCHAIN``) when a release's
``go.mod`` needs a Go newer than the machine's; older ones build with the machine's own Go."""

__version__ = "0.2.0"
"""pykorm's own version: the one source (pyproject.toml reads it)."""

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


def kubernetes_release(requested: str | None = None) -> str:
    """The known release ``requested`` names, as ``vX.Y.Z``: None is :data:`KUBERNETES_VERSION`,
    a minor (``"1.35"``, ``"v1.35"``) its newest known patch, a full version (``"v1.35.4"``) itself.

    Raises:
        ValueError: not a version, or not one of :data:`KUBERNETES_RELEASES`; the message lists them.

    >>> kubernetes_release("1.35")
    'v1.35.4'
    """
    if requested is None:
        return KUBERNETES_VERSION
    match = _VERSION.fullmatch(requested.strip()) if isinstance(requested, str) else None
    if match is None:
        raise ValueError(f"{requested!r} is not a Kubernetes version; give a minor such as 1.35 or a release "
                         f"such as v1.35.4 (known: {', '.join(KUBERNETES_RELEASES)})")
    major, minor, patch = match.groups()
    prefix = f"v{int(major)}.{int(minor)}."
    candidates = [r for r in KUBERNETES_RELEASES if r.startswith(prefix)]
    if patch is not None:
        candidates = [r for r in candidates if r == f"{prefix}{int(patch)}"]
    if not candidates:
        raise ValueError(f"Kubernetes {requested} is not a release pykorm knows how to build and has tested; "
                         f"known: {', '.join(KUBERNETES_RELEASES)} (a minor such as 1.35 picks its newest patch)")
    return candidates[-1]


def minor_of(version: str) -> str:
    """``"v1.35.4"`` → ``"1.35"``."""
    return ".".join(version.lstrip("v").split(".")[:2])
