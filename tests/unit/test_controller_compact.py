"""An informer's compact objects, offline: equal to what was decoded, repeated strings one object, the table bounded."""

from __future__ import annotations

import json

import pytest

from pykorm.controller import _compact
from pykorm.controller._compact import Strings

pytestmark = pytest.mark.unit


def decoded(i: int) -> dict[str, object]:
    text = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": f"cm-{i}", "namespace": "shop", "labels": {"tier": "gold"}, "uid": f"uid-{i}",
        "managedFields": [{"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:data": {"f:a": {}}}}]},
        "data": {"a": "x" * 100, "b": None, "n": [1, 2.5, True, "on", [{"deep": "on"}]]}})
    loaded: dict[str, object] = json.loads(text)  # each object decoded alone, as watch events are
    return loaded


def test_shared_objects_equal_the_decoded_ones_and_share_repeated_strings() -> None:
    strings = Strings()
    first, second = strings.share(decoded(1)), strings.share(decoded(2))
    assert first == decoded(1) and second == decoded(2)
    assert type(first["metadata"]) is dict and type(first["data"]["n"]) is list  # type: ignore[index]
    assert first["metadata"]["namespace"] is second["metadata"]["namespace"]  # type: ignore[index]
    assert first["data"]["n"][4][0]["deep"] is second["data"]["n"][3]  # type: ignore[index]  # values in lists too
    assert next(iter(first["metadata"]["managedFields"][0])) is next(iter(second["metadata"]["managedFields"][0]))  # type: ignore[index]
    assert first["data"]["a"] is not second["data"]["a"]  # type: ignore[index]  # long values are not kept in the table


def test_the_table_starts_again_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_compact, "LIMIT", 50)
    strings = Strings()
    for i in range(20):
        strings.share(decoded(i))
    assert len(strings._seen) <= 50 + 30  # one object's strings past the limit at most
    assert strings.share(decoded(99)) == decoded(99)
