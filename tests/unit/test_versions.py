"""Kubernetes releases: naming one, the cache of several side by side, the Go a build needs (offline)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pykorm.testing import BuildFailed
from pykorm._base.versions import GO_TOOLCHAIN, KUBERNETES_RELEASES, KUBERNETES_VERSION, KWOK_VERSION, kubernetes_release
from pykorm._tools.cli import _parser, main
from pykorm.testing import LocalControlPlane, find_binaries
from pykorm.testing._binaries import cache_dir, cached_releases, kwok_cache_dir
from pykorm.testing._gobuild import go_toolchain_for, parse_go_directive

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def test_the_known_releases_are_one_per_maintained_minor_oldest_first() -> None:
    minors = [r.rsplit(".", 1)[0] for r in KUBERNETES_RELEASES]

    assert minors == ["v1.35", "v1.36", "v1.37"] and KUBERNETES_VERSION in KUBERNETES_RELEASES


@pytest.mark.parametrize(("asked", "release"), [
    (None, KUBERNETES_VERSION), ("1.35", "v1.35.4"), ("v1.36", "v1.36.3"), ("1.37", "v1.37.2"),
    ("v1.35.4", "v1.35.4"), ("1.36.3", "v1.36.3"), (" 1.37 ", "v1.37.2"), ("1.035", "v1.35.4"),
])
def test_a_minor_picks_its_newest_known_patch_and_a_release_pins(asked: str | None, release: str) -> None:
    assert kubernetes_release(asked) == release


@pytest.mark.parametrize("asked", ["1.34", "v1.38", "v1.35.3", "1.36.1", "2.35", "latest", "", "1", "v1.35.4.1", "1.35;rm"])
def test_an_unknown_version_is_refused_with_the_known_ones(asked: str) -> None:
    with pytest.raises(ValueError) as caught:
        kubernetes_release(asked)

    assert all(release in str(caught.value) for release in KUBERNETES_RELEASES)


def test_local_control_plane_resolves_the_version_it_is_asked_for() -> None:
    assert LocalControlPlane().kubernetes_version == KUBERNETES_VERSION
    assert LocalControlPlane(kubernetes_version="1.35").kubernetes_version == "v1.35.4"
    with pytest.raises(ValueError, match="v1.35.4, v1.36.3, v1.37.2"):
        LocalControlPlane(kubernetes_version="1.34")


def test_cluster_commands_take_a_kubernetes_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert _parser().parse_args(["cluster", "up", "--kubernetes-version", "1.35"]).kubernetes_version == "v1.35.4"
    assert _parser().parse_args(["cluster", "install", "--kubernetes-version", "v1.36.3"]).kubernetes_version == "v1.36.3"
    assert _parser().parse_args(["cluster", "up"]).kubernetes_version is None  # the default release

    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["cluster", "up", "--kubernetes-version", "1.99"])

    assert exited.value.code == 2 and "known: v1.35.4, v1.36.3, v1.37.2" in capsys.readouterr().err


# -- the Go a release's build needs ------------------------------------------------------------


@pytest.mark.parametrize(("required", "machine", "toolchain"), [
    ("1.26.0", "go1.26.8", "local"), ("1.26.8", "go1.26.8", "local"), ("1.25", "go1.26.8", "local"),
    ("1.26.9", "go1.26.8", GO_TOOLCHAIN), ("1.27.0", "go1.26.8", GO_TOOLCHAIN), ("1.27rc1", "go1.26.8", GO_TOOLCHAIN),
    ("1.27.0", "go1.27.3", "local"),
])
def test_a_release_needing_a_newer_go_than_the_machines_builds_with_the_proxys_toolchain(
    required: str, machine: str, toolchain: str
) -> None:
    assert go_toolchain_for(required, machine) == toolchain


def test_a_go_newer_than_pykorm_knows_to_fetch_is_a_clear_failure() -> None:
    with pytest.raises(BuildFailed, match=f"needs Go 1.99.0.*{GO_TOOLCHAIN}"):
        go_toolchain_for("1.99.0", "go1.26.8")


def test_parse_go_directive() -> None:
    assert parse_go_directive("module x\n\ngo 1.26.0\n\ntoolchain go1.26.8\n") == "1.26.0"
    assert parse_go_directive("module x\n") == "1.21"


# -- releases cached side by side ----------------------------------------------------------------


def fake_release(version: str, names: dict[str, int], **stamp: str) -> Path:
    folder = kwok_cache_dir() if version.startswith("kwok-") else cache_dir(version)
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    for name, size in names.items():
        (bin_dir / name).write_bytes(b"x" * size)
        (bin_dir / name).chmod(0o755)
    (bin_dir / "pykorm-build.json").write_text(json.dumps({"version": version, "sizes": names, **stamp}))
    return bin_dir


CORE = {"etcd": 10, "kube-apiserver": 11, "kube-controller-manager": 12, "kube-scheduler": 13}
KWOK = {"kwok": 14, "kwok-stages.yaml": 15}


def test_each_release_has_its_own_folder_and_every_release_shares_kwok(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYKORM_CACHE_DIR", str(tmp_path))
    old = fake_release("v1.35.4", CORE, etcd="v3.6.5", go="go1.26.8")
    new = fake_release("v1.37.2", CORE, etcd="v3.7.0", go="go1.26.8")
    assert find_binaries(environ={}, version="v1.36.3") is None
    assert find_binaries(environ={}, version="v1.35.4", workloads=True) is None  # no kwok yet

    kwok = fake_release(f"kwok-{KWOK_VERSION}", KWOK, kwok=KWOK_VERSION, go="go1.26.8")
    for bin_dir, version in ((old, "v1.35.4"), (new, "v1.37.2")):
        found = find_binaries(environ={}, version=version, workloads=True)
        assert found is not None and found.kube_apiserver == bin_dir / "kube-apiserver" and found.etcd == bin_dir / "etcd"
        assert found.kwok == kwok / "kwok" and found.kwok_stages == kwok / "kwok-stages.yaml"

    assert [(r.version, r.etcd) for r in cached_releases()] == [
        ("v1.35.4", "v3.6.5"), ("v1.37.2", "v3.7.0"), (f"kwok-{KWOK_VERSION}", None)
    ]


def test_a_kwok_built_into_a_releases_folder_before_kwok_had_its_own_is_still_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYKORM_CACHE_DIR", str(tmp_path))
    bin_dir = fake_release("v1.36.3", {**CORE, **KWOK}, kwok=KWOK_VERSION)

    found = find_binaries(environ={}, version="v1.36.3", workloads=True)

    assert found is not None and found.kwok == bin_dir / "kwok"


def test_cluster_install_list_shows_the_known_releases_and_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYKORM_CACHE_DIR", str(tmp_path))
    fake_release("v1.35.4", CORE, etcd="v3.6.5", go="go1.26.8")
    fake_release("v1.34.4", CORE, etcd="v3.6.4", go="go1.26.8")  # an older pykorm's: listed, never deleted

    assert main(["cluster", "install", "--list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"cache: {tmp_path}"
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "etcd v3.6.5, kube-apiserver, kube-controller-manager, kube-scheduler" in rows["v1.35.4"]
    assert "not pinned by this pykorm" in rows["v1.34.4"]
    unbuilt = next(r for r in KUBERNETES_RELEASES if r not in ("v1.35.4", KUBERNETES_VERSION))
    assert "not built" in rows[unbuilt] and f"cluster install --kubernetes-version {unbuilt}`" in rows[unbuilt]
    assert "(default)" in rows[KUBERNETES_VERSION] and "not built: `pykorm cluster install` " in rows[KUBERNETES_VERSION]
    assert "not built" in rows["kwok"]
    assert [line.split()[0] for line in lines[1:]] == ["v1.35.4", "v1.36.3", "v1.37.2", "v1.34.4", "kwok"]


def test_cluster_install_list_takes_no_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "install", "--list", "--kubernetes-version", "1.35"]) == 1
    assert "takes no --kubernetes-version" in capsys.readouterr().err


@pytest.mark.parametrize("source", ["option", "environment"])
def test_the_pytest_plugin_refuses_an_unknown_version_before_any_test(source: str, tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    args = ["--kubernetes-version", "1.34"] if source == "option" else []
    env = {"PYKORM_TEST_KUBERNETES_VERSION": "1.34"} if source == "environment" else {}
    import os

    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, env={**os.environ, **env,
                                                                            "PYTHONPATH": str(ROOT)})

    assert result.returncode == 4, result.stdout + result.stderr
    assert "1.34 is not a release pykorm knows" in result.stderr and "v1.35.4, v1.36.3, v1.37.2" in result.stderr
