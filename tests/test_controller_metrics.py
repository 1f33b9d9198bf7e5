"""A manager's /metrics, /healthz and /readyz on the local control plane, read by scraping them over HTTP.

The metric names and labels are controller-runtime's (issue 23, item 3); the values are checked
exactly where the reconciles make them so: results by kind, errors, the work queue's adds,
retries and depth, the durations' counts, and every answer of the API server by code and verb.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from typing import Any, Iterator

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families

import pykorm
from pykorm.controller import LeaderElection, Manager, Request, Result
from pykorm.k8s.coordination_v1 import Lease, LeaseSpec
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster

from .helpers import wait_for
from .planes import new_namespace, own_session

LABELS = {"pykorm.io/test": "metrics"}


@pytest.fixture
def session(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    with own_session(k8s_cluster, "metrics-test") as pk:
        yield pk


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of ``/metrics``: (name, labels) -> value."""
    status, text = get(port, "/metrics")
    assert status == 200
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], metric: str, **labels: str) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


def test_metrics_count_reconciles_by_result_the_work_queue_and_the_requests(session: pykorm.Pykorm) -> None:
    namespace = new_namespace(session, "metrics")
    names = ["ok-a", "ok-b", "fail-once", "requeue-once", "later"]
    for name in names:
        session.save(ConfigMap(namespace=namespace, name=name, labels=LABELS))
    registry = CollectorRegistry()
    manager = Manager(session, namespace=namespace, metrics_port=0, bind_address="127.0.0.1",
                      metrics_registry=registry)
    calls: dict[str, int] = {}

    @manager.reconciler(ConfigMap, selector=LABELS, workers=2, name="metrics-test")
    def reconcile(request: Request[ConfigMap]) -> Result | None:
        calls[request.name] = calls.get(request.name, 0) + 1
        with pytest.raises(pykorm.NotFound):  # one GET answered 404
            session.get(ConfigMap, f"{request.name}-missing", namespace)
        if request.name == "fail-once" and calls[request.name] == 1:
            raise RuntimeError("the first attempt fails")
        if request.name == "requeue-once" and calls[request.name] == 1:
            return Result(requeue=True)
        if request.name == "later":
            return Result(requeue_after=3600)
        return None

    manager.start()
    try:
        port = manager.metrics_port
        assert port is not None and port > 0
        ctl = {"controller": "metrics-test"}
        queue = {"name": "metrics-test", "controller": "metrics-test"}

        def settled() -> dict[tuple[str, frozenset[tuple[str, str]]], float] | None:
            samples = scrape(port)
            total = sum(value(samples, "controller_runtime_reconcile_total", **ctl, result=r)
                        for r in ("success", "error", "requeue", "requeue_after"))
            return samples if total >= 7 and value(samples, "controller_runtime_active_workers", **ctl) == 0 else None

        samples = wait_for(settled, "seven reconciles", 60)
        time.sleep(0.5)  # nothing more comes: check that too
        samples = scrape(port)
        assert calls == {"ok-a": 1, "ok-b": 1, "fail-once": 2, "requeue-once": 2, "later": 1}
        assert value(samples, "controller_runtime_reconcile_total", **ctl, result="success") == 4
        assert value(samples, "controller_runtime_reconcile_total", **ctl, result="error") == 1
        assert value(samples, "controller_runtime_reconcile_total", **ctl, result="requeue") == 1
        assert value(samples, "controller_runtime_reconcile_total", **ctl, result="requeue_after") == 1
        assert value(samples, "controller_runtime_reconcile_errors_total", **ctl) == 1
        assert value(samples, "controller_runtime_reconcile_time_seconds_count", **ctl) == 7
        assert value(samples, "controller_runtime_max_concurrent_reconciles", **ctl) == 2
        assert value(samples, "controller_runtime_active_workers", **ctl) == 0
        assert value(samples, "workqueue_adds_total", **queue) == 7  # five keys, two of them back after a backoff
        assert value(samples, "workqueue_retries_total", **queue) == 3  # the error, the requeue, the requeue_after
        assert value(samples, "workqueue_depth", **queue, priority="") == 0  # "later" is held back, not waiting
        assert value(samples, "workqueue_queue_duration_seconds_count", **queue) == 7
        assert value(samples, "workqueue_work_duration_seconds_count", **queue) == 7
        assert value(samples, "workqueue_unfinished_work_seconds", **queue) == 0
        host = session.transport().configuration.host.split("://", 1)[1]
        assert value(samples, "rest_client_requests_total", code="404", method="GET", host=host) >= 7
        assert value(samples, "rest_client_requests_total", code="200", method="GET", host=host) >= 1  # the list
    finally:
        manager.stop(30)
    with pytest.raises((ConnectionError, urllib.error.URLError, http.client.HTTPException)):
        get(port, "/metrics")  # closed with the manager


def test_metrics_in_the_global_registry_carry_the_programs_own(session: pykorm.Pykorm) -> None:
    mine = Counter("pykorm_test_widgets_made_total", "A metric of the operator's own", registry=REGISTRY)
    mine.inc(3)
    manager = Manager(session, namespace=new_namespace(session, "metrics"), metrics_port=0, bind_address="127.0.0.1")
    manager.start()
    try:
        assert manager.metrics_port is not None
        samples = scrape(manager.metrics_port)
        assert value(samples, "pykorm_test_widgets_made_total") == 3
        assert any(name == "process_cpu_seconds_total" for name, _ in samples)  # prometheus-client's own collectors
    finally:
        manager.stop(30)
        REGISTRY.unregister(mine)


@pykorm.k8s_custom_object("metrics.pykorm.io", "v1", "uninstalleds", kind="Uninstalled")
class Uninstalled(pykorm.NamespacedModel):
    """A kind whose CRD is never installed: its informer's list fails, for ever."""


def test_readyz_waits_for_every_cache_healthz_does_not(session: pykorm.Pykorm) -> None:
    namespace = new_namespace(session, "health")
    manager = Manager(session, namespace=namespace, health_port=0, bind_address="127.0.0.1")
    manager.cache(ConfigMap)
    manager.cache(Uninstalled)
    manager.start()
    try:
        port = manager.health_port
        assert port is not None and manager.metrics_port is None
        assert get(port, "/healthz") == (200, "ok")
        status, body = get(port, "/readyz")
        assert status == 500 and "[-]informers failed" in body and "Uninstalled" in body
        assert get(port, "/readyz/informers")[0] == 500
        status, body = get(port, "/healthz?verbose")
        assert status == 200 and "[+]ping ok" in body and "[+]informers ok" in body
        assert get(port, "/metrics")[0] == 404  # no metrics port asked for
        assert get(port, "/readyz/nonsense")[0] == 404
        manager.ready_checks["database"] = lambda: "not reachable"  # a check of the program's own
        assert "[-]database failed: not reachable" in get(port, "/readyz/database")[1]
    finally:
        manager.stop(30)


def test_a_standby_is_healthy_and_ready_once_synced(session: pykorm.Pykorm) -> None:
    namespace = new_namespace(session, "standby")
    session.save(Lease(namespace=namespace, name="metrics-lease", spec=LeaseSpec(
        holder_identity="another-replica", lease_duration_seconds=3600,
        renew_time=time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()))))
    registry = CollectorRegistry()
    manager = Manager(session, namespace=namespace, leader_election=LeaderElection("metrics-lease", namespace),
                      metrics_port=0, health_port=0, bind_address="127.0.0.1", metrics_registry=registry)

    @manager.reconciler(ConfigMap)
    def reconcile(request: Request[Any]) -> None:
        raise AssertionError("a standby reconciles nothing")

    manager.start()
    try:
        assert manager.health_port is not None and manager.metrics_port is not None
        wait_for(lambda: get(manager.health_port or 0, "/readyz")[0] == 200, "a standby's caches synced", 60)
        assert get(manager.health_port, "/healthz") == (200, "ok")
        assert not manager.leading
        assert value(scrape(manager.metrics_port), "leader_election_master_status", name="metrics-lease") == 0
    finally:
        manager.stop(30)


def test_ports_serve_both_on_one_and_a_taken_port_is_an_error(session: pykorm.Pykorm) -> None:
    namespace = new_namespace(session, "ports")
    first = Manager(session, namespace=namespace, metrics_port=0, bind_address="127.0.0.1",
                    metrics_registry=CollectorRegistry()).start()
    try:
        taken = first.metrics_port
        assert taken is not None
        with pytest.raises(OSError):
            Manager(session, namespace=namespace, health_port=taken, bind_address="127.0.0.1").start()
    finally:
        first.stop(30)
    both = Manager(session, namespace=namespace, metrics_port=taken, health_port=taken, bind_address="127.0.0.1",
                   metrics_registry=CollectorRegistry()).start()
    try:
        assert both.health_port == both.metrics_port == taken
        assert get(taken, "/metrics")[0] == 200 and get(taken, "/healthz")[0] == 200
    finally:
        both.stop(30)
