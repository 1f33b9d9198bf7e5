"""pytest plugin: a real Kubernetes API server for every test session.

Loaded through pykorm's ``pytest11`` entry point. By default the session runs
its own :class:`LocalControlPlane` with workloads (a scheduler, the default
controllers and one kwok node; ``--no-workloads`` or the ini option
``pykorm_workloads = false`` for a bare API server); ``--kubeconfig``/``--kube-context``
(or ``$PYKORM_TEST_KUBECONFIG``, or ``$KUBECONFIG`` with ``--use-kubeconfig-env``)
point it at an existing cluster, such as kind or ``pykorm cluster up``.
``--kubernetes-version 1.35`` (or ``$PYKORM_TEST_KUBERNETES_VERSION``) picks the local control
plane's release; with an existing cluster it is checked against the cluster's ``/version``.

Fixtures:
    k8s_cluster     (session) the :class:`Cluster` under test.
    k8s_transport   (session) a :class:`pykorm._http.transport.Transport` to it.
    k8s_namespace   (function) a fresh namespace, deleted (without waiting) after the test.
    k8s_nodes       (session) the names of the cluster's Ready nodes; skips the test when it has none.
    k8s_fault_proxy (function) a started :class:`FaultProxy` in front of the cluster;
                    ``k8s_fault_proxy.session()`` is a ``Pykorm`` whose requests go through it.
    k8s_webhooks    (function) ``k8s_webhooks(app, namespace=None)`` serves a ``pykorm.webhooks.Webhooks`` app
                    from the test process and installs it (scoped to the test's ``k8s_namespace`` unless
                    ``namespace`` says otherwise); removed after the test (see :func:`serve_webhooks`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest

from .._base.errors import NotFound
from .._http.transport import Transport
from .._base.versions import KUBERNETES_RELEASES, KUBERNETES_VERSION, kubernetes_release, minor_of
from ._cluster import Cluster
from ._controlplane import LocalControlPlane
from ._faultproxy import FaultProxy
from ._kwok import node_is_ready

if TYPE_CHECKING:
    from ..webhooks import Webhooks
    from ._webhooks import LocalWebhooks

__all__ = ["k8s_cluster", "k8s_fault_proxy", "k8s_namespace", "k8s_nodes", "k8s_transport", "k8s_webhooks"]

KUBECONFIG_ENV = "PYKORM_TEST_KUBECONFIG"
VERSION_ENV = "PYKORM_TEST_KUBERNETES_VERSION"
NAMESPACE_PREFIX = "pykorm-test-"
NAMESPACE_LABEL = "pykorm.io/test"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pykorm", "pykorm: the Kubernetes cluster under test (default: a local control plane)")
    group.addoption(
        "--kubeconfig",
        metavar="PATH",
        help=f"test against the cluster of this kubeconfig (also ${KUBECONFIG_ENV})",
    )
    group.addoption(
        "--kubernetes-version",
        metavar="VERSION",
        help=f"the local control plane's Kubernetes release: a minor (1.35) or a release (v1.35.4) of "
        f"{', '.join(KUBERNETES_RELEASES)} (default {KUBERNETES_VERSION}; also ${VERSION_ENV}); with --kubeconfig, "
        "the version the cluster must serve",
    )
    group.addoption("--kube-context", metavar="NAME", help="the kubeconfig context to use (default: its current one)")
    group.addoption(
        "--use-kubeconfig-env",
        action="store_true",
        help="test against the cluster of $KUBECONFIG (or ~/.kube/config) instead of a local control plane",
    )
    group.addoption(
        "--no-workloads",
        action="store_true",
        help="a bare local control plane: no scheduler, no nodes, only the garbage-collector and namespace "
        "controllers (faster; tests that need nodes are skipped)",
    )
    parser.addini(
        "pykorm_workloads",
        type="bool",
        default=True,
        help="pykorm: run workloads (scheduler, default controllers, kwok nodes) on the local control plane",
    )


def pytest_configure(config: pytest.Config) -> None:
    wanted_version(config)  # a version pykorm does not know is a usage error before any test runs


def pytest_report_header(config: pytest.Config) -> str:
    cluster, version = existing_cluster(config), wanted_version(config)
    if cluster is None:
        what = "with workloads (kube-scheduler, kwok, 1 node)" if wants_workloads(config) else "without workloads"
        return f"pykorm: a local control plane (Kubernetes {kubernetes_release(version)}) {what}"
    where = cluster.kubeconfig or "$KUBECONFIG"
    return (f"pykorm: the cluster of {where}" + (f", context {cluster.context}" if cluster.context else "")
            + (f" (must serve Kubernetes {version})" if version else ""))


def wanted_version(config: pytest.Config) -> str | None:
    """The Kubernetes version asked for (the option, else the environment variable), as given; None: the default.

    Raises:
        pytest.UsageError: not a release pykorm knows.
    """
    version: str | None = config.getoption("kubernetes_version") or os.environ.get(VERSION_ENV) or None
    if version is not None:
        try:
            kubernetes_release(version)
        except ValueError as error:
            source = "--kubernetes-version" if config.getoption("kubernetes_version") else f"${VERSION_ENV}"
            raise pytest.UsageError(f"{source}: {error}") from error
    return version


def check_served_version(cluster: Cluster, version: str) -> None:
    """Fail unless ``cluster`` serves ``version`` (a minor: any patch of it)."""
    served = str(cluster.transport().request("GET", "/version").get("gitVersion", ""))
    release = kubernetes_release(version)
    pinned = version.strip().lstrip("v").count(".") == 2
    if (served.split("+")[0] != release) if pinned else (minor_of(served) != minor_of(release)):
        pytest.exit(f"--kubernetes-version {version}: the cluster of {cluster.kubeconfig or '$KUBECONFIG'} serves "
                    f"Kubernetes {served or '(no version)'}", returncode=pytest.ExitCode.USAGE_ERROR)


def existing_cluster(config: pytest.Config) -> Cluster | None:
    """The existing cluster the options name, or None for a local control plane."""
    path = config.getoption("kubeconfig") or os.environ.get(KUBECONFIG_ENV)
    context = config.getoption("kube_context")
    if path:
        return Cluster(Path(path).expanduser(), context)
    if context or config.getoption("use_kubeconfig_env"):
        return Cluster(None, context)  # the client's default: $KUBECONFIG, else ~/.kube/config
    return None


def wants_workloads(config: pytest.Config) -> bool:
    """Whether the local control plane runs workloads (``--no-workloads`` and the ini option say no)."""
    return not config.getoption("no_workloads") and bool(config.getini("pykorm_workloads"))


@pytest.fixture(scope="session")
def k8s_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The cluster under test: an existing one when an option names it, else a local control plane."""
    cluster, version = existing_cluster(request.config), wanted_version(request.config)
    if cluster is not None and version is not None:
        check_served_version(cluster, version)
    if cluster is None:
        say = _live_printer(request.config)
        control_plane = LocalControlPlane(kubernetes_version=version, workloads=wants_workloads(request.config),
                                          log=say).start()
        say(f"pykorm: control plane ready in {control_plane.startup_seconds:.1f} s at {control_plane.host}")
        cluster = Cluster.local(control_plane)
    yield cluster
    cluster.close()
    if cluster.control_plane is not None:
        cluster.control_plane.stop()


@pytest.fixture(scope="session")
def k8s_transport(k8s_cluster: Cluster) -> Transport:
    """pykorm's transport to the cluster under test."""
    return k8s_cluster.transport()


@pytest.fixture(scope="session")
def k8s_nodes(k8s_transport: Transport) -> list[str]:
    """The names of the cluster's Ready nodes; a test asking for them is skipped when there are none."""
    nodes = k8s_transport.request("GET", "/api/v1/nodes")["items"]
    ready = sorted(node["metadata"]["name"] for node in nodes if node_is_ready(node))
    if not ready:
        pytest.skip("the cluster has no Ready node: workloads do not run (a bare control plane: --no-workloads?)")
    return ready


@pytest.fixture
def k8s_namespace(k8s_transport: Transport) -> Iterator[str]:
    """A new namespace ``pykorm-test-<8 hex>`` labelled ``pykorm.io/test=true``; deleted afterwards."""
    name = NAMESPACE_PREFIX + secrets.token_hex(4)
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {NAMESPACE_LABEL: "true"}}}
    k8s_transport.request("POST", "/api/v1/namespaces", body=body)
    yield name
    with contextlib.suppress(NotFound):
        k8s_transport.request("DELETE", f"/api/v1/namespaces/{name}")


@pytest.fixture
def k8s_fault_proxy(k8s_cluster: Cluster) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` in front of the cluster under test, stopped after the test."""
    with FaultProxy.in_front_of(k8s_cluster) as proxy:
        yield proxy


@pytest.fixture
def k8s_webhooks(k8s_cluster: Cluster, k8s_namespace: str) -> Iterator[Callable[..., LocalWebhooks]]:
    """Serve and install webhook apps for one test: ``served = k8s_webhooks(app)``; all removed afterwards.

    Skips the test when the cluster's API server is not on this machine's loopback (it could not call back).
    """
    from ._webhooks import serve_webhooks

    host = str(k8s_cluster.configuration().host)
    if not any(f"//{name}" in host for name in ("127.0.0.1", "localhost", "[::1]")):
        pytest.skip(f"webhooks served by the test process need an API server on loopback, not {host}")
    with contextlib.ExitStack() as stack:

        def serve(app: Webhooks, namespace: str | None = None, **options: Any) -> LocalWebhooks:
            where = namespace if namespace is not None else k8s_namespace  # removed after the webhooks
            return stack.enter_context(serve_webhooks(app, k8s_cluster, namespace=where, **options))

        yield serve


def _live_printer(config: pytest.Config) -> Callable[[str], None]:
    """A printer to stderr that pytest's capture lets through (a first build prints for minutes)."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print(message, file=sys.stderr, flush=True)

    return say
