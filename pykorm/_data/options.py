"""Field options: the validation keywords a field accepts, as data, checked when the field is declared.

``Spec("price", minimum=0)`` carries ``minimum``; the CRD schema (:mod:`pykorm._schema.schema`) turns
it into ``minimum`` and the client-side check (:mod:`pykorm._schema.validation`) applies it. An option
pykorm does not know is a ``TypeError`` at class creation, naming ``Model.field``.
"""

from __future__ import annotations

from typing import Any

from .types import TypeInfo

__all__ = ["ITEM_OPTIONS", "NON_EMPTY", "OPTIONS", "option_keys", "split_options"]

OPTIONS: dict[str, str] = {
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusive_minimum": "exclusiveMinimum",
    "exclusive_maximum": "exclusiveMaximum",
    "multiple_of": "multipleOf",
    "pattern": "pattern",
    "enum": "enum",
    "min_length": "minLength",
    "max_length": "maxLength",
    "min_items": "minItems",
    "max_items": "maxItems",
    "min_properties": "minProperties",
    "max_properties": "maxProperties",
    "format": "format",
    "nullable": "nullable",
}
"""Field validation options: the argument name and the schema key it becomes."""

ITEM_OPTIONS = frozenset(
    {"minimum", "maximum", "exclusive_minimum", "exclusive_maximum", "multiple_of", "pattern", "enum",
     "min_length", "max_length", "format"}
)
"""Options about single values: on a list or dict field they apply to its items."""

_X_PREFIX = "x_kubernetes_"
NON_EMPTY = {"str": "minLength", "list": "minItems", "dict": "minProperties", "object": "minProperties",
             "nested": "minProperties"}
"""The kinds a required field may not leave empty (unless ``allow_empty``), and the schema key saying so."""


def split_options(info: TypeInfo, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``options`` split into those about the field's value and those about its items (list/dict fields)."""
    if info.kind not in ("list", "dict") or info.item is None:
        return options, {}
    own = {k: v for k, v in options.items() if k not in ITEM_OPTIONS}
    return own, {k: v for k, v in options.items() if k in ITEM_OPTIONS}


def option_keys(options: dict[str, Any], where: str) -> dict[str, Any]:
    """Field options as schema keys (``min_length`` → ``minLength``, ``x_kubernetes_list_type`` → ...).

    Raises:
        TypeError: an option pykorm does not know (the message names ``where`` and the choices).
    """
    keys: dict[str, Any] = {}
    for name, value in options.items():
        if name in OPTIONS:
            keys[OPTIONS[name]] = value
        elif name.startswith(_X_PREFIX):
            keys["x-kubernetes-" + name[len(_X_PREFIX):].replace("_", "-")] = value
        else:
            raise TypeError(
                f"{where}: unknown field option {name!r}; options are {', '.join(OPTIONS)} and x_kubernetes_<name>"
            )
    return keys
