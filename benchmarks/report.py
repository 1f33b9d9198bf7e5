"""The results as Markdown tables (BENCHMARKS.md) and matplotlib charts: every figure a ratio to a reference row."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from ._common import Row

# A section written by a benchmark that runs on its own names its command in its heading.
_STANDALONE = re.compile(r"^#{2,3} .*`python -m benchmarks\.\w+")


@dataclass(frozen=True)
class Section:
    title: str
    ops: tuple[str, ...]  # Row.op values (several for create/get/patch x threads)
    reference: str  # the library the ratios divide by
    unit: str  # per what the µs are
    metric: str  # "cpu", "wall", "peak" or "kib": what the chart shows
    chart: str  # file name


def standalone_sections(report: str) -> list[str]:
    """The sections of an earlier report that benchmarks run on their own wrote (kept on a rewrite).

    Such a section's heading names its command (``### ... (`python -m benchmarks.cached_query`)``);
    it ends where the next heading of the same or a higher level begins.
    """
    kept: list[str] = []
    current: list[str] | None = None
    level = 0
    for line in report.splitlines():
        heading = re.match(r"^(#+) ", line)
        if heading and current is not None and len(heading.group(1)) <= level:
            kept.append("\n".join(current).rstrip() + "\n")
            current = None
        if current is None and _STANDALONE.match(line):
            current, level = [], len(heading.group(1)) if heading else 3
        if current is not None:
            current.append(line)
    if current is not None:
        kept.append("\n".join(current).rstrip() + "\n")
    return kept


def _value(row: Row, metric: str) -> float:
    return {"cpu": row.cpu_us, "wall": row.wall_us, "peak": row.extra.get("peak_mib", math.nan), "kib": row.extra.get("kib", math.nan)}[metric]


def ratio(rows: list[Row], row: Row, reference: str, metric: str) -> float:
    ref = next((r for r in rows if r.op == row.op and r.size == row.size and r.library == reference), None)
    if ref is None or not _value(ref, metric):
        return math.nan
    return _value(row, metric) / _value(ref, metric)


def markdown(section: Section, rows: list[Row]) -> str:
    mine = [r for r in rows if r.op in section.ops]
    if not mine:
        return ""
    out = [f"### {section.title}", "", f"Ratios are to **{section.reference}** (same run, same server)."]
    if section.metric == "kib":
        out += ["", "| objects | library | KiB/object | × ref |", "|---:|---|---:|---:|"]
        for r in mine:
            out.append(f"| {r.size:,} | {r.library} | {_value(r, 'kib'):.2f} | {ratio(rows, r, section.reference, 'kib'):.2f} |")
        return "\n".join(out) + "\n"
    if section.metric == "peak":
        out += ["", "| objects | library | peak MiB | × ref |", "|---:|---|---:|---:|"]
        for r in mine:
            out.append(f"| {r.size:,} | {r.library} | {_value(r, 'peak'):.1f} | {ratio(rows, r, section.reference, 'peak'):.2f} |")
        return "\n".join(out) + "\n"
    out += [
        "",
        f"| operation | n | library | runs | wall µs/{section.unit} | × ref | CPU µs/{section.unit} | × ref |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in mine:
        out.append(
            f"| {r.op} | {r.size:,} | {r.library} | {r.rounds} | {r.wall_us:,.1f} | {ratio(rows, r, section.reference, 'wall'):.2f}"
            f" | {r.cpu_us:,.1f} | {ratio(rows, r, section.reference, 'cpu'):.2f} |"
        )
    return "\n".join(out) + "\n"


def chart(section: Section, rows: list[Row], directory: Path) -> Path | None:
    """Grouped bars: one group per library, one bar per (operation, size); log scale when the range is wide."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mine = [r for r in rows if r.op in section.ops]
    if not mine:
        return None
    libraries = list(dict.fromkeys(r.library for r in mine))
    series = list(dict.fromkeys((r.op, r.size) for r in mine))
    values = {(r.library, r.op, r.size): ratio(rows, r, section.reference, section.metric) for r in mine}
    finite = [v for v in values.values() if v == v and v > 0]
    fig, ax = plt.subplots(figsize=(10, 0.5 + 0.45 * len(libraries) * max(1, len(series)) ** 0.5 + 1.5))
    height = 0.8 / len(series)
    for k, (op, size) in enumerate(series):
        ys = [i + k * height for i in range(len(libraries))]
        xs = [values.get((lib, op, size), math.nan) for lib in libraries]
        label = op if len(section.ops) > 1 else f"{size:,}"
        if len(section.ops) > 1 and len({s for _, s in series}) > 1:
            label = f"{op}, {size:,}"
        bars = ax.barh(ys, xs, height=height, label=label)
        ax.bar_label(bars, labels=[f"{x:.2f}×" if x == x else "" for x in xs], fontsize=7, padding=2)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(libraries))], libraries, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    if finite and max(finite) / min(finite) > 8:
        ax.set_xscale("log")
    what = {"cpu": "client CPU", "wall": "wall time", "peak": "peak memory", "kib": "memory per object"}[section.metric]
    ax.set_xlabel(f"{what}, × {section.reference} (lower is better)")
    ax.set_title(section.title, fontsize=10)
    if len(series) > 1:
        ax.legend(fontsize=7, loc="lower right", title=None if len(section.ops) > 1 else "objects", title_fontsize=7)
    fig.tight_layout()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / section.chart
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
