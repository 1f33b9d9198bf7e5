"""The benchmark's custom resource: a ``Mirror`` whose operator writes a ConfigMap and a status.

Each ``Mirror`` (``operators.bench.pykorm.io/v1``) gets a ConfigMap of the same name, owned by it
(``ownerReferences`` controller), holding ``data.message = spec.message``; the operator then
writes ``status.configMap`` (the ConfigMap's name) and ``status.observedGeneration``. Converged:
``status.observedGeneration == metadata.generation`` and the ConfigMap there.
"""

from __future__ import annotations

from typing import Any, Optional

import pykorm

GROUP, VERSION, KIND, PLURAL = "operators.bench.pykorm.io", "v1", "Mirror", "mirrors"


@pykorm.k8s_custom_object(GROUP, VERSION, PLURAL, kind=KIND)
class Mirror(pykorm.NamespacedModel):
    """What the operators reconcile."""

    message: str = pykorm.Spec("message", default="")
    config_map: Optional[str] = pykorm.Status("configMap", default=None)
    observed_generation: Optional[int] = pykorm.Status("observedGeneration", default=None)


def mirror_body(i: int, namespace: str) -> dict[str, Any]:
    """Mirror number ``i`` (about 300 bytes of JSON once the server adds its metadata)."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
        "metadata": {"name": f"mirror-{i:05d}", "namespace": namespace, "labels": {"app.kubernetes.io/name": "mirror"}},
        "spec": {"message": f"hello from mirror {i}"},
    }


def converged(raw: dict[str, Any]) -> bool:
    """True when the operator has observed ``raw``'s generation (its ConfigMap is written before its status)."""
    status = raw.get("status") or {}
    metadata = raw.get("metadata") or {}
    return status.get("observedGeneration") == metadata.get("generation") and status.get("configMap") == metadata.get("name")
