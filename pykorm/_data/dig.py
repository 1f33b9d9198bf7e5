"""Reading a value below optional levels without narrowing each: :func:`maybe` and :func:`dig`.

Two spellings, for two needs:

- **typed steps** — ``maybe(dep).then(lambda d: d.status).then(lambda s: s.conditions).get([])`` is
  ``list[DeploymentCondition]`` to mypy (and pyright): each step's parameter is the previous value
  without ``None``, so ``s.conditions`` needs no ``if dep.status is not None``, and a misspelt attribute
  is a type error. A step is a separate call, so a checker knows its parameter (in one call with several
  lambdas, mypy infers ``Any`` for all but the first: that shape would be typed only in appearance).
- **a path**, shorter and untyped (``Any``) — ``dig(dep, "status.conditions", default=[])``: Python
  attribute names separated by dots (a tuple for a key holding dots: ``("labels", "app.kubernetes.io/name")``),
  an int indexes a list (``"spec.template.spec.containers.0.image"``).

Either way the walk stops at the first ``None`` (an absent key, an index past a list's end) and answers
the default. A name the object has no attribute for is an error, never the default: a typo must not read
as "not set".
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Mapping, Sequence, TypeVar, overload

__all__ = ["Maybe", "dig", "maybe"]

T = TypeVar("T")
U = TypeVar("U")
D = TypeVar("D")


class Maybe(Generic[T]):
    """A value that may be ``None``, and the steps below it (:func:`maybe`); immutable."""

    __slots__ = ("_value",)

    def __init__(self, value: T | None) -> None:
        self._value = value

    def then(self, step: Callable[[T], U | None]) -> Maybe[U]:
        """``step(value)`` when the value is not None, else None (``step`` is not called)."""
        return Maybe(None if self._value is None else step(self._value))

    @overload
    def get(self) -> T | None: ...
    @overload
    def get(self, default: T) -> T: ...
    @overload
    def get(self, default: D) -> T | D: ...
    def get(self, default: Any = None) -> Any:
        """The value, or ``default`` when a level was None."""
        return default if self._value is None else self._value

    def __repr__(self) -> str:
        return f"maybe({self._value!r})"


def maybe(value: T | None) -> Maybe[T]:
    """Start a typed walk below optional levels: ``maybe(dep).then(lambda d: d.status).then(lambda s:
    s.ready_replicas).get(0)`` is an ``int`` to a type checker, 0 while the Deployment has no status."""
    return Maybe(value)


def dig(obj: Any, path: str | tuple[str | int, ...], /, *, default: Any = None) -> Any:
    """The value at ``path`` below ``obj``, or ``default`` where a level is ``None`` (untyped: see :func:`maybe`).

    Raises:
        AttributeError: the path names an attribute the object at that level does not have.
        TypeError: an empty path, or one that is neither a str nor a tuple.

    >>> dig(dep, "status.conditions", default=[])
    >>> dig(pod, "spec.containers.0.image")
    """
    if not isinstance(path, (str, tuple)):
        raise TypeError(f"dig(): a path is a str of names separated by dots or a tuple, not {path!r}")
    return _walk(obj, path, default)


def _walk(obj: Any, path: str | tuple[str | int, ...], default: Any) -> Any:
    parts: Sequence[str | int] = path.split(".") if isinstance(path, str) else path
    if not parts or any(part == "" for part in parts):
        raise TypeError(f"dig(): a path is names separated by dots (or a tuple of names and indexes), not {path!r}")
    value, done = obj, list[str | int]()
    for part in parts:
        if value is None:
            return default
        index = _index(part)
        if index is not None and isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            value = value[index] if -len(value) <= index < len(value) else None
        elif isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(part, str) and hasattr(value, part):
            value = getattr(value, part)
        else:
            where = ".".join(map(str, done)) or "the object"
            raise AttributeError(f"dig(): {where} is a {type(value).__name__}, which has no attribute {part!r} "
                                 f"(path {path!r})")
        done.append(part)
    return default if value is None else value


def _index(part: str | int) -> int | None:
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    if isinstance(part, str) and part.lstrip("-").isdigit():
        return int(part)
    return None
