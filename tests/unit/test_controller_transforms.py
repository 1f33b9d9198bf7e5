"""Cache transforms, offline: what each keeps of managedFields."""

from __future__ import annotations

import copy

import pytest

from pykorm.controller import slim_managed_fields, strip_managed_fields

pytestmark = pytest.mark.unit

OBJECT = {"metadata": {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "7", "managedFields": [
    {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:data": {}}},
    {"manager": "op", "operation": "Apply", "fieldsV1": {"f:data": {"f:a": {}}}},
    {"manager": "kcm", "operation": "Update", "subresource": "status", "fieldsV1": {}},
]}, "data": {"a": "1"}}


def test_strip_drops_every_entry_and_nothing_else() -> None:
    raw = strip_managed_fields(copy.deepcopy(OBJECT))
    assert raw == {"metadata": {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "7"}, "data": {"a": "1"}}


def test_slim_keeps_the_applies_only() -> None:
    raw = slim_managed_fields(copy.deepcopy(OBJECT))
    assert raw["metadata"]["managedFields"] == [OBJECT["metadata"]["managedFields"][1]]  # type: ignore[index]
    updates_only = copy.deepcopy(OBJECT)
    del updates_only["metadata"]["managedFields"][1]  # type: ignore[attr-defined]
    assert "managedFields" not in slim_managed_fields(updates_only)["metadata"]


@pytest.mark.parametrize("transform", [strip_managed_fields, slim_managed_fields])
def test_objects_without_managed_fields_or_metadata_pass_unchanged(transform: object) -> None:
    for raw in ({"metadata": {"name": "a"}}, {"kind": "X"}, {"metadata": {"name": "a", "managedFields": []}}):
        before = copy.deepcopy(raw)
        after = transform(raw)  # type: ignore[operator]
        assert {k: v for k, v in after.get("metadata", {}).items() if v != []} == \
            {k: v for k, v in before.get("metadata", {}).items() if v != []}
