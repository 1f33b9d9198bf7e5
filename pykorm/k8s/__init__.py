"""Models of Kubernetes' built-in kinds, generated from the pinned API server's OpenAPI v3: every kind
it serves, in a module per group version (``apps_v1``...), loaded when a name of it is first used.

    >>> from pykorm.k8s import Deployment, Pod
    >>> Pod.query.filter(status__phase="Running")

Regenerate with ``python -m pykorm codegen k8s`` (see pykorm._tools.k8s_codegen).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import (
        admissionregistration_v1,
        apiextensions_v1,
        apiregistration_v1,
        apps_v1,
        authentication_v1,
        authorization_v1,
        autoscaling_v1,
        autoscaling_v2,
        batch_v1,
        certificates_v1,
        coordination_v1,
        core_v1,
        discovery_v1,
        events_v1,
        flowcontrol_v1,
        meta_v1,
        networking_v1,
        node_v1,
        policy_v1,
        rbac_v1,
        resource_v1,
        scheduling_v1,
        scheduling_v1alpha3,
        storage_v1,
        storagemigration_v1,
    )
    from .admissionregistration_v1 import (
        MutatingAdmissionPolicy,
        MutatingAdmissionPolicyBinding,
        MutatingWebhookConfiguration,
        ValidatingAdmissionPolicy,
        ValidatingAdmissionPolicyBinding,
        ValidatingWebhookConfiguration,
    )
    from .apiextensions_v1 import CustomResourceDefinition
    from .apiregistration_v1 import APIService
    from .apps_v1 import ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet
    from .authentication_v1 import SelfSubjectReview, TokenReview
    from .authorization_v1 import (
        LocalSubjectAccessReview,
        SelfSubjectAccessReview,
        SelfSubjectRulesReview,
        SubjectAccessReview,
    )
    from .autoscaling_v2 import HorizontalPodAutoscaler
    from .batch_v1 import CronJob, Job
    from .certificates_v1 import CertificateSigningRequest, ClusterTrustBundle, PodCertificateRequest
    from .coordination_v1 import Lease
    from .core_v1 import (
        Binding,
        ComponentStatus,
        ConfigMap,
        Endpoints,
        Event,
        LimitRange,
        Namespace,
        Node,
        PersistentVolume,
        PersistentVolumeClaim,
        Pod,
        PodTemplate,
        ReplicationController,
        ResourceQuota,
        Secret,
        Service,
        ServiceAccount,
    )
    from .discovery_v1 import EndpointSlice
    from .flowcontrol_v1 import FlowSchema, PriorityLevelConfiguration
    from .networking_v1 import IPAddress, Ingress, IngressClass, NetworkPolicy, ServiceCIDR
    from .node_v1 import RuntimeClass
    from .policy_v1 import PodDisruptionBudget
    from .rbac_v1 import ClusterRole, ClusterRoleBinding, Role, RoleBinding
    from .resource_v1 import DeviceClass, DeviceTaintRule, ResourceClaim, ResourceClaimTemplate, ResourceSlice
    from .scheduling_v1 import PriorityClass
    from .storage_v1 import (
        CSIDriver,
        CSINode,
        CSIStorageCapacity,
        StorageClass,
        VolumeAttachment,
        VolumeAttributesClass,
    )
    from .storagemigration_v1 import StorageVersionMigration

from . import _build
from ._build import *  # noqa: F403 - builders of common objects (hand-written)

MODULES: tuple[str, ...] = (
    "admissionregistration_v1",
    "apiextensions_v1",
    "apiregistration_v1",
    "apps_v1",
    "authentication_v1",
    "authorization_v1",
    "autoscaling_v1",
    "autoscaling_v2",
    "batch_v1",
    "certificates_v1",
    "coordination_v1",
    "core_v1",
    "discovery_v1",
    "events_v1",
    "flowcontrol_v1",
    "meta_v1",
    "networking_v1",
    "node_v1",
    "policy_v1",
    "rbac_v1",
    "resource_v1",
    "scheduling_v1",
    "scheduling_v1alpha3",
    "storage_v1",
    "storagemigration_v1",
)
"""The group-version modules."""

NAMES: dict[str, str] = {
    "APIService": "apiregistration_v1",
    "Binding": "core_v1",
    "CSIDriver": "storage_v1",
    "CSINode": "storage_v1",
    "CSIStorageCapacity": "storage_v1",
    "CertificateSigningRequest": "certificates_v1",
    "ClusterRole": "rbac_v1",
    "ClusterRoleBinding": "rbac_v1",
    "ClusterTrustBundle": "certificates_v1",
    "ComponentStatus": "core_v1",
    "ConfigMap": "core_v1",
    "ControllerRevision": "apps_v1",
    "CronJob": "batch_v1",
    "CustomResourceDefinition": "apiextensions_v1",
    "DaemonSet": "apps_v1",
    "Deployment": "apps_v1",
    "DeviceClass": "resource_v1",
    "DeviceTaintRule": "resource_v1",
    "EndpointSlice": "discovery_v1",
    "Endpoints": "core_v1",
    "Event": "core_v1",
    "FlowSchema": "flowcontrol_v1",
    "HorizontalPodAutoscaler": "autoscaling_v2",
    "IPAddress": "networking_v1",
    "Ingress": "networking_v1",
    "IngressClass": "networking_v1",
    "Job": "batch_v1",
    "Lease": "coordination_v1",
    "LimitRange": "core_v1",
    "LocalSubjectAccessReview": "authorization_v1",
    "MutatingAdmissionPolicy": "admissionregistration_v1",
    "MutatingAdmissionPolicyBinding": "admissionregistration_v1",
    "MutatingWebhookConfiguration": "admissionregistration_v1",
    "Namespace": "core_v1",
    "NetworkPolicy": "networking_v1",
    "Node": "core_v1",
    "PersistentVolume": "core_v1",
    "PersistentVolumeClaim": "core_v1",
    "Pod": "core_v1",
    "PodCertificateRequest": "certificates_v1",
    "PodDisruptionBudget": "policy_v1",
    "PodTemplate": "core_v1",
    "PriorityClass": "scheduling_v1",
    "PriorityLevelConfiguration": "flowcontrol_v1",
    "ReplicaSet": "apps_v1",
    "ReplicationController": "core_v1",
    "ResourceClaim": "resource_v1",
    "ResourceClaimTemplate": "resource_v1",
    "ResourceQuota": "core_v1",
    "ResourceSlice": "resource_v1",
    "Role": "rbac_v1",
    "RoleBinding": "rbac_v1",
    "RuntimeClass": "node_v1",
    "Secret": "core_v1",
    "SelfSubjectAccessReview": "authorization_v1",
    "SelfSubjectReview": "authentication_v1",
    "SelfSubjectRulesReview": "authorization_v1",
    "Service": "core_v1",
    "ServiceAccount": "core_v1",
    "ServiceCIDR": "networking_v1",
    "StatefulSet": "apps_v1",
    "StorageClass": "storage_v1",
    "StorageVersionMigration": "storagemigration_v1",
    "SubjectAccessReview": "authorization_v1",
    "TokenReview": "authentication_v1",
    "ValidatingAdmissionPolicy": "admissionregistration_v1",
    "ValidatingAdmissionPolicyBinding": "admissionregistration_v1",
    "ValidatingWebhookConfiguration": "admissionregistration_v1",
    "VolumeAttachment": "storage_v1",
    "VolumeAttributesClass": "storage_v1",
}
"""Each kind's top-level name → its module (two kinds of one name: the core group's, else the preferred version's)."""

MODELS: dict[tuple[str, str], tuple[str, str]] = {
    ("v1", "Binding"): ("core_v1", "Binding"),
    ("v1", "ComponentStatus"): ("core_v1", "ComponentStatus"),
    ("v1", "ConfigMap"): ("core_v1", "ConfigMap"),
    ("v1", "Endpoints"): ("core_v1", "Endpoints"),
    ("v1", "Event"): ("core_v1", "Event"),
    ("v1", "LimitRange"): ("core_v1", "LimitRange"),
    ("v1", "Namespace"): ("core_v1", "Namespace"),
    ("v1", "Node"): ("core_v1", "Node"),
    ("v1", "PersistentVolumeClaim"): ("core_v1", "PersistentVolumeClaim"),
    ("v1", "PersistentVolume"): ("core_v1", "PersistentVolume"),
    ("v1", "Pod"): ("core_v1", "Pod"),
    ("v1", "PodTemplate"): ("core_v1", "PodTemplate"),
    ("v1", "ReplicationController"): ("core_v1", "ReplicationController"),
    ("v1", "ResourceQuota"): ("core_v1", "ResourceQuota"),
    ("v1", "Secret"): ("core_v1", "Secret"),
    ("v1", "ServiceAccount"): ("core_v1", "ServiceAccount"),
    ("v1", "Service"): ("core_v1", "Service"),
    ("apiregistration.k8s.io/v1", "APIService"): ("apiregistration_v1", "APIService"),
    ("apps/v1", "ControllerRevision"): ("apps_v1", "ControllerRevision"),
    ("apps/v1", "DaemonSet"): ("apps_v1", "DaemonSet"),
    ("apps/v1", "Deployment"): ("apps_v1", "Deployment"),
    ("apps/v1", "ReplicaSet"): ("apps_v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"): ("apps_v1", "StatefulSet"),
    ("events.k8s.io/v1", "Event"): ("events_v1", "Event"),
    ("authentication.k8s.io/v1", "SelfSubjectReview"): ("authentication_v1", "SelfSubjectReview"),
    ("authentication.k8s.io/v1", "TokenReview"): ("authentication_v1", "TokenReview"),
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"): ("authorization_v1", "LocalSubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): ("authorization_v1", "SelfSubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): ("authorization_v1", "SelfSubjectRulesReview"),
    ("authorization.k8s.io/v1", "SubjectAccessReview"): ("authorization_v1", "SubjectAccessReview"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): ("autoscaling_v2", "HorizontalPodAutoscaler"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"): ("autoscaling_v1", "HorizontalPodAutoscaler"),
    ("batch/v1", "CronJob"): ("batch_v1", "CronJob"),
    ("batch/v1", "Job"): ("batch_v1", "Job"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"): ("certificates_v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1", "ClusterTrustBundle"): ("certificates_v1", "ClusterTrustBundle"),
    ("certificates.k8s.io/v1", "PodCertificateRequest"): ("certificates_v1", "PodCertificateRequest"),
    ("networking.k8s.io/v1", "IngressClass"): ("networking_v1", "IngressClass"),
    ("networking.k8s.io/v1", "Ingress"): ("networking_v1", "Ingress"),
    ("networking.k8s.io/v1", "IPAddress"): ("networking_v1", "IPAddress"),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networking_v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "ServiceCIDR"): ("networking_v1", "ServiceCIDR"),
    ("policy/v1", "PodDisruptionBudget"): ("policy_v1", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("rbac_v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("rbac_v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rbac_v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"): ("rbac_v1", "Role"),
    ("storage.k8s.io/v1", "CSIDriver"): ("storage_v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"): ("storage_v1", "CSINode"),
    ("storage.k8s.io/v1", "CSIStorageCapacity"): ("storage_v1", "CSIStorageCapacity"),
    ("storage.k8s.io/v1", "StorageClass"): ("storage_v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"): ("storage_v1", "VolumeAttachment"),
    ("storage.k8s.io/v1", "VolumeAttributesClass"): ("storage_v1", "VolumeAttributesClass"),
    ("admissionregistration.k8s.io/v1", "MutatingAdmissionPolicy"): ("admissionregistration_v1", "MutatingAdmissionPolicy"),
    ("admissionregistration.k8s.io/v1", "MutatingAdmissionPolicyBinding"): ("admissionregistration_v1", "MutatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"): ("admissionregistration_v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"): ("admissionregistration_v1", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"): ("admissionregistration_v1", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"): ("admissionregistration_v1", "ValidatingWebhookConfiguration"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("apiextensions_v1", "CustomResourceDefinition"),
    ("scheduling.k8s.io/v1", "PriorityClass"): ("scheduling_v1", "PriorityClass"),
    ("coordination.k8s.io/v1", "Lease"): ("coordination_v1", "Lease"),
    ("node.k8s.io/v1", "RuntimeClass"): ("node_v1", "RuntimeClass"),
    ("discovery.k8s.io/v1", "EndpointSlice"): ("discovery_v1", "EndpointSlice"),
    ("resource.k8s.io/v1", "DeviceClass"): ("resource_v1", "DeviceClass"),
    ("resource.k8s.io/v1", "DeviceTaintRule"): ("resource_v1", "DeviceTaintRule"),
    ("resource.k8s.io/v1", "ResourceClaim"): ("resource_v1", "ResourceClaim"),
    ("resource.k8s.io/v1", "ResourceClaimTemplate"): ("resource_v1", "ResourceClaimTemplate"),
    ("resource.k8s.io/v1", "ResourceSlice"): ("resource_v1", "ResourceSlice"),
    ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"): ("flowcontrol_v1", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration"): ("flowcontrol_v1", "PriorityLevelConfiguration"),
    ("storagemigration.k8s.io/v1", "StorageVersionMigration"): ("storagemigration_v1", "StorageVersionMigration"),
}
"""(apiVersion, kind) of every kind the server serves → (module, class name)."""

__all__ = [
    "APIService",
    "Binding",
    "CSIDriver",
    "CSINode",
    "CSIStorageCapacity",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterTrustBundle",
    "ComponentStatus",
    "ConfigMap",
    "ControllerRevision",
    "CronJob",
    "CustomResourceDefinition",
    "DaemonSet",
    "Deployment",
    "DeviceClass",
    "DeviceTaintRule",
    "EndpointSlice",
    "Endpoints",
    "Event",
    "FlowSchema",
    "HorizontalPodAutoscaler",
    "IPAddress",
    "Ingress",
    "IngressClass",
    "Job",
    "Lease",
    "LimitRange",
    "LocalSubjectAccessReview",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Pod",
    "PodCertificateRequest",
    "PodDisruptionBudget",
    "PodTemplate",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "ReplicaSet",
    "ReplicationController",
    "ResourceClaim",
    "ResourceClaimTemplate",
    "ResourceQuota",
    "ResourceSlice",
    "Role",
    "RoleBinding",
    "RuntimeClass",
    "Secret",
    "SelfSubjectAccessReview",
    "SelfSubjectReview",
    "SelfSubjectRulesReview",
    "Service",
    "ServiceAccount",
    "ServiceCIDR",
    "StatefulSet",
    "StorageClass",
    "StorageVersionMigration",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeAttributesClass",
    "admissionregistration_v1",
    "apiextensions_v1",
    "apiregistration_v1",
    "apps_v1",
    "authentication_v1",
    "authorization_v1",
    "autoscaling_v1",
    "autoscaling_v2",
    "batch_v1",
    "certificates_v1",
    "coordination_v1",
    "core_v1",
    "discovery_v1",
    "events_v1",
    "flowcontrol_v1",
    "meta_v1",
    "model_of",
    "networking_v1",
    "node_v1",
    "policy_v1",
    "rbac_v1",
    "resource_v1",
    "scheduling_v1",
    "scheduling_v1alpha3",
    "storage_v1",
    "storagemigration_v1",
]
__all__ += _build.__all__


def model_of(api_version: str, kind: str) -> Any:
    """The model of ``api_version``/``kind`` (its module imported now), or None when no built-in kind is that."""
    found = MODELS.get((api_version, kind))
    return None if found is None else getattr(importlib.import_module(f"{__name__}.{found[0]}"), found[1])


if not TYPE_CHECKING:  # type checkers read the imports above: a misspelt name stays an error

    def __getattr__(name: str) -> Any:
        if name in MODULES:
            return importlib.import_module(f"{__name__}.{name}")
        if name not in NAMES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{NAMES[name]}"), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
