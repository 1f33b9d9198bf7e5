"""Fixtures for the examples: their apps on the cluster under test, an admin session, a CLI runner.

The example apps live in ``examples/`` (``tasks_app``, ``jobs_api``, ``k8s_doctor.py``), importable
once that directory is on ``sys.path``, as ``uvicorn --app-dir examples`` makes it. Subprocesses
get the repository root and ``examples/`` on ``PYTHONPATH``, so that they import this checkout's pykorm.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

import pykorm
from pykorm.testing import Cluster

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

WAIT = 120.0  # seconds: converging takes one or two here, but the machine is shared


def kubeconfig_of(cluster: Cluster) -> str:
    if cluster.kubeconfig is None:
        pytest.skip("the example tests need the cluster's kubeconfig file (--kubeconfig or a local control plane)")
    return str(cluster.kubeconfig)


@pytest.fixture
def admin(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    """A session with the test's (admin) credentials, for setting the scene and checking the outcome."""
    with pykorm.Pykorm(kubeconfig=kubeconfig_of(k8s_cluster), context=k8s_cluster.context,
                       make_default=False) as session:
        yield session


def environment(**extra: str) -> dict[str, str]:
    """The environment of a user's process: this checkout's pykorm and the examples importable."""
    path = os.pathsep.join([str(ROOT), str(EXAMPLES), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path, **extra}


def run(*argv: str, timeout: float = WAIT, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command as a user would, in a fresh Python process (``python`` is this interpreter)."""
    command = [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]
    return subprocess.run(command, cwd=ROOT, env=environment(**env), capture_output=True, text=True,
                          timeout=timeout, check=False)
