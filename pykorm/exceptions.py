"""Exceptions (the original pykorm's ``pykorm.exceptions``); see :mod:`pykorm._base.errors` for the tree."""

from ._base.errors import *  # noqa: F403
from ._base.errors import PykormError, __all__  # noqa: F401

MOVED_TO_TESTING = frozenset({"BinaryNotFound", "BuildFailed", "ControlPlaneError", "GoNotFound", "StartFailed", "StartTimeout"})
"""The local control plane's errors: ``pykorm.testing``'s now, still named ``pykorm.X`` and ``pykorm.exceptions.X``
(documented so before they moved)."""


def moved_error(module: str, name: str) -> type[PykormError]:
    """A module ``__getattr__``: the error ``name`` of :data:`MOVED_TO_TESTING`, imported on first use (neither
    ``import pykorm`` nor this module loads the testing kit).

    Raises:
        AttributeError: ``module`` has no ``name``.
    """
    if name not in MOVED_TO_TESTING:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    from .testing import _errors  # same layer; the one function-level import of this module

    error: type[PykormError] = getattr(_errors, name)
    return error


def __getattr__(name: str) -> type[PykormError]:
    return moved_error(__name__, name)
