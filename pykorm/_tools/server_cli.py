"""The ``pykorm`` commands that talk to a cluster or serve one: ``webhook serve``, ``webhook manifests``,
``codegen k8s`` and ``apply``."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from .._base.versions import KUBERNETES_VERSION
from .command import CommandError, ignore, interrupt_on, say
from .loading import ca_bundle, load_webhooks

__all__ = ["apply", "codegen_k8s", "webhook_manifests", "webhook_serve"]


def webhook_serve(args: argparse.Namespace) -> int:
    """Serve a Webhooks app over HTTPS until SIGTERM or Ctrl-C."""
    from ..webhooks import WebhookServer, self_signed

    app = load_webhooks(args.app)
    if args.self_signed:
        if args.certfile or args.keyfile:
            raise CommandError("--self-signed makes its own certificate: leave out --certfile and --keyfile")
        certificates = self_signed([args.host if args.host not in ("0.0.0.0", "") else "127.0.0.1",
                                    *args.self_signed], args.cert_dir)
        say(f"pykorm: the CA of the self-signed certificate is {certificates.cafile}")
        server = WebhookServer(app, host=args.host, port=args.port, certificates=certificates)
    elif args.certfile and args.keyfile:
        try:
            server = WebhookServer(app, host=args.host, port=args.port, certfile=args.certfile, keyfile=args.keyfile)
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot load the certificate: {error}") from error
    else:
        raise CommandError("give --certfile and --keyfile (reloaded when they change), or --self-signed HOST...")
    interrupt_on(signal.SIGINT, signal.SIGTERM)
    print(f"serving {', '.join(app.paths())} at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        say("pykorm: webhook server stopping")
    finally:
        ignore(signal.SIGINT, signal.SIGTERM)
        server.stop()
    return 0


def webhook_serve_arguments(parser: argparse.ArgumentParser) -> None:
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
    made = app.manifests(url=args.url, ca_bundle=ca_bundle(args.ca_file))
    if not made:
        raise CommandError(f"{args.app} registers no admission function (conversions go in the CRD: pykorm crd --webhooks)")
    print(to_yaml(*made), end="")
    return 0


def webhook_manifests_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", metavar="MODULE:NAME", help="the pykorm.webhooks.Webhooks app (module or .py file)")
    parser.add_argument("--ca-file", type=Path, metavar="PEM", help="the CA bundle that verifies the webhook's certificate")
    parser.add_argument("--url", help="call the webhooks at this base URL instead of the app's Service")


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
        say(f"wrote {path}; regenerate pykorm/k8s against a {KUBERNETES_VERSION} cluster to note what it lacks")
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
        say(f"wrote {directory / name}")
    return 0


def codegen_arguments(parser: argparse.ArgumentParser) -> None:
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


def apply_arguments(parser: argparse.ArgumentParser) -> None:
    _cluster_arguments(parser)
    parser.add_argument("-f", "--filename", dest="files", action="append", required=True, metavar="FILE",
                        help="a YAML or JSON file of objects (several documents, Lists), a folder of them "
                             "(its *.json, *.yaml, *.yml files in name order), or - for standard input; repeatable")
    parser.add_argument("-R", "--recursive", action="store_true", help="read the folders' subfolders too")
    parser.add_argument("--field-manager", default=None, help="the server-side apply manager (default: pykorm)")
    parser.add_argument("--force", action="store_true", help="take over fields other managers own")
    parser.add_argument("--dry-run", action="store_true", help="ask the server to check, not to store")
