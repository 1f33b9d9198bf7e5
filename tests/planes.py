"""Control planes of a test module's own — stopped, restarted, compacted (the helpers all tests share: helpers.py)."""

from __future__ import annotations

import contextlib
import secrets
from typing import Iterator

import pytest

import pykorm
from pykorm.testing import Cluster, LocalControlPlane


@contextlib.contextmanager
def private_plane(k8s_cluster: Cluster, *apiserver_args: str, why: str) -> Iterator[tuple[LocalControlPlane, pykorm.Pykorm]]:
    """A local control plane only this module uses (kube-apiserver run with ``apiserver_args``), and an admin
    session to it; the test is skipped against an existing cluster (``why`` says what the module does to it)."""
    if k8s_cluster.control_plane is None:
        pytest.skip(f"needs a control plane of its own ({why}); the cluster under test is an existing one")
    control_plane = LocalControlPlane(extra_args={"kube-apiserver": list(apiserver_args)}).start()
    admin = pykorm.Pykorm(kubeconfig=control_plane.kubeconfig, make_default=False)
    try:
        yield control_plane, admin
    finally:
        admin.close()
        control_plane.stop()


@contextlib.contextmanager
def own_session(cluster: Cluster, field_manager: str) -> Iterator[pykorm.Pykorm]:
    """A session of the test's own to ``cluster`` (not the default one), closed at the end."""
    pk = pykorm.Pykorm(kubeconfig=cluster.kubeconfig, make_default=False, field_manager=field_manager)
    try:
        yield pk
    finally:
        pk.close()


def new_namespace(session: pykorm.Pykorm, prefix: str = "rel") -> str:
    name = f"{prefix}-{secrets.token_hex(4)}"
    session.transport().request("POST", "/api/v1/namespaces", body={"metadata": {"name": name}})
    return name
