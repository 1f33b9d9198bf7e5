"""The operators benchmark's table, targets and chart; its own section of BENCHMARKS.md."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import statistics
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks._common import machine

HEADING = "### Operators: pykorm.controller, kopf, controller-runtime (`python -m benchmarks.operators`)"
CHART = "operators.png"
CONTROLLER_RUNTIME = "v0.24.1"  # crgo/go.mod: the release built on Kubernetes 1.36's client-go
IDLE_CPU_TARGET = 0.005  # "idle CPU ~0": at most 0.5 % of one core


@dataclass(frozen=True)
class Result:
    """One operator's figures."""

    name: str
    objects: int
    backlog_s: float  # process start until the Mirrors created before it converged
    create_s: float  # the driver's creates (8 threads)
    converge_s: float  # first create until every Mirror converged
    cpu_s: float  # the operator process's CPU over converge + 3 s
    server_cpu_s: float  # kube-apiserver's and etcd's over the same time
    idle_cpu: float  # CPU seconds per second over the quiet window
    peak_rss_mib: float
    requests: int  # sent from the first create until the quiet window (audit log)
    requests_by_verb: str
    idle_requests: int
    reconciles_mean: float
    reconciles_max: int
    converge_runs: tuple[float, ...] = ()  # each round's converge time, when this is a median

    @property
    def requests_per_object(self) -> float:
        return self.requests / self.objects

    @property
    def after_creates_s(self) -> float:
        """How long the operator took after the driver's last create was answered (its own share of converge)."""
        return max(0.0, self.converge_s - self.create_s)


@dataclass(frozen=True)
class Floors:
    """What bounds every operator's converge on this server, measured with no operator running (same round)."""

    objects: int
    creates_s: float  # the driver's creates of the new Mirrors alone (8 threads, as in each operator's run)
    writes_s: float  # the driver creating each Mirror and writing its ConfigMap and status itself (8 threads)

    @staticmethod
    def median(runs: list[Floors]) -> Floors:
        return Floors(runs[0].objects, statistics.median(f.creates_s for f in runs),
                      statistics.median(f.writes_s for f in runs))


def median(runs: list[Result]) -> Result:
    """The median of each figure over the rounds of one operator (the highest reconcile count: the max)."""
    def mid(values: list[float]) -> float:
        return statistics.median(values)

    first = runs[0]
    return dataclasses.replace(
        first, backlog_s=mid([r.backlog_s for r in runs]), create_s=mid([r.create_s for r in runs]),
        converge_s=mid([r.converge_s for r in runs]), cpu_s=mid([r.cpu_s for r in runs]),
        server_cpu_s=mid([r.server_cpu_s for r in runs]), idle_cpu=mid([r.idle_cpu for r in runs]),
        peak_rss_mib=mid([r.peak_rss_mib for r in runs]), requests=round(mid([r.requests for r in runs])),
        idle_requests=max(r.idle_requests for r in runs), reconciles_mean=mid([r.reconciles_mean for r in runs]),
        reconciles_max=max(r.reconciles_max for r in runs),
        converge_runs=tuple(r.converge_s for r in runs))


def targets(results: list[Result]) -> list[tuple[str, bool | None, str]]:
    """The issue's targets for pykorm: (what, met — None when a row to compare with is missing, figures)."""
    by_name = {r.name: r for r in results}
    ours, cr, kopf = by_name.get("pykorm"), by_name.get("controller-runtime"), by_name.get("kopf")
    if ours is None:
        return []
    found: list[tuple[str, bool | None, str]] = []
    if cr is not None:
        found.append(("converge ≤ 1.5× controller-runtime's", ours.converge_s <= 1.5 * cr.converge_s,
                      f"{ours.converge_s:.1f} s vs {cr.converge_s:.1f} s ({ours.converge_s / cr.converge_s:.2f}×)"))
    if kopf is not None:
        found.append(("converge ≤ ⅓ of kopf's", ours.converge_s <= kopf.converge_s / 3,
                      f"{ours.converge_s:.1f} s vs {kopf.converge_s:.1f} s ({ours.converge_s / kopf.converge_s:.2f}×)"))
    if cr is not None:
        found.append(("requests per object ≤ controller-runtime's",
                      ours.requests_per_object <= cr.requests_per_object,
                      f"{ours.requests_per_object:.2f} vs {cr.requests_per_object:.2f}"))
    found.append(("idle CPU ~0 (≤ 0.5 % of a core)", ours.idle_cpu <= IDLE_CPU_TARGET,
                  f"{100 * ours.idle_cpu:.2f} %, {ours.idle_requests} requests while idle"))
    return found


def versions() -> str:
    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    return f"pykorm at commit {commit}, kopf {version('kopf')}, controller-runtime {CONTROLLER_RUNTIME}"


def floor_lines(results: list[Result], floors: Floors | None) -> list[str]:
    """The floors, and whether ⅓ of kopf's converge time is below what no operator could beat in pykorm's run."""
    lines = []
    if floors is not None:
        lines += ["", f"Floors, no operator running (same rounds, median): the {floors.objects:,} creates alone take "
                  f"{floors.creates_s:.1f} s; the driver creating each Mirror and writing its ConfigMap and status "
                  f"itself (3 writes per object, 8 threads, no watch, no cache) takes {floors.writes_s:.1f} s."]
    by_name = {r.name: r for r in results}
    ours, kopf = by_name.get("pykorm"), by_name.get("kopf")
    if ours is not None and kopf is not None:
        third = kopf.converge_s / 3
        bound = max(ours.create_s, floors.creates_s if floors is not None else 0.0)
        lines.append(f"⅓ of kopf's converge time is {third:.1f} s; no operator converges before the last create is "
                     f"answered ({ours.create_s:.1f} s in pykorm's runs"
                     + (f", {floors.creates_s:.1f} s with no operator" if floors is not None else "") + "): "
                     + (f"**the target is below that bound**, so no operator could meet it here — the creator bounds "
                        f"it, not the operator (pykorm's own time after the last create: {ours.after_creates_s:.1f} s, "
                        f"kopf's {kopf.after_creates_s:.1f} s)." if third < bound else "reachable in principle."))
        if floors is not None and third < floors.writes_s:
            lines.append(f"But the same three writes per object, sent by the driver itself from 8 threads with no watch and "
                         f"no cache, take {floors.writes_s:.1f} s: **above ⅓ of kopf's time**, so an operator making "
                         f"those writes (all three here make them) converges no sooner on this server and machine.")
    return lines


def report(results: list[Result], *, version: str, workers: int, idle: float, rounds: int = 1,
           floors: Floors | None = None) -> str:
    """The section: what was run, the table, the targets, the chart."""
    n = results[0].objects if results else 0
    lines = [
        HEADING, "",
        "Run on its own (`python -m benchmarks` keeps this section when it rewrites the file). The same operator —",
        "each `Mirror` custom resource gets an owned ConfigMap holding its message, then `status.configMap` and",
        "`status.observedGeneration` — written with pykorm.controller, kopf and controller-runtime",
        f"(`benchmarks/operators/`), each in a process of its own, run one after another on one local control plane",
        f"(Kubernetes {version}), as a ServiceAccount of its own; requests counted from kube-apiserver's audit log.",
        f"*Backlog*: {n:,} Mirrors created, then the operator started: its start until they have converged. *Converge*:",
        f"then {n:,} more created from 8 threads, the first create until every one's status is written (watched by the",
        "driver); the creates share the 2 CPUs with the operator and the server, so this includes them (*creates s*:",
        "how long they took in that run; *after the creates*: the rest, the operator's own share). CPU: the",
        "operator's process (and kube-apiserver + etcd: *server CPU*) over that time and 3 s after; idle: over the",
        f"{idle:.0f} s that follow; requests and reconciles: the new Mirrors'. {workers} workers for pykorm and controller-runtime",
        "(kopf: a task per object, unbounded; `NAME:N` rows: N workers); kopf's k8s Events about its handlers switched",
        "off (the others post none).",
        f"Median of {rounds} rounds, the order rotating (each round's converge s: "
        + "; ".join(f"{r.name} {', '.join(f'{c:.1f}' for c in r.converge_runs)}" for r in results) + ").",
        f"{versions()}; {machine()}, shared with other jobs.", "",
        "| operator | converge s | creates s | after the creates s | backlog s | requests / object | CPU s | server CPU s | idle CPU % | peak RSS MiB "
        "| reconciles / object (max) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.name} | {r.converge_s:.1f} | {r.create_s:.1f} | {r.after_creates_s:.1f} | {r.backlog_s:.1f} | {r.requests_per_object:.2f} | "
                     f"{r.cpu_s:.1f} | {r.server_cpu_s:.1f} | {100 * r.idle_cpu:.2f} | {r.peak_rss_mib:.0f} | "
                     f"{r.reconciles_mean:.2f} ({r.reconciles_max}) |")
    lines += ["", "Requests by verb while converging:", ""]
    lines += [f"- {r.name}: {r.requests_by_verb}" for r in results]
    lines += floor_lines(results, floors)
    found = targets(results)
    if found:
        lines += ["", "Targets (pykorm):", ""]
        lines += [f"- {what}: **{'met' if met else 'NOT met'}** — {figures}" for what, met, figures in found]
    by_name = {r.name: r for r in results}
    if "pykorm" in by_name and len(by_name) > 1:
        ours = by_name["pykorm"].backlog_s
        lines += ["", "Backlog, pykorm against the others (no target): " + ", ".join(
            f"{ours / r.backlog_s:.2f}× {r.name}'s" for r in results if r.name != "pykorm") + "."]
    lines += ["", f"![Operators](benchmarks/charts/{CHART})", ""]
    return "\n".join(lines)


def write_section(path: Path, section: str, results: list[Result], charts: Path) -> None:
    """Put ``section`` in place of the earlier one in ``path`` (or at the end), and draw the chart."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^#{{1,3}} |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip() + "\n\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    path.write_text(text.rstrip() + "\n")
    chart(results, charts / CHART)


def chart(results: list[Result], target: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    panels = [("converge, s", [r.converge_s for r in results]),
              ("backlog, s", [r.backlog_s for r in results]),
              ("requests per object", [r.requests_per_object for r in results]),
              ("CPU, s", [r.cpu_s for r in results]),
              ("peak RSS, MiB", [r.peak_rss_mib for r in results])]
    names = [r.name for r in results]
    colors = ["#3070b0" if n == "pykorm" else "#999999" for n in names]
    figure, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.2))
    for axis, (title, values) in zip(axes, panels):
        axis.bar(names, values, color=colors)
        axis.set_title(title, fontsize=10)
        axis.tick_params(axis="x", labelrotation=30, labelsize=8)
        for i, value in enumerate(values):
            if not math.isnan(value):
                axis.annotate(f"{value:.3g}", (i, value), ha="center", va="bottom", fontsize=8)
    figure.suptitle(f"{results[0].objects:,} custom resources → ConfigMap + status", fontsize=11)
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=110)
    plt.close(figure)
