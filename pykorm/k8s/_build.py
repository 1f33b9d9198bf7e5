"""Builders of the common objects: a typed model in one call, its nested objects filled in.

Hand-written (the rest of :mod:`pykorm.k8s` is generated); each returns the generated model, so a
program goes on with typed attributes (``web.spec.replicas = 3``) and saves or applies it as any other.

    >>> web = deployment("web", "nginx", namespace="shop", replicas=2, ports={"http": 8080})
    >>> front = service_for(web, port=80)          # selects web's pods, targets its port 8080

What a builder does not take goes in ``spec=`` (the kind's spec) or ``pod=`` (the pod template's spec),
as a dict by field name or JSON key, checked as a constructor checks a dict: a key no field has or a
value of the wrong type raises :class:`pykorm.ClientValidationError` naming the path. Arguments are
checked before anything is built: ``None``, an empty name or image, a command given as one string, a
label or environment value that is not a str raise ``TypeError``/``ValueError`` naming the argument.
The group modules are imported when a builder first runs (``import pykorm.k8s`` stays cheap).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Mapping, Sequence, TypeVar, Union

from .._data.dicts import nested_json

if TYPE_CHECKING:
    from .apps_v1 import DaemonSet, Deployment, StatefulSet
    from .batch_v1 import Job, JobSpec
    from .core_v1 import ConfigMap, Container, Pod, Secret, Service

__all__ = ["config_map", "container", "deployment", "job", "pod", "secret", "service_for"]

Ports = Union[Mapping[str, int], Sequence[int]]
"""Container ports: ``{"http": 8080}`` (named) or ``[8080]``."""


def container(name: str, image: str, *, command: Sequence[str] | None = None, args: Sequence[str] | None = None,
              ports: Ports | None = None, env: Mapping[str, str] | None = None, **fields: Any) -> Container:
    """A Container: ``container("web", "nginx", ports={"http": 8080}, env={"MODE": "prod"})``; ``fields``: any
    other Container field (``image_pull_policy="Never"``, ``resources={"limits": {"cpu": "1"}}``), checked."""
    from .core_v1 import Container

    values: dict[str, Any] = {"name": _text("name", name), "image": _text("image", image)}
    if command is not None:
        values["command"] = _strings("command", command)
    if args is not None:
        values["args"] = _strings("args", args)
    if ports is not None:
        values["ports"] = _ports(ports)
    if env is not None:
        values["env"] = [{"name": k, "value": v} for k, v in _str_map("env", env).items()]
    return _nested(Container, _merged("container", values, fields), None)


def pod(name: str, image: str, *, namespace: str | None = None, command: Sequence[str] | None = None,
        args: Sequence[str] | None = None, labels: Mapping[str, str] | None = None, ports: Ports | None = None,
        env: Mapping[str, str] | None = None, restart_policy: str | None = None,
        spec: Mapping[str, Any] | None = None) -> Pod:
    """A Pod of one container named ``name``: ``pod("probe", "busybox", command=["sleep", "60"])``."""
    from .core_v1 import Pod

    one = container(name, image, command=command, args=args, ports=ports, env=env)
    from .core_v1 import PodSpec

    return Pod(namespace=_namespace(namespace), name=_text("name", name), labels=dict(_str_map("labels", labels or {})),
               spec=_nested(PodSpec, _pod_spec(one, restart_policy, spec, "spec"), "spec"))


def deployment(name: str, image: str, *, namespace: str | None = None, replicas: int | None = None,
               labels: Mapping[str, str] | None = None, ports: Ports | None = None, env: Mapping[str, str] | None = None,
               command: Sequence[str] | None = None, args: Sequence[str] | None = None, container_name: str | None = None,
               spec: Mapping[str, Any] | None = None, pod: Mapping[str, Any] | None = None) -> Deployment:
    """A Deployment of one container named ``container_name`` (default ``name``), its pods labelled ``labels``
    (default ``{"app": name}``) and selected by them: ``deployment("web", "nginx", replicas=2, ports={"http": 8080})``."""
    from .apps_v1 import Deployment, DeploymentSpec

    labels = dict(_str_map("labels", labels if labels is not None else {"app": _text("name", name)}))
    name = _text("name", name)
    if not labels:
        raise ValueError("deployment(): labels select the Deployment's pods: give at least one")
    values: dict[str, Any] = {"selector": {"match_labels": labels},
                              "template": _template(container(name if container_name is None else container_name, image,
                                                              command=command, args=args, ports=ports, env=env),
                                                    labels, None, pod)}
    if replicas is not None:
        values["replicas"] = _count("replicas", replicas)
    return Deployment(namespace=_namespace(namespace), name=name, labels=dict(labels),
                      spec=_nested(DeploymentSpec, _merged("spec", values, spec), "spec"))


def job(name: str, image: str, command: Sequence[str], *, namespace: str | None = None,
        labels: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None,
        backoff_limit: int | None = None, restart_policy: str = "Never", container_name: str | None = None,
        spec: Mapping[str, Any] | None = None, pod: Mapping[str, Any] | None = None) -> Job:
    """A Job running ``command`` once in one container named ``container_name`` (default ``name``; its pods
    restart ``Never`` by default): ``job("migrate", "app:1.2", ["./migrate", "--all"], backoff_limit=0)``."""
    from .batch_v1 import Job, JobSpec

    labels = dict(_str_map("labels", labels or {}))
    one = container(name if container_name is None else container_name, image, command=command, env=env)
    values: dict[str, Any] = {"template": _template(one, labels,
                                                    _text("restart_policy", restart_policy), pod)}
    if backoff_limit is not None:
        values["backoff_limit"] = _count("backoff_limit", backoff_limit)
    return Job(namespace=_namespace(namespace), name=_text("name", name), labels=labels,
               spec=_nested(JobSpec, _merged("spec", values, spec), "spec"))


def service_for(workload: Deployment | StatefulSet | DaemonSet, port: int, *, target_port: int | str | None = None,
                name: str | None = None, type: str | None = None) -> Service:
    """A Service in front of ``workload``'s pods (its selector's labels), in its namespace, named as it by default.

    ``target_port`` defaults to the pods' one container port when they declare exactly one (``deployment(...,
    ports={"http": 8080})``), else to ``port``; pods declaring several ports need it said.

    Raises:
        ValueError: the workload selects with expressions (a Service selects by labels only), it has no
            selector labels, or its pods declare several ports and ``target_port`` is not given.
    """
    from .core_v1 import Service, ServiceSpec

    selector = workload.spec.selector
    if selector.match_expressions:
        raise ValueError(f"service_for(): {workload.name} selects its pods with expressions; a Service selects by labels only")
    labels = dict(selector.match_labels or {})
    if not labels:
        raise ValueError(f"service_for(): {workload.name} has no selector labels to select its pods by")
    port = _port("port", port)
    if target_port is None:
        template = workload.spec.template.spec
        declared = [p.container_port for c in (template.containers if template else []) for p in c.ports or ()]
        if len(declared) > 1:
            raise ValueError(f"service_for(): {workload.name}'s pods declare the ports {declared}: say which with target_port=")
        target_port = declared[0] if declared else port
    elif isinstance(target_port, bool) or not isinstance(target_port, (int, str)) or target_port == "":
        raise TypeError(f"service_for(): target_port is a port number or a port's name, not {target_port!r}")
    spec: dict[str, Any] = {"selector": labels, "ports": [{"port": port, "target_port": target_port}]}
    if type is not None:
        spec["type"] = _text("type", type)
    return Service(namespace=workload.namespace, name=_text("name", name if name is not None else workload.name),
                   spec=_nested(ServiceSpec, spec, "spec"))


def config_map(name: str, data: Mapping[str, str], *, namespace: str | None = None,
               labels: Mapping[str, str] | None = None) -> ConfigMap:
    """A ConfigMap of ``data`` (str values; bytes belong in ``binary_data``): ``config_map("site", {"index.html": page})``."""
    from .core_v1 import ConfigMap

    return ConfigMap(namespace=_namespace(namespace), name=_text("name", name), labels=dict(_str_map("labels", labels or {})),
                     data=dict(_str_map("data", data)))


def secret(name: str, data: Mapping[str, str | bytes], *, namespace: str | None = None, type: str | None = None,
           labels: Mapping[str, str] | None = None) -> Secret:
    """A Secret of ``data`` (str, encoded as UTF-8, or bytes), stored base64-encoded as the API wants:
    ``secret("db", {"password": "s3cret"})``; read back with ``base64.b64decode(s.data["password"])``."""
    from .core_v1 import Secret

    if not isinstance(data, Mapping):
        raise TypeError(f"secret(): data is a dict of str or bytes, not {_type_name(data)}")
    encoded = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"secret(): data's keys are non-empty str, not {key!r}")
        if not isinstance(value, (str, bytes)):
            raise TypeError(f"secret(): data[{key!r}] is a str or bytes, not {_type_name(value)}")
        encoded[key] = base64.b64encode(value.encode() if isinstance(value, str) else value).decode()
    values: dict[str, Any] = {"data": encoded, "labels": dict(_str_map("labels", labels or {}))}
    if type is not None:
        values["type"] = _text("type", type)
    return Secret(namespace=_namespace(namespace), name=_text("name", name), **values)


# -- argument checks --------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    return "None" if value is None else f"{type(value).__name__} {value!r:.40}"


def _text(argument: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{argument} is a str, not {_type_name(value)}")
    if not value:
        raise ValueError(f"{argument} is empty")
    return value


def _namespace(value: Any) -> str | None:
    return None if value is None else _text("namespace", value)


def _count(argument: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{argument} is an int, not {_type_name(value)}")
    if value < 0:
        raise ValueError(f"{argument} is >= 0, not {value}")
    return value


def _port(argument: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{argument} is a port number (int), not {_type_name(value)}")
    if not 1 <= value <= 65535:
        raise ValueError(f"{argument} is a port number from 1 to 65535, not {value}")
    return value


def _strings(argument: str, value: Any) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        hint = f" (a list: {value.split()!r}?)" if isinstance(value, str) else ""
        raise TypeError(f"{argument} is a list of str, not {_type_name(value)}{hint}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{argument}'s items are str, not {_type_name(item)}")
    return list(value)


def _str_map(argument: str, value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{argument} is a dict of str, not {_type_name(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"{argument}'s keys are non-empty str, not {key!r}")
        if not isinstance(item, str):
            raise TypeError(f"{argument}[{key!r}] is a str, not {_type_name(item)} (Kubernetes holds them as strings: str(...) it)")
    return value


def _ports(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, Mapping):
        return [{"name": _text("a port's name", n), "container_port": _port(f"ports[{n!r}]", p)} for n, p in value.items()]
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"ports is {{name: port}} or a list of port numbers, not {_type_name(value)}")
    return [{"container_port": _port(f"ports[{i}]", p)} for i, p in enumerate(value)]


def _merged(argument: str, values: dict[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """``values`` with the caller's ``extra`` fields; one field given both ways is refused (nothing is overwritten)."""
    if extra is None:
        return values
    if not isinstance(extra, Mapping):
        raise TypeError(f"{argument} is a dict of fields, not {_type_name(extra)}")
    both = sorted(set(values) & set(extra))
    if both:
        raise ValueError(f"{argument}= sets {', '.join(both)}, which the builder's own arguments set: give them one way")
    return {**values, **extra}


N = TypeVar("N")


def _nested(cls: type[N], values: Mapping[str, Any], field: str | None) -> N:
    """A ``cls`` instance of ``values`` (by field name or JSON key), every key and value checked at any depth.

    Raises:
        pykorm.ClientValidationError: naming the path (from ``field``) of a key no field has or a wrong value.
    """
    made: Any = cls
    return made._wrap(nested_json(made, values, (field,) if field else ()))  # type: ignore[no-any-return]


def _pod_spec(one: Container, restart_policy: str | None, extra: Mapping[str, Any] | None, argument: str) -> dict[str, Any]:
    values: dict[str, Any] = {"containers": [one]}
    if restart_policy is not None:
        values["restart_policy"] = _text("restart_policy", restart_policy)
    return _merged(argument, values, extra)


def _template(one: Container, labels: Mapping[str, str], restart_policy: str | None,
              pod: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"metadata": {"labels": dict(labels)}, "spec": _pod_spec(one, restart_policy, pod, "pod")}
