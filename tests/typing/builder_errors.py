"""Must FAIL mypy (tests/test_typing.py asserts each error): builders' and maybe's wrong uses are caught statically.
(A command given as one str is a Sequence[str] to a checker: the builders refuse it at run time.)"""

from __future__ import annotations

import pykorm
from pykorm.k8s import config_map, deployment, service_for

web = deployment("web", "nginx", replicas="2")  # E: replicas is an int
deployment("web", "nginx", ports=8080)  # E: ports is a dict or a list
service_for(config_map("c", {}), port=80)  # E: a Service fronts a workload
config_map("c", {"a": 1})  # E: data values are str
pykorm.maybe(web).then(lambda d: d.status).then(lambda s: s.ready_replica)  # E: misspelt attribute
web.spec.template.spec.containers  # E: spec may be None: maybe(), or narrow
pykorm.k8s.Deploymnt  # E: no such kind
