"""Model bases (the original pykorm's ``pykorm.models``).

The package owns ``_model`` (``Model``, ``NamespacedModel``, ``ClusterModel``: identity,
``query``, the ``save``/``apply``/``delete``/``refresh``/``owners`` facade through the session that
read the object; the ``k8s_*`` decorators) and ``_kinds`` (the model of an apiVersion/kind,
declared or made from discovery).

May import: :mod:`pykorm._session` and every layer below it; :mod:`pykorm.k8s` (same layer).
"""

from ._model import ClusterModel, Model, NamespacedModel, Nested

PykormModel = Model  # the original pykorm's name for the common base
NestedField = Nested  # the original pykorm's earlier name for a nested object's class

__all__ = ["ClusterModel", "Model", "NamespacedModel", "Nested", "NestedField", "PykormModel"]
