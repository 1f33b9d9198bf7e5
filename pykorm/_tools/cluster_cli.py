"""``pykorm cluster up`` and ``pykorm cluster install``: the local control plane from the command line."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import time
from pathlib import Path

from .._base.versions import KUBERNETES_RELEASES, KUBERNETES_VERSION, KWOK_VERSION, kubernetes_release
from .command import CommandError, ignore, interrupt_on, say

__all__ = ["cluster_install", "cluster_up"]


def cluster_up(args: argparse.Namespace) -> int:
    """Start a local control plane in the foreground until Ctrl-C or SIGTERM."""
    from ..testing import LocalControlPlane

    if args.no_workloads and args.nodes is not None:
        raise CommandError("--nodes and --no-workloads contradict each other: nodes are where workloads run")
    interrupt_on(signal.SIGINT, signal.SIGTERM)  # a background job of a script ignores SIGINT otherwise
    control_plane = LocalControlPlane(
        kubernetes_version=args.kubernetes_version,
        workloads=not args.no_workloads,
        nodes=args.nodes,
        controllers=args.controllers,
        log=say,
    )
    copy: Path | None = args.kubeconfig
    try:
        control_plane.start()
        kubeconfig = control_plane.kubeconfig
        if copy is not None:
            _copy_atomically(kubeconfig, copy)
            kubeconfig = copy.resolve()
        nodes = f" with {len(control_plane.node_names)} kwok node(s)" if control_plane.workloads else " (no workloads)"
        print(f"Kubernetes {control_plane.server_version} control plane{nodes} ready in {control_plane.startup_seconds:.1f} s")
        print(f"export KUBECONFIG={kubeconfig}")
        print("Press Ctrl-C to stop it.", flush=True)
        while control_plane.running:
            time.sleep(1)
        say(f"pykorm: kube-apiserver exited; see {control_plane.directory / 'kube-apiserver.log'}")
        return 1
    except KeyboardInterrupt:
        say("pykorm: stopping the control plane")
        return 0
    finally:
        ignore(signal.SIGINT, signal.SIGTERM)  # let the stop finish
        control_plane.stop()
        if copy is not None:
            copy.unlink(missing_ok=True)  # it names a server that no longer exists


def cluster_up_arguments(parser: argparse.ArgumentParser) -> None:
    _version_argument(parser)
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        metavar="PATH",
        help="also write the kubeconfig here (removed again when the control plane stops)",
    )
    parser.add_argument(
        "--nodes",
        type=_count,
        metavar="N",
        help="how many simulated (kwok) nodes to create (default: 1)",
    )
    parser.add_argument(
        "--no-workloads",
        action="store_true",
        help="a bare API server: no kube-scheduler, no kwok, no nodes; only the garbage-collector and namespace "
        "controllers unless --controllers says otherwise",
    )
    parser.add_argument(
        "--controllers",
        type=_names,
        metavar="LIST",
        help="the kube-controller-manager controllers, comma-separated as its --controllers flag takes them "
        "(default: '*', its default set; e.g. 'deployment,replicaset,garbagecollector' or '*,-cronjob')",
    )


def _version_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubernetes-version",
        type=_release,
        metavar="VERSION",
        help=f"the Kubernetes release: a minor (1.35: its newest known patch) or a release (v1.35.4); "
        f"known: {', '.join(KUBERNETES_RELEASES)} (default: {KUBERNETES_VERSION})",
    )


def _release(text: str) -> str:
    try:
        return kubernetes_release(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _count(text: str) -> int:
    number = int(text)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of nodes")
    return number


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one controller name (or '*')")
    return names


def cluster_install(args: argparse.Namespace) -> int:
    """Find or build the control-plane binaries and print their paths; with --list, show the cache."""
    from ..testing import ensure_binaries

    if args.list:
        if args.kubernetes_version is not None:
            raise CommandError("--list shows every release; it takes no --kubernetes-version")
        return _list_cache()
    binaries = ensure_binaries(args.kubernetes_version or KUBERNETES_VERSION, log=say, workloads=True)
    for field in dataclasses.fields(binaries):
        print(f"{field.name.replace('_', '-')}: {getattr(binaries, field.name)}")
    return 0


def _list_cache() -> int:
    from ..testing._binaries import cache_dir, cache_root, cached_releases

    cached = {release.version: release for release in cached_releases()}
    kwok = f"kwok-{KWOK_VERSION}"
    print(f"cache: {cache_root()}")
    for version in dict.fromkeys([*KUBERNETES_RELEASES, *cached, kwok]):
        if version == kwok:
            label = f"kwok {KWOK_VERSION} (every release)"
        elif version == KUBERNETES_VERSION:
            label = f"{version} (default)"
        else:
            label = version if version in KUBERNETES_RELEASES else f"{version} (not pinned by this pykorm)"
        found = cached.get(version)
        if found is not None:
            built = ", ".join(f"etcd {found.etcd}" if f == "etcd" and found.etcd else f for f in found.files)
            print(f"{label:<28} {built} (built with {found.go}) in {found.folder}")
        elif version == kwok:
            print(f"{label:<28} not built: `pykorm cluster install` builds it once")
        else:
            option = "" if version == KUBERNETES_VERSION else f" --kubernetes-version {version}"
            print(f"{label:<28} not built: `pykorm cluster install{option}` builds it into {cache_dir(version)}")
    return 0


def install_arguments(parser: argparse.ArgumentParser) -> None:
    _version_argument(parser)
    parser.add_argument("--list", action="store_true", help="show the releases pykorm knows and what the cache holds")


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy so that a reader waiting for ``target`` never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    shutil.copyfile(source, partial)
    partial.chmod(0o600)
    os.replace(partial, target)
