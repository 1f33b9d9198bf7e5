"""The headers every request carries: the kubeconfig's token, refreshed by its hook, without an environment scan."""

from __future__ import annotations

import threading
from pathlib import Path

import kubernetes.client.configuration
import pytest

import pykorm
from pykorm._http.transport import auth_headers

pytestmark = pytest.mark.unit

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: first-token}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
"""


def test_each_request_reads_the_token_through_the_hook_without_scanning_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    pk = pykorm.Pykorm(kubeconfig=tmp_path / "kubeconfig", make_default=False)
    try:
        configuration = pk.transport().configuration
        assert configuration.refresh_api_key_hook is not None  # the kubeconfig loader's: expiring tokens refresh
        assert configuration.proxy == "http://proxy.example:3128"  # as the environment said when it was loaded
        scans: list[int] = []
        real = kubernetes.client.configuration.getproxies
        monkeypatch.setattr(kubernetes.client.configuration, "getproxies", lambda: scans.append(1) or real())
        lock = threading.Lock()
        assert auth_headers(configuration, lock)["authorization"] == "Bearer first-token"
        # What the hook hands over is what the next request sends (an exec plugin's new token, say).
        configuration.refresh_api_key_hook = lambda c: c.api_key.update(BearerToken="Bearer second-token")
        assert auth_headers(configuration, lock)["authorization"] == "Bearer second-token"
        assert scans == []  # the official client's hook sets the host again: no os.environ scan each time
        assert configuration.proxy == "http://proxy.example:3128"
    finally:
        pk.close()
