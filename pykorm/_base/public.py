"""Public classes show the path users import them from (``pykorm.NotFound``, not ``pykorm._base.errors.NotFound``)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

__all__ = ["show_as"]


def show_as(module: str, names: Iterable[str], namespace: Mapping[str, Any]) -> None:
    """Give each class among ``names`` defined in a private module (a path part starting with ``_``) the
    ``__module__`` ``module``: reprs, tracebacks, help() and pickles name the public path."""
    for name in names:
        value = namespace.get(name)
        if isinstance(value, type) and any(part.startswith("_") for part in value.__module__.split(".")):
            value.__module__ = module
