"""Paths into a Kubernetes object: tuples of JSON keys such as ``("spec", "score", "exterior")``."""

from __future__ import annotations

from typing import Any, Final, Sequence

__all__ = ["MISSING", "Path", "as_path", "delete_path", "dotted", "get_path", "set_path"]

Path = tuple[str, ...]


class _Missing:
    """The sentinel for "no such key", distinct from an explicit ``None`` (JSON ``null``)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


def as_path(path: str | Sequence[str]) -> Path:
    """A path from a sequence of keys, or from a dotted string (``"a.b"`` → ``("a", "b")``).

    A string is split on dots as in the original pykorm; leading and trailing dots are
    ignored. Pass a list to use a key that itself holds a dot. A string holding ``@`` is split
    on ``@`` alone, as the original pykorm's later releases wrote paths (``"spec@score"``,
    ``"metadata@annotations@example.com/owner"``): no Kubernetes name or key holds an ``@``.
    """
    if isinstance(path, str):
        separator = "@" if "@" in path else "."
        keys = tuple(k for k in path.strip(separator).split(separator) if k)
    elif hasattr(path, "__iter__"):
        keys = tuple(path)
    else:  # None, a number: not "'NoneType' object is not iterable"
        raise ValueError(f"a field path needs one or more non-empty string keys (a string or a list), got {path!r:.60}")
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise ValueError(f"a field path needs one or more non-empty string keys, got {path!r}")
    return keys


def dotted(path: Path) -> str:
    """The path as Kubernetes writes it in error causes: ``spec.score.exterior``."""
    return ".".join(path)


def get_path(data: Any, path: Path) -> Any:
    """The value at ``path`` in nested dicts, or :data:`MISSING` when a key is absent."""
    for key in path:
        if not isinstance(data, dict):
            return MISSING
        data = data.get(key, MISSING)
        if data is MISSING:
            return MISSING
    return data


def set_path(data: dict[str, Any], path: Path, value: Any) -> None:
    """Store ``value`` at ``path``, creating the dicts on the way (replacing ``null`` ones)."""
    for key in path[:-1]:
        child = data.get(key)
        if not isinstance(child, dict):
            child = data[key] = {}
        data = child
    data[path[-1]] = value


def delete_path(data: dict[str, Any], path: Path) -> None:
    """Remove the key at ``path`` if present."""
    parent = get_path(data, path[:-1]) if len(path) > 1 else data
    if isinstance(parent, dict):
        parent.pop(path[-1], None)
