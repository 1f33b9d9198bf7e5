"""What the ``pykorm`` commands load from the user's code and files: models, webhook apps, a CA bundle."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from .command import CommandError

__all__ = ["ca_bundle", "load_models", "load_webhooks"]


def load_models(targets: Sequence[str], *, custom_only: bool = False) -> list[type]:
    """The model classes ``MODULE:Class`` names (``MODULE`` alone: each model the module defines).

    ``MODULE`` is a dotted name importable from the current directory, or the path of a ``.py`` file.
    With ``custom_only``, a module's models of built-in kinds (ConfigMap...) are left out.

    Raises:
        CommandError: the module or class does not exist, or names no model bound to a resource.
    """
    from ..models._model import Model

    found: list[type] = []
    for target in targets:
        module_name, _, class_name = target.partition(":")
        module = _import(module_name)
        if class_name:
            cls = getattr(module, class_name, None)
            if not (isinstance(cls, type) and issubclass(cls, Model) and cls.__resource__ is not None):
                raise CommandError(f"{target}: {module_name} has no model class {class_name!r} bound to a resource")
            found.append(cls)
            continue
        models = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Model)
                  and v.__module__ == module.__name__ and v.__resource__ is not None
                  and not (custom_only and "." not in v.__resource__.group)]
        if not models:
            raise CommandError(f"{target}: the module defines no model class bound to a resource")
        found += models
    return list(dict.fromkeys(found))


def _import(name: str) -> Any:
    try:
        if name.endswith(".py") or os.sep in name:
            path = Path(name).resolve()
            for module in list(sys.modules.values()):
                file = getattr(module, "__file__", None)
                if file and Path(file).resolve() == path:
                    return module  # already imported (by a test, or under its dotted name)
            taken = path.stem in sys.modules or importlib.util.find_spec(path.stem) is not None
            spec = importlib.util.spec_from_file_location(f"pykorm_models_{path.stem}" if taken else path.stem, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # type hints are resolved through sys.modules
            spec.loader.exec_module(module)
            return module
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        return importlib.import_module(name)
    except (ImportError, OSError, SyntaxError) as error:
        raise CommandError(f"cannot import {name}: {error}") from error


def load_webhooks(target: str) -> Any:
    """The ``pykorm.webhooks.Webhooks`` app ``MODULE:NAME`` names (``MODULE`` a dotted name or a ``.py`` file).

    Raises:
        CommandError: it does not exist or is not a Webhooks app.
    """
    from ..webhooks import Webhooks

    module_name, _, name = target.rpartition(":")
    if not module_name or not name:
        raise CommandError(f"{target}: name the app as MODULE:NAME (e.g. myapp.hooks:webhooks)")
    app = getattr(_import(module_name), name, None)
    if not isinstance(app, Webhooks):
        raise CommandError(f"{target}: {module_name} has no pykorm.webhooks.Webhooks named {name!r}")
    return app


def ca_bundle(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read the CA bundle: {error}") from error
