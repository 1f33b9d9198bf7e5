"""Python names of JSON keys (``pykorm._tools.codegen.snake_case``), on every property name the pinned API server serves.

A run of capitals is one word: ``podIPs`` is ``pod_ips``, not ``pod_i_ps``. Names without such a run are
checked against the plain rule (an underscore before each capital); each name with one is listed below with
the name it must get, so that a change of the rule shows as a change of this table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pykorm._tools.codegen import model_source, snake_case
from pykorm._tools.k8s_codegen import K8sInputs, k8s_sources

pytestmark = pytest.mark.unit

SERVED = json.loads((Path(__file__).parent / "openapi_property_names.json").read_text())["names"]

ACRONYMS = {  # every served name holding a run of two or more capitals
    "bootID": "boot_id", "clientCIDR": "client_cidr", "clientIP": "client_ip", "clusterIP": "cluster_ip",
    "clusterIPs": "cluster_ips", "containerID": "container_id",
    "currentCPUUtilizationPercentage": "current_cpu_utilization_percentage", "datasetUUID": "dataset_uuid",
    "diskURI": "disk_uri", "downwardAPI": "downward_api", "externalID": "external_id", "externalIPs": "external_ips",
    "hostIP": "host_ip", "hostIPC": "host_ipc", "hostIPs": "host_ips", "hostPID": "host_pid", "imageID": "image_id",
    "insecureSkipTLSVerify": "insecure_skip_tls_verify", "loadBalancerIP": "load_balancer_ip",
    "machineID": "machine_id", "nodeID": "node_id", "nodeUID": "node_uid", "podUID": "pod_uid",
    "serviceAccountUID": "service_account_uid", "stubPKCS10Request": "stub_pkcs10_request", "nonResourceURLs": "non_resource_urls",
    "openAPIV3Schema": "open_api_v3_schema", "pdID": "pd_id", "podCIDR": "pod_cidr", "podCIDRs": "pod_cidrs",
    "podIP": "pod_ip", "podIPs": "pod_ips", "providerID": "provider_id", "resourceID": "resource_id",
    "scaleIO": "scale_io", "serverAddressByClientCIDRs": "server_address_by_client_cidrs",
    "setHostnameAsFQDN": "set_hostname_as_fqdn", "shareID": "share_id", "storagePolicyID": "storage_policy_id",
    "systemUUID": "system_uuid", "targetCPUUtilizationPercentage": "target_cpu_utilization_percentage",
    "targetWWNs": "target_wwns", "volumeID": "volume_id",
}


def plain_rule(key: str) -> str:
    """Without a run of capitals: an underscore before each capital, separators as underscores."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", re.sub(r"([A-Z])", r"-\1", key)) if w]
    return "_".join(words).lower()


def test_the_served_names_with_a_run_of_capitals_are_the_table() -> None:
    with_runs = {name for name in SERVED if re.search(r"[A-Z]{2}", name)}

    assert with_runs == set(ACRONYMS), "a new served name with an acronym: add it to ACRONYMS with its Python name"
    assert {name: snake_case(name) for name in sorted(with_runs)} == ACRONYMS


def test_every_other_served_name_follows_the_plain_rule() -> None:
    others = [name for name in SERVED if not re.search(r"[A-Z]{2}", name)]

    assert len(others) > 800
    assert {n: snake_case(n) for n in others if snake_case(n) != plain_rule(n)} == {}


def test_every_served_name_is_a_python_name_of_the_same_letters() -> None:
    for name in SERVED:
        snake = snake_case(name)
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", snake), name
        assert snake.replace("_", "") == re.sub(r"[^0-9a-z]", "", name.lower()), name


@pytest.mark.parametrize(("key", "name"), [
    ("podIPs", "pod_ips"), ("hostIPs", "host_ips"), ("clusterIPs", "cluster_ips"), ("externalIPs", "external_ips"),
    ("nonResourceURLs", "non_resource_urls"), ("URLs", "urls"), ("CIDRs", "cidrs"), ("IDs", "ids"),
    ("podIP", "pod_ip"), ("hostIPC", "host_ipc"), ("containerID", "container_id"), ("APIVersion", "api_version"),
    ("apiVersion", "api_version"), ("HTTPServer", "http_server"), ("IPsByName", "ips_by_name"),
    ("IPv6", "ipv6"), ("ipv4Address", "ipv4_address"), ("apiV1Schema", "api_v1_schema"), ("v1beta1", "v1beta1"),
    ("UTF8", "utf8"), ("Port", "port"), ("x-kubernetes-list-type", "x_kubernetes_list_type"), ("$ref", "ref"),
    ("snake_case", "snake_case"), ("3d", "3d"), ("a", "a"), ("A", "a"), ("", ""), ("--", ""),
])
def test_runs_of_capitals_and_the_usual_cases(key: str, name: str) -> None:
    assert snake_case(key) == name


def test_two_keys_of_one_object_that_become_one_name_are_refused_by_the_k8s_generator() -> None:
    document = {"components": {"schemas": {"io.k8s.api.apps.v1.Widget": {
        "type": "object", "description": "Widget.",
        "x-kubernetes-group-version-kind": [{"group": "apps", "version": "v1", "kind": "Widget"}],
        "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                       "podIPs": {"type": "array", "items": {"type": "string"}},
                       "podIps": {"type": "array", "items": {"type": "string"}}},
    }}}}
    inputs = K8sInputs({"apps/v1": document}, {("apps/v1", "Widget"): ("widgets", True)}, {("apps/v1", "Widget"): ()})

    with pytest.raises(ValueError, match="'podIPs' and 'podIps' both become the Python name 'pod_ips'"):
        k8s_sources(inputs, [("apps", "v1", "Widget")])
    del document["components"]["schemas"]["io.k8s.api.apps.v1.Widget"]["properties"]["podIps"]
    assert "    pod_ips: list[str] | None = DataField(\"podIPs\", default=None)" in k8s_sources(
        inputs, [("apps", "v1", "Widget")])["apps_v1.py"]


def test_models_from_crds_use_the_same_names() -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "routers.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "routers", "singular": "router", "kind": "Router"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": {"type": "object", "properties": {
                            "podIPs": {"type": "array", "items": {"type": "string"}},
                            "allowedURLs": {"type": "array", "items": {"type": "string"}}}}}}}}]}}

    source = model_source(crd)

    assert "pod_ips: list[str]" in source and "allowed_urls: list[str]" in source
