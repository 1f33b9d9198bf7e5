"""Prometheus metrics of a manager, with controller-runtime's names and labels (prometheus-client).

    >>> manager = Manager(pk, metrics_port=8080)        # GET :8080/metrics

The families, as controller-runtime (v0.24) registers them, so dashboards and alerts written
for Go operators work unchanged:

- ``controller_runtime_reconcile_total{controller,result}`` — result ``success``, ``error``,
  ``requeue`` or ``requeue_after``; ``controller_runtime_reconcile_errors_total{controller}``;
  ``controller_runtime_reconcile_time_seconds{controller}`` (a histogram, its buckets);
  ``controller_runtime_active_workers{controller}``, ``controller_runtime_max_concurrent_reconciles{controller}``;
- the work queue's (client-go's ``workqueue`` metrics, ``name`` and ``controller`` both the
  controller's name): ``workqueue_depth``, ``workqueue_adds_total``, ``workqueue_retries_total``,
  ``workqueue_queue_duration_seconds``, ``workqueue_work_duration_seconds``,
  ``workqueue_unfinished_work_seconds``, ``workqueue_longest_running_processor_seconds``;
- ``rest_client_requests_total{code,method,host}``: every answer the session's HTTP layer got
  (each retry counted, as client-go counts each attempt);
- ``leader_election_master_status{name}``: 1 while this replica leads the Lease ``name``.

The families live in a registry (prometheus-client's global ``REGISTRY`` by default, where the
process and GC collectors and your own metrics are): one set per registry, however many managers
use it; series are told apart by the controller's name, as in controller-runtime.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Hashable
from urllib.parse import urlsplit


if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from .._http.hooks import Response
    from ._reconcile import Controller, Request, Result

__all__ = ["Metrics", "QueueMetrics", "metrics_of"]

RECONCILE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9,
                     1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60)
"""controller-runtime's buckets of ``controller_runtime_reconcile_time_seconds``."""
QUEUE_BUCKETS = tuple(10e-9 * 10**i for i in range(12))
"""client-go's buckets of the work queue's durations (``ExponentialBuckets(10e-9, 10, 12)``)."""


class Metrics:
    """controller-runtime's metric families in one registry (made by :func:`metrics_of`)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.registry = registry
        self.reconcile_total = Counter("controller_runtime_reconcile_total",
                                       "Total number of reconciliations per controller", ["controller", "result"], registry=registry)
        self.reconcile_errors = Counter("controller_runtime_reconcile_errors_total",
                                        "Total number of reconciliation errors per controller", ["controller"], registry=registry)
        self.reconcile_time = Histogram("controller_runtime_reconcile_time_seconds",
                                        "Length of time per reconciliation per controller", ["controller"],
                                        buckets=RECONCILE_BUCKETS, registry=registry)
        self.max_workers = Gauge("controller_runtime_max_concurrent_reconciles",
                                 "Maximum number of concurrent reconciles per controller", ["controller"], registry=registry)
        self.active_workers = Gauge("controller_runtime_active_workers",
                                    "Number of currently used workers per controller", ["controller"], registry=registry)
        queue = ["name", "controller"]
        self.depth = Gauge("workqueue_depth", "Current depth of workqueue by workqueue and priority",
                           [*queue, "priority"], registry=registry)
        self.adds = Counter("workqueue_adds_total", "Total number of adds handled by workqueue", queue, registry=registry)
        self.retries = Counter("workqueue_retries_total", "Total number of items added to the workqueue with a "
                               "non-zero delay (rate-limited requeues, explicit RequeueAfter or AddAfter calls)", queue, registry=registry)
        self.queue_duration = Histogram("workqueue_queue_duration_seconds", "How long in seconds an item stays in "
                                        "workqueue before being requested", queue, buckets=QUEUE_BUCKETS, registry=registry)
        self.work_duration = Histogram("workqueue_work_duration_seconds", "How long in seconds processing an item "
                                       "from workqueue takes.", queue, buckets=QUEUE_BUCKETS, registry=registry)
        self.unfinished = Gauge("workqueue_unfinished_work_seconds", "How many seconds of work has been done that is "
                                "in progress and hasn't been observed by work_duration. Large values indicate stuck "
                                "threads. One can deduce the number of stuck threads by observing the rate at which "
                                "this increases.", queue, registry=registry)
        self.longest = Gauge("workqueue_longest_running_processor_seconds", "How many seconds has the longest running "
                             "processor for workqueue been running.", queue, registry=registry)
        self.requests = Counter("rest_client_requests_total",
                                "Number of HTTP requests, partitioned by status code, method, and host.",
                                ["code", "method", "host"], registry=registry)
        self.leader = Gauge("leader_election_master_status", "Gauge of if the reporting system is master of the "
                            "relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to "
                            "identify the lease. Please make sure to group by name.", ["name"], registry=registry)

    def instrument(self, controller: Controller[Any]) -> None:
        """Count ``controller``'s reconciles and work queue (before it starts: its reconcile is wrapped)."""
        name = controller.name
        queue = QueueMetrics(self, name)
        controller.queue.observer = queue
        self.max_workers.labels(name).set(controller.workers)
        reconcile = controller.reconcile
        total, errors = self.reconcile_total, self.reconcile_errors.labels(name)
        seconds, active = self.reconcile_time.labels(name), self.active_workers.labels(name)
        for result in ("success", "error", "requeue", "requeue_after"):
            total.labels(name, result)  # every series from the start, at 0

        def counted(request: Request[Any]) -> Result | None:
            active.inc()
            start = time.perf_counter()
            try:
                result = reconcile(request)
            except BaseException:
                errors.inc()
                total.labels(name, "error").inc()
                raise
            finally:
                seconds.observe(time.perf_counter() - start)
                active.dec()
            if result is not None and result.requeue_after is not None:
                total.labels(name, "requeue_after").inc()
                queue.retried(request.key)  # client-go counts AddAfter as a retry
            elif result is not None and result.requeue:
                total.labels(name, "requeue").inc()
            else:
                total.labels(name, "success").inc()
            return result

        counted.__name__ = str(getattr(reconcile, "__name__", "reconcile"))
        counted.__wrapped__ = reconcile  # type: ignore[attr-defined]
        controller.reconcile = counted

    def count_requests(self, hooks: dict[str, list[Any]]) -> Callable[[], None]:
        """Count the answers of a session whose ``event_hooks`` these are; returns what stops counting.

        One counting hook per session and registry, however many managers share them.
        """
        responses = hooks["response"]
        for hook in responses:
            if getattr(hook, "pykorm_metrics", None) is self:
                return lambda: None

        def count(response: Response) -> None:
            self.requests.labels(str(response.status), response.request.method.upper(),
                                 urlsplit(response.request.url).netloc).inc()

        count.pykorm_metrics = self  # type: ignore[attr-defined]
        responses.append(count)

        def stop() -> None:
            if count in responses:
                responses.remove(count)

        return stop


class QueueMetrics:
    """A work queue's observer: client-go's ``workqueue`` metrics of one controller."""

    def __init__(self, metrics: Metrics, controller: str) -> None:
        self._depth = metrics.depth.labels(controller, controller, "")
        self._adds = metrics.adds.labels(controller, controller)
        self._retries = metrics.retries.labels(controller, controller)
        self._waited = metrics.queue_duration.labels(controller, controller)
        self._worked = metrics.work_duration.labels(controller, controller)
        self._lock = threading.Lock()
        self._added: dict[Hashable, float] = {}  # key -> when it entered the line
        self._started: dict[Hashable, float] = {}  # key -> when a worker took it
        metrics.unfinished.labels(controller, controller).set_function(self._unfinished)
        metrics.longest.labels(controller, controller).set_function(self._longest)

    def added(self, key: Hashable) -> None:
        """``key`` entered the line (not already waiting)."""
        self._adds.inc()
        self._depth.inc()
        with self._lock:
            self._added.setdefault(key, time.perf_counter())

    def handed_out(self, key: Hashable) -> None:
        """A worker took ``key``."""
        self._depth.dec()
        now = time.perf_counter()
        with self._lock:
            since = self._added.pop(key, None)
            self._started[key] = now
        if since is not None:
            self._waited.observe(now - since)

    def finished(self, key: Hashable) -> None:
        """The worker is done with ``key``."""
        with self._lock:
            since = self._started.pop(key, None)
        if since is not None:
            self._worked.observe(time.perf_counter() - since)

    def retried(self, key: Hashable) -> None:
        """``key`` was added with a delay (a backoff, a requeue_after)."""
        self._retries.inc()

    def _unfinished(self) -> float:
        now = time.perf_counter()
        with self._lock:
            return sum(now - since for since in self._started.values())

    def _longest(self) -> float:
        now = time.perf_counter()
        with self._lock:
            return max((now - since for since in self._started.values()), default=0.0)


_by_registry: dict[int, Metrics] = {}
_lock = threading.Lock()


def metrics_of(registry: CollectorRegistry | None = None) -> Metrics:
    """The families in ``registry`` (prometheus-client's ``REGISTRY`` when None), registered on first use.

    Raises:
        ImportError: prometheus-client is not installed (it is the ``metrics`` extra), saying so.
    """
    try:
        import prometheus_client
    except ImportError as error:
        raise ImportError("pykorm.controller's metrics need prometheus-client: pip install 'pykorm[metrics]'") from error
    chosen = registry if registry is not None else prometheus_client.REGISTRY
    with _lock:
        found = _by_registry.get(id(chosen))
        if found is None or found.registry is not chosen:
            found = _by_registry[id(chosen)] = Metrics(chosen)
        return found
