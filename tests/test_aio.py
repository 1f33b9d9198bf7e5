"""pykorm.aio on the local control plane: the blocking session's scenarios, awaited.

Each test is a plain function that runs its scenario with ``asyncio.run`` (no plugin needed).
The async session runs the blocking session's own code (pykorm._session.core, pykorm._base.drive), so the
results — objects, plans, errors and their messages — are compared with the blocking session's.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

import pytest

import pykorm
from pykorm import Q
from pykorm.aio import AsyncPykorm
from pykorm.testing import Cluster, FaultProxy

from .models import ConfigMap, Counter, Peach, Plant, Rating

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


def run(make: Callable[[AsyncPykorm], Awaitable[T]], cluster: Cluster, **options: Any) -> T:
    """``make(pk)`` on a fresh event loop, with an AsyncPykorm on ``cluster`` closed at the end."""
    async def main() -> T:
        async with AsyncPykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, **options) as apk:
            return await make(apk)

    return asyncio.run(main())


@pytest.fixture
def plants(k8s_cluster: Cluster, crds_installed: None, k8s_namespace: str) -> list[Plant]:
    """30 plants, made concurrently with the async session."""
    def plant(i: int) -> Plant:
        return Plant(namespace=k8s_namespace, name=f"p-{i:02d}", variety=["Frost", "Elberta", "Madison"][i % 3],
                     price=None if i % 7 == 0 else i % 10, labels={"app": "web" if i % 2 else "db"},
                     rating=Rating(exterior=i % 5) if i % 4 else None)

    async def create(apk: AsyncPykorm) -> list[Plant]:
        return list(await asyncio.gather(*(apk.save(plant(i)) for i in range(30))))

    made = run(create, k8s_cluster)
    assert {p.name for p in made} == {f"p-{i:02d}" for i in range(30)} and all(p.uid for p in made)
    return made


def test_crud_conflicts_and_typed_errors_as_the_blocking_session(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    async def scenario(apk: AsyncPykorm) -> None:
        peach = await apk.save(Peach(namespace=k8s_namespace, name="async-peach", variety="Frost", ripeness="green"))
        assert peach.uid and peach.ripeness == "green"  # status written through /status after the create
        assert pk.get(Peach, "async-peach", k8s_namespace).ripeness == "green"
        mine = await apk.get(Peach, "async-peach", k8s_namespace)
        theirs = await apk.get(Peach, "async-peach", k8s_namespace)
        theirs.price = 3
        await apk.save(theirs)
        mine.price = 4
        with pytest.raises(pykorm.ConflictError, match="changed on the server since it was read"):
            await apk.save(mine)
        await apk.refresh(mine)
        assert mine.price == 3
        await apk.update(mine, lambda p: setattr(p, "price", (p.price or 0) + 1))
        assert pk.get(Peach, "async-peach", k8s_namespace).price == 4

        async def ripen(p: Peach) -> None:  # an async mutate
            p.ripeness = "ripe"

        await apk.update(mine, ripen)
        mine.ripeness = "overripe"
        await apk.save_status(mine)
        assert pk.get(Peach, "async-peach", k8s_namespace).ripeness == "overripe"
        applied = await apk.apply(Peach(namespace=k8s_namespace, name="applied", variety="Redhaven", price=1))
        assert applied.uid and (await apk.query(Peach).ns(k8s_namespace).get("applied")) is not None
        with pytest.raises(pykorm.AlreadyExists):
            await apk.save(Peach(namespace=k8s_namespace, name="applied", variety="x"))
        await apk.delete(applied, wait=True, timeout=30)
        with pytest.raises(pykorm.NotFound):
            await apk.get(Peach, "applied", k8s_namespace)
        with pytest.raises(pykorm.NotFound):
            await apk.delete(applied)
        assert await apk.query(Peach).ns(k8s_namespace).get("applied") is None
        with pytest.raises(pykorm.NotFound):
            await apk.query(Peach).ns(k8s_namespace).get_or_raise("applied")
        with pytest.raises(pykorm.ClientValidationError):  # checked before anything is sent
            await apk.save(Peach(namespace=k8s_namespace, name="no-variety"))  # type: ignore[call-arg]
        with pytest.raises(pykorm.ClientValidationError, match="greater than or equal to 0"):  # the served schema
            await apk.save(Plant(namespace=k8s_namespace, name="bad-price", variety="x", price=-1))

    run(scenario, k8s_cluster)


def test_the_same_errors_with_the_same_messages_as_the_blocking_session(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    @pykorm.k8s_custom_object("nothere.example.com", "v1", "ghosts")
    class Ghost(pykorm.NamespacedModel):
        pass

    def blocking(call: Callable[[], object]) -> BaseException:
        with pytest.raises(pykorm.PykormError) as caught:
            call()
        return caught.value

    async def scenario(apk: AsyncPykorm) -> list[BaseException]:
        found: list[BaseException] = []
        for call in (
            lambda: apk.get(Ghost, "g", k8s_namespace),
            lambda: apk.get(Peach, "missing", k8s_namespace),
            lambda: apk.query(Peach).ns(k8s_namespace).get_or_raise("missing"),
            lambda: apk.save(Peach(namespace=k8s_namespace, name="Bad_Name", variety="x")),
            lambda: apk.query(Plant).ns(k8s_namespace).filter(price__gt=1).page(0),
        ):
            try:
                await call()
            except (pykorm.PykormError, ValueError) as error:
                found.append(error)
        return found

    got = run(scenario, k8s_cluster)
    expected = [
        blocking(lambda: pk.get(Ghost, "g", k8s_namespace)),
        blocking(lambda: pk.get(Peach, "missing", k8s_namespace)),
        blocking(lambda: Peach.query.session(pk).ns(k8s_namespace).get_or_raise("missing")),
        blocking(lambda: pk.save(Peach(namespace=k8s_namespace, name="Bad_Name", variety="x"))),
    ]
    with pytest.raises(ValueError) as bad_page:
        Plant.query.session(pk).ns(k8s_namespace).filter(price__gt=1).page(0)
    expected.append(bad_page.value)
    assert [(type(e), str(e)) for e in got] == [(type(e), str(e)) for e in expected]
    assert isinstance(got[0], pykorm.CRDNotInstalled)


HOSTILE = ["../etc", "a/b", "x?watch=true", "%2e%2e", "a b", "", "A" * 300, "ns\n"]


def test_hostile_names_are_refused_before_anything_is_sent(k8s_fault_proxy: FaultProxy) -> None:
    async def scenario(apk: AsyncPykorm) -> None:
        for bad in HOSTILE:
            if bad:  # no namespace: the context's
                with pytest.raises(pykorm.ClientValidationError):
                    await apk.save(Peach(namespace=bad, name="fine", variety="x"))
            with pytest.raises(pykorm.ClientValidationError):
                await apk.save(Peach(namespace="fine", name=bad, variety="x"))
            with pytest.raises(pykorm.ClientValidationError):
                await apk.get(Peach, bad, "fine")
            with pytest.raises(pykorm.ClientValidationError):
                apk.query(Peach).ns(bad)
            with pytest.raises(pykorm.ClientValidationError):
                await apk.query(Peach).ns("fine").get_or_raise(bad)
            with pytest.raises(pykorm.ClientValidationError):
                await apk.delete(Peach._from_server({"apiVersion": "pykorm.infomaniak.com/v1", "kind": "Peach",
                                                     "metadata": {"name": bad, "namespace": "fine"}}))
        with pytest.raises(pykorm.ClientValidationError, match="cannot resolve"):
            apk.query(Peach).filter(colour="red")

    async def main() -> None:
        async with AsyncPykorm(clusters={"default": k8s_fault_proxy.configuration()}) as apk:
            await scenario(apk)

    asyncio.run(main())
    assert k8s_fault_proxy.seen() == []  # not one request left


def test_lookups_push_down_as_in_the_blocking_query(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str,
                                                   plants: list[Plant]) -> None:
    queries: list[Callable[[Any], Any]] = [
        lambda q: q,
        lambda q: q.filter(variety="Frost"),
        lambda q: q.filter(labels__app="web", price__gte=3),
        lambda q: q.filter(Q(variety="Frost") | Q(rating__exterior__gt=2)).exclude(price=None),
        lambda q: q.filter(name__in=["p-01", "p-02", "p-29", "nope"]),
        lambda q: q.filter(name="p-05"),
        lambda q: q.order_by("-price", "name")[3:11],
        lambda q: q.filter(price__lt=5).order_by("name")[:4],
    ]

    def sync_query() -> pykorm.Query[Plant]:
        return Plant.query.session(pk).ns(k8s_namespace)

    async def scenario(apk: AsyncPykorm) -> list[Any]:
        results = []
        for make in queries:
            q = make(apk.query(Plant).ns(k8s_namespace))
            assert q.explain() == make(sync_query()).explain()  # one planner
            names = [p.name async for p in q.page_size(4)]
            results.append((names, [p.name for p in await q.all()], await q.count(), await q.exists(),
                            (await q.first() or Plant).name if await q.exists() else None,
                            await q.values("name", "spec.price"), await q.pluck("rating__exterior")))
        return results

    got = run(scenario, k8s_cluster)
    for make, (streamed, listed, count, exists, first, values, plucked) in zip(queries, got):
        q = make(sync_query())
        expected = [p.name for p in q.all()]
        assert streamed == listed == expected
        assert count == q.count() == len(expected) and exists == bool(expected)
        assert first == (expected[0] if expected else None)
        assert values == q.values("name", "spec.price") and plucked == q.pluck("rating__exterior")
    assert got[0][2] == 30 and 0 < got[1][2] < 30


def test_pages_and_bulk_operations(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str,
                                   plants: list[Plant]) -> None:
    async def scenario(apk: AsyncPykorm) -> None:
        q = apk.query(Plant).ns(k8s_namespace)
        page = await q.page(7)
        seen = [p.name for p in page.items]
        while page.next_token:
            page = await q.page(7, page.next_token)
            seen += [p.name for p in page.items]
        assert sorted(seen) == sorted(p.name for p in plants)
        labelled = await q.filter(variety="Frost").label(picked="yes")
        assert len(labelled) == 10
        assert await q.filter(labels__picked="yes").count() == 10
        updated = await q.filter(labels__picked="yes").update(price=9)
        assert {p.price for p in updated} == {9}
        deleted = await q.filter(labels__picked="yes").delete()
        assert deleted.requests == 1 and len(deleted) == 10  # one deletecollection: the server selects them all
        one_by_one = await q.filter(price__gt=5).delete()  # a Python-side filter: one DELETE each
        assert len(one_by_one) == one_by_one.requests - 1 > 0

    run(scenario, k8s_cluster)
    assert sorted(p.name for p in Plant.query.session(pk).ns(k8s_namespace).filter(variety="Frost")) == []
    assert all((p.price or 0) <= 5 for p in Plant.query.session(pk).ns(k8s_namespace))


def test_watch_resumes_after_a_cut_without_repeats_or_losses(
    k8s_fault_proxy: FaultProxy, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    direct = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    direct.save(ConfigMap(namespace=k8s_namespace, name="before", labels={"w": "1"}))

    async def scenario() -> list[tuple[str, str]]:
        async with AsyncPykorm(clusters={"default": k8s_fault_proxy.configuration()}) as apk:
            events: list[tuple[str, str]] = []
            watched = apk.query(ConfigMap).ns(k8s_namespace).filter(labels__w="1")
            async for event in watched.watch(timeout=60, initial=True, silence=5):
                events.append((event.type, event.obj.name))
                if event.obj.name == "before" and event.type == "ADDED":
                    await asyncio.to_thread(direct.save, ConfigMap(namespace=k8s_namespace, name="first", labels={"w": "1"}))
                elif event.obj.name == "first":
                    assert k8s_fault_proxy.reset(path="watch=true") == 1  # the stream dies
                    await asyncio.to_thread(direct.save, ConfigMap(namespace=k8s_namespace, name="second", labels={"w": "1"}))
                elif event.obj.name == "second":
                    return events
            return events

    events = asyncio.run(scenario())
    assert events == [("ADDED", "before"), ("ADDED", "first"), ("ADDED", "second")]
    assert len(k8s_fault_proxy.seen("GET", "watch=true")) >= 2  # resumed on a new stream
    waited = direct.save(ConfigMap(namespace=k8s_namespace, name="waited"))

    async def wait(apk: AsyncPykorm) -> ConfigMap | None:
        async def change_soon() -> None:
            await asyncio.sleep(0.2)
            waited.data = {"ready": "yes"}
            await apk.save(waited)

        changer = asyncio.create_task(change_soon())
        mine = await apk.get(ConfigMap, "waited", k8s_namespace)
        found = await apk.wait_for(mine, lambda cm: cm is not None and cm.data.get("ready") == "yes", timeout=30)
        await changer
        return found

    found = run(wait, k8s_cluster)
    assert found is not None and found.data == {"ready": "yes"}
    direct.close()


def test_the_server_failing_gives_the_blocking_session_s_errors(k8s_fault_proxy: FaultProxy, k8s_namespace: str) -> None:
    fast = pykorm.RetryPolicy(max_retries=3, backoff=0.01, max_backoff=0.02)

    async def scenario() -> None:
        async with AsyncPykorm(clusters={"default": k8s_fault_proxy.configuration()}, retries=fast) as apk:
            k8s_fault_proxy.respond(429, retry_after=0, times=2, verb="POST")
            await apk.save(ConfigMap(namespace=k8s_namespace, name="throttled"))  # retried, as client-go does
            k8s_fault_proxy.respond(429, retry_after=0, times=100, verb="GET")
            with pytest.raises(pykorm.ServerUnavailable, match="gave up after 4 attempts") as caught:
                await apk.query(ConfigMap).ns(k8s_namespace).all()
            assert caught.value.attempts == 4
            k8s_fault_proxy.heal()
            k8s_fault_proxy.cut(verb="PATCH")  # the server did the work, the answer is lost
            cm = await apk.get(ConfigMap, "throttled", k8s_namespace)
            cm.data = {"a": "1"}
            with pytest.raises(pykorm.ServerUnavailable, match="outcome is unknown"):
                await apk.save(cm)
            k8s_fault_proxy.refuse()
            with pytest.raises(pykorm.ServerUnavailable, match="cannot connect.*nothing was sent"):
                await apk.get(ConfigMap, "throttled", k8s_namespace)
            k8s_fault_proxy.heal()
            assert (await apk.get(ConfigMap, "throttled", k8s_namespace)).data == {"a": "1"}

    asyncio.run(scenario())
    assert [e.outcome for e in k8s_fault_proxy.seen("POST")] == ["429 (injected)", "429 (injected)", "201"]


def test_a_user_program_with_models_declared_in_a_function(k8s_cluster: Cluster, k8s_namespace: str,
                                                          tmp_path: Path) -> None:
    """A fresh process: models under ``from __future__ import annotations`` inside a function, asyncio.run(main())."""
    program = textwrap.dedent(
        """
        from __future__ import annotations

        import asyncio
        import sys

        import pykorm
        from pykorm.aio import AsyncPykorm


        def models():
            @pykorm.pykorm.k8s_core(kind="ConfigMap")
            class Setting(pykorm.NamespacedModel):
                data: dict[str, str] = pykorm.fields.DataField("data", default_factory=dict)

            return Setting


        async def main(namespace: str) -> None:
            Setting = models()
            async with AsyncPykorm() as pk:
                await asyncio.gather(*(pk.save(Setting(namespace=namespace, name=f"s{i}", data={"i": str(i)}))
                                       for i in range(20)))
                q = pk.query(Setting).ns(namespace).filter(name__startswith="s1")
                print(sorted([s.name async for s in q]), await q.count(), await q.filter(name="s12").pluck("data"))
                one = await pk.query(Setting).ns(namespace).get("s3")
                one.data["i"] = "three"
                await pk.save(one)
                print((await pk.get(Setting, "s3", namespace)).data)
            assert "aiohttp" in sys.modules

        asyncio.run(main(sys.argv[1]))
        """
    )
    path = tmp_path / "program.py"
    path.write_text(program)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KUBECONFIG": str(k8s_cluster.kubeconfig)}
    done = subprocess.run([sys.executable, str(path), k8s_namespace], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['s1', 's10', 's11', 's12', 's13', 's14', 's15', 's16', 's17', 's18', 's19'] 11 [{'i': '12'}]",
                                        "{'i': 'three'}"]


def test_import_pykorm_does_not_load_aiohttp() -> None:
    code = "import sys, pykorm; assert 'aiohttp' not in sys.modules; import pykorm.aio; assert 'aiohttp' in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


LAG_OBJECTS = int(os.environ.get("PYKORM_LAG_OBJECTS", "5000"))  # 20,000 takes 40 s to create here: see the README


def test_the_event_loop_is_never_blocked_long_while_listing_many_objects(
    k8s_cluster: Cluster, k8s_namespace: str, crds_installed: None
) -> None:
    """A ticker task wakes every millisecond; between two wakes, the loop thread spends a few ms of CPU at most
    — in pykorm, aiohttp or the collector — while thousands of objects are listed, streamed and counted.

    CPU time of the loop's thread, not wall time: on a loaded machine the whole process may wait for a
    core, which blocks nothing pykorm controls. The lists are kept until the ticker stops: freeing
    thousands of objects at once is the program's step, not pykorm's.
    """
    async def create(apk: AsyncPykorm) -> None:
        gate = asyncio.Semaphore(64)

        async def one(i: int) -> None:
            async with gate:
                await apk.save(Counter(namespace=k8s_namespace, name=f"c{i:05d}", count=i))

        await asyncio.gather(*(one(i) for i in range(LAG_OBJECTS)))

    async def scenario(apk: AsyncPykorm) -> tuple[float, int, list[int]]:
        worst, ticks, done = 0.0, 0, asyncio.Event()

        async def ticker() -> None:
            nonlocal worst, ticks
            before = time.thread_time()
            while not done.is_set():
                await asyncio.sleep(0.001)
                now = time.thread_time()
                worst, ticks, before = max(worst, now - before), ticks + 1, now

        gc.collect()  # what creating the objects left to collect is not the list's
        watching = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        q = apk.query(Counter).ns(k8s_namespace)
        listed = await q.all()
        streamed = [c.count async for c in q.filter(count__gte=0)]  # a Python-side filter on every object
        counted = await q.filter(count__lt=LAG_OBJECTS // 2).count()
        done.set()
        await watching
        return worst, ticks, [len(listed), len(streamed), counted]

    started = time.monotonic()
    run(create, k8s_cluster)
    created = time.monotonic() - started
    worst, ticks, sizes = run(scenario, k8s_cluster)
    k8s_cluster.transport().request("DELETE", f"/apis/pykorm.infomaniak.com/v1/namespaces/{k8s_namespace}/counters")
    print(f"{LAG_OBJECTS} objects: created in {created:.1f} s; longest loop-thread CPU between two ticks "
          f"{worst * 1000:.2f} ms over {ticks} ticks")
    assert sizes == [LAG_OBJECTS, LAG_OBJECTS, LAG_OBJECTS // 2]
    assert ticks > 10
    # Measured 3-6 ms at 5,000 and 20,000 objects on a loaded 2-core machine (the target: 5 ms);
    # twice that here, so that the machine's noise does not fail the build.
    assert worst < 0.010


def test_a_refresh_hook_rotates_the_token_off_the_event_loop(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    """Exec plugins and expiring tokens refresh in the official client's ``refresh_api_key_hook``, called before
    each request as the blocking transport does — in a worker thread, so that a slow plugin does not block the loop."""
    configuration = copy.deepcopy(k8s_cluster.configuration())
    real = dict(configuration.api_key or {})
    if not real.get("authorization"):  # a client certificate: use the local control plane's token instead
        if k8s_cluster.control_plane is None:
            pytest.skip("the cluster under test authenticates with a client certificate, not a token")
        real = {"authorization": f"Bearer {k8s_cluster.control_plane.token}"}
        configuration.cert_file = configuration.key_file = None
    configuration.api_key = {"authorization": "Bearer expired"}
    calls: list[str] = []

    def refresh(config: Any) -> None:
        calls.append(threading.current_thread().name)
        config.api_key = dict(real)

    configuration.refresh_api_key_hook = refresh  # type: ignore[assignment]

    async def scenario() -> list[str]:
        async with AsyncPykorm(clusters={"default": configuration}) as apk:
            await apk.save(ConfigMap(namespace=k8s_namespace, name="rotated"))
            return [c.name async for c in apk.query(ConfigMap).ns(k8s_namespace).filter(name="rotated")]

    assert asyncio.run(scenario()) == ["rotated"]
    assert calls and threading.main_thread().name not in calls


def test_scale_and_logs_awaited(k8s_cluster: Cluster, k8s_namespace: str, k8s_nodes: list[str]) -> None:
    """``/scale`` and ``/log`` through the async session: a pod on a kwok node, a Deployment scaled through /scale."""
    from pykorm.k8s import ConfigMap as CoreConfigMap
    from pykorm.k8s import Deployment, Pod
    from pykorm.k8s.apps_v1 import DeploymentSpec
    from pykorm.k8s.core_v1 import Container, PodSpec, PodTemplateSpec
    from pykorm.k8s.meta_v1 import LabelSelector, ObjectMeta

    image, labels = "registry.k8s.io/pause:3.9", {"app": "quiet"}
    template = PodTemplateSpec(metadata=ObjectMeta(labels=labels), spec=PodSpec(containers=[Container(name="c", image=image)]))

    async def scenario(apk: AsyncPykorm) -> None:
        deployment = await apk.save(Deployment(namespace=k8s_namespace, name="quiet", spec=DeploymentSpec(
            replicas=0, selector=LabelSelector(match_labels=labels), template=template)))
        assert (await apk.scale(deployment, 2)).replicas == 2
        assert (await apk.get_scale(deployment)).replicas == 2
        assert (await apk.scale(deployment, 0, dry_run=True)).replicas == 0
        assert (await apk.get_scale(deployment)).replicas == 2  # a dry run changes nothing
        with pytest.raises(ValueError):
            await apk.scale(deployment, -1)
        with pytest.raises(pykorm.NotFound):  # a kind without /scale
            await apk.scale(await apk.save(CoreConfigMap(namespace=k8s_namespace, name="flat")), 1)

        pod = await apk.save(Pod(namespace=k8s_namespace, name="talker", spec=PodSpec(
            node_name=k8s_nodes[0], containers=[Container(name="work", image=image)])))
        await apk.wait_for(pod, lambda p: p is not None and p.status is not None and p.status.phase == "Running",
                           timeout=120)
        text = await apk.logs(pod)
        assert isinstance(text, str) and text.strip()
        assert (await apk.logs(pod, "work", tail_lines=1)).count("\n") <= 1
        async for line in apk.follow_logs(pod):
            assert line == text.splitlines()[0]
            break
        with pytest.raises(pykorm.ValidationError):
            await apk.logs(pod, "no-such-container")

    run(scenario, k8s_cluster)


def test_install_crds_awaited_creates_updates_and_waits_until_served(pk: pykorm.Pykorm, k8s_cluster: Cluster,
                                                                     k8s_namespace: str, tmp_path: Path) -> None:
    """A FastAPI lifespan's first line: ``await pk.install_crds(Model)`` — then the model is usable at once."""
    group = f"{k8s_namespace.rsplit('-', 1)[-1]}.aio.example.com"  # cluster-wide: one group per test run

    def declare(with_colour: bool) -> type[pykorm.NamespacedModel]:
        @pykorm.k8s_custom_object(group, "v1", "lanterns")
        class Lantern(pykorm.NamespacedModel):
            lit: bool = pykorm.Spec("lit", default=False)
            if with_colour:
                colour: str = pykorm.Spec("colour", default="amber")

        return Lantern

    bad = tmp_path / "not-a-crd.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")

    async def scenario(apk: AsyncPykorm) -> list[Any]:
        first = declare(with_colour=False)
        stored = await apk.install_crds(first)
        conditions = {c["type"]: c["status"] for c in stored[0]["status"]["conditions"]}
        await apk.save(first(namespace=k8s_namespace, name="one", lit=True))  # served: no wait, no retry needed
        second = declare(with_colour=True)  # the same CRD, a field more: replaced, then served
        await apk.install_crds(second)
        await apk.save(second(namespace=k8s_namespace, name="two", colour="red"))
        with pytest.raises(pykorm.ClientValidationError):
            await apk.install_crds(bad)
        names = await apk.query(second).ns(k8s_namespace).order_by("name").pluck("name")
        colour = (await apk.get(second, "two", k8s_namespace)).colour  # type: ignore[attr-defined]
        return [conditions["Established"], names, colour]

    try:
        assert run(scenario, k8s_cluster) == ["True", ["one", "two"], "red"]
    finally:
        pk.transport().request("DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/lanterns.{group}")
