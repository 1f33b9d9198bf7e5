"""pykorm.controller's operator helpers, offline: the limiter's math, condition rules, event series and
their dedup keys, the spam filter, apply_owned's comparisons, predicates and watch keys, request gates."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import pykorm
from pykorm import ClientValidationError, ReconcileCancelled
from pykorm._base.gates import check_gates, gate, gate_deadline
from pykorm.controller import (
    ANY, DEFAULT, MaxOf, RateLimiter, TokenBucket, Watch, default_rate_limiter, find_condition, generation_changed,
    is_condition_true, label_selector, remove_condition, set_condition, status_changed, when,
)
from pykorm.controller._events import FINISH, REFRESH, EventKey, EventRecorder, SeriesBook, SpamFilter, _cut
from pykorm.controller._owned import Applied, _satisfied, _sole_writer, applied_fields_within, as_stored, contains
from pykorm.controller._watches import keys_of
from pykorm.k8s.core_v1 import ConfigMap, Namespace

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# -- the limiter ------------------------------------------------------------------------------


def test_the_token_bucket_lets_a_burst_through_then_ten_a_second_in_turn() -> None:
    clock = Clock()
    bucket: TokenBucket[str] = TokenBucket(qps=10, burst=100, clock=clock)
    waits = [bucket.when(f"k{i}") for i in range(103)]
    assert waits[:100] == [0.0] * 100
    assert waits[100:] == pytest.approx([0.1, 0.2, 0.3])  # in debt: each waits its turn
    clock.now = 0.3  # the debt paid off: one token saved since, none more
    assert bucket.when("x") == pytest.approx(0.1)
    clock.now = 100.0  # refilled, never above the burst
    assert [bucket.when("y") for _ in range(100)] == [0.0] * 100 and bucket.when("y") == pytest.approx(0.1)
    assert bucket.retries("y") == 0
    for bad in ((0, 1), (-1, 1), (10, 0), (10, 1.5), (10, True)):
        with pytest.raises(ValueError):
            TokenBucket(*bad)


def test_the_default_limiter_is_the_longer_of_per_key_backoff_and_the_overall_bucket() -> None:
    clock = Clock()
    limiter = MaxOf(RateLimiter[str](0.005, 1000.0), TokenBucket[str](10, 100, clock=clock))
    assert [limiter.when("a") for _ in range(4)] == [0.005, 0.01, 0.02, 0.04]  # the per-key backoff is longer
    for i in range(96):
        limiter.when(f"other-{i}")  # the burst used up by other keys
    assert limiter.when("b") == pytest.approx(0.1)  # a first failure waits for the bucket, not 5 ms
    assert limiter.retries("a") == 4 and limiter.retries("b") == 1
    limiter.forget("a")
    assert limiter.retries("a") == 0
    waits = [limiter.when("c") for _ in range(30)]
    assert max(waits) == 1000.0  # capped at 1000 s
    default = default_rate_limiter()
    parts = default.limiters
    assert isinstance(parts[0], RateLimiter) and (parts[0].base, parts[0].maximum) == (0.005, 1000.0)
    assert isinstance(parts[1], TokenBucket) and (parts[1].qps, parts[1].burst) == (10.0, 100)
    with pytest.raises(ValueError):
        default_rate_limiter(base=2, maximum=1)
    with pytest.raises(ValueError):
        MaxOf()


# -- conditions -------------------------------------------------------------------------------


def test_a_condition_transition_time_changes_only_with_its_status() -> None:
    conditions: list[dict[str, Any]] = []
    assert set_condition(conditions, "Ready", False, reason="Starting", message="0/2", observed_generation=1, at="T1")
    assert conditions == [{"type": "Ready", "status": "False", "reason": "Starting", "message": "0/2",
                           "observedGeneration": 1, "lastTransitionTime": "T1"}]
    # Same status, new reason, message and generation: written; no transition.
    assert set_condition(conditions, "Ready", "False", reason="Pulling", message="1/2", observed_generation=2, at="T2")
    assert conditions[0]["lastTransitionTime"] == "T1" and conditions[0]["reason"] == "Pulling"
    assert conditions[0]["observedGeneration"] == 2
    assert not set_condition(conditions, "Ready", False, reason="Pulling", message="1/2", observed_generation=2, at="T3")
    assert set_condition(conditions, "Ready", True, reason="Serving", message="2/2", observed_generation=2, at="T4")
    assert conditions[0]["lastTransitionTime"] == "T4" and conditions[0]["status"] == "True"
    assert set_condition(conditions, "example.com/Synced", "Unknown", reason="Waiting", at="T5")
    assert [c["type"] for c in conditions] == ["Ready", "example.com/Synced"]
    assert "observedGeneration" not in conditions[1]
    for bad in ({"status": 1}, {"status": "yes"}, {"reason": ""}, {"reason": "has space"}, {"reason": "x" * 1025},
                {"observed_generation": True}, {"observed_generation": -1}, {"type": "no spaces"}):
        options: dict[str, Any] = {"type": "Ready", "status": True, "reason": "Ok", **bad}
        with pytest.raises(ClientValidationError):
            set_condition(conditions, options.pop("type"), options.pop("status"), **options)


def test_conditions_on_a_model_change_its_status_only_when_needed() -> None:
    pykorm_object = ConfigMap.from_dict({"metadata": {"name": "c", "namespace": "n", "resourceVersion": "5"}})
    assert find_condition(pykorm_object, "Ready") is None and not is_condition_true(pykorm_object, "Ready")
    assert set_condition(pykorm_object, "Ready", True, reason="Serving", observed_generation=3)
    found = find_condition(pykorm_object, "Ready")
    assert found is not None and found["status"] == "True" and found["lastTransitionTime"].endswith("Z")
    assert is_condition_true(pykorm_object, "Ready")
    assert pykorm_object.original is not None and "status" not in pykorm_object.original  # tracked as a change
    assert not set_condition(pykorm_object, "Ready", True, reason="Serving", observed_generation=3)
    assert remove_condition(pykorm_object, "Ready") and not remove_condition(pykorm_object, "Ready")
    assert pykorm_object._raw["status"]["conditions"] == []


# -- events -----------------------------------------------------------------------------------


def test_isomorphic_events_make_one_event_then_a_series_written_every_30_s() -> None:
    book = SeriesBook()
    key = EventKey(("v1", "Pod", "ns", "p", "uid-1"), None, "Failed", "Pull", "ctl")
    assert book.record(key, {}, now=0.0) == "create"
    assert book.record(key, {}, now=1.0) == "patch"  # the second makes it a series at once
    assert [book.record(key, {}, now=t) for t in (2.0, 3.0, 4.0)] == [None, None, None]  # counted, not sent
    assert book.due(now=10.0) == []  # written 9 s ago: not yet
    due = book.due(now=1.0 + REFRESH)
    assert [(k, s.count) for k, s in due] == [(key, 5)] and book.due(now=2.0 + REFRESH) == []  # written once
    other = EventKey(("v1", "Pod", "ns", "p", "uid-1"), None, "Failed", "Mount", "ctl")  # another action
    assert book.record(other, {}, now=5.0) == "create"
    later = 4.0 + FINISH  # not seen for 6 minutes: the series is finished, a new Event starts
    assert book.record(key, {}, now=later) == "create"
    assert book.series[key].count == 1


def test_the_dedup_key_is_client_go_s_note_and_type_left_out() -> None:
    regarding = ("v1", "Pod", "ns", "p", "uid-1")
    assert EventKey(regarding, None, "R", "A", "c") == EventKey(regarding, None, "R", "A", "c")
    assert EventKey(regarding, None, "R", "A", "c") != EventKey(regarding, None, "R", "A", "other-controller")
    assert EventKey(regarding, None, "R", "A", "c") != EventKey(regarding, ("v1", "Node", "", "n", "u"), "R", "A", "c")
    assert EventKey(regarding, None, "R", "A", "c") != EventKey(("v1", "Pod", "ns", "p", "uid-2"), None, "R", "A", "c")
    assert _cut("é" * 600).encode().__len__() <= 1024 and _cut("short") == "short"


def test_the_spam_filter_allows_a_burst_of_25_per_object_then_one_per_5_minutes() -> None:
    spam = SpamFilter()
    pod, other = ("v1", "Pod", "ns", "p", "u1"), ("v1", "Pod", "ns", "q", "u2")
    assert [spam.allow(pod, 0.0) for _ in range(30)] == [True] * 25 + [False] * 5
    assert spam.allow(other, 0.0)  # per object
    assert not spam.allow(pod, 299.0) and spam.allow(pod, 301.0) and not spam.allow(pod, 302.0)


# -- apply_owned's comparisons ----------------------------------------------------------------


def test_contains_tells_a_desired_state_already_live() -> None:
    live = {"spec": {"replicas": 1, "strategy": {"type": "RollingUpdate"}, "template": {"spec": {"containers": [
        {"name": "sidecar", "image": "s"}, {"name": "web", "image": "nginx", "imagePullPolicy": "Always"}]}}},
            "metadata": {"labels": {"a": "1", "b": "2"}}}
    assert contains(live, {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})
    assert contains(live, {"metadata": {"labels": {"a": "1"}}})
    assert not contains(live, {"spec": {"replicas": 2}})
    assert not contains(live, {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "httpd"}]}}}})
    assert not contains(live, {"metadata": {"labels": {"c": "3"}}})
    assert not contains({"args": ["a", "b", "c"]}, {"args": ["a", "b"]})  # lists of values are atomic
    assert not contains({"flag": 1}, {"flag": True}) and not contains({"flag": True}, {"flag": 1})
    assert contains({"n": 1.0}, {"n": 1}) and not contains({"x": None}, {"x": {}})
    assert contains({"metadata": {"name": "c"}}, {"metadata": {"name": "c", "labels": {}, "annotations": {}}})
    assert not contains({"metadata": {}}, {"metadata": {"labels": {"a": "1"}}})


def test_applied_fields_within_finds_fields_to_remove() -> None:
    fields = {"f:data": {"f:a": {}, "f:b": {}}, "f:metadata": {"f:ownerReferences": {'k:{"uid":"u1"}': {}}},
              "f:spec": {"f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                         "f:finalizers": {'v:"x"': {}}, "f:items": {"i:0": {"f:n": {}}}}}
    desired: dict[str, Any] = {"data": {"a": "1", "b": "2"}, "metadata": {"ownerReferences": [{"uid": "u1"}]},
               "spec": {"ports": [{"containerPort": 80}], "finalizers": ["x"], "items": [{"n": 1}]}}
    assert applied_fields_within(fields, desired)
    assert not applied_fields_within(fields, {**desired, "data": {"a": "1"}})  # b was applied: it must go
    assert not applied_fields_within(fields, {**desired, "metadata": {"ownerReferences": [{"uid": "u2"}]}})
    assert not applied_fields_within(fields, {**desired, "spec": {**desired["spec"], "ports": [{"containerPort": 81}]}})
    assert not applied_fields_within(fields, {**desired, "spec": {**desired["spec"], "finalizers": []}})
    assert not applied_fields_within({"x:odd": {}}, desired) and not applied_fields_within({'k:{bad': {}}, [])


def test_an_apply_is_skipped_only_with_the_manager_s_own_entry_and_nothing_to_remove() -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    mine = {"manager": "op", "operation": "Apply", "fieldsV1": {"f:data": {"f:a": {}}}}
    live = {"metadata": {"name": "c", "managedFields": [mine]}, "data": {"a": "1", "other": "x"}}
    assert _satisfied(body, live, "op")
    assert not _satisfied(body, live, "someone-else")  # never applied by this manager: apply once
    assert not _satisfied({**body, "data": {"a": "2"}}, live, "op")
    removed = {**mine, "fieldsV1": {"f:data": {"f:a": {}, "f:gone": {}}}}
    assert not _satisfied(body, {**live, "metadata": {"name": "c", "managedFields": [removed]}}, "op")
    update = {**mine, "operation": "Update"}
    assert not _satisfied(body, {**live, "metadata": {"name": "c", "managedFields": [update]}}, "op")
    answer = {"metadata": {"uid": "u", "resourceVersion": "7", "managedFields": [mine]}}
    assert _sole_writer(answer, "op") and not _sole_writer(answer, "other")
    shared = {"metadata": {**answer["metadata"], "managedFields": [mine, {"manager": "kubectl", "operation": "Update"}]}}
    assert not _sole_writer(shared, "op") and not _sole_writer({"metadata": {"managedFields": [mine]}}, "op")


def test_as_stored_takes_the_server_s_form_of_each_desired_value() -> None:
    desired = {"spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}},
                                        "ports": [{"containerPort": 8080, "name": "http"}]}], "replicas": 1}}
    answer = {"spec": {"containers": [
        {"name": "sidecar", "resources": {"requests": {"cpu": "1"}}},  # another writer's element
        {"name": "web", "image": "x", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
         "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]}], "replicas": 1, "paused": False}}
    assert as_stored(answer, desired) == {"spec": {"containers": [{"name": "web", "resources": {"requests": {
        "cpu": "500m", "memory": "1Gi"}}, "ports": [{"containerPort": 8080, "name": "http"}]}], "replicas": 1}}
    assert as_stored({"args": ["a", "b"]}, {"args": ["a"]}) == {"args": ["a"]}  # shapes differ: the desired value
    assert as_stored({"a": {"b": 1}}, {"a": "x"}) == {"a": "x"} and as_stored({}, {"a": "1"}) == {"a": "1"}
    assert as_stored({"items": [{"v": "2"}]}, {"items": [{"v": "2.0"}]}) == {"items": [{"v": "2"}]}  # by place


def test_a_remembered_apply_compares_with_the_stored_form_and_never_hides_a_change() -> None:
    body = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "c"}, "spec": {"cpu": "0.5"}}
    mine = {"manager": "op", "operation": "Apply", "fieldsV1": {"f:spec": {"f:cpu": {}}}}
    live = {"metadata": {"name": "c", "resourceVersion": "9", "managedFields": [mine]}, "spec": {"cpu": "500m"}}
    assert not _satisfied(body, live, "op")  # nothing remembered: 0.5 is not 500m, apply once
    applied = Applied("d", "7", {"metadata": {"name": "c"}, "spec": {"cpu": "500m"}})
    assert _satisfied(body, live, "op", applied)  # the stored form is live (a status write changed the version)
    assert not _satisfied(body, {**live, "spec": {"cpu": "750m"}}, "op", applied)  # another writer's value
    assert _satisfied(body, {**live, "spec": {"cpu": "what"}, "metadata": {**live["metadata"], "resourceVersion": "7"}},
                      "op", applied)  # the very state the apply produced (a webhook's value included)


def test_an_event_recorder_refuses_what_its_guard_refuses_without_a_request() -> None:
    reasons = ["the manager's Lease is not held"]
    recorder = EventRecorder(None, "example.com/x", "r", guard=lambda: reasons[0] if reasons else None)  # type: ignore[arg-type]
    site = ConfigMap(namespace="ns", name="c")
    site._raw["metadata"]["uid"] = "u1"
    recorder.event(site, "Normal", "Synced", "Sync")  # a session of None: any write would fail
    assert (recorder.refused, recorder.created, recorder.dropped, recorder._thread) == (1, 0, 0, None)


# -- predicates and watch keys ----------------------------------------------------------------


def test_predicates_see_creations_deletions_and_the_changes_they_name() -> None:
    old = {"metadata": {"generation": 1, "labels": {"tier": "web"}}, "spec": {"a": 1}, "status": {"ready": 0}}
    status = {**old, "status": {"ready": 1}}
    spec = {**old, "metadata": {"generation": 2, "labels": {"tier": "web"}}}
    label = {**old, "metadata": {"generation": 1, "labels": {"tier": "db"}}}
    model: Any = ConfigMap
    assert not DEFAULT(model, old, status) and DEFAULT(model, old, spec) and DEFAULT(model, old, label)
    assert DEFAULT(model, None, old) and DEFAULT(model, old, None)
    assert (DEFAULT | status_changed)(model, old, status) and not status_changed(model, old, spec)
    assert generation_changed(model, old, spec) and not generation_changed(model, old, label)
    web = label_selector({"tier": "web"})
    assert web(model, None, old) and not web(model, old, label) and web(model, old, None)  # a deletion: the last state
    assert (DEFAULT & web)(model, old, spec) and not (DEFAULT & web)(model, None, label)
    assert (~web)(model, None, label) and ANY(model, old, old)
    no_generation = ({"metadata": {}, "data": {"a": "1"}}, {"metadata": {}, "data": {"a": "2"}})
    assert DEFAULT(model, *no_generation) and generation_changed(model, *no_generation)
    seen: list[Any] = []

    def test(old: Any, new: Any) -> bool:
        seen.append((old, new))
        return new is not None and new.data == {"a": "2"}

    custom = when(test)
    assert custom(model, *no_generation) and isinstance(seen[0][1], ConfigMap)
    seen[0][1]._raw["data"]["a"] = "changed"  # a copy: the cache's JSON is untouched
    assert no_generation[1]["data"] == {"a": "2"}
    with pytest.raises(TypeError):
        DEFAULT | (lambda o, n: True)  # type: ignore[operator]
    with pytest.raises(TypeError):
        label_selector({"a": 1})  # type: ignore[dict-item]


def test_a_map_function_s_answer_becomes_keys_or_a_clear_error() -> None:
    site = ConfigMap.from_dict({"metadata": {"name": "s", "namespace": "n"}})
    assert keys_of([site, "n/t", ("n", "u")], ConfigMap, True, "Secret n/x") == ["n/s", "n/t", "n/u"]
    assert keys_of(None, ConfigMap, True, "x") == [] and keys_of(iter(()), ConfigMap, True, "x") == []
    assert keys_of(["cluster-wide"], Namespace, False, "x") == ["cluster-wide"]
    for bad in (["no-namespace"], [("n", None)], [42], "n/s", [("", "s")]):
        with pytest.raises(ClientValidationError, match="map function for Secret n/x"):
            keys_of(bad, ConfigMap, True, "Secret n/x")  # type: ignore[arg-type]
    with pytest.raises(ClientValidationError):
        keys_of(["n/x"], Namespace, False, "x")
    with pytest.raises(TypeError):
        Watch("Secret")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Watch(ConfigMap, map=42)  # type: ignore[arg-type]


# -- gates ------------------------------------------------------------------------------------


def test_gates_refuse_requests_and_set_the_earliest_deadline() -> None:
    assert gate_deadline() is None
    check_gates()
    refused: list[str] = []

    def refuse() -> None:
        refused.append("x")
        raise ReconcileCancelled("no")

    with gate(lambda: None, deadline=time.monotonic() + 50):
        with gate(lambda: None, deadline=time.monotonic() + 5):
            deadline = gate_deadline()
            assert deadline is not None and deadline - time.monotonic() <= 5
        with gate(refuse):
            with pytest.raises(ReconcileCancelled):
                check_gates()
    assert gate_deadline() is None and refused == ["x"]
    check_gates()


def test_a_refused_request_is_never_sent(tmp_path: Path) -> None:
    """The server at port 1 refuses connections: a request that reached the wire would fail otherwise, and late."""
    from .test_session_offline import KUBECONFIG

    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    with pykorm.Pykorm(kubeconfig=tmp_path / "kubeconfig", make_default=False) as pk:
        started = time.monotonic()
        with gate(lambda: (_ for _ in ()).throw(ReconcileCancelled("the Lease is lost"))):
            with pytest.raises(ReconcileCancelled, match="Lease is lost"):
                pk.save(ConfigMap(namespace="tasks", name="never", data={"a": "1"}))
        with gate(lambda: None, deadline=time.monotonic() + 0.5), pytest.raises(pykorm.ServerUnavailable):
            pk.get(ConfigMap, "x", "tasks")  # refused connections are retried, but only until the gate's deadline
        assert time.monotonic() - started < 3.0 + 1.0  # not the 3 s no-answer budget plus the first call's


def test_a_namespaced_manager_watches_a_cluster_scoped_kind_across_the_cluster(tmp_path: Path) -> None:
    """The manager's namespace is no default for a cluster-scoped kind (a Namespace query cannot take one)."""
    from pykorm.controller import Manager

    from .test_session_offline import KUBECONFIG

    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    with pykorm.Pykorm(kubeconfig=tmp_path / "kubeconfig", make_default=False) as pk:
        manager = Manager(pk, namespace="tasks")
        manager.reconciler(ConfigMap, watches=[Watch(Namespace, lambda ns: [("tasks", ns.name)])])(lambda request: None)
        assert {(i.model, i.namespace) for i in manager.informers} == {(ConfigMap, "tasks"), (Namespace, None)}
