"""The session's verbs beyond reads and writes: relationships, scale, logs, manifests, kinds from discovery.

:class:`Verbs` is a base of :class:`pykorm.Pykorm`; each method is a thin layer over a module named for
its concept (:mod:`pykorm._data.owners`, :mod:`pykorm._session.subresources`, :mod:`pykorm._session.manifests`), using the
session's own reads and writes. Model classes live a layer above: the functions that find or make
the model of a kind are installed here by :mod:`pykorm.models._kinds` when it is imported (``import pykorm``
does), as the engine knows models only by what they do.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal, Mapping, TypeVar, overload

from .._base.drive import iterate, run
from .._base.errors import NotFound
from .manifests import ManifestSource, manifest_objects
from .._data.owners import adopt
from .._http.resource import resource_of
from .subresources import Scale
from .._http.transport import Transport

if TYPE_CHECKING:
    from ..models._model import Model
    from .session import Pykorm
    from ..controller import Informer

__all__ = ["Verbs", "install_cache_factory", "install_model_finders"]

M = TypeVar("M", bound="Model")
DeclaredModel = Callable[[str, str], "type[Model] | None"]
RuntimeModel = Callable[[Transport, str, "str | None"], "type[Model]"]
_finders: list[tuple[DeclaredModel, RuntimeModel]] = []


def install_model_finders(declared: DeclaredModel, runtime: RuntimeModel) -> None:
    """Called by :mod:`pykorm.models._kinds`: how the session finds a declared model and makes one from discovery."""
    _finders[:] = [(declared, runtime)]


CacheFactory = Callable[["Pykorm", Any, "str | None", "Mapping[str, str] | None", "str | None"], Any]
"""Makes a started informer: (session, model, namespace, selector, cluster)."""
_cache_factories: list[CacheFactory] = []


def install_cache_factory(factory: CacheFactory) -> None:
    """Called by :mod:`pykorm.controller` when imported (``import pykorm`` does): how ``pk.cache`` makes informers."""
    _cache_factories[:] = [factory]


def _model_finders() -> tuple[DeclaredModel, RuntimeModel]:
    if not _finders:
        raise RuntimeError("pykorm.models._kinds was not imported: import pykorm")
    return _finders[0]


class Verbs:
    """Relationships, scale, logs, manifests and run-time models (mixed into :class:`pykorm.Pykorm`)."""

    _runtime_models: dict[tuple[str, str, str], type[Model]]
    _runtime_lock = threading.Lock()

    def _session(self) -> Pykorm:
        return self  # type: ignore[return-value]  # only ever mixed into Pykorm

    # -- caches -----------------------------------------------------------------------------

    def cache(
        self, model: type[M], namespace: str | None = None, selector: Mapping[str, str] | None = None, *,
        cluster: str | None = None, timeout: float | None = 60.0,
    ) -> Informer[M]:
        """The session's informer of ``model`` (one per namespace, label selector and cluster), started and synced.

        ``pk.cache(Pod).query.filter(...)`` then runs on memory, kept current by a watch;
        ``Model.query....cached()`` is the same. :meth:`close` stops them (see :mod:`pykorm.controller`).
        An informer stopped since (``informer.stop()``, :meth:`close`) or whose thread ended is replaced
        by a new one; queries made on the stopped one raise :class:`CacheUnavailable`.

        Raises:
            WaitTimeout: the first list did not complete within ``timeout`` seconds.
            CacheUnavailable: the new informer's thread ended before its first list.
        """
        if not _cache_factories:
            raise RuntimeError("pykorm.controller was not imported: import pykorm")
        key = (model, namespace, frozenset((selector or {}).items()), cluster)
        with self._runtime_lock:
            caches: dict[Any, Any] = self.__dict__.setdefault("_caches", {})
            informer = caches.get(key)
            if informer is None or informer.stopped:  # never hand out a dead cache: a new informer instead
                informer = caches[key] = _cache_factories[0](self._session(), model, namespace, selector, cluster)
        found: Informer[M] = informer.wait_synced(timeout)
        return found

    def _close_caches(self) -> None:
        with self._runtime_lock:
            caches: dict[Any, Any] = self.__dict__.pop("_caches", {})
        for informer in caches.values():
            informer.stop()

    # -- kinds ------------------------------------------------------------------------------

    def model_for(self, api_version: str, kind: str, cluster: str | None = None) -> type[Model]:
        """The model of ``kind`` in ``api_version``: pykorm.k8s's, the program's, else one made from discovery.

        Raises:
            NotFound: the server serves no such kind.
        """
        declared = _model_finders()[0](api_version, kind)
        return declared if declared is not None else self.resource(api_version, kind, cluster=cluster)

    def resource(self, api_version: str, kind: str | None = None, *, cluster: str | None = None) -> type[Model]:
        """A model made at run time from discovery, for kinds nobody declared (made once per session).

        ``resource("apps/v1", "Deployment")``, or ``resource("widgets.example.com")`` (``<plural>.<group>``,
        its preferred version). Fields are plain JSON: lookups go inside as dict paths.

        Raises:
            NotFound: the server serves no such group, version or kind.
        """
        key = (cluster or "default", api_version, kind or "")
        models: dict[tuple[str, str, str], type[Model]] = self.__dict__.setdefault("_runtime_models", {})
        found = models.get(key)
        if found is None:
            found = _model_finders()[1](self._session().transport(cluster), api_version, kind)
            with self._runtime_lock:
                found = models.setdefault(key, found)
        return found

    # -- relationships -------------------------------------------------------------------

    def owners(self, obj: Model, cluster: str | None = None) -> list[Model]:
        """The owners of ``obj`` that still exist, in reference order, as models of their kinds (see :meth:`model_for`)."""
        session = self._session()
        found: list[Model] = []
        target = cluster or obj._cluster
        namespace = obj._raw.get("metadata", {}).get("namespace")
        for reference in obj.owner_references or []:
            model = self.model_for(reference.api_version, reference.kind, target)
            try:
                owner = session.get(model, reference.name, namespace if resource_of(model).namespaced else None, target)
            except NotFound:
                continue
            if owner.uid == reference.uid:  # the same name may now hold another object
                found.append(owner)
        return found

    def adopt(self, child: M, owner: Model, *, controller: bool = True, block_owner_deletion: bool = True,
              cluster: str | None = None) -> M:
        """Make ``owner`` an owner of ``child`` (its controller by default) and save ``child`` if it is stored.

        Once every owner is deleted, the garbage collector deletes the child. A new child is only
        changed in memory: save it next.

        Raises:
            ClientValidationError: the owner is not saved, is namespaced in another namespace, or
                the child already has another controller.
        """
        adopt(child, owner, controller=controller, block_owner_deletion=block_owner_deletion)
        if child.is_stored:
            self._session().save(child, cluster)
        return child

    def wait_gone(self, obj: Model, uid: str | None = None, timeout: float = 60.0, cluster: str | None = None) -> None:
        """Block until ``obj`` (the object of ``uid``, when given) no longer exists: a GET, then fewer as time goes.

        Raises:
            WaitTimeout: still there after ``timeout`` seconds; ``last`` is the object as last read.
        """
        run(self._session()._wait_gone(obj, uid, timeout, cluster))

    # -- scale -------------------------------------------------------------------------------

    def get_scale(self, obj: Model, cluster: str | None = None) -> Scale:
        """``obj``'s ``/scale`` subresource: replicas asked for and running, and the pods' selector.

        Raises:
            NotFound: the object is gone, or its kind has no ``/scale``.
        """
        return run(self._session()._get_scale(obj, cluster))

    def scale(self, obj: Model, replicas: int, cluster: str | None = None, *, dry_run: bool = False) -> Scale:
        """Set ``obj``'s replicas through ``/scale`` (any kind that has it); returns the new Scale.

        Raises:
            ValueError: ``replicas`` is not an int >= 0. NotFound: no such object or no ``/scale``.
        """
        return run(self._session()._scale(obj, replicas, cluster, dry_run=dry_run))

    # -- logs ----------------------------------------------------------------------------------

    @overload
    def logs(self, pod: Model, container: str | None = ..., *, tail_lines: int | None = ...,
             since_seconds: int | None = ..., previous: bool = ..., follow: Literal[False] = ...,
             cluster: str | None = ..., timeout: float | None = ...) -> str: ...
    @overload
    def logs(self, pod: Model, container: str | None = ..., *, tail_lines: int | None = ...,
             since_seconds: int | None = ..., previous: bool = ..., follow: Literal[True],
             cluster: str | None = ..., timeout: float | None = ...) -> Iterator[str]: ...

    def logs(self, pod: Model, container: str | None = None, *, tail_lines: int | None = None,
             since_seconds: int | None = None, previous: bool = False, follow: bool = False,
             cluster: str | None = None, timeout: float | None = None) -> str | Iterator[str]:
        """A pod's log as text; with ``follow=True`` an iterator of lines as they are written.

        Args:
            container: needed when the pod has several. previous: the last terminated container's log.
            timeout: seconds the call may take, retries included; with ``follow``, the iteration ends
                then, whatever the server does (None: it follows until the log ends).

        Raises:
            ValueError: a negative or non-int count. ValidationError: the server refused (no such container).
            ServerUnavailable: the server could not be reached, or (following) the connection broke.
        """
        options = (container, tail_lines, since_seconds, previous)
        if follow:
            return iterate(self._session()._follow_logs(pod, options, cluster, timeout))
        return run(self._session()._logs(pod, options, cluster, timeout))

    # -- manifests ------------------------------------------------------------------------------

    def apply_manifests(self, source: ManifestSource, cluster: str | None = None, *, field_manager: str | None = None,
                        force: bool = False, dry_run: bool = False, recursive: bool = False) -> list[Model]:
        """Server-side apply every object of ``source`` (YAML/JSON text, a path, dicts, or a list of them).

        A path may name a folder: its ``*.json``, ``*.yaml`` and ``*.yml`` files are read in name order
        (with ``recursive``, its subfolders' too), as ``kubectl apply -f DIR [-R]`` reads them.
        Kinds are resolved as :meth:`model_for` does; Namespaces and CRDs are applied first, and
        each CRD is waited for until served (as :meth:`install_crds` does), so that objects of its
        kind can follow in the same source. Returns the objects as the server stored them.

        Raises:
            ClientValidationError: unreadable source, a folder without manifest files, or an object
                without apiVersion, kind or name.
            NotFound: a kind the server does not serve. ApiError: the first refused object (those before it stay applied).
        """
        session = self._session()
        applied: list[Model] = []
        for raw in manifest_objects(source, recursive=recursive):
            model = self.model_for(raw["apiVersion"], raw["kind"], cluster)
            obj = session.apply(model.from_dict(raw), cluster, field_manager=field_manager, force=force, dry_run=dry_run)
            if raw["kind"] == "CustomResourceDefinition" and not dry_run:
                session.install_crds(obj.to_dict(), cluster=cluster)  # already applied: waits until served
                session.refresh(obj, cluster)
            applied.append(obj)
        return applied


