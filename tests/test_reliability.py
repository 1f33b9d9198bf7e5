"""Surviving a real API server: throttling, dead connections, expired lists (issue #13).

Faults come from :class:`pykorm.testing.FaultProxy` in front of a real API server,
from API Priority and Fairness objects that throttle for real, from restarting
kube-apiserver and from compacting etcd. Tests that restart or reconfigure the
server run a control plane of their own, and skip against an existing cluster.
Time bounds are generous: the machine is shared and loaded.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from email.utils import formatdate
from pathlib import Path
from typing import Callable, Iterator

import pytest
import urllib3

import pykorm
from pykorm._http.retry import retry_after
from pykorm._http.transport import _resendable
from pykorm.testing import Cluster, FaultProxy, LocalControlPlane

from .models import ConfigMap
from .helpers import wait_for
from .planes import new_namespace, private_plane

ROOT = Path(__file__).resolve().parent.parent
ROOT_CA = "kube-root-ca.crt"
FAST = pykorm.RetryPolicy(max_retries=3, backoff=0.01, max_backoff=0.05)


def all_while_held(proxy: FaultProxy, query: pykorm.Query[ConfigMap], path: str, change: Callable[[], object]) -> list[ConfigMap]:
    """``query.all()``, with the first request matching ``path`` held at the proxy while ``change()`` runs."""
    release = proxy.hold(path=path)
    held_before = len([e for e in proxy.seen(path=path) if e.outcome == "held"])
    result: list[list[ConfigMap]] = []
    thread = threading.Thread(target=lambda: result.append(query.all()), daemon=True)
    thread.start()
    wait_for(lambda: len([e for e in proxy.seen(path=path) if e.outcome == "held"]) > held_before, what=path)
    change()
    release.set()
    thread.join(120)
    return result[0]


def configmaps(session: pykorm.Pykorm, *namespaces: str) -> pykorm.Query[ConfigMap]:
    """The test's ConfigMaps: not the CA bundle that kube-controller-manager publishes in every namespace."""
    return ConfigMap.query.session(session).namespace(*namespaces).exclude(name=ROOT_CA)


# -- the rules, offline ---------------------------------------------------------------------


def test_retry_policy_waits_at_least_what_the_server_asks_and_spreads_clients() -> None:
    policy = pykorm.RetryPolicy()
    waits = [policy.delay(1, 1.0) for _ in range(200)]
    assert all(1.0 <= w <= 1.25 for w in waits) and len(set(waits)) > 100  # Retry-After, plus jitter
    assert all(policy.delay(3, 600.0) <= 60 + 1 for _ in range(20))  # the server's delay is capped
    assert all(0.125 <= policy.delay(1, None) <= 0.25 for _ in range(20))
    assert all(4.0 <= policy.delay(30, None) <= 8.0 for _ in range(20))  # the backoff is capped
    assert pykorm.RetryPolicy.none().max_retries == 0
    with pytest.raises(ValueError):
        pykorm.RetryPolicy(max_retries=-1)


def test_what_is_retried_follows_client_go() -> None:
    assert retry_after(429, {"Retry-After": "3"}) == (True, 3.0)
    assert retry_after(429, {}) == (True, None)  # a proxy's 429 without the header: backoff
    assert retry_after(503, {"Retry-After": "1"}) == (True, 1.0)
    assert retry_after(500, {"Retry-After": "0"}) == (True, 0.0)
    assert retry_after(503, {}) == (False, None)  # the request may have been processed
    assert retry_after(404, {"Retry-After": "1"}) == (False, None)
    assert retry_after(503, {"Retry-After": "soon"}) == (False, None)
    later = retry_after(429, {"Retry-After": formatdate(time.time() + 30, usegmt=True)})[1]
    assert later is not None and 25 < later <= 30
    refused = urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    broken = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError())
    timed_out = urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out.")  # type: ignore[arg-type]
    assert _resendable("POST", refused) and _resendable("GET", refused)  # nothing was sent
    assert _resendable("GET", broken) and not _resendable("POST", broken) and not _resendable("PATCH", broken)
    assert not _resendable("GET", timed_out)  # the time is spent


# -- through the fault proxy, on the cluster under test ------------------------------------------


@pytest.fixture
def proxied(k8s_fault_proxy: FaultProxy, k8s_namespace: str, k8s_cluster: Cluster) -> Iterator[tuple[FaultProxy, pykorm.Pykorm, str]]:
    session = k8s_fault_proxy.session()
    yield k8s_fault_proxy, session, k8s_namespace
    session.close()


def test_429_retry_after_is_honoured(proxied: tuple[FaultProxy, pykorm.Pykorm, str], caplog: pytest.LogCaptureFixture) -> None:
    proxy, session, namespace = proxied
    session.save(ConfigMap(namespace=namespace, name="one"))
    proxy.respond(429, retry_after=1, verb="GET", path="/configmaps")
    caplog.set_level(logging.DEBUG, logger="pykorm")
    assert [c.name for c in configmaps(session, namespace)] == ["one"]
    throttled, served = proxy.seen("GET", "/configmaps")
    assert throttled.outcome == "429 (injected)" and served.outcome == "200"
    assert served.when - throttled.when >= 1.0
    assert any("HTTP 429, Retry-After 1 s; retry 1 of 10" in r.getMessage() for r in caplog.records)


def test_throttled_writes_are_retried_too(proxied: tuple[FaultProxy, pykorm.Pykorm, str]) -> None:
    proxy, session, namespace = proxied
    proxy.respond(429, retry_after=0, times=2, verb="POST")
    session.save(ConfigMap(namespace=namespace, name="created", data={"a": "1"}))
    assert [e.outcome for e in proxy.seen("POST")] == ["429 (injected)", "429 (injected)", "201"]


def test_after_the_last_retry_a_typed_error_says_how_many_attempts(proxied: tuple[FaultProxy, pykorm.Pykorm, str]) -> None:
    proxy, session, namespace = proxied
    proxy.respond(429, retry_after=0, times=100, verb="GET")
    with pytest.raises(pykorm.ServerUnavailable) as caught, pykorm.request_options(retries=FAST):
        configmaps(session, namespace).all()
    assert caught.value.attempts == 4 and caught.value.status == 429
    assert "gave up after 4 attempts" in str(caught.value)
    assert len(proxy.seen("GET")) == 4
    proxy.heal()
    proxy.respond(503, verb="GET")  # without Retry-After the request may have been processed: not retried
    with pytest.raises(pykorm.ServerUnavailable) as caught:
        configmaps(session, namespace).all()
    assert caught.value.attempts == 1 and caught.value.status == 503
    proxy.respond(503, retry_after=0, verb="GET")
    assert configmaps(session, namespace).all() == []


def test_a_get_cut_mid_body_is_retried(proxied: tuple[FaultProxy, pykorm.Pykorm, str]) -> None:
    proxy, session, namespace = proxied
    for i in range(3):
        session.save(ConfigMap(namespace=namespace, name=f"c{i}", data={"v": "x" * 2000}))
    proxy.cut(body_bytes=1500, verb="GET", path="/configmaps")
    assert [c.name for c in configmaps(session, namespace).all()] == ["c0", "c1", "c2"]
    assert [e.outcome for e in proxy.seen("GET", "/configmaps")] == ["cut after 1500 bytes of body (200)", "200"]


@pytest.mark.parametrize("body_bytes", [None, 20])
def test_a_post_whose_answer_is_lost_is_reported_not_retried(
    proxied: tuple[FaultProxy, pykorm.Pykorm, str], body_bytes: int | None
) -> None:
    proxy, session, namespace = proxied
    proxy.cut(body_bytes=body_bytes, verb="POST")
    with pytest.raises(pykorm.ServerUnavailable, match="outcome is unknown") as caught:
        session.save(ConfigMap(namespace=namespace, name="lost", data={"a": "1"}))
    assert caught.value.attempts == 1
    assert len(proxy.seen("POST")) == 1  # sent once
    assert ConfigMap.query.session(session).get("lost", namespace) is not None  # and done


def test_a_refused_connection_is_retried_then_reported(proxied: tuple[FaultProxy, pykorm.Pykorm, str]) -> None:
    proxy, session, namespace = proxied
    proxy.refuse()
    threading.Timer(1.0, proxy.heal).start()
    assert configmaps(session, namespace).all() == []  # retried until it listens again
    proxy.refuse()
    try:
        with pytest.raises(pykorm.ServerUnavailable, match="cannot connect") as caught, pykorm.request_options(retries=FAST):
            session.save(ConfigMap(namespace=namespace, name="never"))
        assert caught.value.attempts == 4 and "nothing was sent" in str(caught.value)
    finally:
        proxy.heal()


def test_a_black_holed_server_fails_within_the_connect_timeout(proxied: tuple[FaultProxy, pykorm.Pykorm, str]) -> None:
    proxy, _, namespace = proxied
    proxy.blackhole()
    session = proxy.session(connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(pykorm.ServerUnavailable) as caught:
        configmaps(session, namespace).all()
    assert time.monotonic() - started < 2 + 10 and caught.value.attempts == 1  # a timeout is not retried
    with pykorm.request_options(connect_timeout=1):  # per call
        started = time.monotonic()
        with pytest.raises(pykorm.ServerUnavailable):
            session.get(ConfigMap, "x", namespace)
        assert time.monotonic() - started < 1 + 10
    # A listening socket that never accepts: the kernel completes TCP, nobody does TLS.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        configuration = proxy.configuration()
        configuration.host = f"{'https' if proxy.certfile else 'http'}://127.0.0.1:{listener.getsockname()[1]}"
        silent = pykorm.Pykorm(clusters={"default": configuration}, make_default=False, connect_timeout=2, read_timeout=2)
        started = time.monotonic()
        with pytest.raises(pykorm.ServerUnavailable):
            silent.get(ConfigMap, "x", namespace)
        assert time.monotonic() - started < 2 + 10
        silent.close()
    session.close()


def test_a_frozen_watch_is_noticed_and_resumed(proxied: tuple[FaultProxy, pykorm.Pykorm, str], k8s_cluster: Cluster) -> None:
    proxy, session, namespace = proxied
    direct = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    events: list[tuple[float, str, str]] = []
    query = configmaps(session, namespace)

    def watch() -> None:
        for event in query.watch(timeout=90, silence=5):
            events.append((time.monotonic(), event.type, event.obj.name))
            if event.obj.name == "after":
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    wait_for(lambda: proxy.seen("GET", "watch=true"), what="the watch")
    direct.save(ConfigMap(namespace=namespace, name="before"))
    wait_for(lambda: events, what="the first event")
    assert proxy.freeze(path="watch=true") == 1
    frozen_at = time.monotonic()
    direct.save(ConfigMap(namespace=namespace, name="after"))
    thread.join(60)
    assert [(kind, name) for _, kind, name in events] == [("ADDED", "before"), ("ADDED", "after")]
    assert events[-1][0] - frozen_at < 60
    assert len(proxy.seen("GET", "watch=true")) >= 2  # a new stream, from the last resourceVersion
    direct.close()


def test_a_user_program_rides_out_throttling(k8s_fault_proxy: FaultProxy, k8s_namespace: str, tmp_path: Path) -> None:
    """A fresh process with the default session, told of nothing but $KUBECONFIG."""
    kubeconfig = k8s_fault_proxy.write_kubeconfig(tmp_path / "kubeconfig")
    program = textwrap.dedent(
        """
        import sys
        import pykorm

        @pykorm.pykorm.k8s_core(kind="ConfigMap")
        class ConfigMap(pykorm.NamespacedModel):
            pass

        pykorm.Pykorm().save(ConfigMap(namespace=sys.argv[1], name="from-a-program"))
        print([c.name for c in ConfigMap.query.namespace(sys.argv[1]) if c.name != "kube-root-ca.crt"])
        """
    )
    k8s_fault_proxy.respond(429, retry_after=1, times=2, path="/configmaps")
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", program, k8s_namespace], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['from-a-program']"
    assert [e.outcome for e in k8s_fault_proxy.seen(path="/configmaps")][:3] == ["429 (injected)", "429 (injected)", "201"]


# -- on a control plane of our own: 1-seat APF, restarts, compaction ----------------------------


@pytest.fixture(scope="module")
def own_plane(k8s_cluster: Cluster) -> Iterator[tuple[LocalControlPlane, pykorm.Pykorm]]:
    """A control plane this module may restart and compact: no watch cache (so that compaction expires
    continue tokens at once), and a server concurrency of 2 (so that a priority level gets 1 seat)."""
    apiserver = ["--watch-cache=false", "--max-requests-inflight=1", "--max-mutating-requests-inflight=1"]
    with private_plane(k8s_cluster, *apiserver, why="restarted, compacted") as found:
        yield found


@pytest.fixture
def own_namespace(own_plane: tuple[LocalControlPlane, pykorm.Pykorm]) -> str:
    return new_namespace(own_plane[1])


@pytest.fixture
def own_proxy(own_plane: tuple[LocalControlPlane, pykorm.Pykorm]) -> Iterator[FaultProxy]:
    with FaultProxy.in_front_of(Cluster.local(own_plane[0])) as proxy:
        yield proxy


def test_64_concurrent_lists_under_a_one_seat_priority_level_all_succeed(
    own_plane: tuple[LocalControlPlane, pykorm.Pykorm], own_namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    control_plane, admin = own_plane
    for i in range(5):
        admin.save(ConfigMap(namespace=own_namespace, name=f"cm{i}"))
    token, level_uid = _throttled_service_account(admin, own_namespace)
    configuration = {
        "host": control_plane.host, "ssl_ca_cert": str(control_plane.ca_file),
        "api_key": {"authorization": f"Bearer {token}"},
    }
    _wait_until_classified(control_plane, token, own_namespace, level_uid)
    throttled = pykorm.Pykorm(clusters={"default": configuration}, make_default=False)
    caplog.set_level(logging.DEBUG, logger="pykorm")
    start = threading.Barrier(64)

    def list_all(_: int) -> int:
        start.wait()
        return len(configmaps(throttled, own_namespace).all())

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        counts = list(pool.map(list_all, range(64)))
    elapsed = time.monotonic() - started
    retries = [r for r in caplog.records if "HTTP 429" in r.getMessage()]
    print(f"64 lists under 1 seat: {elapsed:.1f} s, {len(retries)} retries after 429")
    assert counts == [5] * 64
    assert retries, "the priority level did not throttle: the test proves nothing"
    assert elapsed < 240
    throttled.close()


def test_a_watch_misses_and_repeats_nothing_across_cuts_a_freeze_and_a_restart(
    own_plane: tuple[LocalControlPlane, pykorm.Pykorm], own_namespace: str, own_proxy: FaultProxy
) -> None:
    control_plane, admin = own_plane
    watching = own_proxy.session()
    expected: list[tuple[str, str, str | None]] = []  # (type, name, resourceVersion; None for deletions)
    seen: list[tuple[str, str, str | None]] = []

    def watch() -> None:
        for event in configmaps(watching, own_namespace).watch(timeout=400, silence=5):
            if event.obj.name == "the-end":
                return
            seen.append((event.type, event.obj.name, None if event.type == "DELETED" else event.obj.resource_version))

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    wait_for(lambda: own_proxy.seen("GET", "watch=true"), what="the watch")

    def writes(step: int) -> None:
        created = admin.save(ConfigMap(namespace=own_namespace, name=f"cm{step}", data={"step": "0"}))
        expected.append(("ADDED", created.name, created.resource_version))
        created.data = {"step": "1"}
        admin.save(created)
        expected.append(("MODIFIED", created.name, created.resource_version))
        if step % 2:
            admin.delete(created)
            expected.append(("DELETED", created.name, None))

    def caught_up() -> bool:
        return len(seen) >= len(expected)

    def cut(body_bytes: int | None) -> None:
        """Reset the open watch; if ``body_bytes`` is given, cut the next one's answer after that many bytes."""
        if body_bytes is not None:
            own_proxy.cut(body_bytes=body_bytes, path="watch=true")
        own_proxy.reset(path="watch=true")

    faults: list[Callable[[], object]] = [
        *(lambda n=n: cut(n) for n in (None, 150, None, 0, None, 400)),  # 6 cuts
        lambda: own_proxy.freeze(path="watch=true"),
        control_plane.restart_apiserver,
    ]
    for step, fault in enumerate(faults):
        writes(step)
        wait_for(caught_up, timeout=90, what=f"events before fault {step}")
        fault()
    writes(len(faults))
    wait_for(caught_up, timeout=120, what="the events after the restart")
    admin.save(ConfigMap(namespace=own_namespace, name="the-end"))
    thread.join(60)
    assert seen == expected
    outcomes = [e.outcome for e in own_proxy.seen("GET", "watch=true")]
    assert sum(o.startswith("cut") for o in outcomes) == 3
    watching.close()


def test_an_expired_continue_token_yields_one_consistent_list(
    own_plane: tuple[LocalControlPlane, pykorm.Pykorm], own_namespace: str, own_proxy: FaultProxy
) -> None:
    control_plane, admin = own_plane
    for i in range(9):
        admin.save(ConfigMap(namespace=own_namespace, name=f"c{i:02d}", data={"counter": "1"}))
    reader = own_proxy.session()

    def list_while_the_world_changes(query: pykorm.Query[ConfigMap], tag: str) -> list[ConfigMap]:
        def change() -> None:
            admin.delete(admin.get(ConfigMap, f"c00{tag}", own_namespace))  # on page 1
            admin.save(ConfigMap(namespace=own_namespace, name=f"b00{tag}"))  # sorts before the cursor
            counter = admin.get(ConfigMap, "c01", own_namespace)  # on page 1
            counter.data = {"counter": str(int(counter.data["counter"]) + 1)}
            admin.save(counter)
            control_plane.compact_etcd()

        return all_while_held(own_proxy, query, f"namespaces/{own_namespace}/configmaps.*continue=", change)

    query = configmaps(reader, own_namespace).page_size(3)
    listed = list_while_the_world_changes(query, "")
    assert "410" in [e.outcome for e in own_proxy.seen("GET", "continue=")]  # the token really expired
    now = {c.name: c for c in configmaps(admin, own_namespace)}
    assert [c.name for c in listed] == sorted(now)  # no deleted object, no missing new one
    assert {c.name: (c.resource_version, c.data) for c in listed} == {n: (c.resource_version, c.data) for n, c in now.items()}
    assert listed[[c.name for c in listed].index("c01")].data == {"counter": "2"}  # no stale value

    # What the server's "inconsistent continue" gives, when asked for explicitly: a mix of two states.
    admin.save(ConfigMap(namespace=own_namespace, name="c00-again"))
    mixed = list_while_the_world_changes(query.allow_inconsistent(), "-again")
    names = [c.name for c in mixed]
    assert "c00-again" in names and "b00-again" not in names  # a deleted object listed, a new one missed
    assert mixed[names.index("c01")].data == {"counter": "2"}  # page 1 was read before the change
    reader.close()


def test_a_streaming_iteration_raises_gone_once_its_snapshot_expired(
    own_plane: tuple[LocalControlPlane, pykorm.Pykorm], own_namespace: str
) -> None:
    control_plane, admin = own_plane
    for i in range(6):
        admin.save(ConfigMap(namespace=own_namespace, name=f"s{i}"))
    stream = iter(configmaps(admin, own_namespace).page_size(3))
    assert [next(stream).name for _ in range(3)] == ["s0", "s1", "s2"]
    admin.save(ConfigMap(namespace=own_namespace, name="s9"))
    control_plane.compact_etcd()
    with pytest.raises(pykorm.Gone):
        next(stream)
    # the same query materialised is one consistent list again
    assert [c.name for c in configmaps(admin, own_namespace).page_size(3).all()] == [
        "s0", "s1", "s2", "s3", "s4", "s5", "s9"
    ]


def test_a_query_over_two_namespaces_is_one_snapshot(
    own_plane: tuple[LocalControlPlane, pykorm.Pykorm], own_proxy: FaultProxy
) -> None:
    _, admin = own_plane
    reader = own_proxy.session()
    query = configmaps(reader, new_namespace(admin), new_namespace(admin))
    plan = query.explain().namespaces
    assert plan is not None
    earlier, later = plan  # the order the lists are sent in
    admin.save(ConfigMap(namespace=earlier, name="a", data={"v": "1"}))
    admin.save(ConfigMap(namespace=later, name="b", data={"v": "1"}))

    def change() -> None:  # between the two lists
        changed = admin.get(ConfigMap, "b", later)
        changed.data = {"v": "2"}
        admin.save(changed)

    listed = all_while_held(own_proxy, query, f"namespaces/{later}/", change)
    assert sorted((c.name, c.data["v"]) for c in listed) == [("a", "1"), ("b", "1")]  # as of the first list
    assert "resourceVersionMatch=Exact" in own_proxy.seen("GET", f"namespaces/{later}/")[0].path
    reader.close()


def _throttled_service_account(admin: pykorm.Pykorm, namespace: str) -> tuple[str, str]:
    """A service account allowed to list configmaps in ``namespace``, whose requests go to a
    priority level of 1 seat that rejects what it cannot queue; returns its token and the level's uid."""
    t = admin.transport()
    name = f"pykorm-one-seat-{namespace}"
    t.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts", body={"metadata": {"name": "throttled"}})
    rule = {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}
    t.request("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles",
              body={"metadata": {"name": "reader"}, "rules": [rule]})
    t.request("POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings", body={
        "metadata": {"name": "reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "throttled", "namespace": namespace}],
    })
    level = t.request("POST", "/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations", body={
        "metadata": {"name": name},
        "spec": {"type": "Limited", "limited": {
            "nominalConcurrencyShares": 1, "lendablePercent": 0, "borrowingLimitPercent": 0,
            "limitResponse": {"type": "Queue", "queuing": {"queues": 1, "handSize": 1, "queueLengthLimit": 1}},
        }},
    })
    t.request("POST", "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas", body={
        "metadata": {"name": name},
        "spec": {
            "priorityLevelConfiguration": {"name": name}, "matchingPrecedence": 500,
            "distinguisherMethod": {"type": "ByUser"},
            "rules": [{
                "subjects": [{"kind": "ServiceAccount", "serviceAccount": {"name": "throttled", "namespace": namespace}}],
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "namespaces": ["*"]}],
            }],
        },
    })
    answer = t.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/throttled/token",
                       body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})
    return answer["status"]["token"], level["metadata"]["uid"]


def _wait_until_classified(control_plane: LocalControlPlane, token: str, namespace: str, level_uid: str) -> None:
    """APF picks up new objects asynchronously: wait until the account's requests reach the new level."""
    context = ssl.create_default_context(cafile=str(control_plane.ca_file))

    def classified() -> bool:
        request = urllib.request.Request(
            f"{control_plane.host}/api/v1/namespaces/{namespace}/configmaps?limit=1",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            return bool(answer.headers.get("X-Kubernetes-PF-PriorityLevel-UID") == level_uid)

    wait_for(classified, timeout=60, what="the flow schema in effect")
