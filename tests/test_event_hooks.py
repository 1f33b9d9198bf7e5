"""Event hooks (``Pykorm(event_hooks=...)``, ``AsyncPykorm`` too) against the local control plane.

The API server is the witness where it can be: a header a request hook adds comes back in the
server's answer (``Audit-ID``), an object a hook stopped from being deleted is still there for the
official client, and the requests counted are the pages the query asked for.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import pykorm
from pykorm import Pykorm, Request, Response
from pykorm.aio import AsyncPykorm
from pykorm.testing import Cluster

from .models import ConfigMap
from .witness import official_client


class Recorder:
    """Hooks that keep what they are called with."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.responses: list[Response] = []

    def request(self, request: Request) -> None:
        self.requests.append(request)

    def response(self, response: Response) -> None:
        self.responses.append(response)

    def hooks(self) -> dict[str, list[Any]]:
        return {"request": [self.request], "response": [self.response]}


def session(cluster: Cluster, **options: Any) -> Pykorm:
    return Pykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, make_default=False, **options)


def test_hooks_see_every_request_and_answer_of_reads_writes_and_pages(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    seen = Recorder()
    with session(k8s_cluster, event_hooks=seen.hooks()) as pk:
        for i in range(5):
            pk.save(ConfigMap(namespace=k8s_namespace, name=f"c{i}", labels={"set": "hooks"}, data={"i": str(i)}))
        creates = [(r.method, r.url.split("?")[0].rsplit("/", 1)[-1]) for r in seen.requests]
        assert creates == [("POST", "configmaps")] * 5
        assert [r.status for r in seen.responses] == [201] * 5
        assert json.loads(seen.responses[0].content or b"")["metadata"]["name"] == "c0"
        assert json.loads(seen.requests[0].body or b"")["metadata"]["name"] == "c0"

        seen.requests.clear(), seen.responses.clear()
        names = [c.name for c in ConfigMap.query.session(pk).namespace(k8s_namespace).filter_by_labels(set="hooks").page_size(2)]
        assert names == ["c0", "c1", "c2", "c3", "c4"]
        assert [r.method for r in seen.requests] == ["GET"] * 3  # pages of 2, 2, 1
        assert all("limit=2" in r.url and "labelSelector=set%3Dhooks" in r.url for r in seen.requests)
        assert [r.status for r in seen.responses] == [200] * 3
        assert all(r.request is q for r, q in zip(seen.responses, seen.requests))
        assert all(q.attempt == 1 for q in seen.requests) and all(a.elapsed >= 0 for a in seen.responses)

        seen.requests.clear(), seen.responses.clear()
        with pytest.raises(pykorm.NotFound):
            pk.get(ConfigMap, "missing", namespace=k8s_namespace)
        assert [r.status for r in seen.responses] == [404]  # the answer is seen before it becomes an error

        seen.requests.clear(), seen.responses.clear()
        events = list(ConfigMap.query.session(pk).namespace(k8s_namespace).filter_by_labels(set="hooks").watch(timeout=0.5))
        assert events == []  # nothing changed
        stream = [r for r in seen.responses if "watch=" in r.request.url]
        assert stream and all(r.content is None and r.status == 200 for r in stream)  # a stream: read after the hooks


def test_a_request_hook_may_add_headers_and_the_server_gets_them(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    answers: list[Response] = []

    def trace(request: Request) -> None:
        request.headers["Audit-ID"] = f"trace-{request.method.lower()}"

    with session(k8s_cluster, event_hooks={"request": [trace], "response": [answers.append]}) as pk:
        pk.save(ConfigMap(namespace=k8s_namespace, name="traced", data={}))
        pk.get(ConfigMap, "traced", namespace=k8s_namespace)
    # kube-apiserver takes a request's Audit-ID as the audit event's and answers with it
    assert [r.headers.get("Audit-Id") for r in answers] == ["trace-post", "trace-get"]


def test_a_hook_that_raises_stops_the_call_with_its_error(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    class Refused(Exception):
        pass

    def no_deletes(request: Request) -> None:
        if request.method == "DELETE":
            raise Refused(request.url)

    with session(k8s_cluster, event_hooks={"request": [no_deletes]}) as pk:
        kept = pk.save(ConfigMap(namespace=k8s_namespace, name="kept", data={}))
        with pytest.raises(Refused):
            pk.delete(kept)
    from kubernetes.client import CoreV1Api

    with official_client(k8s_cluster) as client:  # the request was never sent
        assert CoreV1Api(client).read_namespaced_config_map("kept", k8s_namespace).metadata.name == "kept"

    def no_answers(response: Response) -> None:
        raise Refused(response.status)

    with session(k8s_cluster, event_hooks={"response": [no_answers]}) as pk:
        sent = ConfigMap(namespace=k8s_namespace, name="sent", data={})
        with pytest.raises(Refused):
            pk.save(sent)
        assert not sent.is_stored  # the answer was not used...
    with official_client(k8s_cluster) as client:  # ...but the server had done the write
        assert CoreV1Api(client).read_namespaced_config_map("sent", k8s_namespace).metadata.name == "sent"


def test_async_sessions_await_async_hooks_and_see_what_the_blocking_one_sees(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    blocking = Recorder()
    with session(k8s_cluster, event_hooks=blocking.hooks()) as pk:
        pk.save(ConfigMap(namespace=k8s_namespace, name="a", data={}))
        ConfigMap.query.session(pk).namespace(k8s_namespace).all()
        pk.delete(pk.get(ConfigMap, "a", namespace=k8s_namespace))

    awaited: list[str] = []

    async def slow_request(request: Request) -> None:
        await asyncio.sleep(0)
        awaited.append(request.method)

    seen = Recorder()

    async def main() -> None:
        hooks = {"request": [slow_request, seen.request], "response": [seen.response]}
        async with AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, event_hooks=hooks) as apk:
            await apk.save(ConfigMap(namespace=k8s_namespace, name="a", data={}))
            await apk.query(ConfigMap).namespace(k8s_namespace).all()
            await apk.delete(await apk.get(ConfigMap, "a", namespace=k8s_namespace))

    asyncio.run(main())

    def shape(r: Recorder) -> list[tuple[str, int]]:
        return [(q.method, a.status) for q, a in zip(r.requests, r.responses)]

    assert shape(seen) == shape(blocking) == [("POST", 201), ("GET", 200), ("GET", 200), ("DELETE", 200)]
    assert awaited == ["POST", "GET", "GET", "DELETE"]


def test_an_async_hook_on_a_blocking_session_is_refused_when_called(k8s_cluster: Cluster) -> None:
    async def hook(request: Request) -> None:
        pass

    with session(k8s_cluster, event_hooks={"request": [hook]}) as pk:
        with pytest.raises(TypeError, match="async hooks are for pykorm.aio.AsyncPykorm"):
            pk.get(ConfigMap, "anything", namespace="default")
