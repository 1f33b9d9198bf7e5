"""Holding off full garbage collections while a large answer is decoded and wrapped.

Decoding a list of thousands of objects allocates hundreds of thousands of
dicts and lists, none of them garbage. CPython runs a full collection each time
the objects promoted to its oldest generation grow by a quarter, so a big
decode triggers several passes over everything decoded so far: in the
benchmarks (benchmarks/wrapping.py) that is two thirds of the CPU a
20,000-object list costs, with or without pykorm. Within :func:`full_gc_held_off`
the young generations are still collected as usual; only full collections wait,
and the thresholds are restored when the last holder leaves. The one full
collection CPython's rule then finds due runs at the next young collection, soon
after the block, in the caller's code: one pass over the heap instead of the
several the decode would have made (3 to 4 at 10,000 objects), not none (measured
in benchmarks/README.md, list + read). Pausing the collector entirely was
measured too: it defers a young pass over every new object, which costs more
than it saves on small lists.

On CPython 3.14 and later (an incremental collector, whose thresholds mean
something else) nothing is changed. ``PYKORM_GC_HOLD_OFF=0`` in the environment
(read at import) turns it off; so does setting :data:`enabled` to False.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from typing import Iterator

__all__ = ["enabled", "full_gc_held_off"]

_APPLIES = sys.implementation.name == "cpython" and sys.version_info < (3, 14)
enabled = os.environ.get("PYKORM_GC_HOLD_OFF", "1").strip().lower() not in ("0", "false", "no", "off")
"""Whether :func:`full_gc_held_off` holds anything off (the off switch: ``PYKORM_GC_HOLD_OFF=0``)."""
_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def full_gc_held_off() -> Iterator[None]:
    """Within the block, no full (oldest-generation) collection starts; young ones go on. Nests across threads."""
    global _depth, _saved
    if not (_APPLIES and enabled):
        yield
        return
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], 1 << 30)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
