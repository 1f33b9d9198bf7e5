"""What differs between Kubernetes releases is asked of the server, never assumed from a version number.

A kind's field selectors are the case in point: a model declares which paths it would push down
(the generated kinds, the newest release's), and a query asks the cluster under test once per path
whether it serves a selector on it, checking the field in Python where it does not. These run on
every release in CI's compatibility pass.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from kubernetes import client as k8s

import pykorm
import pykorm.aio
from pykorm import NamespacedModel, k8s_resource
from pykorm.fields import DataField
from pykorm.k8s import Pod
from pykorm.k8s.core_v1 import Container, PodSpec
from pykorm.testing import Cluster, FaultProxy


@k8s_resource("", "v1", "pods", kind="Pod", selectable=("spec.hostname", "spec.nodeName"))
class DeclaredPod(NamespacedModel):
    """Pods, declared as if every server selected on ``spec.hostname`` (none does: it is not a Pod field label)."""

    spec: PodSpec | None = DataField("spec", default=None)


def pods(pk: pykorm.Pykorm, namespace: str) -> None:
    for name, hostname in (("alpha", "a"), ("beta", "b"), ("gamma", "a")):
        spec = PodSpec(hostname=hostname, node_name="nowhere", containers=[Container(name="c", image="busybox")])
        pk.save(Pod(namespace=namespace, name=name, spec=spec))


def witness(k8s_cluster: Cluster, namespace: str, hostname: str) -> list[str]:
    with k8s.ApiClient(k8s_cluster.configuration()) as api:
        listed = k8s.CoreV1Api(api).list_namespaced_pod(namespace)
    return sorted(p.metadata.name for p in listed.items if p.spec.hostname == hostname)


def test_a_field_selector_the_server_does_not_serve_is_checked_in_python(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    pods(pk, k8s_namespace)
    query = DeclaredPod.query.session(pk).namespace(k8s_namespace).filter(spec__hostname="a", spec__node_name="nowhere")
    assert query.explain().field_selector == "spec.hostname=a,spec.nodeName=nowhere"  # declared: nothing asked yet

    found = sorted(p.name for p in query.all())

    assert found == witness(k8s_cluster, k8s_namespace, "a") == ["alpha", "gamma"]
    plan = query.explain()
    assert plan.field_selector == "spec.nodeName=nowhere" and "spec.hostname" in str(plan.python)
    assert query.count() == 2 and query.exclude(name="alpha").first() is not None
    assert sorted(p.name for p in DeclaredPod.query.session(pk).namespace(k8s_namespace).exclude(spec__hostname="a")) == ["beta"]
    events = query.watch(timeout=3, initial=True)
    assert sorted(e.obj.name for e in events) == ["alpha", "gamma"]


def test_each_field_is_asked_about_once_per_session_in_the_querys_namespace(
    pk: pykorm.Pykorm, k8s_namespace: str, k8s_fault_proxy: FaultProxy
) -> None:
    pods(pk, k8s_namespace)
    session = k8s_fault_proxy.session()
    query = DeclaredPod.query.session(session).namespace(k8s_namespace)

    assert [p.name for p in query.filter(spec__hostname="b")] == ["beta"]
    assert query.filter(spec__hostname="a").count() == 2
    assert [p.name for p in query.filter(spec__node_name="nowhere", spec__hostname="b")] == ["beta"]

    probes = [e.path for e in k8s_fault_proxy.seen("GET", r"fieldSelector=spec\.(hostname|nodeName)%3Dx")]
    assert len(probes) == 2 and all(f"/namespaces/{k8s_namespace}/pods?" in p for p in probes)
    assert not k8s_fault_proxy.seen("GET", r"fieldSelector=spec\.hostname%3D[ab]")  # never sent for real


def test_the_async_session_asks_too(k8s_cluster: Cluster, pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    pods(pk, k8s_namespace)

    async def main() -> list[str]:
        async with pykorm.aio.AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, make_default=False) as session:
            query = session.query(DeclaredPod).namespace(k8s_namespace).filter(spec__hostname="b")
            return [p.name for p in await query.all()]

    assert asyncio.run(main()) == ["beta"]


def test_the_generated_pod_pushes_down_exactly_what_this_server_selects(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    """pykorm.k8s declares the newest release's paths; on an older one, those it lacks are checked in Python."""
    assert Pod.__resource__ is not None
    served = set()
    with k8s.ApiClient(k8s_cluster.configuration()) as api:
        for path in Pod.__resource__.selectable:
            try:
                k8s.CoreV1Api(api).list_namespaced_pod(k8s_namespace, field_selector=f"{path}=x", limit=1)
                served.add(path)
            except k8s.ApiException as error:
                assert error.status == 400 and "not supported" in str(error.body), error.body

    query = Pod.query.session(pk).namespace(k8s_namespace).filter(spec__node_name="x", status__phase="x",
                                                         spec__scheduler_name="x", spec__restart_policy="x")
    assert query.all() == []
    sent = {term.split("=")[0] for term in re.split(r",", query.explain().field_selector or "")}
    assert sent == {"spec.nodeName", "status.phase", "spec.schedulerName", "spec.restartPolicy"} & served


# -- field validation on writes ----------------------------------------------------------------


@k8s_resource("", "v1", "configmaps", kind="ConfigMap")
class ColourfulConfigMap(NamespacedModel):
    """A ConfigMap model with a field no Kubernetes release declares: what a newer release's field is to an older one."""

    data: dict[str, str] | None = DataField("data", default=None)
    colour: str | None = DataField("colour", default=None)


def test_a_field_the_server_does_not_declare_is_refused_not_dropped(
    pk: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    with pytest.raises(pykorm.ValidationError, match="colour"):
        pk.save(ColourfulConfigMap(namespace=k8s_namespace, name="paint", data={"a": "1"}, colour="red"))
    with k8s.ApiClient(k8s_cluster.configuration()) as api:
        assert k8s.CoreV1Api(api).list_namespaced_config_map(k8s_namespace, field_selector="metadata.name=paint").items == []

    saved = pk.save(ColourfulConfigMap(namespace=k8s_namespace, name="paint", data={"a": "1"}))
    saved.colour = "blue"
    with pytest.raises(pykorm.ValidationError, match="colour"):
        pk.save(saved)  # an update (merge patch) too
    assert pk.get(ColourfulConfigMap, "paint", k8s_namespace).data == {"a": "1"}


def test_a_newer_releases_field_is_refused_by_an_older_release(
    pk: pykorm.Pykorm, k8s_transport: object, k8s_namespace: str
) -> None:
    """Job.spec.scheduling is 1.37's: 1.35 and 1.36 refuse it by name (on 1.37 there is nothing to refuse)."""
    from pykorm.k8s import Job
    from pykorm.k8s.batch_v1 import JobSchedulingConfiguration, JobSpec
    from pykorm.k8s.core_v1 import PodTemplateSpec
    from pykorm.k8s.scheduling_v1alpha3 import TopologyConstraint, WorkloadPodGroupSchedulingConstraints

    document = pk.transport().request("GET", "/openapi/v3/apis/batch/v1")
    if "scheduling" in document["components"]["schemas"]["io.k8s.api.batch.v1.JobSpec"]["properties"]:
        pytest.skip("this release declares Job.spec.scheduling")
    spec = JobSpec(template=PodTemplateSpec(spec=PodSpec(restart_policy="Never", containers=[Container(name="c", image="busybox")])),
                   scheduling=JobSchedulingConfiguration(scheduling_constraints=WorkloadPodGroupSchedulingConstraints(
                       topology=[TopologyConstraint(key="zone")])))

    with pytest.raises(pykorm.ValidationError, match="scheduling"):
        pk.save(Job(namespace=k8s_namespace, name="gang", spec=spec))
    assert Job.query.session(pk).namespace(k8s_namespace).all() == []
