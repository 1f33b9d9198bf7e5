"""The manager: the informers, controllers and leader election of one operator process.

    >>> manager = Manager(pk, leader_election=LeaderElection("website-operator", "operators"))
    >>> @manager.reconciler(WebSite, owns=[ConfigMap, Deployment])
    ... def reconcile(request): ...
    >>> manager.run()           # blocks; SIGTERM or Ctrl-C stops it gracefully

Informers are shared: one per (model, namespace, label selector), however many controllers
read or own that kind. ``run()`` starts the informers at once (a standby keeps a warm
cache), waits to lead when leader election is configured, waits for every cache to sync,
then starts the controllers' workers. On SIGTERM/SIGINT (or :meth:`Manager.stop`) it hands
out no more keys, lets the reconciles in flight finish, releases the Lease, and stops the
informers (their watch connections closed). A ``webhooks=`` server (:class:`pykorm.webhooks.WebhookServer`)
serves in every replica, leader or standby, from the start of ``run()`` to its end. Losing the Lease stops the controllers at once
and raises :class:`LeaderElectionLost` from ``run()``: exit and let the process restart,
as client-go's operators do.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypeVar

from .._base.errors import CacheUnavailable, ClientValidationError, LeaderElectionLost, WaitTimeout
from .._http.resource import resource_of
from ._aio import EventLoop, bridge, is_async
from ._events import EventRecorder
from ._informer import Informer, log
from ._leader import LeaderElection, LeaderElector
from ._limiter import Limiter
from ._metrics import metrics_of
from ._predicates import ANY, DEFAULT, Predicate, as_predicate
from ._reconcile import Controller, Reconciler, WatchSpec
from ._serving import Check, Endpoints
from ._sharding import Sharding, Shards, shard_of
from ._transforms import Transform, slim_managed_fields
from ._watches import Watch

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from ..models._model import Model
    from .._session.session import Pykorm
    from ..webhooks import WebhookServer

__all__ = ["Manager"]

M = TypeVar("M", bound="Model")


class Manager:
    """Runs controllers on shared informers, with optional leader election.

    Args:
        session: the session every informer and controller uses (the default one when None).
        namespace: watch only this namespace (None: every namespace).
        cluster: the session's named cluster.
        leader_election: elect one active replica through this Lease (None: always active).
        shutdown_timeout: seconds a graceful stop waits for the reconciles in flight.
        metrics_port: serve ``/metrics`` (controller-runtime's metric names, :mod:`._metrics`) on this
            port while running (0: a free one, see :attr:`metrics_port`; None, the default: not served).
        health_port: serve ``/healthz`` and ``/readyz`` (:mod:`._serving`) on this port (0: a free one;
            None, the default: not served); it may be ``metrics_port``.
        bind_address: the address the ports are bound to (default every interface, as in a pod).
        metrics_registry: the prometheus-client registry of the metrics (default its global ``REGISTRY``).
        cache_transform: what the manager's informers keep of each object (:mod:`._transforms`): by default
            :func:`slim_managed_fields` (``managedFields`` entries of server-side applies only); None: all.

        webhooks: a :class:`pykorm.webhooks.WebhookServer` run with the controllers, in every replica
            (admission and conversion answered by this process); ``/healthz`` and ``/readyz`` check it serves.
        sharding: split the keys among the replicas running this manager (:mod:`._sharding`), each key
            reconciled by one of them at a time; not with ``leader_election``.
        async_session: a :class:`pykorm.aio.AsyncPykorm` that ``async def`` reconcilers (:mod:`._aio`) use:
            closed on the manager's event loop when it stops.

    Raises:
        ImportError: ``metrics_port`` without prometheus-client installed (the ``metrics`` extra).
    """

    def __init__(
        self,
        session: Pykorm | None = None,
        *,
        namespace: str | None = None,
        cluster: str | None = None,
        leader_election: LeaderElection | None = None,
        shutdown_timeout: float = 30.0,
        metrics_port: int | None = None,
        health_port: int | None = None,
        bind_address: str = "0.0.0.0",
        metrics_registry: CollectorRegistry | None = None,
        webhooks: WebhookServer | None = None,
        cache_transform: Transform | None = slim_managed_fields,
        async_session: Any = None,
        sharding: Sharding | None = None,
    ) -> None:
        from .._session.session import default_session

        self.session = session or default_session()
        self.namespace = namespace
        self.cluster = cluster
        self.shutdown_timeout = shutdown_timeout
        self.webhooks = webhooks
        self.cache_transform = cache_transform
        self.async_session = async_session
        self._loop = EventLoop()  # async reconcilers' (started with the first one's first call)
        self.elector = LeaderElector(leader_election, self.session) if leader_election is not None else None
        if sharding is not None and leader_election is not None:
            raise ClientValidationError("a manager either elects one leader or shards its keys, not both")
        self.shards = Shards(sharding, self.session) if sharding is not None else None
        if self.shards is not None:
            self.shards.on_acquired.append(self._enqueue_shard)
        self.controllers: list[Controller[Any]] = []
        self._informers: dict[tuple[Any, ...], Informer[Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._running = threading.Event()  # informers started
        self._active = threading.Event()  # controllers started (leading)
        self._thread: threading.Thread | None = None
        self._recorders: dict[str, EventRecorder] = {}
        self.error: BaseException | None = None  # what ended a background run (start()), if anything
        self.metrics = metrics_of(metrics_registry) if metrics_port is not None else None
        self.health_checks: dict[str, Check] = {"ping": lambda: None, "informers": self._informers_alive}
        """``/healthz``'s checks by name (add your own: a function returning None when healthy, else why not)."""
        self.ready_checks: dict[str, Check] = {"informers": self._informers_synced}
        """``/readyz``'s checks by name: by default every cache synced (a leader's and a standby's alike)."""
        if webhooks is not None:
            self.health_checks["webhooks"] = self.ready_checks["webhooks"] = self._webhooks_serving
        self._endpoints = Endpoints(bind_address, metrics_port, health_port,
                                    self.metrics.registry if self.metrics is not None else None,
                                    self.health_checks, self.ready_checks)
        self._serving = threading.Event()  # endpoints bound (or failed to)
        self._bind_error: OSError | None = None

    def _webhooks_serving(self) -> str | None:
        if self.webhooks is None or self.webhooks.serving:
            return None
        return f"the webhook server {self.webhooks.url} is not serving"

    # -- declaring ---------------------------------------------------------------------

    def informer(self, model: type[M], namespace: str | None = None, selector: Mapping[str, str] | None = None) -> Informer[M]:
        """The shared informer of ``model`` (in ``namespace``, default the manager's; with labels ``selector``).

        A cluster-scoped model's informer has no namespace (the manager's is no default for it).
        """
        if namespace is None and resource_of(model).namespaced:
            namespace = self.namespace
        key = (model, namespace, frozenset((selector or {}).items()))
        with self._lock:
            informer = self._informers.get(key)
            if informer is None:
                informer = Informer(model, session=self.session, namespace=namespace, selector=selector,
                                    cluster=self.cluster, transform=self.cache_transform, shared=True)
                self._informers[key] = informer
                if self._running.is_set():
                    informer.start()
            return informer

    cache = informer

    def event_recorder(self, controller: str) -> EventRecorder:
        """The manager's recorder of Events reported by ``controller`` (one per name; closed when the manager stops).

        With leader election it writes only while this replica certainly holds the Lease: a standby's
        events, and those left unwritten when the Lease is lost, are refused (``recorder.refused``).
        """
        with self._lock:
            recorder = self._recorders.get(controller)
            if recorder is None:
                instance = self.elector.identity if self.elector is not None else None
                recorder = self._recorders[controller] = EventRecorder(self.session, controller, instance,
                                                                       guard=self._guard)
            return recorder

    def reconciler(
        self,
        model: type[M],
        *,
        owns: Iterable[type[Model] | Watch] = (),
        workers: int = 2,
        resync: float | None = None,
        selector: Mapping[str, str] | None = None,
        owned_delay: float = 0.5,
        name: str | None = None,
        predicate: Predicate | Callable[[Any, Any], object] | None = None,
        watches: Iterable[Watch] = (),
        rate_limiter: Limiter[str] | None = None,
        timeout: float | None = None,
    ) -> Callable[[Reconciler[M]], Reconciler[M]]:
        """Register the decorated ``reconcile(request) -> Result | None`` for ``model`` (see :mod:`._reconcile`).

        Args:
            owns: kinds whose objects' changes reconcile their controller owner (``ownerReferences``);
                a :class:`Watch` without a map function narrows one (its predicate, namespace, selector).
            workers: reconciles that may run at once (never two for one object).
            resync: seconds after which every object is reconciled again (None: only on changes).
            selector: reconcile only objects with these labels.
            owned_delay: seconds an owned or watched object's changes are gathered before reconciling.
            predicate: which changes of ``model``'s objects count (default :data:`DEFAULT`; a function of
                ``(old, new)`` is wrapped with :func:`when`).
            watches: other kinds, mapped to keys by a function (:class:`Watch`).
            rate_limiter: the retries' backoff (default client-go's: :func:`default_rate_limiter`).
            timeout: seconds a reconcile's requests may take from its start; later ones are refused.

        Raises:
            TypeError: an ``owns`` or ``watches`` entry of the wrong kind (a Watch with a map in ``owns``,
                one without in ``watches``), or a predicate that is neither a Predicate nor a function.
        """
        chosen = as_predicate(predicate, DEFAULT)
        specs = [*(self._owned(kind) for kind in owns), *(self._watched(watch) for watch in watches)]

        def register(reconcile: Reconciler[M]) -> Reconciler[M]:
            primary = self.informer(model, selector=selector)
            owned = [informer for informer, mapper, chosen in specs if mapper is None and chosen is ANY]
            watched = [spec for spec in specs if not (spec[1] is None and spec[2] is ANY)]
            label = name or str(getattr(reconcile, "__name__", model.__name__))
            function = bridge(reconcile, self._loop) if is_async(reconcile) else reconcile  # type: ignore[arg-type]
            controller = Controller(label, function, primary, owned, workers=workers, resync=resync,
                                    owned_delay=owned_delay, predicate=chosen, watches=watched,
                                    rate_limiter=rate_limiter, timeout=timeout, guard=self._guard)
            controller.async_session = self.async_session
            if self.metrics is not None:
                self.metrics.instrument(controller)
            if self.shards is not None:
                self.shards.wrap(controller)
            with self._lock:
                self.controllers.append(controller)
                if self._active.is_set():
                    controller.start()
            return reconcile

        return register

    def _owned(self, kind: type[Model] | Watch) -> WatchSpec:
        if isinstance(kind, Watch):
            if kind.map is not None:
                raise TypeError(f"owns= maps through ownerReferences: pass Watch({kind.model.__name__}, map=...) "
                                "in watches= instead")
            return (self.informer(kind.model, kind.namespace, kind.selector), None, as_predicate(kind.predicate, ANY))
        if not isinstance(kind, type):
            raise TypeError(f"owns= takes model classes or Watch(...) entries, not {kind!r}")
        return (self.informer(kind), None, ANY)

    def _watched(self, watch: Watch) -> WatchSpec:
        if not isinstance(watch, Watch) or watch.map is None:
            raise TypeError(f"watches= takes Watch(Model, map_function) entries, not {watch!r} "
                            "(owned kinds go in owns=)")
        return (self.informer(watch.model, watch.namespace, watch.selector), watch.map,
                as_predicate(watch.predicate, ANY))

    def _guard(self) -> str | None:
        """Why a reconcile's request must be refused now: the Lease is not certainly held; None: go on."""
        if self.elector is not None and not self.elector.holds():
            return "the manager's Lease is not held (lost, or not renewed within the renew deadline)"
        return None

    # -- running -----------------------------------------------------------------------

    @property
    def informers(self) -> list[Informer[Any]]:
        """The shared informers, one per (model, namespace, selector)."""
        with self._lock:
            return list(self._informers.values())

    @property
    def leading(self) -> bool:
        """True while the controllers run (this replica leads, or there is no election)."""
        return self._active.is_set()

    def run(self, *, handle_signals: bool = True) -> None:
        """Run until SIGTERM/SIGINT or :meth:`stop` (blocking); then stop gracefully. A manager runs once.

        Raises:
            LeaderElectionLost: the Lease could not be renewed (the controllers were stopped first).
        """
        restore: dict[signal.Signals, Any] = {}
        if handle_signals and threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                restore[number] = signal.signal(number, lambda *_: self._stop.set())
        lost = False
        stop_counting: Callable[[], None] = lambda: None
        try:
            if self.webhooks is not None:
                self.webhooks.start()  # every replica answers the API server, leading or not
            try:
                self._endpoints.start()
            except OSError as error:
                self._bind_error = error
                raise
            finally:
                self._serving.set()
            if self.metrics is not None:
                stop_counting = self.metrics.count_requests(self.session.event_hooks)
                if self.elector is not None:
                    elector = self.elector
                    self.metrics.leader.labels(elector.config.name).set_function(lambda: float(elector.leading))
            self._start_informers()
            if self.elector is not None and not self.elector.acquire(self._stop):
                return  # stopped while standing by
            while not self._stop.is_set() and not self.synced(timeout=0.5):
                pass
            if self._stop.is_set():
                return
            self._start_controllers()
            if self.shards is not None:
                self.shards.start()
            if self.elector is not None:
                self.elector.renew_until(self._stop)
            else:
                self._stop.wait()
        except LeaderElectionLost as error:
            lost = True
            with self._lock:
                controllers = list(self.controllers)
            for controller in controllers:  # reconciles in flight: every further request refused
                controller.cancel(f"the manager lost its Lease: {error}")
            raise
        finally:
            self._stop_controllers(0.0 if lost else self.shutdown_timeout)
            if self.shards is not None:
                self.shards.stop()
            if self.elector is not None and not lost:
                self.elector.release()
            self._stop_informers()
            with self._lock:
                recorders = list(self._recorders.values())
            for recorder in recorders:
                recorder.close(5.0)
            stop_counting()
            self._endpoints.stop()
            if self.webhooks is not None:
                self.webhooks.stop()
            self._stop_loop()
            for number, handler in restore.items():
                signal.signal(number, handler)

    def start(self) -> Manager:
        """Run in a background thread (see :meth:`run`, without signal handling); returns the manager once its
        ports are bound (:attr:`metrics_port`, :attr:`health_port`).

        Raises:
            OSError: a port could not be bound (the run ended).
        """
        if self._thread is None:
            self._thread = threading.Thread(target=self._run_in_background, name="pykorm-manager", daemon=True)
            self._thread.start()
            self._serving.wait()
            if self._bind_error is not None:
                raise self._bind_error
        return self

    @property
    def metrics_port(self) -> int | None:
        """The port ``/metrics`` is served on while running (the one chosen for ``metrics_port=0``), else None."""
        return self._endpoints.metrics_port

    @property
    def health_port(self) -> int | None:
        """The port ``/healthz`` and ``/readyz`` are served on while running, else None."""
        return self._endpoints.health_port

    def stop(self, timeout: float | None = None) -> None:
        """Stop gracefully (as on SIGTERM); waits for a background run to end (up to ``timeout`` s)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def synced(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for every informer's first list; True when all are synced."""
        try:
            for informer in self.informers:
                informer.wait_synced(timeout)
        except WaitTimeout:
            return False
        return True

    def wait_leading(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds until the controllers run; True when they do."""
        return self._active.wait(timeout)

    # -- internals ---------------------------------------------------------------------

    def _run_in_background(self) -> None:
        try:
            self.run(handle_signals=False)
        except BaseException as error:  # noqa: BLE001 - kept for the caller, as a thread cannot raise
            self.error = error
            log.error("pykorm: manager stopped: %s", error)

    def _enqueue_shard(self, shard: int) -> None:
        """A shard was taken: reconcile the keys of it the caches hold."""
        assert self.shards is not None
        shards = self.shards.config.shards
        with self._lock:
            controllers = list(self.controllers)
        for controller in controllers:
            for key in controller.informer.store.keys():
                if shard_of(key, shards) == shard:
                    controller.queue.add(key)

    def _stop_loop(self) -> None:
        """Close the async session on the loop, then stop the loop (after the controllers stopped)."""
        if self.async_session is not None and self._loop.loop is not None:
            try:
                self._loop.run(self.async_session.close(), 10.0)
            except Exception as error:  # noqa: BLE001 - a shutdown goes on
                log.warning("pykorm: closing the async session failed: %s", error)
        self._loop.stop()

    def _informers_alive(self) -> str | None:
        """Healthy unless an informer's thread ended on an error it could not ride out (a restart helps)."""
        ended = [informer for informer in self.informers if informer.stopped and self._running.is_set()]
        return "; ".join(f"{i.model.__name__} informer stopped" for i in ended) or None

    def _informers_synced(self) -> str | None:
        """Ready once every informer has listed and none is failing (:meth:`Informer.check`)."""
        problems = []
        for informer in self.informers:
            try:
                informer.check()
            except CacheUnavailable as error:
                problems.append(str(error))
        return "; ".join(problems) or None

    def _flag(self, flag: threading.Event, on: bool) -> tuple[list[Informer[Any]], list[Controller[Any]]]:
        """Set or clear ``flag`` under the lock; the informers and controllers as they are then."""
        with self._lock:
            if on:
                flag.set()
            else:
                flag.clear()
            return list(self._informers.values()), list(self.controllers)

    def _start_informers(self) -> None:
        for informer in self._flag(self._running, True)[0]:
            informer.start()

    def _start_controllers(self) -> None:
        for controller in self._flag(self._active, True)[1]:
            controller.start()

    def _stop_controllers(self, timeout: float) -> None:
        for controller in self._flag(self._active, False)[1]:
            controller.stop(timeout)

    def _stop_informers(self) -> None:
        for informer in self._flag(self._running, False)[0]:
            informer.stop()
