"""The one place that pins the Kubernetes release the local control plane runs.

Everything else (the etcd version, the staging-module list, the cache key) is
derived from this release's own ``go.mod`` at build time.
"""

KUBERNETES_VERSION = "v1.36.3"

__version__ = "0.2.0"
"""pykorm's own version: the one source (pyproject.toml reads it)."""
