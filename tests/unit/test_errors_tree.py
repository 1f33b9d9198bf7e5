"""One exception tree: drawn in ``pykorm/_base/errors.py``'s docstring, the same in the docs' Errors page, true to the classes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pykorm
import pykorm._base.errors as errors
import pykorm.exceptions

pytestmark = pytest.mark.unit

ERRORS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "errors.md"


def drawn_tree() -> list[str]:
    """The tree's lines as the docstring draws them, without the docstring's indent."""
    doc = errors.__doc__ or ""
    start = doc.index("    PykormError")
    return [line[4:] for line in doc[start : doc.index("\n\n", start)].splitlines()]


def parents_in(lines: list[str]) -> dict[str, str | None]:
    """Each class named in a drawn tree, with the class it is drawn under (4 columns a level)."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []  # (column, name)
    for line in lines:
        match = re.match(r"^(?:[│ ]*[├└]── )?([A-Z]\w+)", line)
        if match is None:
            continue  # a comment carried over to the next line
        column = match.start(1)
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[match.group(1)] = stack[-1][1] if stack else None
        stack.append((column, match.group(1)))
    return parents


def test_the_errors_page_draws_the_docstrings_tree() -> None:
    block = "```text\n" + "\n".join(drawn_tree()) + "\n```"
    assert block in ERRORS_PAGE.read_text()


def test_the_tree_is_true_to_the_classes() -> None:
    drawn = parents_in(drawn_tree())
    classes = {
        name: cls for name, cls in vars(errors).items()
        if isinstance(cls, type) and issubclass(cls, errors.PykormError)
    }
    assert set(drawn) == set(classes)
    for name, parent in drawn.items():
        bases = [b for b in classes[name].__bases__ if issubclass(b, errors.PykormError)]
        assert [b.__name__ for b in bases] == ([parent] if parent else []), name


def test_every_exception_is_importable_from_pykorm_and_pykorm_exceptions() -> None:
    for name in errors.__all__:
        assert getattr(pykorm, name) is getattr(errors, name) is getattr(pykorm.exceptions, name)
        assert name in pykorm.__all__
    assert {"BulkError", "WaitTimeout", "CRDNotEstablished", "PrunedFieldsWarning"} <= set(errors.__all__)


def test_the_tree_reader_sees_each_parent() -> None:
    lines = ["PykormError", "├── ApiError      an answer", "│   └── NotFound", "│                 404, more words", "└── Other"]
    assert parents_in(lines) == {"PykormError": None, "ApiError": "PykormError", "NotFound": "ApiError", "Other": "PykormError"}


def test_http_status_blames_the_client_the_cluster_or_the_app() -> None:
    cases = {
        pykorm.NotFound("x", status=404): 404, pykorm.CRDNotInstalled("x", status=404): 503,
        pykorm.AlreadyExists("x", status=409): 409, pykorm.ConflictError("x", status=409): 409,
        pykorm.ValidationError("x", status=422): 422, pykorm.ValidationError("bad continue", status=400): 422,
        pykorm.ClientValidationError("x"): 422, pykorm.ReadOnlyException("x"): 422, pykorm.Gone("x", status=410): 410,
        pykorm.RequestTooLarge("x", status=413): 413, pykorm.ServerUnavailable("x", status=500): 503,
        pykorm.WaitTimeout("x", last=None): 504, pykorm.Forbidden("x", status=403): 500, pykorm.Unauthorized("x", status=401): 500,
        pykorm.ConfigurationError("x"): 500, pykorm.BulkError("x", done=[], failed=None, not_done=[], error=KeyError()): 500, KeyError("x"): 500,
    }
    assert {type(e).__name__ + str(getattr(e, "status", "")): pykorm.http_status(e) for e in cases} == {
        type(e).__name__ + str(getattr(e, "status", "")): status for e, status in cases.items()}


def test_the_control_planes_errors_are_pykorm_testings_and_keep_their_documented_paths() -> None:
    """Raised only by the local control plane, they moved to pykorm.testing; pykorm.X and pykorm.exceptions.X
    (documented before) still name the same classes, and `import pykorm` does not load the testing kit for them."""
    import subprocess
    import sys

    import pykorm.testing

    moved = sorted(pykorm.exceptions.MOVED_TO_TESTING)
    assert moved == sorted(pykorm.testing._errors.__all__)
    for name in moved:
        error = getattr(pykorm.testing, name)
        assert getattr(pykorm, name) is error is getattr(pykorm.exceptions, name) and issubclass(error, pykorm.PykormError)
        assert name in pykorm.testing.__all__ and name not in pykorm.__all__ and name not in errors.__all__
        assert error.__module__ == "pykorm.testing"
    assert issubclass(pykorm.testing.StartTimeout, pykorm.testing.StartFailed)
    assert issubclass(pykorm.testing.BuildFailed, pykorm.testing.ControlPlaneError)
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        pykorm.Nope  # noqa: B018
    program = "import sys, pykorm, pykorm.exceptions; pykorm.__doc__; print('pykorm.testing' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout == "False\n"
