"""The package's layers are real: every import goes down a layer (or within one, without a cycle).

The map below is the one ARCHITECTURE.md draws. Every ``import`` counts, also those inside
functions; only imports under ``if TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Mapping

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[2] / "pykorm"

LAYERS: dict[str, tuple[str, ...]] = {
    "primitives": ("_errors", "_paths", "_patch", "_versions", "_gc", "_names", "_selectors", "_drive", "_receipts"),
    "wire": ("_retry", "_transport", "_clusters", "_resource", "_atransport"),
    "vocabulary": ("_types", "_options"),
    "declaration": ("_tracking", "_fields", "fields", "_objects"),
    "derivations": ("_openapi", "_schema", "_validation", "_lookups", "_ordering", "_plan", "_crd", "_rbac", "_owners"),
    "engine": ("_pager", "_pages", "_client", "_watch", "_bulk", "_query", "_query_view", "_subresources", "_manifests", "_verbs",
               "_core", "_session", "_crd_install"),
    "models": ("_models", "k8s", "_kinds"),
    "facades and tools": ("__init__", "models", "pykorm", "exceptions", "_codegen", "_k8s_codegen", "_cli", "__main__",
                          "testing", "controller", "aio"),
}
"""Bottom to top. A module imports only from its own layer or the layers below."""

SUBPACKAGES = ("testing", "k8s", "controller", "aio")
"""Packages under pykorm/ that count as one module (pykorm.k8s: the generated models of built-in kinds)."""


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = relative.parts
    return parts[0] if parts[0] in SUBPACKAGES else ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """The pykorm modules ``path`` imports (by top-level name under pykorm/), TYPE_CHECKING blocks excluded."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    inside_testing = path.parent.name in SUBPACKAGES  # a subpackage counts as one module
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("pykorm")]
            found.update(n.split(".")[1] if "." in n else "__init__" for n in names)
            continue
        if node.level == 0:
            if node.module and node.module.startswith("pykorm"):
                parts = node.module.split(".")
                found.add(parts[1] if len(parts) > 1 else "__init__")
            continue
        up = node.level - (1 if inside_testing else 0)
        if inside_testing and up == 0:
            found.add(path.parent.name)
            continue
        if node.module:
            found.add(node.module.split(".")[0])
        else:
            found.update(a.name for a in node.names)
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        graph[name] |= {m for m in imports_of(path) if m != name}
    return dict(graph)


def layer_violations(graph: Mapping[str, Iterable[str]], layers: Mapping[str, tuple[str, ...]]) -> list[str]:
    rank = {module: index for index, members in enumerate(layers.values()) for module in members}
    names = list(layers)
    problems = [f"{m} is in no layer" for m in graph if m not in rank]
    for module, targets in graph.items():
        for target in targets:
            if module in rank and target in rank and rank[target] > rank[module]:
                problems.append(
                    f"{module} ({names[rank[module]]}) imports {target} ({names[rank[target]]}), a layer above"
                )
    return sorted(problems)


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(package_graph()) == []


def test_every_import_goes_down_a_layer() -> None:
    assert layer_violations(package_graph(), LAYERS) == []


def test_the_checks_catch_an_upward_import_and_a_cycle() -> None:
    layers = {"low": ("a",), "high": ("b",)}
    assert layer_violations({"a": {"b"}, "b": set()}, layers) == ["a (low) imports b (high), a layer above"]
    assert layer_violations({"a": set(), "b": {"a"}}, layers) == []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
