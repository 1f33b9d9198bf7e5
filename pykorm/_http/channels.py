"""The API server's channel protocol for ``pods/NAME/exec`` over a websocket: pure functions, no I/O.

A websocket exec carries binary messages whose first byte names a channel: 0 stdin, 1 stdout,
2 stderr, 3 the error channel (one ``Status`` object: how the command ended), 4 terminal
resizes. ``v5.channel.k8s.io`` (Kubernetes >= 1.30) adds channel 255, "close": ``[255, 0]``
tells the server that stdin has ended; ``v4.channel.k8s.io`` has no way to say so.

    >>> encode_frame(STDIN, b"hi")
    b'\\x00hi'
    >>> exit_code_of({"status": "Success"})
    0
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Iterator, Sequence
from urllib.parse import urlencode

from .._base.errors import ClientValidationError, ExecFailed

__all__ = [
    "CLOSE", "ERROR", "PROTOCOLS", "RESIZE", "STDERR", "STDIN", "STDOUT", "V4", "V5", "ExecResult", "Output",
    "decode_frame", "encode_frame", "exec_query", "exit_code_of", "stdin_frames",
]

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
PROTOCOLS = (V5, V4)
"""Offered in this order: the server picks the first it speaks."""

STDIN_FRAME = 32 * 1024
"""Bytes of stdin per message."""

# A runtime that reports a non-zero exit as an error message rather than as NonZeroExitCode (kwok's
# local exec wraps Go's *exec.ExitError, whose text is "exit status N").
_GO_EXIT = re.compile(r"(?:^|: )exit status (\d+)\s*$")


@dataclasses.dataclass(frozen=True)
class ExecResult:
    """What a command run by :meth:`pykorm.Pykorm.exec` wrote and how it ended.

    ``stdout``/``stderr`` are the bytes decoded as UTF-8 (an invalid byte as U+FFFD);
    ``stdout_bytes``/``stderr_bytes`` the bytes themselves.
    """

    stdout_bytes: bytes
    stderr_bytes: bytes
    exit_code: int

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        """True when the command exited with 0."""
        return self.exit_code == 0

    def __repr__(self) -> str:
        def cut(data: bytes) -> str:
            return repr(data[:60]) + (f"...({len(data)} bytes)" if len(data) > 60 else "")
        return f"ExecResult(exit_code={self.exit_code}, stdout={cut(self.stdout_bytes)}, stderr={cut(self.stderr_bytes)})"


def exec_query(command: Sequence[str], container: str | None, stdin: bool) -> str:
    """The query string of an exec request: one ``command`` parameter per argument, in order.

    Raises:
        ClientValidationError: an empty command, or an argument that is not a string.
    """
    if isinstance(command, (str, bytes)) or not command:
        raise ClientValidationError(
            f"command must be a non-empty list of strings (['sh', '-c', '...']), not {command!r}")
    if not all(isinstance(argument, str) for argument in command):
        raise ClientValidationError(f"every argument of the command must be a string: {list(command)!r}")
    if container is not None and (not isinstance(container, str) or not container):
        raise ClientValidationError(f"container must be a non-empty string or None, not {container!r}")
    pairs: list[tuple[str, str]] = [("command", argument) for argument in command]
    if container is not None:
        pairs.append(("container", container))
    pairs += [("stdin", "true" if stdin else "false"), ("stdout", "true"), ("stderr", "true"), ("tty", "false")]
    return urlencode(pairs)


def encode_frame(channel: int, data: bytes) -> bytes:
    """One message of the protocol: the channel's byte, then the data."""
    return bytes((channel,)) + data


def decode_frame(message: bytes) -> tuple[int, bytes]:
    """The channel and the data of one message (an empty message: channel -1)."""
    if not message:
        return -1, b""
    return message[0], message[1:]


def stdin_frames(data: bytes, protocol: str) -> Iterator[bytes]:
    """The messages that send ``data`` to the command's stdin, then (``v5``) close it."""
    for start in range(0, len(data), STDIN_FRAME):
        yield encode_frame(STDIN, data[start:start + STDIN_FRAME])
    if protocol == V5:
        yield encode_frame(CLOSE, bytes((STDIN,)))


class Output:
    """The messages received so far, sorted by channel; :meth:`result` once the error channel spoke."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.status: dict[str, Any] | None = None

    def add(self, message: bytes) -> None:
        """Take one message (unknown channels and the server's empty opening messages are ignored)."""
        channel, data = decode_frame(message)
        if channel == STDOUT:
            self.stdout += data
        elif channel == STDERR:
            self.stderr += data
        elif channel == ERROR and data:
            try:
                status = json.loads(data)
            except ValueError:
                status = {"status": "Failure", "message": data.decode("utf-8", errors="replace")}
            self.status = status if isinstance(status, dict) else {"status": "Failure", "message": str(status)}

    def partial(self) -> ExecResult:
        """What was written so far (exit code -1: unknown)."""
        return ExecResult(bytes(self.stdout), bytes(self.stderr), -1)

    def result(self) -> ExecResult:
        """The finished command's result.

        Raises:
            ExecFailed: the command could not be run (no such executable, the runtime refused);
                its ``result`` holds what was written.
        """
        assert self.status is not None
        return ExecResult(bytes(self.stdout), bytes(self.stderr), exit_code_of(self.status, self.what, self.partial()))


def exit_code_of(status: dict[str, Any], what: str = "exec", partial: ExecResult | None = None) -> int:
    """The exit code a ``Status`` of the error channel reports.

    ``Success`` is 0; ``NonZeroExitCode`` carries the code in its ``ExitCode`` cause (kubelets);
    an error whose message ends with Go's ``exit status N`` is N (kwok's local exec).

    Raises:
        ExecFailed: any other failure: the command did not run, or how it ended is unknown.
    """
    if status.get("status") == "Success":
        return 0
    message = str(status.get("message") or "")
    if status.get("reason") == "NonZeroExitCode":
        for cause in (status.get("details") or {}).get("causes") or ():
            if cause.get("reason") == "ExitCode":
                try:
                    return int(cause.get("message"))
                except (TypeError, ValueError):
                    break
    found = _GO_EXIT.search(message)
    if found is not None:
        return int(found.group(1))
    raise ExecFailed(f"{what}: {message or status.get('reason') or 'the command failed'}",
                     status=int(status.get("code") or 0), reason=str(status.get("reason") or ""), body=status,
                     result=partial)
