"""The local control plane's workloads, offline: kwok's stages and configuration, the binaries a
cluster with workloads needs, ``pykorm cluster up``'s flags (moved from tests/test_workloads.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from pykorm.testing import BinaryNotFound
from pykorm._base.versions import KWOK_VERSION
from pykorm._tools.cli import _parser
from pykorm.testing import Binaries, LocalControlPlane, find_binaries
from pykorm.testing._binaries import cache_dir
from pykorm.testing._gobuild import KWOK_STAGES, kwok_stages_text
from pykorm.testing._kwok import cri_log_line, kwok_configuration

pytestmark = pytest.mark.unit


def test_cri_log_lines_are_what_kubelets_write() -> None:
    import datetime

    when = datetime.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=datetime.timezone.utc)

    assert cri_log_line("ERROR: boom", "stderr", when) == "2026-03-04T05:06:07.890123000Z stderr F ERROR: boom\n"


def test_kwok_stages_keep_their_origin_and_licence(tmp_path: Path) -> None:
    for relative in KWOK_STAGES:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(f"kind: Stage\nmetadata:\n  name: {Path(relative).stem}\n")

    text = kwok_stages_text(tmp_path)

    assert f"sigs.k8s.io/kwok {KWOK_VERSION}" in text and "Apache License, Version 2.0" in text
    assert text.count("kind: Stage") == len(KWOK_STAGES) == text.count("---\n") + 1
    assert "name: pod-complete" in text and "name: node-heartbeat-with-lease" in text


def test_kwok_configuration_serves_one_log_for_every_pod(tmp_path: Path) -> None:
    stages = tmp_path / "stages.yaml"
    stages.write_text("kind: Stage\n")

    documents = kwok_configuration(stages, tmp_path / "pod.log").split("---\n")

    assert documents[0] == "kind: Stage\n"
    logs = json.loads(documents[1])
    assert logs["kind"] == "ClusterLogs" and "selector" not in logs["spec"]
    assert logs["spec"]["logs"] == [{"logsFile": str(tmp_path / "pod.log"), "follow": False}]


def fake_cache(root: Path, names: dict[str, int], **stamp: Any) -> Path:
    bin_dir = cache_dir() / "bin"
    bin_dir.mkdir(parents=True)
    for name, size in names.items():
        (bin_dir / name).write_bytes(b"x" * size)
        (bin_dir / name).chmod(0o755)
    (bin_dir / "pykorm-build.json").write_text(json.dumps({"sizes": names, **stamp}))
    return bin_dir


CORE = {"etcd": 10, "kube-apiserver": 11, "kube-controller-manager": 12}
WORKLOADS = {"kube-scheduler": 13, "kwok": 14, "kwok-stages.yaml": 15}


def test_a_cache_of_the_core_three_serves_a_bare_control_plane_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pykorm._base.versions import KUBERNETES_VERSION

    monkeypatch.setenv("PYKORM_CACHE_DIR", str(tmp_path))
    fake_cache(tmp_path, CORE, version=KUBERNETES_VERSION)  # what a build before workloads existed left

    assert find_binaries(environ={}) is not None
    assert find_binaries(environ={}, workloads=True) is None


def test_a_new_kwok_pin_rebuilds_kwok_and_keeps_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pykorm._base.versions import KUBERNETES_VERSION

    monkeypatch.setenv("PYKORM_CACHE_DIR", str(tmp_path))
    bin_dir = fake_cache(tmp_path, {**CORE, **WORKLOADS}, version=KUBERNETES_VERSION, kwok=KWOK_VERSION)
    found = find_binaries(environ={}, workloads=True)
    assert found is not None and found.workloads and found.kwok == bin_dir / "kwok"

    monkeypatch.setattr("pykorm.testing._binaries.KWOK_VERSION", "v9.9.9")

    assert find_binaries(environ={}, workloads=True) is None
    assert find_binaries(environ={}) is not None


def test_workload_binaries_come_from_the_environment_too(tmp_path: Path) -> None:
    for name in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    env = {"KUBEBUILDER_ASSETS": str(tmp_path), "TEST_ASSET_KWOK": str(tmp_path / "kwok")}

    found = find_binaries(env)

    assert found == Binaries(tmp_path / "etcd", tmp_path / "kube-apiserver", tmp_path / "kube-controller-manager")
    with pytest.raises(BinaryNotFound, match="TEST_ASSET_KUBE_SCHEDULER"):
        find_binaries({**env, "TEST_ASSET_KUBE_SCHEDULER": str(tmp_path / "missing")})


def test_nodes_without_workloads_are_refused() -> None:
    with pytest.raises(ValueError, match="workloads=True"):
        LocalControlPlane(nodes=2)
    with pytest.raises(ValueError, match="fewer than 0"):
        LocalControlPlane(workloads=True, nodes=-1)
    with pytest.raises(TypeError, match="sequence of names"):
        LocalControlPlane(controllers="deployment")  # type: ignore[arg-type]

    assert LocalControlPlane().controllers == ("garbagecollector", "namespace")
    assert LocalControlPlane(workloads=True).controllers == ("*",) and LocalControlPlane(workloads=True).nodes == 1


def test_workloads_need_their_binaries(tmp_path: Path) -> None:
    path = tmp_path / "binary"
    control_plane = LocalControlPlane(Binaries(path, path, path), workloads=True)

    with pytest.raises(BinaryNotFound, match="kube-scheduler, kwok"):
        control_plane.start()


def parse_cluster_up(*argv: str) -> argparse.Namespace:
    return _parser().parse_args(["cluster", "up", *argv])


def test_cluster_up_flags() -> None:
    default = parse_cluster_up()
    chosen = parse_cluster_up("--nodes", "3", "--controllers", "deployment, replicaset,,job")

    assert (default.nodes, default.no_workloads, default.controllers) == (None, False, None)
    assert (chosen.nodes, chosen.controllers) == (3, ["deployment", "replicaset", "job"])
    assert parse_cluster_up("--no-workloads").no_workloads
    for bad in (["--nodes", "-1"], ["--nodes", "many"], ["--controllers", ","]):
        with pytest.raises(SystemExit):
            parse_cluster_up(*bad)


def test_cluster_up_refuses_nodes_without_workloads(capsys: pytest.CaptureFixture[str]) -> None:
    from pykorm._tools.cli import main

    assert main(["cluster", "up", "--no-workloads", "--nodes", "2"]) == 1
    assert "contradict" in capsys.readouterr().err
