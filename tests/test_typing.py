"""Type checkers know each model's constructor and attribute types (mypy, strict)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import Mypy

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")


def test_package_examples_and_typed_models_pass_mypy(mypy: Mypy) -> None:
    result = mypy("pykorm", "examples", "tests/typing/models_typed.py", "tests/typing/builders_typed.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_wrong_constructors_are_type_errors(mypy: Mypy) -> None:
    result = mypy("tests/typing/constructor_errors.py")
    errors = {int(m.group(1)): m.group(2) for m in re.finditer(r"constructor_errors\.py:(\d+): error: (.*)", result.stdout)}
    source = (ROOT / "tests/typing/constructor_errors.py").read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(source) if "# E:" in line}
    assert set(errors) == expected, result.stdout
    assert "incompatible type \"int\"; expected \"str\"" in errors[min(expected)]


def test_wrong_uses_of_builders_and_maybe_are_type_errors(mypy: Mypy) -> None:
    """The builders' arguments, maybe()'s steps (a misspelt attribute two levels below an optional one), an
    optional level read without narrowing and a misspelt pykorm.k8s name: each line marked ``# E:`` fails."""
    result = mypy("tests/typing/builder_errors.py")
    errors = {int(m.group(1)): m.group(2) for m in re.finditer(r"builder_errors\.py:(\d+): error: (.*)", result.stdout)}
    source = (ROOT / "tests/typing/builder_errors.py").read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(source) if "# E:" in line}
    assert set(errors) == expected, result.stdout
    assert '"DeploymentStatus" has no attribute "ready_replica"' in result.stdout
    assert 'Module has no attribute "Deploymnt"' in result.stdout
