"""``to_dict``: the original pykorm's ``test_nested_to_dict`` in its own words, and the same rule for models."""

from __future__ import annotations

import pytest

import pykorm
from pykorm import fields
from pykorm.models import Nested

pytestmark = pytest.mark.unit


def test_nested_to_dict() -> None:
    """The original pykorm's test, unchanged but for annotations: an unset allow_empty field shows as None."""

    class TestObject(Nested):
        foo = fields.DataField("foo")
        bar = fields.DataField("bar")
        foobar = fields.DataField("foobar", default="foobar")
        foobarfoo = fields.DataField("foobarfoo", allow_empty=True)
        foobarfoobar = fields.DataField("foobarfoobar")
        foobarfoobarfoobar = fields.DataField(["foobarfoobarfoobar", "foobarfoobarfoobar"])

    ed = fields.DictNestedField(TestObject, path="obj")
    eds = fields.ListField(TestObject, path="objs")

    wanted1 = {
        "obj": {
            "foo": "foo",
            "bar": "bar",
            "foobar": "foobar",
            "foobarfoo": None,
            "foobarfoobarfoobar": {"foobarfoobarfoobar": "foobarfoobarfoobar"},
        }
    }
    wanted2 = {
        "objs": [
            {"foo": "foo1", "bar": "bar1", "foobar": "foobar", "foobarfoo": None},
            {"foo": "foo2", "bar": "bar2", "foobar": "foobar", "foobarfoo": None},
        ]
    }
    ed_dict = ed.to_dict(TestObject(foo="foo", bar="bar", foobarfoobarfoobar="foobarfoobarfoobar"))
    assert ed_dict == wanted1
    assert "foobarfoobar" not in wanted1["obj"]
    eds_dict = eds.to_dict([TestObject(foo="foo1", bar="bar1"), TestObject(foo="foo2", bar="bar2")])
    assert eds_dict == wanted2
    for item in eds_dict["objs"]:
        assert "foobarfoobar" not in item


class Part(Nested):
    label: str | None = fields.DataField("label", allow_empty=True)
    size: int | None = fields.DataField("size", default=None)


@pykorm.k8s_custom_object("todict.pykorm.io", "v1", "kits")
class Kit(pykorm.NamespacedModel):
    note: str | None = pykorm.Spec("note", allow_empty=True)
    main: Part | None = fields.DictNestedField(Part, path=["spec", "main"], default=None)
    parts: list[Part] = fields.ListField(Part, path=["spec", "parts"])


def test_a_model_and_a_nested_object_follow_the_same_rule_at_every_depth() -> None:
    kit = Kit(namespace="n", name="k", main=Part(size=1), parts=[Part(label="a"), Part()])

    assert kit.to_dict()["spec"] == {
        "note": None, "main": {"label": None, "size": 1}, "parts": [{"label": "a"}, {"label": None}],
    }
    assert Part(size=2).to_dict() == {"label": None, "size": 2}
    assert kit._k8s_dict == kit.to_dict()
    assert "note" not in kit._raw["spec"]  # to_dict's copy only: the object (what is sent) is unchanged
    assert Kit.from_dict(kit.to_dict()).note is None


def test_a_set_or_null_value_stays_as_it_is() -> None:
    kit = Kit(namespace="n", name="k", note="")
    kit.main = Part(label="x")

    assert kit.to_dict()["spec"]["note"] == "" and kit.to_dict()["spec"]["main"]["label"] == "x"
    assert Part._wrap({"label": None}).to_dict() == {"label": None}


def test_to_k8s_keeps_the_server_metadata_in_a_plain_copy() -> None:
    manifest = {"apiVersion": "todict.pykorm.io/v1", "kind": "Kit",
                "metadata": {"name": "k", "namespace": "n", "uid": "u-1", "resourceVersion": "7",
                             "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{"manager": "m"}],
                             "labels": {"a": "b"}},
                "spec": {"parts": [{"label": "x"}]}, "status": {"ready": True}}
    kit = Kit.from_dict(manifest)
    kit.labels["c"] = "d"  # live containers are swapped in on read
    kit.parts[0].label = "y"

    copied = kit.to_k8s()

    assert copied == {**manifest, "metadata": {**manifest["metadata"], "labels": {"a": "b", "c": "d"}},
                      "spec": {"parts": [{"label": "y"}]}}
    assert all(type(c) in (dict, list) for c in (copied, copied["metadata"], copied["metadata"]["labels"],
                                                   copied["spec"]["parts"]))
    copied["metadata"]["labels"]["e"] = "f"
    copied["spec"]["parts"].append({})
    assert kit.labels == {"a": "b", "c": "d"} and len(kit.parts) == 1
    assert "uid" not in kit.to_dict()["metadata"]
