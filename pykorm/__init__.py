"""pykorm: a declarative ORM for Kubernetes resources.

    >>> import pykorm
    >>> @pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
    ... class Peach(pykorm.NamespacedModel):
    ...     variety: str = pykorm.Spec("variety")
    >>> pk = pykorm.Pykorm()
    >>> pk.save(Peach(namespace="default", name="cake-peach", variety="Frost"))
"""

from . import exceptions, fields, models, pykorm
from ._errors import (
    AlreadyExists,
    ApiError,
    ClientValidationError,
    ConfigurationError,
    ConflictError,
    CRDNotEstablished,
    CRDNotInstalled,
    FieldError,
    Forbidden,
    Gone,
    NotFound,
    PrunedFieldsWarning,
    PykormError,
    ReadOnlyException,
    RequestTooLarge,
    ServerUnavailable,
    StatusNotWritten,
    TLSVerificationError,
    Unauthorized,
    ValidationError,
)
from .fields import Metadata, MetadataAnnotation, MetadataLabel, Spec, Status
from ._models import ClusterModel, Model, NamespacedModel, Nested
from ._bulk import BulkError, BulkResult
from ._lookups import Q
from ._plan import Plan
from ._query import Query
from ._retry import RetryPolicy, request_options
from ._watch import WaitTimeout, WatchEvent
from ._resource import ResourceType, k8s_appsv1, k8s_core, k8s_custom_object
from ._session import Pykorm, set_default_session
from ._crd import CRDOptions, crd, crds
from ._codegen import model_source
from ._rbac import rbac
from ._versions import KUBERNETES_VERSION, __version__

__all__ = [
    "AlreadyExists",
    "ApiError",
    "BulkError",
    "BulkResult",
    "CRDNotEstablished",
    "CRDOptions",
    "CRDNotInstalled",
    "ClientValidationError",
    "ClusterModel",
    "ConfigurationError",
    "ConflictError",
    "FieldError",
    "Forbidden",
    "Gone",
    "KUBERNETES_VERSION",
    "Metadata",
    "MetadataAnnotation",
    "MetadataLabel",
    "Model",
    "NamespacedModel",
    "Nested",
    "NotFound",
    "Plan",
    "Pykorm",
    "PrunedFieldsWarning",
    "PykormError",
    "Q",
    "Query",
    "ReadOnlyException",
    "RequestTooLarge",
    "ResourceType",
    "RetryPolicy",
    "ServerUnavailable",
    "StatusNotWritten",
    "TLSVerificationError",
    "Spec",
    "Status",
    "Unauthorized",
    "ValidationError",
    "WaitTimeout",
    "WatchEvent",
    "crd",
    "crds",
    "exceptions",
    "fields",
    "k8s_appsv1",
    "k8s_core",
    "k8s_custom_object",
    "model_source",
    "models",
    "pykorm",
    "rbac",
    "request_options",
    "set_default_session",
]
