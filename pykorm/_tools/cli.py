"""The ``pykorm`` command: thin wrappers that parse arguments and call the library.

Each command is one function taking the parsed arguments and returning an exit
code, plus one row of :data:`COMMANDS`; a row's path is its words on the
command line (``("cluster", "up")`` is ``pykorm cluster up``). The commands live by
concept: :mod:`.cluster_cli` (the local control plane), :mod:`.model_cli` (manifests
from models and back), :mod:`.server_cli` (a cluster's or a server's), with
:mod:`.command` and :mod:`.loading` under them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .._base.errors import PykormError
from .._base.versions import KUBERNETES_VERSION
from .cluster_cli import cluster_install, cluster_up, cluster_up_arguments, install_arguments
from .command import Command, CommandError
from .loading import load_models, load_webhooks
from .model_cli import crd, crd_arguments, model, model_arguments, rbac, rbac_arguments
from .server_cli import (
    apply, apply_arguments, codegen_arguments, codegen_k8s, webhook_manifests, webhook_manifests_arguments,
    webhook_serve, webhook_serve_arguments,
)

__all__ = ["COMMANDS", "GROUPS", "Command", "CommandError", "load_models", "load_webhooks", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pykorm`` command line; returns the exit code.

    >>> main(["cluster", "install"])
    0
    """
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (PykormError, CommandError) as error:
        print(f"pykorm: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a file or folder named on the command line that cannot be read or written
        print(f"pykorm: error: {error}", file=sys.stderr)
        return 1


COMMANDS: tuple[Command, ...] = (
    Command(
        ("cluster", "up"),
        f"start a local Kubernetes cluster (default {KUBERNETES_VERSION}: control plane, scheduler, kwok nodes) "
        "until Ctrl-C",
        cluster_up,
        cluster_up_arguments,
    ),
    Command(("cluster", "install"), "build (or find) the control-plane binaries (kube-scheduler and kwok too) only; "
            "--list: what the cache holds", cluster_install, install_arguments),
    Command(("crd",), "print, write or check the CustomResourceDefinitions of models", crd, crd_arguments),
    Command(("rbac",), "print the least ServiceAccount, Role and bindings an app of these models needs", rbac,
            rbac_arguments),
    Command(("model",), "print a Python module of models generated from CustomResourceDefinitions", model,
            model_arguments),
    Command(("codegen", "k8s"), "regenerate pykorm.k8s from a cluster's OpenAPI v3 (--check: exit 1 when stale)",
            codegen_k8s, codegen_arguments),
    Command(("webhook", "serve"), "serve a pykorm.webhooks app (admission, conversion) over HTTPS", webhook_serve,
            webhook_serve_arguments),
    Command(("webhook", "manifests"), "print the webhook configurations of a pykorm.webhooks app", webhook_manifests,
            webhook_manifests_arguments),
    Command(("apply",), "server-side apply the objects of files, folders (-R: subfolders too) or standard input, any kind",
            apply, apply_arguments),
)


GROUPS: dict[tuple[str, ...], str] = {
    ("cluster",): "a local Kubernetes control plane (etcd, API server, controllers)",
    ("codegen",): "generate pykorm's own modules",
    ("webhook",): "admission and conversion webhooks (pykorm.webhooks)",
}


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
