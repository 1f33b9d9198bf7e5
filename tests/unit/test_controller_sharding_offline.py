"""Sharding's pure parts: a stable hash of keys, spread evenly; the configuration checked."""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

import pytest

from pykorm import ClientValidationError
from pykorm.controller import Sharding, shard_of

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_a_keys_shard_is_the_same_in_another_process() -> None:
    keys = [f"ns-{i % 7}/object-{i}" for i in range(50)]
    here = [shard_of(key, 8) for key in keys]
    code = f"from pykorm.controller import shard_of; print([shard_of(k, 8) for k in {keys!r}])"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}, cwd=ROOT).stdout.strip()  # another str hash seed: no effect
    assert there == repr(here)


def test_keys_spread_evenly_over_the_shards() -> None:
    counts = collections.Counter(shard_of(f"default/website-{i}", 8) for i in range(8000))
    assert set(counts) == set(range(8)) and max(counts.values()) < 1.1 * 1000 and min(counts.values()) > 0.9 * 1000


def test_the_configuration_is_checked() -> None:
    with pytest.raises(ClientValidationError):
        Sharding("op", "ns", shards=0)
    with pytest.raises(ClientValidationError):
        Sharding("op", "ns", lease_duration=5, renew_deadline=6)  # leader election's rule
    assert Sharding("op", "ns").identity and Sharding("op", "ns").identity != Sharding("op", "ns").identity
