"""The manager's probes and the work queue's metrics without a server: health answers, client-go's queue counts."""

from __future__ import annotations

import sys

import pytest
from prometheus_client import CollectorRegistry

from pykorm.controller import WorkQueue
from pykorm.controller._metrics import metrics_of
from pykorm.controller._serving import Endpoints, probe_answer

pytestmark = pytest.mark.unit


def broken() -> str | None:
    raise RuntimeError("the check itself failed")


def test_a_probe_is_ok_when_every_check_passes_and_lists_them_when_asked() -> None:
    checks = {"ping": lambda: None, "informers": lambda: None}
    assert probe_answer(checks, None, False)[:1] == (200,) and probe_answer(checks, None, False)[2] == b"ok"
    status, _, body = probe_answer(checks, None, True)
    assert status == 200 and body.decode().splitlines()[:2] == ["[+]ping ok", "[+]informers ok"]


def test_a_failing_or_raising_check_fails_the_probe_saying_which_and_why() -> None:
    status, _, body = probe_answer({"ping": lambda: None, "informers": lambda: "ConfigMap not synced",
                                    "db": broken}, None, False)
    lines = body.decode().splitlines()
    assert status == 500
    assert lines[:3] == ["[+]ping ok", "[-]informers failed: ConfigMap not synced",
                         "[-]db failed: RuntimeError: the check itself failed"]


def test_one_check_by_name_and_an_unknown_name() -> None:
    checks = {"ping": lambda: None, "informers": lambda: "not synced"}
    assert probe_answer(checks, "ping", False)[0] == 200
    assert probe_answer(checks, "informers", False)[0] == 500
    status, _, body = probe_answer(checks, "nonsense", False)
    assert status == 404 and b"informers, ping" in body


def test_routes_answer_only_what_their_port_serves() -> None:
    registry = CollectorRegistry()
    endpoints = Endpoints("127.0.0.1", None, None, registry, {"ping": lambda: None}, {"ready": lambda: None})
    assert endpoints.answer("/metrics", "", metrics=False, probes=True)[0] == 404
    assert endpoints.answer("/healthz", "", metrics=True, probes=False)[0] == 404
    assert endpoints.answer("/healthz/", "", metrics=False, probes=True)[0] == 200
    assert endpoints.answer("/readyz?verbose=1", "", metrics=False, probes=True)[2].startswith(b"[+]ready ok")
    status, content_type, _ = endpoints.answer("/metrics", "application/openmetrics-text", metrics=True, probes=False)
    assert status == 200 and content_type.startswith("application/openmetrics-text")


def test_the_queue_counts_adds_depth_retries_and_durations_as_client_go() -> None:
    registry = CollectorRegistry()
    metrics = metrics_of(registry)
    queue: WorkQueue[str] = WorkQueue()
    from pykorm.controller._metrics import QueueMetrics

    queue.observer = QueueMetrics(metrics, "c")
    labels = {"name": "c", "controller": "c"}

    def sample(name: str, **extra: str) -> float:
        found = registry.get_sample_value(name, {**labels, **extra})
        return 0.0 if found is None else found

    queue.add("a")
    queue.add("a")  # waiting already: not added twice
    queue.add("b")
    assert sample("workqueue_adds_total") == 2 and sample("workqueue_depth", priority="") == 2
    key = queue.get()
    assert key == "a" and sample("workqueue_depth", priority="") == 1
    assert sample("workqueue_longest_running_processor_seconds") > 0
    queue.add("a")  # added while processing: waits for done(), counted now (client-go's rule)
    queue.done("a")
    assert sample("workqueue_adds_total") == 3 and sample("workqueue_work_duration_seconds_count") == 1
    queue.add_rate_limited("c")
    assert sample("workqueue_retries_total") == 1 and sample("workqueue_depth", priority="") == 2  # "c" held back
    assert sample("workqueue_queue_duration_seconds_count") == 1
    assert sample("workqueue_unfinished_work_seconds") == 0
    assert metrics_of(registry) is metrics  # one set of families per registry


def test_metrics_without_prometheus_client_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(ImportError, match=r"pip install 'pykorm\[metrics\]'"):
        metrics_of(None)
