"""CRD conversion between the versions of one resource, hub and spoke (controller-runtime's shape).

Each version is a model (``Meta.storage`` and ``served`` say how the CRD uses it); one of them is the
hub. For every other version a function converts it to the hub and one converts the hub to it::

    @webhooks.convert(DatabaseV1, DatabaseV2)
    def up(src: DatabaseV1, dst: DatabaseV2) -> None:
        dst.engine = src.kind

``dst`` starts as the object's metadata (name, namespace, uid, labels, annotations...: the API server
refuses a conversion that changes more than labels and annotations) in the target version; the
function sets its fields. Between two spokes the object goes through the hub.

**Nothing is lost in a round trip.** After each step pykorm converts the result back and compares:
what the target version cannot hold is kept in the annotation ``conversion.pykorm.io/<version>`` (as
Kubernetes' own conversions keep fields an older version lacks), and restored when the object comes
back to that version — value by value, and only where the converted value is still what it was when
it was kept, so a change made meanwhile through the other version wins.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable, Iterator, Mapping, Sequence

from .._base.errors import FieldError
from .._base.patch import _same
from .._base.paths import MISSING, Path, delete_path, get_path, set_path
from .._http.resource import ResourceType, resource_of
from ._admission import Denied

__all__ = ["ANNOTATION_PREFIX", "Converter", "Resource", "convert_review"]

ANNOTATION_PREFIX = "conversion.pykorm.io/"

Converter = Callable[[Any, Any], Any]


class Resource:
    """The versions of one custom resource and the conversion functions between them."""

    def __init__(self, first: type) -> None:
        resource = resource_of(first)
        self.group, self.plural, self.kind = resource.group, resource.plural, resource.kind
        self.models: dict[str, type] = {}
        self.functions: dict[tuple[str, str], Converter] = {}

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"

    def add(self, source: type, target: type, function: Converter) -> None:
        for model in (source, target):
            resource = resource_of(model)
            if (resource.group, resource.plural, resource.kind) != (self.group, self.plural, self.kind):
                raise TypeError(f"{model.__name__} is {resource.kind} {resource.crd_name}, not a version of "
                                f"{self.kind} {self.crd_name}")
            known = self.models.setdefault(resource.version, model)
            if known is not model:
                raise TypeError(f"{self.crd_name} {resource.version}: two models, {known.__name__} and {model.__name__}")
        versions = (resource_of(source).version, resource_of(target).version)
        if versions[0] == versions[1]:
            raise TypeError(f"convert({source.__name__}, {target.__name__}): the same version")
        if versions in self.functions:
            raise TypeError(f"{self.crd_name}: a conversion from {versions[0]} to {versions[1]} is already registered")
        self.functions[versions] = function

    @property
    def hub(self) -> str:
        """The hub's version: the one every function converts from or to.

        Raises:
            TypeError: no version is a hub, or a spoke lacks a function to or from it (the message says which).
        """
        versions = list(self.models)
        candidates = [v for v in versions if all((s, v) in self.functions and (v, s) in self.functions
                                                 for s in versions if s != v)]
        if candidates:
            return candidates[0]
        counts = {v: sum(v in pair for pair in self.functions) for v in versions}
        hub = max(versions, key=lambda v: counts[v])
        missing = [f"{a} -> {b}" for s in versions if s != hub for a, b in ((s, hub), (hub, s))
                   if (a, b) not in self.functions]
        raise TypeError(f"{self.crd_name}: conversions go through one hub version, with a function from each other "
                        f"version to it and one back; with {hub} as the hub, missing: {', '.join(missing)}")

    def convert(self, raw: dict[str, Any], version: str) -> dict[str, Any]:
        """The object ``raw`` (a dict as the API server sends it) in ``version``; ``raw`` is not changed.

        Raises:
            Denied: the object's apiVersion or kind is not one of this resource's versions.
        """
        source = _version_of(raw, self.group, self.kind)
        if source not in self.models:
            raise Denied(f"{self.crd_name}: no model of version {source!r} (known: {', '.join(self.models)})")
        if version not in self.models:
            raise Denied(f"{self.crd_name}: no model of version {version!r} (known: {', '.join(self.models)})")
        if source == version:
            return raw
        hub = self.hub
        route = [source, version] if hub in (source, version) else [source, hub, version]
        current = raw
        for a, b in zip(route, route[1:]):
            current = self._step(current, a, b)
        return current

    def _step(self, raw: dict[str, Any], source: str, target: str) -> dict[str, Any]:
        converted = self._apply(raw, source, target)
        _restore(converted, raw, target)
        _pop_annotation(converted, ANNOTATION_PREFIX + source)  # stale: what source lacks is decided below
        back = self._apply(converted, target, source)
        kept = list(_lost(_content(raw), _content(back)))
        if kept:
            metadata = converted.setdefault("metadata", {})
            if not isinstance(metadata.get("annotations"), dict):
                metadata["annotations"] = {}
            metadata["annotations"][ANNOTATION_PREFIX + source] = json.dumps(kept, separators=(",", ":"), sort_keys=True)
        return converted

    def _apply(self, raw: dict[str, Any], source: str, target: str) -> dict[str, Any]:
        model, function = self.models[target], self.functions[(source, target)]
        src = self.models[source]._from_server(copy.deepcopy(raw))  # type: ignore[attr-defined]
        metadata = copy.deepcopy(raw.get("metadata") or {})
        resource: ResourceType = resource_of(model)
        dst = model._from_server({"apiVersion": resource.api_version, "kind": resource.kind,  # type: ignore[attr-defined]
                                  "metadata": metadata})
        label = getattr(function, "__qualname__", repr(function))
        try:
            result = function(src, dst)
        except Exception as error:
            raise _Failed(f"{label} ({source} -> {target}) raised {type(error).__name__}: {error}") from error
        if result is not None and result is not dst:
            raise _Failed(f"{label} returned {type(result).__name__}: a "
                            "conversion function fills dst (the target object, metadata already copied) and returns None")
        converted: dict[str, Any] = json.loads(json.dumps(dst._raw))  # plain JSON: no tracking containers
        converted["apiVersion"], converted["kind"] = resource.api_version, resource.kind
        return converted


class _Failed(Exception):
    """A conversion function failed; the message names it."""


def _version_of(raw: Mapping[str, Any], group: str, kind: str) -> str:
    api_version = str(raw.get("apiVersion", "")) if isinstance(raw, Mapping) else ""
    found_group, _, version = api_version.rpartition("/")
    if found_group != group or raw.get("kind") != kind or not version:
        raise Denied(f"expected a {kind} of {group}, got {api_version!r} {raw.get('kind')!r}")
    return version


def _content(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in ("apiVersion", "kind", "metadata")}


def _lost(before: Any, after: Any, path: Path = ()) -> Iterator[dict[str, Any]]:
    """Where ``after`` (a round trip) differs from ``before``: each path, its value before and after."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            yield from _lost(before.get(key, MISSING), after.get(key, MISSING), path + (key,))
        return
    if before is MISSING and after is MISSING or _same(before, after):
        return
    entry: dict[str, Any] = {"path": list(path)}
    if before is not MISSING:
        entry["value"] = before
    if after is not MISSING:
        entry["converted"] = after
    yield entry


def _restore(converted: dict[str, Any], source: Mapping[str, Any], target: str) -> None:
    """Put back into ``converted`` the values ``target`` kept in ``source``'s annotation; drop the annotation."""
    key = ANNOTATION_PREFIX + target
    _pop_annotation(converted, key)
    annotations = (source.get("metadata") or {}).get("annotations")
    kept = annotations.get(key) if isinstance(annotations, dict) else None
    if not kept:
        return
    try:
        entries = json.loads(kept)
    except ValueError:
        return  # defaced by hand: nothing to restore
    for entry in entries if isinstance(entries, list) else ():
        path = entry.get("path") if isinstance(entry, dict) else None
        if not (isinstance(path, list) and path and all(isinstance(k, str) for k in path)):
            continue
        here = get_path(converted, tuple(path))
        if here is MISSING:
            if "converted" in entry:
                continue  # removed through the other version since: that change wins
        elif not ("converted" in entry and _same(here, entry["converted"])):
            continue  # changed through the other version since: that change wins
        if "value" in entry:
            set_path(converted, tuple(path), copy.deepcopy(entry["value"]))
        else:
            delete_path(converted, tuple(path))


def _pop_annotation(raw: dict[str, Any], key: str) -> None:
    metadata = raw.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if isinstance(annotations, dict) and key in annotations:
        del annotations[key]
        if not annotations:
            del metadata["annotations"]  # type: ignore[union-attr]


# -- one review -------------------------------------------------------------------------


def convert_review(review: Mapping[str, Any], resources: Mapping[str, Resource]) -> dict[str, Any]:
    """The ``ConversionReview`` answering ``review``: every object in the desired version, or a failure.

    Raises:
        ValueError: ``review`` is not an ``apiextensions.k8s.io/v1`` ConversionReview with a request uid.
    """
    request = review.get("request") if isinstance(review, Mapping) else None
    if (review.get("apiVersion"), review.get("kind")) != ("apiextensions.k8s.io/v1", "ConversionReview") or not (
        isinstance(request, Mapping) and isinstance(request.get("uid"), str) and request.get("uid")
    ):
        raise ValueError("not an apiextensions.k8s.io/v1 ConversionReview with a request uid")
    response: dict[str, Any] = {"uid": request["uid"]}
    answer = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview", "response": response}
    try:
        objects = request.get("objects")
        desired = str(request.get("desiredAPIVersion", ""))
        if not isinstance(objects, list):
            raise Denied("the ConversionReview has no list of objects")
        group, _, version = desired.rpartition("/")
        converted = []
        for raw in objects:
            if not isinstance(raw, dict):
                raise Denied(f"not an object: {str(raw)[:100]}")
            resource = _resource_for(resources, group, raw)
            converted.append(_checked(resource.convert, raw, version))
        response["convertedObjects"] = converted
        response["result"] = {"status": "Success"}
    except Denied as denied:
        response["convertedObjects"] = []
        response["result"] = {"status": "Failure", "message": str(denied)}
    return answer


def _resource_for(resources: Mapping[str, Resource], group: str, raw: Mapping[str, Any]) -> Resource:
    for resource in resources.values():
        if resource.group == group and resource.kind == raw.get("kind"):
            return resource
    raise Denied(f"pykorm webhook: no conversions registered for {raw.get('kind')!r} of {group!r}")


def _checked(convert: Callable[[dict[str, Any], str], dict[str, Any]], raw: dict[str, Any], version: str) -> Any:
    try:
        return convert(raw, version)
    except Denied:
        raise
    except Exception as error:  # noqa: BLE001 - a failed conversion is answered, with its reason
        from ._admission import log

        name = (raw.get("metadata") or {}).get("name")
        log.exception("pykorm webhook: converting %s %s to %s failed", raw.get("kind"), name, version)
        why = str(error) if isinstance(error, _Failed) else f"{type(error).__name__}: {error}"
        raise Denied(FieldError("", f"pykorm webhook: converting {raw.get('kind')} {name!r} to {version} failed: "
                                    f"{why}")) from error


def route(resource: Resource, source: str, target: str) -> Sequence[str]:
    """The versions an object goes through from ``source`` to ``target`` (for tests and docs)."""
    hub = resource.hub
    return [source, target] if hub in (source, target) else [source, hub, target]
