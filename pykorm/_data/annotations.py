"""Model annotations resolved: a field's type from its class's annotation, strings (``from __future__ import
annotations``) included, and the classes holding fields declared beside each other (in one function).
"""

from __future__ import annotations

import sys
import typing
import weakref
from typing import Any, Mapping

__all__ = ["declare", "resolve_annotation"]


def resolve_annotation(annotation: Any, owner: type, localns: Mapping[str, Any]) -> Any:
    """An annotation with its string parts (``from __future__ import annotations``) evaluated.

    Names are looked up in the owner's module, then in the scope its model was declared in
    (a function's locals), then among the pykorm classes declared beside it in that scope.

    Raises:
        TypeError: a name cannot be resolved (the message names ``Model.field``'s class).
    """
    module = sys.modules.get(owner.__module__)
    globalns = dict(vars(module)) if module is not None else {}
    holder: Any = lambda: None  # noqa: E731 - get_type_hints evaluates a function's annotations in given scopes
    holder.__annotations__ = {"value": annotation}
    scope = {**localns, owner.__name__: owner}
    try:
        return typing.get_type_hints(holder, globalns, scope, include_extras=True)["value"]
    except NameError:
        neighbours = _declared_beside(owner)
        try:
            return typing.get_type_hints(holder, globalns, {**neighbours, **scope}, include_extras=True)["value"]
        except NameError as error:
            raise TypeError(f"cannot resolve the annotation {annotation!r} of {owner.__name__}: {error}") from None
    except Exception as error:  # a malformed annotation string
        raise TypeError(f"cannot resolve the annotation {annotation!r} of {owner.__name__}: {error}") from None


_DECLARED: weakref.WeakSet[type] = weakref.WeakSet()
"""Every class holding fields (models and nested objects), registered by its metaclass."""


def declare(cls: type) -> None:
    """Register a class holding fields, so that annotations of classes beside it can name it."""
    _DECLARED.add(cls)


def _declared_beside(owner: type) -> dict[str, type]:
    """pykorm classes declared in the same function as ``owner`` (``f.<locals>.X``), by name."""
    prefix = owner.__qualname__.rpartition(".")[0]
    if not prefix:
        return {}
    return {
        cls.__name__: cls
        for cls in list(_DECLARED)
        if cls.__module__ == owner.__module__ and cls.__qualname__.rpartition(".")[0] == prefix
    }
