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
informers (their watch connections closed). Losing the Lease stops the controllers at once
and raises :class:`LeaderElectionLost` from ``run()``: exit and let the process restart,
as client-go's operators do.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypeVar

from .._base.errors import LeaderElectionLost, WaitTimeout
from ._informer import Informer, log
from ._leader import LeaderElection, LeaderElector
from ._reconcile import Controller, Reconciler

if TYPE_CHECKING:
    from ..models._model import Model
    from .._session.session import Pykorm

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
    """

    def __init__(
        self,
        session: Pykorm | None = None,
        *,
        namespace: str | None = None,
        cluster: str | None = None,
        leader_election: LeaderElection | None = None,
        shutdown_timeout: float = 30.0,
    ) -> None:
        from .._session.session import default_session

        self.session = session or default_session()
        self.namespace = namespace
        self.cluster = cluster
        self.shutdown_timeout = shutdown_timeout
        self.elector = LeaderElector(leader_election, self.session) if leader_election is not None else None
        self.controllers: list[Controller[Any]] = []
        self._informers: dict[tuple[Any, ...], Informer[Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._running = threading.Event()  # informers started
        self._active = threading.Event()  # controllers started (leading)
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None  # what ended a background run (start()), if anything

    # -- declaring ---------------------------------------------------------------------

    def informer(self, model: type[M], namespace: str | None = None, selector: Mapping[str, str] | None = None) -> Informer[M]:
        """The shared informer of ``model`` (in ``namespace``, default the manager's; with labels ``selector``)."""
        namespace = namespace if namespace is not None else self.namespace
        key = (model, namespace, frozenset((selector or {}).items()))
        with self._lock:
            informer = self._informers.get(key)
            if informer is None:
                informer = Informer(model, session=self.session, namespace=namespace, selector=selector,
                                    cluster=self.cluster)
                self._informers[key] = informer
                if self._running.is_set():
                    informer.start()
            return informer

    cache = informer

    def reconciler(
        self,
        model: type[M],
        *,
        owns: Iterable[type[Model]] = (),
        workers: int = 2,
        resync: float | None = None,
        selector: Mapping[str, str] | None = None,
        owned_delay: float = 0.5,
        name: str | None = None,
    ) -> Callable[[Reconciler[M]], Reconciler[M]]:
        """Register the decorated ``reconcile(request) -> Result | None`` for ``model`` (see :mod:`._reconcile`).

        Args:
            owns: kinds whose objects' changes reconcile their controller owner (``ownerReferences``).
            workers: reconciles that may run at once (never two for one object).
            resync: seconds after which every object is reconciled again (None: only on changes).
            selector: reconcile only objects with these labels.
            owned_delay: seconds an owned object's changes are gathered before the owner is reconciled.
        """

        def register(reconcile: Reconciler[M]) -> Reconciler[M]:
            primary = self.informer(model, selector=selector)
            owned: list[Informer[Any]] = [self.informer(kind) for kind in owns]
            label = name or str(getattr(reconcile, "__name__", model.__name__))
            controller = Controller(label, reconcile, primary, owned, workers=workers, resync=resync,
                                    owned_delay=owned_delay)
            with self._lock:
                self.controllers.append(controller)
                if self._active.is_set():
                    controller.start()
            return reconcile

        return register

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
        try:
            self._start_informers()
            if self.elector is not None and not self.elector.acquire(self._stop):
                return  # stopped while standing by
            while not self._stop.is_set() and not self.synced(timeout=0.5):
                pass
            if self._stop.is_set():
                return
            self._start_controllers()
            if self.elector is not None:
                self.elector.renew_until(self._stop)
            else:
                self._stop.wait()
        except LeaderElectionLost:
            lost = True
            raise
        finally:
            self._stop_controllers(0.0 if lost else self.shutdown_timeout)
            if self.elector is not None and not lost:
                self.elector.release()
            self._stop_informers()
            for number, handler in restore.items():
                signal.signal(number, handler)

    def start(self) -> Manager:
        """Run in a background thread (see :meth:`run`, without signal handling); returns the manager."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run_in_background, name="pykorm-manager", daemon=True)
            self._thread.start()
        return self

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
