"""Transforms: what an informer keeps of each object, applied before it is stored (client-go's ``TransformFunc``).

    >>> pk.cache(Secret, transform=strip_managed_fields)        # the whole managedFields dropped
    >>> Manager(pk)                  # its caches: slim_managed_fields by default; cache_transform=None keeps all

``metadata.managedFields`` is often a third or more of a small object's JSON, and nothing but
server-side apply reads it. A manager's caches drop by default the entries of ``Update``
writes (:func:`slim_managed_fields`) and keep those of server-side applies, which
:func:`~pykorm.controller.apply_owned` reads to know that an apply would change nothing (without
its entry it applies every time: never a wrong answer, a request more). ``pk.cache`` stores what
the server sends unless told otherwise: a query may filter on anything.

A transform gets the object's JSON as the watch or list decoded it (not shared with anything
else yet), may change it in place, and returns what to store. It runs on the informer's thread
for every object listed or changed: keep it quick. It must keep ``metadata`` (name, namespace,
uid, resourceVersion), which the cache and the watch run on.

Shared informers (a ``Manager``'s and ``pk.cache``'s on one session) read one list and watch,
which stores what the loosest of them asked for: an informer may be handed more than its
transform keeps, never less (:func:`keeps_all_of`). ``None`` keeps everything, then
:func:`slim_managed_fields`, then :func:`strip_managed_fields`; any other function shares only
with informers that asked for that same function.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["Transform", "keeps_all_of", "looser", "slim_managed_fields", "strip_managed_fields"]

Raw = dict[str, Any]
Transform = Callable[[Raw], Raw]
"""A function of an object's JSON returning what the cache stores (the same dict, changed, or another)."""


def strip_managed_fields(raw: Raw) -> Raw:
    """``raw`` without ``metadata.managedFields`` (client-go's ``TransformStripManagedFields``)."""
    metadata = raw.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return raw


def slim_managed_fields(raw: Raw) -> Raw:
    """``raw`` with only the ``managedFields`` entries of server-side applies (``operation: Apply``).

    Those say which fields each applier owns, which ``apply_owned`` needs; ``Update`` entries (every
    PUT and patch: controllers' status writes, kubectl edits, most clients) are dropped.
    """
    metadata = raw.get("metadata")
    if isinstance(metadata, dict):
        entries = metadata.get("managedFields")
        if entries:
            kept = [entry for entry in entries if isinstance(entry, dict) and entry.get("operation") == "Apply"]
            if kept:
                metadata["managedFields"] = kept
            else:
                del metadata["managedFields"]
    return raw


_CHAIN: tuple[Transform | None, ...] = (None, slim_managed_fields, strip_managed_fields)
"""Transforms each of which keeps everything the next one keeps."""


def keeps_all_of(stored: Transform | None, asked: Transform | None) -> bool:
    """True when objects stored through ``stored`` hold everything ``asked`` would have kept."""
    if stored is asked:
        return True
    return stored in _CHAIN and asked in _CHAIN and _CHAIN.index(stored) <= _CHAIN.index(asked)


def looser(one: Transform | None, other: Transform | None) -> tuple[bool, Transform | None]:
    """``(True, the transform that keeps all that one and other keep)``, or ``(False, None)`` when no known one does."""
    if keeps_all_of(one, other):
        return True, one
    if keeps_all_of(other, one):
        return True, other
    return False, None
