"""Models of Kubernetes' built-in kinds, generated from the pinned API server's OpenAPI v3.

    >>> from pykorm.k8s import Deployment, Pod
    >>> Pod.query.filter(status__phase="Running")

Regenerate with ``python -m pykorm codegen k8s`` (see pykorm._tools.k8s_codegen).
"""

from __future__ import annotations

from . import (
    apps_v1,
    autoscaling_v2,
    batch_v1,
    coordination_v1,
    core_v1,
    events_v1,
    meta_v1,
    networking_v1,
    policy_v1,
    rbac_v1,
    scheduling_v1alpha3,
)
from .apps_v1 import DaemonSet, Deployment, ReplicaSet, StatefulSet
from .autoscaling_v2 import HorizontalPodAutoscaler
from .batch_v1 import CronJob, Job
from .coordination_v1 import Lease
from .core_v1 import (
    ConfigMap,
    Endpoints,
    Event,
    Namespace,
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
    Secret,
    Service,
    ServiceAccount,
)
from .networking_v1 import Ingress, NetworkPolicy
from .policy_v1 import PodDisruptionBudget
from .rbac_v1 import ClusterRole, ClusterRoleBinding, Role, RoleBinding

__all__ = [
    "ClusterRole",
    "ClusterRoleBinding",
    "ConfigMap",
    "CronJob",
    "DaemonSet",
    "Deployment",
    "Endpoints",
    "Event",
    "HorizontalPodAutoscaler",
    "Ingress",
    "Job",
    "Lease",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Pod",
    "PodDisruptionBudget",
    "ReplicaSet",
    "Role",
    "RoleBinding",
    "Secret",
    "Service",
    "ServiceAccount",
    "StatefulSet",
    "apps_v1",
    "autoscaling_v2",
    "batch_v1",
    "coordination_v1",
    "core_v1",
    "events_v1",
    "meta_v1",
    "networking_v1",
    "policy_v1",
    "rbac_v1",
    "scheduling_v1alpha3",
]
