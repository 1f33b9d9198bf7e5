"""Install CustomResourceDefinitions and wait until the API server serves them.

A CRD is usable only once its ``Established`` condition is True *and* its
resource is listed by discovery (``GET /apis/<group>/<version>``): the first
can come a moment before the second. A CRD *replaced* with other fields is
Established and discovered already, yet the API server keeps handling its
objects with the previous schema until its own informer sees the change (objects
written meanwhile lose the new fields, pruned): so install waits until the
server publishes the new fields in the group version's OpenAPI v3 document,
which it rebuilds after that same informer event. No release (1.35 to 1.37)
says in the CRD's status which generation it serves.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping, Protocol, Union

from .._base.drive import run
from .._base.errors import (
    AlreadyExists, ApiError, ClientValidationError, ConflictError, CRDNotEstablished, NotFound, ServerUnavailable,
    ValidationError, WaitTimeout,
)
from .._base.names import path_segment
from .._http.transport import Transport
from .._schema.openapi import crd_version_schema, declared_fields, kind_schema

__all__ = ["Manifest", "Send", "Sleep", "crd_names", "install", "install_crds", "install_models", "load_manifests",
           "uninstall"]

Manifest = Union[Mapping[str, Any], str, "os.PathLike[str]"]
"""A CRD as a dict, or the path of a YAML or JSON file holding one or more."""

Send = Callable[..., Awaitable[Any]]
"""``send(method, path, body=...)``: one request, as a session's ``_send`` makes it (blocking or async)."""
Sleep = Callable[[float], Awaitable[None]]

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
_POLL_SECONDS = 0.2
_CRD_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+")  # <plural>.<group>


class HasTransport(Protocol):
    """Anything that hands out a :class:`Transport`, such as :class:`pykorm.testing.Cluster`."""

    def transport(self) -> Transport: ...


def install_crds(target: Transport | HasTransport, *manifests: Manifest, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Create (or update) each CRD, then wait until every one is Established and served.

    Args:
        target: the cluster, or a transport to its API server.
        manifests: CRD dicts, or paths of YAML/JSON files (several documents, or a ``List``, per file).
        timeout: seconds for the whole installation.

    Returns:
        The CRDs as the server holds them once served.

    Raises:
        ClientValidationError: a manifest cannot be read or is not a CustomResourceDefinition.
        CRDNotEstablished: a CRD's names were refused, or it was not served within ``timeout``.
        ApiError: the API server refused a CRD (invalid schema, forbidden...).

    >>> install_crds(cluster, "crds/peaches.pykorm.infomaniak.com.yaml")[0]["spec"]["names"]["kind"]
    'Peach'
    """
    transport = target if isinstance(target, Transport) else target.transport()

    async def send(method: str, path: str, **kwargs: Any) -> Any:
        return transport.request(method, path, **kwargs)

    async def sleep(seconds: float) -> None:
        time.sleep(seconds)

    crds = [crd for manifest in manifests for crd in load_manifests(manifest)]
    return run(install(send, sleep, crds, timeout))


async def install_models(
    send: Send, sleep: Sleep, models_or_manifests: tuple[Any, ...], timeout: float
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
    """A session's ``install_crds``: model classes (their CRDs generated) and manifests, installed.

    Returns the CRDs as stored, and the schema of each generated (apiVersion, kind): what the
    server now enforces for those models.
    """
    from .._schema.crd import crds

    models = [m for m in models_or_manifests if isinstance(m, type)]
    generated = crds(*models)
    manifests = [*generated, *(m for m in models_or_manifests if not isinstance(m, type))]
    installed = await install(send, sleep, [crd for manifest in manifests for crd in load_manifests(manifest)], timeout)
    schemas = {
        (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"]): version["schema"]["openAPIV3Schema"]
        for crd in generated
        for version in crd["spec"]["versions"]
    }
    return installed, schemas


async def install(send: Send, sleep: Sleep, crds: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
    """:func:`install_crds` of loaded CRDs through ``send`` and ``sleep``: the blocking and async sessions' one code.

    Every request is bounded by the installation's deadline (its retries too: :mod:`pykorm._http.retry`).
    """
    deadline = time.monotonic() + timeout

    async def bounded(method: str, path: str, **kwargs: Any) -> Any:
        return await send(method, path, deadline=deadline, **kwargs)

    previous = [await _create_or_replace(bounded, sleep, crd, deadline, timeout) for crd in crds]
    served = [await _wait_served(bounded, sleep, crd, deadline, timeout) for crd in crds]
    for crd, before in zip(crds, previous):
        if before is not None:
            await _wait_schemas_served(bounded, sleep, crd, before, deadline, timeout)
    return served


def crd_names(models_or_names: tuple[Any, ...]) -> list[str]:
    """The CRD names ``uninstall_crds`` is given: of model classes (their generated CRDs), CRD dicts, the
    paths of files holding CRDs, or names (``peaches.example.com``: a string that names no file and does
    not end in ``.yaml``, ``.yml`` or ``.json``).

    Raises:
        ClientValidationError: an argument is none of these.
    """
    from .._schema.crd import crds

    names: list[str] = []
    for item in models_or_names:
        if isinstance(item, type):
            names += [crd["metadata"]["name"] for crd in crds(item)]
        elif (isinstance(item, str) and not os.path.exists(item) and _CRD_NAME.fullmatch(item)
              and not item.endswith((".yaml", ".yml", ".json"))):  # a missing file is no CRD name
            names.append(item)
        elif isinstance(item, (Mapping, str, os.PathLike)):
            names += [crd["metadata"]["name"] for crd in load_manifests(item)]
        else:
            raise ClientValidationError(
                f"expected a model class, a CRD name, dict or file, not {type(item).__name__}: {item!r}")
    return list(dict.fromkeys(names))


async def uninstall(send: Send, sleep: Sleep, names: list[str], timeout: float) -> list[str]:
    """Delete each CRD (its objects go with it), then wait until every one is gone and no longer served.

    Returns the names that existed. The blocking and async sessions' one code.

    Raises:
        WaitTimeout: a CRD was still there (or still served) after ``timeout``; ``last``: the CRD as last read.
    """
    deadline = time.monotonic() + timeout

    async def bounded(method: str, path: str, **kwargs: Any) -> Any:
        return await send(method, path, deadline=deadline, **kwargs)

    deleted: dict[str, dict[str, Any]] = {}
    for name in names:
        path_segment(name, "metadata.name", what="CustomResourceDefinition")
        try:
            deleted[name] = await bounded("DELETE", f"{CRD_PATH}/{name}")
        except NotFound:
            continue
    for name, last in deleted.items():
        async for _ in _attempts(sleep, deadline):
            try:
                last = await bounded("GET", f"{CRD_PATH}/{name}")
            except NotFound:
                if not await _discovered_any(bounded, last):
                    break
        else:
            raise WaitTimeout(f"CustomResourceDefinition {name} was still there (or served) after {timeout:g} s "
                              f"(its objects' finalizers?); {_conditions_text(_conditions(last))}", last)
    return list(deleted)


def load_manifests(manifest: Manifest) -> list[dict[str, Any]]:
    """The CRDs a manifest holds (YAML needs PyYAML; JSON is always understood).

    Raises:
        ClientValidationError: the file cannot be read or parsed, or a document is not a CRD.
    """
    if isinstance(manifest, Mapping):
        source, documents = "manifest", [dict(manifest)]
    elif not isinstance(manifest, (str, os.PathLike)):
        raise ClientValidationError(f"a CRD manifest is a model class, a file's path or a CRD dict, not "
                                    f"{type(manifest).__name__} {manifest!r:.60}")
    else:
        source = str(manifest)
        try:
            documents = _parse(Path(manifest).read_text(), source)
        except OSError as error:
            raise ClientValidationError(f"cannot read CRD manifest {source}: {error}") from error
    crds = []
    for document in documents:
        is_list = isinstance(document, Mapping) and document.get("kind") == "List"
        items = (document.get("items") or []) if is_list else [document]
        for item in items:
            kind = item.get("kind") if isinstance(item, Mapping) else type(item).__name__
            if kind != "CustomResourceDefinition" or not item.get("metadata", {}).get("name"):
                raise ClientValidationError(f"{source}: expected a named CustomResourceDefinition, found a {kind}")
            crds.append(item)
    return crds


def _parse(text: str, source: str) -> list[dict[str, Any]]:
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ClientValidationError(
                f"{source} is not JSON, and reading YAML needs PyYAML (pip install PyYAML)"
            ) from error
        return list(data) if isinstance(data, list) else [data]
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        raise ClientValidationError(f"{source} is not valid YAML: {error}") from error


async def _create_or_replace(send: Send, sleep: Sleep, crd: dict[str, Any], deadline: float,
                             timeout: float) -> dict[str, Any] | None:
    """Create or replace ``crd``; the CRD it replaced (None: created)."""
    name = crd["metadata"]["name"]
    try:
        return await _write(send, sleep, crd, name, deadline, timeout)
    except ValidationError as error:
        raise ValidationError(
            f"the API server refused the CustomResourceDefinition {name}: {error.body.get('message') or error}",
            causes=error.causes, status=error.status, reason=error.reason, body=error.body,
        ) from error


async def _write(send: Send, sleep: Sleep, crd: dict[str, Any], name: str, deadline: float,
                 timeout: float) -> dict[str, Any] | None:
    async for _ in _attempts(sleep, deadline):
        try:
            await send("POST", CRD_PATH, body=crd)
            return None
        except AlreadyExists:
            pass
        try:
            current = await send("GET", f"{CRD_PATH}/{name}")
        except NotFound:
            continue  # deleted in between: create it again
        if current["metadata"].get("deletionTimestamp"):
            continue  # an old copy is being deleted: wait, then create
        metadata = {**crd["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}
        try:
            await send("PUT", f"{CRD_PATH}/{name}", body={**crd, "metadata": metadata})
            return dict(current)
        except (ConflictError, NotFound):
            continue  # changed in between: read it again
    raise CRDNotEstablished(f"CustomResourceDefinition {name}: an old copy was still being deleted after {timeout:g} s")


async def _wait_served(send: Send, sleep: Sleep, crd: dict[str, Any], deadline: float, timeout: float) -> dict[str, Any]:
    name = crd["metadata"]["name"]
    conditions: dict[str, dict[str, Any]] = {}
    async for _ in _attempts(sleep, deadline):
        current: dict[str, Any] = await send("GET", f"{CRD_PATH}/{name}")
        conditions = _conditions(current)
        if conditions.get("NamesAccepted", {}).get("status") == "False":
            raise CRDNotEstablished(f"CustomResourceDefinition {name}: its names were refused; {_conditions_text(conditions)}")
        if conditions.get("Established", {}).get("status") == "True" and await _discovered(send, current):
            return current
    raise CRDNotEstablished(
        f"CustomResourceDefinition {name} was not Established and served after {timeout:g} s; {_conditions_text(conditions)}"
    )


async def _wait_schemas_served(send: Send, sleep: Sleep, crd: dict[str, Any], before: Mapping[str, Any],
                               deadline: float, timeout: float) -> None:
    """Wait until the server publishes the fields of each served version whose fields the replaced CRD changed.

    A server that does not let this user read its OpenAPI v3 documents leaves nothing to wait for.

    Raises:
        CRDNotEstablished: a version's new fields were not published within ``timeout``.
    """
    spec = crd["spec"]
    changed = {
        version: fields for version, fields in (
            (v["name"], declared_fields(crd_version_schema(crd, v["name"]) or {}))
            for v in spec["versions"] if v.get("served", True)
        ) if fields != declared_fields(crd_version_schema(before, version) or {})
    }
    for version, fields in changed.items():
        published: frozenset[tuple[str, ...]] = frozenset()
        async for _ in _attempts(sleep, deadline):
            try:
                document = await send("GET", f"/openapi/v3/apis/{spec['group']}/{version}")
            except ServerUnavailable:
                raise
            except ApiError:
                return  # not readable here (forbidden, or no OpenAPI v3): nothing to wait for
            schema = kind_schema(document, spec["group"], version, spec["names"]["kind"]) if isinstance(document, dict) else None
            published = declared_fields(schema or {})
            if published == fields:
                break
        else:
            missing = sorted(".".join(path) for path in fields - published)
            raise CRDNotEstablished(
                f"CustomResourceDefinition {crd['metadata']['name']} was replaced, but the server still served "
                f"{version}'s previous fields after {timeout:g} s (not yet: {', '.join(missing) or 'none'}; "
                f"no longer: {', '.join(sorted('.'.join(p) for p in published - fields)) or 'none'})"
            )


def _conditions(crd: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (crd.get("status") or {}).get("conditions") or ()}


async def _discovered_any(send: Send, crd: dict[str, Any]) -> bool:
    """True while discovery still lists the CRD's plural in one of its versions."""
    spec = crd.get("spec") or {}
    for version in (v["name"] for v in spec.get("versions") or ()):
        try:
            listing = await send("GET", f"/apis/{spec['group']}/{version}")
        except NotFound:
            continue
        if any(r.get("name") == spec["names"]["plural"] for r in listing.get("resources") or ()):
            return True
    return False


async def _discovered(send: Send, crd: dict[str, Any]) -> bool:
    """True when discovery lists the CRD's plural in every version it serves."""
    spec = crd["spec"]
    for version in (v["name"] for v in spec["versions"] if v.get("served", True)):
        try:
            listing = await send("GET", f"/apis/{spec['group']}/{version}")
        except NotFound:
            return False
        if not any(r.get("name") == spec["names"]["plural"] for r in listing.get("resources") or ()):
            return False
    return True


def _conditions_text(conditions: Mapping[str, Mapping[str, Any]]) -> str:
    if not conditions:
        return "conditions: none yet"
    parts = (f"{t}={c.get('status')} ({c.get('reason', '')}: {c.get('message', '')})" for t, c in conditions.items())
    return "conditions: " + "; ".join(parts)


async def _attempts(sleep: Sleep, deadline: float) -> AsyncIterator[None]:
    """Yield at once, then again every poll interval until ``deadline`` (a ``time.monotonic()`` value)."""
    yield
    while time.monotonic() < deadline:
        await sleep(_POLL_SECONDS)
        yield
