"""The benchmark's operator written with kopf (run by ``kopf run --standalone --namespace NS``).

kopf's idiomatic shape: handlers for creation, changes of the spec and resumption, the child
created with the official client and ``kopf.adopt``, the status written through the ``patch``
kopf sends with its own bookkeeping. kopf's k8s Events about handlers are switched off: the other
operators post none. Prints ``ready`` at startup and, when stopped, ``reconciles {key: count}``.
"""

from __future__ import annotations

import collections
import json
import threading
from typing import Any

import kopf
import kubernetes

from benchmarks.operators._mirror import GROUP, PLURAL, VERSION

_counts: collections.Counter[str] = collections.Counter()
_lock = threading.Lock()
_api: kubernetes.client.CoreV1Api | None = None


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    global _api
    settings.posting.enabled = False
    kubernetes.config.load_kube_config()
    _api = kubernetes.client.CoreV1Api()
    print("ready", flush=True)


@kopf.on.cleanup()
def report(**_: Any) -> None:
    with _lock:
        print("reconciles", json.dumps(dict(_counts)), flush=True)


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
def reconcile(body: Any, spec: Any, name: str, namespace: str, meta: Any, patch: Any, **_: Any) -> None:
    with _lock:
        _counts[f"{namespace}/{name}"] += 1
    assert _api is not None
    configmap = {"metadata": {"name": name, "namespace": namespace}, "data": {"message": spec.get("message", "")}}
    kopf.adopt(configmap, owner=body)
    try:
        _api.create_namespaced_config_map(namespace, configmap)
    except kubernetes.client.ApiException as error:
        if error.status != 409:
            raise
        _api.patch_namespaced_config_map(name, namespace, configmap)
    patch.status["configMap"] = name
    patch.status["observedGeneration"] = meta.get("generation")
