"""Offline: ``_k8s_uid``, the original pykorm's name of the uid, and the flag its multi-cluster example turns off
(``Namespace._k8s_uid.readonly = False; ns._k8s_uid = None``): it was a property, and the example's first line an
AttributeError."""

from __future__ import annotations

from typing import Iterator

import pytest

import pykorm

pytestmark = pytest.mark.unit


@pykorm.pykorm.k8s_core(kind="Namespace")
class Namespace(pykorm.models.ClusterModel):
    pass


@pytest.fixture
def writable() -> Iterator[None]:
    Namespace._k8s_uid.readonly = False
    yield
    Namespace._k8s_uid.readonly = True


def read(uid: str) -> Namespace:
    return Namespace._from_server({"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": "ns", "uid": uid, "resourceVersion": "1"}}, None, None)


def test_the_uid_is_read_only_once_set() -> None:
    ns = read("u-1")
    assert ns._k8s_uid == ns.uid == "u-1"
    with pytest.raises(pykorm.ReadOnlyException):
        ns._k8s_uid = "hello"
    new = Namespace(name="new")
    new._k8s_uid = "set-once"  # not set before: allowed, as in pykorm
    assert new.uid == "set-once"


def test_the_multi_cluster_examples_uid_juggling(writable: None) -> None:
    ns = read("u-1")
    ns._k8s_uid = None
    assert ns._k8s_uid is None and "uid" not in ns.to_k8s()["metadata"]
    ns._k8s_uid = "u-2"
    assert ns.uid == "u-2"
