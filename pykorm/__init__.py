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
from ._models import ClusterModel, Model, NamespacedModel, Nested, OwnerReference
from ._bulk import BulkError, BulkResult
from ._lookups import Q
from ._plan import Plan
from ._query import Query
from ._retry import RetryPolicy, request_options
from ._watch import WaitTimeout, WatchEvent
from ._resource import ResourceType, k8s_appsv1, k8s_core, k8s_custom_object, k8s_resource
from ._pages import Page
from ._subresources import Scale
from ._session import Pykorm, set_default_session
from ._crd import CRDOptions, crd, crds
from ._codegen import model_source
from ._rbac import rbac
from ._versions import KUBERNETES_VERSION, __version__


def resource(api_version: str, kind: str | None = None, *, cluster: str | None = None) -> type[Model]:
    """A model made at run time from discovery, through the default session (see :meth:`Pykorm.resource`).

    >>> Deployment = pykorm.resource("apps/v1", "Deployment")
    >>> Widget = pykorm.resource("widgets.example.com")
    """
    from ._session import default_session

    return default_session().resource(api_version, kind, cluster=cluster)

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
    "OwnerReference",
    "Page",
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
    "Scale",
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
    "k8s_resource",
    "model_source",
    "models",
    "pykorm",
    "rbac",
    "request_options",
    "resource",
    "set_default_session",
]
