"""The local control plane's errors: a toolchain, a build, a binary or a process that failed.

    ControlPlaneError                 the local control plane could not be built or started (a PykormError)
    ├── GoNotFound                    a build is needed and no usable Go toolchain is installed
    ├── BuildFailed                   ``go`` failed; the message quotes the end of its log
    ├── BinaryNotFound                an environment variable names a binary that does not exist
    └── StartFailed                   a process exited or never became ready; the message quotes its log
        └── StartTimeout              a process was not ready in time

Raised only by :mod:`pykorm.testing` (and the ``pykorm cluster`` commands built on it), so they live
there; ``pykorm.ControlPlaneError`` and the others, where they were documented before, still name them.
"""

from __future__ import annotations

from .._base.errors import PykormError

__all__ = ["BinaryNotFound", "BuildFailed", "ControlPlaneError", "GoNotFound", "StartFailed", "StartTimeout"]


class ControlPlaneError(PykormError):
    """The local control plane could not be built or started."""


class GoNotFound(ControlPlaneError):
    """A build of the control plane is needed and no Go toolchain is installed."""


class BuildFailed(ControlPlaneError):
    """``go`` failed to build a control-plane binary."""


class BinaryNotFound(ControlPlaneError):
    """An environment variable names a control-plane binary that does not exist."""


class StartFailed(ControlPlaneError):
    """A control-plane process exited or never became ready; the message quotes its log."""


class StartTimeout(StartFailed):
    """A control-plane process did not become ready in time."""
