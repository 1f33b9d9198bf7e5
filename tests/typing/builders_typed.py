"""Builders, maybe and dig, typed: checked with mypy --strict (tests/test_typing.py). assert_type fails the
check when the checker infers another type than the one written."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

import pykorm
from pykorm.k8s import ConfigMap, Deployment, Job, Pod, Secret, Service, config_map, deployment, job, pod, secret, service_for
from pykorm.k8s.apps_v1 import DeploymentCondition
from pykorm.k8s.core_v1 import Container

web = deployment("web", "nginx", namespace="shop", replicas=2, ports={"http": 8080}, env={"MODE": "prod"},
                 pod={"termination_grace_period_seconds": 5})
assert_type(web, Deployment)
assert_type(web.spec.replicas, int | None)  # typed attributes of the result, no cast
assert_type(service_for(web, port=80), Service)
assert_type(job("migrate", "app:1", ["./migrate"], backoff_limit=0), Job)
assert_type(config_map("site", {"index.html": "<h1>hi</h1>"}), ConfigMap)
assert_type(secret("db", {"password": b"s3cret"}), Secret)
assert_type(pod("probe", "busybox", command=["sleep", "60"]), Pod)
assert_type(pykorm.k8s.container("web", "nginx"), Container)

# maybe: typed steps (each step's parameter is the previous value without None)
conditions = pykorm.maybe(web).then(lambda d: d.status).then(lambda s: s.conditions)
assert_type(conditions.get(), list[DeploymentCondition] | None)
assert_type(conditions.get([]), list[DeploymentCondition])
assert_type(pykorm.maybe(web.status).then(lambda s: s.ready_replicas).get(0), int)
assert_type(pykorm.maybe(web.spec.template.spec).then(lambda s: s.containers[0].image).get(""), str)
reason = pykorm.maybe(web.status).then(lambda s: s.conditions).then(lambda c: c[0].reason if c else None).get("")
assert_type(reason, str)
# dig: a path, shorter and untyped
assert_type(pykorm.dig(web, "status.conditions", default=[]), Any)
