"""Session behaviour beyond the original pykorm: no lost updates, status, apply, typed errors."""

from __future__ import annotations

import threading

import pytest

import pykorm
from pykorm.testing import Cluster

from .models import Apple, ConfigMap, Counter, Peach, Plum, Score


def other_session(k8s_cluster: Cluster) -> pykorm.Pykorm:
    return pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)


def test_concurrent_change_raises_conflict(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str) -> None:
    pk.save(Peach(namespace=k8s_namespace, name="contested", variety="Frost"))
    mine = pk.get(Peach, "contested", k8s_namespace)
    theirs = other_session(k8s_cluster).get(Peach, "contested", k8s_namespace)
    mine.variety = "Mine"
    theirs.variety = "Theirs"
    pk.save(theirs)
    with pytest.raises(pykorm.ConflictError, match="changed on the server since it was read"):
        pk.save(mine)
    assert pk.get(Peach, "contested", k8s_namespace).variety == "Theirs"  # nothing overwritten


def test_update_retries_on_conflict_until_every_increment_lands(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str) -> None:
    pk.save(Counter(namespace=k8s_namespace, name="hits"))
    errors: list[BaseException] = []

    def worker() -> None:
        session = other_session(k8s_cluster)
        counter = session.get(Counter, "hits", k8s_namespace)
        try:
            for _ in range(50):
                session.update(counter, lambda c: setattr(c, "count", c.count + 1), retries=200)
        except BaseException as error:  # reported below, not swallowed
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert pk.get(Counter, "hits", k8s_namespace).count == 400


def test_save_refreshes_from_the_answer_and_sends_only_changes(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str) -> None:
    peach = pk.save(Peach(namespace=k8s_namespace, name="fresh", variety="Frost"))
    version = peach.resource_version
    assert pk.save(peach).resource_version == version  # unchanged: nothing sent

    # Someone else adds a label; we reload and change the variety: their label survives.
    theirs = other_session(k8s_cluster).get(Peach, "fresh", k8s_namespace)
    theirs.labels["owner"] = "them"
    other_session(k8s_cluster).save(theirs)
    pk.refresh(peach)
    peach.variety = "Elberta"
    pk.save(peach)
    assert peach.resource_version != version
    stored = pk.get(Peach, "fresh", k8s_namespace)
    assert stored.variety == "Elberta" and stored.labels == {"owner": "them"}


def test_status_goes_through_the_status_subresource(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    peach = pk.save(Peach(namespace=k8s_namespace, name="ripe", variety="Frost", ripeness="green"))
    assert peach.ripeness == "green"  # created, then its status written through /status

    peach.ripeness = "ripe"
    peach.variety = "Elberta"
    pk.save(peach)  # spec through the object, status through /status: both land
    stored = pk.get(Peach, "ripe", k8s_namespace)
    assert (stored.variety, stored.ripeness) == ("Elberta", "ripe")

    stored.ripeness = "overripe"
    stored.price = 3  # not saved by save_status, but kept on the object
    pk.save_status(stored)
    assert stored.price == 3
    again = pk.get(Peach, "ripe", k8s_namespace)
    assert (again.ripeness, again.price) == ("overripe", None)
    pk.save(stored)
    assert pk.get(Peach, "ripe", k8s_namespace).price == 3


def test_apply_is_server_side_apply(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str) -> None:
    peach = pk.apply(Peach(namespace=k8s_namespace, name="applied", variety="Frost", price=2))
    assert peach.uid
    managers = {m["manager"] for m in peach._raw["metadata"]["managedFields"]}
    assert managers == {"pykorm"}

    other = other_session(k8s_cluster)
    with pytest.raises(pykorm.ConflictError, match="conflict"):
        other.apply(Peach(namespace=k8s_namespace, name="applied", variety="Other"), field_manager="rival")
    taken = other.apply(Peach(namespace=k8s_namespace, name="applied", variety="Other"), field_manager="rival", force=True)
    assert taken.variety == "Other" and taken.price == 2


def test_dry_run_writes_nothing(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    peach = Peach(namespace=k8s_namespace, name="dry", variety="Frost")
    pk.save(peach, dry_run=True)
    assert Peach.query.namespace(k8s_namespace).get("dry") is None
    assert not peach.is_stored


def test_server_validation_error_carries_field_causes(pk: pykorm.Pykorm) -> None:
    apple = Apple(name="negative-seed", score=Score(exterior=1), seeds=[{"kind": "pip", "weight": -1}])
    # The CRD says minimum 0; the model does not know it, but pykorm checks against the schema the
    # server enforces: refused before sending, with the path the server reports.
    with pytest.raises(pykorm.ClientValidationError) as refused:
        pk.save(apple)
    assert [c.field for c in refused.value.causes] == ["spec.seeds[0].weight"]
    body = apple.to_dict()
    with pytest.raises(pykorm.ValidationError) as caught:  # the server's own answer, sent raw
        pk.transport().request("POST", "/apis/pykorm.infomaniak.com/v1/apples", body=body)
    assert [c.field for c in caught.value.causes] == ["spec.seeds[0].weight"]
    assert caught.value.status == 422
    assert Apple.query.get("negative-seed") is None


def test_client_side_validation_before_any_request(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    bad = Peach(namespace=k8s_namespace, name="Not_A_Name", price="cheap")  # type: ignore[arg-type]
    with pytest.raises(pykorm.ClientValidationError) as caught:
        pk.save(bad)
    fields = {c.field for c in caught.value.causes}
    assert fields == {"metadata.name", "spec.price"}
    assert Peach.query.namespace(k8s_namespace).all() == []


def test_required_field_is_checked_client_side(pk: pykorm.Pykorm) -> None:
    @pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches", kind="Peach")
    class StrictPeach(pykorm.NamespacedModel):
        variety: str = pykorm.fields.Spec("variety", required=True)

    with pytest.raises(pykorm.ClientValidationError, match="spec: Required value"):
        pk.save(StrictPeach(namespace="default", name="strict"))  # the served CRD requires spec
    pykorm._schema.validation.validate(StrictPeach(namespace="default", name="strict", variety="v"))
    with pytest.raises(pykorm.ClientValidationError, match="spec: Required value: needed for spec.variety"):
        pykorm._schema.validation.validate(StrictPeach(namespace="default", name="strict"))  # no schema known: the model's


def test_typed_errors(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    pk.save(Peach(namespace=k8s_namespace, name="twice", variety="Frost"))
    with pytest.raises(pykorm.AlreadyExists):
        pk.save(Peach(namespace=k8s_namespace, name="twice", variety="Other"))
    assert pk.get(Peach, "twice", k8s_namespace).variety == "Frost"
    with pytest.raises(pykorm.NotFound):
        pk.get(Peach, "nobody", k8s_namespace)
    with pytest.raises(pykorm.CRDNotInstalled, match=r"plums\.pykorm\.infomaniak\.com is not installed"):
        Plum.query.all()
    with pytest.raises(pykorm.CRDNotInstalled):
        pk.save(Plum(namespace=k8s_namespace, name="p", variety="x"))


def test_delete_only_deletes_the_object_that_was_read(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    old = pk.save(Peach(namespace=k8s_namespace, name="reborn", variety="Frost"))
    pk.delete(pk.get(Peach, "reborn", k8s_namespace))
    pk.save(Peach(namespace=k8s_namespace, name="reborn", variety="New"))
    with pytest.raises(pykorm.ConflictError):
        pk.delete(old)  # its uid is gone: the new object is not deleted by mistake
    assert pk.get(Peach, "reborn", k8s_namespace).variety == "New"


def test_built_in_kind_crud(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    cm = pk.save(ConfigMap(namespace=k8s_namespace, name="settings", data={"a": "1"}))
    cm.data["b"] = "2"
    pk.save(cm)
    listed = ConfigMap.query.namespace(k8s_namespace).filter_by(name="settings").all()
    assert [c.data for c in listed] == [{"a": "1", "b": "2"}]
    pk.delete(cm)
    assert ConfigMap.query.namespace(k8s_namespace).get("settings") is None


def test_pagination_streams_every_object(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    for i in range(7):
        pk.save(ConfigMap(namespace=k8s_namespace, name=f"cm-{i}"))
    names = [c.name for c in ConfigMap.query.namespace(k8s_namespace).page_size(2)]
    # A cluster's root-ca-cert-publisher puts kube-root-ca.crt into every namespace (kind, and ours with workloads).
    assert sorted(set(names) - {"kube-root-ca.crt"}) == [f"cm-{i}" for i in range(7)] and len(names) == len(set(names))


def test_kubeconfig_errors_are_clear(tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = pykorm.Pykorm(kubeconfig=tmp_path / "missing", make_default=False)
    with pytest.raises(pykorm.ConfigurationError, match="cannot load the kubeconfig"):
        session.transport()


def test_to_k8s_is_the_object_as_the_server_stores_it(pk: pykorm.Pykorm, k8s_cluster: Cluster,
                                                      k8s_namespace: str) -> None:
    import kubernetes

    peach = pk.save(Peach(namespace=k8s_namespace, name="stored", variety="Frost", price=2))
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(str(k8s_cluster.kubeconfig), context=k8s_cluster.context,
                                       client_configuration=configuration)
    with kubernetes.client.ApiClient(configuration) as client:  # an independent witness
        witness = kubernetes.client.CustomObjectsApi(client).get_namespaced_custom_object(
            "pykorm.infomaniak.com", "v1", k8s_namespace, "peaches", "stored")

    stored = peach.to_k8s()
    assert stored == witness
    assert {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"} <= set(stored["metadata"])
    assert stored["metadata"]["uid"] == peach.uid and "uid" not in peach.to_dict()["metadata"]
    stored["spec"]["price"] = 9  # a copy: the object is untouched, with nothing to save
    stored["metadata"]["labels"] = {"x": "y"}
    assert peach.price == 2 and peach.original is None and peach.labels == {}
    assert pk.get(Peach, "stored", k8s_namespace).to_k8s() == witness
    peach.price = 3
    assert peach.to_k8s()["spec"]["price"] == 3  # unsaved changes are in it; original is the object as read
    assert peach.original is not None and peach.original["spec"]["price"] == 2
