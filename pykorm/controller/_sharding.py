"""Sharding: N replicas of one operator split the keys, each key reconciled by one replica at a time.

    >>> manager = Manager(pk, sharding=Sharding("website-operator", "operators", shards=8))

Keys map to ``shards`` shards by a stable hash (SHA-256 of ``namespace/name``: the same in
every process and release). Each shard is a Lease (``<name>-shard-<i>``) taken, renewed and
released with leader election's rules (:class:`~._leader.LeaderElector`: an unexpired Lease of
another holder is never taken, expiry is judged on this process's clock from when the Lease was
last seen to change). Each replica also renews a membership Lease (``<name>-member-<identity>``)
and aims to hold its fair share, ``ceil(shards / live members)``: it takes free or expired
shards up to it, and gives back those above it (after the reconciles of their keys in flight
end), so a new replica gets work within a few retry periods.

Never two replicas on one key: a replica reconciles a key only while it certainly holds the
key's shard (renewed within the renew deadline, as a leader acts), and every request of that
reconcile is refused once it no longer does (a gate: :mod:`pykorm._base.gates`); another
replica can take the shard only once its Lease expired (lease duration > renew deadline).
A dead replica's shards are taken over within ``lease_duration + retry_period`` (plus jitter).
Every replica keeps warm caches of every object; keys of a shard it takes are reconciled then.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import secrets
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from .._base.errors import ApiError, ClientValidationError, ReconcileCancelled
from .._base.gates import gate
from ._informer import log
from ._leader import LeaderElection, LeaderElector

if TYPE_CHECKING:
    from .._session.session import Pykorm
    from ._reconcile import Controller, Request, Result

__all__ = ["Shards", "Sharding", "shard_of"]


def shard_of(key: str, shards: int) -> int:
    """The shard of ``key`` (``namespace/name``) among ``shards``: stable across processes and runs."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % shards


@dataclasses.dataclass(frozen=True)
class Sharding:
    """How replicas split the keys: ``shards`` Leases named ``<name>-shard-<i>`` in ``namespace`` (see the module).

    The timings are leader election's (client-go's defaults); ``identity`` defaults to host, pid and a random suffix.
    """

    name: str
    namespace: str
    shards: int = 8
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    identity: str = ""

    def __post_init__(self) -> None:
        if not self.identity:
            object.__setattr__(self, "identity", f"{socket.gethostname()}_{os.getpid()}_{secrets.token_hex(3)}")
        if not isinstance(self.shards, int) or isinstance(self.shards, bool) or self.shards < 1:
            raise ClientValidationError(f"shards must be a positive int, not {self.shards!r}")
        self.election(self.name)  # checks the timings

    def election(self, lease: str) -> LeaderElection:
        return LeaderElection(lease, self.namespace, lease_duration=self.lease_duration,
                              renew_deadline=self.renew_deadline, retry_period=self.retry_period, identity=self.identity)


class Shards:
    """The shards this replica holds, kept by a thread of its own; wraps reconciles to act only on their keys."""

    def __init__(self, config: Sharding, session: Pykorm) -> None:
        self.config = config
        self.session = session
        self.electors = [LeaderElector(config.election(f"{config.name}-shard-{i}"), session) for i in range(config.shards)]
        self.member = LeaderElector(config.election(f"{config.name}-member-{config.identity}"), session)
        self.on_acquired: list[Callable[[int], None]] = []  # told of each shard taken (its keys are enqueued)
        self._renewed: dict[int, float] = {}  # shard -> time.monotonic() of its last renewal
        self._releasing: set[int] = set()
        self._in_flight: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.members = 1

    # -- the reconciles' side ------------------------------------------------------------

    def holds(self, shard: int) -> bool:
        """True while this replica certainly holds ``shard`` (renewed within the renew deadline), not giving it up."""
        with self._lock:
            renewed = self._renewed.get(shard)
            return renewed is not None and shard not in self._releasing and \
                time.monotonic() - renewed < self.config.renew_deadline

    def held(self) -> list[int]:
        """The shards this replica holds now."""
        return sorted(s for s in range(self.config.shards) if self.holds(s))

    def wrap(self, controller: Controller[Any]) -> None:
        """Make ``controller`` reconcile only the keys of the shards held (its reconcile wrapped)."""
        reconcile, shards = controller.reconcile, self.config.shards

        def sharded(request: Request[Any]) -> Result | None:
            shard = shard_of(request.key, shards)
            with self._lock:
                mine = self._renewed.get(shard) is not None and shard not in self._releasing
                if mine:
                    self._in_flight[shard] = self._in_flight.get(shard, 0) + 1
            if not mine or not self.holds(shard):
                if mine:
                    self._done(shard)
                return None  # another replica's key: its holder reconciles it

            def check() -> None:
                if not self.holds(shard):
                    raise ReconcileCancelled(f"shard {shard} of {self.config.name} is not certainly held by "
                                             f"{self.config.identity} any more")

            try:
                with gate(check):
                    return reconcile(request)
            finally:
                self._done(shard)

        sharded.__name__ = str(getattr(reconcile, "__name__", "reconcile"))
        controller.reconcile = sharded

    def _done(self, shard: int) -> None:
        with self._lock:
            self._in_flight[shard] -= 1

    # -- the Leases' side ----------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"shards-{self.config.name}", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop renewing; give back every shard held (and the membership)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            held, self._renewed = list(self._renewed), {}
        for shard in held:
            self.electors[shard].release()
        self.member.release()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._round()
            except Exception as error:  # noqa: BLE001 - a round's failure must not end the thread
                log.warning("pykorm: sharding %s: %s", self.config.name, error)
            self._stop.wait(self.config.retry_period)

    def _round(self) -> None:
        if self.member._try():
            self.member.leading = True
        self.members = max(1, self._live_members())
        fair = math.ceil(self.config.shards / self.members)
        with self._lock:
            held = list(self._renewed)
        for shard in held:  # renew, or lose
            if shard in self._releasing:
                continue
            if self.electors[shard]._try():
                with self._lock:
                    self._renewed[shard] = time.monotonic()
            elif not self.holds(shard):
                with self._lock:
                    self._renewed.pop(shard, None)
                log.warning("pykorm: %s lost shard %d of %s", self.config.identity, shard, self.config.name)
        with self._lock:
            keeping = [s for s in self._renewed if s not in self._releasing]
        for shard in sorted(keeping, reverse=True)[:max(0, len(keeping) - fair)]:  # above the fair share: give back
            with self._lock:
                self._releasing.add(shard)
        self._finish_releases()
        with self._lock:
            count = len([s for s in self._renewed if s not in self._releasing])
        if count >= fair:
            return
        start = shard_of(self.config.identity, self.config.shards)  # replicas try the shards in different orders
        for offset in range(self.config.shards):
            shard = (start + offset) % self.config.shards
            with self._lock:
                if shard in self._renewed or count >= fair:
                    continue
            if self.electors[shard]._try():
                self.electors[shard].leading = True
                with self._lock:
                    self._renewed[shard] = time.monotonic()
                count += 1
                log.info("pykorm: %s took shard %d of %s", self.config.identity, shard, self.config.name)
                for listener in list(self.on_acquired):
                    listener(shard)

    def _finish_releases(self) -> None:
        """Give back the shards being released whose reconciles in flight have ended."""
        with self._lock:
            ready = [s for s in self._releasing if not self._in_flight.get(s)]
        for shard in ready:
            self.electors[shard].release()
            with self._lock:
                self._renewed.pop(shard, None)
                self._releasing.discard(shard)
            log.info("pykorm: %s gave back shard %d of %s", self.config.identity, shard, self.config.name)

    def _live_members(self) -> int:
        """How many replicas renewed their membership Lease within its duration (wall clocks: balance only)."""
        from ..k8s.coordination_v1 import Lease

        prefix = f"{self.config.name}-member-"
        now = time.time()
        try:
            leases = Lease.query.session(self.session).namespace(self.config.namespace).all()
        except ApiError as error:
            log.warning("pykorm: sharding %s: listing members: %s", self.config.name, error)
            return self.members
        live = 0
        for lease in leases:
            spec = lease.spec
            if not lease.name.startswith(prefix) or spec is None or not spec.holder_identity or spec.renew_time is None:
                continue
            renewed = _seconds(spec.renew_time)
            if renewed is not None and now - renewed < (spec.lease_duration_seconds or self.config.lease_duration):
                live += 1
        return live


def _seconds(stamp: object) -> float | None:
    """A MicroTime (text or datetime) as seconds since the epoch, or None."""
    import datetime

    if isinstance(stamp, datetime.datetime):
        return stamp.timestamp()
    try:
        return datetime.datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
