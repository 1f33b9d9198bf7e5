"""What :mod:`pykorm._tools.k8s_codegen` reads from a cluster: every kind it serves, their OpenAPI v3
documents, discovery (plural, scope) and the field selectors the server accepts; and the records of what
older releases serve (:data:`RELEASES_DIR`), so that the generated docstrings say what they lack.

The kinds are those the API server serves itself (Kubernetes' groups, custom resources' excluded), every
version of each group: the core group first, then each group in the order discovery lists them with its
preferred version first. That order decides which kind a top-level name of :mod:`pykorm.k8s` is when two
share it (``Event`` is core/v1's; ``HorizontalPodAutoscaler`` autoscaling/v2's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Mapping

from .._base.versions import KUBERNETES_VERSION
from .._http.transport import Transport
from .._schema.openapi import is_custom_group

__all__ = ["RELEASES_DIR", "K8sInputs", "fetch_inputs", "load_older", "served_kinds"]

_ENVELOPE = ("apiVersion", "kind", "metadata")


class K8sInputs:
    """What the generator reads from a cluster: OpenAPI documents, discovery and accepted field selectors.

    Attributes:
        documents: the OpenAPI v3 document of each group version (``"v1"``, ``"apps/v1"``).
        resources: (group version, kind) → (plural, namespaced).
        selectable: (group version, kind) → the field paths the server accepts in a field selector.
        older: release (``"v1.35.4"``) → definition name → its property names, as that older release
            serves them (``k8s_codegen.served_fields``, recorded in :data:`RELEASES_DIR`): what it lacks is noted.
        kinds: (group, version, kind) of every kind to generate, in the order that decides top-level names
            (:func:`served_kinds`); by default every kind of ``resources``, in its order.
    """

    def __init__(self, documents: dict[str, Any], resources: dict[tuple[str, str], tuple[str, bool]],
                 selectable: dict[tuple[str, str], tuple[str, ...]],
                 older: Mapping[str, Mapping[str, list[str]]] | None = None,
                 kinds: Iterable[tuple[str, str, str]] | None = None) -> None:
        self.documents, self.resources, self.selectable = documents, resources, selectable
        self.older = dict(older or {})
        self.kinds = tuple(kinds) if kinds is not None else tuple(
            (*_split_gv(gv), kind) for gv, kind in resources)


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def _split_gv(gv: str) -> tuple[str, str]:
    group, _, version = gv.rpartition("/")
    return group, version


def _prefix(gv: str) -> str:
    return f"/apis/{gv}" if "/" in gv else f"/api/{gv}"


def served_kinds(transport: Transport) -> list[tuple[str, str, str, bool]]:
    """(group, version, kind, list-able) of every kind the server serves itself (no custom resource), in
    :mod:`pykorm.k8s`'s order: core first, then each group as discovery lists them, its preferred version first."""
    found: list[tuple[str, str, str, bool]] = []
    versions = ["v1"]
    for group in _json(transport.request("GET", "/apis"))["groups"]:
        if is_custom_group(group["name"]):
            continue
        preferred = group["preferredVersion"]["groupVersion"]
        versions += [preferred] + [v["groupVersion"] for v in group["versions"] if v["groupVersion"] != preferred]
    for gv in versions:
        group, version = _split_gv(gv)
        for entry in _json(transport.request("GET", _prefix(gv)))["resources"]:
            if "/" not in entry["name"]:
                found.append((group, version, entry["kind"], "list" in (entry.get("verbs") or ())))
    return found


def fetch_inputs(transport: Transport, kinds: Iterable[tuple[str, str, str]] | None = None, *,
                 probe: bool = True) -> K8sInputs:
    """Read the OpenAPI documents and discovery of ``kinds`` (default: every kind the server serves,
    :func:`served_kinds`) from a cluster, and probe the field selectors of the list-able ones (``probe``)."""
    served = served_kinds(transport)
    listable = {(g, v, k) for g, v, k, can_list in served if can_list}
    kinds = tuple(kinds) if kinds is not None else tuple((g, v, k) for g, v, k, _ in served)
    documents: dict[str, Any] = {}
    resources: dict[tuple[str, str], tuple[str, bool]] = {}
    for group, version in dict.fromkeys((g, v) for g, v, _ in kinds):
        gv = _gv(group, version)
        documents[gv] = _json(transport.request("GET", f"/openapi/v3{_prefix(gv)}"))
        for entry in _json(transport.request("GET", _prefix(gv)))["resources"]:
            if "/" not in entry["name"]:
                resources.setdefault((gv, entry["kind"]), (entry["name"], bool(entry["namespaced"])))
    selectable = {}
    for group, version, kind in kinds:
        if not probe or (group, version, kind) not in listable:
            continue
        gv = _gv(group, version)
        plural, _ = resources[(gv, kind)]
        schema = _definitions(documents[gv])[_definition_name(documents[gv], group, version, kind)]
        path = f"{_prefix(gv)}/{plural}"
        selectable[(gv, kind)] = tuple(p for p in _scalar_paths(documents[gv], schema) if _accepted(transport, path, p))
    return K8sInputs(documents, resources, selectable, load_older(), kinds)


def _json(answer: Any) -> Any:
    return json.loads(answer) if isinstance(answer, str) else answer


def _accepted(transport: Transport, path: str, field: str) -> bool:
    from .._base.errors import ValidationError

    try:
        transport.request("GET", path, params={"fieldSelector": f"{field}=x", "limit": "1"})
    except ValidationError:
        return False
    return True


def _scalar_paths(document: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Dotted paths of the scalar fields one or two levels down (outside metadata): selector candidates."""
    found = []
    definitions = _definitions(document)
    for key, prop in (schema.get("properties") or {}).items():
        if key in _ENVELOPE:
            continue
        prop = _deref(definitions, prop)
        if prop.get("type") in ("string", "integer", "boolean"):
            found.append(key)
        for child, child_prop in (prop.get("properties") or {}).items():
            if _deref(definitions, child_prop).get("type") in ("string", "integer", "boolean"):
                found.append(f"{key}.{child}")
    return found


def _definitions(document: Mapping[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def _definition_name(document: Mapping[str, Any], group: str, version: str, kind: str) -> str:
    for name, schema in _definitions(document).items():
        if {"group": group, "version": version, "kind": kind} in (schema.get("x-kubernetes-group-version-kind") or ()):
            return name
    raise LookupError(f"{_gv(group, version)} {kind} is not in the OpenAPI document")


def _ref(schema: Mapping[str, Any]) -> str | None:
    if "$ref" in schema:
        return str(schema["$ref"]).rpartition("/")[2]
    all_of = schema.get("allOf")
    if all_of and len(all_of) == 1 and "$ref" in all_of[0]:
        return str(all_of[0]["$ref"]).rpartition("/")[2]
    return None


def _deref(definitions: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = _ref(schema)
    return definitions.get(ref, {}) if ref is not None else schema


RELEASES_DIR = Path(__file__).resolve().parent / "k8s_releases"
"""What each older release serves of the generated definitions (``v1.35.4.json``: definition → property
names), recorded with ``python -m pykorm codegen k8s --record-release`` against a cluster of that release."""


def load_older(directory: Path = RELEASES_DIR) -> dict[str, dict[str, list[str]]]:
    """The recorded older releases (those older than :data:`KUBERNETES_VERSION`), by release."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted(Path(directory).glob("v*.json")):
        record = json.loads(path.read_text())
        if record["kubernetes"] != KUBERNETES_VERSION:
            found[record["kubernetes"]] = record["definitions"]
    return found
