"""ServiceAccounts in tests: a token for an account, a session source that uses it, and waiting for RBAC."""

from __future__ import annotations

import time
from typing import Any, Callable, TypeVar

import pykorm
from pykorm._http.transport import Transport
from pykorm.testing import Cluster

T = TypeVar("T")


def eventually(action: Callable[[], T], timeout: float = 15.0) -> T:
    """``action()``, retried while Forbidden: the authorizer learns of new bindings within moments."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except pykorm.Forbidden:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def account_cluster(cluster: Cluster, admin: Transport, namespace: str, name: str) -> dict[str, Any]:
    """A cluster source (for ``Pykorm(clusters={"default": ...})``) with a fresh token of the ServiceAccount."""
    token = admin.request(
        "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}},
    )["status"]["token"]
    configuration = cluster.configuration()
    return {"host": configuration.host, "ssl_ca_cert": configuration.ssl_ca_cert,
            "api_key": {"authorization": f"Bearer {token}"}}
