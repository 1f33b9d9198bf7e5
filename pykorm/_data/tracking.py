"""Change tracking: reading a field never copies the object; a change is remembered where it happens.

A model holds the object as the server sent it (``_raw``) and ``save`` sends a merge patch
of the difference between the object as read (``Model.original``) and as it is now. The
original is kept by the first change, not by reads: a program that only reads pays nothing.

Every change is reported to the model *before* it is made (``Model._will_change``), by:

- field assignment (``obj.price = 3``), also through nested views (``obj.score.exterior = 3``),
  which know their model;
- :class:`~pykorm._data.convert.NestedList`, the live view a ``ListField`` returns, and the nested views
  it hands out (``obj.seeds.append(...)``, ``obj.seeds[0].kind = "x"``);
- the containers a field read hands out (``obj.labels["a"] = "b"``, ``obj.tags.append("x")``,
  ``dict[str, X]`` and free-form fields): a plain ``dict`` or ``list`` read through a field is
  swapped, in place in ``_raw``, for a :class:`TrackedDict` / :class:`TrackedList`. They are
  ``dict``/``list`` subclasses, so ``json.dumps``, ``isinstance`` and ``==`` see the plain
  container; their mutating methods report first. A container inside one is swapped the same
  way when it is read from it (``obj.data["a"].append(1)``). They hold their model by weak
  reference (no reference cycle through ``_raw``), and a copy of one (``copy``, ``deepcopy``,
  pickle, :func:`json_copy`) is a plain container.
- the default a read hands out for an absent field (:class:`Pending`): put in the JSON by its first
  change, so that a read changes nothing the object holds.

The first report takes the snapshot: :func:`json_copy` of the whole object, about 2.5 times
cheaper than ``copy.deepcopy``. Reading scalars, nested objects and lists of them swaps and
copies nothing; reading a ``dict``/``list`` field copies that container's top level once.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, ClassVar

__all__ = ["Pending", "TrackedDict", "TrackedList", "json_copy", "pending", "tracked"]

_Owner = Callable[[], Any]  # a weak reference to the object whose _will_change() is called


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars) made of plain dicts and lists."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in dict.items(value)}
    if isinstance(value, list):
        return [json_copy(v) for v in list.__iter__(value)]
    return value


def tracked(parent: dict[str, Any], key: str, value: Any, owner: Any) -> Any:
    """``value`` (``parent[key]``, a dict or list) as a container reporting changes to ``owner``.

    A plain container is swapped for a tracked one in ``parent`` (not a change: nothing to save);
    a tracked one is pointed at ``owner`` (it may have been read through another view before).
    """
    ref = weakref.ref(owner)
    if isinstance(value, (TrackedDict, TrackedList)):
        value._owner = ref
        return value
    container = _track(value, ref)
    dict.__setitem__(parent, key, container)
    return container


class Pending:
    """The owner of a field's default container, read where the object has no value: the default is put in the
    object's JSON by its first change, not by the read. So a read changes nothing the object holds (its equality,
    ``to_dict()``, what ``apply`` sends): ``obj.tags`` of an object without tags is ``[]``, and stays absent from
    the JSON until ``obj.tags.append(...)``. It stands for the object to the container or view handed out.

    It holds the object (a nested view may be a temporary, ``obj.spec.tags``) until the change; a tracked container
    put in then reports to the object's model by weak reference, as every other does.
    """

    __slots__ = ("_obj", "_path", "_value")

    def __init__(self, obj: Any, path: tuple[str, ...], value: Any) -> None:
        self._obj = obj
        self._path = path
        self._value = value

    def __call__(self) -> Pending:  # a tracked container calls its owner for the model to report to
        return self

    def _will_change(self) -> None:
        obj = self._obj
        obj._will_change()
        raw, path = obj._raw, self._path
        for key in path[:-1]:
            child = raw.get(key)
            if not isinstance(child, dict):
                child = raw[key] = {}
            raw = child
        if raw.get(path[-1]) is None:  # still absent (another read's default may have been put in since)
            raw[path[-1]] = self._value
            if isinstance(self._value, (TrackedDict, TrackedList)):
                self._value._owner = weakref.ref(obj._root_object() or obj)

    def _root_object(self) -> Any:
        return self._obj._root_object() or self._obj


def pending(obj: Any, path: tuple[str, ...], value: Any) -> Any:
    """``value``, the default of a field absent from ``obj``'s JSON: a tracked container its first change puts in
    (:class:`Pending`), or (``as_owner``) the owner to give a view of it."""
    holder = Pending(obj, path, value)
    container = _track(value, holder)
    holder._value = container
    return container


def _track(value: Any, owner: _Owner) -> Any:
    container: TrackedDict | TrackedList = TrackedDict(value) if type(value) is dict else TrackedList(value)
    container._owner = owner
    return container


def _child(owner: _Owner, value: Any) -> Any:
    """``value`` read from a tracked container: a tracked container if it is one, pointed at ``owner``."""
    kind = type(value)
    if kind is dict or kind is list:
        return _track(value, owner)
    if kind is TrackedDict or kind is TrackedList:
        value._owner = owner
    return value


class _Tracked:
    """What tracked dicts and lists share: the model they report to, tracked children, plain copies."""

    __slots__ = ()
    _owner: _Owner
    _plain: ClassVar[Any]  # dict or list

    def _will_change(self) -> None:
        owner = self._owner()
        if owner is not None:
            owner._will_change()

    def _read(self, key: Any, value: Any) -> Any:
        """``value``, stored at ``key``, as a tracked container if it is one (swapped in once)."""
        child = _child(self._owner, value)
        if child is not value:
            self._plain.__setitem__(self, key, child)
        return child

    def _track_children(self) -> None:
        container: Any = self
        pairs = dict.items(container) if self._plain is dict else enumerate(list.__iter__(container))
        for key, value in list(pairs):
            self._read(key, value)

    def __copy__(self) -> Any:
        return self._plain.copy(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return json_copy(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return self._plain, (self._plain.copy(self),)


class TrackedDict(_Tracked, dict[str, Any]):
    """A dict in a model's object that reports changes to the model before making them."""

    __slots__ = ("_owner",)
    _plain = dict

    def __getitem__(self, key: str) -> Any:
        return self._read(key, dict.__getitem__(self, key))

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def values(self) -> Any:
        self._track_children()
        return dict.values(self)

    def items(self) -> Any:
        self._track_children()
        return dict.items(self)


class TrackedList(_Tracked, list[Any]):
    """A list in a model's object that reports changes to the model before making them."""

    __slots__ = ("_owner",)
    _plain = list

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            self._track_children()
            return list.__getitem__(self, index)
        return self._read(index, list.__getitem__(self, index))

    def __iter__(self) -> Any:
        self._track_children()
        return list.__iter__(self)

    def __reversed__(self) -> Any:
        self._track_children()
        return list.__reversed__(self)


def _reporting(method: Callable[..., Any]) -> Callable[..., Any]:
    def report_then(self: Any, *args: Any, **kwargs: Any) -> Any:
        self._will_change()
        return method(self, *args, **kwargs)

    report_then.__name__ = method.__name__
    report_then.__doc__ = method.__doc__
    return report_then


for _name in ("__setitem__", "__delitem__", "__ior__", "clear", "pop", "popitem", "update"):
    setattr(TrackedDict, _name, _reporting(getattr(dict, _name)))
for _name in (
    "__setitem__", "__delitem__", "__iadd__", "__imul__",
    "append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort",
):
    setattr(TrackedList, _name, _reporting(getattr(list, _name)))
del _name
