"""Richer example models: nested objects, lists, enums, defaults, validation, status, scale.

Their CRDs are generated, not written: ``crds/`` holds what
``pykorm crd -o crds examples/quickstart.py examples/models.py`` prints, and a test
checks that it stays in sync.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any, Literal

import pykorm
from pykorm.fields import DataField, DictNestedField, ListField, Spec, Status

GROUP = "examples.pykorm.io"


class Tier(str, enum.Enum):
    """How much of the platform a database gets."""

    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


class Backup(pykorm.Nested):
    """When backups are taken and how long they are kept."""

    schedule: str = DataField("schedule", required=True, pattern=r"^(\S+\s+){4}\S+$", description="A cron schedule.")
    retention_days: int = DataField("retentionDays", default=7, minimum=1, maximum=365)


class Replica(pykorm.Nested):
    """A read replica in another region."""

    region: str = DataField("region", required=True, max_length=32)
    read_only: bool = DataField("readOnly", default=True)


class Condition(pykorm.Nested):
    """One aspect of the object's state, as Kubernetes conditions go."""

    type: str = DataField("type", required=True)
    status: Literal["True", "False", "Unknown"] = DataField("status", required=True)
    reason: str | None = DataField("reason", default=None)
    message: str | None = DataField("message", default=None)
    last_transition_time: datetime.datetime | None = DataField("lastTransitionTime", default=None)


@pykorm.k8s_custom_object(GROUP, "v1", "databases")
class Database(pykorm.NamespacedModel):
    """A managed database: engine, size, backups, replicas; the operator reports its phase."""

    class Meta:
        short_names = ("db",)
        categories = ("pykorm-examples",)
        scale = {"spec_replicas": "instances", "status_replicas": "ready_instances", "label_selector": "selector"}

    engine: Literal["postgres", "mysql"] = Spec("engine", required=True, selectable=True, printer_column=True)
    version: str = Spec("version", required=True, pattern=r"^\d+(\.\d+)*$", printer_column=True)
    tier: Tier = Spec("tier", default=Tier.STANDARD, selectable=True, printer_column=True,
                      description="The service tier.")
    storage_gb: int = Spec("storageGB", default=10, minimum=1, maximum=4096, description="Disk size in GiB.")
    instances: int = Spec("instances", default=1, minimum=0, maximum=9)
    backup: Backup | None = DictNestedField(Backup, "spec.backup", default=None)
    replicas: list[Replica] = ListField(Replica, "spec.replicas", max_items=5)
    parameters: dict[str, str] = Spec("parameters", default_factory=dict, description="Engine settings.")
    extensions: list[str] = Spec("extensions", default_factory=list, max_items=20, pattern=r"^[a-z_]+$")
    phase: Literal["Pending", "Ready", "Failed"] | None = Status("phase", default=None, printer_column=True)
    ready_instances: int | None = Status("readyInstances", default=None)
    selector: str | None = Status("selector", default=None)
    endpoint: str | None = Status("endpoint", default=None)
    conditions: list[Condition] = ListField(Condition, "status.conditions")


class Quota(pykorm.Nested):
    """What a tenant may use."""

    cpu: int = DataField("cpu", default=4, minimum=1)
    memory_gb: int = DataField("memoryGB", default=8, minimum=1)
    databases: int | None = DataField("databases", default=None, minimum=0)


@pykorm.k8s_custom_object(GROUP, "v1", "tenants")
class Tenant(pykorm.ClusterModel):
    """An organisation using the platform (cluster-scoped)."""

    class Meta:
        short_names = ("tn",)

    display_name: str = Spec("displayName", required=True, max_length=63, printer_column="Display Name")
    contact: str = Spec("contact", required=True, pattern=r"^[^@\s]+@[^@\s]+$")
    plan: Literal["free", "team", "enterprise"] = Spec("plan", default="free", selectable=True, printer_column=True)
    quota: Quota | None = DictNestedField(Quota, "spec.quota", default=None)
    settings: dict[str, Any] = Spec("settings", default_factory=dict, description="Free-form settings.")
    suspended: bool = Spec("suspended", default=False, selectable=True)
    joined: datetime.datetime | None = Status("joined", default=None)
