"""Offline: ``values``/``pluck`` through a list read every element, ``order_by`` through one is refused, and
``page()`` refuses ``order_by`` and slices (issue #20) — what a query reads by name, before any request.
"""

from __future__ import annotations

from typing import Any

import pytest

import pykorm
from pykorm._select.ordering import getter, sort_key
from pykorm.k8s.apps_v1 import Deployment
from pykorm.k8s.core_v1 import Pod

pytestmark = pytest.mark.unit

POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n", "labels": {"app": "web"}},
    "spec": {"containers": [
        {"name": "app", "image": "nginx:1", "ports": [{"containerPort": 80}, {"containerPort": 443}], "args": ["-v"]},
        {"name": "sidecar", "image": "envoy:2"},
    ]},
}


def pod(raw: dict[str, Any] = POD) -> Pod:
    return Pod._from_server(raw, None, None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("spec__containers__image", ["nginx:1", "envoy:2"]),
        ("spec.containers.image", ["nginx:1", "envoy:2"]),
        ("spec__containers__ports__container_port", [80, 443]),  # lists in elements: flattened
        ("spec.containers.ports.containerPort", [80, 443]),
        ("spec__containers__args", [["-v"], None]),  # a list-valued field: one value per element
        ("spec.containers.args", [["-v"], None]),
        ("spec__containers__working_dir", [None, None]),  # one entry per element, None where it has none
        ("status__conditions__type", []),  # no list: no element
        ("status.conditions.type", []),
        ("metadata.labels.app", "web"),  # no list on the way: the value
        ("name", "p"),
    ],
)
def test_a_name_through_a_list_reads_each_elements_value(name: str, value: Any) -> None:
    assert getter(Pod, name)(pod()) == value


def test_a_dotted_path_beyond_the_declared_fields_still_fans_out_over_the_lists_it_finds() -> None:
    raw = {**POD, "spec": {**POD["spec"], "overhead": {"x": [{"y": 1}, {"y": 2}]}}}  # a free-form map
    assert getter(Pod, "spec.overhead.x.y")(pod(raw)) == [1, 2]
    assert getter(Pod, "spec.overhead.nope")(pod(raw)) is None


def test_order_by_through_a_list_is_refused_and_by_a_value_outside_one_is_fine() -> None:
    with pytest.raises(pykorm.ClientValidationError, match="goes through the list status.conditions"):
        Deployment.query.order_by("status__conditions__last_transition_time")
    with pytest.raises(pykorm.ClientValidationError, match="goes through the list spec.containers"):
        sort_key(Pod, ["-spec__containers__image"])
    assert Deployment.query.order_by("-status__replicas", "name").explain() is not None


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda q: q.order_by("name"), "cannot follow order_by"),
        (lambda q: q.order_by("-name")[:5], "cannot follow order_by"),
        (lambda q: q[:10], "cannot follow a slice"),
        (lambda q: q[5:], "cannot follow a slice"),
        (lambda q: q[0:0], "cannot follow a slice"),
    ],
)
def test_page_refuses_order_by_and_slices_before_any_request(make: Any, says: str) -> None:
    query = make(Pod.query.namespace("n"))
    with pytest.raises(ValueError, match=says) as caught:
        query.page(10)  # no session is configured: a request would fail otherwise
    assert "page token walks the server's" in str(caught.value)
