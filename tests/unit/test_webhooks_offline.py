"""pykorm.webhooks without a cluster: JSON patches, reviews (good, malformed, hostile), conversions
(round trips of every pair, kept fields, three versions), manifests, and the HTTPS server on loopback."""

from __future__ import annotations

import base64
import copy
import http.client
import json
import ssl
import time
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pykorm
from pykorm._base.patch import json_patch
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.webhooks import ANNOTATION_PREFIX, Denied, WebhookServer, Webhooks, self_signed
from pykorm.webhooks._admission import reasons_of

pytestmark = pytest.mark.unit

GROUP = "offline.webhooks.pykorm.io"


@pykorm.k8s_custom_object(GROUP, "v1", "gadgets", kind="Gadget")
class GadgetV1(pykorm.NamespacedModel):
    colour: str | None = pykorm.Spec("colour", default=None)
    size: str = pykorm.Spec("size", default="small")


@pykorm.k8s_custom_object(GROUP, "v2", "gadgets", kind="Gadget")
class GadgetV2(pykorm.NamespacedModel):
    colour: str | None = pykorm.Spec("colour", default=None)
    count: int = pykorm.Spec("count", default=1)
    tags: list[str] = pykorm.Spec("tags", default_factory=list)
    ready: bool | None = pykorm.Status("ready", default=None)


@pykorm.k8s_custom_object(GROUP, "v3", "gadgets", kind="Gadget")
class GadgetV3(pykorm.NamespacedModel):
    paint: dict[str, str] = pykorm.Spec("paint", default_factory=dict)
    count: int = pykorm.Spec("count", default=1)


def gadget_app() -> Webhooks:
    """v2 is the hub; v1 and v3 spokes."""
    app = Webhooks("gadgets")

    @app.convert(GadgetV1, GadgetV2)
    def v1_v2(src: GadgetV1, dst: GadgetV2) -> None:
        dst.colour = src.colour
        dst.count = 3 if src.size == "large" else 1

    @app.convert(GadgetV2, GadgetV1)
    def v2_v1(src: GadgetV2, dst: GadgetV1) -> None:
        dst.colour = src.colour
        dst.size = "large" if src.count > 1 else "small"

    @app.convert(GadgetV3, GadgetV2)
    def v3_v2(src: GadgetV3, dst: GadgetV2) -> None:
        dst.colour = src.paint.get("colour")
        dst.count = src.count

    @app.convert(GadgetV2, GadgetV3)
    def v2_v3(src: GadgetV2, dst: GadgetV3) -> None:
        if src.colour is not None:
            dst.paint = {"colour": src.colour}
        dst.count = src.count

    return app


def conversion(app: Webhooks, objects: list[Any], version: str) -> dict[str, Any]:
    review = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
              "request": {"uid": "u-1", "desiredAPIVersion": f"{GROUP}/{version}", "objects": objects}}
    status, answer = app.handle("/convert", json.dumps(review).encode())
    assert status == 200, answer
    response: dict[str, Any] = answer["response"]
    assert response["uid"] == "u-1"
    return response


def converted(app: Webhooks, obj: dict[str, Any], version: str) -> dict[str, Any]:
    response = conversion(app, [obj], version)
    assert response["result"] == {"status": "Success"}, response
    result: dict[str, Any] = response["convertedObjects"][0]
    return result


def gadget(version: str, spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/{version}", "kind": "Gadget",
            "metadata": {"name": "g", "namespace": "ns", "uid": "1234", "resourceVersion": "7", **metadata},
            "spec": spec}


# -- JSON patch ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["a", "b/c", "~d", "e"]), children,
                                                                          max_size=3),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b/c", "~d", "e"]), json_values, max_size=4),
       st.dictionaries(st.sampled_from(["a", "b/c", "~d", "e"]), json_values, max_size=4))
def test_json_patch_turns_old_into_new(old: dict[str, Any], new: dict[str, Any]) -> None:
    patch = json_patch(old, new)
    assert jsonpatch.apply_patch(copy.deepcopy(old), patch) == new  # an independent RFC 6902 implementation
    assert (patch == []) == (json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True))


def test_json_patch_tells_true_from_one_and_escapes_keys() -> None:
    assert json_patch({"a": 1}, {"a": True}) == [{"op": "replace", "path": "/a", "value": True}]
    assert json_patch({}, {"x/y~z": 1}) == [{"op": "add", "path": "/x~1y~0z", "value": 1}]


# -- admission ----------------------------------------------------------------------------


def review(operation: str, obj: dict[str, Any] | None, old: dict[str, Any] | None = None, **request: Any) -> bytes:
    kind = {"group": "", "version": "v1", "kind": "ConfigMap"}
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "r-1", "operation": operation, "kind": kind, "namespace": "ns", "name": "cm", "object": obj,
        "oldObject": old, "userInfo": {"username": "alice", "groups": ["devs"]}, "dryRun": False, **request}}).encode()


def configmap(**data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"}, "data": data}


def test_validating_functions_get_the_object_the_old_one_and_the_request() -> None:
    app = Webhooks("cms")
    seen: list[Any] = []

    @app.validate(ConfigMap, operations=["CREATE", "UPDATE", "DELETE"])
    def check(cm: ConfigMap, old: ConfigMap | None, request: Any) -> Any:
        seen.append((request.operation, cm.data, old.data if old is not None else None, request.user, request.groups))
        if "bad" in cm.data and request.operation != "DELETE":
            return {"data.bad": "no bad keys"}
        if request.operation == "DELETE" and "keep" in cm.data:
            raise Denied("kept", code=403)
        request.warn("looked at it")
        return None

    path = "/validate/core/v1/configmaps"
    status, answer = app.handle(path, review("CREATE", configmap(bad="1")))
    response = answer["response"]
    assert status == 200 and response["uid"] == "r-1" and response["allowed"] is False
    assert response["status"]["code"] == 422 and response["status"]["reason"] == "Invalid"
    assert response["status"]["details"]["causes"] == [{"field": "data.bad", "message": "no bad keys",
                                                        "reason": "FieldValueInvalid"}]
    _, answer = app.handle(path, review("UPDATE", configmap(a="2"), configmap(a="1")))
    assert answer["response"] == {"uid": "r-1", "allowed": True, "warnings": ["looked at it"]}
    _, answer = app.handle(path, review("DELETE", None, configmap(keep="1")))
    assert answer["response"]["allowed"] is False and answer["response"]["status"]["code"] == 403
    assert answer["response"]["status"]["reason"] == "Forbidden" and answer["response"]["status"]["message"] == "kept"
    assert seen == [("CREATE", {"bad": "1"}, None, "alice", ("devs",)), ("UPDATE", {"a": "2"}, {"a": "1"}, "alice", ("devs",)),
                    ("DELETE", {"keep": "1"}, None, "alice", ("devs",))]


def test_operations_not_asked_for_do_not_run_the_function() -> None:
    app = Webhooks("cms")

    @app.validate(ConfigMap, operations=["DELETE"])
    def never_on_create(cm: ConfigMap) -> str:
        return "refused"

    @app.validate(ConfigMap)
    def on_create(cm: ConfigMap) -> None:
        return None

    _, answer = app.handle("/validate/core/v1/configmaps", review("CREATE", configmap()))
    assert answer["response"]["allowed"] is True
    rules = app.manifests()[0]["webhooks"][0]["rules"]
    assert rules[0]["operations"] == ["CREATE", "DELETE", "UPDATE"]


def test_defaulting_answers_a_json_patch_of_the_changes_only() -> None:
    app = Webhooks("cms")

    @app.default(ConfigMap)
    def stamp(cm: ConfigMap) -> None:
        cm.data["stamped"] = "yes"
        cm.labels["team"] = "a/b"

    sent = configmap(a="1")
    _, answer = app.handle("/mutate/core/v1/configmaps", review("CREATE", sent))
    response = answer["response"]
    assert response["allowed"] is True and response["patchType"] == "JSONPatch"
    patch = json.loads(base64.b64decode(response["patch"]))
    patched = jsonpatch.apply_patch(sent, patch)
    assert patched["data"] == {"a": "1", "stamped": "yes"} and patched["metadata"]["labels"] == {"team": "a/b"}

    nothing = Webhooks("noop")

    @nothing.default(ConfigMap)
    def keep(cm: ConfigMap) -> None:
        cm.data["a"] = "1"  # the value it has already

    _, answer = nothing.handle("/mutate/core/v1/configmaps", review("CREATE", configmap(a="1")))
    assert answer["response"] == {"uid": "r-1", "allowed": True}


def test_a_function_that_raises_refuses_with_a_clear_message(caplog: pytest.LogCaptureFixture) -> None:
    app = Webhooks("cms")

    @app.validate(ConfigMap)
    def broken(cm: ConfigMap) -> None:
        raise KeyError("nope")

    @app.default(ConfigMap)
    def returns_junk(cm: ConfigMap) -> int:
        return 3

    _, answer = app.handle("/validate/core/v1/configmaps", review("CREATE", configmap()))
    status = answer["response"]["status"]
    assert answer["response"]["allowed"] is False and status["code"] == 500 and status["reason"] == "InternalError"
    assert "broken failed: KeyError: 'nope'" in status["message"]
    assert "broken failed on CREATE ns/cm" in caplog.text
    _, answer = app.handle("/mutate/core/v1/configmaps", review("CREATE", configmap()))
    assert "returns_junk failed: TypeError" in answer["response"]["status"]["message"]


@pytest.mark.parametrize("body, status", [
    (b"", 400), (b"{not json", 400), (b"\xff\xfe", 400), (b"[]", 400), (b"null", 400),
    (b'{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "x"}}', 400),
    (b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}', 400),
    (b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": 5}}', 400),
])
def test_malformed_reviews_get_400(body: bytes, status: int) -> None:
    app = Webhooks("cms")
    app.validate(ConfigMap)(lambda cm: None)
    got, answer = app.handle("/validate/core/v1/configmaps", body)
    assert got == status and "error" in answer
    assert app.handle("/nowhere", body)[0] == 404


@pytest.mark.parametrize("request_part", [
    {"object": None},                                       # nothing to admit
    {"object": [1, 2]},                                     # not an object
    {"kind": {"group": "apps", "version": "v1", "kind": "Deployment"}},  # another kind than the endpoint's
    {"kind": "ConfigMap"},
])
def test_reviews_that_make_no_sense_are_refused_not_crashed_on(request_part: dict[str, Any]) -> None:
    app = Webhooks("cms")
    app.validate(ConfigMap)(lambda cm: None)
    body = json.loads(review("CREATE", configmap()))
    body["request"].update(request_part)
    status, answer = app.handle("/validate/core/v1/configmaps", json.dumps(body).encode())
    assert status == 200 and answer["response"]["allowed"] is False
    assert answer["response"]["status"]["code"] == 400


def test_reasons_take_every_shape() -> None:
    assert reasons_of(None) == () and reasons_of("") == () and reasons_of([]) == () and reasons_of({}) == ()
    assert [str(r) for r in reasons_of("no")] == ["no"]
    assert [str(r) for r in reasons_of(["a", ("spec.x", "b")])] == ["a", "spec.x: b"]
    assert [str(r) for r in reasons_of({"spec.y": "c"})] == ["spec.y: c"]
    assert [str(r) for r in reasons_of(pykorm.FieldError("f", "m"))] == ["f: m"]
    with pytest.raises(TypeError):
        reasons_of(42)
    with pytest.raises(TypeError):
        reasons_of([3])
    assert str(Denied("too big", field="spec.size")) == "spec.size: too big"
    with pytest.raises(ValueError):
        Denied("x", code=200)


def test_registration_refuses_what_cannot_be_served() -> None:
    app = Webhooks("cms")
    with pytest.raises(TypeError, match="DELETE"):
        app.default(ConfigMap, operations=["DELETE"])
    with pytest.raises(TypeError, match="operations"):
        app.validate(ConfigMap, operations=["PATCH"])
    with pytest.raises(TypeError, match="failure_policy"):
        app.validate(ConfigMap, failure_policy="Retry")
    with pytest.raises(TypeError, match="timeout_seconds"):
        app.validate(ConfigMap, timeout_seconds=31)
    app.validate(ConfigMap, failure_policy="Ignore")(lambda cm: None)
    with pytest.raises(TypeError, match="must agree"):
        app.validate(ConfigMap, failure_policy="Fail")(lambda cm: None)
    with pytest.raises(ValueError):
        Webhooks("Not A Name")
    with pytest.raises(TypeError, match="built-in"):
        app.convert(ConfigMap, ConfigMap)


def test_manifests_carry_rules_policies_selectors_and_the_ca() -> None:
    app = Webhooks("cms", namespace="ops", service="hooks", port=8443)
    app.validate(ConfigMap, failure_policy="Ignore", timeout_seconds=3, side_effects="NoneOnDryRun",
                 object_selector={"matchLabels": {"checked": "yes"}})(lambda cm: None)
    app.default(GadgetV2, namespace_selector={"matchLabels": {"team": "a"}})(lambda g: None)
    validating, mutating = app.manifests(ca_bundle=b"PEM")
    webhook = validating["webhooks"][0]
    assert validating["kind"] == "ValidatingWebhookConfiguration" and validating["metadata"]["name"] == "cms"
    assert webhook["clientConfig"] == {"service": {"namespace": "ops", "name": "hooks", "path": "/validate/core/v1/configmaps",
                                                   "port": 8443}, "caBundle": base64.b64encode(b"PEM").decode()}
    assert webhook["rules"] == [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                                 "resources": ["configmaps"], "scope": "Namespaced"}]
    assert (webhook["failurePolicy"], webhook["timeoutSeconds"], webhook["sideEffects"]) == ("Ignore", 3, "NoneOnDryRun")
    assert webhook["objectSelector"] == {"matchLabels": {"checked": "yes"}} and "namespaceSelector" not in webhook
    assert webhook["admissionReviewVersions"] == ["v1"] and webhook["matchPolicy"] == "Equivalent"
    gadgets = mutating["webhooks"][0]
    assert gadgets["rules"][0]["apiGroups"] == [GROUP] and gadgets["namespaceSelector"] == {"matchLabels": {"team": "a"}}
    scoped = app.manifests(url="https://127.0.0.1:9443", namespace_selector={"matchLabels": {"x": "y"}}, name="t-1")
    assert {c["metadata"]["name"] for c in scoped} == {"t-1"}
    assert all(w["namespaceSelector"] == {"matchLabels": {"x": "y"}} for c in scoped for w in c["webhooks"])
    assert scoped[0]["webhooks"][0]["clientConfig"] == {"url": "https://127.0.0.1:9443/validate/core/v1/configmaps"}


# -- conversion ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(colour=st.none() | st.text(min_size=1, max_size=8), count=st.integers(0, 9),
       tags=st.lists(st.text(max_size=4), max_size=3), ready=st.none() | st.booleans(),
       labels=st.dictionaries(st.sampled_from(["a", "b"]), st.text(max_size=3), max_size=2))
def test_every_pair_round_trips_exactly(colour: str | None, count: int, tags: list[str], ready: bool | None,
                                        labels: dict[str, str]) -> None:
    app = gadget_app()
    spec: dict[str, Any] = {"count": count, "tags": tags}
    if colour is not None:
        spec["colour"] = colour
    hub = gadget("v2", spec, labels=labels)
    if ready is not None:
        hub["status"] = {"ready": ready}
    v1 = converted(app, hub, "v1")
    v3 = converted(app, hub, "v3")
    for version, obj in (("v1", v1), ("v3", v3)):  # each spoke -> hub, and between spokes, back and forth
        assert converted(app, obj, "v2") == hub
        assert obj["metadata"]["uid"] == "1234" and obj["metadata"].get("labels", {}) == labels
    assert converted(app, converted(app, v1, "v3"), "v1") == v1
    assert converted(app, converted(app, v3, "v1"), "v3") == v3
    assert converted(app, converted(app, v1, "v3"), "v2") == hub
    for version in ("v1", "v3"):  # objects made in a spoke (no annotation) round-trip through the others
        made = gadget(version, {"colour": "red", "size": "large"} if version == "v1" else {"paint": {"colour": "red"}, "count": 4})
        for other in ("v1", "v2", "v3"):
            assert converted(app, converted(app, made, other), version) == made


def test_what_a_version_cannot_hold_is_kept_in_an_annotation_and_a_change_through_it_wins() -> None:
    app = gadget_app()
    hub = gadget("v2", {"colour": "blue", "count": 5, "tags": ["x"]})
    v1 = converted(app, hub, "v1")
    assert v1["spec"] == {"colour": "blue", "size": "large"}
    kept = json.loads(v1["metadata"]["annotations"][ANNOTATION_PREFIX + "v2"])
    assert {"path": ["spec", "count"], "value": 5, "converted": 3} in kept
    assert {"path": ["spec", "tags"], "value": ["x"]} in kept or {"path": ["spec", "tags"], "value": ["x"], "converted": []} in kept
    changed = copy.deepcopy(v1)
    changed["spec"]["size"] = "small"  # through v1: one instance now
    changed["spec"]["colour"] = "green"
    back = converted(app, changed, "v2")
    assert back["spec"] == {"colour": "green", "count": 1, "tags": ["x"]}  # the change wins; tags kept
    assert "annotations" not in back["metadata"]
    defaced = copy.deepcopy(v1)
    defaced["metadata"]["annotations"][ANNOTATION_PREFIX + "v2"] = "{not json"
    assert converted(app, defaced, "v2")["spec"] == {"colour": "blue", "count": 3}


def test_a_list_converts_every_object_in_order_and_a_failure_is_a_failure_result() -> None:
    app = gadget_app()
    objects = [gadget("v1", {"size": "large"}, name=f"g{i}") for i in range(5)] + [gadget("v2", {"count": 1}, name="h")]
    response = conversion(app, objects, "v3")
    assert [o["metadata"]["name"] for o in response["convertedObjects"]] == ["g0", "g1", "g2", "g3", "g4", "h"]
    assert {o["apiVersion"] for o in response["convertedObjects"]} == {f"{GROUP}/v3"}
    unknown = conversion(app, [gadget("v9", {})], "v1")
    assert unknown["result"]["status"] == "Failure" and "v9" in unknown["result"]["message"]
    assert unknown["convertedObjects"] == []
    other = conversion(app, [{"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {}}], "v1")
    assert other["result"]["status"] == "Failure"

    broken = Webhooks("broken")

    @broken.convert(GadgetV1, GadgetV2)
    def up(src: GadgetV1, dst: GadgetV2) -> None:
        raise ZeroDivisionError("bad maths")

    broken.convert(GadgetV2, GadgetV1)(lambda src, dst: None)
    failed = conversion(broken, [gadget("v1", {})], "v2")
    assert failed["result"]["status"] == "Failure"
    assert "up" in failed["result"]["message"] and "ZeroDivisionError: bad maths" in failed["result"]["message"]
    for body in (b"{}", b"[1]", b"nope", json.dumps({"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                                                    "request": {"uid": "u", "objects": "x"}}).encode()):
        status, answer = app.handle("/convert", body)
        assert status == 400 or answer["response"]["result"]["status"] == "Failure"


def test_a_huge_object_converts() -> None:
    app = gadget_app()
    hub = gadget("v2", {"count": 2, "tags": ["t" * 1000] * 1500})  # 1.5 MB, etcd's limit
    started = time.perf_counter()
    assert converted(app, converted(app, hub, "v1"), "v2") == hub
    print(f"1.5 MB object v2 -> v1 -> v2: {time.perf_counter() - started:.3f} s")


def test_an_incomplete_hub_is_refused_with_what_is_missing() -> None:
    app = Webhooks("partial")
    app.convert(GadgetV1, GadgetV2)(lambda s, d: None)
    app.convert(GadgetV3, GadgetV2)(lambda s, d: None)
    with pytest.raises(TypeError, match="missing: v2 -> v1, v2 -> v3"):
        app.check()
    with pytest.raises(TypeError, match="already registered"):
        app.convert(GadgetV1, GadgetV2)(lambda s, d: None)
    with pytest.raises(TypeError, match="the same version"):
        app.convert(GadgetV1, GadgetV1)(lambda s, d: None)


def test_the_crd_gets_the_conversion_stanza() -> None:
    app = gadget_app()
    (crd,) = app.crds(url="https://127.0.0.1:1234", ca_bundle=b"CA")
    assert [v["name"] for v in crd["spec"]["versions"]] == ["v1", "v2", "v3"]
    assert crd["spec"]["conversion"] == {"strategy": "Webhook", "webhook": {
        "clientConfig": {"url": "https://127.0.0.1:1234/convert", "caBundle": base64.b64encode(b"CA").decode()},
        "conversionReviewVersions": ["v1"]}}
    assert app.conversion(ConfigMap) is None


def test_pykorm_crd_writes_the_conversion_stanza(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pykorm._tools.cli import main

    example = Path(__file__).resolve().parents[2] / "examples" / "webhooks" / "databases.py"
    (tmp_path / "ca.crt").write_bytes(b"CA PEM")
    assert main(["crd", "--webhooks", f"{example}:webhooks", "--ca-file", str(tmp_path / "ca.crt"), str(example)]) == 0
    out = capsys.readouterr().out
    assert "strategy: Webhook" in out and "path: /convert" in out and base64.b64encode(b"CA PEM").decode() in out
    assert main(["webhook", "manifests", f"{example}:webhooks", "--url", "https://hooks.example.com"]) == 0
    out = capsys.readouterr().out
    assert "kind: ValidatingWebhookConfiguration" in out and "kind: MutatingWebhookConfiguration" in out
    assert "url: https://hooks.example.com/validate/webhooks.example.pykorm.io/v2/databases" in out
    assert main(["webhook", "manifests", f"{example}:nothing"]) == 1


# -- the server, on loopback --------------------------------------------------------------


def _connection(server: WebhookServer, ca: bytes) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cadata=ca.decode())
    return http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)


def test_the_server_answers_reviews_health_and_bad_requests(tmp_path: Path) -> None:
    app = Webhooks("cms")
    app.validate(ConfigMap)(lambda cm: "no" if "bad" in cm.data else None)
    certs = self_signed(["127.0.0.1"], tmp_path)
    with WebhookServer(app, host="127.0.0.1", port=0, certificates=certs, max_body=100_000) as server:
        connection = _connection(server, certs.ca)
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b"ok"
        for _ in range(3):  # one kept-alive connection, several reviews
            connection.request("POST", "/validate/core/v1/configmaps?timeout=10s", body=review("CREATE", configmap(bad="1")))
            answer = json.loads(connection.getresponse().read())
            assert answer["response"]["allowed"] is False
        connection.request("POST", "/validate/core/v1/configmaps", body=b"{broken")
        response = connection.getresponse()
        assert response.status == 400 and b"not JSON" in response.read()
        connection.request("POST", "/validate/core/v1/configmaps", body=b"x" * 200_000)
        response = connection.getresponse()
        assert response.status == 413
        response.read()
        connection.close()
        connection = _connection(server, certs.ca)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200  # still serving
        assert server.requests == 4


def test_the_server_serves_renewed_certificate_files(tmp_path: Path) -> None:
    app = Webhooks("cms")
    first = self_signed(["127.0.0.1"], tmp_path / "first")
    with WebhookServer(app, host="127.0.0.1", port=0, certfile=first.certfile, keyfile=first.keyfile) as server:
        connection = _connection(server, first.ca)
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b"ok"
        renewed = self_signed(["127.0.0.1"], tmp_path / "renewed")
        first.keyfile.write_bytes(renewed.key)
        first.certfile.write_bytes(renewed.certificate + renewed.ca)
        with pytest.raises(ssl.SSLError):
            refused = _connection(server, first.ca)
            refused.request("GET", "/healthz")
        connection = _connection(server, renewed.ca)
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b"ok"
        assert server.tls.loads == 2


def test_the_servers_warnings_become_server_warnings() -> None:
    from urllib3 import HTTPHeaderDict

    from pykorm._http.transport import answer_of

    headers = HTTPHeaderDict()
    headers.add("Content-Type", "application/json")
    headers.add("Warning", '299 - "more than 5 instances"')
    headers.add("Warning", '299 - "v1 is deprecated, use \\"v2\\""')
    with pytest.warns(pykorm.ServerWarning) as caught:
        assert answer_of(200, headers, b'{"a": 1}', "POST /x", 1) == {"a": 1}
    assert [str(w.message) for w in caught] == ['POST /x: more than 5 instances', 'POST /x: v1 is deprecated, use "v2"']
    with pytest.warns(pykorm.ServerWarning, match="refused, but"):
        with pytest.raises(pykorm.ValidationError):
            answer_of(422, {"Warning": '299 - "refused, but"'}, b'{"reason": "Invalid"}', "POST /x", 1)
