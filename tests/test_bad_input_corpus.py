"""The bad-input corpus: every public verb and query method, given what a careless or hostile caller passes.

Hostile names (``../x``, ``x/y``, ``""``, ``" "``, 300 characters, unicode, ``%2F``, ``None``, ``0``, objects of
the wrong type), ``None``/empty/huge values, misspelt keywords and lookups, wrong argument combinations. Each
call either does the right thing (the official client witnesses what landed) or raises a clear typed error
that names the mistake, before anything is sent (the session's requests are counted) — never a silent wrong
answer, an ignored argument, or a ``KeyError``/``AttributeError``/``TypeError`` from deep inside.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any, Callable

import kubernetes
import pytest

import pykorm
from pykorm.aio import AsyncPykorm
from pykorm.testing import Cluster

from .helpers import Counting
from .models import Apple, Peach
from .witness import official_client

HOSTILE_NAMES: list[Any] = ["../x", "x/y", "", " ", "a" * 300, "ünïcode", "%2F", ".", "UPPER", "a..b", "-a",
                            None, 0, 3.5, ["a"], Peach]

Call = Callable[[pykorm.Pykorm, str], Any]


def refused(pk: pykorm.Pykorm, call: Callable[[], Any], error: type[BaseException], says: str, *,
            reads: bool = False) -> BaseException:
    """``call()`` raises ``error`` naming ``says``, and no request was sent for it (with ``reads``, no write: a
    write is checked against the schema the server serves, read first)."""
    with Counting(pk) as counting, pytest.raises(error) as raised:
        call()
    assert says in str(raised.value), raised.value
    sent = [call for call in counting.calls if not (reads and call[0] == "GET")]
    assert sent == [], f"sent before refusing: {sent}"
    return raised.value


# -- names, on every verb that takes one ----------------------------------------------------------

NAME_VERBS: dict[str, Callable[[pykorm.Pykorm, str, Any], Any]] = {
    "save": lambda pk, ns, name: pk.save(Peach(namespace=ns, name=name, variety="v")),
    "apply": lambda pk, ns, name: pk.apply(Peach(namespace=ns, name=name, variety="v")),
    "delete": lambda pk, ns, name: pk.delete(Peach(namespace=ns, name=name, variety="v")),
    "refresh": lambda pk, ns, name: pk.refresh(Peach(namespace=ns, name=name, variety="v")),
    "update": lambda pk, ns, name: pk.update(Peach(namespace=ns, name=name, variety="v"), lambda p: None),
    "get": lambda pk, ns, name: pk.get(Peach, name, ns),
    "query.get": lambda pk, ns, name: Peach.query.get(name, namespace=ns),
    "query.get_or_raise": lambda pk, ns, name: Peach.query.get_or_raise(name, namespace=ns),
    "wait_for": lambda pk, ns, name: pk.wait_for(Peach(namespace=ns, name=name, variety="v"), lambda p: True, timeout=1),
    "save in namespace": lambda pk, ns, name: pk.save(Peach(namespace=name, name="ok", variety="v")),
    "query.namespace": lambda pk, ns, name: Peach.query.namespace(name).all(),
}


@pytest.mark.parametrize("verb", list(NAME_VERBS))
def test_a_hostile_name_is_refused_before_anything_is_sent(pk: pykorm.Pykorm, k8s_namespace: str, verb: str) -> None:
    for name in HOSTILE_NAMES:
        if verb == "save in namespace" and name in (None, ""):
            continue  # no namespace: the kubeconfig context's, as the API server reads an empty one
        error = refused(pk, lambda: NAME_VERBS[verb](pk, k8s_namespace, name), pykorm.ClientValidationError, "metadata.")
        assert isinstance(error, pykorm.ClientValidationError) and error.causes, name
        if name is not None and not isinstance(name, str):
            # a name of the wrong type is named as such, not as a missing name
            assert "must be a string" in str(error) and "Required value" not in str(error), error


def test_a_namespace_of_the_wrong_type_is_never_the_contexts(pk: pykorm.Pykorm, k8s_cluster: Cluster) -> None:
    """``namespace=0`` (falsy, not None) was replaced by the kubeconfig's namespace and the object written there."""
    name = f"zero-{secrets.token_hex(3)}"
    for namespace in (0, False, 0.0):
        refused(pk, lambda: pk.save(Peach(namespace=namespace, name=name, variety="v")),
                pykorm.ClientValidationError, "metadata.namespace: Invalid value")
    with official_client(k8s_cluster) as client:
        found = kubernetes.client.CustomObjectsApi(client).list_cluster_custom_object(
            "pykorm.infomaniak.com", "v1", "peaches", field_selector=f"metadata.name={name}")
    assert found["items"] == []


# -- the wrong kind of object where a model or one of its objects is expected ----------------------

@pytest.mark.parametrize("given", [None, "Peach", {"metadata": {"name": "x"}}, 3, Peach], ids=repr)
@pytest.mark.parametrize("verb", ["save", "apply", "delete", "refresh"])
def test_a_verb_given_no_object_says_what_it_wants(pk: pykorm.Pykorm, verb: str, given: Any) -> None:
    error = refused(pk, lambda: getattr(pk, verb)(given), TypeError, "")
    wanted = "pass an instance" if given is Peach else "not bound to a Kubernetes resource"
    assert wanted in str(error), error


@pytest.mark.parametrize("given", [None, "Peach", Peach(namespace="x", name="y", variety="v")], ids=repr)
def test_get_given_no_model_class_says_so(pk: pykorm.Pykorm, given: Any) -> None:
    error = refused(pk, lambda: pk.get(given, "x", "default"), TypeError, "")
    assert "model class is expected" in str(error) or "pass an instance" in str(error) or "not bound" in str(error), error


# -- queries: misspelt, wrongly typed or missing arguments -----------------------------------------

QUERY_MISTAKES: list[tuple[str, Callable[[pykorm.Query[Peach]], Any], type[BaseException], str]] = [
    ("filter: unknown attribute", lambda q: q.filter(varietyy="x").all(), pykorm.ClientValidationError, "varietyy"),
    ("filter: unknown operator", lambda q: q.filter(price__gtt=1).all(), pykorm.ClientValidationError, "gtt"),
    ("filter: a dict given positionally", lambda q: q.filter({"variety": "v"}).all(), pykorm.ClientValidationError, "pykorm.Q"),
    ("filter: a string given positionally", lambda q: q.filter("variety").all(), pykorm.ClientValidationError, "pykorm.Q"),
    ("filter: a form's string for an int", lambda q: q.filter(price="3").all(), pykorm.ClientValidationError, "no object could match"),
    ("filter: an int for a label value", lambda q: q.filter(labels__app=3).all(), pykorm.ClientValidationError, "no object could match"),
    ("filter: __in of None", lambda q: q.filter(price__in=None).all(), pykorm.ClientValidationError, "__in"),
    ("filter: __in of a string", lambda q: q.filter(variety__in="abc").all(), pykorm.ClientValidationError, "__in"),
    ("filter_by: unknown attribute", lambda q: q.filter_by(colour="red").all(), pykorm.ClientValidationError, "colour"),
    ("exclude: unknown attribute", lambda q: q.exclude(colour="red").all(), pykorm.ClientValidationError, "colour"),
    ("Q & a dict", lambda q: q.filter(pykorm.Q(variety="v") & {"price": 1}).all(), TypeError, "unsupported operand"),
    ("order_by: unknown attribute", lambda q: q.order_by("colour").all(), pykorm.ClientValidationError, "colour"),
    ("order_by: None", lambda q: q.order_by(None).all(), pykorm.ClientValidationError, "order_by() takes"),  # type: ignore[arg-type]
    ("order_by: an int", lambda q: q.order_by(3).all(), pykorm.ClientValidationError, "not int 3"),  # type: ignore[arg-type]
    ("order_by: empty", lambda q: q.order_by("").all(), pykorm.ClientValidationError, "cannot resolve"),
    ("values: unknown name", lambda q: q.values("colour"), pykorm.ClientValidationError, "colour"),
    ("values: no names", lambda q: q.values(), pykorm.ClientValidationError, "values() needs the names"),
    ("values: None", lambda q: q.values(None), pykorm.ClientValidationError, "not NoneType"),  # type: ignore[arg-type]
    ("pluck: unknown name", lambda q: q.pluck("colour"), pykorm.ClientValidationError, "colour"),
    ("pluck: None", lambda q: q.pluck(None), pykorm.ClientValidationError, "not NoneType"),  # type: ignore[arg-type]
    ("page: size 0", lambda q: q.page(0), pykorm.ClientValidationError, "page size"),
    ("page: size -1", lambda q: q.page(-1), pykorm.ClientValidationError, "page size"),
    ("page: size as a string", lambda q: q.page("10"), pykorm.ClientValidationError, "page size"),  # type: ignore[arg-type]
    ("page: an empty token", lambda q: q.page(10, ""), pykorm.ClientValidationError, "page token"),
    ("page after order_by", lambda q: q.order_by("name").page(10), pykorm.ClientValidationError, "order_by"),
    ("page after a slice", lambda q: q[:3].page(10), pykorm.ClientValidationError, "slice"),
    ("page_size 0", lambda q: q.page_size(0).all(), pykorm.ClientValidationError, "page_size"),
    ("a negative slice", lambda q: q[-1:], pykorm.ClientValidationError, "non-negative"),
    ("a slice with a step", lambda q: q[::2], pykorm.ClientValidationError, "no step"),
    ("a slice of strings", lambda q: q["a":"b"], TypeError, "slice bounds are integers"),
    ("an index that is a string", lambda q: q["a"], TypeError, "indices are integers or slices"),  # type: ignore[call-overload]
    ("a negative index", lambda q: q[-1], pykorm.ClientValidationError, "negative"),
    ("watch: timeout as a string", lambda q: list(q.watch(timeout="1")), TypeError, "number of seconds"),  # type: ignore[arg-type]
    ("watch: silence 0", lambda q: list(q.watch(timeout=1, silence=0)), ValueError, "silence"),
    ("wait_until: no function", lambda q: q.wait_until(3, timeout=1), TypeError, "function of the objects"),  # type: ignore[arg-type]
    ("update: unknown attribute", lambda q: q.update(colour="red"), pykorm.ClientValidationError, "no field 'colour'"),
    ("update: nothing to set", lambda q: q.update(), pykorm.ClientValidationError, "needs attribute=value"),
    ("update: the name", lambda q: q.update(name="other"), pykorm.ClientValidationError, "read-only"),
    ("label: nothing", lambda q: q.label(), pykorm.ClientValidationError, "needs key=value"),
    ("label: an int value", lambda q: q.label(app=3), pykorm.ClientValidationError, "not int 3"),  # type: ignore[arg-type]
    ("annotate: a list value", lambda q: q.annotate(note=["x"]), pykorm.ClientValidationError, "not list"),  # type: ignore[arg-type]
    ("delete: an unknown propagation policy", lambda q: q.delete(propagation_policy="Bogus"), pykorm.ClientValidationError, "propagation_policy"),
    ("delete matching nothing: an unknown propagation policy", lambda q: q.filter(name="none-such").delete(propagation_policy="bogus"),
     pykorm.ClientValidationError, "propagation_policy"),
    ("owned_by: a string", lambda q: q.owned_by("x").all(), TypeError, "owned_by() takes an object"),  # type: ignore[arg-type]
    ("namespace: a list", lambda q: q.namespace(["a", "b"]).all(), pykorm.ClientValidationError, "must be a string"),  # type: ignore[arg-type]
    ("using: an unknown cluster", lambda q: q.using("nope").all(), pykorm.ConfigurationError, "unknown cluster 'nope'"),
]


def test_a_query_mistake_is_named_before_anything_is_sent(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    pk.save(Peach(namespace=k8s_namespace, name="matching", variety="v", price=1))  # something for bulk verbs to reach
    query = Peach.query.namespace(k8s_namespace)
    wrong = []
    for mistake, call, error, says in QUERY_MISTAKES:
        try:
            refused(pk, lambda: call(query), error, says)
        except BaseException as failure:  # every mistake's outcome, not only the first
            wrong.append(f"{mistake}: {type(failure).__name__}: {failure}")
    assert wrong == []
    assert query.pluck("price") == [1]  # no bulk verb reached the object


def test_a_bulk_update_of_an_unknown_attribute_changes_nothing_matching_or_not(
    pk: pykorm.Pykorm, k8s_namespace: str, k8s_cluster: Cluster
) -> None:
    """``update(colour=...)`` set a plain Python attribute on each object, saved no change and reported every
    object changed; with no object matching it returned an empty result, the misspelling unseen."""
    pk.save(Peach(namespace=k8s_namespace, name="cake", variety="Frost", price=1))
    query = Peach.query.namespace(k8s_namespace)
    for q in (query, query.filter(name="none-such")):
        refused(pk, lambda: q.update(varietty="Redhaven"), pykorm.ClientValidationError, "no field 'varietty'")
    with official_client(k8s_cluster) as client:
        raw = kubernetes.client.CustomObjectsApi(client).get_namespaced_custom_object(
            "pykorm.infomaniak.com", "v1", k8s_namespace, "peaches", "cake")
    assert raw["spec"] == {"variety": "Frost", "price": 1}
    assert [p.variety for p in query.update(variety="Redhaven")] == ["Redhaven"]  # the right name works


def test_the_async_query_refuses_the_same_mistakes(pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str) -> None:
    async def main() -> list[str]:
        said = []
        async with AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context) as apk:
            q = apk.query(Peach).namespace(k8s_namespace)
            for call in (lambda: q.update(colour="red"), lambda: q.values(), lambda: q.label(app=3),
                         lambda: q.page(0), lambda: q.order_by(None).all()):
                with pytest.raises(pykorm.ClientValidationError) as raised:
                    await call()  # type: ignore[no-untyped-call]
                said.append(str(raised.value))
            with pytest.raises(TypeError, match="function of the objects"):
                await q.wait_until(3, timeout=1)  # type: ignore[arg-type]
        return said

    said = asyncio.run(main())
    assert [s.split(":")[0].split(" ")[0] for s in said] == ["update()", "values()", "label()", "a", "order_by()"]


# -- verbs: wrong arguments ----------------------------------------------------------------------

def test_session_verbs_name_their_wrong_arguments(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    peach = Peach(namespace=k8s_namespace, name="applied", variety="v")
    refused(pk, lambda: pk.apply(peach, field_manager=""), pykorm.ClientValidationError, "field_manager")
    refused(pk, lambda: pk.apply(peach, field_manager="x" * 129), pykorm.ClientValidationError, "field_manager")
    refused(pk, lambda: pk.apply(peach, field_manager=3), pykorm.ClientValidationError, "field_manager")  # type: ignore[arg-type]
    refused(pk, lambda: pk.update(peach, 3), TypeError, "takes a function")  # type: ignore[arg-type]
    refused(pk, lambda: pk.wait_for(peach, "ready", timeout=1), TypeError, "function of the object")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'field_manger'"):
        pk.apply(peach, field_manger="me")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'varietyy'"):
        Peach(namespace=k8s_namespace, name="x", varietyy="v")  # type: ignore[call-arg]


def test_none_empty_and_huge_values(pk: pykorm.Pykorm, k8s_namespace: str, k8s_cluster: Cluster) -> None:
    refused(pk, lambda: pk.save(Peach(namespace=k8s_namespace, name="no-variety", variety=None)),
            pykorm.ClientValidationError, "spec.variety: Required value", reads=True)
    refused(pk, lambda: pk.save(Peach(namespace=k8s_namespace, name="bool-price", variety="v", price=True)),
            pykorm.ClientValidationError, "spec.price", reads=True)
    with pytest.raises(pykorm.RequestTooLarge):
        pk.save(Peach(namespace=k8s_namespace, name="huge", variety="x" * 4_000_000))
    refused(pk, lambda: pk.save(Peach(namespace=k8s_namespace, name="empty", variety="")),
            pykorm.ClientValidationError, "spec.variety: Invalid value: should be at least 1 chars long", reads=True)
    unlabelled = pk.save(Peach(namespace=k8s_namespace, name="unlabelled", variety="v", labels={}, annotations=None))
    with official_client(k8s_cluster) as client:
        api = kubernetes.client.CustomObjectsApi(client)
        items = api.list_namespaced_custom_object("pykorm.infomaniak.com", "v1", k8s_namespace, "peaches")["items"]
    assert [(i["metadata"]["name"], i["metadata"].get("labels"), i["spec"]) for i in items] == [
        (unlabelled.name, None, {"variety": "v"})]


# -- the original pykorm's paths ------------------------------------------------------------------

class AtScore(pykorm.models.NestedField):  # the original pykorm's earlier name for Nested
    exterior: int = pykorm.fields.DataField("exterior")


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "apples", kind="Apple")
class AtApple(pykorm.ClusterModel):
    variety: str = pykorm.fields.Spec("variety", "default-variety")
    score: AtScore = pykorm.fields.DictNestedField(AtScore, path="spec@score")


def test_an_at_separated_path_is_the_path_it_names(pk: pykorm.Pykorm, k8s_cluster: Cluster) -> None:
    """The original pykorm's later releases wrote paths as ``"spec@score"``: it was read as one key named
    ``spec@score`` at the top level, which the server pruned, with only a warning."""
    assert AtApple._fields["score"].path == ("spec", "score")
    assert pykorm.fields.Spec("a@b.c").path == ("spec", "a", "b.c")  # with an @, dots are part of keys
    assert pykorm.fields.ListNestedField is pykorm.fields.ListField and pykorm.models.NestedField is pykorm.models.Nested
    name = f"at-{secrets.token_hex(3)}"
    apple = pk.save(AtApple(name=name, score=AtScore(exterior=7)))
    try:
        with official_client(k8s_cluster) as client:
            raw = kubernetes.client.CustomObjectsApi(client).get_cluster_custom_object("pykorm.infomaniak.com", "v1", "apples", name)
        assert raw["spec"] == {"variety": "default-variety", "score": {"exterior": 7}}
        assert Apple.query.get(name).score.exterior == 7
    finally:
        pk.delete(apple)


class NotAModel:
    pass


def test_more_verbs_name_their_wrong_arguments(pk: pykorm.Pykorm, k8s_namespace: str, k8s_cluster: Cluster) -> None:
    """Each was sent and refused by the server (a propagation policy), raised from deep inside (a timeout of the
    wrong type, pykorm.resource(None)), ended a thread (pk.cache of a class that is no model), or did nothing and
    said nothing (save_status of a new object; a bulk delete matching nothing)."""
    from pykorm.k8s import Pod

    saved = pk.save(Peach(namespace=k8s_namespace, name="kept", variety="v"))
    refused(pk, lambda: pk.delete(saved, propagation_policy="Bogus"), pykorm.ClientValidationError, "propagation_policy")
    refused(pk, lambda: pk.delete(saved, grace_period_seconds=-1), pykorm.ClientValidationError, "grace_period_seconds")
    refused(pk, lambda: pk.delete(saved, wait=True, timeout="x"), TypeError, "number of seconds")  # type: ignore[arg-type]
    new = Peach(namespace=k8s_namespace, name="never-saved", variety="v", ripeness="ripe")
    refused(pk, lambda: pk.save_status(new), pykorm.ClientValidationError, "save() it first")
    refused(pk, lambda: pk.logs(saved), pykorm.ClientValidationError, "logs are read from a Pod's containers, not from a Peach")
    refused(pk, lambda: pk.scale(saved, -1), pykorm.ClientValidationError, "replicas")
    refused(pk, lambda: pk.logs(Pod(namespace=k8s_namespace, name="p"), tail_lines=-1), pykorm.ClientValidationError, "tail_lines")
    refused(pk, lambda: pykorm.resource(None), pykorm.ClientValidationError, "a resource is named by")  # type: ignore[arg-type]
    refused(pk, lambda: pk.install_crds(None), pykorm.ClientValidationError, "a CRD manifest is")  # type: ignore[arg-type]
    refused(pk, lambda: pk.cache(NotAModel), TypeError, "not bound to a Kubernetes resource")  # type: ignore[type-var]
    with pytest.raises(pykorm.ClientValidationError, match="field_manager"):
        pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, field_manager="", make_default=False)
    with pytest.raises(TypeError, match="retries is a pykorm.RetryPolicy"):
        pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, retries=3, make_default=False)  # type: ignore[arg-type]
    with official_client(k8s_cluster) as client:
        items = kubernetes.client.CustomObjectsApi(client).list_namespaced_custom_object(
            "pykorm.infomaniak.com", "v1", k8s_namespace, "peaches")["items"]
    assert [i["metadata"]["name"] for i in items] == ["kept"]
