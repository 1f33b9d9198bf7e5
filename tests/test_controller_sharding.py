"""Sharding across replicas (issue 23, item 9): three processes split the keys; one is killed; its keys are taken
over within the Lease's bound, and no key is ever reconciled by two replicas at once (their logs, compared)."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

import pykorm
from pykorm.k8s.coordination_v1 import Lease
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster

from .helpers import wait_for
from .planes import new_namespace, own_session
from .sharded_replica import LABELS, SHARDING

ROOT = Path(__file__).resolve().parents[1]
KEYS = 24


@pytest.fixture
def session(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    with own_session(k8s_cluster, "sharding-test") as pk:
        yield pk


def owners(session: pykorm.Pykorm, namespace: str, round_: str) -> dict[str, str] | None:
    """Each ConfigMap's replica once every one has seen ``round_``; else None."""
    found = {c.name: c.annotations or {} for c in ConfigMap.query.session(session).namespace(namespace)
             .filter_by_labels(LABELS)}
    if len(found) != KEYS or any(a.get("seen-round") != round_ for a in found.values()):
        return None
    return {name: a["shard-owner"] for name, a in found.items()}


def test_replicas_split_the_keys_and_a_killed_ones_are_taken_over(
        session: pykorm.Pykorm, k8s_cluster: Cluster, tmp_path: Path) -> None:
    namespace = new_namespace(session, "shards")
    for i in range(KEYS):
        session.save(ConfigMap(namespace=namespace, name=f"k-{i:02d}", labels=LABELS, data={"round": "1"}))
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b", "c")}
    replicas = {name: subprocess.Popen(
        [sys.executable, "-m", "tests.sharded_replica", str(k8s_cluster.kubeconfig), namespace, name, str(log)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for name, log in logs.items()}
    try:
        first = wait_for(lambda: owners(session, namespace, "1"), "every key reconciled once", 90)
        # balanced: 4 shards among 3 live replicas, at most ceil(4/3) = 2 each, once they all have joined
        def balanced() -> dict[str, str] | None:
            leases = {l.name: l.spec.holder_identity for l in Lease.query.session(session).namespace(namespace)
                      if l.name.startswith("sharded-test-shard-") and l.spec is not None}
            counts = collections.Counter(leases.values())
            return leases if len(leases) == 4 and set(counts) <= set(logs) and max(counts.values()) <= 2 \
                and len(counts) >= 2 else None
        holders = wait_for(balanced, "the shards spread over the replicas", 60)
        victim = holders["sharded-test-shard-0"]
        replicas[victim].send_signal(signal.SIGKILL)
        replicas[victim].wait(10)
        killed = time.monotonic()
        for i in range(KEYS):  # new work for every key, the dead replica's included (a replica taking a moved
            # shard over may be annotating the key meanwhile: retried on a conflict)
            session.update(session.get(ConfigMap, f"k-{i:02d}", namespace), lambda c: setattr(c, "data", {"round": "2"}))
        second = wait_for(lambda: owners(session, namespace, "2"), "every key reconciled after the kill", 90)
        took = time.monotonic() - killed
        print(f"\nfirst owners: {collections.Counter(first.values())}; after the kill of {victim}: "
              f"{collections.Counter(second.values())}, all keys done {took:.1f} s after it")
        assert victim not in second.values()
        # taken over within the Lease's bound: lease duration + retry period, plus generous slack for a loaded machine
        assert took < SHARDING["lease_duration"] + SHARDING["retry_period"] + 30
        moved = [name for name in first if first[name] == victim]
        assert moved and all(second[name] != victim for name in moved)
    finally:
        for process in replicas.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in replicas.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
    # never two replicas on one key at once: the reconciles each logged, per key, do not overlap across replicas
    spans: dict[str, list[tuple[float, float, str]]] = collections.defaultdict(list)
    for name, log in logs.items():
        for line in log.read_text().splitlines() if log.exists() else ():
            key, who, start, end = line.split()
            spans[key].append((float(start), float(end), who))
    overlaps = [(key, a, b) for key, found in spans.items() for i, a in enumerate(found) for b in found[i + 1:]
                if a[2] != b[2] and a[0] < b[1] and b[0] < a[1]]
    assert not overlaps
    assert sum(len(v) for v in spans.values()) >= 2 * KEYS  # every key's two rounds are in the logs
