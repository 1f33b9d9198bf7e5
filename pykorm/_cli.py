"""The ``pykorm`` command: thin wrappers that parse arguments and call the library.

Each command is one function taking the parsed arguments and returning an exit
code, plus one row of :data:`COMMANDS`; a row's path is its words on the
command line (``("cluster", "up")`` is ``pykorm cluster up``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Callable, Sequence

from ._errors import PykormError
from ._versions import KUBERNETES_VERSION

__all__ = ["COMMANDS", "GROUPS", "Command", "main"]


@dataclasses.dataclass(frozen=True)
class Command:
    """One subcommand: its words, its help, how it runs and which arguments it takes."""

    path: tuple[str, ...]
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pykorm`` command line; returns the exit code.

    >>> main(["cluster", "install"])
    0
    """
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except PykormError as error:
        print(f"pykorm: error: {error}", file=sys.stderr)
        return 1


# -- pykorm cluster ---------------------------------------------------------------------


def cluster_up(args: argparse.Namespace) -> int:
    """Start a local control plane in the foreground until Ctrl-C or SIGTERM."""
    from .testing import LocalControlPlane

    _interrupt_on(signal.SIGINT, signal.SIGTERM)  # a background job of a script ignores SIGINT otherwise
    control_plane = LocalControlPlane(log=_say)
    copy: Path | None = args.kubeconfig
    try:
        control_plane.start()
        kubeconfig = control_plane.kubeconfig
        if copy is not None:
            _copy_atomically(kubeconfig, copy)
            kubeconfig = copy.resolve()
        print(f"Kubernetes {KUBERNETES_VERSION} control plane ready in {control_plane.startup_seconds:.1f} s")
        print(f"export KUBECONFIG={kubeconfig}")
        print("Press Ctrl-C to stop it.", flush=True)
        while control_plane.running:
            time.sleep(1)
        _say(f"pykorm: kube-apiserver exited; see {control_plane.directory / 'kube-apiserver.log'}")
        return 1
    except KeyboardInterrupt:
        _say("pykorm: stopping the control plane")
        return 0
    finally:
        _ignore(signal.SIGINT, signal.SIGTERM)  # let the stop finish
        control_plane.stop()
        if copy is not None:
            copy.unlink(missing_ok=True)  # it names a server that no longer exists


def _cluster_up_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        metavar="PATH",
        help="also write the kubeconfig here (removed again when the control plane stops)",
    )


def cluster_install(args: argparse.Namespace) -> int:
    """Find or build the control-plane binaries and print their paths."""
    from .testing import ensure_binaries

    binaries = ensure_binaries(log=_say)
    for field in dataclasses.fields(binaries):
        print(f"{field.name.replace('_', '-')}: {getattr(binaries, field.name)}")
    return 0


COMMANDS: tuple[Command, ...] = (
    Command(
        ("cluster", "up"),
        f"start a local Kubernetes {KUBERNETES_VERSION} control plane until Ctrl-C",
        cluster_up,
        _cluster_up_arguments,
    ),
    Command(("cluster", "install"), "build (or find) the control-plane binaries only", cluster_install),
)
GROUPS: dict[tuple[str, ...], str] = {("cluster",): "a local Kubernetes control plane (etcd, API server, controllers)"}


# -- plumbing ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="pykorm", description="pykorm: a declarative ORM for Kubernetes resources")
    parsers: dict[tuple[str, ...], argparse.ArgumentParser] = {(): root}
    groups: dict[tuple[str, ...], argparse._SubParsersAction[argparse.ArgumentParser]] = {}
    for command in COMMANDS:
        for depth in range(1, len(command.path) + 1):
            path, parent = command.path[:depth], command.path[: depth - 1]
            if path in parsers:
                continue
            if parent not in groups:
                groups[parent] = parsers[parent].add_subparsers(metavar="COMMAND", required=True)
            help = command.help if path == command.path else GROUPS.get(path, "")
            parsers[path] = groups[parent].add_parser(path[-1], help=help, description=help)
        command.arguments(parsers[command.path])
        parsers[command.path].set_defaults(run=command.run)
    return root


def _interrupt_on(*signals: signal.Signals) -> None:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    for number in signals:
        signal.signal(number, interrupt)


def _ignore(*signals: signal.Signals) -> None:
    for number in signals:
        signal.signal(number, signal.SIG_IGN)


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy so that a reader waiting for ``target`` never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    shutil.copyfile(source, partial)
    partial.chmod(0o600)
    os.replace(partial, target)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
