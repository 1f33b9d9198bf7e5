"""``pk.exec`` on a kwok pod, end to end: kube-apiserver's websocket exec, kwok's ``ClusterExec`` running the
command as a local process (so the commands here are the machine's ``sh``, ``head``, ``wc``).

The official client's ``stream`` runs the same command as a witness. kwok never closes a command's stdin
(its copy of the stream does not close the pipe), so the stdin tests read a known number of bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import signal
import time
from typing import Iterator

import pytest
from kubernetes import client as k8s
from kubernetes.stream import stream

import pykorm
from pykorm.aio import AsyncPykorm
from pykorm.k8s import ConfigMap, Pod
from pykorm.k8s.core_v1 import Container, PodSpec
from pykorm._http.channels import V4, exec_query
from pykorm._http.wsexec import run_exec
from pykorm.testing import Cluster

from .witness import official_client

WAIT = 120.0


@pytest.fixture(scope="module")
def admin(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    yield session
    session.close()


@pytest.fixture(scope="module")
def pod(admin: pykorm.Pykorm, k8s_cluster: Cluster) -> Iterator[Pod]:
    """A running pod with two containers, in a namespace of this module's."""
    transport = k8s_cluster.transport()
    if not [n for n in transport.request("GET", "/api/v1/nodes")["items"]]:
        pytest.skip("no nodes: workloads do not run")
    namespace = "pykorm-exec-" + secrets.token_hex(4)
    transport.request("POST", "/api/v1/namespaces", body={"apiVersion": "v1", "kind": "Namespace",
                                                          "metadata": {"name": namespace}})
    try:
        made = admin.save(Pod(namespace=namespace, name="shell", spec=PodSpec(containers=[
            Container(name="main", image="registry.k8s.io/pause:3.9"),
            Container(name="side", image="registry.k8s.io/pause:3.9")])))
        admin.wait_for(made, lambda p: p is not None and p.status is not None and p.status.phase == "Running",
                       timeout=WAIT)
        yield made
    finally:
        with contextlib.suppress(pykorm.NotFound):
            transport.request("DELETE", f"/api/v1/namespaces/{namespace}")


def test_a_command_gives_its_stdout_stderr_and_exit_code_as_the_official_client_sees_them(
    admin: pykorm.Pykorm, pod: Pod, k8s_cluster: Cluster
) -> None:
    command = ["sh", "-c", "echo out; echo err >&2; printf 'caf\\303\\251'"]

    result = admin.exec(pod, command, "main")

    assert (result.stdout, result.stderr, result.exit_code, result.ok) == ("out\ncafé", "err\n", 0, True)
    with official_client(k8s_cluster) as client:
        seen = stream(k8s.CoreV1Api(client).connect_get_namespaced_pod_exec, pod.name, pod.namespace,
                      command=command, container="main", stderr=False, stdout=True, stdin=False, tty=False)
    assert seen == result.stdout


def test_a_non_zero_exit_is_no_error_and_keeps_the_output(admin: pykorm.Pykorm, pod: Pod) -> None:
    result = admin.exec(pod, ["sh", "-c", "echo partial; echo 'exit status 9' >&2; exit 3"], "side")

    assert (result.exit_code, result.ok, result.stdout, result.stderr) == (3, False, "partial\n", "exit status 9\n")


def test_stdin_reaches_the_command_whole(admin: pykorm.Pykorm, pod: Pod) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)  # 3 MiB of binary, many frames; echoed back while it is sent

    assert admin.exec(pod, ["head", "-c", "11"], "main", stdin="héllo wörld").stdout_bytes == "héllo wörld".encode()[:11]
    echoed = admin.exec(pod, ["head", "-c", str(len(data))], "main", stdin=data, timeout=WAIT)
    assert echoed.stdout_bytes == data and echoed.exit_code == 0


def test_a_huge_output_arrives_whole(admin: pykorm.Pykorm, pod: Pod) -> None:
    size = 24 * 1024 * 1024
    script = f"head -c {size} /dev/zero | tr '\\0' 'x'; echo done >&2"

    result = admin.exec(pod, ["sh", "-c", script], "main", timeout=WAIT)

    assert len(result.stdout_bytes) == size
    assert hashlib.sha256(result.stdout_bytes).digest() == hashlib.sha256(b"x" * size).digest()
    assert result.stderr == "done\n" and result.exit_code == 0


def test_what_does_not_exist_is_refused_with_the_servers_typed_error(admin: pykorm.Pykorm, pod: Pod) -> None:
    ghost = Pod(namespace=pod.namespace, name="ghost")
    with pytest.raises(pykorm.NotFound, match="ghost"):
        admin.exec(ghost, ["true"], "main")
    with pytest.raises(pykorm.ValidationError, match="container nope is not valid"):
        admin.exec(pod, ["true"], "nope")
    with pytest.raises(pykorm.ValidationError, match="choose one of"):
        admin.exec(pod, ["true"])  # two containers, none named
    with pytest.raises(pykorm.ExecFailed, match="executable file not found") as failed:
        admin.exec(pod, ["no-such-program-" + secrets.token_hex(2)], "main")
    assert failed.value.result is not None and failed.value.result.exit_code == -1
    with pytest.raises(pykorm.ClientValidationError, match="not in a ConfigMap"):
        admin.exec(ConfigMap(namespace=pod.namespace, name="x"), ["true"])  # type: ignore[arg-type]
    for command in ([], "ls -l", ["ls", 3]):
        with pytest.raises(pykorm.ClientValidationError):
            admin.exec(pod, command, "main")  # type: ignore[arg-type]
    with pytest.raises(pykorm.ClientValidationError):
        admin.exec(Pod(namespace=pod.namespace, name="../x"), ["true"], "main")
    with pytest.raises(pykorm.ClientValidationError, match="timeout"):
        admin.exec(pod, ["true"], "main", timeout=0)


def test_a_timeout_gives_what_the_command_wrote_so_far(admin: pykorm.Pykorm, pod: Pod) -> None:
    started = time.monotonic()
    with pytest.raises(pykorm.WaitTimeout) as timed_out:
        admin.exec(pod, ["sh", "-c", "echo $$; exec sleep 60"], "main", timeout=2)

    assert 2 <= time.monotonic() - started < 3 + 1
    partial = timed_out.value.last
    assert partial.exit_code == -1 and partial.stderr == ""
    # kwok ran it here, and, as kubelets do, lets it run when the client goes: end it
    os.kill(int(partial.stdout.strip()), signal.SIGTERM)


def test_the_older_v4_protocol_works_without_closing_stdin(admin: pykorm.Pykorm, pod: Pod) -> None:
    path = f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}/exec"

    result = run_exec(admin.transport(), path, exec_query(["sh", "-c", "head -c 3; exit 4"], "main", True), b"abc",
                      time.monotonic() + WAIT, protocols=(V4,))

    assert (result.stdout, result.exit_code) == ("abc", 4)


def test_async_exec_and_its_cancellation(pod: Pod, k8s_cluster: Cluster) -> None:
    async def main() -> tuple[pykorm.ExecResult, float]:
        async with AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context) as apk:
            results = await asyncio.gather(*(apk.exec(pod, ["sh", "-c", f"echo {i}; exit {i}"], "side")
                                             for i in range(3)))
            assert [(r.stdout, r.exit_code) for r in results] == [(f"{i}\n", i) for i in range(3)]
            task = asyncio.ensure_future(apk.exec(pod, ["sleep", "20"], "side"))
            await asyncio.sleep(1)
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            with pytest.raises(pykorm.WaitTimeout):
                await apk.exec(pod, ["sleep", "20"], "side", timeout=1)
            return await apk.exec(pod, ["head", "-c", "2"], "side", stdin=b"ok!"), time.monotonic() - started

    result, _ = asyncio.run(main())
    assert result.stdout == "ok"

