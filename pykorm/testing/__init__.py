"""Real-API-server testing: a local control plane, a cluster description, a CRD installer.

The pytest plugin (:mod:`pykorm.testing.plugin`) builds on these; it is loaded
through pykorm's ``pytest11`` entry point.

    >>> with LocalControlPlane() as control_plane:
    ...     install_crds(Cluster.local(control_plane), "crds/peaches.pykorm.infomaniak.com.yaml")
"""

from __future__ import annotations

from .._session.crd_install import install_crds
from .._base.versions import KUBERNETES_RELEASES, KUBERNETES_VERSION
from ._binaries import Binaries, ensure_binaries, find_binaries
from ._cluster import Cluster
from ._controlplane import LocalControlPlane
from ._faultproxy import Exchange, FaultProxy
from ._webhooks import LocalWebhooks, serve_webhooks

__all__ = [
    "KUBERNETES_RELEASES",
    "KUBERNETES_VERSION",
    "Binaries",
    "Cluster",
    "Exchange",
    "FaultProxy",
    "LocalControlPlane",
    "LocalWebhooks",
    "ensure_binaries",
    "find_binaries",
    "install_crds",
    "serve_webhooks",
]
