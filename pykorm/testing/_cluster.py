"""The cluster a test session talks to: a kubeconfig, a context, maybe our own control plane."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING


from .._http.clusters import load_cluster
from .._http.transport import Transport
from ._controlplane import LocalControlPlane

if TYPE_CHECKING:
    from kubernetes.client import Configuration

__all__ = ["Cluster"]


@dataclasses.dataclass
class Cluster:
    """A cluster described by a kubeconfig; its configuration is read once.

    Args:
        kubeconfig: the kubeconfig file; None means the client's default
            (``$KUBECONFIG``, else ``~/.kube/config``).
        context: the kubeconfig context; None means its current context.
        control_plane: the local control plane serving this cluster, when pykorm started it.

    >>> cluster = Cluster.local(LocalControlPlane().start())
    >>> cluster.transport().request("GET", "/api/v1/namespaces/default")["metadata"]["name"]
    'default'
    """

    kubeconfig: Path | None = None
    context: str | None = None
    control_plane: LocalControlPlane | None = None
    _configuration: Configuration | None = dataclasses.field(default=None, init=False, repr=False, compare=False)
    _transport: Transport | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def local(cls, control_plane: LocalControlPlane) -> Cluster:
        """The cluster served by a started local control plane."""
        return cls(kubeconfig=control_plane.kubeconfig, control_plane=control_plane)

    def configuration(self) -> Configuration:
        """The official client's configuration for this cluster, loaded on first use.

        Raises:
            ConfigurationError: the kubeconfig or the context is missing or unusable.
        """
        if self._configuration is None:
            self._configuration = load_cluster("default", {}, self.kubeconfig, self.context).configuration
        return self._configuration

    def transport(self) -> Transport:
        """pykorm's connection pool to this cluster, made on first use."""
        if self._transport is None:
            self._transport = Transport(self.configuration())
        return self._transport

    def close(self) -> None:
        """Close the pooled connections (the cluster itself keeps running)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
