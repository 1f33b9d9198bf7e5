"""The least RBAC a pykorm app needs for its models: a ServiceAccount, Role/ClusterRole and bindings.

Verbs, per model's resource:

* read-only: ``get``, ``list``, ``watch`` (queries, ``pk.get``, watches, ``wait_for``);
* read-write adds ``create``, ``update``, ``patch`` (``save``, ``apply``), ``delete`` and
  ``deletecollection`` (``query.delete()``), and, where the model has status fields and
  the resource a ``/status`` subresource, ``get``, ``update``, ``patch`` on ``<plural>/status``
  (``save_status``).

Namespaced models get a Role and RoleBinding in the app's namespace; cluster-scoped
models (or all of them, with ``all_namespaces=True``) a ClusterRole and
ClusterRoleBinding named ``<namespace>:<name>``. With ``install_crds=True`` (an app that calls
``pk.install_crds`` at start-up), the ClusterRole may also create CustomResourceDefinitions and
get and update those of its models, by name, and no other. Discovery, which pykorm reads to know whether ``/status`` is
served, is open to every authenticated user by Kubernetes' default policy.

Subresources other verbs use, asked for by what the app does (a read of pods does not mean a read of their
logs, nor a Deployment an app that scales it):

* ``logs=True`` (``pk.logs``): ``get`` on ``pods/log``, beside the Pod model's rule;
* ``exec=True`` (``pk.exec``): ``create`` and ``get`` on ``pods/exec`` (a websocket exec is a GET, which
  kube-apiserver 1.36 authorizes as both: either alone is Forbidden), beside the Pod model's rule, ``read_only`` or not;
* ``scale=True`` (``pk.scale``, ``pk.get_scale``): ``get`` and ``patch`` on ``<plural>/scale`` of each model
  whose kind has ``/scale`` (Deployment, StatefulSet, ReplicaSet, ReplicationController, a CRD with
  ``Meta.scale``); ``get`` only with ``read_only`` (``get_scale``).

A flag that would grant nothing (``logs`` or ``exec`` without the Pod model, ``scale`` without a scalable kind)
is an error.
"""

from __future__ import annotations

from typing import Any

from .._base.errors import ClientValidationError
from .._base.names import name_error
from .crd import crd_options
from .openapi import is_custom_group
from .._http.resource import resource_of

__all__ = ["rbac"]

READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
STATUS = ("get", "update", "patch")
SCALE = ("get", "patch")
LOGS = ("get",)
EXEC = ("create", "get")
_RBAC = "rbac.authorization.k8s.io/v1"
_SCALABLE = {("apps", "deployments"), ("apps", "statefulsets"), ("apps", "replicasets"), ("", "replicationcontrollers")}
"""The built-in resources with a ``/scale`` subresource (a custom one has it when its CRD says so: ``Meta.scale``)."""


def rbac(
    *models: type, name: str, namespace: str = "default", read_only: bool = False, all_namespaces: bool = False,
    install_crds: bool = False, logs: bool = False, scale: bool = False, exec: bool = False,
) -> list[dict[str, Any]]:
    """The manifests that let the ServiceAccount ``name`` in ``namespace`` use ``models``, and no more.

    ``install_crds``: also install (create, get and update) the CRDs of the custom models.
    ``logs``: also read pods' logs (``pods/log``). ``scale``: also scale the models that have ``/scale``.
    ``exec``: also run commands in pods' containers (``pods/exec``).

    Raises:
        ClientValidationError: ``name`` is not a ServiceAccount's name, or ``namespace`` a namespace's.
        TypeError: a model is not bound to a resource; ``install_crds``, ``logs``, ``exec`` or ``scale`` would grant
            nothing for these models.

    >>> [m["kind"] for m in rbac(Peach, name="peach-shop", namespace="shop")]
    ['ServiceAccount', 'Role', 'RoleBinding']
    """
    causes = [c for c in (name_error(name, "name"), name_error(namespace, "namespace", label=True)) if c is not None]
    if causes:  # the manifests would be refused by the API server, or name another namespace
        raise ClientValidationError("rbac(): " + "; ".join(map(str, causes)), causes=tuple(causes))
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "pykorm"}
    namespaced: list[dict[str, Any]] = []
    cluster: list[dict[str, Any]] = []
    for model in models:
        resource = resource_of(model)
        rules = cluster if all_namespaces or not resource.namespaced else namespaced
        _add(rules, resource.group, resource.plural, READ if read_only else READ + WRITE)
        if not read_only and _has_status_subresource(model, bool(resource.group)):
            _add(rules, resource.group, f"{resource.plural}/status", STATUS)
        if logs and (resource.group, resource.plural) == ("", "pods"):
            _add(rules, "", "pods/log", LOGS)
        if exec and (resource.group, resource.plural) == ("", "pods"):
            _add(rules, "", "pods/exec", EXEC)
        if scale and _has_scale_subresource(model, resource.group, resource.plural):
            _add(rules, resource.group, f"{resource.plural}/scale", SCALE[:1] if read_only else SCALE)
    granted = {r for rule in namespaced + cluster for r in rule["resources"]}
    if logs and "pods/log" not in granted:
        raise TypeError("logs: the logs are the pods' (pods/log): add the Pod model (pykorm.k8s.core_v1:Pod)")
    if exec and "pods/exec" not in granted:
        raise TypeError("exec: commands run in pods (pods/exec): add the Pod model (pykorm.k8s.core_v1:Pod)")
    if scale and not any(r.endswith("/scale") for r in granted):
        raise TypeError("scale: none of the models has a /scale subresource (Deployment, StatefulSet, ReplicaSet, "
                        "ReplicationController, a CRD with Meta.scale)")
    if install_crds:
        cluster += _crd_rules(models)
    subject = [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]
    manifests: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace, "labels": labels}}
    ]
    # Cluster-wide names carry the namespace: apps of one name in two namespaces stay apart.
    for kind, rules, metadata in (
        ("Role", namespaced, {"name": name, "namespace": namespace, "labels": labels}),
        ("ClusterRole", cluster, {"name": f"{namespace}:{name}", "labels": labels}),
    ):
        if not rules:
            continue
        manifests.append({"apiVersion": _RBAC, "kind": kind, "metadata": metadata, "rules": rules})
        manifests.append({
            "apiVersion": _RBAC,
            "kind": f"{kind}Binding",
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": metadata["name"]},
            "subjects": subject,
        })
    return manifests


def _add(rules: list[dict[str, Any]], group: str, resource: str, verbs: tuple[str, ...]) -> None:
    """Add ``resource`` to the rule with the same group and verbs, or a new rule."""
    for rule in rules:
        if rule["apiGroups"] == [group] and rule["verbs"] == list(verbs):
            if resource not in rule["resources"]:
                rule["resources"].append(resource)
            return
    rules.append({"apiGroups": [group], "resources": [resource], "verbs": list(verbs)})


def _crd_rules(models: tuple[type, ...]) -> list[dict[str, Any]]:
    """What ``pk.install_crds`` sends: a POST (which RBAC cannot limit by name), then GET and PUT by name."""
    names = sorted({f"{r.plural}.{r.group}" for r in map(resource_of, models) if is_custom_group(r.group)})
    if not names:
        raise TypeError("install_crds: none of the models is a custom resource ")
    group, resources = ["apiextensions.k8s.io"], ["customresourcedefinitions"]
    return [{"apiGroups": group, "resources": resources, "verbs": ["create"]},
            {"apiGroups": group, "resources": resources, "resourceNames": names, "verbs": ["get", "update"]}]


def _has_scale_subresource(model: type, group: str, plural: str) -> bool:
    if is_custom_group(group):
        return bool(crd_options(model).scale)
    return (group, plural) in _SCALABLE


def _has_status_subresource(model: type, custom: bool) -> bool:
    fields = model._fields.values()  # type: ignore[attr-defined]
    has_status = any(f.path[0] == "status" for f in fields)
    option = crd_options(model).status_subresource if custom else None
    return option if option is not None else has_status
