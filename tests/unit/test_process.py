"""The control plane's processes, offline: how a stop ends them (pykorm.testing._process), with small Python children."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from pykorm.testing._process import Process

pytestmark = pytest.mark.unit

# On SIGTERM: say so, drain for 0.3 s, say drained, then linger (as kube-apiserver waits for HTTP/2 clients).
LINGERING = textwrap.dedent("""
    import signal, sys, time
    def term(*_):
        print("draining", flush=True)
        time.sleep(0.3)
        print("drained", flush=True)
        time.sleep(60)
        sys.exit(0)
    signal.signal(signal.SIGTERM, term)
    print("ready", flush=True)
    time.sleep(60)
""")


def started(tmp_path: Path, code: str) -> Process:
    proc = Process("child", [sys.executable, "-c", code], tmp_path / "child.log")
    proc.start()
    deadline = time.monotonic() + 20
    while "ready" not in proc.log_since(0):
        assert time.monotonic() < deadline and proc.exited() is None, proc.log_tail()
        time.sleep(0.01)
    return proc


def test_a_process_is_killed_once_done_says_its_shutdown_did_what_it_is_for(tmp_path: Path) -> None:
    proc = started(tmp_path, LINGERING)
    offset = proc.log_size()
    began = time.monotonic()
    proc.stop(timeout=30, done=lambda: "drained" in proc.log_since(offset))
    took = time.monotonic() - began
    assert proc.exited() == -9 and proc.log_since(offset) == "draining\ndrained\n"  # drained, then killed
    assert 0.3 <= took < 30


def test_without_done_a_process_gets_its_timeout_then_is_killed(tmp_path: Path) -> None:
    proc = started(tmp_path, LINGERING)
    began = time.monotonic()
    proc.stop(timeout=1.0)
    assert proc.exited() == -9 and 1.0 <= time.monotonic() - began < 2.0  # deadline + 1 s
    polite = started(tmp_path, "import time; print('ready', flush=True); time.sleep(60)")
    polite.stop(timeout=30)
    assert polite.exited() == -15  # SIGTERM was enough
    polite.stop()  # stopping a stopped process: nothing


def test_the_log_is_read_from_an_offset(tmp_path: Path) -> None:
    proc = Process("none", ["true"], tmp_path / "none.log")
    assert proc.log_size() == 0 and proc.log_since(0) == ""  # no log yet
    (tmp_path / "none.log").write_text("one\ntwo\n")
    assert proc.log_size() == 8 and proc.log_since(4) == "two\n"
