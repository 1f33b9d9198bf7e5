"""The code blocks of the documentation's pages (``docs/**/*.md``, ``README.md``): which run, and running them.

The convention (``docs/contributing.md`` tells writers):

- every fenced block in ``python`` or ``bash`` runs, in the order of the page, against a cluster:
  a page's Python blocks share one module namespace, as if they were one program; ``bash`` blocks
  run with ``bash -euo pipefail`` from the repository's root;
- a block right after the line ``<!-- not-run: REASON -->`` is shown only; REASON is required
  (the fence may be indented, as in a list item; the comment is indented the same);
- a block in any other language (``text``, ``yaml``, ``toml``...) must be marked too: nothing is
  skipped silently;
- the namespace ``shop`` stands for a fresh namespace made for the page: the Python string
  ``"shop"`` and the shell word ``shop`` are replaced by its name, and it is the kubeconfig
  context's namespace (``Pykorm()`` uses it when a namespaced object names none).

``python -m tests.docs_blocks PAGE.md`` runs one page's blocks against ``$KUBECONFIG`` (its
context's namespace must exist), which ``tests/test_docs.py`` does for every page in a fresh
process, so that the models a page declares meet nothing of another page's or the tests'.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import inspect
import io
import os
import re
import subprocess
import sys
import tokenize
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RUNNABLE = ("python", "bash")
NAMESPACE = "shop"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_NOT_RUN = re.compile(r"^[ \t]*<!--\s*not-run:(?P<reason>.*?)-->[ \t]*$")


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # the line of its first code line, counted from 1
    language: str
    code: str
    not_run: str | None  # the reason it is not run; None: it runs

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order.

    Raises:
        ValueError: a fence that is never closed, or a ``not-run`` marker without a reason.
    """
    lines = page.read_text().split("\n")
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        indent, fence = match["indent"], match["fence"]
        language = match["info"].strip().split(" ")[0].lstrip("{.").rstrip("}") if match["info"].strip() else ""
        marker = _NOT_RUN.match(lines[index - 1]) if index > 0 else None
        reason = marker["reason"].strip() if marker else None
        if marker and not reason:
            raise ValueError(f"{page}:{index}: a not-run marker needs a reason: <!-- not-run: why -->")
        end = index + 1
        while end < len(lines) and not (lines[end].strip().startswith(fence[0] * len(fence)) and lines[end].strip().strip(fence[0]) == ""):
            end += 1
        if end == len(lines):
            raise ValueError(f"{page}:{index + 1}: a code block that is never closed")
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in lines[index + 1:end]]
        found.append(Block(page, index + 2, language, "\n".join(body) + "\n", reason))
        index = end + 1
    return found


def unmarked(block: Block) -> bool:
    """A block that neither runs nor says why not."""
    return block.not_run is None and block.language not in RUNNABLE


def pages() -> list[Path]:
    """Every page of the documentation written by hand, and the README (its taste of each guide)."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def with_namespace(block: Block, namespace: str) -> str:
    """The block's code with the namespace ``shop`` renamed."""
    if block.language == "bash":
        return re.sub(rf"\b{NAMESPACE}\b", namespace, block.code)
    out: list[str] = []
    tokens = tokenize.generate_tokens(io.StringIO(block.code).readline)
    previous = (1, 0)
    lines = block.code.splitlines(keepends=True)
    for token in tokens:
        if token.type == tokenize.STRING and token.string in (f'"{NAMESPACE}"', f"'{NAMESPACE}'"):
            out.append(_between(lines, previous, token.start))
            out.append(f'"{namespace}"')
            previous = token.end
    out.append(_between(lines, previous, (len(lines) + 1, 0)))
    return "".join(out)


def _between(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> str:
    """The source text from ``start`` to ``end`` (tokenize's (row, column) positions)."""
    (row, col), (end_row, end_col) = start, end
    if row == end_row:
        return lines[row - 1][col:end_col] if row <= len(lines) else ""
    text = lines[row - 1][col:] if row <= len(lines) else ""
    text += "".join(lines[row:end_row - 1])
    if end_row <= len(lines):
        text += lines[end_row - 1][:end_col]
    return text


def run_page(page: Path, namespace: str) -> None:
    """Run a page's blocks in order; the first failing block raises, naming its line."""
    module = types.ModuleType("docs_page")
    module.__file__ = str(page)
    sys.modules["docs_page"] = module
    for block in blocks(page):
        if block.not_run is not None:
            continue
        code = with_namespace(block, namespace)
        print(f"--- {block.where} ({block.language})", flush=True)
        if block.language == "bash":
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=ROOT)
            if done.returncode:
                raise SystemExit(f"{block.where}: the bash block exited with {done.returncode}")
            continue
        # blank lines first, so that a traceback names the page's own line numbers
        source = "\n" * (block.line - 1) + code
        compiled = compile(source, str(page.relative_to(ROOT)), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        if compiled.co_flags & inspect.CO_COROUTINE:
            asyncio.run(eval(compiled, module.__dict__))
        else:
            exec(compiled, module.__dict__)


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m tests.docs_blocks PAGE.md  (runs against $KUBECONFIG's namespace)")
    page = Path(argv[0]).resolve()
    namespace = os.environ.get("PYKORM_DOCS_NAMESPACE", NAMESPACE)
    os.chdir(ROOT)
    run_page(page, namespace)


if __name__ == "__main__":
    main(sys.argv[1:])
