"""The benchmark report keeps what benchmarks run on their own wrote into BENCHMARKS.md."""

from __future__ import annotations

import pytest

from benchmarks.report import standalone_sections

pytestmark = pytest.mark.unit


def test_sections_naming_their_own_command_are_kept_whole() -> None:
    report = "\n".join([
        "# Benchmarks", "## Results", "### List (made by the main run)", "| a |",
        "### Cache (`python -m benchmarks.cached_query`)", "text", "#### detail", "| b |",
        "### Watch", "| c |",
        "## Async (`python -m benchmarks.aio`)", "| d |", "### its subsection", "e",
    ])
    assert standalone_sections(report) == [
        "### Cache (`python -m benchmarks.cached_query`)\ntext\n#### detail\n| b |\n",
        "## Async (`python -m benchmarks.aio`)\n| d |\n### its subsection\ne\n",
    ]


def test_a_report_without_them_keeps_nothing() -> None:
    assert standalone_sections("") == []
    assert standalone_sections("# Benchmarks\n## Results\nrun `python -m benchmarks` to check\n") == []
