from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import pykorm
from pykorm.testing import Cluster, install_crds

from .models import APPLE_CRD, COUNTER_CRD, PLANT_CRD

CRDS = Path(__file__).resolve().parent.parent / "crds"


@pytest.fixture(scope="session")
def crds_installed(k8s_cluster: Cluster) -> None:
    """The CRDs of tests/models.py, installed once per session."""
    install_crds(k8s_cluster, CRDS / "peaches.pykorm.infomaniak.com.yaml", APPLE_CRD, COUNTER_CRD, PLANT_CRD)


@pytest.fixture
def pk(k8s_cluster: Cluster, crds_installed: None) -> Iterator[pykorm.Pykorm]:
    """A session on the cluster under test, serving Model.query too."""
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context)
    yield session
    session.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``session_cluster`` every test that uses the session's cluster (through any fixture): .ci/run's
    second pass selects them with ``-m session_cluster`` to run them against an existing cluster."""
    for item in items:
        if "k8s_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.session_cluster)
