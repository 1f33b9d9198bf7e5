"""Answers are decoded to the values json.loads gives, with msgspec or without it (pykorm._http.answers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykorm._http.answers import decode_answer, decode_json, read_lines

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_any_json_decodes_to_what_json_loads_gives(value: Any) -> None:
    data = json.dumps(value).encode()
    assert json.dumps(decode_json(data)) == json.dumps(json.loads(data))
    assert repr(decode_json(data)) == repr(json.loads(data))  # 1 vs 1.0 vs True


@pytest.mark.parametrize("data", [
    b'{"huge": 1e400}',  # msgspec refuses an out-of-range number; json gives inf
    b'"\\ud800"',  # a lone surrogate escape
    '{"a": "\u00e9"}'.encode("utf-16"),  # UTF-16 bytes: json detects the encoding
    b'{"a": 1, "a": 2}',  # the last of duplicate keys
    b'{"big": 123456789012345678901234567890, "f": 0.1, "neg": -0.0}',
])
def test_what_msgspec_refuses_or_reads_differently_is_decided_by_json(data: bytes) -> None:
    assert repr(decode_json(data)) == repr(json.loads(data))


def test_what_is_not_json_is_a_value_error_and_an_answer_says_so() -> None:
    with pytest.raises(ValueError):
        decode_json(b'{"a": ')
    with pytest.raises(Exception, match="the answer is not JSON"):
        decode_answer(200, {"Content-Type": "application/json"}, b"<html>", "GET /x")


def test_watch_lines_decode_the_same_way() -> None:
    lines, rest = read_lines(b'{"type": "ADDED", "object": {"n": 1', b'e400}}\n{"type"', raw=False)
    assert lines == [{"type": "ADDED", "object": {"n": float("inf")}}] and rest == b'{"type"'


def test_without_msgspec_the_standard_library_decodes() -> None:
    program = (
        "import sys; sys.modules['msgspec'] = None\n"  # an import of msgspec fails, as when it is not installed
        "import json; from pykorm._http.answers import decode_json\n"
        "assert decode_json is json.loads, decode_json\n"
        "assert decode_json(b'{\"a\": [1, true]}') == {'a': [1, True]}\n"
    )
    done = subprocess.run([sys.executable, "-c", program], env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
