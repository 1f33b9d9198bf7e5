"""The original pykorm's ``pykorm.pykorm`` module: the session and the resource decorators."""

from ._models import k8s_appsv1, k8s_core, k8s_custom_object
from ._session import Pykorm

__all__ = ["Pykorm", "k8s_appsv1", "k8s_core", "k8s_custom_object"]
