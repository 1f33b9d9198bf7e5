"""The tests are laid out as the package: every offline test under tests/unit (marker ``unit``), the
server tests beside them by area, and CI's existing-cluster pass chosen by marker."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def marks_unit(path: Path) -> bool:
    return any(isinstance(node, ast.Attribute) and node.attr == "unit" and ast.unparse(node).endswith("mark.unit")
               for node in ast.walk(ast.parse(path.read_text())))


def test_offline_tests_live_in_tests_unit_and_every_module_there_is_marked_unit() -> None:
    outside = [p.relative_to(ROOT) for p in TESTS.rglob("test_*.py") if TESTS / "unit" not in p.parents and marks_unit(p)]
    assert outside == []
    assert [p.name for p in (TESTS / "unit").glob("test_*.py") if not marks_unit(p)] == []


def test_no_offline_test_uses_the_cluster() -> None:
    users = [p.name for p in (TESTS / "unit").glob("test_*.py") if p != Path(__file__) and "k8s_cluster" in p.read_text()]
    assert users == []


def test_ci_selects_the_existing_cluster_pass_by_marker() -> None:
    run = (ROOT / ".ci" / "run").read_text() + (ROOT / ".ci" / "compat").read_text()  # run calls compat
    passes = [line.strip() for line in run.splitlines() if line.strip().startswith("python3 -m pytest --kubeconfig")]
    assert passes and all("-m session_cluster" in line for line in passes)
