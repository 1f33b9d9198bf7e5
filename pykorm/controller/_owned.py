"""Owned objects in one call: make a child match its desired state and its owner (server-side apply).

    >>> configmap = apply_owned(site, ConfigMap(namespace=site.namespace, name=f"{site.name}-content",
    ...                                          data={"index.html": site.content}))

:func:`apply_owned` sets ``owner`` as the child's controller owner, then server-side applies
the child with the session's field manager (``force``: a controller takes its fields back
from whoever edited them). The child is only the *desired* fields, built fresh each
reconcile; fields the controller applied before and no longer sets are removed by the apply,
fields of other writers are left alone. No ``AlreadyExists`` dance: an apply creates or merges.

No write when nothing differs. The live child is read from the reconciling controller's
cache of that kind (``owns=``, or ``cache=``; with neither, each call is one apply), and the apply is skipped when
every desired field has its value there (server defaults added, elements of other writers in
lists of objects, are fine) and the controller's own ``managedFields`` entry holds no field
the desired state lacks (else the apply must remove it).

No echo reconcile. The apply carries the cached ``resourceVersion`` as a precondition, so
its answer is provably the state it produced (:mod:`pykorm._base.receipts`) and that state's
watch event is recognised as the echo; a stale cache conflicts, and the child is read again
and the apply retried. A child the cache has not seen is applied without precondition; its
answer is still taken as the controller's own state when its ``managedFields`` hold only the
controller's apply (no other writer's field is in it).

Values the server rewrites (quantities such as ``0.5`` → ``500m``, ``1024Mi`` → ``1Gi``; what a
mutating webhook changes) never look equal to the desired ones. So each apply's answer is
remembered with the cache (per child: the desired state's digest, the ``resourceVersion`` the
apply produced and the desired fields' values *as the server stored them*): while the desired
state is the same, the child is compared with those stored values, and the very state the apply
produced needs no comparison at all. A process that starts afresh sends one apply per such
child (a no-op for the server: nothing is written, the ``resourceVersion`` stays), then none.

:func:`apply_owned_async` is the same for ``async def`` reconcilers, awaiting a
:class:`pykorm.aio.AsyncPykorm`.
"""

from __future__ import annotations

import collections
import hashlib
import json
import threading
import weakref
from typing import TYPE_CHECKING, Any, TypeVar

from .._base.drive import run
from .._base.errors import ConflictError, NotFound
from .._data.objects import user_metadata
from .._data.stored import adopt
from .._base.receipts import note_state
from .._http.resource import resource_of
from .._http.transport import APPLY_PATCH
from ._informer import Informer
from ._reconcile import current_controller

if TYPE_CHECKING:
    from ..models._model import Model
    from .._session.core import SessionCore
    from .._session.session import Pykorm

__all__ = ["Applied", "apply_owned", "apply_owned_async", "applied_fields_within", "as_stored", "contains"]

M = TypeVar("M", bound="Model")


def apply_owned(
    owner: Model,
    child: M,
    *,
    session: Pykorm | None = None,
    cache: Informer[Any] | None = None,
    field_manager: str | None = None,
    force: bool = True,
    retries: int = 5,
) -> M:
    """Make ``child`` (its desired fields) exist as ``owner``'s controlled child; returns the child as stored now.

    Args:
        owner: the controller owner (a stored object); a namespaced one owns children of its namespace.
        child: a fresh object holding only the fields to set (not one read from the server).
        session: the session to write through (default: the one that read ``owner``).
        cache: the informer to read the live child from (default: the reconciling controller's of that kind).
        field_manager: the apply's manager (default: the session's).
        force: take fields another manager owns (a controller's repair); False raises :class:`ConflictError`.
        retries: fresh reads after a stale cache's conflict.

    Raises:
        ClientValidationError: ``owner`` is not stored, is in another namespace, or ``child`` has another controller.
        ConflictError: ``force=False`` and another manager owns a field; or still stale after ``retries``.
        ApiError: as the server answers (ValidationError, Forbidden...).
    """
    from .._session.session import session_of

    chosen = session or session_of(owner, "apply_owned")
    return run(_apply_owned(chosen, owner, child, cache, field_manager, force, retries))


async def apply_owned_async(
    owner: Model,
    child: M,
    *,
    session: SessionCore[Any] | None = None,
    cache: Informer[Any] | None = None,
    field_manager: str | None = None,
    force: bool = True,
    retries: int = 5,
) -> M:
    """:func:`apply_owned` for ``async def`` reconcilers: the same rules, its requests awaited on ``session``.

    ``session`` (a :class:`pykorm.aio.AsyncPykorm`) defaults to the async session of the reconciling manager
    (``Manager(async_session=...)``), else the one that read ``owner``.

    Raises:
        TypeError: no async session given, none with the manager, and ``owner`` was not read through one.
        ClientValidationError, ConflictError, ApiError: as :func:`apply_owned`.

    >>> configmap = await apply_owned_async(site, ConfigMap(namespace=site.namespace, name=site.name, data={...}))
    """
    chosen = async_session_of(owner, session, "apply_owned_async")
    return await _apply_owned(chosen, owner, child, cache, field_manager, force, retries)


def async_session_of(obj: Model, session: SessionCore[Any] | None, verb: str) -> SessionCore[Any]:
    """The async session to await ``verb`` on: ``session``, the reconciling manager's, or the one that read ``obj``.

    (A :class:`pykorm.aio.AsyncPykorm`, told as a session that is not the blocking one: ``pykorm.aio``
    imports this package, not the other way.)
    """
    from .._session.core import SessionCore
    from .._session.session import Pykorm

    found = session
    if found is None:
        controller = current_controller()
        found = getattr(controller, "async_session", None)
    if found is None:
        found = obj.__dict__.get("_session")
    if not isinstance(found, SessionCore) or isinstance(found, Pykorm):
        raise TypeError(f"{verb}({type(obj).__name__} {obj.name!r}): pass session=AsyncPykorm(...) or run the "
                        "reconcile in a Manager(async_session=...); the blocking helper is "
                        f"{verb.removesuffix('_async')}")
    return found


async def _apply_owned(session: SessionCore[Any], owner: Model, child: M, cache: Informer[Any] | None,
                       field_manager: str | None, force: bool, retries: int) -> M:
    manager = field_manager or session.field_manager
    adopt(child, owner)
    model, resource = type(child), resource_of(type(child))
    body = {k: v for k, v in child._raw.items() if k != "status"}
    body["metadata"] = user_metadata(child._raw)
    namespace = body["metadata"].get("namespace") if resource.namespaced else None
    name = str(body["metadata"].get("name") or "")
    path = resource.object_path(namespace, name)
    params = {"fieldManager": manager, "force": force or None}
    informer = cache or _cache_of(model, namespace)
    key = f"{namespace}/{name}" if namespace else name
    digest = _digest(body, manager, force)
    live = _cached(informer, namespace, name)
    for attempt in range(retries + 1):
        if live is not None and _satisfied(body, live, manager, _remembered(informer, key, digest)):
            return model._from_store(live, child._cluster, session)
        sent = body if live is None else {**body, "metadata": {**body["metadata"], "resourceVersion":
                                                               live["metadata"]["resourceVersion"]}}
        try:
            answer = await session._request(resource, "PATCH", path, child._cluster, body=sent,
                                            content_type=APPLY_PATCH, params=params)
        except ConflictError:
            if live is None or attempt == retries:
                raise  # a field conflict (force=False), or a child changing faster than it can be read
            live = await _read(session, model, name, namespace, child._cluster)  # the cache was behind
            continue
        if live is None and _sole_writer(answer, manager):
            metadata = answer["metadata"]
            note_state(metadata["uid"], metadata["resourceVersion"])  # its event is this apply's echo
        _remember(informer, key, digest, body, answer)
        return model._from_server(answer, child._cluster, session)
    raise AssertionError("unreachable")


# -- what the last apply of each child produced, kept with the cache ---------------------------------------


class Applied:
    """A child's last apply: the desired state's digest, the state it produced, the desired values as stored."""

    __slots__ = ("digest", "version", "stored")

    def __init__(self, digest: str, version: str, stored: dict[str, Any]) -> None:
        self.digest, self.version, self.stored = digest, version, stored


_MEMO_SIZE = 100_000  # children remembered per cache; the oldest go first (their next reconcile: one no-op apply)
_memos: weakref.WeakKeyDictionary[Informer[Any], collections.OrderedDict[str, Applied]] = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def _digest(body: dict[str, Any], manager: str, force: bool) -> str:
    return hashlib.blake2b(json.dumps([body, manager, force], sort_keys=True, default=str).encode(),
                           digest_size=16).hexdigest()


def _remembered(informer: Informer[Any] | None, key: str, digest: str) -> Applied | None:
    if informer is None:
        return None
    with _memos_lock:
        memo = _memos.get(informer)
        found = memo.get(key) if memo is not None else None
    return found if found is not None and found.digest == digest else None


def _remember(informer: Informer[Any] | None, key: str, digest: str, body: dict[str, Any], answer: Any) -> None:
    metadata = answer.get("metadata") if isinstance(answer, dict) else None
    if informer is None or not isinstance(metadata, dict) or not metadata.get("resourceVersion"):
        return
    applied = Applied(digest, str(metadata["resourceVersion"]), as_stored(answer, _desired_fields(body)))
    with _memos_lock:
        memo = _memos.setdefault(informer, collections.OrderedDict())
        memo.pop(key, None)
        memo[key] = applied
        while len(memo) > _MEMO_SIZE:
            memo.popitem(last=False)


def _desired_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("apiVersion", "kind")}


def _cache_of(model: type[Model], namespace: str | None) -> Informer[Any] | None:
    """The reconciling controller's informer of ``model`` that holds ``namespace``, if any."""
    controller = current_controller()
    if controller is None:
        return None
    for informer in controller.caches:
        if informer.model is model and not informer.selector and informer.namespace in (None, namespace):
            return informer
    return None


def _cached(informer: Informer[Any] | None, namespace: str | None, name: str) -> dict[str, Any] | None:
    """The live child's JSON (the cache's: not to be changed), or None when the cache has not seen it."""
    if informer is None:
        return None
    informer.check()
    return informer.store.get(f"{namespace}/{name}" if namespace else name)


async def _read(session: SessionCore[Any], model: type[Model], name: str, namespace: str | None,
                cluster: str | None) -> dict[str, Any] | None:
    try:
        return (await session._get(model, name, namespace, cluster))._raw
    except NotFound:
        return None


def _satisfied(body: dict[str, Any], live: dict[str, Any], manager: str, applied: Applied | None = None) -> bool:
    """True when applying ``body`` would change nothing: its values are live, and it sets all the manager applied.

    ``applied``, the last apply of this very ``body``: the state it produced needs no look, and other states
    are compared with the values as the server stored them then (a quantity's ``500m`` for ``0.5``).
    """
    metadata = live.get("metadata") or {}
    if applied is not None and metadata.get("resourceVersion") == applied.version:
        return True
    entries = [e for e in metadata.get("managedFields") or ()
               if e.get("manager") == manager and e.get("operation") == "Apply" and not e.get("subresource")]
    if len(entries) != 1 or not contains(live, applied.stored if applied is not None else _desired_fields(body)):
        return False
    return applied_fields_within(entries[0].get("fieldsV1") or {}, body)


def _sole_writer(answer: Any, manager: str) -> bool:
    """True when ``answer``'s managedFields hold only ``manager``'s apply: no other writer's field is in the state."""
    metadata = answer.get("metadata") if isinstance(answer, dict) else None
    if not isinstance(metadata, dict) or not metadata.get("uid") or not metadata.get("resourceVersion"):
        return False
    entries = metadata.get("managedFields") or []
    return len(entries) == 1 and entries[0].get("manager") == manager and entries[0].get("operation") == "Apply" \
        and not entries[0].get("subresource")


def as_stored(answer: Any, desired: Any) -> Any:
    """``desired`` with each value as ``answer`` (the server's state after applying it) holds it.

    Values the server normalized (``0.5`` → ``500m``) come from ``answer``; objects key by key; lists of
    objects element by element (the answer's element of the same ``name``, ``containerPort``, ``port``,
    ``type`` or ``key``, else the one at the same place when the lists are as long); where the shapes
    differ, the desired value stays.

    >>> as_stored({"cpu": "500m", "extra": 1}, {"cpu": "0.5"})
    {'cpu': '500m'}
    """
    if isinstance(desired, dict):
        if not isinstance(answer, dict):
            return desired
        return {k: as_stored(answer[k], v) if k in answer else v for k, v in desired.items()}
    if isinstance(desired, list):
        if not isinstance(answer, list):
            return desired
        if desired and all(isinstance(d, dict) for d in desired):
            return [as_stored(_same_element(answer, d, i, len(desired)), d) for i, d in enumerate(desired)]
        return answer if len(answer) == len(desired) else desired
    if desired is None or isinstance(answer, (dict, list)):
        return desired
    return answer


_ELEMENT_KEYS = ("name", "containerPort", "port", "type", "key", "mountPath", "ip")


def _same_element(answer: list[Any], wanted: dict[str, Any], index: int, length: int) -> Any:
    for field in _ELEMENT_KEYS:
        if field in wanted:
            return next((e for e in answer if isinstance(e, dict) and e.get(field) == wanted[field]), None)
    return answer[index] if len(answer) == length else None


def contains(live: Any, desired: Any) -> bool:
    """True when every value ``desired`` sets is in ``live``.

    Objects: each desired key, recursively (an empty or null value: also when the key is absent, as
    the server leaves empty maps out). Lists of objects: each desired element in some live one,
    in order (another writer's elements may sit between). Other lists and values: equal (a bool is
    not a number).

    >>> contains({"a": 1, "b": [{"n": "x", "v": 2}, {"n": "y"}]}, {"b": [{"n": "y"}]})
    True
    """
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(
            contains(live[k], v) if k in live else v in (None, {}, []) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list):
            return False
        if desired and all(isinstance(d, dict) for d in desired):
            remaining = iter(live)
            return all(any(contains(candidate, wanted) for candidate in remaining) for wanted in desired)
        return len(live) == len(desired) and all(contains(a, b) for a, b in zip(live, desired))
    if isinstance(desired, bool) or isinstance(live, bool):
        return type(desired) is type(live) and desired == live
    return bool(live == desired)


def applied_fields_within(fields: Any, desired: Any) -> bool:
    """True when every field of a ``managedFields`` entry's ``fieldsV1`` is set by ``desired`` (nothing to remove).

    ``f:name`` is a key, ``k:{...}`` a list element by its key fields (a desired element lacking a key
    field the server defaulted still matches), ``v:value`` a set element, ``i:n`` a position, ``.`` the
    element itself.

    >>> applied_fields_within({"f:data": {"f:a": {}}}, {"data": {"a": "1", "b": "2"}})
    True
    """
    if not isinstance(fields, dict):
        return False
    for key, inner in fields.items():
        if key == ".":
            continue
        kind, _, rest = key.partition(":")
        try:
            if kind == "f":
                if not isinstance(desired, dict) or rest not in desired or not applied_fields_within(inner, desired[rest]):
                    return False
            elif kind == "k":
                wanted = json.loads(rest)
                match = next((e for e in desired if _keyed(e, wanted)), None) if isinstance(desired, list) else None
                if match is None or not applied_fields_within(inner, match):
                    return False
            elif kind == "v":
                if not isinstance(desired, list) or json.loads(rest) not in desired:
                    return False
            elif kind == "i":
                index = int(rest)
                if not isinstance(desired, list) or index >= len(desired) or not applied_fields_within(inner, desired[index]):
                    return False
            else:
                return False
        except ValueError:
            return False
    return True


def _keyed(element: Any, key: dict[str, Any]) -> bool:
    """True when ``element`` is the list element of ``key``: each key field it sets is equal, and it sets one."""
    return isinstance(element, dict) and isinstance(key, dict) and any(k in element for k in key) and all(
        element[k] == v for k, v in key.items() if k in element)
