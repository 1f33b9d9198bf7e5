"""Manifests of any kind, applied: what ``kubectl apply --server-side -f`` does, from Python or ``pykorm apply``.

A source is YAML or JSON text (several documents, ``List`` objects), the path of such a file
or of a folder of them (as ``kubectl apply -f DIR``: its ``*.json``, ``*.yaml`` and ``*.yml`` files
in name order; with ``recursive``, its subfolders' too), a dict, or a list of those. Each object's kind is resolved to a model (see
:func:`pykorm.models._kinds.declared_model`, else discovery) and server-side applied. Namespaces
and CustomResourceDefinitions go first, so that what lives in them can follow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

from .crd_install import _parse
from .._base.errors import ClientValidationError

__all__ = ["MANIFEST_SUFFIXES", "ManifestSource", "manifest_files", "manifest_objects"]

ManifestSource = Union[str, "os.PathLike[str]", Mapping[str, Any], Iterable[Any]]
MANIFEST_SUFFIXES = (".json", ".yaml", ".yml")
"""The files of a folder that are read, as ``kubectl apply -f DIR`` reads them."""
_FIRST = ("Namespace", "CustomResourceDefinition")


def manifest_objects(source: ManifestSource, *, recursive: bool = False) -> list[dict[str, Any]]:
    """The objects ``source`` holds, Namespaces and CRDs first, each with ``apiVersion``, ``kind`` and a name.

    ``recursive``: a folder's subfolders are read too (``kubectl apply -R``).

    Raises:
        ClientValidationError: a file cannot be read, a folder holds no manifest file, the text cannot
            be parsed, or an object lacks ``apiVersion``, ``kind`` or ``metadata.name``.
    """
    objects = [o for o in _documents(source, "manifest", recursive)]
    for obj in objects:
        if not obj.get("apiVersion") or not obj.get("kind") or not (obj.get("metadata") or {}).get("name"):
            raise ClientValidationError(
                f"manifest: every object needs apiVersion, kind and metadata.name; found {str(obj)[:200]}")
    return sorted(objects, key=lambda o: o["kind"] not in _FIRST)


def manifest_files(folder: str | os.PathLike[str], *, recursive: bool = False) -> list[Path]:
    """The files ``kubectl apply -f FOLDER`` reads: those named ``*.json``, ``*.yaml`` or ``*.yml``, in name
    order; with ``recursive``, each subfolder's where its name falls (symbolic links to folders are not followed).

    Raises:
        ClientValidationError: the folder cannot be read.
    """
    try:
        entries = sorted(Path(folder).iterdir(), key=lambda entry: entry.name)
    except OSError as error:
        raise ClientValidationError(f"cannot read the folder {folder}: {error}") from error
    found: list[Path] = []
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            if recursive:
                found += manifest_files(entry, recursive=True)
        elif entry.suffix in MANIFEST_SUFFIXES:
            found.append(entry)
    return found


def _documents(source: Any, where: str, recursive: bool) -> Iterable[dict[str, Any]]:
    if isinstance(source, Mapping):
        if source.get("kind") == "List" or (str(source.get("kind", "")).endswith("List") and "items" in source):
            for item in source.get("items") or ():
                yield from _documents(item, where, recursive)
        else:
            yield dict(source)
        return
    if isinstance(source, (str, os.PathLike)):
        if not _is_text(source) and Path(source).is_dir():
            files = manifest_files(source, recursive=recursive)
            if not files:
                raise ClientValidationError(
                    f"the folder {source} holds no manifest (files named {', '.join('*' + s for s in MANIFEST_SUFFIXES)}"
                    f"{'' if recursive else '; subfolders are read with recursive=True, pykorm apply -R'})")
            for file in files:
                yield from _documents(file, where, recursive)
            return
        text, where = _text(source)
        for document in _parse(text, where):
            yield from _documents(document, where, recursive)
        return
    if isinstance(source, Iterable):
        for item in source:
            yield from _documents(item, where, recursive)
        return
    raise ClientValidationError(f"{where}: expected YAML text, a path, a dict or a list of them, not {type(source).__name__}")


def _is_text(source: str | os.PathLike[str]) -> bool:
    """A string with a newline, or starting as a manifest does, is YAML or JSON text; else a path."""
    return isinstance(source, str) and (
        "\n" in source or source.lstrip().startswith(("{", "[", "apiVersion:", "kind:", "---")))


def _text(source: str | os.PathLike[str]) -> tuple[str, str]:
    """``(text, where)``: the text itself (see :func:`_is_text`), or the file at that path."""
    if _is_text(source):
        return str(source), "manifest"
    try:
        return Path(source).read_text(), str(source)
    except OSError as error:
        raise ClientValidationError(f"cannot read manifest {source}: {error}") from error
