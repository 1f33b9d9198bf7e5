"""python -m benchmarks.operators.caches: an informer of 100,000 ConfigMaps, pykorm against client-go.

    python -m benchmarks.operators.caches                  # 100,000 ConfigMaps
    python -m benchmarks.operators.caches --objects 10000

On one local control plane, ``--objects`` ConfigMaps (three keys of data, written by pykorm: one
``Update`` entry in managedFields, about 600 bytes of JSON each) in one namespace; then, each in a
fresh process, one after another: pykorm's ``Informer`` (streamed first list, listed, and with
``strip_managed_fields``) and client-go's shared informer (``crgo/informer``, built here; plain and
with controller-runtime's ``TransformStripManagedFields``). Per run: the time from the informer's
start until it has synced, and the memory it holds then (the process's resident set grown since
just before the start; for client-go also the live Go heap), per cached object.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pykorm import AlreadyExists, ServerUnavailable
from pykorm._http.transport import Transport
from pykorm.testing import Cluster, LocalControlPlane

from ._process import go_build, rss_mib

ROOT = Path(__file__).resolve().parent.parent.parent


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fill(transport: Transport, namespace: str, n: int) -> None:
    def post(i: int) -> None:
        body = {"metadata": {"name": f"cm-{i:06d}", "namespace": namespace, "labels": {"app": "caches-bench"}},
                "data": {"region": "eu-west", "index": str(i), "note": f"configuration item {i} of the benchmark"}}
        for attempt in range(8):
            try:
                transport.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", body=body)
                return
            except AlreadyExists:
                return
            except ServerUnavailable:
                time.sleep(0.2 * 2**attempt)
        raise RuntimeError(f"could not create ConfigMap {i}")

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        for done, _ in enumerate(pool.map(post, range(n)), 1):
            if done % 20000 == 0:
                say(f"  {done:,} created")


def pykorm_informer(kubeconfig: str, namespace: str, stream: bool, strip: bool) -> dict[str, float]:
    """In this (fresh) process: sync an informer; its figures."""
    import gc

    import pykorm
    from pykorm.controller import Informer, strip_managed_fields
    from pykorm.k8s.core_v1 import ConfigMap

    pk = pykorm.Pykorm(kubeconfig=kubeconfig)
    ConfigMap.query.session(pk).namespace(namespace).filter(name="cm-000000").first()  # connection, discovery
    gc.collect()
    before = rss_mib(os.getpid())
    started = time.monotonic()
    informer = Informer(ConfigMap, session=pk, namespace=namespace, stream=stream,
                        transform=strip_managed_fields if strip else None).start()
    informer.wait_synced(1800)
    synced = time.monotonic() - started
    gc.collect()
    figures = {"objects": len(informer.store), "sync_s": synced, "rss_mib": rss_mib(os.getpid()) - before,
               "streamed": float(bool(informer.streamed))}
    informer.stop()
    return figures


def run_python(kubeconfig: Path, namespace: str, stream: bool, strip: bool) -> dict[str, float]:
    code = (f"import json; from benchmarks.operators.caches import pykorm_informer; "
            f"print(json.dumps(pykorm_informer({str(kubeconfig)!r}, {namespace!r}, {stream}, {strip})))")
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def run_go(binary: Path, kubeconfig: Path, namespace: str, strip: bool) -> dict[str, float]:
    command = [str(binary), "--kubeconfig", str(kubeconfig), "--namespace", namespace]
    answer = subprocess.run(command + (["--strip-managed-fields"] if strip else []), capture_output=True, text=True,
                            check=True)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.operators.caches", description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="pykorm-bench-caches-"))
    informer = go_build("informer", "crgo-informer", workdir / "go-build.log")
    say("starting a local control plane")
    plane = LocalControlPlane().start()
    try:
        cluster = Cluster.local(plane)
        transport = cluster.transport()
        namespace = "pykorm-bench-caches"
        transport.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
        say(f"creating {args.objects:,} ConfigMaps")
        started = time.monotonic()
        fill(transport, namespace, args.objects)
        say(f"  in {time.monotonic() - started:.0f} s")
        runs = [
            ("pykorm Informer, streamed first list", lambda: run_python(plane.kubeconfig, namespace, True, False)),
            ("pykorm Informer, listed (pages of 500)", lambda: run_python(plane.kubeconfig, namespace, False, False)),
            ("pykorm Informer, streamed, strip_managed_fields",
             lambda: run_python(plane.kubeconfig, namespace, True, True)),
            ("client-go shared informer", lambda: run_go(informer, plane.kubeconfig, namespace, False)),
            ("client-go shared informer, TransformStripManagedFields",
             lambda: run_go(informer, plane.kubeconfig, namespace, True)),
        ]
        lines = [f"{args.objects:,} ConfigMaps in one namespace, each informer in a fresh process, one after another:", "",
                 "| informer | objects | sync s | RSS growth MiB | bytes per object (RSS) | Go heap MiB |",
                 "|---|---:|---:|---:|---:|---:|"]
        for label, run in runs:
            say(label)
            figures = run()
            say(f"  {figures}")
            per = figures["rss_mib"] * 2**20 / max(1, figures["objects"])
            heap = f"{figures['heap_mib']:.0f}" if "heap_mib" in figures else ""
            lines.append(f"| {label} | {int(figures['objects']):,} | {figures['sync_s']:.1f} | {figures['rss_mib']:.0f} | "
                         f"{per:,.0f} | {heap} |")
        print("\n".join(lines))
    finally:
        plane.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
