"""The local control plane and the pytest plugin, tested against the session's cluster.

Everything under "the cluster" runs unchanged against an existing cluster
(``pytest --kubeconfig PATH``). The fault tests start their own processes and
need only the binaries; the unit tests at the top need nothing.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from pykorm._base.errors import ClientValidationError, CRDNotEstablished, NotFound
from pykorm._base.versions import KUBERNETES_RELEASES, KUBERNETES_VERSION
from pykorm.testing import (
    Binaries, BinaryNotFound, BuildFailed, Cluster, GoNotFound, LocalControlPlane, StartFailed, StartTimeout, ensure_binaries,
    find_binaries, install_crds,
)
from pykorm._session.crd_install import load_manifests
from pykorm.testing import _controlplane
from pykorm.testing._gobuild import parse_release_gomod, wrapper_gomod
from pykorm.testing._keys import ec_private_key_pem

from .helpers import wait_for

PEACH_CRD = Path(__file__).parent.parent / "crds" / "peaches.pykorm.infomaniak.com.yaml"
GROUP, VERSION, PLURAL = "pykorm.infomaniak.com", "v1", "peaches"


def is_gone(read: Callable[[], object]) -> bool:
    try:
        read()
    except ApiException as error:
        if error.status == 404:
            return True
        raise
    return False


def alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie waiting for its parent to reap it counts as ended)."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except ProcessLookupError:
        return False
    except FileNotFoundError:
        return not sys.platform.startswith("linux")  # no /proc (macOS): os.kill's answer stands
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# -- pure functions -----------------------------------------------------------------------

RELEASE_GOMOD = """\
module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
\tgithub.com/blang/semver/v4 v4.0.0
\tgo.etcd.io/etcd/server/v3 v3.6.8 // indirect
)

replace (
\tk8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/kube-aggregator => ./staging/src/k8s.io/kube-aggregator
)
"""


def test_parse_release_gomod_reads_go_godebug_staging_and_etcd() -> None:
    release = parse_release_gomod(RELEASE_GOMOD)

    assert release.go_version == "1.26.0"
    assert release.godebug == ("default=go1.26",)
    assert release.staging_modules == ("k8s.io/api", "k8s.io/apimachinery", "k8s.io/kube-aggregator")
    assert release.etcd_version == "v3.6.8"


@pytest.mark.parametrize(
    "text",
    [
        RELEASE_GOMOD.replace("go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/client/v3"),
        RELEASE_GOMOD.replace("./staging/src/", "../elsewhere/"),
    ],
    ids=["no-etcd", "no-staging"],
)
def test_parse_release_gomod_refuses_what_is_not_a_release_gomod(text: str) -> None:
    with pytest.raises(BuildFailed):
        parse_release_gomod(text)


def test_wrapper_gomod_pins_kubernetes_etcd_and_every_staging_module() -> None:
    text = wrapper_gomod("v1.36.3", parse_release_gomod(RELEASE_GOMOD))

    assert "go 1.26.0\n" in text
    assert "godebug default=go1.26\n" in text
    assert "\tk8s.io/kubernetes v1.36.3\n" in text
    assert "\tgo.etcd.io/etcd/server/v3 v3.6.8\n" in text
    for module in ("k8s.io/api", "k8s.io/apimachinery", "k8s.io/kube-aggregator"):
        assert f"\t{module} => {module} v0.36.3\n" in text


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def test_ec_private_key_pem_is_an_rfc5915_p256_key() -> None:
    pem = ec_private_key_pem().decode()
    lines = pem.strip().splitlines()
    der = base64.b64decode("".join(lines[1:-1]))

    assert lines[0] == "-----BEGIN EC PRIVATE KEY-----" and lines[-1] == "-----END EC PRIVATE KEY-----"
    assert all(len(line) <= 64 for line in lines)
    assert der[0] == 0x30 and der[1] == len(der) - 2  # SEQUENCE of the rest
    assert der[2:5] == b"\x02\x01\x01"  # INTEGER version 1
    assert der[5:7] == b"\x04\x20"  # OCTET STRING of 32 bytes: the private scalar
    scalar = int.from_bytes(der[7:39], "big")
    assert 0 < scalar < P256_ORDER
    assert der[39:] == bytes.fromhex("a00a06082a8648ce3d030107")  # [0] OID prime256v1
    assert ec_private_key_pem() != ec_private_key_pem()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_ec_private_key_pem_is_accepted_by_openssl(tmp_path: Path) -> None:
    key = tmp_path / "sa.key"
    key.write_bytes(ec_private_key_pem())

    result = subprocess.run(["openssl", "ec", "-in", str(key), "-check", "-noout"], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr


def test_load_manifests_reads_multi_document_yaml_and_json_lists(tmp_path: Path) -> None:
    crd = load_manifests(PEACH_CRD)[0]
    other = {**crd, "metadata": {"name": "plums.pykorm.infomaniak.com"}}
    multi = tmp_path / "two.yaml"
    multi.write_text(PEACH_CRD.read_text() + "\n---\n" + json.dumps(other) + "\n---\n")
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [crd, other]}))

    assert crd["spec"]["names"]["kind"] == "Peach"
    for path in (multi, listed):
        assert [c["metadata"]["name"] for c in load_manifests(path)] == [PEACH_CRD.stem, "plums.pykorm.infomaniak.com"]


def test_load_manifests_refuses_what_is_not_a_crd(tmp_path: Path) -> None:
    with pytest.raises(ClientValidationError, match="found a ConfigMap"):
        load_manifests({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    with pytest.raises(ClientValidationError, match="cannot read"):
        load_manifests(tmp_path / "missing.yaml")


# -- binaries and faults ------------------------------------------------------------------

_BINARY_VARIABLES = (
    "KUBEBUILDER_ASSETS",
    "TEST_ASSET_ETCD",
    "TEST_ASSET_KUBE_APISERVER",
    "TEST_ASSET_KUBE_CONTROLLER_MANAGER",
)


def test_missing_go_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (*_BINARY_VARIABLES, "PYKORM_GO"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PYKORM_CACHE_DIR", str(tmp_path / "cache"))  # an empty cache: a build is needed
    monkeypatch.setenv("PATH", str(tmp_path / "no-go-here"))

    with pytest.raises(GoNotFound, match=r"Go toolchain.*go\.dev/doc/install.*KUBEBUILDER_ASSETS"):
        ensure_binaries(log=lambda message: None)


def test_envtest_assets_are_used_as_they_are(tmp_path: Path) -> None:
    for name in ("etcd", "kube-apiserver", "kube-controller-manager"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)

    found = find_binaries({"KUBEBUILDER_ASSETS": str(tmp_path), "TEST_ASSET_ETCD": str(tmp_path / "etcd")})

    assert found == Binaries(tmp_path / "etcd", tmp_path / "kube-apiserver", tmp_path / "kube-controller-manager")


def test_an_asset_variable_naming_no_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BinaryNotFound, match="TEST_ASSET_ETCD"):
        find_binaries({"TEST_ASSET_ETCD": str(tmp_path / "etcd")})


def fake_binaries(tmp_path: Path, script: str) -> Binaries:
    """Binaries that all run ``script`` (a POSIX shell script body)."""
    path = tmp_path / "fake-binary"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return Binaries(path, path, path)


def test_a_binary_that_fails_to_start_is_quoted(tmp_path: Path) -> None:
    control_plane = LocalControlPlane(fake_binaries(tmp_path, "echo 'fatal: the disk is on fire' >&2\nexit 3\n"))

    with pytest.raises(StartFailed, match=r"(?s)etcd exited with code 3.*fatal: the disk is on fire") as caught:
        control_plane.start()

    assert not isinstance(caught.value, StartTimeout)
    assert control_plane.pids == {}


def test_a_binary_that_never_gets_ready_times_out(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    binaries = fake_binaries(tmp_path, f"echo $$ > {pid_file}\necho 'waiting for Godot'\nexec sleep 600\n")
    control_plane = LocalControlPlane(binaries, start_timeout=1.0)
    started = time.monotonic()

    with pytest.raises(StartTimeout, match=r"(?s)etcd was not ready after 1 s.*waiting for Godot"):
        control_plane.start()

    assert time.monotonic() - started < 10
    assert not alive(int(pid_file.read_text()))


@pytest.fixture(scope="module")
def binaries() -> Binaries:
    """The real binaries, when already built or given; the tests that need them are skipped otherwise."""
    found = find_binaries()
    if found is None:
        pytest.skip("no control-plane binaries yet (run `pykorm cluster install`)")
    return found


@contextlib.contextmanager
def port_held_by_someone_else() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_busy_port_is_traded_for_another(binaries: Binaries, monkeypatch: pytest.MonkeyPatch) -> None:
    free_port = _controlplane.free_port
    with port_held_by_someone_else() as busy:
        ports = iter([busy])  # the first port chosen (etcd's) is taken between choosing and binding
        monkeypatch.setattr(_controlplane, "free_port", lambda: next(ports, None) or free_port())

        with LocalControlPlane(binaries) as control_plane:
            etcd_log = (control_plane.directory / "etcd.log").read_text()
            assert "address already in use" in etcd_log
            assert f":{busy}" not in control_plane.etcd_url
            assert control_plane.running


def test_stop_leaves_no_process_and_no_directory(binaries: Binaries) -> None:
    control_plane = LocalControlPlane(binaries).start()
    pids, directory = control_plane.pids, control_plane.directory
    assert set(pids) == {"etcd", "kube-apiserver", "kube-controller-manager"}
    assert all(alive(pid) for pid in pids.values())

    control_plane.stop()

    assert [name for name, pid in pids.items() if alive(pid)] == []
    assert not directory.exists()


@pytest.mark.parametrize("release", [r for r in KUBERNETES_RELEASES if r != KUBERNETES_VERSION])
def test_a_control_plane_asked_for_a_release_serves_that_release(release: str) -> None:
    """The default release is the session's; each other one once (CI's `pykorm cluster install` built them all)."""
    if find_binaries(version=release) is None and not os.environ.get("CI"):
        pytest.skip(f"Kubernetes {release} is not built (pykorm cluster install --kubernetes-version {release})")
    minor = release.rsplit(".", 1)[0].lstrip("v")

    with LocalControlPlane(kubernetes_version=minor) as control_plane:
        with k8s.ApiClient(Cluster.local(control_plane).configuration()) as witness:
            served = k8s.VersionApi(witness).get_code()

        assert control_plane.server_version == served.git_version == release
        assert f"{served.major}.{served.minor}" == minor


def test_binaries_serving_another_release_than_asked_do_not_start(binaries: Binaries) -> None:
    other = next(r for r in KUBERNETES_RELEASES if r != KUBERNETES_VERSION)
    control_plane = LocalControlPlane(binaries, kubernetes_version=other)

    with pytest.raises(StartFailed, match=f"asked for Kubernetes {other}, but .* serves {KUBERNETES_VERSION}"):
        control_plane.start()

    assert control_plane.pids == {}


def test_the_plugin_refuses_a_cluster_serving_another_version_than_asked(k8s_cluster: Cluster, tmp_path: Path) -> None:
    if k8s_cluster.kubeconfig is None:
        pytest.skip("the cluster under test has no kubeconfig file")
    served = k8s_cluster.transport().request("GET", "/version")["gitVersion"]
    other = next(r for r in KUBERNETES_RELEASES if not served.startswith(r.rsplit(".", 1)[0]))
    (tmp_path / "test_uses_the_cluster.py").write_text("def test_it(k8s_cluster):\n    pass\n")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--kubeconfig={k8s_cluster.kubeconfig}",
               "--kubernetes-version", other.rsplit(".", 1)[0], str(tmp_path)]

    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})

    assert result.returncode == 4, result.stdout + result.stderr
    assert f"serves Kubernetes {served}" in result.stdout + result.stderr


ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import json, signal, sys, time
from pykorm.testing import LocalControlPlane
signal.signal(signal.SIGINT, signal.default_int_handler)
cp = LocalControlPlane().start()
print(json.dumps({"pids": list(cp.pids.values()), "directory": str(cp.directory)}), flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_processes_end_with_the_python_that_started_them(binaries: Binaries, sig: signal.Signals) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert child.stdout is not None
    started = json.loads(child.stdout.readline())
    directory = Path(started["directory"])
    try:
        child.send_signal(sig)
        child.wait(30)
        wait_for(lambda: not any(alive(pid) for pid in started["pids"]), "the control plane's processes end", 30, every=0.2)
        if sig == signal.SIGINT:
            assert not directory.exists()  # a kill -9 leaves the directory: nothing runs to remove it
    finally:
        child.kill()
        shutil.rmtree(directory, ignore_errors=True)


# -- the cluster --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_client(k8s_cluster: Cluster) -> Iterator[k8s.ApiClient]:
    with k8s.ApiClient(k8s_cluster.configuration()) as api_client:
        yield api_client


@pytest.fixture(scope="module")
def core(api_client: k8s.ApiClient) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(api_client)


@pytest.fixture(scope="module")
def custom(api_client: k8s.ApiClient) -> k8s.CustomObjectsApi:
    return k8s.CustomObjectsApi(api_client)


@pytest.fixture(scope="module")
def peach_crd(k8s_cluster: Cluster) -> dict[str, Any]:
    return install_crds(k8s_cluster, PEACH_CRD)[0]


def test_default_and_kube_system_namespaces_exist(core: k8s.CoreV1Api) -> None:
    names = {namespace.metadata.name for namespace in core.list_namespace().items}

    assert {"default", "kube-system"} <= names


def test_the_crd_is_established_and_served(peach_crd: dict[str, Any], api_client: k8s.ApiClient) -> None:
    crd = k8s.ApiextensionsV1Api(api_client).read_custom_resource_definition(PEACH_CRD.stem)
    resources = k8s.CustomObjectsApi(api_client).get_api_resources(GROUP, VERSION)

    assert {c.type: c.status for c in crd.status.conditions}["Established"] == "True"
    assert PLURAL in {resource.name for resource in resources.resources}


def peach(name: str, variety: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Peach",
        "metadata": {"name": name, "labels": labels},
        "spec": {"variety": variety, "price": 3},
    }


def test_a_custom_resource_is_created_listed_by_label_and_deleted(
    peach_crd: dict[str, Any], custom: k8s.CustomObjectsApi, k8s_namespace: str
) -> None:
    where = (GROUP, VERSION, k8s_namespace, PLURAL)
    custom.create_namespaced_custom_object(*where, peach("cake-peach", "Frost", taste="sweet"))
    custom.create_namespaced_custom_object(*where, peach("sour-peach", "Redhaven", taste="sour"))

    sweet = custom.list_namespaced_custom_object(*where, label_selector="taste=sweet")
    custom.delete_namespaced_custom_object(*where, "cake-peach")
    left = custom.list_namespaced_custom_object(*where)

    assert [(p["metadata"]["name"], p["spec"]["variety"]) for p in sweet["items"]] == [("cake-peach", "Frost")]
    assert [p["metadata"]["name"] for p in left["items"]] == ["sour-peach"]


def test_the_server_validates_custom_resources_against_the_crd_schema(
    peach_crd: dict[str, Any], custom: k8s.CustomObjectsApi, k8s_namespace: str
) -> None:
    unpriced = peach("bad-peach", "Frost")
    unpriced["spec"]["price"] = "three euros"

    with pytest.raises(ApiException) as caught:
        custom.create_namespaced_custom_object(GROUP, VERSION, k8s_namespace, PLURAL, unpriced)

    assert caught.value.status == 422 and "spec.price" in str(caught.value.body)


def test_install_crds_updates_an_existing_crd(k8s_cluster: Cluster, api_client: k8s.ApiClient) -> None:
    plum = load_manifests(PEACH_CRD)[0]
    group = f"t{secrets.token_hex(4)}.pykorm.io"
    plum = {**plum, "metadata": {"name": f"plums.{group}"}}
    plum["spec"] = {**plum["spec"], "group": group, "names": {"kind": "Plum", "plural": "plums", "singular": "plum"}}
    extensions = k8s.ApiextensionsV1Api(api_client)
    try:
        install_crds(k8s_cluster, plum)
        recoloured = json.loads(json.dumps(plum))
        recoloured["spec"]["versions"][0]["additionalPrinterColumns"][0]["name"] = "Kind of plum"

        updated = install_crds(k8s_cluster, recoloured)[0]

        assert updated["spec"]["versions"][0]["additionalPrinterColumns"][0]["name"] == "Kind of plum"
    finally:
        extensions.delete_custom_resource_definition(f"plums.{group}")


def test_install_crds_quotes_the_conditions_when_names_are_refused(
    peach_crd: dict[str, Any], k8s_cluster: Cluster
) -> None:
    clash = json.loads(json.dumps(peach_crd))  # another plural claiming the kind Peach in the same group
    clash["metadata"] = {"name": f"peachclones.{GROUP}"}
    clash["spec"]["names"] = {"kind": "Peach", "plural": "peachclones", "singular": "peachclone"}
    del clash["status"]
    transport = k8s_cluster.transport()
    try:
        with pytest.raises(CRDNotEstablished, match=r"names were refused.*NamesAccepted=False \((List)?KindConflict"):
            install_crds(transport, clash, timeout=30)
    finally:
        with contextlib.suppress(NotFound):
            transport.request("DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/peachclones.{GROUP}")


def test_an_owned_config_map_is_garbage_collected_with_its_owner(core: k8s.CoreV1Api, k8s_namespace: str) -> None:
    owner = core.create_namespaced_config_map(k8s_namespace, {"metadata": {"name": "owner"}})
    reference = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    core.create_namespaced_config_map(k8s_namespace, {"metadata": {"name": "owned", "ownerReferences": [reference]}})

    core.delete_namespaced_config_map("owner", k8s_namespace)

    wait_for(
        lambda: is_gone(lambda: core.read_namespaced_config_map("owned", k8s_namespace)),
        what="the owned ConfigMap is garbage-collected", every=0.2,
    )


def test_a_deleted_namespace_goes_away(core: k8s.CoreV1Api) -> None:
    name = f"pykorm-test-{secrets.token_hex(4)}"
    core.create_namespace({"metadata": {"name": name, "labels": {"pykorm.io/test": "true"}}})
    core.create_namespaced_config_map(name, {"metadata": {"name": "content"}})

    core.delete_namespace(name)

    wait_for(lambda: is_gone(lambda: core.read_namespace(name)), what=f"namespace {name} is deleted", every=0.2)


def test_the_namespace_fixture_gives_a_fresh_labelled_namespace(core: k8s.CoreV1Api, k8s_namespace: str) -> None:
    namespace = core.read_namespace(k8s_namespace)

    assert k8s_namespace.startswith("pykorm-test-")
    assert namespace.metadata.labels["pykorm.io/test"] == "true"
    assert namespace.status.phase == "Active"


def test_a_truncated_cached_binary_means_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pykorm._base.versions import KUBERNETES_VERSION
    from pykorm.testing._binaries import cache_dir

    monkeypatch.setenv("PYKORM_CACHE_DIR", str(tmp_path))
    bin_dir = cache_dir() / "bin"
    bin_dir.mkdir(parents=True)
    names = ("etcd", "kube-apiserver", "kube-controller-manager")
    for name in names:
        (bin_dir / name).write_bytes(b"\x7fELF" + b"x" * 100)
        (bin_dir / name).chmod(0o755)
    stamp = {"version": KUBERNETES_VERSION, "sizes": {name: 104 for name in names}}
    (bin_dir / "pykorm-build.json").write_text(json.dumps(stamp))
    assert find_binaries(environ={}) is not None
    (bin_dir / "kube-apiserver").write_bytes(b"\x7fELF")  # an interrupted copy
    assert find_binaries(environ={}) is None
