"""A `Database` custom resource in two versions, with admission rules and conversion: pykorm.webhooks.

v1 (`spec.size`: small or large) came first; v2 says how many instances and may name a backup
schedule, which v1 cannot hold. v2 is the hub and the storage version: objects written as v1 are
converted to v2 by the webhook, and read back as v1 through it. Nothing is lost: a v2 object read
and written as v1 keeps its exact instance count and its backup schedule (kept in an annotation).

Admission, on v2 (a v1 write is converted first, so the rules hold for both):
- at most 10 instances; the engine cannot change once set (the old object on updates);
- a missing engine defaults to postgres; more than 5 instances pass with a warning;
- a Database labelled `protected=true` cannot be deleted.

Run it (in the cluster, behind the Service `databases-webhooks` in `databases`):

    pykorm crd --webhooks examples/webhooks/databases.py:webhooks -o crds examples/webhooks/databases.py
    pykorm webhook manifests examples/webhooks/databases.py:webhooks --ca-file ca.crt | pykorm apply -f -
    pykorm webhook serve examples/webhooks/databases.py:webhooks --certfile tls.crt --keyfile tls.key

Tested by tests/test_webhooks.py against the local control plane (the `k8s_webhooks` fixture).
"""

from __future__ import annotations

from typing import Literal

import pykorm
from pykorm.webhooks import AdmissionRequest, Denied, Webhooks

GROUP = "webhooks.example.pykorm.io"


@pykorm.k8s_custom_object(GROUP, "v1", "databases", kind="Database")
class DatabaseV1(pykorm.NamespacedModel):
    """A managed database (v1)."""

    class Meta:
        short_names = ("db",)

    engine: str | None = pykorm.Spec("engine", default=None)
    size: Literal["small", "large"] = pykorm.Spec("size", default="small")


@pykorm.k8s_custom_object(GROUP, "v2", "databases", kind="Database")
class Database(pykorm.NamespacedModel):
    """A managed database (v2: the hub and the storage version)."""

    class Meta:
        short_names = ("db",)
        storage = True

    engine: str | None = pykorm.Spec("engine", default=None)
    instances: int = pykorm.Spec("instances", default=1, minimum=0)
    backup: str | None = pykorm.Spec("backup", default=None, description="a cron schedule; v1 has none")


webhooks = Webhooks("databases-webhooks", namespace="databases")


@webhooks.validate(Database)
def check(db: Database, old: Database | None, request: AdmissionRequest[Database]) -> dict[str, str]:
    """Refuse more than 10 instances and a change of engine; warn above 5 instances."""
    reasons = {}
    if db.instances > 10:
        reasons["spec.instances"] = f"at most 10 instances, not {db.instances}"
    elif db.instances > 5:
        request.warn(f"{db.instances} instances: more than 5 costs extra")
    if old is not None and old.engine and db.engine != old.engine:
        reasons["spec.engine"] = f"the engine cannot change once set (it is {old.engine})"
    return reasons


@webhooks.validate(Database, operations=["DELETE"])
def keep_protected(db: Database) -> None:
    """A protected Database stays."""
    if db.labels.get("protected") == "true":
        raise Denied(f"{db.name} is protected: remove its label protected=true first", code=403)


@webhooks.default(Database)
def defaults(db: Database) -> None:
    """No engine named: postgres."""
    if not db.engine:
        db.engine = "postgres"


@webhooks.convert(DatabaseV1, Database)
def v1_to_v2(src: DatabaseV1, dst: Database) -> None:
    dst.engine = src.engine
    dst.instances = 3 if src.size == "large" else 1


@webhooks.convert(Database, DatabaseV1)
def v2_to_v1(src: Database, dst: DatabaseV1) -> None:
    dst.engine = src.engine
    dst.size = "large" if src.instances > 1 else "small"
