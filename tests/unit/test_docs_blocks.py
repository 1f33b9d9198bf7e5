"""The docs' code-block convention, offline: every block of every page runs or says why not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs_blocks import ROOT, Block, blocks, pages, unmarked, with_namespace

pytestmark = pytest.mark.unit


def test_every_block_of_every_page_runs_or_says_why_not() -> None:
    found = [block for page in pages() for block in blocks(page)]
    assert len(found) > 30
    assert [block.where for block in found if unmarked(block)] == []


def test_the_guides_have_code_that_runs() -> None:
    """Each guide runs at least one block: a page whose blocks were all marked would drift unseen."""
    # errors.md draws the exception tree; webhooks.md's code needs a webhook server the API server
    # reaches over TLS (tests/test_webhooks.py runs it)
    guides = [page for page in pages() if page.parent.name in ("guide", "migrating") and page.name not in ("errors.md", "webhooks.md")]
    assert len(guides) >= 13
    assert [page.name for page in guides if all(block.not_run for block in blocks(page))] == []


def test_markers_fences_and_indented_blocks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n<!-- not-run: runs until Ctrl-C -->\n```bash\npykorm cluster up\n```\n\n"
        "- item\n\n  ```python\n  x = 1\n  ```\n\n````markdown\n```python\nnot a block\n```\n````\n\n```text\ntree\n```\n"
    )
    found = blocks(page)
    assert [(b.language, b.not_run, b.code, b.line) for b in found] == [
        ("bash", "runs until Ctrl-C", "pykorm cluster up\n", 5),
        ("python", None, "x = 1\n", 11),
        ("markdown", None, '```python\nnot a block\n```\n', 15),
        ("text", None, "tree\n", 21),
    ]
    assert [unmarked(b) for b in found] == [False, False, True, True]


def test_a_marker_without_a_reason_or_an_unclosed_fence_is_an_error(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- not-run: -->\n```bash\nls\n```\n")
    with pytest.raises(ValueError, match="needs a reason"):
        blocks(page)
    page.write_text("```python\nx = 1\n")
    with pytest.raises(ValueError, match="never closed"):
        blocks(page)


def test_the_namespace_shop_is_renamed_in_strings_only() -> None:
    code = 'pk.get(Pod, "shop", "shop")  # shop\nshop = "shopping"\nprint(\'shop\', f"{shop}")\n'
    block = Block(Path("p.md"), 1, "python", code, None)
    assert with_namespace(block, "ns-1") == 'pk.get(Pod, "ns-1", "ns-1")  # shop\nshop = "shopping"\nprint("ns-1", f"{shop}")\n'
    bash = Block(Path("p.md"), 1, "bash", "pykorm rbac m --name shop --namespace shop-x\n", None)
    assert with_namespace(bash, "ns-1") == "pykorm rbac m --name ns-1 --namespace ns-1-x\n"


def test_the_readmes_links_lead_somewhere() -> None:
    """The README links into docs/ and the repository: each relative link names a file that exists."""
    readme = (ROOT / "README.md").read_text()
    targets = [target.split("#")[0] for target in re.findall(r"\]\(([^)\s]+)\)", readme)]
    relative = [target for target in targets if target and "://" not in target and not target.startswith("mailto:")]
    assert relative
    assert [target for target in relative if not (ROOT / target).exists()] == []
