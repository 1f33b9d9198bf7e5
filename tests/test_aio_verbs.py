"""The verbs AsyncPykorm gained so that it has every verb Pykorm has (tests/unit/test_session_parity.py),
each run against the local control plane and compared with the blocking session's answer or the
official client's."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable, TypeVar

import pytest
from kubernetes.client import CoreV1Api

import pykorm
from pykorm import Pykorm, Request
from pykorm._http.resource import resource_of
from pykorm.aio import AsyncPykorm
from pykorm.k8s.core_v1 import ConfigMap, Secret
from pykorm.testing import Cluster

from .models import Peach
from .witness import official_client

T = TypeVar("T")


def run(cluster: Cluster, make: Callable[[AsyncPykorm], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        async with AsyncPykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, **options) as apk:
            return await make(apk)

    return asyncio.run(main())


@pytest.fixture
def blocking(k8s_cluster: Cluster) -> Any:
    with Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False) as pk:
        yield pk


def test_adopt_and_owners_as_the_blocking_session(k8s_cluster: Cluster, k8s_namespace: str, blocking: Pykorm) -> None:
    owner = blocking.save(ConfigMap(namespace=k8s_namespace, name="owner", data={}))
    child = blocking.save(ConfigMap(namespace=k8s_namespace, name="child", data={}))

    async def scenario(apk: AsyncPykorm) -> list[pykorm.Model]:
        stored = await apk.get(ConfigMap, "child", k8s_namespace)
        await apk.adopt(stored, owner)  # stored: saved at once
        return await apk.owners(stored)

    found = run(k8s_cluster, scenario)
    assert [(type(o), o.name, o.uid) for o in found] == [(ConfigMap, "owner", owner.uid)]
    child = blocking.refresh(child)
    assert [(r.name, r.uid, r.controller) for r in child.owner_references or []] == [("owner", owner.uid, True)]
    assert [(o.name, o.uid) for o in blocking.owners(child)] == [(o.name, o.uid) for o in found]


def test_apply_manifests_applies_each_object_the_official_client_then_reads(k8s_cluster: Cluster,
                                                                           k8s_namespace: str) -> None:
    text = f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {k8s_namespace}}}
data: {{mode: async}}
---
apiVersion: v1
kind: Secret
metadata: {{name: token, namespace: {k8s_namespace}}}
stringData: {{token: s3cret}}
"""
    applied = run(k8s_cluster, lambda apk: apk.apply_manifests(text, field_manager="aio-test"))
    assert [(type(o), o.name) for o in applied] == [(ConfigMap, "settings"), (Secret, "token")]
    with official_client(k8s_cluster) as client:
        api = CoreV1Api(client)
        stored = api.read_namespaced_config_map("settings", k8s_namespace)
        assert stored.data == {"mode": "async"}
        assert {m.manager for m in stored.metadata.managed_fields} == {"aio-test"}
        assert api.read_namespaced_secret("token", k8s_namespace).metadata.name == "token"


def test_model_for_and_resource_find_or_make_models(k8s_cluster: Cluster, crds_installed: None, k8s_namespace: str,
                                                    blocking: Pykorm) -> None:
    blocking.save(Peach(namespace=k8s_namespace, name="p", variety="Frost", price=3))

    async def scenario(apk: AsyncPykorm) -> tuple[Any, ...]:
        declared = await apk.model_for("v1", "ConfigMap")
        made = await apk.resource("peaches.pykorm.infomaniak.com")
        again = await apk.resource("peaches.pykorm.infomaniak.com")
        found = await apk.query(made).namespace(k8s_namespace).filter(spec__price__gt=2).all()
        with pytest.raises(pykorm.NotFound):
            await apk.model_for("v1", "NoSuchKind")
        return declared, made, again, [(o.name, o.spec) for o in found]

    declared, made, again, found = run(k8s_cluster, scenario)
    assert declared is ConfigMap
    assert made is again and resource_of(made).plural == "peaches" and made is not blocking.resource("peaches.pykorm.infomaniak.com")
    assert found == [("p", {"variety": "Frost", "price": 3})]


def test_wait_gone_request_serves_and_served_schema(k8s_cluster: Cluster, crds_installed: None, k8s_namespace: str,
                                                    blocking: Pykorm) -> None:
    peach = blocking.save(Peach(namespace=k8s_namespace, name="going", variety="Frost"))
    resource = resource_of(Peach)

    async def scenario(apk: AsyncPykorm) -> tuple[Any, ...]:
        with pytest.raises(pykorm.WaitTimeout):
            await apk.wait_gone(peach, timeout=0.3)
        raw = await apk.request(resource, "GET", resource.object_path(k8s_namespace, "going"))
        await apk.delete(peach)
        await apk.wait_gone(peach, timeout=30)
        return raw, await apk.serves(resource, "peaches/status"), await apk.served_schema(resource)

    raw, serves, schema = run(k8s_cluster, scenario)
    assert raw["metadata"]["uid"] == peach.uid
    assert serves == blocking.serves(resource, "peaches/status")
    assert schema == blocking.served_schema(resource) and schema is not None
    with pytest.raises(pykorm.NotFound):
        blocking.get(Peach, "going", k8s_namespace)


def test_cache_is_an_informer_whose_requests_go_through_the_async_hooks(k8s_cluster: Cluster, k8s_namespace: str,
                                                                         blocking: Pykorm) -> None:
    blocking.save(ConfigMap(namespace=k8s_namespace, name="cached", labels={"app": "web"}, data={}))
    threads: list[str] = []

    async def note(request: Request) -> None:  # an async hook: run on the session's loop
        threads.append(threading.current_thread().name)

    async def scenario(apk: AsyncPykorm) -> tuple[Any, ...]:
        informer = await apk.cache(ConfigMap, k8s_namespace)
        same = await apk.cache(ConfigMap, k8s_namespace)
        names = informer.query.filter(labels__app="web").pluck("name")
        return informer, same, names

    informer, same, names = run(k8s_cluster, scenario, event_hooks={"request": [note]})
    assert informer is same and names == ["cached"]
    assert informer.stopped  # the session's close stopped it
    assert threads and set(threads) == {threading.main_thread().name}  # each hook ran on the loop's thread
