"""k8s-doctor: find the broken workloads of a cluster and say what is wrong with them.

In the spirit of K8Kat (a library for Kubernetes troubleshooting): pods that are not Running
or not Ready, containers in CrashLoopBackOff, Deployments with unavailable replicas, failed Jobs,
each found with a query that sends to the API server what it can select (namespaces, field
selectors on ``status.phase``) and reads only the values it reports (``values``/``pluck``).

    python examples/k8s_doctor.py -n shop                  # a report; exit 1 when something is wrong
    python examples/k8s_doctor.py -A --tag                 # every namespace; label what is broken
    python examples/k8s_doctor.py -n shop --scale web=3 --wait 120   # scale, then wait until healthy
    python examples/k8s_doctor.py -n shop --output json    # for another program

``--tag`` labels each broken object ``doctor.examples.pykorm.io/finding=<problem>`` and
annotates it with when it was seen, so that ``kubectl get pods -l doctor.examples.pykorm.io/finding``
lists them. Exit status: 0 nothing wrong, 1 findings (or a scale that did not become healthy),
2 bad arguments or no cluster.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys
from typing import Any, Callable, Iterable, Sequence, TextIO

import pykorm
from pykorm.k8s import Deployment, Job, Namespace, Pod

FINDING_LABEL = "doctor.examples.pykorm.io/finding"
SEEN_ANNOTATION = "doctor.examples.pykorm.io/seen-at"
RED, YELLOW, GREEN, BOLD, RESET = "\033[31m", "\033[33m", "\033[32m", "\033[1m", "\033[0m"


@dataclasses.dataclass(frozen=True)
class Finding:
    """Something wrong with one object."""

    kind: str
    namespace: str
    name: str
    problem: str  # a label value: crash-loop, not-running, not-ready, unavailable, failed
    detail: str
    severe: bool = True


# -- the checks: one query each -----------------------------------------------------------


def crash_loops(pods: pykorm.Query[Pod]) -> list[Finding]:
    """Containers waiting with reason CrashLoopBackOff (any container of the pod: a list lookup)."""
    found = []
    broken = pods.filter(status__container_statuses__state__waiting__reason="CrashLoopBackOff")
    for row in broken.values("namespace", "name", "status.containerStatuses"):
        for container in row["status.containerStatuses"] or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") == "CrashLoopBackOff":
                detail = f"container {container['name']} restarted {container.get('restartCount', 0)} times"
                if waiting.get("message"):
                    detail += f": {waiting['message']}"
                found.append(Finding("Pod", row["namespace"], row["name"], "crash-loop", detail))
    return found


def pods_not_running(pods: pykorm.Query[Pod]) -> list[Finding]:
    """Pods Pending, Failed or Unknown: one field-selected list per phase (``status.phase=Pending``...)."""
    found = []
    for phase in ("Failed", "Pending", "Unknown"):
        rows = pods.filter(status__phase=phase).values("namespace", "name", "status.reason", "status.conditions")
        for row in rows:
            unmet = [c for c in row["status.conditions"] or [] if c.get("status") == "False" and c.get("reason")]
            why = row["status.reason"] or (unmet[0]["reason"] if unmet else None)
            found.append(Finding("Pod", row["namespace"], row["name"], "not-running",
                                 phase + (f": {why}" if why else ""), severe=phase == "Failed"))
    return found


def pods_not_ready(pods: pykorm.Query[Pod], skip: set[tuple[str, str]]) -> list[Finding]:
    """Running pods whose Ready condition is not True (``status.phase=Running`` goes to the server)."""
    found = []
    for pod in pods.filter(status__phase="Running"):
        key = (pod.namespace or "", pod.name)
        conditions = pykorm.maybe(pod.status).then(lambda s: s.conditions).get([])
        ready = next((c for c in conditions if c.type == "Ready"), None)
        if key not in skip and (ready is None or ready.status != "True"):
            why = ready.reason or ready.message if ready else None
            found.append(Finding("Pod", *key, "not-ready", f"Running, not Ready{f': {why}' if why else ''}"))
    return found


def unavailable_deployments(deployments: pykorm.Query[Deployment]) -> list[Finding]:
    """Deployments with fewer available replicas than they want (pykorm.rollout_state says how many, and why)."""
    found = []
    for deployment in deployments:
        state = pykorm.rollout_state(deployment)
        if not state.available:
            found.append(Finding("Deployment", deployment.namespace or "", deployment.name, "unavailable",
                                 f"{state.available_replicas}/{state.wanted} replicas available"
                                 + (f": {state.reason}" if state.reason else "")))
    return found


def failed_jobs(jobs: pykorm.Query[Job]) -> list[Finding]:
    """Jobs with a Failed condition (the server-side filter), with its reason (pykorm.job_state)."""
    found = []
    for job in jobs.filter(status__conditions__type="Failed"):
        state = pykorm.job_state(job)
        if state.state == "failed":
            detail = ": ".join(x for x in (state.reason, state.message) if x) or "failed"
            found.append(Finding("Job", job.namespace or "", job.name, "failed", detail))
    return found


def examine(pk: pykorm.Pykorm, namespaces: Sequence[str]) -> list[Finding]:
    """Every finding in ``namespaces`` (every namespace when empty), most severe first."""

    def scoped(query: Any) -> Any:
        return query.session(pk).namespace(*namespaces) if namespaces else query.session(pk)

    pods: pykorm.Query[Pod] = scoped(Pod.query)
    findings = crash_loops(pods) + pods_not_running(pods)
    findings += pods_not_ready(pods, skip={(f.namespace, f.name) for f in findings})
    findings += unavailable_deployments(scoped(Deployment.query)) + failed_jobs(scoped(Job.query))
    return sorted(findings, key=lambda f: (not f.severe, f.namespace, f.kind, f.name))


# -- acting on them -------------------------------------------------------------------------


MODELS: dict[str, Any] = {"Pod": Pod, "Deployment": Deployment, "Job": Job}


def tag(pk: pykorm.Pykorm, findings: Iterable[Finding]) -> int:
    """Label and annotate each object found (one bulk update per kind, namespace and problem)."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for f in findings:
        groups.setdefault((f.kind, f.namespace, f.problem), []).append(f.name)
    seen = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    tagged = 0
    for (kind, namespace, problem), names in sorted(groups.items()):
        query = MODELS[kind].query.session(pk).namespace(namespace).filter(name__in=sorted(set(names)))
        tagged += len(query.label(**{FINDING_LABEL: problem}))
        query.annotate(**{SEEN_ANNOTATION: seen})
    return tagged


def scale(pk: pykorm.Pykorm, namespace: str, name: str, replicas: int, wait: float, say: Callable[[str], None]) -> bool:
    """Scale the Deployment through ``/scale``, then wait (a watch) until it is healthy; True when it is."""
    deployment = pk.get(Deployment, name, namespace)
    pk.scale(deployment, replicas)
    say(f"deployment/{name} -n {namespace}: scaled to {replicas}")
    if not wait:
        return True
    try:
        pk.wait_for(deployment, pykorm.rolled_out, timeout=wait)  # every replica updated and available
    except pykorm.WaitTimeout as timed_out:
        why = pykorm.rollout_state(timed_out.last).reason
        say(f"deployment/{name} -n {namespace}: not healthy after {wait:g} s" + (f" ({why})" if why else ""))
        return False
    say(f"deployment/{name} -n {namespace}: healthy, {replicas}/{replicas} available")
    return True


# -- the report -------------------------------------------------------------------------------


def table(findings: Sequence[Finding], colour: bool) -> str:
    """The findings as an aligned text table; problems in red (severe) or yellow when ``colour``."""
    if not findings:
        return (GREEN + "No problems found." + RESET) if colour else "No problems found."
    header = ("KIND", "NAMESPACE", "NAME", "PROBLEM", "DETAIL")
    rows = [(f.kind, f.namespace, f.name, f.problem, f.detail) for f in findings]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]

    def line(row: Sequence[str], paint: str = "") -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        if paint and colour:
            cells[3] = paint + cells[3] + RESET
        return "  ".join(cells + [row[-1]]).rstrip()

    head = line(header)
    lines = [(BOLD + head + RESET) if colour else head]
    lines += [line(row, RED if f.severe else YELLOW) for row, f in zip(rows, findings)]
    return "\n".join(lines) + f"\n\n{len(findings)} problem{'s' if len(findings) != 1 else ''} found."


def wants_colour(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


# -- the command line -------------------------------------------------------------------------


def scale_target(text: str) -> tuple[str, int]:
    name, sep, replicas = text.partition("=")
    if not sep or not name or not replicas.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=REPLICAS (a Deployment and a count >= 0), not {text!r}")
    return name, int(replicas)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="k8s_doctor", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--kubeconfig", help="the cluster's kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--context", help="the kubeconfig context")
    where = p.add_mutually_exclusive_group()
    where.add_argument("-n", "--namespace", action="append", default=[], help="a namespace to examine (repeatable)")
    where.add_argument("-A", "--all-namespaces", action="store_true", help="examine every namespace")
    p.add_argument("--tag", action="store_true", help=f"label broken objects {FINDING_LABEL}=<problem>")
    p.add_argument("--scale", type=scale_target, metavar="NAME=REPLICAS", help="scale a Deployment first")
    p.add_argument("--wait", type=float, default=120.0, metavar="SECONDS",
                   help="with --scale: wait until it is healthy (0: do not wait; default 120)")
    p.add_argument("--output", choices=("table", "json"), default="table")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the table (auto: when writing to a terminal and $NO_COLOR is unset)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = sys.stdout

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    try:
        with pykorm.Pykorm(kubeconfig=args.kubeconfig, context=args.context, make_default=False) as pk:
            namespaces = [] if args.all_namespaces else (args.namespace or [pk.default_namespace()])
            for namespace in namespaces:
                pk.get(Namespace, namespace)  # NotFound: a typo, not a healthy namespace
            scaled = True
            if args.scale:
                if len(namespaces) != 1:
                    say("k8s_doctor: --scale needs exactly one namespace (-n)")
                    return 2
                name, replicas = args.scale
                scaled = scale(pk, namespaces[0], name, replicas, wait=args.wait, say=say)
            findings = examine(pk, namespaces)
            if args.tag and findings:
                say(f"tagged {tag(pk, findings)} objects {FINDING_LABEL}=<problem>")
    except (pykorm.NotFound, pykorm.ClientValidationError) as error:
        say(f"k8s_doctor: {error}")
        return 2
    except (pykorm.ConfigurationError, pykorm.ServerUnavailable, pykorm.Forbidden, pykorm.Unauthorized) as error:
        say(f"k8s_doctor: cannot examine the cluster: {error}")
        return 2
    if args.output == "json":
        json.dump([dataclasses.asdict(f) for f in findings], out, indent=2)
        out.write("\n")
    else:
        print(table(findings, wants_colour(args.color, out)), file=out)
    return 1 if findings or not scaled else 0


if __name__ == "__main__":
    sys.exit(main())
