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


def test_only_the_kubeconfig_loaders_hook_for_a_token_that_never_expires_runs_on_the_event_loop(tmp_path: Path) -> None:
    from pykorm._http.atransport import may_block

    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    pk = pykorm.Pykorm(kubeconfig=tmp_path / "kubeconfig", make_default=False)
    try:
        hook = pk.transport().configuration.refresh_api_key_hook
        assert hook is not None and not may_block(hook)  # it copies the loaded token back: no I/O
        loader = next(c.cell_contents for c in hook.__closure__ or () if type(c.cell_contents).__name__ == "KubeConfigLoader")
        loader.expiry = "2000-01-01T00:00:00Z"  # an exec plugin's or an expiring token: it may run a plugin
        assert may_block(hook)
    finally:
        pk.close()
    assert may_block(lambda configuration: None)  # anybody else's hook: a worker thread, as before
