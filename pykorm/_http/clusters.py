"""Cluster configurations: kubeconfig, in-cluster service account, or explicit ``Configuration``s.

Each is read once per session and turned into one :class:`Transport` (one
connection pool), shared by every query and write on that cluster.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Union

from .._base.errors import ConfigurationError

if TYPE_CHECKING:
    from kubernetes.client import Configuration

__all__ = ["ClusterConfig", "ClusterSource", "load_cluster"]

ClusterSource = Union["Configuration", Mapping[str, Any]]
# The official client (for its kubeconfig and in-cluster loading) is imported when a cluster is
# first configured, not with pykorm: it takes about a second.

_SA_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclasses.dataclass(frozen=True)
class ClusterConfig:
    """How to reach one cluster, and the namespace new objects go to when they name none."""

    configuration: Configuration
    namespace: str = "default"


def load_cluster(
    name: str,
    sources: Mapping[str, ClusterSource],
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
) -> ClusterConfig:
    """The configuration of the cluster called ``name``.

    ``sources`` (``Pykorm.clusters_config``) wins; otherwise ``"default"`` means the
    kubeconfig (``kubeconfig``/``$KUBECONFIG``/``~/.kube/config``, optionally at
    ``context``), or the pod's service account when running in a cluster.

    Raises:
        ConfigurationError: the name is unknown or no configuration can be loaded.
    """
    if name in sources:
        return ClusterConfig(_configuration_from(name, sources[name]))
    if name != "default":
        known = ", ".join(sorted({"default", *sources})) or "default"
        raise ConfigurationError(
            f"unknown cluster {name!r}; known clusters: {known}. "
            "Add it to Pykorm.clusters_config (a kubernetes.client.Configuration or a dict of its attributes)."
        )
    return _default_cluster(kubeconfig, context)


def _configuration_from(name: str, source: ClusterSource) -> Configuration:
    from kubernetes.client import Configuration

    if isinstance(source, Configuration):
        return source
    if not isinstance(source, Mapping):
        raise ConfigurationError(
            f"Pykorm.clusters_config[{name!r}] must be a kubernetes.client.Configuration or a dict of its "
            f"attributes, not {type(source).__name__}"
        )
    configuration = Configuration()
    for key, value in source.items():
        if not hasattr(configuration, key):
            raise ConfigurationError(f"Pykorm.clusters_config[{name!r}]: Configuration has no attribute {key!r}")
        setattr(configuration, key, value)
    return configuration


def _default_cluster(kubeconfig: str | os.PathLike[str] | None, context: str | None) -> ClusterConfig:
    import kubernetes.config
    from kubernetes.client import Configuration

    configuration = Configuration()
    # $KUBECONFIG now, not as it was when the official client was imported (it reads it once).
    config_file = os.fspath(kubeconfig) if kubeconfig is not None else os.environ.get("KUBECONFIG") or None
    try:
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=config_file, context=context, client_configuration=configuration
        )
    except (kubernetes.config.ConfigException, OSError) as kube_error:
        if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            try:
                kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            except kubernetes.config.ConfigException as error:
                raise ConfigurationError(f"in-cluster configuration failed: {error}") from error
            namespace = _SA_NAMESPACE.read_text().strip() if _SA_NAMESPACE.exists() else "default"
            return ClusterConfig(configuration, namespace)
        where = config_file or os.environ.get("KUBECONFIG") or "~/.kube/config"
        raise ConfigurationError(
            f"cannot load the kubeconfig {where}{f' (context {context!r})' if context else ''}: {kube_error}. "
            "Pass Pykorm(kubeconfig=..., context=...), set KUBECONFIG, or run inside a pod."
        ) from kube_error
    # The official client re-derives the proxy from the environment (urllib's getproxies, a scan
    # of os.environ) each time its kubeconfig refresh hook sets the host again: before every
    # request, some 200 µs. Fixed now at its loaded value (pykorm's pool sends to the server).
    configuration.proxy = configuration.proxy
    return ClusterConfig(configuration, _context_namespace(config_file, context))


def _context_namespace(config_file: str | None, context: str | None) -> str:
    import kubernetes.config

    try:
        contexts, active = kubernetes.config.list_kube_config_contexts(config_file=config_file)  # type: ignore[no-untyped-call]
    except (kubernetes.config.ConfigException, OSError):
        return "default"
    chosen = next((c for c in contexts if c.get("name") == context), active) if context else active
    return str(((chosen or {}).get("context") or {}).get("namespace") or "default")
