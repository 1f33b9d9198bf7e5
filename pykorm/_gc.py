"""Pausing the cyclic garbage collector while decoding and wrapping a large answer.

Decoding a list of thousands of objects allocates hundreds of thousands of
dicts and lists, none of them garbage, and the collector runs over and over
through them: in the benchmarks that is half the CPU a list costs. Like
msgspec's decoders, pykorm pauses the collector for that short stretch.
The pause nests and is safe across threads: the collector is re-enabled when
the last pause ends, and only if it was enabled before the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Iterator

__all__ = ["gc_paused"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Within the block, the cyclic garbage collector does not run (reference counting still frees)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
