"""How many objects each kind of read asks the API server for per request, and that the answers do not depend on it.

Iteration streams in pages of 500 (memory bounded by a page); a read that holds or counts every object
before it returns (``all()``, ``count()`` with a Python-side filter, ``values()``, ``pluck()``, ``order_by``)
asks for pages of 5,000; ``page_size(n)`` sets both; a slice the server filters asks for no more than it
needs. The requests are seen through event hooks; the objects are compared with the official client's list.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import kubernetes
import pytest

from pykorm import Pykorm, Request
from pykorm.aio import AsyncPykorm
from pykorm.testing import Cluster

from .models import ConfigMap
from .witness import official_client

N = 7


@pytest.fixture
def filled(k8s_cluster: Cluster, k8s_namespace: str) -> str:
    """``k8s_namespace`` with N ConfigMaps the official client made (beside the namespace's own kube-root-ca.crt)."""
    namespace = k8s_namespace
    with official_client(k8s_cluster) as api:
        core = kubernetes.client.CoreV1Api(api)
        for i in range(N):
            core.create_namespaced_config_map(namespace, {"metadata": {"name": f"c{i}", "labels": {"set": "pages"}},
                                                         "data": {"i": str(i)}})
    return namespace


def limits(seen: list[Request]) -> list[int | None]:
    """The ``limit`` of each list request seen (None: none asked)."""
    found: list[int | None] = []
    for request in seen:
        if request.method != "GET" or not urlsplit(request.url).path.endswith("/configmaps"):
            continue
        asked = parse_qs(urlsplit(request.url).query).get("limit")
        found.append(int(asked[0]) if asked else None)
    return found


def witness(cluster: Cluster, namespace: str) -> list[str]:
    with official_client(cluster) as api:
        items = kubernetes.client.CoreV1Api(api).list_namespaced_config_map(namespace, label_selector="set=pages").items
    return sorted(item.metadata.name for item in items)


def test_each_read_asks_for_the_page_its_kind_needs_and_answers_the_same(k8s_cluster: Cluster, filled: str) -> None:
    seen: list[Request] = []
    expected = witness(k8s_cluster, filled)
    assert len(expected) == N
    with Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False,
                event_hooks={"request": [seen.append]}) as pk:
        query = ConfigMap.query.session(pk).namespace(filled).filter_by_labels(set="pages")

        def asked(read: Any) -> tuple[Any, list[int | None]]:
            seen.clear()
            return read(), limits(seen)

        assert asked(lambda: [c.name for c in query]) == (expected, [500])  # streaming: a page of 500
        assert asked(lambda: [c.name for c in query.all()]) == (expected, [5000])  # the whole list
        assert asked(lambda: query.pluck("name")) == (expected, [5000])
        assert asked(lambda: [v["name"] for v in query.values("name")]) == (expected, [5000])
        assert asked(lambda: [c.name for c in query.order_by("-name")]) == (expected[::-1], [5000])
        assert asked(lambda: query.filter(data__i__in=["1", "2"]).count()) == (2, [5000])  # Python-side: every page
        assert asked(lambda: [c.name for c in query[:3]]) == (expected[:3], [3])  # the slice needs no more
        assert asked(lambda: [c.name for c in query[:3].all()]) == (expected[:3], [3])
        # page_size(n) is the page of every read, streaming or whole
        assert asked(lambda: [c.name for c in query.page_size(3)]) == (expected, [3, 3, 3])
        assert asked(lambda: [c.name for c in query.page_size(3).all()]) == (expected, [3, 3, 3])
        assert asked(lambda: query.page_size(2).pluck("name")) == (expected, [2, 2, 2, 2])
        assert asked(lambda: [c.name for c in query.page_size(3).order_by("name")]) == (expected, [3, 3, 3])


def test_an_async_session_keeps_its_own_page_for_every_read(k8s_cluster: Cluster, filled: str) -> None:
    """AsyncPykorm(page_size=...) is the page of its queries' every read (small, so that a page's decode is
    a short step of the event loop)."""
    expected = witness(k8s_cluster, filled)

    async def main() -> None:
        seen: list[Request] = []
        async with AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, page_size=3,
                               event_hooks={"request": [seen.append]}) as pk:
            query = pk.query(ConfigMap).namespace(filled).filter_by_labels(set="pages")
            assert [c.name for c in await query.all()] == expected
            assert limits(seen) == [3, 3, 3]
            seen.clear()
            assert [c.name async for c in query] == expected
            assert limits(seen) == [3, 3, 3]
            seen.clear()
            assert [c.name for c in await query.page_size(5).all()] == expected
            assert limits(seen) == [5, 5]

    asyncio.run(main())
