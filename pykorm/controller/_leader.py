"""Leader election through a ``coordination.k8s.io/v1`` Lease, so that one replica of an operator acts.

The rules are client-go's ``leaderelection`` with a Lease lock:
- a candidate reads the Lease every ``retry_period`` (2 s); it takes it when there is none,
  when its holder is empty (released), or when the record has not changed for
  ``lease_duration`` (15 s) *as seen on the candidate's own clock* (it notes when it saw each
  record, so clocks that differ between machines do not matter);
- the leader renews every ``retry_period``; when no renewal has succeeded for
  ``renew_deadline`` (10 s), or the Lease names another holder, it has lost: it stops work
  (:class:`LeaderElectionLost`) before the others can take over (lease duration > renew deadline);
- on a graceful stop the leader releases the Lease (holder emptied), so that a standby takes
  it at its next try instead of waiting for it to expire.
Writes carry the resourceVersion read: two candidates never both win one round.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import math
import os
import random
import secrets
import socket
import threading
import time
from typing import TYPE_CHECKING

from .._base.errors import AlreadyExists, ApiError, ClientValidationError, ConflictError, LeaderElectionLost, NotFound
from .._http.retry import RetryPolicy, request_options
from ._informer import log

if TYPE_CHECKING:
    from .._session.session import Pykorm
    from ..k8s.coordination_v1 import Lease, LeaseSpec

__all__ = ["LeaderElection", "LeaderElector"]

_JITTER = 1.2  # client-go's JitterFactor: renew_deadline must exceed retry_period times this


@dataclasses.dataclass(frozen=True)
class LeaderElection:
    """Where and how replicas elect a leader: the Lease ``namespace/name`` and client-go's timings (seconds).

    Raises:
        ClientValidationError: timings out of order (lease_duration > renew_deadline > 1.2 * retry_period).
    """

    name: str
    namespace: str = "default"
    identity: str = ""  # default: host name, pid and a random suffix
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_stop: bool = True

    def __post_init__(self) -> None:
        if not self.identity:
            object.__setattr__(self, "identity", f"{socket.gethostname()}_{os.getpid()}_{secrets.token_hex(3)}")
        if not (self.lease_duration > self.renew_deadline > _JITTER * self.retry_period > 0):
            raise ClientValidationError(
                f"leader election timings: need lease_duration > renew_deadline > {_JITTER} * retry_period > 0, "
                f"not {self.lease_duration}, {self.renew_deadline}, {self.retry_period}")


class LeaderElector:
    """Takes, holds and releases one Lease for one candidate (see the module's rules)."""

    def __init__(self, config: LeaderElection, session: Pykorm) -> None:
        self.config = config
        self.session = session
        self.leading = False
        self.transitions = 0  # times this candidate took the Lease
        self.renewed_at = 0.0  # time.monotonic() of the last successful take or renewal
        self._observed: tuple[object, ...] | None = None
        self._observed_at = 0.0
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return self.config.identity

    def acquire(self, stop: threading.Event) -> bool:
        """Try every retry period until this candidate leads (True) or ``stop`` is set (False)."""
        told = False
        while not stop.is_set():
            if self._try():
                self.renewed_at = time.monotonic()
                self.leading = True
                self.transitions += 1
                log.info("pykorm: %s leads (Lease %s/%s)", self.identity, self.config.namespace, self.config.name)
                return True
            if not told and self._holder_is_other():
                told = True
                log.info("pykorm: %s stands by (Lease %s/%s held by %s)", self.identity, self.config.namespace,
                         self.config.name, self._observed[0] if self._observed else "?")
            stop.wait(self.config.retry_period * random.uniform(1.0, _JITTER))
        return False

    def renew_until(self, stop: threading.Event) -> None:
        """Renew every retry period until ``stop`` is set.

        Raises:
            LeaderElectionLost: no renewal succeeded for the renew deadline, or another holder took the Lease.
        """
        while not stop.wait(self.config.retry_period):
            if self._try():
                self.renewed_at = time.monotonic()
            elif self._holder_is_other():
                self.leading = False
                raise LeaderElectionLost(f"{self.identity}: Lease {self.config.namespace}/{self.config.name} "
                                         "is held by another candidate now")
            elif time.monotonic() - self.renewed_at > self.config.renew_deadline:
                self.leading = False
                raise LeaderElectionLost(f"{self.identity}: Lease {self.config.namespace}/{self.config.name} "
                                         f"not renewed for {self.config.renew_deadline} s")

    def holds(self) -> bool:
        """True while this candidate certainly leads: it took or renewed the Lease less than the renew deadline ago.

        Past that, another candidate may take the Lease once it expires (lease duration > renew deadline):
        a controller's writes are refused from then on (:class:`~pykorm.ReconcileCancelled`), before
        :meth:`renew_until` notices and raises.
        """
        return self.leading and time.monotonic() - self.renewed_at < self.config.renew_deadline

    def release(self) -> None:
        """Give the Lease up (holder emptied) if this candidate holds it; errors are logged, not raised."""
        Lease, _ = _lease_types()
        if not self.leading:
            return
        self.leading = False
        try:
            with self._quick():
                lease = self.session.get(Lease, self.config.name, self.config.namespace)
                spec = lease.spec
                if spec is None or spec.holder_identity != self.identity:
                    return
                spec.holder_identity = ""
                spec.lease_duration_seconds = 1
                spec.renew_time = _now()
                self.session.save(lease)
            log.info("pykorm: %s released Lease %s/%s", self.identity, self.config.namespace, self.config.name)
        except ApiError as error:
            log.warning("pykorm: %s could not release its Lease: %s", self.identity, error)

    # -- one round -----------------------------------------------------------------------

    def _try(self) -> bool:
        """One attempt to take or renew the Lease; True when this candidate holds it afterwards."""
        config = self.config
        Lease, LeaseSpec = _lease_types()
        try:
            with self._quick():
                try:
                    lease = self.session.get(Lease, config.name, config.namespace)
                except NotFound:
                    return self._create()
                spec = lease.spec or LeaseSpec()
                record = (spec.holder_identity, spec.renew_time, spec.lease_transitions, lease.resource_version)
                now = time.monotonic()
                if record != self._observed:
                    self._observed, self._observed_at = record, now
                holder = spec.holder_identity or ""
                duration = spec.lease_duration_seconds or config.lease_duration
                if holder and holder != self.identity and now < self._observed_at + duration:
                    return False  # another candidate holds an unexpired Lease
                stamp = _now()
                if holder != self.identity:
                    spec.acquire_time = stamp
                    spec.lease_transitions = (spec.lease_transitions or 0) + (1 if holder else 0)
                spec.holder_identity = self.identity
                spec.renew_time = stamp
                spec.lease_duration_seconds = math.ceil(config.lease_duration)
                if lease.spec is None:
                    lease.spec = spec
                self.session.save(lease)
                self._observed = None
                return True
        except (ConflictError, AlreadyExists):
            return False  # another candidate wrote first this round
        except ApiError as error:
            log.warning("pykorm: %s: Lease %s/%s: %s", self.identity, config.namespace, config.name, error)
            return False

    def _create(self) -> bool:
        Lease, LeaseSpec = _lease_types()
        stamp = _now()
        lease = Lease(namespace=self.config.namespace, name=self.config.name, spec=LeaseSpec(
            holder_identity=self.identity, acquire_time=stamp, renew_time=stamp, lease_transitions=0,
            lease_duration_seconds=math.ceil(self.config.lease_duration)))
        self.session.save(lease)
        return True

    def _holder_is_other(self) -> bool:
        holder = self._observed[0] if self._observed else None
        return bool(holder) and holder != self.identity

    def _quick(self) -> contextlib.AbstractContextManager[None]:
        """Requests that fail fast: a round must end well within the renew deadline."""
        timeout = max(1.0, self.config.retry_period)
        return request_options(retries=RetryPolicy.none(), connect_timeout=timeout, read_timeout=timeout)


def _now() -> str:
    """Now as a Kubernetes MicroTime (``2026-01-02T03:04:05.678901Z``)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _lease_types() -> tuple[type[Lease], type[LeaseSpec]]:
    """The Lease models, imported when first needed (pykorm.k8s weighs some 60 ms to import)."""
    from ..k8s.coordination_v1 import Lease, LeaseSpec

    return Lease, LeaseSpec
