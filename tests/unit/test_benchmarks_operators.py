"""The operators benchmark's pure parts: counting requests in an audit log, the targets, its own report section."""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path

import pytest

from benchmarks.operators import _audit
from benchmarks.operators._report import HEADING, Result, report, targets, write_section
from benchmarks.report import standalone_sections

pytestmark = pytest.mark.unit

USER = "system:serviceaccount:bench:pykorm"


def event(audit_id: str, stage: str, when: str, user: str = USER, verb: str = "create",
          resource: str = "configmaps", subresource: str | None = None) -> str:
    ref = {"resource": resource, **({"subresource": subresource} if subresource else {})}
    return json.dumps({"auditID": audit_id, "stage": stage, "verb": verb, "user": {"username": user},
                       "objectRef": ref, "requestReceivedTimestamp": when})


def test_a_request_is_counted_once_per_audit_id_within_the_window_and_for_its_user(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text("\n".join([
        event("a", "ResponseComplete", "2026-12-05T10:00:01.000001Z"),
        event("w", "ResponseStarted", "2026-12-05T10:00:02Z", verb="watch"),
        event("w", "ResponseComplete", "2026-12-05T10:00:02Z", verb="watch"),  # a watch: two lines, one request
        event("p", "ResponseComplete", "2026-12-05T10:00:03Z", verb="patch", resource="mirrors", subresource="status"),
        event("o", "ResponseComplete", "2026-12-05T10:00:03Z", user=USER + "x"),  # another account, its name longer
        event("early", "ResponseComplete", "2026-12-05T09:59:59.999999Z"),
        event("late", "ResponseComplete", "2026-12-05T10:00:10Z"),  # the window's end is excluded
    ]) + "\n")
    start = datetime.datetime(2026, 12, 5, 10, 0, 0, tzinfo=datetime.timezone.utc)
    found = _audit.count(log, USER, start, start + datetime.timedelta(seconds=10))
    assert found.total == 3
    assert found.by_verb == {"create configmaps": 1, "watch configmaps": 1, "patch mirrors/status": 1}
    assert _audit.count(tmp_path / "missing.log", USER, start, start).total == 0


def test_the_policy_records_only_the_benchmark_accounts() -> None:
    rules = _audit.policy("bench")["rules"]
    assert rules == [{"level": "Metadata", "userGroups": ["system:serviceaccounts:bench"]}, {"level": "None"}]


def result(name: str, converge: float, requests: int, idle_cpu: float = 0.0) -> Result:
    return Result(name=name, objects=1000, backlog_s=converge, create_s=1.0, converge_s=converge, cpu_s=1.0,
                  server_cpu_s=2.0, idle_cpu=idle_cpu, peak_rss_mib=50.0, requests=requests,
                  requests_by_verb="create configmaps 1000", idle_requests=0, reconciles_mean=1.0, reconciles_max=1)


def test_targets_compare_pykorm_with_each_anchor() -> None:
    rows = [result("pykorm", 15.0, 2000), result("kopf", 40.0, 3000), result("controller-runtime", 10.0, 2000)]
    assert [(what, met) for what, met, _ in targets(rows)] == [
        ("converge ≤ 1.5× controller-runtime's", True),
        ("converge ≤ ⅓ of kopf's", False),  # 15 > 40 / 3
        ("requests per object ≤ controller-runtime's", True),
        ("idle CPU ~0 (≤ 0.5 % of a core)", True),
    ]
    slower = [dataclasses.replace(rows[0], converge_s=15.1, requests=2001, idle_cpu=0.01), *rows[1:]]
    assert [met for _, met, _ in targets(slower)] == [False, False, False, False]
    assert targets(rows[1:]) == []  # no pykorm row: nothing to judge


def test_the_section_replaces_its_earlier_self_and_keeps_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\n### List\n\n| a |\n\n" + HEADING + "\n\nold figures\n\n### Choosing (`python -m benchmarks.aio_transports`)\n\n| b |\n")
    rows = [result("pykorm", 15.0, 2000), result("controller-runtime", 10.0, 2000)]
    section = report(rows, version="v1.36.3", workers=2, idle=10)
    write_section(out, section, rows, tmp_path / "charts")
    text = out.read_text()
    assert "old figures" not in text and text.count(HEADING) == 1
    assert "### List\n\n| a |" in text and "| b |" in text
    assert "| pykorm | 15.0 |" in text and "**met**" in text
    assert any(s.startswith(HEADING) for s in standalone_sections(text))  # python -m benchmarks keeps it


def test_the_report_says_when_a_third_of_kopf_s_time_is_below_what_any_operator_can_show() -> None:
    from benchmarks.operators._report import Floors

    rows = [dataclasses.replace(result("pykorm", 9.0, 2000), create_s=3.4),
            dataclasses.replace(result("kopf", 9.2, 3000), create_s=5.1)]
    floors = Floors.median([Floors(1000, 1.1, 3.0), Floors(1000, 1.3, 3.4), Floors(1000, 0.9, 9.0)])
    assert (floors.creates_s, floors.writes_s) == (1.1, 3.4)
    text = report(rows, version="v1.36.3", workers=8, idle=10, floors=floors)
    assert "| pykorm | 9.0 | 3.4 | 5.6 |" in text  # converge, creates, the operator's own share after them
    assert "the 1,000 creates alone take 1.1 s" in text and "takes 3.4 s" in text
    assert "⅓ of kopf's converge time is 3.1 s" in text and "**the target is below that bound**" in text
    assert "reachable in principle" in report([rows[0], dataclasses.replace(rows[1], converge_s=30.0)],
                                              version="v", workers=8, idle=10, floors=floors)
    # Above the creates' bound but below the writes' floor (the quiet run of 2026-12-05: ⅓ of 8.3 s, 3.7 s)
    tight = report([rows[0], dataclasses.replace(rows[1], converge_s=10.5)], version="v", workers=8, idle=10,
                   floors=Floors(1000, 1.1, 4.0))
    assert "reachable in principle" in tight and "take 4.0 s: **above ⅓ of kopf's time**" in tight
    assert "above ⅓ of kopf's time" not in report([rows[0], dataclasses.replace(rows[1], converge_s=30.0)],
                                                   version="v", workers=8, idle=10, floors=floors)
