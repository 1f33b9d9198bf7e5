"""pykorm: a declarative ORM for Kubernetes resources.

    >>> import pykorm
    >>> @pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
    ... class Peach(pykorm.NamespacedModel):
    ...     variety: str = pykorm.Spec("variety")
    >>> pk = pykorm.Pykorm()
    >>> pk.save(Peach(namespace="default", name="cake-peach", variety="Frost"))
"""

import importlib
from typing import Any

from . import exceptions, fields, models, pykorm
from ._base.errors import (
    AlreadyExists,
    ApiError,
    BulkError,
    CacheUnavailable,
    ClientValidationError,
    ConfigurationError,
    ConflictError,
    CRDNotEstablished,
    CRDNotInstalled,
    ExecFailed,
    FieldError,
    Forbidden,
    Gone,
    LeaderElectionLost,
    ReconcileCancelled,
    NotFound,
    PrunedFieldsWarning,
    PykormError,
    ReadOnlyException,
    RequestTooLarge,
    ServerUnavailable,
    ServerWarning,
    StatusNotWritten,
    StreamSilent,
    TLSVerificationError,
    Unauthorized,
    ValidationError,
    WaitTimeout,
    http_status,
)
from .fields import DataField, DictNestedField, ListField, Metadata, MetadataAnnotation, MetadataLabel, Spec, Status
from .models._model import ClusterModel, Model, NamespacedModel, Nested, k8s_appsv1, k8s_core, k8s_custom_object, k8s_resource
from ._data.owners import OwnerReference
from ._data.dig import Maybe, dig, maybe
from ._session.bulk import BulkResult
from ._select.lookups import Q
from ._select.plan import Plan
from ._session.query import Query
from ._http.hooks import Request, Response
from ._http.retry import RetryPolicy, request_options
from ._session.watch import WatchEvent
from ._http.resource import ResourceType
from ._session.pages import Page
from ._session.subresources import Scale
from ._http.channels import ExecResult
from ._session.logstream import LogLine, LogStream
from ._data.workloads import (
    JobState, RolloutState, available, job_failed, job_finished, job_state, job_succeeded, rolled_out, rollout_state,
)
from ._session.session import Pykorm, set_default_session
from ._schema.crd import CRDOptions, crd, crds
from ._tools.codegen import model_source
from ._schema.rbac import rbac
from ._base.public import show_as
from ._base.versions import KUBERNETES_VERSION, __version__
from .models._kinds import resource
from . import controller


__all__ = [
    "__version__",
    "AlreadyExists",
    "ApiError",
    "BulkError",
    "CacheUnavailable",
    "BulkResult",
    "CRDNotEstablished",
    "CRDNotInstalled",
    "CRDOptions",
    "DataField",
    "DictNestedField",
    "ClientValidationError",
    "ClusterModel",
    "ConfigurationError",
    "ConflictError",
    "ExecFailed",
    "ExecResult",
    "FieldError",
    "JobState",
    "LogLine",
    "LogStream",
    "RolloutState",
    "available",
    "job_failed",
    "job_finished",
    "job_state",
    "job_succeeded",
    "rolled_out",
    "rollout_state",
    "Forbidden",
    "Gone",
    "KUBERNETES_VERSION",
    "LeaderElectionLost",
    "ListField",
    "ReconcileCancelled",
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
    "PrunedFieldsWarning",
    "Pykorm",
    "PykormError",
    "Q",
    "Query",
    "ReadOnlyException",
    "Request",
    "RequestTooLarge",
    "ResourceType",
    "Response",
    "RetryPolicy",
    "Scale",
    "ServerUnavailable",
    "ServerWarning",
    "Spec",
    "Status",
    "StatusNotWritten",
    "StreamSilent",
    "TLSVerificationError",
    "Unauthorized",
    "ValidationError",
    "WaitTimeout",
    "WatchEvent",
    "crd",
    "crds",
    "dig",
    "maybe",
    "Maybe",
    "http_status",
    "k8s_appsv1",
    "k8s_core",
    "k8s_custom_object",
    "k8s_resource",
    "model_source",
    "rbac",
    "request_options",
    "resource",
    "set_default_session",
]
"""What ``from pykorm import *`` gives: what a program uses. The original pykorm's modules
(``pykorm.pykorm``, ``pykorm.models``, ``pykorm.fields``, ``pykorm.exceptions``) are attributes too."""

show_as(__name__, __all__, globals())


_SUBPACKAGES = ("aio", "controller", "k8s", "testing", "webhooks")
"""Imported on first use as ``pykorm.<name>``, as ``import pykorm.<name>`` would: ``pykorm.k8s.Namespace(...)``
after a bare ``import pykorm`` (a program never pays for a package it does not touch)."""


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    return exceptions.moved_error(__name__, name)  # the local control plane's errors, now pykorm.testing's
