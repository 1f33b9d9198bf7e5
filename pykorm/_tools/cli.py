"""The ``pykorm`` command: thin wrappers that parse arguments and call the library.

Each command is one function taking the parsed arguments and returning an exit
code, plus one row of :data:`COMMANDS`; a row's path is its words on the
command line (``("cluster", "up")`` is ``pykorm cluster up``).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib
import importlib.util
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Sequence

from .._base.errors import PykormError
from .._base.versions import KUBERNETES_RELEASES, KUBERNETES_VERSION, KWOK_VERSION, kubernetes_release

__all__ = ["COMMANDS", "GROUPS", "Command", "CommandError", "load_models", "load_webhooks", "main"]


@dataclasses.dataclass(frozen=True)
class Command:
    """One subcommand: its words, its help, how it runs and which arguments it takes."""

    path: tuple[str, ...]
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


class CommandError(Exception):
    """A command cannot do what it was asked (a model that does not load or map, say)."""


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


# -- pykorm cluster ---------------------------------------------------------------------


def cluster_up(args: argparse.Namespace) -> int:
    """Start a local control plane in the foreground until Ctrl-C or SIGTERM."""
    from ..testing import LocalControlPlane

    if args.no_workloads and args.nodes is not None:
        raise CommandError("--nodes and --no-workloads contradict each other: nodes are where workloads run")
    _interrupt_on(signal.SIGINT, signal.SIGTERM)  # a background job of a script ignores SIGINT otherwise
    control_plane = LocalControlPlane(
        kubernetes_version=args.kubernetes_version,
        workloads=not args.no_workloads,
        nodes=args.nodes,
        controllers=args.controllers,
        log=_say,
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
    binaries = ensure_binaries(args.kubernetes_version or KUBERNETES_VERSION, log=_say, workloads=True)
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


def _install_arguments(parser: argparse.ArgumentParser) -> None:
    _version_argument(parser)
    parser.add_argument("--list", action="store_true", help="show the releases pykorm knows and what the cache holds")


# -- pykorm crd, rbac, model --------------------------------------------------------------


def crd(args: argparse.Namespace) -> int:
    """Print, write (``-o DIR``) or check (``--check DIR``) the CRDs of the models."""
    from .._schema.crd import crd_file_name, crds

    models = load_models(args.models, custom_only=True)
    try:
        manifests = crds(*models)
        if args.webhooks:
            _add_conversions(manifests, models, load_webhooks(args.webhooks), _ca_bundle(args.ca_file))
    except TypeError as error:
        raise CommandError(str(error)) from error
    texts = {crd_file_name(m): _crd_text(m, models) for m in manifests}
    directory: Path | None = args.check or args.output
    if directory is None:
        print("---\n".join(texts.values()), end="")
        return 0
    if args.output:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            (directory / name).write_text(text)
            _say(f"wrote {directory / name}")
        return 0
    stale = 0
    for name, text in texts.items():
        path = directory / name
        current = path.read_text() if path.exists() else ""
        if current != text:
            stale += 1
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(keepends=True), text.splitlines(keepends=True), str(path), f"{path} (from the models)"
            ))
    if stale:
        _say(f"pykorm: {stale} of {len(texts)} CRDs in {directory} differ from the models; "
             f"regenerate them with: pykorm crd -o {directory} {' '.join(args.models)}")
        return 1
    _say(f"pykorm: the {len(texts)} CRDs in {directory} match the models")
    return 0


def _add_conversions(manifests: list[dict[str, Any]], models: Sequence[type], app: Any, ca: bytes | None) -> None:
    """Each CRD whose versions ``app`` converts gets its ``conversion: Webhook`` stanza."""
    from .._http.resource import resource_of

    for manifest in manifests:
        versions = [m for m in models if resource_of(m).crd_name == manifest["metadata"]["name"]]
        conversion = app.conversion(versions[0], ca_bundle=ca)
        if conversion is not None:
            manifest["spec"]["conversion"] = conversion


def _ca_bundle(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read the CA bundle: {error}") from error


def _crd_text(manifest: dict[str, Any], models: Sequence[type]) -> str:
    from .._schema.crd import to_yaml
    from .._http.resource import resource_of

    name = manifest["metadata"]["name"]
    sources = ", ".join(m.__qualname__ for m in models if resource_of(m).crd_name == name)
    return f"# Generated by `pykorm crd` from the model {sources}: change the model, then regenerate.\n" + to_yaml(manifest)


def _crd_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="+", metavar="MODULE[:Class]",
                        help="a module (dotted name or .py file) and model class; a module alone means all its models")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--check", type=Path, metavar="DIR",
                       help="exit 1 and print a diff when DIR/<plural>.<group>.yaml differ from the models")
    where.add_argument("-o", "--output", type=Path, metavar="DIR", help="write DIR/<plural>.<group>.yaml")
    parser.add_argument("--webhooks", metavar="MODULE:NAME",
                        help="a pykorm.webhooks.Webhooks app: the CRDs whose versions it converts get `conversion: "
                             "Webhook` (its Service, path /convert)")
    parser.add_argument("--ca-file", type=Path, metavar="PEM",
                        help="with --webhooks: the CA bundle that verifies the webhook's certificate (else leave "
                             "caBundle to a CA injector such as cert-manager's)")


def rbac(args: argparse.Namespace) -> int:
    """Print the ServiceAccount, Role/ClusterRole and bindings an app using the models needs."""
    from .._schema.crd import to_yaml
    from .._schema.rbac import rbac as manifests

    models = load_models(args.models)
    try:
        made = manifests(*models, name=args.name, namespace=args.namespace, read_only=args.read_only,
                         all_namespaces=args.all_namespaces, install_crds=args.install_crds, logs=args.logs,
                         scale=args.scale, exec=args.exec)
    except TypeError as error:
        raise CommandError(str(error)) from error
    print(to_yaml(*made), end="")
    return 0


def _rbac_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="+", metavar="MODULE[:Class]", help="the models the app uses")
    parser.add_argument("--name", required=True, help="the app: names the ServiceAccount, roles and bindings")
    parser.add_argument("--namespace", default="default", help="the app's namespace (default: default)")
    parser.add_argument("--read-only", action="store_true", help="only get, list and watch")
    parser.add_argument("--all-namespaces", action="store_true",
                        help="a ClusterRole for namespaced models too (the app works in every namespace)")
    parser.add_argument("--install-crds", action="store_true",
                        help="the app installs its models' CRDs (pk.install_crds): may create them, get and update them")
    parser.add_argument("--logs", action="store_true", help="the app reads pods' logs (pk.logs): pods/log, with the Pod model")
    parser.add_argument("--exec", action="store_true",
                        help="the app runs commands in pods (pk.exec): pods/exec, with the Pod model")
    parser.add_argument("--scale", action="store_true",
                        help="the app scales its models that have /scale (pk.scale, pk.get_scale; --read-only: get only)")


def model(args: argparse.Namespace) -> int:
    """Print a Python module of typed models generated from CRD files."""
    from .codegen import model_source
    from .._session.crd_install import load_manifests

    manifests = [m for path in args.files for m in load_manifests(path)]
    try:
        print(model_source(*manifests), end="")
    except (KeyError, ValueError) as error:
        raise CommandError(f"cannot generate models: {error}") from error
    return 0


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="CRD.yaml", help="files holding CustomResourceDefinitions")


def load_models(targets: Sequence[str], *, custom_only: bool = False) -> list[type]:
    """The model classes ``MODULE:Class`` names (``MODULE`` alone: each model the module defines).

    ``MODULE`` is a dotted name importable from the current directory, or the path of a ``.py`` file.
    With ``custom_only``, a module's models of built-in kinds (ConfigMap...) are left out.

    Raises:
        CommandError: the module or class does not exist, or names no model bound to a resource.
    """
    from ..models._model import Model

    found: list[type] = []
    for target in targets:
        module_name, _, class_name = target.partition(":")
        module = _import(module_name)
        if class_name:
            cls = getattr(module, class_name, None)
            if not (isinstance(cls, type) and issubclass(cls, Model) and cls.__resource__ is not None):
                raise CommandError(f"{target}: {module_name} has no model class {class_name!r} bound to a resource")
            found.append(cls)
            continue
        models = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Model)
                  and v.__module__ == module.__name__ and v.__resource__ is not None
                  and not (custom_only and "." not in v.__resource__.group)]
        if not models:
            raise CommandError(f"{target}: the module defines no model class bound to a resource")
        found += models
    return list(dict.fromkeys(found))


def _import(name: str) -> Any:
    try:
        if name.endswith(".py") or os.sep in name:
            path = Path(name).resolve()
            for module in list(sys.modules.values()):
                file = getattr(module, "__file__", None)
                if file and Path(file).resolve() == path:
                    return module  # already imported (by a test, or under its dotted name)
            taken = path.stem in sys.modules or importlib.util.find_spec(path.stem) is not None
            spec = importlib.util.spec_from_file_location(f"pykorm_models_{path.stem}" if taken else path.stem, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # type hints are resolved through sys.modules
            spec.loader.exec_module(module)
            return module
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        return importlib.import_module(name)
    except (ImportError, OSError, SyntaxError) as error:
        raise CommandError(f"cannot import {name}: {error}") from error


# -- pykorm webhook -------------------------------------------------------------------------


def load_webhooks(target: str) -> Any:
    """The ``pykorm.webhooks.Webhooks`` app ``MODULE:NAME`` names (``MODULE`` a dotted name or a ``.py`` file).

    Raises:
        CommandError: it does not exist or is not a Webhooks app.
    """
    from ..webhooks import Webhooks

    module_name, _, name = target.rpartition(":")
    if not module_name or not name:
        raise CommandError(f"{target}: name the app as MODULE:NAME (e.g. myapp.hooks:webhooks)")
    app = getattr(_import(module_name), name, None)
    if not isinstance(app, Webhooks):
        raise CommandError(f"{target}: {module_name} has no pykorm.webhooks.Webhooks named {name!r}")
    return app


def webhook_serve(args: argparse.Namespace) -> int:
    """Serve a Webhooks app over HTTPS until SIGTERM or Ctrl-C."""
    from ..webhooks import WebhookServer, self_signed

    app = load_webhooks(args.app)
    if args.self_signed:
        if args.certfile or args.keyfile:
            raise CommandError("--self-signed makes its own certificate: leave out --certfile and --keyfile")
        certificates = self_signed([args.host if args.host not in ("0.0.0.0", "") else "127.0.0.1",
                                    *args.self_signed], args.cert_dir)
        _say(f"pykorm: the CA of the self-signed certificate is {certificates.cafile}")
        server = WebhookServer(app, host=args.host, port=args.port, certificates=certificates)
    elif args.certfile and args.keyfile:
        try:
            server = WebhookServer(app, host=args.host, port=args.port, certfile=args.certfile, keyfile=args.keyfile)
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot load the certificate: {error}") from error
    else:
        raise CommandError("give --certfile and --keyfile (reloaded when they change), or --self-signed HOST...")
    _interrupt_on(signal.SIGINT, signal.SIGTERM)
    print(f"serving {', '.join(app.paths())} at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _say("pykorm: webhook server stopping")
    finally:
        _ignore(signal.SIGINT, signal.SIGTERM)
        server.stop()
    return 0


def _webhook_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", metavar="MODULE:NAME", help="the pykorm.webhooks.Webhooks app (module or .py file)")
    parser.add_argument("--host", default="0.0.0.0", help="the address to listen on (default: 0.0.0.0)")
    parser.add_argument("--port", type=int, default=9443, help="the port (default: 9443; 0: any free port)")
    parser.add_argument("--certfile", type=Path, help="the serving certificate (PEM, its chain after it)")
    parser.add_argument("--keyfile", type=Path, help="its private key (PEM)")
    parser.add_argument("--self-signed", nargs="*", metavar="HOST",
                        help="make a CA and a certificate for the host and these names (local use)")
    parser.add_argument("--cert-dir", type=Path, help="with --self-signed: write them here (default: a temporary folder)")


def webhook_manifests(args: argparse.Namespace) -> int:
    """Print the ValidatingWebhookConfiguration and MutatingWebhookConfiguration of a Webhooks app."""
    from .._schema.crd import to_yaml

    app = load_webhooks(args.app)
    made = app.manifests(url=args.url, ca_bundle=_ca_bundle(args.ca_file))
    if not made:
        raise CommandError(f"{args.app} registers no admission function (conversions go in the CRD: pykorm crd --webhooks)")
    print(to_yaml(*made), end="")
    return 0


def _webhook_manifests_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", metavar="MODULE:NAME", help="the pykorm.webhooks.Webhooks app (module or .py file)")
    parser.add_argument("--ca-file", type=Path, metavar="PEM", help="the CA bundle that verifies the webhook's certificate")
    parser.add_argument("--url", help="call the webhooks at this base URL instead of the app's Service")


# -- pykorm codegen k8s, pykorm apply -------------------------------------------------------


def _session(args: argparse.Namespace) -> Any:
    from .._session.session import Pykorm

    return Pykorm(kubeconfig=args.kubeconfig, context=args.context)


def _cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="the cluster's kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--context", help="the kubeconfig context")


def codegen_k8s(args: argparse.Namespace) -> int:
    """Regenerate pykorm/k8s/ (or DIR) from a cluster's OpenAPI v3; with --check, exit 1 when stale."""
    from .k8s_codegen import PACKAGE_DIR, RELEASES_DIR, fetch_inputs, k8s_sources, release_record, stale_modules

    transport = _session(args).transport()
    if args.record_release:
        release = str(transport.request("GET", "/version").get("gitVersion", "")).split("+")[0]
        if release == KUBERNETES_VERSION:
            raise CommandError(f"the cluster serves {release}, the release pykorm.k8s is generated from: "
                               "record an older release's cluster (pykorm cluster up --kubernetes-version 1.35)")
        path = (args.output or RELEASES_DIR) / f"{release}.json"
        text = release_record(fetch_inputs(transport, probe=False), release)
        current = path.read_text() if path.exists() else None
        if args.check:
            print(f"stale: {path}" if current != text else f"current: {path}")
            return 1 if current != text else 0
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        _say(f"wrote {path}; regenerate pykorm/k8s against a {KUBERNETES_VERSION} cluster to note what it lacks")
        return 0
    directory: Path = args.output or PACKAGE_DIR
    sources = k8s_sources(fetch_inputs(transport))
    stale = stale_modules(sources, directory)
    if args.check:
        for name in stale:
            print(f"stale: {directory / name}")
        return 1 if stale else 0
    directory.mkdir(parents=True, exist_ok=True)
    for name in stale:
        if name in sources:
            (directory / name).write_text(sources[name])
        else:
            (directory / name).unlink()
        _say(f"wrote {directory / name}")
    return 0


def _codegen_arguments(parser: argparse.ArgumentParser) -> None:
    _cluster_arguments(parser)
    parser.add_argument("-o", "--output", type=Path, metavar="DIR", help="write there instead of pykorm/k8s/")
    parser.add_argument("--check", action="store_true", help="exit 1 and name the files that differ")
    parser.add_argument("--record-release", action="store_true",
                        help="against an older release's cluster: record which fields it serves "
                             "(pykorm/_tools/k8s_releases/vX.Y.Z.json), so that the generated docstrings say what it lacks")


def apply(args: argparse.Namespace) -> int:
    """Server-side apply the objects of YAML/JSON files, folders of them (``-R``: and their subfolders) or
    standard input (``-f -``), as ``kubectl apply --server-side -f`` reads them."""
    if args.files.count("-") > 1:
        raise CommandError("-f - (standard input) may be given once")
    sources: list[Any] = [sys.stdin.read() if name == "-" else Path(name) for name in args.files]
    session = _session(args)
    applied = session.apply_manifests(sources, field_manager=args.field_manager, force=args.force,
                                      dry_run=args.dry_run, recursive=args.recursive)
    if not applied:
        raise CommandError(f"no objects passed to apply (in {', '.join(args.files)})")
    for obj in applied:
        namespace = getattr(obj, "namespace", None)
        print(f"{type(obj).__name__.lower()}/{obj.name}{f' -n {namespace}' if namespace else ''} applied")
    return 0


def _apply_arguments(parser: argparse.ArgumentParser) -> None:
    _cluster_arguments(parser)
    parser.add_argument("-f", "--filename", dest="files", action="append", required=True, metavar="FILE",
                        help="a YAML or JSON file of objects (several documents, Lists), a folder of them "
                             "(its *.json, *.yaml, *.yml files in name order), or - for standard input; repeatable")
    parser.add_argument("-R", "--recursive", action="store_true", help="read the folders' subfolders too")
    parser.add_argument("--field-manager", default=None, help="the server-side apply manager (default: pykorm)")
    parser.add_argument("--force", action="store_true", help="take over fields other managers own")
    parser.add_argument("--dry-run", action="store_true", help="ask the server to check, not to store")


COMMANDS: tuple[Command, ...] = (
    Command(
        ("cluster", "up"),
        f"start a local Kubernetes cluster (default {KUBERNETES_VERSION}: control plane, scheduler, kwok nodes) "
        "until Ctrl-C",
        cluster_up,
        _cluster_up_arguments,
    ),
    Command(("cluster", "install"), "build (or find) the control-plane binaries (kube-scheduler and kwok too) only; "
            "--list: what the cache holds", cluster_install, _install_arguments),
    Command(("crd",), "print, write or check the CustomResourceDefinitions of models", crd, _crd_arguments),
    Command(("rbac",), "print the least ServiceAccount, Role and bindings an app of these models needs", rbac,
            _rbac_arguments),
    Command(("model",), "print a Python module of models generated from CustomResourceDefinitions", model,
            _model_arguments),
    Command(("codegen", "k8s"), "regenerate pykorm.k8s from a cluster's OpenAPI v3 (--check: exit 1 when stale)",
            codegen_k8s, _codegen_arguments),
    Command(("webhook", "serve"), "serve a pykorm.webhooks app (admission, conversion) over HTTPS", webhook_serve,
            _webhook_serve_arguments),
    Command(("webhook", "manifests"), "print the webhook configurations of a pykorm.webhooks app", webhook_manifests,
            _webhook_manifests_arguments),
    Command(("apply",), "server-side apply the objects of files, folders (-R: subfolders too) or standard input, any kind",
            apply, _apply_arguments),
)
GROUPS: dict[tuple[str, ...], str] = {
    ("cluster",): "a local Kubernetes control plane (etcd, API server, controllers)",
    ("codegen",): "generate pykorm's own modules",
    ("webhook",): "admission and conversion webhooks (pykorm.webhooks)",
}


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
