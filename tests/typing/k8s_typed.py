"""A typed program using pykorm.k8s: checked with mypy --strict (tests/test_k8s_kinds.py)."""

from __future__ import annotations

import datetime
from typing import Iterator

import pykorm
from pykorm.k8s import Deployment, Job, Pod
from pykorm.k8s.apps_v1 import DeploymentSpec
from pykorm.k8s.core_v1 import Container, EnvVar, PodSpec, PodTemplateSpec, ResourceRequirements
from pykorm.k8s.meta_v1 import LabelSelector, ObjectMeta


def deployment(namespace: str) -> Deployment:
    container = Container(name="web", image="nginx", env=[EnvVar(name="MODE", value="fast")],
                          resources=ResourceRequirements(limits={"cpu": "100m"}))
    return Deployment(
        namespace=namespace, name="web", labels={"app": "web"},
        spec=DeploymentSpec(replicas=2, selector=LabelSelector(match_labels={"app": "web"}),
                            template=PodTemplateSpec(metadata=ObjectMeta(labels={"app": "web"}),
                                                     spec=PodSpec(containers=[container]))),
    )


def running_nodes(pk: pykorm.Pykorm) -> list[str]:
    nodes: list[str] = []
    for pod in Pod.query.filter(status__phase="Running"):
        spec: PodSpec | None = pod.spec
        if spec is not None and spec.node_name is not None:
            nodes.append(spec.node_name)
        started: datetime.datetime | None = pod.status.start_time if pod.status else None
        del started
    return nodes


def operate(pk: pykorm.Pykorm, job: Job) -> int:
    page: pykorm.Page[Pod] = Pod.query.owned_by(job).page(10)
    text: str = pk.logs(page.items[0], tail_lines=5)
    lines: Iterator[str] = pk.logs(page.items[0], follow=True)
    scale: pykorm.Scale = pk.scale(deployment("x"), 3)
    owners: list[pykorm.Model] = page.items[0].owners()
    refs: list[pykorm.OwnerReference] = page.items[0].owner_references or []
    pk.adopt(page.items[0], job)
    pk.delete(job, propagation_policy="Foreground", wait=True)
    Widget: type[pykorm.Model] = pykorm.resource("widgets.example.com")
    del text, lines, owners, refs, Widget
    return scale.replicas + (page.remaining or 0)
