"""Model bases (the original pykorm's ``pykorm.models``)."""

from ._models import ClusterModel, Model, NamespacedModel, Nested

PykormModel = Model  # the original pykorm's name for the common base

__all__ = ["ClusterModel", "Model", "NamespacedModel", "Nested", "PykormModel"]
