"""Real-API-server testing: a local control plane, a cluster description, a CRD installer.

The pytest plugin (:mod:`pykorm.testing.plugin`) builds on these; it is loaded
through pykorm's ``pytest11`` entry point.

    >>> with LocalControlPlane() as control_plane:
    ...     install_crds(Cluster.local(control_plane), "crds/peaches.pykorm.infomaniak.com.yaml")
"""

from __future__ import annotations

from .._base.public import show_as
from .._session.crd_install import install_crds
from .._base.versions import KUBERNETES_RELEASES, KUBERNETES_VERSION
from ._binaries import Binaries, ensure_binaries, find_binaries
from ._cluster import Cluster
from ._controlplane import LocalControlPlane
from ._errors import BinaryNotFound, BuildFailed, ControlPlaneError, GoNotFound, StartFailed, StartTimeout
from ._faultproxy import Exchange, FaultProxy
from ._webhooks import LocalWebhooks, serve_webhooks

__all__ = [
    "KUBERNETES_RELEASES",
    "KUBERNETES_VERSION",
    "Binaries",
    "BinaryNotFound",
    "BuildFailed",
    "Cluster",
    "ControlPlaneError",
    "Exchange",
    "FaultProxy",
    "GoNotFound",
    "LocalControlPlane",
    "LocalWebhooks",
    "StartFailed",
    "StartTimeout",
    "ensure_binaries",
    "find_binaries",
    "install_crds",
    "serve_webhooks",
]

show_as(__name__, __all__, globals())
