"""The in-memory store behind an informer: objects by key, with indexes.

Keys are ``namespace/name`` (``name`` for cluster-scoped objects), as client-go's
``MetaNamespaceKeyFunc``. The stored dicts are the JSON the watch decoded; they are
never changed in place (an event replaces the dict), so readers may hold them
without a lock — and must not change them: the cache's queries hand out copies.

Indexes map a value to the keys of the objects an index function gives it for:
``namespace`` and ``owner`` (the uids in ``ownerReferences``) always exist; more are
added with :meth:`Store.add_index` (a function of the raw object, as client-go's
``Indexers``), before or after the store fills.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from .._select.ordering import list_key

__all__ = ["IndexFunc", "Raw", "Store", "key_of"]

Raw = dict[str, Any]
IndexFunc = Callable[[Raw], Iterable[str]]
"""An index function: the index values of one object (as JSON), such as its node name or its labels' values."""


key_of = list_key
"""``namespace/name``, or ``name`` for a cluster-scoped object: an object's key in a store, in the server's list order."""


def _namespace(raw: Raw) -> Iterable[str]:
    namespace = (raw.get("metadata") or {}).get("namespace")
    return (namespace,) if namespace else ()


def _owners(raw: Raw) -> Iterable[str]:
    return [ref["uid"] for ref in (raw.get("metadata") or {}).get("ownerReferences") or () if ref.get("uid")]


class Store:
    """A thread-safe map of key to object (raw JSON), with named indexes.

    >>> store.by_index("owner", site.uid)   # the raw objects a WebSite owns
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Raw] = {}
        self._functions: dict[str, IndexFunc] = {"namespace": _namespace, "owner": _owners}
        self._indexes: dict[str, dict[str, set[str]]] = {name: {} for name in self._functions}

    def add_index(self, name: str, function: IndexFunc) -> None:
        """Index every object (now and later) by ``function(raw)``; a name taken by another function is an error.

        Raises:
            ValueError: ``name`` already indexes with another function.
        """
        with self._lock:
            if name in self._functions:
                if self._functions[name] is function:
                    return
                raise ValueError(f"index {name!r} exists already, with another function")
            self._functions[name] = function
            index: dict[str, set[str]] = {}
            for key, raw in self._items.items():
                for value in function(raw):
                    index.setdefault(value, set()).add(key)
            self._indexes[name] = index

    def put(self, raw: Raw) -> Raw | None:
        """Store ``raw`` under its key; the object it replaces, or None."""
        key = key_of(raw)
        with self._lock:
            old = self._items.get(key)
            if old is not None:
                self._unindex(key, old)
            self._items[key] = raw
            self._index(key, raw)
            return old

    def remove(self, key: str) -> Raw | None:
        """Forget the object under ``key``; the object, or None when there was none."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._unindex(key, old)
            return old

    def get(self, key: str) -> Raw | None:
        """The object under ``key``, or None."""
        return self._items.get(key)

    def keys(self) -> list[str]:
        """Every key, now."""
        with self._lock:
            return list(self._items)

    def items(self) -> list[Raw]:
        """Every object, now (a list: later changes do not show in it)."""
        with self._lock:
            return list(self._items.values())

    def by_index(self, name: str, value: str) -> list[Raw]:
        """The objects that index ``name`` gives ``value``.

        Raises:
            KeyError: no such index (the message lists them).
        """
        with self._lock:
            index = self._indexes.get(name)
            if index is None:
                raise KeyError(f"no index {name!r}; indexes are: {', '.join(sorted(self._indexes))}")
            return [self._items[key] for key in index.get(value, ())]

    def count(self, name: str, value: str) -> int:
        """How many objects index ``name`` gives ``value`` (0 for an unknown index)."""
        return len(self._indexes.get(name, {}).get(value, ()))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def _index(self, key: str, raw: Raw) -> None:
        for name, function in self._functions.items():
            index = self._indexes[name]
            for value in function(raw):
                index.setdefault(value, set()).add(key)

    def _unindex(self, key: str, raw: Raw) -> None:
        for name, function in self._functions.items():
            index = self._indexes[name]
            for value in function(raw):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
