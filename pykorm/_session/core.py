"""What a session does, written once for the blocking :class:`pykorm.Pykorm` and ``pykorm.aio.AsyncPykorm``.

:class:`SessionCore` is a session's configuration, caches and every verb as a coroutine that awaits
its I/O through methods a subclass provides (``_send``: one request, ``_stream``: a watch stream,
``_sleep``), built in layers, one module each: :mod:`~pykorm._session.connections` (clusters,
transports, ``_request``, what each cluster serves) < :mod:`~pykorm._session.reads` (get, refresh,
waiting until gone) < :mod:`~pykorm._session.writes` (save, save_status, apply, delete, update)
< this module (waiting for a condition, ``/scale``, ``/log``, exec). The blocking session's I/O
never suspends, so it runs these coroutines to the end at once (:mod:`pykorm._base.drive`); the
async session's await its async transport. Names are checked, objects validated, patches computed
and answers loaded by the same lines of code either way.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, TypeVar

from .._base.errors import ClientValidationError, ServerUnavailable
from .._base.paths import get_path
from .._http.resource import ResourceType, resource_of
from .subresources import Scale, log_params, scale_from, scale_patch
from .._http.channels import ExecResult, exec_query
from .._http.transport import MERGE_PATCH
from .client import ResourceClient
from .connections import SessionOptions, TransportT, dry_run_param, label_of
from .watch import wait_until
from .writes import Writes

if TYPE_CHECKING:
    from .._data.stored import Stored

__all__ = ["SessionCore", "SessionOptions"]

M = TypeVar("M", bound="Stored")
LogOptions = tuple["str | None", "int | None", "int | None", bool]  # container, tail_lines, since_seconds, previous

_EARLY = 0.05  # seconds: a read that timed out this close to a deadline ended at the deadline


class SessionCore(Writes[TransportT]):
    """A session's configuration, caches and verbs (as coroutines); see the module docstring.

    ``TransportT`` is the transport a subclass makes for each cluster (:meth:`_make_transport`).
    """

    # -- waiting for a condition -----------------------------------------------------------------

    async def _wait_for(
        self, obj: M, condition: Callable[[M | None], bool], timeout: float = 60.0, cluster: str | None = None
    ) -> M | None:
        if not callable(condition):
            raise TypeError(f"the condition waited for is a function of the object, not {type(condition).__name__} "
                            f"{condition!r:.60}")
        resource, target = resource_of(type(obj)), cluster or obj._cluster
        self._object_path(obj, resource)  # checks the name and namespace before anything is sent
        query = type(obj).query.session(self).filter(name=obj.name)
        if target is not None:
            query = query.using(target)
        if resource.namespaced:
            query = query.namespace(get_path(obj._raw, ("metadata", "namespace")) or self.default_namespace(target))

        uid = obj.uid or None  # a stored object: that one, not a new one of its name

        def this(found: list[M]) -> M | None:
            return next((o for o in found if uid is None or o.uid == uid), None)

        def holds(found: list[M]) -> bool:
            current = this(found)
            if current is not None:
                obj._load(current._raw, target, self)
            return condition(current)

        # A filter on the name alone is read by GET: its plan sends no field selector, so explain() is the plan.
        client = ResourceClient(self, resource, target)
        found = await wait_until(client, type(obj), query.explain(), holds, timeout, label_of(obj), this)
        return this(found)

    # -- subresources: /scale and /log ---------------------------------------------------------

    async def _get_scale(self, obj: Stored, cluster: str | None = None) -> Scale:
        resource = resource_of(type(obj))
        path = self._object_path(obj, resource, "scale")
        return scale_from(await self._request(resource, "GET", path, cluster or obj._cluster))

    async def _scale(self, obj: Stored, replicas: int, cluster: str | None = None, *, dry_run: bool = False) -> Scale:
        resource = resource_of(type(obj))
        body = scale_patch(replicas)
        path = self._object_path(obj, resource, "scale")
        params = {"fieldManager": self.field_manager, "dryRun": dry_run_param(dry_run)}
        raw = await self._request(resource, "PATCH", path, cluster or obj._cluster, body=body,
                                  content_type=MERGE_PATCH, params=params)
        return scale_from(raw)

    async def _logs(self, pod: Stored, options: LogOptions, cluster: str | None = None,
                    timeout: float | None = None) -> str:
        resource = _pod_resource(pod, "logs are read from a Pod's containers", "from")
        path = self._object_path(pod, resource, "log")
        deadline = None if timeout is None else time.monotonic() + timeout
        text = await self._request(resource, "GET", path, cluster or pod._cluster, params=log_params(*options, False),
                                   deadline=deadline)
        return text if isinstance(text, str) else ""

    async def _follow_logs(self, pod: Stored, options: LogOptions, cluster: str | None = None,
                           timeout: float | None = None,
                           opened: Callable[[Any], object] | None = None) -> AsyncGenerator[str, None]:
        """A pod's log lines as they come; with ``timeout``, the lines until then (a silent log ends there too).
        ``opened`` gets the open response (blocking sessions: another thread may shut it down)."""
        path = self._object_path(pod, _pod_resource(pod, "logs are read from a Pod's containers", "from"), "log")
        deadline = None if timeout is None else time.monotonic() + timeout
        silence = None if deadline is None else max(0.1, deadline - time.monotonic())
        lines = self._stream(cluster or pod._cluster, path, log_params(*options, True), silence, raw=True,
                             deadline=deadline, **({"opened": opened} if opened is not None else {}))
        try:
            async for line in lines:
                yield line
                if deadline is not None and time.monotonic() >= deadline:
                    return
        except ServerUnavailable:
            if deadline is None or time.monotonic() < deadline - _EARLY:
                raise  # the connection broke before the deadline
        finally:
            await lines.aclose()

    async def _exec(self, pod: Stored, command: Any, container: str | None, stdin: str | bytes | None,
                    timeout: float | None, cluster: str | None) -> ExecResult:
        resource = _pod_resource(pod, "exec runs a command in a Pod's container", "in")
        if stdin is not None and not isinstance(stdin, (str, bytes)):
            raise ClientValidationError(f"stdin must be str, bytes or None, not {type(stdin).__name__}")
        if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
            raise ClientValidationError(f"timeout must be a number of seconds > 0 or None, not {timeout!r}")
        query = exec_query(command, container, stdin is not None)
        data = stdin.encode() if isinstance(stdin, str) else stdin
        deadline = None if timeout is None else time.monotonic() + timeout
        return await self._channels(cluster or pod._cluster, self._object_path(pod, resource, "exec"), query, data,
                                    deadline)


def _pod_resource(pod: Stored, what: str, preposition: str) -> ResourceType:
    """The resource of ``pod``, a Pod (``/log`` and ``/exec`` are a Pod's subresources).

    Raises:
        ClientValidationError: it is another kind (a GET of its "/log" would be a NotFound from the server).
    """
    resource = resource_of(type(pod))
    if (resource.group, resource.plural) != ("", "pods"):
        raise ClientValidationError(f"{what}, not {preposition} a {type(pod).__name__}; nothing was sent")
    return resource
