"""examples/aio_notes: the FastAPI app over a custom resource, driven through its ASGI interface (TestClient runs its lifespan)."""

from __future__ import annotations

import pytest

from pykorm.testing import Cluster

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from examples.aio_notes.app import app  # noqa: E402


def test_the_notes_app_creates_lists_pages_changes_and_deletes(
    k8s_cluster: Cluster, k8s_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(k8s_cluster.kubeconfig))
    monkeypatch.setenv("NOTES_NAMESPACE", k8s_namespace)
    with TestClient(app) as client:
        for i, tags in enumerate((["work"], ["home"], ["work", "urgent"])):
            made = client.post("/notes", json={"name": f"n{i}", "title": f"note {i}", "tags": tags})
            assert made.status_code == 201, made.text
            assert made.json()["version"]
        assert client.post("/notes", json={"name": "n0", "title": "again"}).status_code == 409
        assert client.post("/notes", json={"name": "Bad_Name", "title": "x"}).status_code == 422
        work = client.get("/notes", params={"tag": "work"}).json()
        assert [n["name"] for n in work["notes"]] == ["n0", "n2"] and work["next"] is None
        first = client.get("/notes", params={"limit": 2}).json()
        second = client.get("/notes", params={"limit": 2, "token": first["next"]}).json()
        assert [n["name"] for n in first["notes"] + second["notes"]] == ["n0", "n1", "n2"]
        assert second["next"] is None
        assert client.get("/notes/n1").json()["title"] == "note 1"
        assert client.get("/notes/missing").status_code == 404
        assert client.get("/notes/a%2Fb").status_code in (404, 422)  # never sent on as a path
        changed = client.patch("/notes/n1", json={"text": "milk", "tags": ["home", "shop"]}).json()
        assert (changed["text"], changed["tags"], changed["title"]) == ("milk", ["home", "shop"], "note 1")
        assert client.delete("/notes/n1").status_code == 204
        assert client.delete("/notes/n1").status_code == 404
        assert client.get("/notes/n1").status_code == 404
