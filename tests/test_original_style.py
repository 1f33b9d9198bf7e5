"""Code written for the original pykorm (0.60), in its own style, runs unchanged.

Module-level models whose annotations are documentation (``price: str`` for an integer), a ``pk``
fixture that makes ``Pykorm()`` from the environment's kubeconfig, tests that query before any
session exists, mixins holding nested fields, built-in kinds with no fields, a list at a top-level
path that the CRD does not declare.
"""

from __future__ import annotations

import datetime
import warnings
from typing import Any, Iterator

import pytest

import pykorm
from pykorm.testing import Cluster


class Score(pykorm.models.Nested):
    exterior: int = pykorm.fields.DataField("exterior")
    delicious: int = pykorm.fields.DataField("delicious", 10)


class ScoreMixin:
    score: Score = pykorm.fields.DictNestedField(Score, path=["spec", "score"])


@pykorm.k8s_custom_object("compat.pykorm.io", "v1", "apples")
class Apple(ScoreMixin, pykorm.ClusterModel):
    variety: str = pykorm.fields.Spec("variety", "default-variety")
    price: str = pykorm.fields.Spec("price", 1)  # the CRD says integer: the annotation only documents
    scores: list[Score] = pykorm.fields.ListField(Score, path=["scores"])  # a top-level path the CRD lacks


@pykorm.k8s_custom_object("compat.pykorm.io", "v1", "peaches")
class Peach(pykorm.NamespacedModel):
    variety: str = pykorm.fields.Spec("variety")

    def __init__(self, namespace: str, name: str, variety: str):
        self.namespace = namespace
        self.name = name
        self.variety = variety


@pykorm.pykorm.k8s_core(kind="Namespace")
class Namespace(pykorm.models.ClusterModel):
    pass


@pykorm.pykorm.k8s_core(kind="Pod")
class Pod(pykorm.models.NamespacedModel):
    pass


def _crd(plural: str, kind: str, scope: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.compat.pykorm.io"},
        "spec": {
            "group": "compat.pykorm.io",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
            "scope": scope,
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                "type": "object", "properties": {"spec": spec}}}}],
        },
    }


APPLE_CRD = _crd("apples", "Apple", "Cluster", {"type": "object", "properties": {
    "variety": {"type": "string"},
    "price": {"type": "integer"},
    "score": {"type": "object", "properties": {"exterior": {"type": "integer"}, "delicious": {"type": "integer"}}},
}})
PEACH_CRD = _crd("peaches", "Peach", "Namespaced", {"type": "object", "properties": {"variety": {"type": "string"}}})


@pytest.fixture(scope="module", autouse=True)
def environment(k8s_cluster: Cluster) -> Iterator[None]:
    """What an original pykorm user has: CRDs installed, a kubeconfig in $KUBECONFIG, no session yet."""
    if k8s_cluster.kubeconfig is None or k8s_cluster.context:
        pytest.skip("these tests use $KUBECONFIG's current context, as the original pykorm's did")
    pykorm.testing.install_crds(k8s_cluster, APPLE_CRD, PEACH_CRD)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBECONFIG", str(k8s_cluster.kubeconfig))
        pykorm.set_default_session(None)
        yield
    pykorm.set_default_session(None)


@pytest.fixture
def pk() -> Iterator[pykorm.Pykorm]:
    pk = pykorm.Pykorm()
    yield pk
    for apple in Apple.query.all():
        pk.delete(apple)


def test_a_query_before_any_session(k8s_namespace: str) -> None:
    pykorm.set_default_session(None)
    assert Apple.query.all() == []
    assert Peach.query.filter_by(namespace=k8s_namespace).all() == []


def test_create_list_delete_with_an_annotation_that_disagrees_with_the_crd(pk: pykorm.Pykorm) -> None:
    apple = Apple(name="cripps", variety="Pink Lady", score=Score(exterior=3))
    pk.save(apple)
    [listed] = Apple.query.all()
    assert (listed.name, listed.variety, listed.price, listed.score.exterior, listed.score.delicious) == (
        "cripps", "Pink Lady", 1, 3, 10
    )
    listed.price = 5  # an int, as the CRD wants, whatever the annotation says
    pk.save(listed)
    assert Apple.query.get("cripps").price == 5
    listed.price = "expensive"  # the server would refuse it: so does pykorm, with the server's path
    with pytest.raises(pykorm.ClientValidationError) as caught:
        pk.save(listed)
    assert [c.field for c in caught.value.causes] == ["spec.price"]
    pk.delete(listed)
    assert Apple.query.all() == []


def test_apply_of_a_field_the_crd_does_not_declare(pk: pykorm.Pykorm) -> None:
    apple = Apple(name="granny", scores=[Score(exterior=1)], score=Score(exterior=2))
    with pytest.warns(pykorm.PrunedFieldsWarning, match="scores"):
        pk.apply(apple)
    stored = Apple.query.get("granny")
    assert stored.score.exterior == 2 and stored.scores == []
    apple = Apple.query.get("granny")
    apple.variety = "Granny Smith"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pykorm.PrunedFieldsWarning)
        pk.apply(apple)
    assert Apple.query.get("granny").variety == "Granny Smith"


def test_save_prunes_as_the_server_does_and_filters_on_an_absent_list(pk: pykorm.Pykorm) -> None:
    pk.save(Apple(name="fuji", scores=[Score(exterior=9)], score=Score(exterior=1)))
    assert Apple.query.get("fuji").scores == []
    assert Apple.query.filter(scores__exterior=9).all() == []
    assert [a.name for a in Apple.query.filter(score__exterior=1).all()] == ["fuji"]


def test_name_is_set_once(pk: pykorm.Pykorm) -> None:
    apple = Apple(name=None)
    apple.name = "gala"
    with pytest.raises(pykorm.ReadOnlyException):
        apple.name = "other"
    pk.save(apple)
    assert apple.created_at is not None
    with pytest.raises(pykorm.ReadOnlyException):
        apple.created_at = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    with pytest.raises(pykorm.ReadOnlyException):
        apple._k8s_uid = "another-uid"
    assert apple._k8s_uid == apple.uid


def test_k8s_dict_and_field_methods() -> None:
    apple = Apple(name="braeburn", score=Score(exterior=4))
    assert apple._k8s_dict == {
        "apiVersion": "compat.pykorm.io/v1", "kind": "Apple",
        "metadata": {"name": "braeburn", "labels": {}, "annotations": {}},
        "spec": {"variety": "default-variety", "price": 1, "score": {"exterior": 4, "delicious": 10}},
        "scores": [],
    }
    assert apple.to_dict() == apple._k8s_dict
    assert pykorm.fields.Metadata("foo").to_dict("42") == {"metadata": {"foo": "42"}}
    assert pykorm.fields.DictNestedField(Score, path="obj").to_dict(Score(exterior=1)) == {
        "obj": {"exterior": 1, "delicious": 10}
    }
    assert pykorm.fields.ListField(Score, path="objs").to_dict([Score(exterior=1), Score(exterior=2)]) == {
        "objs": [{"exterior": 1, "delicious": 10}, {"exterior": 2, "delicious": 10}]
    }
    field = Apple._fields["score"]
    assert field.fullpath == ["spec", "score"]
    read = field.get_data({"spec": {"score": {"exterior": 7}}})
    assert isinstance(read, Score) and (read.exterior, read.delicious) == (7, 10)
    scores = Apple._fields["scores"].get_data({"scores": [{"exterior": 1}]})
    assert [s.exterior for s in scores] == [1]
    assert Apple._fields["variety"].get_data({}) == "default-variety"


def test_a_field_subclass_with_processors() -> None:
    class Upper(pykorm.fields.DataField):
        def preprocessor(self, value: Any) -> Any:
            return value.upper()

        def postprocessor(self, value: Any) -> Any:
            return value.lower() if isinstance(value, str) else value

    class Thing(pykorm.models.Nested):
        code: str = Upper("code")

    thing = Thing(code="ab")
    assert thing._raw == {"code": "AB"} and thing.code == "ab"
    assert Thing._fields["code"].to_dict("x") == {"code": "X"}


def test_own_init_get_by_name_after_filter_by(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    pk.save(Peach(k8s_namespace, "cake-peach", "Frost"))
    peach = Peach.query.filter_by(namespace=k8s_namespace, name="cake-peach").get("cake-peach")
    assert peach is not None and peach.variety == "Frost"
    assert [p.name for p in Peach.query.filter_by(namespace=k8s_namespace).all()] == ["cake-peach"]
    pk.delete(peach)


def test_built_in_kinds_with_no_fields(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    names = {ns.name for ns in Namespace.query.all()}
    assert {"default", k8s_namespace} <= names
    assert Pod.query.filter_by(namespace=k8s_namespace).all() == []


def test_a_pykorm_per_test_replaces_the_default(k8s_namespace: str) -> None:
    first, second = pykorm.Pykorm(), pykorm.Pykorm()
    assert first is not second
    assert pykorm._session.session.default_session() is second
    assert Peach.query.filter_by(namespace=k8s_namespace).all() == []
