"""The one place that pins what the local control plane runs, and pykorm's own version.

Everything else (the etcd version, the staging-module list, the cache key) is
derived from the Kubernetes release's own ``go.mod`` at build time.
"""

KUBERNETES_VERSION = "v1.36.3"

KWOK_VERSION = "v0.8.0"
"""The kwok release (``sigs.k8s.io/kwok``) whose controller simulates nodes and pods.

v0.8.0 is built against the Kubernetes 1.36 libraries; a newer kwok goes with a newer Kubernetes.
"""

__version__ = "0.2.0"
"""pykorm's own version: the one source (pyproject.toml reads it)."""
