"""A controller's echoes: the watch events of the states its own writes produced, told from news.

A reconcile's writes come back as watch events. Taking them for news makes a reconcile per
write; taking another writer's change for an echo leaves it unrepaired — the worse error,
as nothing shows it. So an event is an echo only when its object is exactly a state the
controller's own write produced: the same ``uid`` and ``resourceVersion`` as a receipt of
a write made during one of its reconciles (:mod:`pykorm._base.receipts`). Everything else is news.

The event and the write's answer race: the event may arrive before the reconcile has its
answer. Events for a key being reconciled are therefore held until that reconcile ends —
its writes have all been answered by then — and judged then (client-go's work queue also
runs a key changed during its reconcile once more, after it).
"""

from __future__ import annotations

import collections
import threading
from typing import Iterable

__all__ = ["Echoes"]

_VERSIONS_PER_OBJECT = 8  # receipts kept per object: an event skipped by a relist leaves one behind
_OBJECTS = 10_000  # objects with receipts kept; the oldest go first (their late echoes then count as news)


class Echoes:
    """Receipts of one controller's writes, and the events held while their key is reconciled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._receipts: collections.OrderedDict[str, collections.deque[str]] = collections.OrderedDict()
        self._held: dict[str, list[tuple[str | None, str | None, float | None]]] = {}  # delay None: no reason

    def wrote(self, uid: str, version: str) -> None:
        """A write made during a reconcile produced this state of the object ``uid``."""
        with self._lock:
            versions = self._receipts.pop(uid, None) or collections.deque(maxlen=_VERSIONS_PER_OBJECT)
            versions.append(version)
            self._receipts[uid] = versions
            while len(self._receipts) > _OBJECTS:
                self._receipts.popitem(last=False)

    def forget(self, uid: str | None) -> None:
        """The object ``uid`` is gone: its receipts will never be matched."""
        with self._lock:
            self._receipts.pop(uid or "", None)

    def consume(self, uid: str | None, version: str | None, key: str | None = None) -> bool:
        """True when ``(uid, version)`` is a state this controller wrote (the receipt is used up).

        An event that is no reason anyway (a status write) uses up its receipt; met while ``key`` is
        reconciled, before its write answered, it does so when that reconcile ends.
        """
        with self._lock:
            if self._consume(uid, version):
                return True
            held = self._held.get(key or "")
            if held is not None:
                held.append((uid, version, None))
            return False

    def news(self, keys: Iterable[str], uid: str | None, version: str | None, delay: float) -> list[str]:
        """The ``keys`` to queue now for an event of the object ``uid`` at ``version``.

        None for an echo; for news, the keys not being reconciled now (the event is held for the
        others, and judged when their reconcile ends: :meth:`end`, with ``delay``).
        """
        with self._lock:
            if self._consume(uid, version):
                return []
            now = []
            for key in keys:
                held = self._held.get(key)
                if held is None:
                    now.append(key)
                else:
                    held.append((uid, version, delay))
            return now

    def begin(self, key: str) -> None:
        """A reconcile of ``key`` starts: its events are held until :meth:`end`."""
        with self._lock:
            self._held.setdefault(key, [])

    def end(self, key: str) -> float | None:
        """The reconcile of ``key`` ended: the shortest delay among the news held for it, or None if all were echoes."""
        with self._lock:
            held = self._held.pop(key, [])
            delays = [delay for uid, version, delay in held if not self._consume(uid, version) and delay is not None]
        return min(delays) if delays else None

    def _consume(self, uid: str | None, version: str | None) -> bool:
        versions = self._receipts.get(uid or "")
        if versions is None or version is None or version not in versions:
            return False
        versions.remove(version)
        if not versions:
            del self._receipts[uid or ""]
        return True
