"""The session's verbs beyond reads and writes: relationships, scale, logs, manifests, kinds from discovery.

Each verb is a coroutine here (:func:`owners`, :func:`model_for`, :func:`apply_manifests`...) over a
session's own reads and writes, so that the blocking :class:`pykorm.Pykorm` (through :class:`Verbs`, a
base of it) and ``pykorm.aio.AsyncPykorm`` run the same code. Each is a thin layer over a module
named for its concept (:mod:`pykorm._data.owners`, :mod:`pykorm._session.subresources`,
:mod:`pykorm._session.manifests`).

Two verbs reach a layer above, with a function-level import each (the layering test lists them):
the model of a kind is a ``Model`` class (:mod:`pykorm.models._kinds`), and ``pk.cache``'s
informers are the controller's (:mod:`pykorm.controller`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Iterator, Literal, Mapping, Sequence, TypeVar, overload

from .._base.drive import iterate, run
from .._base.errors import NotFound
from .._data.owners import adopt as adopt_checked
from .._http.resource import resource_of
from .manifests import ManifestSource, manifest_objects
from .subresources import Scale
from .._http.channels import ExecResult

if TYPE_CHECKING:
    from ..controller import Informer
    from ..models._model import Model
    from .core import SessionCore
    from .session import Pykorm

__all__ = ["Verbs", "adopt", "apply_manifests", "model_for", "owners", "runtime_model"]

M = TypeVar("M", bound="Model")
_runtime_lock = threading.Lock()


async def model_for(session: SessionCore[Any], api_version: str, kind: str, cluster: str | None) -> type[Model]:
    """``kind``'s model in ``api_version``: pykorm.k8s's, the program's, else one made from discovery."""
    from ..models import _kinds  # a layer up, on purpose: a kind's model is a Model class

    declared = _kinds.declared_model(api_version, kind)
    return declared if declared is not None else await runtime_model(session, api_version, kind, cluster)


async def runtime_model(session: SessionCore[Any], api_version: str, kind: str | None, cluster: str | None) -> type[Model]:
    """A model made from discovery, once per session, cluster, api_version and kind."""
    from ..models import _kinds  # a layer up, on purpose: a kind's model is a Model class

    key = (cluster or "default", api_version, kind or "")
    models: dict[tuple[str, str, str], type[Model]] = session.__dict__.setdefault("_runtime_models", {})
    found = models.get(key)
    if found is None:
        async def send(method: str, path: str) -> Any:
            return await session._send(cluster, method, path)

        found = await _kinds.runtime_model(send, api_version, kind)
        with _runtime_lock:
            found = models.setdefault(key, found)
    return found


async def owners(session: SessionCore[Any], obj: Model, cluster: str | None) -> list[Model]:
    """The owners of ``obj`` that still exist, in reference order (see :meth:`Verbs.owners`)."""
    found: list[Model] = []
    target = cluster or obj._cluster
    namespace = obj._raw.get("metadata", {}).get("namespace")
    for reference in obj.owner_references or []:
        model = await model_for(session, reference.api_version, reference.kind, target)
        try:
            owner = await session._get(model, reference.name, namespace if resource_of(model).namespaced else None, target)
        except NotFound:
            continue
        if owner.uid == reference.uid:  # the same name may now hold another object
            found.append(owner)
    return found


async def adopt(session: SessionCore[Any], child: M, owner: Model, controller: bool, block_owner_deletion: bool,
                cluster: str | None) -> M:
    """``owner`` made an owner of ``child``, saved if it is stored (see :meth:`Verbs.adopt`)."""
    adopt_checked(child, owner, controller=controller, block_owner_deletion=block_owner_deletion)
    if child.is_stored:
        await session._save(child, cluster)
    return child


async def apply_manifests(session: SessionCore[Any], source: ManifestSource, cluster: str | None, field_manager: str | None,
                          force: bool, dry_run: bool, recursive: bool, warn_level: int) -> list[Model]:
    """Every object of ``source``, server-side applied (see :meth:`Verbs.apply_manifests`)."""
    applied: list[Model] = []
    for raw in manifest_objects(source, recursive=recursive):
        model = await model_for(session, raw["apiVersion"], raw["kind"], cluster)
        obj = await session._apply(model.from_dict(raw), cluster, field_manager, force, dry_run, warn_level + 1)
        if raw["kind"] == "CustomResourceDefinition" and not dry_run:
            await session._install_crds((obj.to_dict(),), cluster, 60.0)  # already applied: waits until served
            await session._refresh(obj, cluster)
        applied.append(obj)
    return applied


class Verbs:
    """Relationships, scale, logs, manifests and run-time models (mixed into :class:`pykorm.Pykorm`)."""

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
        from ..controller import Informer  # a layer up, on purpose: pk.cache's informers are the controller's

        key = (model, namespace, frozenset((selector or {}).items()), cluster)
        with self._runtime_lock:
            caches: dict[Any, Any] = self.__dict__.setdefault("_caches", {})
            informer = caches.get(key)
            if informer is None or informer.stopped:  # never hand out a dead cache: a new informer instead
                informer = caches[key] = Informer(model, session=self._session(), namespace=namespace, selector=selector,
                                                  cluster=cluster).start()
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
        return run(model_for(self._session(), api_version, kind, cluster))

    def resource(self, api_version: str, kind: str | None = None, *, cluster: str | None = None) -> type[Model]:
        """A model made at run time from discovery, for kinds nobody declared (made once per session).

        ``resource("apps/v1", "Deployment")``, or ``resource("widgets.example.com")`` (``<plural>.<group>``,
        its preferred version). Fields are plain JSON: lookups go inside as dict paths.

        Raises:
            NotFound: the server serves no such group, version or kind.
        """
        return run(runtime_model(self._session(), api_version, kind, cluster))

    # -- relationships -------------------------------------------------------------------

    def owners(self, obj: Model, cluster: str | None = None) -> list[Model]:
        """The owners of ``obj`` that still exist, in reference order, as models of their kinds (see :meth:`model_for`)."""
        return run(owners(self._session(), obj, cluster))

    def adopt(self, child: M, owner: Model, *, controller: bool = True, block_owner_deletion: bool = True,
              cluster: str | None = None) -> M:
        """Make ``owner`` an owner of ``child`` (its controller by default) and save ``child`` if it is stored.

        Once every owner is deleted, the garbage collector deletes the child. A new child is only
        changed in memory: save it next.

        Raises:
            ClientValidationError: the owner is not saved, is namespaced in another namespace, or
                the child already has another controller.
        """
        return run(adopt(self._session(), child, owner, controller, block_owner_deletion, cluster))

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

    # -- exec ------------------------------------------------------------------------------------

    def exec(self, pod: Model, command: Sequence[str], container: str | None = None, *,
             stdin: str | bytes | None = None, timeout: float | None = None, cluster: str | None = None) -> ExecResult:
        """Run ``command`` in a container of ``pod`` (as ``kubectl exec``); return its output and exit code.

        Speaks the API server's websocket protocol (``v5.channel.k8s.io``; ``v4`` where the server
        lacks it, and then ``stdin`` is sent but never closed). A non-zero exit is no error: see
        ``result.exit_code`` (``result.ok``).

        Args:
            command: the program and its arguments, not a shell line (``["sh", "-c", "..."]`` for one).
            container: needed when the pod has several.
            stdin: sent to the command's standard input, then closed (str: as UTF-8).
            timeout: seconds the command may take (None: no limit); then the connection is closed and
                :class:`WaitTimeout` raised, with the output so far as ``last`` (whether the command goes on is
                the runtime's affair: kubelets and kwok let it run).

        Raises:
            ClientValidationError: an empty command, or ``pod`` is no Pod. NotFound: no such pod.
            ValidationError: no such container, or the pod is not running (the server's 400).
            Forbidden: no ``create`` on ``pods/exec``. ExecFailed: the command could not run.
            WaitTimeout: the command was still running after ``timeout`` seconds.
            ServerUnavailable: the server could not be reached, or the connection broke.

        >>> pk.exec(pod, ["sh", "-c", "echo hi; exit 3"])
        ExecResult(exit_code=3, stdout=b'hi\\n', stderr=b'')
        """
        return run(self._session()._exec(pod, command, container, stdin, timeout, cluster))

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
        return run(apply_manifests(self._session(), source, cluster, field_manager, force, dry_run, recursive, 4))
