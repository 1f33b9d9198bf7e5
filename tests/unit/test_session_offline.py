"""The session as a context manager: its connection pools close on leaving the block (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

import pykorm

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-secret}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: tasks}}]
current-context: c
"""


@pytest.mark.unit
def test_leaving_the_block_closes_the_pools_and_the_session_stays_usable(tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)

    with pykorm.Pykorm(kubeconfig=tmp_path / "kubeconfig", make_default=False) as pk:
        first = pk.transport()
        assert pk.default_namespace() == "tasks"

    assert pk.transport() is not first  # the old pool was closed and forgotten; a new one opens on use


@pytest.mark.unit
def test_an_error_in_the_block_still_closes_and_propagates(tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)

    with pytest.raises(KeyError, match="boom"):
        with pykorm.Pykorm(kubeconfig=tmp_path / "kubeconfig", make_default=False) as pk:
            first = pk.transport()
            raise KeyError("boom")

    assert pk.transport() is not first
