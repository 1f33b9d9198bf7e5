"""Watches: other kinds whose changes reconcile some of a controller's objects (controller-runtime's ``Watches``).

    >>> def sites_using(secret):                  # EnqueueRequestsFromMapFunc
    ...     return sites.query.filter(spec__secret_name=secret.name).namespace(secret.namespace)
    >>> manager.reconciler(WebSite, watches=[Watch(Secret, sites_using)])

A :class:`Watch` names a kind and a function mapping one of its objects (the new state; on a
deletion the last one seen) to what to reconcile: reconciled-model objects, ``"namespace/name"``
keys (``"name"`` for a cluster-scoped model) or ``(namespace, name)`` pairs, in any iterable.
Without a function it maps through ``ownerReferences`` to the controller owner (what ``owns=``
does). Its predicate (default :data:`~._predicates.ANY`) filters changes first; its namespace and
selector narrow the informer (the manager's namespace by default).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Union

from .._base.errors import ClientValidationError
from .._data.objects import peek
from ._predicates import Predicate

if TYPE_CHECKING:
    from ..models._model import Model

__all__ = ["KeyLike", "Mapper", "Watch", "keys_of"]

KeyLike = Union["Model", str, "tuple[str | None, str]"]
Mapper = Callable[[Any], "Iterable[KeyLike] | None"]


@dataclasses.dataclass(frozen=True)
class Watch:
    """A kind to watch, and how its changes map to keys to reconcile (None: the controller owner).

    Args:
        model: the watched kind.
        map: ``fn(obj) -> iterable`` of objects, keys or ``(namespace, name)``; None: ``ownerReferences``.
        predicate: which changes count (a :class:`Predicate` or a function of ``(old, new)``); default every one.
        namespace: watch only this namespace (default: the manager's).
        selector: watch only objects with these labels.
    """

    model: type[Model]
    map: Mapper | None = None
    predicate: Predicate | Callable[[Any, Any], object] | None = None
    namespace: str | None = None
    selector: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, type):
            raise TypeError(f"Watch takes a model class first, not {self.model!r}")
        if self.map is not None and not callable(self.map):
            raise TypeError(f"Watch(map=...) is a function of one object, not {self.map!r}")


def keys_of(found: Iterable[KeyLike] | None, model: type[Model], namespaced: bool, source: str) -> list[str]:
    """The work-queue keys of what a map function returned for ``source`` (an object's label, for errors).

    Raises:
        ClientValidationError: an item is not an object of ``model``, a key or a pair; a namespaced
            model's key lacks its namespace (or a cluster-scoped one's has one).
    """
    if found is None:
        return []
    if isinstance(found, (str, bytes)) or not isinstance(found, Iterable):
        raise ClientValidationError(f"the map function for {source} must return an iterable of keys, not {found!r}")
    keys: list[str] = []
    for item in found:
        namespace: str | None
        if isinstance(item, model):
            namespace, name = (peek(item).get("metadata", {}).get("namespace") if namespaced else None), item.name
        elif isinstance(item, str):
            namespace, _, name = item.rpartition("/")
        elif isinstance(item, tuple) and len(item) == 2 and (item[0] is None or isinstance(item[0], str)) \
                and isinstance(item[1], str):
            namespace, name = item
        else:
            raise ClientValidationError(
                f"the map function for {source} returned {item!r}: return {model.__name__} objects, "
                f"'namespace/name' keys or (namespace, name) pairs")
        if not name or bool(namespace) != namespaced:
            need = "'namespace/name'" if namespaced else "a name without namespace"
            raise ClientValidationError(f"the map function for {source} returned {item!r}: {model.__name__} "
                                        f"keys are {need}")
        keys.append(f"{namespace}/{name}" if namespace else name)
    return keys
