from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

import pykorm
from pykorm.testing import Cluster, install_crds

from .models import APPLE_CRD, COUNTER_CRD, PLANT_CRD

ROOT = Path(__file__).resolve().parent.parent
CRDS = ROOT / "crds"
Mypy = Callable[..., "subprocess.CompletedProcess[str]"]


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


@pytest.fixture(scope="session")
def mypy(tmp_path_factory: pytest.TempPathFactory) -> Mypy:
    """``mypy("target", ...)``: ``mypy --strict`` on the targets from the repository's root, with an incremental cache
    new in each pytest session: the first run checks pykorm (about 17 s of CPU, pykorm.k8s mostly), the others reuse
    what it found for the modules they import (under a second each) instead of checking them again."""
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")
    cache = tmp_path_factory.mktemp("mypy-cache")

    def run(*targets: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *targets],
                              cwd=ROOT, capture_output=True, text=True, check=False)

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``session_cluster`` every test that uses the session's cluster (through any fixture): .ci/run's
    second pass selects them with ``-m session_cluster`` to run them against an existing cluster."""
    for item in items:
        if "k8s_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.session_cluster)
