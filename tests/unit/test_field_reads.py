"""Reading fields of an object the server sent: the hot path every program takes (``w.placement.rack``).

``DataField.__get__`` takes shortcuts for the common reads (a plain scalar; a nested object's view,
made inline): these pin what each read hands out, so that a faster read is the same read.
"""

from __future__ import annotations

from typing import Optional

import pytest

import pykorm
from pykorm.fields import DataField, DictNestedField, ListField, Spec

pytestmark = pytest.mark.unit


class Placement(pykorm.Nested):
    region: str = DataField("region")
    rack: int = DataField("rack", default=0)


@pykorm.k8s_custom_object("reads.pykorm.io", "v1", "readers")
class Reader(pykorm.NamespacedModel):
    owner: str = Spec("owner")
    tags: list[str] = Spec("tags", default_factory=list)
    placement: Optional[Placement] = DictNestedField(Placement, path=["spec", "placement"], default=None)
    history: list[Placement] = ListField(Placement, path=["spec", "history"])


def stored(spec: dict[str, object]) -> Reader:
    raw = {"apiVersion": "reads.pykorm.io/v1", "kind": "Reader",
           "metadata": {"name": "r", "namespace": "ns", "resourceVersion": "7", "uid": "u-1"}, "spec": spec}
    return Reader._from_server(raw)


def test_scalars_are_the_json_values() -> None:
    r = stored({"owner": "ann", "placement": {"region": "eu", "rack": 3}})
    assert r.owner == "ann"
    assert r.placement is not None and (r.placement.region, r.placement.rack) == ("eu", 3)


def test_missing_values_give_the_default_or_none() -> None:
    r = stored({"placement": {}})
    assert r.owner is None
    assert r.placement is not None and r.placement.rack == 0 and r.placement.region is None
    assert stored({}).placement is None


def test_a_scalar_on_the_path_reads_as_missing() -> None:
    assert Reader.owner.__get__(stored({"owner": "a"}), Reader) == "a"
    assert stored({"placement": 5}).placement == 5  # a scalar where an object is declared: handed out as it is
    assert stored({"owner": {"x": 1}}).owner == {"x": 1}  # a dict where a str is declared: the same
    r = Reader._from_server({"apiVersion": "reads.pykorm.io/v1", "kind": "Reader",
                             "metadata": {"name": "r", "namespace": "ns"}, "spec": 5})
    assert r.owner is None and r.placement is None  # spec.owner through a scalar spec: no value there


def test_a_nested_view_is_the_models_json_not_a_copy() -> None:
    r = stored({"placement": {"region": "eu", "rack": 3}})
    view = r.placement
    assert view is not None and type(view) is Placement
    assert view._raw is r._raw["spec"]["placement"]
    assert view._root_object() is r  # changes through the view are the model's
    assert r.placement is not view and r.placement == view  # a new view each read, of the same dict


def test_a_change_through_a_nested_view_reaches_the_model_and_keeps_the_original() -> None:
    r = stored({"placement": {"region": "eu", "rack": 3}})
    assert r.__dict__["_original"] is None
    placement = r.placement
    assert placement is not None
    placement.rack = 9
    assert r._raw["spec"]["placement"]["rack"] == 9 and r.placement is not None and r.placement.rack == 9
    assert r.__dict__["_original"]["spec"]["placement"]["rack"] == 3  # what the server sent, for the patch


def test_a_view_of_a_view_reports_to_the_same_model() -> None:
    class Outer(pykorm.Nested):
        inner: Optional[Placement] = DictNestedField(Placement, path=["inner"], default=None)

    @pykorm.k8s_custom_object("reads.pykorm.io", "v1", "outers")
    class Holder(pykorm.NamespacedModel):
        outer: Optional[Outer] = DictNestedField(Outer, path=["spec", "outer"], default=None)

    h = Holder._from_server({"apiVersion": "reads.pykorm.io/v1", "kind": "Holder",
                             "metadata": {"name": "h", "namespace": "ns", "resourceVersion": "1"},
                             "spec": {"outer": {"inner": {"rack": 1}}}})
    outer = h.outer
    assert outer is not None
    inner = outer.inner
    assert inner is not None and inner._root_object() is h
    inner.rack = 2
    assert h._raw["spec"]["outer"]["inner"]["rack"] == 2 and h.__dict__["_original"] is not None


def test_a_standalone_nested_object_has_no_root() -> None:
    outer = Placement(region="eu", rack=1)
    assert outer._root_object() is None and outer.rack == 1


def test_containers_are_handed_out_tracked_and_defaults_stick() -> None:
    r = stored({"tags": ["a"]})
    r.tags.append("b")
    assert r._raw["spec"]["tags"] == ["a", "b"] and r.__dict__["_original"]["spec"]["tags"] == ["a"]
    fresh = stored({})
    fresh.tags.append("x")  # a default container is stored, so that the change sticks
    assert fresh._raw["spec"]["tags"] == ["x"]
    history = stored({"history": [{"rack": 1}]}).history
    assert [p.rack for p in history] == [1]
