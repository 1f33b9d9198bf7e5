"""MkDocs hook: files that live elsewhere in the repository join the site when it is built.

- ``BENCHMARKS.md`` (the report ``python -m benchmarks`` writes) and its charts
  ``benchmarks/charts/*.png``, at the same paths, so the report's own links work unchanged;
- ``benchmarks/README.md`` (how the benchmarks are made);
- one page per example program of ``examples/``, its source in full.

Nothing is copied into ``docs/``: the site always shows the files as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]

# page name -> (title, the example's files, relative to the repository)
EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "quickstart": ("Quickstart", ["examples/quickstart.py"]),
    "models": ("Example models", ["examples/models.py"]),
    "control_plane_demo": ("Local control plane demo", ["examples/control_plane_demo.py"]),
    "tasks_app": ("Tasks web app", ["examples/tasks_app/models.py", "examples/tasks_app/app.py", "examples/tasks_app/deploy.yaml"]),
    "jobs_api": ("Jobs API", ["examples/jobs_api/app.py"]),
    "operator": ("Operator", ["examples/operator/website.py", "examples/operator/websites.example.pykorm.io.yaml", "examples/operator/rbac.yaml"]),
    "aio_notes": ("Async notes app", ["examples/aio_notes/app.py"]),
    "k8s_doctor": ("k8s doctor", ["examples/k8s_doctor.py"]),
    "webhooks": ("Webhooks", ["examples/webhooks/databases.py"]),
}

LANGUAGES = {".py": "python", ".yaml": "yaml", ".yml": "yaml"}


def example_page(title: str, paths: list[str]) -> str:
    """The Markdown of one example's page: each file's source in a code block."""
    parts = [f"# {title}\n", "Tested end to end on the local control plane (`python3 -m pytest tests/examples`).\n"]
    for path in paths:
        source = (ROOT / path).read_text()
        fence = "````" if "```" in source else "```"
        language = LANGUAGES.get(Path(path).suffix, "text")
        parts.append(f"## `{path}`\n\n{fence}{language}\n{source.rstrip()}\n{fence}\n")
    return "\n".join(parts)


def on_files(files: Files, config: Any) -> Files:
    """Add the report, its charts, the benchmarks' README and the examples' pages."""
    files.append(File.generated(config, "BENCHMARKS.md", abs_src_path=str(ROOT / "BENCHMARKS.md")))
    files.append(File.generated(config, "benchmarks/README.md", abs_src_path=str(ROOT / "benchmarks" / "README.md")))
    for chart in sorted((ROOT / "benchmarks" / "charts").glob("*.png")):
        files.append(File.generated(config, f"benchmarks/charts/{chart.name}", abs_src_path=str(chart)))
    for name, (title, paths) in EXAMPLES.items():
        files.append(File.generated(config, f"examples/{name}.md", content=example_page(title, paths)))
    return files
