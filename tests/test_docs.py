"""Every code block of the documentation runs against the session's cluster (tests/docs_blocks.py).

One page at a time, each in a fresh process (as a reader's program runs: the models a page
declares meet nothing of another page's) and a fresh namespace that stands for the pages' ``shop``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pykorm import NotFound
from pykorm.testing import Cluster
from tests.docs_blocks import ROOT, blocks, pages

RUNNABLE_PAGES = [page for page in pages() if any(block.not_run is None for block in blocks(page))]


def page_kubeconfig(cluster: Cluster, namespace: str, path: Path) -> Path:
    """A copy of the cluster's kubeconfig whose context's namespace is ``namespace``."""
    source = cluster.kubeconfig or Path(os.environ.get("KUBECONFIG", Path.home() / ".kube" / "config"))
    config = yaml.safe_load(Path(source).read_text())
    context = cluster.context or config["current-context"]
    config["current-context"] = context
    for entry in config["contexts"]:
        if entry["name"] == context:
            entry["context"]["namespace"] = namespace
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("page", RUNNABLE_PAGES, ids=[str(page.relative_to(ROOT)) for page in RUNNABLE_PAGES])
def test_the_pages_code_runs(page: Path, k8s_cluster: Cluster, tmp_path: Path) -> None:
    transport = k8s_cluster.transport()
    namespace = "pykorm-docs-" + secrets.token_hex(4)
    transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace, "labels": {"pykorm.io/test": "true"}}})
    try:
        env = {
            **os.environ,
            "KUBECONFIG": str(page_kubeconfig(k8s_cluster, namespace, tmp_path / "kubeconfig")),
            "PYKORM_DOCS_NAMESPACE": namespace,
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
        done = subprocess.run(
            [sys.executable, "-m", "tests.docs_blocks", str(page)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, f"{page.relative_to(ROOT)}:\n{done.stdout}\n{done.stderr}"
        ran = done.stdout.count(f"--- {page.relative_to(ROOT)}:")
        assert ran == sum(block.not_run is None for block in blocks(page))
    finally:
        with contextlib.suppress(NotFound):
            transport.request("DELETE", f"/api/v1/namespaces/{namespace}")
