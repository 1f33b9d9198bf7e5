"""``pykorm apply -f``: files, folders (``-R``), several ``-f`` and standard input, as ``kubectl apply -f`` reads
them; each run is the command in a fresh process, checked with the official client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import kubernetes
import pytest
import yaml

from pykorm.testing import Cluster

from .witness import official_client

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def core(k8s_cluster: Cluster) -> Iterator[kubernetes.client.CoreV1Api]:
    """The official client: an independent witness of what was applied."""
    with official_client(k8s_cluster) as client:
        yield kubernetes.client.CoreV1Api(client)


def pykorm_apply(cluster: Cluster, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pykorm", "apply", *args, "--kubeconfig", str(cluster.kubeconfig)]
    if cluster.context:
        command += ["--context", cluster.context]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
                          check=False)


def config_map(namespace: str, name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"from": name}}


def write(path: Path, *objects: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(objects[0] if len(objects) == 1 else {"kind": "List", "items": list(objects)}))
    else:
        path.write_text(yaml.safe_dump_all(objects))


def names(core: kubernetes.client.CoreV1Api, namespace: str) -> list[str]:
    return sorted(c.metadata.name for c in core.list_namespaced_config_map(namespace).items
                  if c.metadata.name != "kube-root-ca.crt")


def test_a_folder_is_its_manifest_files_in_name_order_and_r_adds_its_subfolders(
    k8s_cluster: Cluster, k8s_namespace: str, core: kubernetes.client.CoreV1Api, tmp_path: Path,
) -> None:
    ns = k8s_namespace
    write(tmp_path / "b.yaml", config_map(ns, "b1"), config_map(ns, "b2"))
    write(tmp_path / "a.yml", config_map(ns, "a"))
    write(tmp_path / "c.json", config_map(ns, "c"))
    (tmp_path / "notes.txt").write_text("not: [a manifest")       # other files are not read
    (tmp_path / "README.md").write_text("# deploy\n")
    write(tmp_path / "sub" / "d.yaml", config_map(ns, "d"))
    write(tmp_path / "sub" / "deeper" / "e.yaml", config_map(ns, "e"))

    flat = pykorm_apply(k8s_cluster, "-f", str(tmp_path))

    assert flat.returncode == 0, flat.stderr
    assert flat.stdout.splitlines() == [f"configmap/{n} -n {ns} applied" for n in ("a", "b1", "b2", "c")]
    assert names(core, ns) == ["a", "b1", "b2", "c"]                # not the subfolders' without -R

    deep = pykorm_apply(k8s_cluster, "-R", "-f", str(tmp_path))

    assert deep.returncode == 0, deep.stderr
    assert [line.split()[0] for line in deep.stdout.splitlines()] == [
        "configmap/a", "configmap/b1", "configmap/b2", "configmap/c", "configmap/d", "configmap/e"]
    assert names(core, ns) == ["a", "b1", "b2", "c", "d", "e"]
    assert core.read_namespaced_config_map("e", ns).data == {"from": "e"}


def test_several_sources_and_standard_input_in_one_apply_namespaces_first(
    k8s_cluster: Cluster, k8s_namespace: str, core: kubernetes.client.CoreV1Api, tmp_path: Path,
) -> None:
    fresh = f"pykorm-apply-{uuid.uuid4().hex[:8]}"
    write(tmp_path / "app" / "a-config.yaml", config_map(fresh, "in-fresh"))   # its namespace comes in a later file
    write(tmp_path / "app" / "z-namespace.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": fresh}})
    write(tmp_path / "one.yaml", config_map(k8s_namespace, "one"))
    try:
        result = pykorm_apply(k8s_cluster, "-f", str(tmp_path / "app"), "-f", str(tmp_path / "one.yaml"), "-f", "-",
                              stdin=json.dumps(config_map(k8s_namespace, "piped")))

        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0] == f"namespace/{fresh} applied"
        assert names(core, fresh) == ["in-fresh"]
        assert names(core, k8s_namespace) == ["one", "piped"]
    finally:
        core.delete_namespace(fresh)


def test_what_holds_no_objects_is_an_error_that_says_so(k8s_cluster: Cluster, k8s_namespace: str,
                                                        core: kubernetes.client.CoreV1Api, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path / "nested" / "only-below" / "x.yaml", config_map(k8s_namespace, "below"))
    (tmp_path / "blank.yaml").write_text("---\n")

    empty = pykorm_apply(k8s_cluster, "-f", str(tmp_path / "empty"))
    nested = pykorm_apply(k8s_cluster, "-f", str(tmp_path / "nested"))
    blank = pykorm_apply(k8s_cluster, "-f", str(tmp_path / "blank.yaml"))
    missing = pykorm_apply(k8s_cluster, "-f", str(tmp_path / "nowhere"))
    twice = pykorm_apply(k8s_cluster, "-f", "-", "-f", "-", stdin="")

    assert (empty.returncode, nested.returncode, blank.returncode, missing.returncode, twice.returncode) == (1,) * 5
    assert "holds no manifest" in empty.stderr and "-R" in nested.stderr
    assert "no objects passed to apply" in blank.stderr
    assert "cannot read manifest" in missing.stderr and "once" in twice.stderr
    assert names(core, k8s_namespace) == []                         # nothing applied
    assert pykorm_apply(k8s_cluster, "-R", "-f", str(tmp_path / "nested")).returncode == 0
    assert names(core, k8s_namespace) == ["below"]
