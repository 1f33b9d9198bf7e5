"""Creating an object, against the real API server, with the official client as the witness of what it stores.

The create path is kept cheap (the constructor's fast paths, the request built once): these tests say
what it must still do. Every field given, converted or defaulted reaches the server as the model says;
a bad name or a value the served schema refuses raises :class:`ClientValidationError` before the object
is sent; a taken name is :class:`AlreadyExists` and changes nothing; ``pykorm.aio`` stores the same.
"""

import asyncio
import datetime
import enum
from typing import Any, Iterator, Optional

import kubernetes
import pytest

import pykorm
from pykorm import AlreadyExists, ClientValidationError, fields
from pykorm.aio import AsyncPykorm
from pykorm.testing import Cluster

from .witness import official_client

GROUP, PLURAL = "createpath.pykorm.io", "crates"


class Size(str, enum.Enum):
    SMALL = "small"
    LARGE = "large"


class Slot(pykorm.Nested):
    zone: str = fields.DataField("zone")
    rack: int = fields.DataField("rack", default=0)
    tags: list[str] = fields.DataField("tags", default_factory=list)


class Door(pykorm.Nested):
    name: str = fields.DataField("name")
    port: int = fields.DataField("port")
    protocol: str = fields.DataField("protocol", default="TCP")


@pykorm.k8s_custom_object(GROUP, "v1", PLURAL)
class Crate(pykorm.NamespacedModel):
    owner: str = pykorm.Spec("owner", required=True)
    replicas: int = pykorm.Spec("replicas", default=1, minimum=0)
    weight: float = pykorm.Spec("weight", default=1.0)
    enabled: bool = pykorm.Spec("enabled", default=True)
    size: Size = pykorm.Spec("size", default=Size.SMALL)
    since: Optional[datetime.datetime] = pykorm.Spec("since", default=None)
    tags: list[str] = pykorm.Spec("tags", default_factory=list)
    limits: dict[str, int] = pykorm.Spec("limits", default_factory=dict)
    slot: Optional[Slot] = fields.DictNestedField(Slot, path="spec.slot", default=None)
    doors: list[Door] = fields.ListField(Door, path="spec.doors")


@pytest.fixture(scope="module")
def crates_installed(k8s_cluster: Cluster) -> None:
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    session.install_crds(Crate)
    session.close()


@pytest.fixture
def official(k8s_cluster: Cluster) -> Iterator[kubernetes.client.CustomObjectsApi]:
    with official_client(k8s_cluster) as client:
        yield kubernetes.client.CustomObjectsApi(client)


def given(namespace: str, name: str) -> Crate:
    return Crate(
        name=name, namespace=namespace, labels={"team": "storage"}, annotations={"note": "n"},
        owner="storage@example.com", replicas=3, weight=2, enabled=False, size="large",
        since=datetime.datetime(2026, 12, 5, 13, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
        tags=("a", "b"), limits={"cpu": 2}, slot={"zone": "eu-1"},
        doors=[{"name": "http", "port": 80}, Door(name="dns", port=53, protocol="UDP")],
    )


STORED_SPEC = {  # what the server must hold for given(): values as given or converted, and every default
    "owner": "storage@example.com", "replicas": 3, "weight": 2, "enabled": False, "size": "large",
    "since": "2026-12-05T12:00:00Z", "tags": ["a", "b"], "limits": {"cpu": 2},
    "slot": {"zone": "eu-1", "rack": 0, "tags": []},
    "doors": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"}],
}


def test_a_create_stores_every_value_and_default_as_the_official_client_reads_it(
    pk: pykorm.Pykorm, crates_installed: None, k8s_namespace: str, official: kubernetes.client.CustomObjectsApi,
) -> None:
    crate = pk.save(given(k8s_namespace, "full"))
    seen = official.get_namespaced_custom_object(GROUP, "v1", k8s_namespace, PLURAL, "full")
    assert seen["spec"] == STORED_SPEC
    assert seen["metadata"]["labels"] == {"team": "storage"} and seen["metadata"]["annotations"] == {"note": "n"}
    assert crate.is_stored and crate.original is None
    assert crate.to_k8s() == seen  # the object holds the server's answer, nothing else
    # Only the defaults: a create of the required field alone.
    pk.save(Crate(name="bare", namespace=k8s_namespace, owner="o"))
    bare = official.get_namespaced_custom_object(GROUP, "v1", k8s_namespace, PLURAL, "bare")
    assert bare["spec"] == {"owner": "o", "replicas": 1, "weight": 1.0, "enabled": True, "size": "small",
                            "tags": [], "limits": {}, "doors": []}


def test_a_datetime_with_a_fraction_of_a_second_is_stored_and_read_back_whole(
    pk: pykorm.Pykorm, crates_installed: None, k8s_namespace: str, official: kubernetes.client.CustomObjectsApi,
) -> None:
    """The fraction was cut on the way out ("...:00Z"): a datetime saved and read back differed, with no error."""
    moment = datetime.datetime(2026, 12, 5, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    pk.save(Crate(name="precise", namespace=k8s_namespace, owner="o", since=moment))
    seen = official.get_namespaced_custom_object(GROUP, "v1", k8s_namespace, PLURAL, "precise")
    assert seen["spec"]["since"] == "2026-12-05T12:00:00.123456Z"
    assert pk.get(Crate, "precise", k8s_namespace).since == moment
    assert Crate.query.session(pk).namespace(k8s_namespace).filter(since=moment).count() == 1
    assert Crate.query.session(pk).namespace(k8s_namespace).filter(since__gt=moment.replace(microsecond=0)).count() == 1


@pytest.mark.parametrize(("make", "says"), [
    (lambda ns: Crate(name="Bad_Name", namespace=ns, owner="o"), "metadata.name"),
    (lambda ns: Crate(name="ok", namespace="Bad_NS", owner="o"), "metadata.namespace"),
    (lambda ns: Crate(name="ok", namespace=ns, owner="o", replicas=-1), "spec.replicas"),
    (lambda ns: Crate(name="ok", namespace=ns), "spec.owner"),
    (lambda ns: Crate(name="ok", namespace=ns, owner="o", tags=["a", 1]), r"spec.tags\[1\]"),
    (lambda ns: Crate(name="ok", namespace=ns, owner="o", slot={"zone": "z", "rack": "1"}), "spec.slot.rack"),
])
def test_what_the_server_would_refuse_raises_before_the_object_is_sent(
    k8s_cluster: Cluster, crates_installed: None, k8s_namespace: str, official: kubernetes.client.CustomObjectsApi,
    make: Any, says: str,
) -> None:
    posts: list[str] = []

    def note(request: Any) -> None:
        if request.method == "POST":
            posts.append(request.url)

    with pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False,
                       event_hooks={"request": [note]}) as pk:
        with pytest.raises(ClientValidationError, match=says):
            pk.save(make(k8s_namespace))
    assert posts == []
    assert official.list_namespaced_custom_object(GROUP, "v1", k8s_namespace, PLURAL)["items"] == []


def test_a_taken_name_is_already_exists_and_changes_nothing(
    pk: pykorm.Pykorm, crates_installed: None, k8s_namespace: str, official: kubernetes.client.CustomObjectsApi,
) -> None:
    first = pk.save(given(k8s_namespace, "taken"))
    second = Crate(name="taken", namespace=k8s_namespace, owner="someone else", replicas=9)
    with pytest.raises(AlreadyExists):
        pk.save(second)
    assert not second.is_stored and second.replicas == 9
    seen = official.get_namespaced_custom_object(GROUP, "v1", k8s_namespace, PLURAL, "taken")
    assert seen["spec"] == STORED_SPEC and seen["metadata"]["resourceVersion"] == first.resource_version


def test_the_async_session_stores_the_same(
    k8s_cluster: Cluster, crates_installed: None, k8s_namespace: str, official: kubernetes.client.CustomObjectsApi,
) -> None:
    async def main() -> Crate:
        async with AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context) as apk:
            crate = await apk.save(given(k8s_namespace, "async"))
            with pytest.raises(ClientValidationError, match="spec.replicas"):
                await apk.save(Crate(name="neg", namespace=k8s_namespace, owner="o", replicas=-1))
            with pytest.raises(AlreadyExists):
                await apk.save(given(k8s_namespace, "async"))
            return crate

    crate = asyncio.run(main())
    seen = official.get_namespaced_custom_object(GROUP, "v1", k8s_namespace, PLURAL, "async")
    assert seen["spec"] == STORED_SPEC and crate.to_k8s() == seen
    names = [o["metadata"]["name"] for o in official.list_namespaced_custom_object(GROUP, "v1", k8s_namespace, PLURAL)["items"]]
    assert names == ["async"]
