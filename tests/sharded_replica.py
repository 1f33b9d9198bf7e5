"""One replica of a sharded operator, for tests/test_controller_sharding.py (run as a process of its own).

    python -m tests.sharded_replica KUBECONFIG NAMESPACE IDENTITY LOG

Reconciles the labelled ConfigMaps of NAMESPACE: copies ``data.round`` into the annotation
``seen-round`` and names itself in ``shard-owner``; appends ``key identity start end`` to LOG
after each reconcile that wrote.
"""

from __future__ import annotations

import sys
import time

import pykorm
from pykorm.controller import Manager, Request, Sharding
from pykorm.k8s.core_v1 import ConfigMap

LABELS = {"pykorm.io/test": "sharding"}
SHARDING = {"shards": 4, "lease_duration": 4.0, "renew_deadline": 3.0, "retry_period": 1.0}


def main(kubeconfig: str, namespace: str, identity: str, log: str) -> None:
    pk = pykorm.Pykorm(kubeconfig=kubeconfig, make_default=False, field_manager=f"replica-{identity}")
    manager = Manager(pk, namespace=namespace, sharding=Sharding("sharded-test", namespace, identity=identity, **SHARDING))

    @manager.reconciler(ConfigMap, selector=LABELS, workers=2)
    def reconcile(request: Request[ConfigMap]) -> None:
        started = time.time()
        configmap = request.get()
        if configmap is None:
            return
        wanted = {"seen-round": (configmap.data or {}).get("round", "0"), "shard-owner": identity}
        if all((configmap.annotations or {}).get(k) == v for k, v in wanted.items()):
            return
        time.sleep(0.05)
        configmap.annotations = {**(configmap.annotations or {}), **wanted}
        pk.save(configmap)
        with open(log, "a") as out:
            out.write(f"{request.key} {identity} {started} {time.time()}\n")

    print("ready", flush=True)
    manager.run()


if __name__ == "__main__":
    main(*sys.argv[1:5])
