"""The ``Task`` custom resource: the app's only storage. Its CRD is generated from this class.

    pykorm crd examples/tasks_app/models.py              # the CRD the app installs at start-up
    pykorm rbac examples/tasks_app/models.py --name tasks-app --namespace tasks   # its RBAC (in deploy.yaml)
"""

from __future__ import annotations

import datetime

import pykorm
from pykorm.fields import DataField, DictNestedField, ListField, MetadataLabel, Spec

PROJECT_LABEL = "tasks.examples.pykorm.io/project"


class Person(pykorm.Nested):
    """Who a task is assigned to."""

    name: str = DataField("name", required=True, max_length=100)
    email: str | None = DataField("email", default=None, pattern=r"^[^@\s]+@[^@\s]+$")


class ChecklistItem(pykorm.Nested):
    """One step of a task."""

    text: str = DataField("text", required=True, max_length=200)
    done: bool = DataField("done", default=False)


@pykorm.k8s_custom_object("examples.pykorm.io", "v1", "tasks")
class Task(pykorm.NamespacedModel):
    """A to-do item."""

    class Meta:
        short_names = ("tk",)

    title: str = Spec("title", required=True, max_length=200, printer_column=True)
    # selectable: `done` and `priority` filters go to the server as field selectors (Kubernetes >= 1.31)
    done: bool = Spec("done", default=False, selectable=True, printer_column=True)
    priority: int = Spec("priority", default=3, minimum=1, maximum=5, selectable=True, printer_column=True)
    tags: list[str] = Spec("tags", default_factory=list, max_items=32)
    due: datetime.datetime | None = Spec("due", default=None)
    assignee: Person | None = DictNestedField(Person, "spec.assignee", default=None)
    checklist: list[ChecklistItem] = ListField(ChecklistItem, "spec.checklist", max_items=100)
    # a label: a `project` filter goes to the server as a label selector
    project: str | None = MetadataLabel(PROJECT_LABEL, default=None, max_length=63)
