"""Declarative models: classes whose attributes are fields of a Kubernetes object.

A model is an object of the data core (:mod:`pykorm._data.objects`) with an identity
(name, namespace, uid...), a resource it is bound to (the ``k8s_*`` decorators
below), ``Model.query`` and the active-record façade ``obj.save()``/``apply()``/
``delete()``/``refresh()``/``owners()``, which go through the session that read, created or
last saved the object (the default session for one never sent). Objects loaded from the server
are not copied until first changed (reading never copies them); the copy taken
then is what ``save`` compares against to send only the changes. How changes are
noticed: pykorm._data.tracking.
"""

from __future__ import annotations

import copy
import datetime
import re
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, TypeVar

from typing_extensions import Self

from .._data.objects import Nested
from .._data.owners import OwnerReference
from .._data.stored import Stored
from .._base.errors import ClientValidationError, FieldError
from .._base.names import name_error
from .._base.paths import get_path
from .._http.resource import ResourceType
from .._data.tracking import json_copy
from ..fields import Metadata

if TYPE_CHECKING:
    from .._session.core import SessionCore
    from .._session.query import Query
    from .._session.session import Pykorm

__all__ = [
    "ClusterModel", "Model", "NamespacedModel", "Nested", "OwnerReference", "k8s_appsv1", "k8s_core", "k8s_custom_object",
    "k8s_resource",
]

M = TypeVar("M", bound="Model")
T = TypeVar("T", bound=type)

class _QueryAccessor:
    """``Model.query``: a new query for the class each time (queries are immutable)."""

    def __get__(self, obj: object, owner: type[M]) -> Query[M]:
        from .._session.query import Query

        return Query(owner)


class Model(Stored):
    """A Kubernetes object. Subclass :class:`NamespacedModel` or :class:`ClusterModel`, and bind it
    to a resource with ``@k8s_custom_object`` or ``@k8s_core``.

    Its identity, metadata fields and state are :class:`pykorm._data.stored.Stored`'s (what the
    session uses of an object); a model adds ``Model.query`` and the active-record façade.
    """

    query: ClassVar[_QueryAccessor] = _QueryAccessor()

    def owners(self, cluster: str | None = None) -> list[Model]:
        """The objects named in ``metadata.ownerReferences`` that still exist, as models (see :meth:`Pykorm.owners`),
        read through the object's session (see :meth:`save`)."""
        return self._acting_session("owners").owners(self, cluster)

    def _acting_session(self, verb: str) -> Pykorm:
        from .._session.session import session_of

        return session_of(self, verb)

    def save(self, cluster: str | None = None, **options: Any) -> Self:
        """Create or update the object (see :meth:`Pykorm.save`) through its session: the one that read, created
        or last saved it; the default session for an object never sent (``pk.save(obj)`` names one).

        Raises:
            TypeError: the object came from an async session (``pykorm.aio``): ``await pk.save(obj)`` there.
        """
        return self._acting_session("save").save(self, cluster, **options)

    def apply(self, cluster: str | None = None, **options: Any) -> Self:
        """Server-side apply the object (see :meth:`Pykorm.apply`) through its session (see :meth:`save`)."""
        return self._acting_session("apply").apply(self, cluster, **options)

    def delete(self, cluster: str | None = None, **options: Any) -> None:
        """Delete the object (see :meth:`Pykorm.delete`) through its session (see :meth:`save`)."""
        self._acting_session("delete").delete(self, cluster, **options)

    def refresh(self, cluster: str | None = None) -> Self:
        """Read the object again, dropping unsaved changes (see :meth:`Pykorm.refresh`), through its session
        (see :meth:`save`); returns it."""
        return self._acting_session("refresh").refresh(self, cluster)


class NamespacedModel(Model):
    """A namespaced object; ``namespace`` defaults to the session's namespace when saved."""

    namespace: str | None = Metadata("namespace", default=None, readonly=True)  # set once, as the name


class ClusterModel(Model):
    """A cluster-scoped object (no namespace)."""


# -- binding a model class to its resource -------------------------------------------


def _bind(cls: Any, group: str, version: str, plural: str, kind: str | None, selectable: tuple[str, ...] = ()) -> Any:
    if issubclass(cls, NamespacedModel):
        namespaced = True
    elif issubclass(cls, ClusterModel):
        namespaced = False
    else:
        raise TypeError(f"{cls.__name__} must inherit from pykorm.NamespacedModel or pykorm.ClusterModel")
    _check_resource_names(cls, group, version, plural, kind)
    cls.__resource__ = ResourceType(group, version, plural, kind or cls.__name__, namespaced, tuple(selectable))
    return cls


_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _check_resource_names(cls: Any, group: Any, version: Any, plural: Any, kind: Any) -> None:
    """The decorator's names are ones the API server's URLs and CRDs take (``plural="a/b"`` made a path elsewhere).

    Raises:
        ClientValidationError: naming the argument, when the class is declared.
    """
    causes = [cause for cause in (
        None if group == "" else name_error(group, "group"),  # "" is the core group
        name_error(version, "version", label=True),
        name_error(plural, "plural", label=True),
        None if kind is None or (isinstance(kind, str) and _KIND.fullmatch(kind)) else
        FieldError("kind", f"Invalid value {kind!r}: a kind is a letter then letters and digits (e.g. 'Peach')"),
    ) if cause is not None]
    if causes:
        raise ClientValidationError(f"{cls.__name__}: " + "; ".join(map(str, causes)), causes=tuple(causes))


def k8s_custom_object(group: str, version: str, plural: str, kind: str | None = None) -> Callable[[T], T]:
    """Bind a model class to a custom resource; ``kind`` defaults to the class name.

    >>> @k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
    ... class Peach(NamespacedModel): ...
    """
    return lambda cls: _bind(cls, group, version, plural, kind)


def k8s_resource(
    group: str, version: str, plural: str, kind: str | None = None, *, selectable: tuple[str, ...] = ()
) -> Callable[[T], T]:
    """Bind a model class to a resource of any API group (``""`` for the core group).

    Args:
        kind: defaults to the class name.
        selectable: field paths the server accepts in a field selector for this resource
            (``("status.phase", "spec.nodeName")`` for pods): queries filtering on them push
            them down.

    >>> @k8s_resource("batch", "v1", "jobs")
    ... class Job(NamespacedModel): ...
    """
    return lambda cls: _bind(cls, group, version, plural, kind, selectable)


def _plural(kind: str) -> str:
    if not isinstance(kind, str):
        return ""  # no kind, no plural: _bind names the mistake
    lower = kind.lower()
    if lower.endswith("endpoints"):
        return lower
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


def k8s_core(kind: str, plural: str | None = None) -> Callable[[T], T]:
    """Bind a model class to a built-in kind of the core group (``v1``): Namespace, ConfigMap, Pod..."""
    return lambda cls: _bind(cls, "", "v1", plural or _plural(kind), kind)


def k8s_appsv1(kind: str, plural: str | None = None) -> Callable[[T], T]:
    """Bind a model class to a kind of the ``apps/v1`` group: Deployment, StatefulSet..."""
    return lambda cls: _bind(cls, "apps", "v1", plural or _plural(kind), kind)
