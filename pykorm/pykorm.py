"""The original pykorm's ``pykorm.pykorm`` module: the session and the resource decorators."""

from .models._model import k8s_appsv1, k8s_core, k8s_custom_object
from ._session.session import Pykorm

__all__ = ["Pykorm", "k8s_appsv1", "k8s_core", "k8s_custom_object"]
