"""An informer's first list as a stream: a watch with ``sendInitialEvents`` (KEP-3157), where the server serves it.

Instead of a list (pages of JSON, each decoded whole), the server sends every object as an
``ADDED`` event from its watch cache, then a bookmark annotated ``k8s.io/initial-events-end``
whose resourceVersion is the snapshot's: the informer then watches from there, as after a list.
A server without the ``WatchList`` feature refuses the parameters (400/422: ``resourceVersionMatch``
is forbidden for a plain watch, on every release since it existed), and the informer lists
instead — asked once per informer, remembered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from .._base.drive import iterate
from .._base.errors import ApiError, ServerUnavailable
from .._session.watch import Watcher

if TYPE_CHECKING:
    from .._session.client import ResourceClient

__all__ = ["INITIAL_EVENTS_END", "NotServed", "stream_initial"]

INITIAL_EVENTS_END = "k8s.io/initial-events-end"

Raw = dict[str, Any]


class NotServed(Exception):
    """The server does not stream initial events (the caller lists instead)."""


def stream_initial(client: ResourceClient, watcher: Watcher[Any]) -> list[Raw]:
    """The objects ``watcher`` matches now, streamed; sets its ``known`` objects and the resourceVersion to watch from.

    Each object is kept as it arrives, as the watcher's ``keep`` says (an informer's compaction and
    transform: :mod:`._compact`), not once the whole list is in.

    Raises:
        NotServed: the server refused the parameters (it does not serve streaming lists).
        ServerUnavailable, ApiError: as a list would (the stream broke, access refused...).
    """
    if watcher.empty:
        return []
    params: dict[str, Any] = {key: value for key, value in watcher.params.items() if value}
    params.update({"watch": True, "sendInitialEvents": True, "resourceVersionMatch": "NotOlderThan",
                   "allowWatchBookmarks": True, "timeoutSeconds": 600})
    known: dict[str, Raw] = {}
    try:
        stream = client.stream(watcher.path, params, silence=watcher.silence, opened=watcher.opened)
        version = _read(iterate(stream), watcher, client, known)
    except ApiError as error:
        if error.status in (400, 422):
            raise NotServed(str(error)) from error
        raise
    if not version:
        raise ServerUnavailable(f"watch {watcher.path}: the stream ended before the end of its initial events")
    watcher.known, watcher.version = known, version
    return list(known.values())


def _read(events: Iterator[Raw], watcher: Watcher[Any], client: ResourceClient, known: dict[str, Raw]) -> str:
    """Gather the initial events into ``known``; the resourceVersion of their end ("" if the stream ended first)."""
    resource = client.resource
    keep = watcher.keep
    try:
        for event in events:
            kind, raw = event.get("type"), event.get("object") or {}
            metadata = raw.get("metadata") or {}
            if kind == "ERROR":
                raise _refused(raw, watcher.path)
            if kind == "BOOKMARK":
                if (metadata.get("annotations") or {}).get(INITIAL_EVENTS_END) == "true":
                    return str(metadata.get("resourceVersion") or "")
                continue
            raw.setdefault("apiVersion", resource.api_version)
            raw.setdefault("kind", resource.kind)
            if kind == "DELETED" or not watcher._matches(raw):
                known.pop(str(metadata.get("uid")), None)
            else:
                known[str(metadata["uid"])] = raw if keep is None else keep(raw)
        return ""
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # the generator closes the stream (its connection)


def _refused(status: Raw, path: str) -> Exception:
    from .._http.transport import error_from_status

    code = int(status.get("code") or 0)
    error = error_from_status(code, status, f"watch {path}")
    return NotServed(str(error)) if code in (400, 422) else error
