"""Counting what each operator sends to the API server: kube-apiserver's audit log, by ServiceAccount.

Each operator runs as a ServiceAccount of its own (a token in a kubeconfig of its own), and the
audit policy records, at level ``Metadata``, only the requests of the benchmark's accounts: one
line per request (a watch: one when it opens, one when it ends; counted once, by ``auditID``).
The driver's own requests (creating the objects, watching them converge) are the admin's and
are not recorded. Nothing on the operators' side is instrumented.
"""

from __future__ import annotations

import collections
import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path


def policy(accounts_namespace: str) -> dict[str, object]:
    """An audit policy recording the requests of ``accounts_namespace``'s ServiceAccounts (metadata only)."""
    return {
        "apiVersion": "audit.k8s.io/v1", "kind": "Policy", "omitStages": ["RequestReceived"],
        "rules": [{"level": "Metadata", "userGroups": [f"system:serviceaccounts:{accounts_namespace}"]},
                  {"level": "None"}],
    }


def apiserver_flags(directory: Path, accounts_namespace: str) -> list[str]:
    """kube-apiserver flags that write the audit log to ``directory/audit.log`` (JSON is YAML)."""
    policy_file = directory / "audit-policy.yaml"
    policy_file.write_text(json.dumps(policy(accounts_namespace)))
    return [f"--audit-policy-file={policy_file}", f"--audit-log-path={directory / 'audit.log'}",
            "--audit-log-format=json", "--audit-log-maxsize=0"]


@dataclass
class Requests:
    """The requests one user sent within a time window."""

    total: int = 0
    by_verb: collections.Counter[str] = field(default_factory=collections.Counter)

    def describe(self) -> str:
        return ", ".join(f"{verb} {n}" for verb, n in self.by_verb.most_common())


def count(log: Path, username: str, start: datetime.datetime, end: datetime.datetime) -> Requests:
    """The requests ``username`` sent (received by the server) from ``start`` until ``end`` (UTC)."""
    seen: set[str] = set()
    found = Requests()
    if not log.exists():
        return found
    with log.open() as lines:
        for line in lines:
            if username not in line:
                continue
            event = json.loads(line)
            if (event.get("user") or {}).get("username") != username or event["auditID"] in seen:
                continue
            received = parse_time(event["requestReceivedTimestamp"])
            if not start <= received < end:
                continue
            seen.add(event["auditID"])
            resource = (event.get("objectRef") or {}).get("resource", "")
            subresource = (event.get("objectRef") or {}).get("subresource")
            found.total += 1
            found.by_verb[f"{event['verb']} {resource}{'/' + subresource if subresource else ''}".strip()] += 1
    return found


def parse_time(text: str) -> datetime.datetime:
    """An audit timestamp (RFC 3339 with microseconds, ``Z``) as an aware datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
