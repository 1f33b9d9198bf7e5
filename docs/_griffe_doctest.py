"""A griffe extension: pykorm's docstrings, written for Sphinx-minded readers, read well as Markdown.

- The short ``>>>`` example a docstring ends with, outside any "Examples:" section (STYLE.md),
  becomes a ``pycon`` code block: as Markdown it would be a quote whose ``["key"]`` reads as a link.
- Sphinx roles (``:class:`Pykorm```, ``:meth:`~Query.all```) become code spans.
"""

from __future__ import annotations

import re
from typing import Any

import griffe


_ROLE = re.compile(r":(?:class|meth|attr|func|exc|mod|data|obj):`~?([^`]+)`")


def fence_doctests(text: str) -> str:
    """Wrap each run of ``>>>`` lines (with their ``...`` continuations and output) in a fence."""
    out: list[str] = []
    inside = False
    indent = ""
    for line in text.split("\n"):
        stripped = line.lstrip()
        if not inside and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.extend(["", f"{indent}```pycon"])
            inside = True
        elif inside and not stripped:
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


def markdown(text: str) -> str:
    """A docstring as Markdown: doctests fenced, Sphinx roles as code spans."""
    if ">>>" in text:
        text = fence_doctests(text)
    return _ROLE.sub(lambda match: f"`{match.group(1)}`", text)


class DoctestFences(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Every object griffe reads, packages included, once its docstring is known."""
        if obj.docstring is not None and not getattr(obj.docstring, "_pykorm_markdown", False):
            obj.docstring.value = markdown(obj.docstring.value)
            obj.docstring._pykorm_markdown = True  # type: ignore[attr-defined]
