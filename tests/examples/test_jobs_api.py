"""examples/jobs_api: commands become batch/v1 Jobs, which complete on the simulated nodes.

Driven through the app's ASGI interface. kwok completes the pods of Jobs as soon as they run; a
Job that must stay unfinished (to cancel it, or to let its deadline fail it) asks for a node
label no node has, so that its pod stays Pending. Every container's log is the control plane's
one simulated log file (``append_pod_log``).
"""

from __future__ import annotations

import concurrent.futures
import secrets
from typing import Any, Iterator

import pytest

pytest.importorskip("fastapi", reason="the examples' extra: pip install -e '.[examples]'")
from fastapi.testclient import TestClient

import pykorm
from jobs_api.app import create_app
from pykorm.k8s import Job, Pod
from pykorm.k8s.batch_v1 import JobSpec
from pykorm.k8s.core_v1 import Container, PodSpec, PodTemplateSpec
from pykorm.testing import Cluster

from ..helpers import wait_for
from .conftest import WAIT, kubeconfig_of, run

NOWHERE = {"pykorm.io/test-pool": "no-such-node"}


@pytest.fixture
def client(k8s_cluster: Cluster, k8s_nodes: list[str], k8s_namespace: str) -> Iterator[TestClient]:
    app = create_app(kubeconfig=kubeconfig_of(k8s_cluster), context=k8s_cluster.context, namespace=k8s_namespace)
    with TestClient(app) as http:
        yield http


def submit(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/jobs", json={"command": ["sh", "-c", "echo hello"], **body})
    assert answer.status_code == 201, answer.text
    job: dict[str, Any] = answer.json()
    return job


def wait(client: TestClient, name: str) -> dict[str, Any]:
    answer = client.get(f"/jobs/{name}", params={"wait": WAIT})
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job


def test_a_command_runs_as_a_job_that_completes(client: TestClient) -> None:
    submitted = submit(client, name="hello", completions=2)
    assert submitted["state"] in ("pending", "running") and submitted["command"] == ["sh", "-c", "echo hello"]

    done = wait(client, "hello")

    assert (done["state"], done["succeeded"], done["failed"], done["reason"]) == ("succeeded", 2, 0, "CompletionsReached")
    assert done["completed_at"] >= done["started_at"]
    listed = client.get("/jobs").json()
    assert [(j["name"], j["state"]) for j in listed] == [("hello", "succeeded")]
    assert client.get("/jobs", params={"state": "succeeded"}).json() == listed
    assert client.get("/jobs", params={"state": "failed"}).json() == []
    assert client.get("/jobs", params={"state": "bored"}).status_code == 422


def test_logs_of_a_job(client: TestClient, k8s_cluster: Cluster) -> None:
    if k8s_cluster.control_plane is None:
        pytest.skip("the simulated log is the local control plane's")
    marker = f"ERROR: disk full {secrets.token_hex(4)}"
    k8s_cluster.control_plane.append_pod_log(f"starting\n{marker}")
    submit(client, name="one")
    submit(client, name="three", completions=3)
    wait(client, "one"), wait(client, "three")

    text = client.get("/jobs/one/logs").text
    assert marker in text and text.rstrip("\n").endswith(marker)
    assert client.get("/jobs/one/logs", params={"tail": 1}).text.strip().endswith(marker)
    assert "starting" not in client.get("/jobs/one/logs", params={"tail": 1}).text
    several = client.get("/jobs/three/logs", params={"tail": 1}).text.splitlines()
    assert len(several) == 3 and all(line.startswith("[three-") and line.endswith(marker) for line in several)
    with client.stream("GET", "/jobs/one/logs", params={"follow": True, "tail": 2}) as stream:  # finished: it ends
        assert stream.status_code == 200
        assert [line for line in stream.iter_lines() if line][-1].endswith(marker)


def test_cancel_deletes_the_job_and_its_pods(client: TestClient, admin: pykorm.Pykorm, k8s_namespace: str) -> None:
    submit(client, name="stuck", node_selector=NOWHERE, completions=2)
    pods = Pod.query.session(admin).namespace(k8s_namespace).filter_by_labels({"batch.kubernetes.io/job-name": "stuck"})
    wait_for(lambda: pods.count() >= 1, "the Job's pods exist", WAIT, every=0.2)
    assert client.get("/jobs/stuck").json()["state"] in ("pending", "running")

    assert client.delete("/jobs/stuck", params={"wait": True}).status_code == 204

    assert pods.count() == 0  # Foreground: the pods went before the Job
    assert client.get("/jobs/stuck").status_code == 404
    assert client.delete("/jobs/stuck").status_code == 404
    submit(client, name="again", node_selector=NOWHERE)
    assert client.delete("/jobs/again").status_code == 202  # without waiting
    wait_for(lambda: client.get("/jobs/again").status_code == 404, "the cancelled Job is gone", WAIT, every=0.2)


def test_a_job_past_its_deadline_is_reported_failed(client: TestClient) -> None:
    submit(client, name="late", node_selector=NOWHERE, deadline_seconds=1)

    failed = wait(client, "late")

    assert (failed["state"], failed["reason"]) == ("failed", "DeadlineExceeded")
    assert [j["name"] for j in client.get("/jobs", params={"state": "failed"}).json()] == ["late"]


def test_bad_requests_are_http_errors(client: TestClient, admin: pykorm.Pykorm, k8s_namespace: str) -> None:
    submit(client, name="taken", node_selector=NOWHERE)

    assert client.post("/jobs", json={"name": "taken", "command": ["true"]}).status_code == 409
    for body in ({"command": []}, {}, {"command": "true"}, {"command": ["true"], "completions": 0},
                 {"command": ["true"], "name": "Bad Name"}, {"command": ["true"], "name": "x" * 64},
                 {"command": ["true"], "image": ""}, {"command": ["true"], "deadline_seconds": 0}):
        answer = client.post("/jobs", json=body)
        assert answer.status_code == 422, (body, answer.text)
    assert client.get("/jobs/no-such-job").status_code == 404
    assert client.get("/jobs/no-such-job/logs").status_code == 404
    assert client.get("/jobs/taken", params={"wait": -1}).status_code == 422

    # a Job the API did not submit is not its to show or cancel
    foreign = Job(namespace=k8s_namespace, name="foreign", spec=JobSpec(template=PodTemplateSpec(spec=PodSpec(
        restart_policy="Never", node_selector=NOWHERE, containers=[Container(name="main", image="busybox")]))))
    admin.save(foreign)
    assert client.get("/jobs/foreign").status_code == 404
    assert client.delete("/jobs/foreign").status_code == 404
    assert [j["name"] for j in client.get("/jobs").json()] == ["taken"]
    assert admin.get(Job, "foreign", k8s_namespace).name == "foreign"


SUBMIT_AND_WAIT = """
from fastapi.testclient import TestClient
from jobs_api.app import app          # as uvicorn imports it: configured by the environment

with TestClient(app) as client:
    name = client.post("/jobs", json={"command": ["date"]}).json()["name"]
    print(client.get(f"/jobs/{name}", params={"wait": 120}).json()["state"])
"""


def test_the_app_as_uvicorn_loads_it_in_a_fresh_process(k8s_cluster: Cluster, k8s_nodes: list[str],
                                                         k8s_namespace: str) -> None:
    result = run("python", "-c", SUBMIT_AND_WAIT, KUBECONFIG=kubeconfig_of(k8s_cluster), JOBS_NAMESPACE=k8s_namespace)

    assert (result.returncode, result.stdout.strip()) == (0, "succeeded"), result.stderr


def test_a_wait_for_completion_rides_out_an_api_server_restart(client: TestClient, k8s_cluster: Cluster) -> None:
    if k8s_cluster.control_plane is None:
        pytest.skip("restarts the local control plane's kube-apiserver")
    submit(client, name="patient", node_selector=NOWHERE, deadline_seconds=8)  # fails in 8 s, meanwhile...

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(wait, client, "patient")
        wait_for(lambda: not waiting.done(), "the request is waiting", WAIT, every=0.2)
        k8s_cluster.control_plane.restart_apiserver()  # the watch behind the wait breaks; it resumes
        answer = waiting.result(timeout=WAIT)

    assert (answer["state"], answer["reason"]) == ("failed", "DeadlineExceeded")
