"""``pk.uninstall_crds``: the inverse of ``install_crds`` — deleted, waited for until gone and no longer served."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Iterator

import pytest
from kubernetes import client as k8s

import pykorm
from pykorm.aio import AsyncPykorm
from pykorm.testing import Cluster

from .witness import official_client


@pykorm.k8s_custom_object("kit.pykorm.io", "v1", "gadgets")
class Gadget(pykorm.NamespacedModel):
    colour: str | None = pykorm.Spec("colour", default=None)


@pykorm.k8s_custom_object("kit.pykorm.io", "v1", "gizmos")
class Gizmo(pykorm.NamespacedModel):
    size: int | None = pykorm.Spec("size", default=None)


NAMES = ["gadgets.kit.pykorm.io", "gizmos.kit.pykorm.io"]


@pytest.fixture
def pk(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    yield session
    session.uninstall_crds(Gadget, Gizmo)
    session.close()


def served(k8s_cluster: Cluster, name: str) -> bool:
    with official_client(k8s_cluster) as client:
        try:
            k8s.ApiextensionsV1Api(client).read_custom_resource_definition(name)
            return True
        except k8s.ApiException as error:
            assert error.status == 404
            return False


def test_uninstalled_crds_are_gone_with_their_objects_and_installable_again(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str, tmp_path: Path
) -> None:
    pk.install_crds(Gadget, Gizmo)
    pk.save(Gadget(namespace=k8s_namespace, name="g", colour="red"))
    assert Gadget.query.session(pk).namespace(k8s_namespace).count() == 1

    assert pk.uninstall_crds(Gadget, Gizmo) == NAMES

    assert not served(k8s_cluster, NAMES[0]) and not served(k8s_cluster, NAMES[1])  # the official client's view
    with pytest.raises(pykorm.CRDNotInstalled):
        Gadget.query.session(pk).namespace(k8s_namespace).all()
    assert pk.uninstall_crds(Gadget) == []  # nothing to do is no error
    pk.install_crds(Gadget)
    assert Gadget.query.session(pk).namespace(k8s_namespace).count() == 0  # the object went with its CRD
    manifest = tmp_path / "gadget.json"
    manifest.write_text(json.dumps(pykorm.crd(Gadget)))
    pk.install_crds(Gizmo)
    assert pk.uninstall_crds(str(manifest), "gizmos.kit.pykorm.io") == NAMES  # a file, a name
    assert pk.uninstall_crds(pykorm.crd(Gadget)) == []                        # a dict


def test_a_crd_held_by_an_objects_finalizer_times_out_with_it_as_last(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    pk.install_crds(Gadget)
    held = pk.save(Gadget(namespace=k8s_namespace, name="held", finalizers=["kit.pykorm.io/hold"]))

    with pytest.raises(pykorm.WaitTimeout) as timed_out:
        pk.uninstall_crds(Gadget, timeout=2)

    assert timed_out.value.last["metadata"]["name"] == NAMES[0]
    assert timed_out.value.last["metadata"].get("deletionTimestamp")
    transport = k8s_cluster.transport()
    transport.request("PATCH", f"/apis/kit.pykorm.io/v1/namespaces/{k8s_namespace}/gadgets/{held.name}",
                      body={"metadata": {"finalizers": None}}, content_type="application/merge-patch+json")
    assert pk.uninstall_crds(Gadget, timeout=60) == NAMES[:1]  # still there: deleted again is harmless, then gone
    assert not served(k8s_cluster, NAMES[0])


def test_arguments_that_name_no_crd_are_refused(pk: pykorm.Pykorm) -> None:
    for bad in (3, "no-such-file.yaml", "../etc", {"kind": "ConfigMap", "metadata": {"name": "x"}}):
        with pytest.raises(pykorm.ClientValidationError):
            pk.uninstall_crds(bad)
    with pytest.raises(TypeError, match="not bound"):  # as install_crds says of a class that is no model
        pk.uninstall_crds(pykorm.Pykorm)


def test_async_uninstall(k8s_cluster: Cluster) -> None:
    async def main() -> list[str]:
        async with AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context) as apk:
            await apk.install_crds(Gizmo)
            return await apk.uninstall_crds(Gizmo)

    assert asyncio.run(main()) == [NAMES[1]]
    assert not served(k8s_cluster, NAMES[1])
