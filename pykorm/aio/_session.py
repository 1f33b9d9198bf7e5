"""``AsyncPykorm``: the session's verbs, awaited.

Every verb is :class:`pykorm._session.core.SessionCore`'s — the same code the blocking
:class:`pykorm.Pykorm` runs — with its I/O on :class:`pykorm._http.atransport.AsyncTransport`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, ClassVar, Mapping, Sequence, TypeVar

from .._http.atransport import AsyncTransport
from typing_extensions import Unpack

from .._http.clusters import ClusterConfig, ClusterSource
from .._http.hooks import Request, Response, await_hooks
from .._http.resource import ResourceType
from .._session.core import SessionCore, SessionOptions
from .._http.retry import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from .._session.session import Pykorm
from .._session import verbs
from .._session.manifests import ManifestSource
from .._session.subresources import Scale
from .._http.channels import ExecResult
from .._session.logstream import LogLine
from .._http.wsexec import run_exec
from ._query import AsyncQuery

if TYPE_CHECKING:
    from types import TracebackType

    from ..controller import Informer
    from ..models._model import Model

__all__ = ["AsyncPykorm"]

M = TypeVar("M", bound="Model")


class AsyncPykorm(SessionCore[AsyncTransport]):
    """An async session: ``await pk.save(obj)``, ``pk.query(Model)``; the verbs, arguments and errors of :class:`pykorm.Pykorm`.

    Args:
        kubeconfig: as for :class:`pykorm.Pykorm`, and so are ``context`` and the keywords ``clusters``,
            ``field_manager``, ``retries``, ``connect_timeout``, ``read_timeout``, ``event_hooks``
            (``Pykorm.clusters_config`` is read too); a hook may be an async function (its result is awaited).
        pool_size: connections kept open to each cluster (concurrent requests beyond it wait for one).
        page_size: objects per list request of its queries (``.page_size()`` changes it per query).
            Each page is decoded in one step of the event loop — about 1 ms per 50 KB of JSON — so
            pages are smaller than the blocking session's 500; lower it for large objects.

    It never becomes the default session of ``Model.query`` and ``obj.save()`` (those block).
    Use it as an async context manager — in a FastAPI lifespan, for instance — or call
    :meth:`close` at the end.

    >>> async with AsyncPykorm() as pk:
    ...     peach = await pk.query(Peach).ns("shop").get("cake-peach")
    ...     peach.price = 3
    ...     await pk.save(peach)
    """

    _step_objects = 100  # filtered and wrapped in one step of the loop (see pykorm._session.query)

    clusters_config: ClassVar[dict[str, ClusterSource]] = Pykorm.clusters_config
    """The same named clusters as :attr:`pykorm.Pykorm.clusters_config` (one dict)."""

    def __init__(self, kubeconfig: str | os.PathLike[str] | None = None, context: str | None = None, *,
                 pool_size: int = 100, page_size: int = 100, **options: Unpack[SessionOptions]) -> None:
        sources = {**Pykorm.clusters_config, **type(self).clusters_config, **(options.get("clusters") or {})}
        super().__init__(
            kubeconfig, context, sources, options.get("field_manager", "pykorm"), options.get("retries"),
            options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT), options.get("read_timeout", DEFAULT_READ_TIMEOUT),
            options.get("event_hooks"),
        )
        self._transport_options["pool_size"] = pool_size
        self.page_size = page_size

    # -- lifecycle -------------------------------------------------------------------------------

    async def connect(self, cluster: str | None = None) -> AsyncPykorm:
        """Read the cluster's configuration now (kubeconfig, exec plugins: in a thread, off the loop).

        Raises:
            ConfigurationError: no usable configuration.
        """
        if (cluster or "default") not in self._clusters:
            await asyncio.to_thread(self._connection, cluster)
        return self

    async def close(self) -> None:
        """Stop the session's caches (:meth:`cache`) and close every connection pool of the session."""
        blocking = self.__dict__.pop("_blocking", None)
        if blocking is not None:
            await asyncio.to_thread(blocking.close)
        clusters, self._clusters = self._clusters, {}
        for _, transport in clusters.values():
            await transport.close()

    async def __aenter__(self) -> AsyncPykorm:
        return await self.connect()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.close()

    def transport(self, cluster: str | None = None) -> AsyncTransport:
        """The connection pool to ``cluster`` (``"default"`` when None), made on first use."""
        return self._connection(cluster)[1]

    # -- queries -----------------------------------------------------------------------------------

    def query(self, model: type[M]) -> AsyncQuery[M]:
        """An async query over ``model``'s objects: the chain of ``Model.query``, awaited.

        >>> big = await pk.query(Peach).ns("shop").filter(price__gt=2).order_by("-price").all()
        >>> async for peach in pk.query(Peach).ns("shop"): ...
        """
        return AsyncQuery(model.query.session(self).page_size(self.page_size), self)

    # -- reads and writes: pykorm.Pykorm's, awaited -------------------------------------------------

    async def install_crds(self, *models_or_manifests: Any, cluster: str | None = None,
                           timeout: float = 60.0) -> list[dict[str, Any]]:
        """See :meth:`pykorm.Pykorm.install_crds`: models' CRDs or manifests, created or updated, then served.

        >>> await pk.install_crds(Note)          # e.g. in a FastAPI lifespan
        """
        await self.connect(cluster)
        return await self._install_crds(models_or_manifests, cluster, timeout)

    async def uninstall_crds(self, *models_or_names: Any, cluster: str | None = None, timeout: float = 60.0) -> list[str]:
        """See :meth:`pykorm.Pykorm.uninstall_crds`: CRDs deleted, then waited for until gone."""
        await self.connect(cluster)
        return await self._uninstall_crds(models_or_names, cluster, timeout)

    async def as_service_account(self, name: str, namespace: str | None = None, *, cluster: str | None = None,
                                 expiration_seconds: int = 3600,
                                 audiences: Sequence[str] | None = None) -> AsyncPykorm:
        """See :meth:`pykorm.Pykorm.as_service_account`: a new async session acting as the ServiceAccount."""
        await self.connect(cluster)
        config = await asyncio.to_thread(self._account, name, namespace, cluster, expiration_seconds, audiences)
        options = {k: v for k, v in self._transport_options.items() if k != "pool_size"}
        session = AsyncPykorm(field_manager=self.field_manager, pool_size=self._transport_options["pool_size"],
                              page_size=self.page_size, **options)
        session._use_cluster(config)
        return session

    async def get(self, model: type[M], name: str, namespace: str | None = None, cluster: str | None = None) -> M:
        """See :meth:`pykorm.Pykorm.get` (raises NotFound)."""
        await self.connect(cluster)
        return await self._get(model, name, namespace, cluster)

    async def refresh(self, obj: M, cluster: str | None = None) -> M:
        """See :meth:`pykorm.Pykorm.refresh`."""
        await self.connect(cluster or obj._cluster)
        return await self._refresh(obj, cluster)

    async def wait_for(self, obj: M, condition: Callable[[M | None], bool], timeout: float = 60.0,
                       cluster: str | None = None) -> M | None:
        """See :meth:`pykorm.Pykorm.wait_for`."""
        await self.connect(cluster or obj._cluster)
        return await self._wait_for(obj, condition, timeout, cluster)

    async def save(self, obj: M, cluster: str | None = None, *, dry_run: bool = False) -> M:
        """See :meth:`pykorm.Pykorm.save`."""
        await self.connect(cluster or obj._cluster)
        return await self._save(obj, cluster, dry_run=dry_run)

    async def save_status(self, obj: M, cluster: str | None = None, *, dry_run: bool = False) -> M:
        """See :meth:`pykorm.Pykorm.save_status`."""
        await self.connect(cluster or obj._cluster)
        return await self._save_status(obj, cluster, dry_run=dry_run)

    async def apply(self, obj: M, cluster: str | None = None, *, field_manager: str | None = None, force: bool = False,
                    dry_run: bool = False) -> M:
        """See :meth:`pykorm.Pykorm.apply`."""
        await self.connect(cluster or obj._cluster)
        return await self._apply(obj, cluster, field_manager, force, dry_run, warn_level=3)

    async def delete(self, obj: Model, cluster: str | None = None, *, dry_run: bool = False,
                     propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                     wait: bool = False, timeout: float = 60.0) -> None:
        """See :meth:`pykorm.Pykorm.delete`."""
        await self.connect(cluster or obj._cluster)
        await self._delete(obj, cluster, dry_run=dry_run, propagation_policy=propagation_policy,
                           grace_period_seconds=grace_period_seconds, wait=wait, timeout=timeout)

    async def update(self, obj: M, mutate: Callable[[M], object], retries: int = 10, cluster: str | None = None) -> M:
        """See :meth:`pykorm.Pykorm.update`; ``mutate`` may also be an async function."""
        await self.connect(cluster or obj._cluster)
        return await self._update(obj, mutate, retries, cluster)

    async def wait_gone(self, obj: Model, uid: str | None = None, timeout: float = 60.0, cluster: str | None = None) -> None:
        """See :meth:`pykorm.Pykorm.wait_gone`."""
        await self.connect(cluster or obj._cluster)
        await self._wait_gone(obj, uid, timeout, cluster)

    async def request(self, resource: ResourceType, method: str, path: str, cluster: str | None = None, **kwargs: Any) -> Any:
        """See :meth:`pykorm.Pykorm.request`: one request about ``resource``."""
        return await self._request(resource, method, path, cluster, **kwargs)

    async def serves(self, resource: ResourceType, name: str, cluster: str | None = None) -> bool:
        """See :meth:`pykorm.Pykorm.serves`."""
        return await self._serves(resource, name, cluster)

    async def served_schema(self, resource: ResourceType, cluster: str | None = None) -> dict[str, Any] | None:
        """See :meth:`pykorm.Pykorm.served_schema`."""
        return await self._served_schema(resource, cluster)

    # -- kinds, relationships, manifests: pykorm._session.verbs, as the blocking session's ---------

    async def model_for(self, api_version: str, kind: str, cluster: str | None = None) -> type[Model]:
        """See :meth:`pykorm.Pykorm.model_for`."""
        return await verbs.model_for(self, api_version, kind, cluster)

    async def resource(self, api_version: str, kind: str | None = None, *, cluster: str | None = None) -> type[Model]:
        """See :meth:`pykorm.Pykorm.resource` (made once per session, shared with nobody else)."""
        return await verbs.runtime_model(self, api_version, kind, cluster)

    async def owners(self, obj: Model, cluster: str | None = None) -> list[Model]:
        """See :meth:`pykorm.Pykorm.owners`."""
        return await verbs.owners(self, obj, cluster)

    async def pods_of(self, workload: Model, cluster: str | None = None) -> list[Model]:
        """See :meth:`pykorm.Pykorm.pods_of`: by owner references, through a Deployment's ReplicaSets."""
        await self.connect(cluster or workload._cluster)
        return await verbs.pods_of(self, workload, cluster)

    async def workload_logs(self, workload: Model, container: str | None = None, *, tail_lines: int | None = None,
                            cluster: str | None = None, timeout: float | None = None) -> list[LogLine]:
        """See :meth:`pykorm.Pykorm.workload_logs`."""
        await self.connect(cluster or workload._cluster)
        return await verbs.workload_logs(self, workload, container, tail_lines, cluster, timeout)

    async def adopt(self, child: M, owner: Model, *, controller: bool = True, block_owner_deletion: bool = True,
                    cluster: str | None = None) -> M:
        """See :meth:`pykorm.Pykorm.adopt`."""
        return await verbs.adopt(self, child, owner, controller, block_owner_deletion, cluster)

    async def apply_manifests(self, source: ManifestSource, cluster: str | None = None, *, field_manager: str | None = None,
                              force: bool = False, dry_run: bool = False, recursive: bool = False) -> list[Model]:
        """See :meth:`pykorm.Pykorm.apply_manifests` (files are read on the loop: they are manifests, not data)."""
        return await verbs.apply_manifests(self, source, cluster, field_manager, force, dry_run, recursive, 3)

    async def cache(self, model: type[M], namespace: str | None = None, selector: Mapping[str, str] | None = None, *,
                    cluster: str | None = None, timeout: float | None = 60.0) -> Informer[M]:
        """See :meth:`pykorm.Pykorm.cache`: the informer, started and synced; its queries read memory (no await).

        An informer is a thread with a watch: its requests go through a blocking session of this one's
        configuration, made on first use and closed by :meth:`close`, and through this session's event
        hooks (an async hook runs on this loop, the informer's thread waiting for it).
        """
        blocking = self._blocking_twin()
        return await asyncio.to_thread(blocking.cache, model, namespace, selector, cluster=cluster, timeout=timeout)

    def _blocking_twin(self) -> Pykorm:
        with self._lock:
            twin: Pykorm | None = self.__dict__.get("_blocking")
            if twin is None:
                loop = asyncio.get_running_loop()

                def bridge(event: str) -> Callable[[Request | Response], None]:
                    def call(value: Request | Response) -> None:
                        if self.event_hooks[event]:  # read at each request: appending later counts
                            asyncio.run_coroutine_threadsafe(await_hooks(self.event_hooks[event], value), loop).result()
                    return call

                options = self._transport_options
                twin = self.__dict__["_blocking"] = Pykorm(
                    self.kubeconfig, self.context, clusters=self._sources, field_manager=self.field_manager,
                    make_default=False, retries=options["retries"], connect_timeout=options["connect_timeout"],
                    read_timeout=options["read_timeout"],
                    event_hooks={"request": [bridge("request")], "response": [bridge("response")]},
                )
        return twin

    # -- subresources ------------------------------------------------------------------------------

    async def get_scale(self, obj: Model, cluster: str | None = None) -> Scale:
        """See :meth:`pykorm.Pykorm.get_scale`."""
        await self.connect(cluster or obj._cluster)
        return await self._get_scale(obj, cluster)

    async def scale(self, obj: Model, replicas: int, cluster: str | None = None, *, dry_run: bool = False) -> Scale:
        """See :meth:`pykorm.Pykorm.scale`."""
        await self.connect(cluster or obj._cluster)
        return await self._scale(obj, replicas, cluster, dry_run=dry_run)

    async def logs(self, pod: Model, container: str | None = None, *, tail_lines: int | None = None,
                   since_seconds: int | None = None, previous: bool = False, cluster: str | None = None,
                   timeout: float | None = None) -> str:
        """See :meth:`pykorm.Pykorm.logs`: the log as text (:meth:`follow_logs` for its lines as they come)."""
        await self.connect(cluster or pod._cluster)
        return await self._logs(pod, (container, tail_lines, since_seconds, previous), cluster, timeout)

    async def follow_logs(self, pod: Model, container: str | None = None, *, tail_lines: int | None = None,
                          since_seconds: int | None = None, previous: bool = False,
                          cluster: str | None = None, timeout: float | None = None) -> AsyncGenerator[str, None]:
        """A pod's log lines as they are written (``logs(follow=True)`` of the blocking session): ``async for``;
        with ``timeout``, until then."""
        await self.connect(cluster or pod._cluster)
        async with contextlib.aclosing(self._follow_logs(pod, (container, tail_lines, since_seconds, previous),
                                                         cluster, timeout)) as lines:
            async for line in lines:
                yield line

    async def exec(self, pod: Model, command: Sequence[str], container: str | None = None, *,
                   stdin: str | bytes | None = None, timeout: float | None = None,
                   cluster: str | None = None) -> ExecResult:
        """See :meth:`pykorm.Pykorm.exec`; cancelling the task closes the connection."""
        await self.connect(cluster or pod._cluster)
        return await self._exec(pod, command, container, stdin, timeout, cluster)

    # -- the I/O of SessionCore's coroutines ---------------------------------------------------------

    def _make_transport(self, config: ClusterConfig) -> AsyncTransport:
        return AsyncTransport(config.configuration, **self._transport_options)

    async def _send(self, cluster: str | None, method: str, path: str, **kwargs: Any) -> Any:
        await self.connect(cluster)
        return await self._connection(cluster)[1].request(method, path, **kwargs)

    def _stream(self, cluster: str | None, path: str, params: dict[str, Any], silence: float | None,
                raw: bool = False, opened: Callable[[Any], object] | None = None,
                deadline: float | None = None) -> AsyncGenerator[Any, None]:
        if opened is not None:  # an async stream ends by cancelling its task, from the loop
            raise TypeError("opened= is for blocking sessions: cancel the task reading an async stream instead")
        return self._connection(cluster)[1].stream(path, params=params, timeout=silence, raw=raw, deadline=deadline)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _checkpoint(self) -> None:
        await asyncio.sleep(0)

    async def _channels(self, cluster: str | None, path: str, query: str, stdin: bytes | None,
                        deadline: float | None) -> ExecResult:
        # The blocking websocket in a thread (one implementation of the protocol); a cancelled task aborts it.
        await self.connect(cluster)
        endpoint = self._connection(cluster)[1]
        opened: list[Any] = []  # the websocket, once open; [None] first once cancelled

        def hand_out(connection: Any) -> None:
            opened.append(connection)
            if opened[0] is None:  # cancelled during the handshake
                connection.abort()

        task = asyncio.ensure_future(asyncio.to_thread(run_exec, endpoint, path, query, stdin, deadline,
                                                       opened=hand_out))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())  # read, even when abandoned
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            opened.insert(0, None)
            for connection in opened[1:]:
                connection.abort()
            raise
