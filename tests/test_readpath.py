"""Reading a field never copies the object; changes made in place to what was read are saved.

Against the real API server: the object on the server ends up as the user changed it, and a
field someone else wrote meanwhile is never overwritten. (No ``from __future__ import
annotations`` here: the model declared inside a test resolves its annotations at once.)
"""

import copy
import datetime
import gc
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest

import pykorm
from pykorm import fields
from pykorm._base.patch import merge_patch
from pykorm._data.tracking import TrackedDict, TrackedList, json_copy
from pykorm.testing import Cluster

GROUP = "readpath.pykorm.io"


class Inner(pykorm.Nested):
    depth: int = fields.DataField("depth", default=None)
    flags: list[str] = fields.DataField("flags", default_factory=list)


class Placement(pykorm.Nested):
    region: str = fields.DataField("region")
    rack: int = fields.DataField("rack", default=0)
    extra: dict[str, str] = fields.DataField("extra", default_factory=dict)
    inner: Optional[Inner] = fields.DictNestedField(Inner, path="inner", default=None)


class Port(pykorm.Nested):
    name: str = fields.DataField("name")
    port: int = fields.DataField("port")
    aliases: list[str] = fields.DataField("aliases", default_factory=list)


@pykorm.k8s_custom_object(GROUP, "v1", "gadgets")
class Gadget(pykorm.NamespacedModel):
    owner: str = pykorm.Spec("owner")
    since: Optional[datetime.datetime] = pykorm.Spec("since", default=None)
    tags: list[str] = pykorm.Spec("tags", default_factory=list)
    data: dict[str, list[str]] = pykorm.Spec("data", default_factory=dict)
    settings: dict[str, Any] = pykorm.Spec("settings", default_factory=dict)
    placement: Optional[Placement] = fields.DictNestedField(Placement, path="spec.placement", default=None)
    ports: list[Port] = fields.ListField(Port, path="spec.ports")


def gadget_spec() -> dict[str, Any]:
    return {
        "owner": "storage@example.com",
        "since": "2025-01-02T03:04:05Z",
        "tags": ["b", "a", "c"],
        "data": {"x": ["1"], "y": ["2", "3"]},
        "settings": {"limits": {"cpu": "1"}, "paths": [{"p": "/a"}]},
        "placement": {"region": "eu", "rack": 4, "extra": {"k": "v"}, "inner": {"depth": 1, "flags": ["f"]}},
        "ports": [{"name": "http", "port": 80, "aliases": ["web"]}, {"name": "dns", "port": 53}],
    }


@pytest.fixture(scope="module")
def gadgets_installed(k8s_cluster: Cluster) -> None:
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    session.install_crds(Gadget)
    session.close()


@pytest.fixture
def stored(pk: pykorm.Pykorm, gadgets_installed: None, k8s_namespace: str) -> Iterator[Gadget]:
    """A gadget as the server stores it, freshly read."""
    gadget = Gadget(namespace=k8s_namespace, name="g", owner="x")
    gadget._raw["metadata"]["labels"] = {"app": "gadget"}
    gadget._raw["metadata"]["annotations"] = {"note": "n"}
    gadget._raw["spec"] = gadget_spec()
    pk.save(gadget)
    yield pk.get(Gadget, "g", k8s_namespace)


def server_json(k8s_cluster: Cluster, namespace: str, name: str = "g") -> dict[str, Any]:
    raw: dict[str, Any] = k8s_cluster.transport().request("GET", f"/apis/{GROUP}/v1/namespaces/{namespace}/gadgets/{name}")
    return raw


def user_part(raw: dict[str, Any]) -> dict[str, Any]:
    """What a user changes: spec, labels and annotations."""
    meta = raw["metadata"]
    return {"spec": raw.get("spec"), "labels": meta.get("labels"), "annotations": meta.get("annotations")}


# -- reading copies nothing -----------------------------------------------------------------------

READS: dict[str, Callable[[Gadget], Any]] = {
    "scalar": lambda g: g.owner,
    "datetime": lambda g: g.since,
    "name": lambda g: g.name,
    "nested": lambda g: g.placement.rack,
    "nested in nested": lambda g: g.placement.inner.depth,
    "list of nested": lambda g: g.ports[1].port,
    "iterate list of nested": lambda g: [p.name for p in g.ports],
    "dict": lambda g: g.labels["app"],
    "annotations": lambda g: dict(g.annotations),
    "list": lambda g: list(g.tags),
    "dict of lists": lambda g: [v[0] for v in g.data.values()],
    "free-form dict": lambda g: g.settings["paths"][0]["p"],
    "container in nested": lambda g: g.placement.extra.get("k"),
    "container in nested in nested": lambda g: g.placement.inner.flags[0],
    "container in list item": lambda g: g.ports[0].aliases[0],
    "json.dumps of all": lambda g: json.dumps(g._raw),
}


@pytest.mark.parametrize("what", READS)
def test_reading_a_field_copies_nothing(stored: Gadget, what: str) -> None:
    raw = stored._raw
    before = json.dumps(raw, sort_keys=True)
    for _ in range(2):
        READS[what](stored)
    assert stored._raw is raw
    assert stored.original is None  # no snapshot until a write
    assert json.dumps(raw, sort_keys=True) == before  # nothing changed either
    assert stored.__dict__["_original"] is None


def test_reading_every_field_then_saving_sends_nothing(pk: pykorm.Pykorm, stored: Gadget) -> None:
    version = stored.resource_version
    for read in READS.values():
        read(stored)
    assert stored.original is None
    assert pk.save(stored).resource_version == version


def test_handed_out_containers_are_plain_to_json_copy_and_pickle(stored: Gadget) -> None:
    labels, tags, settings = stored.labels, stored.tags, stored.settings
    assert isinstance(labels, dict) and isinstance(tags, list) and type(labels) is TrackedDict and type(tags) is TrackedList
    assert labels == {"app": "gadget"} and tags == ["b", "a", "c"]
    settings["paths"][0]  # swaps inner containers in, still plain to the outside
    for copied in (copy.deepcopy(stored._raw), pickle.loads(pickle.dumps(stored._raw))):
        assert copied == stored._raw
        assert not _tracked_anywhere(copied), "copies are plain containers, without their model"
    assert not _tracked_anywhere(stored.to_dict())
    assert type(copy.copy(labels)) is dict and type(copy.copy(tags)) is list
    assert json.loads(json.dumps(stored._raw)) == stored._raw


def _tracked_anywhere(value: Any) -> bool:
    if isinstance(value, (TrackedDict, TrackedList)):
        return True
    if isinstance(value, dict):
        return any(_tracked_anywhere(v) for v in value.values())
    if isinstance(value, list):
        return any(_tracked_anywhere(v) for v in value)
    return False


def test_a_container_outliving_its_model_is_harmless(stored: Gadget) -> None:
    gadget = Gadget._from_server(json_copy(stored._raw))
    tags = gadget.tags
    del gadget
    gc.collect()
    tags.append("late")  # its model is gone: nothing to report to, nothing raised
    assert tags[-1] == "late"


# -- changes in place are saved ------------------------------------------------------------------


def _for_each_port(g: Gadget) -> None:
    for port in g.ports:
        port.port += 1


def _for_each_port_raw(raw: dict[str, Any]) -> None:
    for port in raw["spec"]["ports"]:
        port["port"] += 1


# name: (what the user does to the model, the same change on the JSON)
CHANGES: dict[str, tuple[Callable[[Gadget], Any], Callable[[dict[str, Any]], Any]]] = {
    "label set": (lambda g: g.labels.__setitem__("a", "b"), lambda r: r["metadata"]["labels"].__setitem__("a", "b")),
    "label removed": (lambda g: g.labels.pop("app"), lambda r: r["metadata"].pop("labels")),
    "annotations update": (
        lambda g: g.annotations.update(note="m", more="x"),
        lambda r: r["metadata"]["annotations"].update(note="m", more="x"),
    ),
    "label setdefault": (lambda g: g.labels.setdefault("new", "v"), lambda r: r["metadata"]["labels"].setdefault("new", "v")),
    "list append": (lambda g: g.tags.append("x"), lambda r: r["spec"]["tags"].append("x")),
    "list sort": (lambda g: g.tags.sort(), lambda r: r["spec"]["tags"].sort()),
    "list del": (lambda g: g.tags.__delitem__(0), lambda r: r["spec"]["tags"].__delitem__(0)),
    "list +=": (lambda g: g.tags.__iadd__(["y", "z"]), lambda r: r["spec"]["tags"].extend(["y", "z"])),
    "list in dict": (lambda g: g.data["y"].append("4"), lambda r: r["spec"]["data"]["y"].append("4")),
    "lists in dict values": (
        lambda g: [v.append("z") for v in g.data.values()],
        lambda r: [v.append("z") for v in r["spec"]["data"].values()],
    ),
    "free-form deep": (
        lambda g: g.settings["paths"][0].__setitem__("p", "/b"),
        lambda r: r["spec"]["settings"]["paths"][0].__setitem__("p", "/b"),
    ),
    "free-form items": (
        lambda g: [v.clear() for _, v in g.settings.items() if isinstance(v, dict)],
        lambda r: r["spec"]["settings"]["limits"].clear(),
    ),
    "nested scalar": (lambda g: setattr(g.placement, "rack", 7), lambda r: r["spec"]["placement"].__setitem__("rack", 7)),
    "container in nested": (
        lambda g: g.placement.extra.__setitem__("k2", "v2"),
        lambda r: r["spec"]["placement"]["extra"].__setitem__("k2", "v2"),
    ),
    "nested in nested": (
        lambda g: setattr(g.placement.inner, "depth", 2),
        lambda r: r["spec"]["placement"]["inner"].__setitem__("depth", 2),
    ),
    "container in nested in nested": (
        lambda g: g.placement.inner.flags.append("g"),
        lambda r: r["spec"]["placement"]["inner"]["flags"].append("g"),
    ),
    "list item field": (lambda g: setattr(g.ports[0], "port", 1), lambda r: r["spec"]["ports"][0].__setitem__("port", 1)),
    "every list item": (_for_each_port, _for_each_port_raw),
    "container in list item": (
        lambda g: g.ports[0].aliases.append("www"),
        lambda r: r["spec"]["ports"][0]["aliases"].append("www"),
    ),
    "default container in list item": (
        lambda g: g.ports[1].aliases.append("named"),
        lambda r: r["spec"]["ports"][1].__setitem__("aliases", ["named"]),
    ),
    "list of nested append": (
        lambda g: g.ports.append(Port(name="ssh", port=22)),
        lambda r: r["spec"]["ports"].append({"name": "ssh", "port": 22, "aliases": []}),
    ),
    "nested replaced then changed": (
        lambda g: (setattr(g, "placement", Placement(region="us")), g.placement.extra.__setitem__("a", "b")),
        lambda r: r["spec"].__setitem__("placement", {"region": "us", "rack": 0, "extra": {"a": "b"}}),
    ),
}


@pytest.mark.parametrize("what", CHANGES)
def test_in_place_change_is_saved(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, stored: Gadget, what: str) -> None:
    change, same_on_json = CHANGES[what]
    expected = server_json(k8s_cluster, k8s_namespace)
    same_on_json(expected)
    for read in READS.values():  # reads first, as a program does: they must not hide the change
        read(stored)
    change(stored)
    assert stored.original is not None
    pk.save(stored)
    assert user_part(server_json(k8s_cluster, k8s_namespace)) == user_part(expected)
    assert stored.original is None  # saved: the object holds the server's answer again


def test_a_container_the_server_did_not_have(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, gadgets_installed: None) -> None:
    pk.save(Gadget(namespace=k8s_namespace, name="bare", owner="x"))
    assert "labels" not in server_json(k8s_cluster, k8s_namespace, "bare")["metadata"]  # the server dropped {}
    gadget = pk.get(Gadget, "bare", k8s_namespace)
    assert gadget.labels == {} and gadget.placement is None and gadget.original is None  # a default: no snapshot
    pk.save(gadget)  # nothing to send: reading a default is not a change
    gadget.labels["a"] = "b"
    gadget.ports.append(Port(name="p", port=1))
    pk.save(gadget)
    raw = server_json(k8s_cluster, k8s_namespace, "bare")
    assert raw["metadata"]["labels"] == {"a": "b"} and [p["port"] for p in raw["spec"]["ports"]] == [1]


def test_the_patch_holds_exactly_the_change(stored: Gadget) -> None:
    stored.labels["a"] = "b"
    stored.ports[0].aliases.append("www")
    patch = merge_patch(stored.original or {}, stored._raw)
    ports = json_copy((stored.original or {})["spec"]["ports"])
    ports[0]["aliases"].append("www")
    assert patch == {"metadata": {"labels": {"a": "b"}}, "spec": {"ports": ports}}


def test_a_field_written_meanwhile_by_someone_else_survives(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, stored: Gadget
) -> None:
    path = f"/apis/{GROUP}/v1/namespaces/{k8s_namespace}/gadgets/g"
    k8s_cluster.transport().request(
        "PATCH", path, body={"spec": {"owner": "them"}}, content_type="application/merge-patch+json"
    )
    stored.tags.append("mine")
    with pytest.raises(pykorm.ConflictError):
        pk.save(stored)  # read before their write: nothing is overwritten
    assert server_json(k8s_cluster, k8s_namespace)["spec"]["owner"] == "them"

    pk.update(stored, lambda g: g.tags.append("mine"))  # re-read and redo: both changes stand
    spec = server_json(k8s_cluster, k8s_namespace)["spec"]
    assert spec["owner"] == "them" and spec["tags"] == ["b", "a", "c", "mine"]


def test_changes_through_a_listed_object_are_saved(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, stored: Gadget) -> None:
    [listed] = Gadget.query.namespace(k8s_namespace).all()
    assert listed.placement.inner.flags == ["f"] and listed.original is None
    listed.placement.inner.flags.append("h")
    listed.labels["seen"] = "yes"
    pk.save(listed)
    raw = server_json(k8s_cluster, k8s_namespace)
    assert raw["spec"]["placement"]["inner"]["flags"] == ["f", "h"] and raw["metadata"]["labels"]["seen"] == "yes"


def test_a_model_declared_in_a_function(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str) -> None:
    class Limit(pykorm.Nested):
        cpu: str = fields.DataField("cpu", default="1")
        hints: list[str] = fields.DataField("hints", default_factory=list)

    @pykorm.k8s_custom_object(GROUP, "v1", "gizmos")
    class Gizmo(pykorm.NamespacedModel):
        limit: Limit = fields.DictNestedField(Limit, path="spec.limit", default_factory=lambda: {"cpu": "2"})
        items: list[Limit] = fields.ListField(Limit, path="spec.items")
        notes: dict[str, str] = pykorm.Spec("notes", default_factory=dict)

    pk.install_crds(Gizmo)
    pk.save(Gizmo(namespace=k8s_namespace, name="z", items=[Limit(cpu="3")], notes={"a": "1"}))
    gizmo = pk.get(Gizmo, "z", k8s_namespace)
    assert (gizmo.limit.cpu, gizmo.items[0].cpu, gizmo.notes["a"]) == ("2", "3", "1")
    assert gizmo.original is None
    gizmo.items[0].hints.append("fast")
    gizmo.notes["b"] = "2"
    pk.save(gizmo)
    spec = pk.get(Gizmo, "z", k8s_namespace)._raw["spec"]
    assert spec["items"][0]["hints"] == ["fast"] and spec["notes"] == {"a": "1", "b": "2"}


def test_a_program_reading_and_changing_in_place(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, stored: Gadget) -> None:
    """As a user's program runs: a fresh process, its own default session, the model from a module."""
    program = textwrap.dedent(
        f"""
        import pykorm
        from tests.test_readpath import Gadget
        pykorm.Pykorm(kubeconfig={str(k8s_cluster.kubeconfig)!r}, context={k8s_cluster.context!r})
        for gadget in Gadget.query.namespace({k8s_namespace!r}):
            assert gadget.placement.rack == 4 and gadget.original is None
            gadget.tags.append("from-a-program")
            gadget.ports[1].port = 5353
            gadget.save()
        print("ok")
        """
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", program], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    spec = server_json(k8s_cluster, k8s_namespace)["spec"]
    assert spec["tags"][-1] == "from-a-program" and spec["ports"][1]["port"] == 5353 and spec["owner"] == "storage@example.com"
