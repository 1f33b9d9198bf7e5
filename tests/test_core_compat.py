"""The original pykorm README's and examples' usage, unchanged, against the real API server."""

from __future__ import annotations

import datetime
import secrets

import kubernetes
import pytest

import pykorm
from pykorm.testing import Cluster, LocalControlPlane

from .models import Apple, Namespace, Peach, Score, Seed


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def test_readme_peach_crud(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    cake_peach = Peach(namespace=k8s_namespace, name="cake-peach", variety="Frost")
    pk.save(cake_peach)
    assert cake_peach.uid and cake_peach.resource_version
    assert cake_peach.created_at is not None

    listed = Peach.query.filter_by(namespace=k8s_namespace).all()
    assert [(p.name, p.variety) for p in listed] == [("cake-peach", "Frost")]
    assert repr(listed[0]) == f"<Peach namespace={k8s_namespace}, name=cake-peach, variety=Frost, price=None, ripeness=None>"
    assert listed[0] == cake_peach

    pk.delete(cake_peach)
    assert Peach.query.filter_by(namespace=k8s_namespace).all() == []


def test_readme_peach_with_own_init(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    """The README's Peach defines its own __init__ without calling super(): it still works."""

    @pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches", kind="Peach")
    class ReadmePeach(pykorm.NamespacedModel):
        variety: str = pykorm.fields.Spec("variety")

        def __init__(self, namespace: str, name: str, variety: str):
            self.namespace = namespace
            self.name = name
            self.variety = variety

    pk.save(ReadmePeach(k8s_namespace, "own-init", "Redhaven"))
    got = Peach.query.get("own-init", namespace=k8s_namespace)
    assert got is not None and got.variety == "Redhaven"


def test_filter_by_and_chaining(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    for name, variety in [("a", "Frost"), ("b", "Frost"), ("c", "Redhaven")]:
        pk.save(Peach(namespace=k8s_namespace, name=name, variety=variety, labels={"tier": name}))
    base = Peach.query.filter_by(namespace=k8s_namespace)
    frost = base.filter_by(variety="Frost")
    assert sorted(p.name for p in frost.all()) == ["a", "b"]
    assert sorted(p.name for p in base.all()) == ["a", "b", "c"]  # refining did not change `base`
    assert [p.name for p in base.filter_by(name="c").all()] == ["c"]
    assert [p.name for p in base.filter_by_labels(tier="b").all()] == ["b"]
    assert [p.name for p in base.filter_by_fields({"metadata.name": "a"}).all()] == ["a"]
    assert base.filter_by(variety="Frost", name="c").first() is None
    assert base.get("c") is not None and base.get("zzz") is None
    with pytest.raises(pykorm.NotFound):
        base.get_or_raise("zzz")
    with pytest.raises(pykorm.ClientValidationError, match="cannot resolve 'colour'.*variety"):
        base.filter_by(colour="red")


def test_namespaced_get_without_namespace_is_a_clear_error(pk: pykorm.Pykorm) -> None:
    with pytest.raises(pykorm.ClientValidationError, match="namespaced"):
        Peach.query.get("x")


def test_nested_fields_and_mixins(pk: pykorm.Pykorm) -> None:
    name = unique("apple")
    apple = Apple(name=name, score=Score(exterior=10), seeds=[Seed(kind="pip"), {"kind": "stone", "weight": 2}])
    pk.save(apple)
    try:
        got = Apple.query.get(name)
        assert got is not None
        assert got.variety == "default-variety"
        assert got.score == Score(exterior=10, delicious=10)
        assert [s.kind for s in got.seeds] == ["pip", "stone"] and got.seeds[1].weight == 2

        got.score.exterior = 3
        got.seeds.append(Seed(kind="new"))
        got.seeds[0].weight = 7
        pk.save(got)
        again = Apple.query.get(name)
        assert again is not None
        assert again.score.exterior == 3 and again.score.delicious == 10
        assert [(s.kind, s.weight) for s in again.seeds] == [("pip", 7), ("stone", 2), ("new", None)]
    finally:
        pk.delete(apple)


def test_mutable_defaults_are_per_instance() -> None:
    first, second = Apple(name="a1"), Apple(name="a2")
    first.labels["x"] = "1"
    first.seeds.append(Seed(kind="k"))
    assert second.labels == {} and list(second.seeds) == []


def test_read_only_fields() -> None:
    peach = Peach(name="p", variety="v")
    first = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    peach.created_at = first  # not set yet: allowed
    peach.created_at = first  # the same value: allowed
    with pytest.raises(pykorm.ReadOnlyException, match="created_at is read-only"):
        peach.created_at = first + datetime.timedelta(days=1)
    assert peach.created_at == first


def test_obj_methods_use_the_default_session(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    peach = Peach(namespace=k8s_namespace, name="method", variety="Frost")
    peach.save()
    peach.variety = "Elberta"
    peach.save()
    assert Peach.query.namespace(k8s_namespace).get("method").variety == "Elberta"  # type: ignore[union-attr]
    peach.delete()
    assert Peach.query.namespace(k8s_namespace).get("method") is None


def test_core_kind_namespace_model(pk: pykorm.Pykorm) -> None:
    names = {ns.name for ns in Namespace.query.all()}
    assert {"default", "kube-system"} <= names


@pytest.fixture(scope="module")
def second_cluster(k8s_cluster: Cluster) -> Cluster:
    """A second cluster: a second local control plane (stopped at the end of the module)."""
    control_plane = LocalControlPlane().start()
    yield Cluster.local(control_plane)  # type: ignore[misc]
    control_plane.stop()


def test_multi_cluster(k8s_cluster: Cluster, second_cluster: Cluster) -> None:
    """pykorm's multi-cluster example: Configurations and dicts in Pykorm.clusters_config."""
    cl1 = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(str(k8s_cluster.kubeconfig), context=k8s_cluster.context, client_configuration=cl1)
    cl2 = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(str(second_cluster.kubeconfig), client_configuration=cl2)
    cl3 = {"host": cl2.host, "api_key": dict(cl2.api_key), "ssl_ca_cert": cl2.ssl_ca_cert}

    saved = dict(pykorm.Pykorm.clusters_config)
    pykorm.Pykorm.clusters_config = {"cluster-cl1": cl1, "cluster-cl2": cl2, "cluster-cl3": cl3}
    try:
        pk = pykorm.Pykorm()
        name = unique("ns-on-cluster-cl1")
        pk.save(Namespace(name=name), cluster="cluster-cl1")
        on_cl1 = {ns.name for ns in Namespace.query.using(cluster="cluster-cl1").all()}
        on_cl2 = {ns.name for ns in Namespace.query.using(cluster="cluster-cl2").all()}
        assert name in on_cl1 and name not in on_cl2

        ns1 = next(ns for ns in Namespace.query.using(cluster="cluster-cl1").all() if ns.name == name)
        pk.save(ns1, cluster="cluster-cl2")  # no uid juggling needed: it is created on cl2
        assert name in {ns.name for ns in Namespace.query.using(cluster="cluster-cl3").all()}
        assert ns1.uid != Namespace.query.using("cluster-cl1").get(name).uid  # type: ignore[union-attr]

        with pytest.raises(pykorm.ConfigurationError, match="unknown cluster 'nope'"):
            Namespace.query.using("nope").all()
        pk.delete(ns1, cluster="cluster-cl2")
        pk.delete(Namespace(name=name), cluster="cluster-cl1")
    finally:
        pykorm.Pykorm.clusters_config = saved
