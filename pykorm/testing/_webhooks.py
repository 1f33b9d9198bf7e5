"""Webhooks served by the test process and called by the cluster's API server, on loopback.

    >>> with serve_webhooks(webhooks, cluster, namespace="shop") as served:
    ...     pk.save(Database(namespace="shop", name="big", instances=50))   # ValidationError: the webhook said no

:func:`serve_webhooks` makes a CA and a certificate for ``127.0.0.1``, serves the app on a free loopback
port, installs its ValidatingWebhookConfiguration and MutatingWebhookConfiguration (URL ``clientConfig``
with the CA bundle) under a unique name, scoped to ``namespace`` by a namespace selector, installs
the CRDs of the versions it converts (``conversion: Webhook``), and waits until the API server calls
it. On leaving, it deletes the configurations and those CRDs (their objects with them) while still
serving, waits until the API server has let go of them, then stops: webhook configurations are
cluster-wide, and one left behind would refuse other tests' requests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import time
from typing import Any, Iterator

from .._base.errors import ApiError, NotFound, WaitTimeout
from .._http.transport import Transport
from .._session.crd_install import HasTransport, install_crds
from ..webhooks import Certificates, Webhooks, WebhookServer, self_signed
from ..webhooks._server import PROBE_PATH

__all__ = ["LocalWebhooks", "serve_webhooks"]

_CONFIG_PATHS = {
    "ValidatingWebhookConfiguration": "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
    "MutatingWebhookConfiguration": "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
}
_CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
PROBE_LABEL = "webhooks.pykorm.io/probe"


@dataclasses.dataclass
class LocalWebhooks:
    """An app's webhooks as :func:`serve_webhooks` serves and installs them."""

    app: Webhooks
    server: WebhookServer
    certificates: Certificates
    name: str
    namespace: str | None
    configurations: list[dict[str, Any]]
    crds: list[dict[str, Any]]

    @property
    def url(self) -> str:
        """The server's base URL (``https://127.0.0.1:PORT``)."""
        return self.server.url

    @property
    def requests(self) -> int:
        """How many reviews the server answered."""
        return self.server.requests


@contextlib.contextmanager
def serve_webhooks(
    app: Webhooks,
    target: Transport | HasTransport,
    *,
    namespace: str | None = None,
    install_crds_: bool = True,
    timeout: float = 30.0,
    server: WebhookServer | None = None,
) -> Iterator[LocalWebhooks]:
    """Serve ``app`` from this process and install its webhooks in the cluster; undo both on leaving.

    Args:
        target: the cluster (or a transport to it); its API server must reach this machine's 127.0.0.1
            (the local control plane, or ``pykorm cluster up``).
        namespace: admission is asked only for objects in this namespace (a namespace selector on every
            webhook; None: every namespace — the whole cluster's requests reach this process).
        install_crds_: install the CRDs of the versions ``app`` converts, with the conversion webhook.
        timeout: seconds to wait for the API server to call (and, on leaving, to stop calling) the webhooks.
        server: a server of ``app`` on 127.0.0.1 made with ``certificates=self_signed(...)`` and run by its
            owner (a ``Manager(webhooks=server)``, say): installed, not started nor stopped here.

    Raises:
        WaitTimeout: the API server did not call the webhooks within ``timeout``.
    """
    transport = target if isinstance(target, Transport) else target.transport()
    owned = server is None
    if server is None:
        server = WebhookServer(app, host="127.0.0.1", port=0, certificates=self_signed(["127.0.0.1", "localhost"]))
        server.start()
    if server.certificates is None or server.app is not app:
        raise TypeError("serve_webhooks(server=...): a server of this app, with certificates=self_signed([...])")
    certificates = server.certificates
    name = f"{app.name}-{secrets.token_hex(4)}"
    selector = {"matchLabels": {"kubernetes.io/metadata.name": namespace}} if namespace else None
    configurations = app.manifests(url=server.url, ca_bundle=certificates.ca, name=name, namespace_selector=selector,
                                   labels={"webhooks.pykorm.io/test": "true"})
    for configuration in configurations:
        for webhook in configuration["webhooks"]:  # the probes below are not the app's business
            objects = webhook.setdefault("objectSelector", {})
            objects["matchExpressions"] = [*objects.get("matchExpressions", []),
                                            {"key": PROBE_LABEL, "operator": "DoesNotExist"}]
        configuration["webhooks"].append(_probe(configuration["kind"], name, server.url, certificates.ca, namespace))
    crds = app.crds(url=server.url, ca_bundle=certificates.ca) if install_crds_ and app.resources else []
    installed: list[dict[str, Any]] = []
    served = LocalWebhooks(app, server, certificates, name, namespace, installed, crds)
    try:
        for configuration in configurations:
            transport.request("POST", _CONFIG_PATHS[configuration["kind"]], body=configuration)
            installed.append(configuration)
        if crds:
            install_crds(transport, *crds, timeout=timeout)
        _wait_probed(transport, served, True, timeout)
        yield served
    finally:
        try:
            _remove(transport, served, timeout)
        finally:
            if owned:
                server.stop()


def _probe(kind: str, name: str, url: str, ca: bytes, namespace: str | None) -> dict[str, Any]:
    """A webhook entry that admits dry-run ConfigMaps labelled for this app: its calls say the configuration is live."""
    import base64

    webhook: dict[str, Any] = {
        "name": f"probe.{name}.pykorm.io",
        "clientConfig": {"url": f"{url}{PROBE_PATH}{kind}", "caBundle": base64.b64encode(ca).decode()},
        "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"],
                   "scope": "Namespaced"}],
        "objectSelector": {"matchLabels": {PROBE_LABEL: name}},
        "admissionReviewVersions": ["v1"], "sideEffects": "None", "failurePolicy": "Ignore", "timeoutSeconds": 5,
    }
    if namespace:
        webhook["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
    return webhook


def _wait_probed(transport: Transport, served: LocalWebhooks, live: bool, timeout: float) -> None:
    """Until every configuration's probe is called (``live``), or none is any more."""
    kinds = [c["kind"] for c in served.configurations]
    if not kinds:
        return
    where = served.namespace or "default"
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"generateName": "pykorm-webhook-probe-", "labels": {PROBE_LABEL: served.name}}}
    deadline = time.monotonic() + timeout
    while True:
        before = {k: served.server.probes.get(PROBE_PATH + k, 0) for k in kinds}
        try:
            transport.request("POST", f"/api/v1/namespaces/{where}/configmaps", body=body, params={"dryRun": "All"})
        except ApiError:
            if not live:
                return  # the namespace is gone or going: nothing in it is admitted any more
            raise
        called = {k for k in kinds if served.server.probes.get(PROBE_PATH + k, 0) > before[k]}
        if (live and len(called) == len(kinds)) or (not live and not called):
            return
        if time.monotonic() > deadline:
            state = "call" if live else "stop calling"
            raise WaitTimeout(f"the API server did not {state} the webhooks of {served.name} within {timeout} s "
                              f"(probes answered: {served.server.probes})", last=served.server.probes)
        time.sleep(0.1)


def _remove(transport: Transport, served: LocalWebhooks, timeout: float) -> None:
    for configuration in served.configurations:
        with contextlib.suppress(NotFound):
            transport.request("DELETE", f"{_CONFIG_PATHS[configuration['kind']]}/{served.name}")
    for crd in served.crds:
        with contextlib.suppress(NotFound):
            transport.request("DELETE", f"{_CRD_PATH}/{crd['metadata']['name']}")
    deadline = time.monotonic() + timeout
    for crd in served.crds:  # its objects are deleted (and maybe converted) while we still serve
        while time.monotonic() < deadline:
            try:
                transport.request("GET", f"{_CRD_PATH}/{crd['metadata']['name']}")
            except NotFound:
                break
            time.sleep(0.2)
    if served.configurations:
        _wait_probed(transport, served, False, max(1.0, deadline - time.monotonic()))
