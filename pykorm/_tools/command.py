"""What every ``pykorm`` command shares: its row in the command table, its typed refusal, its messages and signals."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from types import FrameType
from typing import Callable

__all__ = ["Command", "CommandError", "ignore", "interrupt_on", "say"]


@dataclasses.dataclass(frozen=True)
class Command:
    """One subcommand: its words, its help, how it runs and which arguments it takes."""

    path: tuple[str, ...]
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


class CommandError(Exception):
    """A command cannot do what it was asked (a model that does not load or map, say)."""


def say(message: str) -> None:
    """A progress message, on standard error (standard output is the command's answer)."""
    print(message, file=sys.stderr, flush=True)


def interrupt_on(*signals: signal.Signals) -> None:
    """Make these signals a ``KeyboardInterrupt`` (a background job of a script ignores SIGINT otherwise)."""
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    for number in signals:
        signal.signal(number, interrupt)


def ignore(*signals: signal.Signals) -> None:
    """Ignore these signals from now on (a stop already under way finishes)."""
    for number in signals:
        signal.signal(number, signal.SIG_IGN)
