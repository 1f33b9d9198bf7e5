"""The benchmark's operator written with pykorm.controller (``python -m benchmarks.operators.pykorm_operator``).

    KUBECONFIG=... python -m benchmarks.operators.pykorm_operator --namespace NS --workers 2

Prints ``ready`` once its caches have synced and, on SIGTERM, ``reconciles {key: count}``.
"""

from __future__ import annotations

import argparse
import json
import threading

import pykorm
from pykorm.controller import Manager, Request, update_status
from pykorm.k8s.core_v1 import ConfigMap

from ._mirror import Mirror


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    pk = pykorm.Pykorm(field_manager="mirror-operator")
    manager = Manager(pk, namespace=args.namespace)
    configmaps = manager.cache(ConfigMap)

    @manager.reconciler(Mirror, owns=[ConfigMap], workers=args.workers)
    def reconcile(request: Request[Mirror]) -> None:
        mirror = request.get()
        if mirror is None:
            return  # deleted: the garbage collector takes its ConfigMap
        configmap = configmaps.get(mirror.name, mirror.namespace)
        if configmap is None:
            configmap = ConfigMap(namespace=mirror.namespace, name=mirror.name, data={"message": mirror.message})
            pk.adopt(configmap, mirror)
            try:
                pk.save(configmap)
            except pykorm.AlreadyExists:
                pass  # created a moment ago: its event comes
        else:
            configmap.data = {"message": mirror.message}
            pk.adopt(configmap, mirror)  # saves what differs; nothing: no request
        update_status(mirror, lambda m: setattr(m, "config_map", m.name), observed_generation=mirror.generation)

    def ready() -> None:
        if manager.synced(timeout=120):
            print("ready", flush=True)

    threading.Thread(target=ready, daemon=True).start()
    manager.run()  # until SIGTERM
    counts = {key: n for controller in manager.controllers for key, n in controller.reconciles.items()}
    print("reconciles", json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
