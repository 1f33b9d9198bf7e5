"""410 Gone: an expired continue token and an expired watch resourceVersion, on a real API server.

kube-apiserver's watch cache serves old continue tokens and resourceVersions from
memory, so these tests run a control plane of their own with the cache off and
compact etcd, which makes the server answer 410 as it would after minutes.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Iterator

import pytest

import pykorm
from pykorm._session import running
from pykorm._session.watch import Watcher
from pykorm.aio import AsyncPykorm
from pykorm.testing import Cluster, LocalControlPlane, install_crds

from .models import PLANT_CRD, Plant


@pytest.fixture(scope="module")
def no_cache(k8s_cluster: Cluster) -> Iterator[tuple[LocalControlPlane, pykorm.Pykorm, str]]:
    if k8s_cluster.control_plane is None:
        pytest.skip("needs a local control plane whose kube-apiserver runs without a watch cache")
    control_plane = LocalControlPlane(extra_args={"kube-apiserver": ["--watch-cache=false"]}).start()
    try:
        install_crds(Cluster.local(control_plane), PLANT_CRD)
        session = pykorm.Pykorm(kubeconfig=control_plane.kubeconfig, make_default=False)
        namespace = f"gone-{secrets.token_hex(3)}"
        session.transport().request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
        yield control_plane, session, namespace
        session.close()
    finally:
        control_plane.stop()


def test_expired_continue_token_with_allow_inconsistent_goes_on_without_duplicates(
    no_cache: tuple[LocalControlPlane, pykorm.Pykorm, str],
) -> None:
    # Without allow_inconsistent() the iteration raises Gone here (tests/test_reliability.py).
    control_plane, session, namespace = no_cache
    for i in range(10):
        session.save(Plant(namespace=namespace, name=f"c{i:02d}", variety="Frost"))
    stream = iter(Plant.query.session(session).namespace(namespace).page_size(3).allow_inconsistent())
    got = [next(stream).name for _ in range(3)]  # the first page; a continue token is pending
    session.save(Plant(namespace=namespace, name="c99", variety="Frost"))
    control_plane.compact_etcd()
    with pytest.raises(pykorm.Gone):  # the server really refuses the old token now
        token_page = session.transport().request(
            "GET", f"/apis/pykorm.infomaniak.com/v1/namespaces/{namespace}/plants", params={"limit": 3}
        )
        session.save(Plant(namespace=namespace, name="c98", variety="Frost"))
        control_plane.compact_etcd()
        session.transport().request(
            "GET", f"/apis/pykorm.infomaniak.com/v1/namespaces/{namespace}/plants",
            params={"limit": 3, "continue": token_page["metadata"]["continue"]},
        )
    got += [p.name for p in stream]
    assert len(got) == len(set(got))  # no duplicates
    assert {f"c{i:02d}" for i in range(10)} <= set(got)  # nothing that existed throughout is lost


def change_the_world(no_cache: tuple[LocalControlPlane, pykorm.Pykorm, str], prefix: str, variety: str) -> None:
    """While no stream is open: change one plant, delete another, make a new one; then compact the history away."""
    control_plane, session, namespace = no_cache
    changed = session.get(Plant, f"{prefix}-change", namespace)
    changed.price = 5
    session.save(changed)
    session.delete(session.get(Plant, f"{prefix}-drop", namespace))
    session.save(Plant(namespace=namespace, name=f"{prefix}-new", variety=variety))
    control_plane.compact_etcd()


def test_watch_relists_after_410_and_reports_only_the_differences(no_cache: tuple[LocalControlPlane, pykorm.Pykorm, str]) -> None:
    control_plane, session, namespace = no_cache
    for name in ("keep", "change", "drop"):
        session.save(Plant(namespace=namespace, name=f"w-{name}", variety="Watched"))
    query = Plant.query.session(session).namespace(namespace).filter(variety="Watched")
    watcher = Watcher(running.client(query), Plant, query.explain(), timeout=3)
    assert sorted(p.name for p in watcher.initial()) == ["w-change", "w-drop", "w-keep"]
    change_the_world(no_cache, "w", "Watched")
    events = sorted((e.type, e.obj.name) for e in watcher.events())
    assert events == [("ADDED", "w-new"), ("DELETED", "w-drop"), ("MODIFIED", "w-change")]


def test_an_async_watch_relists_after_410_as_the_blocking_one(no_cache: tuple[LocalControlPlane, pykorm.Pykorm, str]) -> None:
    """pykorm.aio's watch is the same Watcher, on the event loop: after 410 Gone it lists again and reports the differences."""
    control_plane, session, namespace = no_cache
    for name in ("keep", "change", "drop"):
        session.save(Plant(namespace=namespace, name=f"a-{name}", variety="AsyncWatched"))

    async def scenario() -> tuple[list[str], list[tuple[str, str]]]:
        async with AsyncPykorm(kubeconfig=control_plane.kubeconfig) as apk:
            query = apk.query(Plant).ns(namespace).filter(variety="AsyncWatched").query
            watcher = Watcher(running.client(query), Plant, query.explain(), timeout=3)
            initial = sorted(p.name for p in await watcher.ainitial())
            change_the_world(no_cache, "a", "AsyncWatched")
            return initial, sorted([(e.type, e.obj.name) async for e in watcher.aevents()])

    initial, events = asyncio.run(scenario())
    assert initial == ["a-change", "a-drop", "a-keep"]
    assert events == [("ADDED", "a-new"), ("DELETED", "a-drop"), ("MODIFIED", "a-change")]
