"""Manifests of any kind, applied: what ``kubectl apply --server-side -f`` does, from Python or ``pykorm apply``.

A source is YAML or JSON text (several documents, ``List`` objects), the path of such a file,
a dict, or a list of those. Each object's kind is resolved to a model (see
:func:`pykorm._kinds.declared_model`, else discovery) and server-side applied. Namespaces
and CustomResourceDefinitions go first, so that what lives in them can follow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

from ._crd_install import _parse
from ._errors import ClientValidationError

__all__ = ["ManifestSource", "manifest_objects"]

ManifestSource = Union[str, "os.PathLike[str]", Mapping[str, Any], Iterable[Any]]
_FIRST = ("Namespace", "CustomResourceDefinition")


def manifest_objects(source: ManifestSource) -> list[dict[str, Any]]:
    """The objects ``source`` holds, Namespaces and CRDs first, each with ``apiVersion``, ``kind`` and a name.

    Raises:
        ClientValidationError: a file cannot be read, the text cannot be parsed, or an object lacks
            ``apiVersion``, ``kind`` or ``metadata.name``.
    """
    objects = [o for o in _documents(source, "manifest")]
    for obj in objects:
        if not obj.get("apiVersion") or not obj.get("kind") or not (obj.get("metadata") or {}).get("name"):
            raise ClientValidationError(
                f"manifest: every object needs apiVersion, kind and metadata.name; found {str(obj)[:200]}")
    return sorted(objects, key=lambda o: o["kind"] not in _FIRST)


def _documents(source: Any, where: str) -> Iterable[dict[str, Any]]:
    if isinstance(source, Mapping):
        if source.get("kind") == "List" or (str(source.get("kind", "")).endswith("List") and "items" in source):
            for item in source.get("items") or ():
                yield from _documents(item, where)
        else:
            yield dict(source)
        return
    if isinstance(source, (str, os.PathLike)):
        text, where = _text(source)
        for document in _parse(text, where):
            yield from _documents(document, where)
        return
    if isinstance(source, Iterable):
        for item in source:
            yield from _documents(item, where)
        return
    raise ClientValidationError(f"{where}: expected YAML text, a path, a dict or a list of them, not {type(source).__name__}")


def _text(source: str | os.PathLike[str]) -> tuple[str, str]:
    """``(text, where)``: a string with a newline or a ``:`` on its first line is YAML text; else a path."""
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith(("{", "[", "apiVersion:", "kind:", "---"))):
        return source, "manifest"
    try:
        return Path(source).read_text(), str(source)
    except OSError as error:
        raise ClientValidationError(f"cannot read manifest {source}: {error}") from error
