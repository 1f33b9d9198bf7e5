"""Followed logs that another thread can stop, and the lines of a workload's logs with where they come from."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable, Iterator

from .._base.errors import ServerUnavailable
from .._http.transport import shut_down

__all__ = ["LogLine", "LogStream"]


@dataclasses.dataclass(frozen=True)
class LogLine:
    """One line of a workload's logs, with the pod and container that wrote it."""

    pod: str
    container: str
    text: str

    def __str__(self) -> str:
        return f"[{self.pod}/{self.container}] {self.text}"


class LogStream(Iterator[str]):
    """A pod's log lines as they are written (``pk.logs(pod, follow=True)``).

    ``stop()``, from any thread (a web request whose client went away, a signal handler's helper),
    closes the connection at once; the iteration then ends without an error.
    """

    def __init__(self, open_lines: Callable[[Callable[[Any], object]], Iterator[str]]) -> None:
        self._lock = threading.Lock()
        self._responses: list[Any] = []
        self._stopped = False
        self._lines = open_lines(self._opened)

    def _opened(self, response: Any) -> None:
        with self._lock:
            self._responses.append(response)
            stopped = self._stopped
        if stopped:
            shut_down(response)

    def stop(self) -> None:
        """End the stream: a blocked read returns, and the iteration ends."""
        with self._lock:
            self._stopped = True
            responses = list(self._responses)
        for response in responses:
            try:
                shut_down(response)
            except OSError:
                pass  # already closed

    @property
    def stopped(self) -> bool:
        return self._stopped

    def __iter__(self) -> LogStream:
        return self

    def __next__(self) -> str:
        if self._stopped:
            self._close()
            raise StopIteration
        try:
            return next(self._lines)
        except ServerUnavailable:
            if self._stopped:
                self._close()
                raise StopIteration from None
            raise

    def _close(self) -> None:
        close = getattr(self._lines, "close", None)
        if close is not None:
            try:
                close()
            except (ServerUnavailable, OSError, RuntimeError):
                pass

    close = stop
