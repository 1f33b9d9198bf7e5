"""Exceptions (the original pykorm's ``pykorm.exceptions``); see :mod:`pykorm._base.errors` for the tree."""

from ._base.errors import *  # noqa: F403
from ._base.errors import __all__  # noqa: F401
