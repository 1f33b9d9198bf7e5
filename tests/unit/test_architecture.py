"""The package's layers are real: every import goes down a layer (or within one, without a cycle).

The map below is the one ARCHITECTURE.md draws: each entry of ``ls pykorm/`` (a package or a
public module) is in one layer. Every ``import`` counts: inside functions, and under ``if TYPE_CHECKING:``
too (a type the engine names is a dependency). Cycles are looked for between modules; the few imports
that go up a layer are listed in ``UPWARD`` with their reasons.
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
    "base": ("_base",),
    "http": ("_http",),
    "data": ("_data", "fields"),
    "derivations": ("_schema", "_select"),
    "session": ("_session",),
    "models": ("models", "k8s", "pykorm"),
    "extensions": ("controller", "aio", "testing", "webhooks", "exceptions"),
    "tools and the package": ("_tools", "__init__", "__main__"),
}
"""Bottom to top: entries of pykorm/ (packages, public modules). A module imports only from its own layer or below."""

UPWARD: dict[tuple[str, str], str] = {
    ("_session.verbs", "models._kinds"): "a kind's model (pk.model_for, pk.owners, apply_manifests) is a Model class",
    ("_session.session", "controller"): "pk.cache's informers are the controller's",
    ("_session.blocking_verbs", "models._model"): "type-only: the models of kinds found above (model_for, owners...) are Models",
    ("_session.verbs", "models._model"): "type-only: the models of kinds found above (model_for, owners...) are Models",
    ("_session.query", "controller"): "type-only: query.cached() returns the controller's CachedQuery",
}
"""The only imports that go up a layer: each inside the function that needs it (or for type checking only), with its reason."""

MAX_LINES = 500
"""A module longer than this holds more than one concept (pykorm/k8s/, generated, is not counted)."""

LONG_MODULES: dict[str, str] = {}
"""The modules allowed past ``MAX_LINES``, each with its reason (none today)."""


def module_name(path: Path) -> str:
    """``pykorm/_session/core.py`` -> ``_session.core``; a package's ``__init__.py`` -> the package's name."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def known(dotted: str) -> str:
    """The longest prefix of ``dotted`` (relative to pykorm) that is a module or package of pykorm."""
    parts = dotted.split(".")
    while parts:
        candidate = PACKAGE.joinpath(*parts)
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    return "__init__"


def imports_of(path: Path) -> set[str]:
    """The pykorm modules ``path`` imports (dotted, relative to pykorm/): every import, type-only ones included."""
    tree = ast.parse(path.read_text())
    here = path.relative_to(PACKAGE).parts[:-1]  # the package the module is in
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pykorm" or alias.name.startswith("pykorm."):
                    found.add(known(alias.name.partition(".")[2]))
            continue
        if node.level == 0:
            if node.module and (node.module == "pykorm" or node.module.startswith("pykorm.")):
                base = node.module.partition(".")[2]
            else:
                continue
        else:
            package = here[: len(here) - (node.level - 1)]
            base = ".".join([*package, *(node.module.split(".") if node.module else [])])
        for alias in node.names:  # `from . import x`: x may be a module
            target = known(f"{base}.{alias.name}" if base else alias.name)
            found.add(target if target != "__init__" or not base else known(base))
    return found


def package_graph() -> dict[str, set[str]]:
    """Module -> the modules it imports (dotted names relative to pykorm/)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        graph[name] |= {m for m in imports_of(path) if m != name}
    return dict(graph)


def function_level_imports(module: str) -> set[str]:
    """The pykorm modules ``module`` imports inside functions or for type checking only: never when imported."""
    path = PACKAGE.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(path.read_text())
    top = ast.Module(body=[n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                           and not (isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test))], type_ignores=[])
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    for cls in classes:  # a class body's own statements run at import too
        top.body += [n for n in cls.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    at_import = _targets(top, path)
    return _targets(tree, path) - at_import


def _targets(tree: ast.AST, path: Path) -> set[str]:
    here = path.relative_to(PACKAGE).parts[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            package = here[: len(here) - (node.level - 1)]
            base = ".".join([*package, *(node.module.split(".") if node.module else [])])
            found.update(known(f"{base}.{a.name}") if known(f"{base}.{a.name}") != "__init__" else known(base)
                         for a in node.names)
    return found


def without(graph: Mapping[str, Iterable[str]], edges: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    skipped = set(edges)
    return {m: {t for t in targets if (m, t) not in skipped} for m, targets in graph.items()}


def layer_violations(graph: Mapping[str, Iterable[str]], layers: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Each module's layer is its top-level entry's (``_session.core`` is in ``_session``'s)."""
    rank = {entry: index for index, members in enumerate(layers.values()) for entry in members}
    names = list(layers)

    def entry(module: str) -> str:
        return module.split(".")[0]

    problems = sorted({f"{entry(m)} is in no layer" for m in graph if entry(m) not in rank})
    for module, targets in graph.items():
        for target in targets:
            low, high = rank.get(entry(module)), rank.get(entry(target))
            if low is not None and high is not None and high > low:
                problems.append(f"{module} ({names[low]}) imports {target} ({names[high]}), a layer above")
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
    assert cycles(without(package_graph(), UPWARD)) == []


def test_every_import_goes_down_a_layer() -> None:
    assert layer_violations(without(package_graph(), UPWARD), LAYERS) == []


def test_each_import_up_a_layer_is_listed_with_its_reason_and_made_inside_a_function() -> None:
    graph = package_graph()
    assert {edge for edge in UPWARD if edge[1] not in graph[edge[0]]} == set(), "listed, but no longer imported"
    assert {edge for edge in UPWARD if edge[1] not in function_level_imports(edge[0])} == set(), "imported at import time"


def test_every_entry_of_the_package_is_in_a_layer() -> None:
    entries = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}
    assert entries == {entry for members in LAYERS.values() for entry in members}


def test_the_walk_sees_relative_absolute_and_function_level_imports() -> None:
    graph = package_graph()
    assert "_base.errors" in graph["_session.core"]
    assert "models._kinds" in graph["_session.verbs"]  # `from ..models import _kinds` inside a function
    assert "k8s" in graph["models._kinds"]  # `import pykorm.k8s` inside a function
    assert "_session.session" in graph["_session.query"]  # a function-level relative import


def test_the_checks_catch_an_upward_import_and_a_cycle() -> None:
    layers = {"low": ("a",), "high": ("b",)}
    assert layer_violations({"a.x": {"b.y"}, "b.y": set()}, layers) == ["a.x (low) imports b.y (high), a layer above"]
    assert layer_violations({"a": set(), "b": {"a"}}, layers) == []
    assert layer_violations({"c": set()}, layers) == ["c is in no layer"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_longer_than_500_lines_without_a_reason() -> None:
    lengths = {module_name(p): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")
               if p.relative_to(PACKAGE).parts[0] != "k8s"}
    long = {module: n for module, n in lengths.items() if n > MAX_LINES}
    assert {m: n for m, n in long.items() if m not in LONG_MODULES} == {}, "split them, one concept a module"
    assert [m for m in LONG_MODULES if m not in long] == [], "listed, but no longer long"
