"""Builders of common objects, plain dicts for nested fields, and reading optional levels (maybe, dig): offline."""

from __future__ import annotations

import base64
import datetime
from typing import Any, Callable

import pytest

import pykorm
from pykorm.k8s import Deployment, config_map, container, deployment, job, pod, secret, service_for
from pykorm.k8s.apps_v1 import DeploymentSpec
from pykorm.k8s.batch_v1 import CronJob
from pykorm.k8s.core_v1 import Container, PodSpec

pytestmark = pytest.mark.unit


def test_a_deployment_in_one_call_is_the_typed_model_the_long_way_builds() -> None:
    web = deployment("web", "nginx", namespace="shop", replicas=2, ports={"http": 8080}, env={"MODE": "prod"})

    assert type(web) is Deployment and web.spec.replicas == 2
    assert web.to_dict()["spec"] == {
        "selector": {"matchLabels": {"app": "web"}}, "replicas": 2,
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "web", "image": "nginx", "ports": [{"name": "http", "containerPort": 8080}],
             "env": [{"name": "MODE", "value": "prod"}]}]}}}
    assert web.labels == {"app": "web"} and web.namespace == "shop"
    assert web.spec.template.spec is not None and type(web.spec.template.spec.containers[0]) is Container


def test_service_for_selects_the_workloads_pods_and_targets_their_one_port() -> None:
    web = deployment("web", "nginx", namespace="shop", labels={"tier": "front"}, ports={"http": 8080})

    front = service_for(web, port=80)

    assert (front.namespace, front.name) == ("shop", "web")
    assert front.to_dict()["spec"] == {"selector": {"tier": "front"}, "ports": [{"port": 80, "targetPort": 8080}]}
    assert service_for(deployment("a", "i"), 80).to_dict()["spec"]["ports"] == [{"port": 80, "targetPort": 80}]
    assert service_for(web, 80, target_port="http", name="front", type="NodePort").to_dict()["spec"] == {
        "selector": {"tier": "front"}, "ports": [{"port": 80, "targetPort": "http"}], "type": "NodePort"}
    with pytest.raises(ValueError, match=r"declare the ports \[1, 2\]: say which with target_port="):
        service_for(deployment("two", "i", ports=[1, 2]), 80)
    expressions = deployment("x", "i")
    expressions.spec.selector.match_expressions = [{"key": "app", "operator": "Exists"}]  # type: ignore[list-item]
    with pytest.raises(ValueError, match="selects its pods with expressions"):
        service_for(expressions, 80)


def test_job_config_map_secret_and_pod() -> None:
    migrate = job("migrate", "app:1", ["./migrate", "--all"], namespace="ops", backoff_limit=0,
                  spec={"active_deadline_seconds": 60}, pod={"nodeSelector": {"disk": "ssd"}})
    assert migrate.to_dict()["spec"] == {"backoffLimit": 0, "activeDeadlineSeconds": 60, "template": {
        "metadata": {"labels": {}}, "spec": {"containers": [{"name": "migrate", "image": "app:1", "command": ["./migrate", "--all"]}],
                                             "restartPolicy": "Never", "nodeSelector": {"disk": "ssd"}}}}
    assert config_map("site", {"index.html": "<h1>hi</h1>"}, namespace="web").data == {"index.html": "<h1>hi</h1>"}
    db = secret("db", {"password": "s3cret", "key": b"\x00\xff"}, type="Opaque")
    assert db.data is not None and base64.b64decode(db.data["password"]) == b"s3cret"
    assert base64.b64decode(db.data["key"]) == b"\x00\xff" and db.type == "Opaque"
    probe = pod("probe", "busybox", command=["sleep", "60"], restart_policy="Never", spec={"node_name": "n1"})
    assert probe.to_dict()["spec"] == {"containers": [{"name": "probe", "image": "busybox", "command": ["sleep", "60"]}],
                                       "restartPolicy": "Never", "nodeName": "n1"}
    assert container("c", "i", image_pull_policy="Never").image_pull_policy == "Never"


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: deployment(None, "nginx"), TypeError, "name is a str, not None"),  # type: ignore[arg-type]
    (lambda: deployment("", "nginx"), ValueError, "name is empty"),
    (lambda: deployment("web", None), TypeError, "image is a str, not None"),  # type: ignore[arg-type]
    (lambda: deployment("web", ""), ValueError, "image is empty"),
    (lambda: deployment("web", "i", namespace=""), ValueError, "namespace is empty"),
    (lambda: deployment("web", "i", replicas=-1), ValueError, "replicas is >= 0, not -1"),
    (lambda: deployment("web", "i", replicas=True), TypeError, "replicas is an int, not bool"),
    (lambda: deployment("web", "i", replicas="2"), TypeError, "replicas is an int, not str"),  # type: ignore[arg-type]
    (lambda: deployment("web", "i", labels={}), ValueError, "labels select the Deployment's pods"),
    (lambda: deployment("web", "i", labels={"a": 1}), TypeError, r"labels\['a'\] is a str, not int"),  # type: ignore[dict-item]
    (lambda: deployment("web", "i", env={"N": 3}), TypeError, r"env\['N'\] is a str, not int 3"),  # type: ignore[dict-item]
    (lambda: deployment("web", "i", command="sleep 60"), TypeError, r"a list: \['sleep', '60'\]\?"),
    (lambda: deployment("web", "i", ports={"http": 0}), ValueError, "from 1 to 65535, not 0"),
    (lambda: deployment("web", "i", ports={"http": 70000}), ValueError, "from 1 to 65535, not 70000"),
    (lambda: deployment("web", "i", ports=8080), TypeError, "ports is {name: port} or a list"),  # type: ignore[arg-type]
    (lambda: deployment("web", "i", spec={"selector": {}}), ValueError, "spec= sets selector, which the builder"),
    (lambda: deployment("web", "i", spec=[1]), TypeError, "spec is a dict of fields"),  # type: ignore[arg-type]
    (lambda: job("j", "i", "./run"), TypeError, "command is a list of str, not str"),
    (lambda: job("j", "i", ["a", None]), TypeError, "command's items are str, not None"),  # type: ignore[list-item]
    (lambda: job("j", "i", ["a"], restart_policy=""), ValueError, "restart_policy is empty"),
    (lambda: service_for(deployment("w", "i"), "80"), TypeError, "port is a port number"),  # type: ignore[arg-type]
    (lambda: service_for(deployment("w", "i"), 80, target_port=""), TypeError, "target_port is a port number or"),
    (lambda: config_map("c", None), TypeError, "data is a dict of str, not None"),  # type: ignore[arg-type]
    (lambda: config_map("c", {"": "x"}), TypeError, "data's keys are non-empty str"),
    (lambda: secret("s", {"p": 1}), TypeError, r"data\['p'\] is a str or bytes, not int"),  # type: ignore[dict-item]
])
def test_hostile_arguments_are_refused_naming_the_argument(call: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_extra_fields_are_checked_like_a_dict_nothing_dropped_nothing_overwritten() -> None:
    with pytest.raises(pykorm.ClientValidationError, match=r"spec\.template\.spec\.containerz: PodSpec has no field "
                                                           r"'containerz'; did you mean 'containers'\?") as caught:
        deployment("web", "i", pod={"containerz": []})
    assert caught.value.causes[0].field == "spec.template.spec.containerz"
    with pytest.raises(pykorm.ClientValidationError, match=r"spec\.template\.spec\.restartPolicy: given twice, "
                                                           r"as 'restart_policy' and as 'restartPolicy'"):
        job("j", "i", ["a"], pod={"restartPolicy": "OnFailure"})  # the builder's Never and the caller's: refused
    with pytest.raises(pykorm.ClientValidationError, match=r"spec\.template\.spec\.terminationGracePeriodSeconds: "
                                                           r"expected an int, got str '5'"):
        deployment("web", "i", pod={"termination_grace_period_seconds": "5"})
    with pytest.raises(pykorm.ClientValidationError, match=r"imagePullPolicy: expected a str, got int 3"):
        container("c", "i", image_pull_policy=3)
    with pytest.raises(pykorm.ClientValidationError, match="Container has no field 'imagee'; did you mean 'image'"):
        container("c", "i", imagee="x")


def test_a_plain_dict_for_a_nested_field_is_converted_and_checked_at_any_depth() -> None:
    spec = {"replicas": 2, "selector": {"match_labels": {"app": "web"}},  # Python names and JSON keys mix
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "web", "image": "nginx", "imagePullPolicy": "Never",
                                                  "ports": [{"container_port": 80}]}]}}}
    web = Deployment(name="web", spec=spec)  # type: ignore[arg-type]
    assert web.to_dict()["spec"]["template"]["spec"]["containers"][0] == {
        "name": "web", "image": "nginx", "imagePullPolicy": "Never", "ports": [{"containerPort": 80}]}
    assert isinstance(web.spec.template.spec, PodSpec)

    cases: list[tuple[dict[str, Any], str]] = [
        ({"templat": {}}, r"Deployment: spec\.templat: DeploymentSpec has no field 'templat'; did you mean 'template'\?"),
        ({"template": {"spec": {"containers": [{"name": "c", "imagee": "i"}]}}},
         r"spec\.template\.spec\.containers\[0\]\.imagee: Container has no field 'imagee'"),
        ({"replicas": "2"}, r"spec\.replicas: expected an int, got str '2'"),
        ({"replicas": True}, r"spec\.replicas: expected an int, got bool True"),
        ({"replicas": 2.5}, r"spec\.replicas: expected an int, got float"),
        ({"selector": {"matchLabels": {"a": 1}}}, r"spec\.selector\.matchLabels\.a: expected a str, got int 1"),
        ({"selector": {"matchLabels": {1: "a"}}}, r"spec\.selector\.matchLabels\.1: a key is a str, not int"),
        ({"template": {"spec": {"containers": {"name": "c"}}}}, r"spec\.template\.spec\.containers: expected a list, got dict"),
        ({"template": {"spec": {"containers": "web"}}}, r"spec\.template\.spec\.containers: expected a list, got str"),
        ({"template": {"spec": {"containers": [5]}}}, r"containers\[0\]: expected Container or a dict, got int 5"),
        ({"strategy": {"rolling_update": {"max_surge": [1]}}}, r"maxSurge: expected an int or a str, got list"),
        ({"template": {"spec": {"containers": [{"name": "c"}], "restart_policy": "x", "restartPolicy": "y"}}},
         r"restartPolicy: given twice, as 'restart_policy' and as 'restartPolicy'"),
    ]
    for bad, message in cases:
        with pytest.raises(pykorm.ClientValidationError, match=message):
            Deployment(name="web", spec=bad)  # type: ignore[arg-type]
    with pytest.raises(pykorm.ClientValidationError, match=r"Deployment: spec: expected DeploymentSpec or a dict, got int 5"):
        Deployment(name="web", spec=5)  # type: ignore[arg-type]
    with pytest.raises(pykorm.ClientValidationError, match="expected DeploymentSpec or a dict, got PodSpec"):
        Deployment(name="web", spec=PodSpec(containers=[]))  # type: ignore[arg-type]
    assert Deployment(name="web", spec={"replicas": None}).to_dict()["spec"] == {"replicas": None}  # type: ignore[arg-type]
    assert Deployment(name="web", spec={}).to_dict()["spec"] == {}  # type: ignore[arg-type]
    moment = datetime.datetime(2026, 12, 5, 20, 0, tzinfo=datetime.timezone.utc)
    assert CronJob(name="c", status={"last_schedule_time": moment}).to_dict()["status"] == {  # type: ignore[arg-type]
        "lastScheduleTime": "2026-12-05T20:00:00Z"}


def test_a_nested_constructor_and_an_assignment_check_dicts_too() -> None:
    with pytest.raises(pykorm.ClientValidationError, match=r"DeploymentSpec: template\.spec\.containers\[0\]\.nme: "
                                                           r"Container has no field 'nme'; did you mean 'name'\?"):
        DeploymentSpec(template={"spec": {"containers": [{"nme": "c"}]}})  # type: ignore[arg-type]
    web = Deployment(name="web")
    with pytest.raises(pykorm.ClientValidationError, match=r"replicas: expected an int, got str 'x'"):
        web.spec = {"replicas": "x"}  # type: ignore[assignment]


def test_maybe_and_dig_read_below_optional_levels_and_refuse_a_misspelt_name() -> None:
    web = deployment("web", "nginx", labels={"app.kubernetes.io/name": "web"})
    assert web.status is None

    assert pykorm.maybe(web).then(lambda d: d.status).then(lambda s: s.conditions).get([]) == []
    assert pykorm.maybe(web).then(lambda d: d.status).then(lambda s: s.conditions).get() is None
    assert pykorm.maybe(web.spec.template.spec).then(lambda s: s.containers[0].image).get("") == "nginx"
    calls: list[object] = []
    assert pykorm.maybe(None).then(lambda v: calls.append(v)).get(7) == 7 and calls == []  # a step after None is not called
    assert pykorm.maybe(0).get(5) == 0 and pykorm.maybe("").get("x") == ""  # only None is "absent"
    assert repr(pykorm.maybe(3)) == "maybe(3)"

    assert pykorm.dig(web, "status.conditions", default=[]) == []
    assert pykorm.dig(web, "spec.template.spec.containers.0.image") == "nginx"
    assert pykorm.dig(web, "spec.template.spec.containers.-1.name") == "web"
    assert pykorm.dig(web, "spec.template.spec.containers.3.image", default="none") == "none"
    assert pykorm.dig(web, ("labels", "app.kubernetes.io/name")) == "web"
    assert pykorm.dig(web, ("labels", "missing"), default="-") == "-"
    assert pykorm.dig(web, ("spec", "template", "spec", "containers", 0, "name")) == "web"
    assert pykorm.dig({"a": {"b": 0}}, "a.b", default=9) == 0
    with pytest.raises(AttributeError, match=r"spec is a DeploymentSpec, which has no attribute 'templat'"):
        pykorm.dig(web, "spec.templat.spec")
    with pytest.raises(AttributeError, match="the object is a Deployment, which has no attribute 'sepc'"):
        pykorm.dig(web, "sepc")
    for bad in ("", "spec..replicas", ()):
        with pytest.raises(TypeError, match="a path is"):
            pykorm.dig(web, bad)
    with pytest.raises(TypeError, match="a path is a str"):
        pykorm.dig(web, ["spec"])  # type: ignore[call-overload]
