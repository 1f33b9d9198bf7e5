"""``SessionIO``: the I/O a session gives the engine's coroutines, as a Protocol.

The client, pager, queries, watches and bulk operations await their requests through these members only;
:class:`pykorm._session.core.SessionCore` implements them, over a blocking transport
(:class:`pykorm.Pykorm`, which never suspends: :mod:`pykorm._base.drive`) or an async one
(``pykorm.aio.AsyncPykorm``). Typing them against this Protocol keeps them from importing
``core`` (which imports them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Iterable, Mapping, Protocol, TypeVar

if TYPE_CHECKING:
    from .._data.stored import Stored
    from .._http.resource import ResourceType

M = TypeVar("M", bound="Stored")

__all__ = ["SessionIO"]


class SessionIO(Protocol):
    """What the engine awaits of a session (see the module docstring)."""

    @property
    def _step_objects(self) -> int | None:
        """Objects filtered and wrapped between two checkpoints (None: a page at once)."""

    async def _request(self, resource: ResourceType, method: str, path: str, cluster: str | None = None,
                       **kwargs: Any) -> Any:
        """One request about ``resource`` (see :meth:`pykorm._session.core.SessionCore._request`)."""

    def _stream(self, cluster: str | None, path: str, params: dict[str, Any], silence: float | None,
                raw: bool = False, opened: Callable[[Any], object] | None = None,
                deadline: float | None = None) -> AsyncGenerator[Any, None]:
        """A watch stream's lines (see :meth:`pykorm._session.core.SessionCore._stream`)."""

    async def _sleep(self, seconds: float) -> None: ...

    async def _checkpoint(self) -> None: ...

    async def _delete(self, obj: Stored, cluster: str | None = None, *, dry_run: bool = False,
                      propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                      wait: bool = False, timeout: float = 60.0) -> None:
        """A bulk delete's deletion of one object (see :meth:`pykorm.Pykorm.delete`)."""

    async def _update(self, obj: M, mutate: Callable[[M], object], retries: int = 10, cluster: str | None = None) -> M:
        """A bulk update's update of one object (see :meth:`pykorm.Pykorm.update`)."""

    def _field_selectors_known(self, resource: ResourceType, cluster: str | None = None) -> Mapping[str, bool]:
        """Which field selectors the cluster was found to serve (see :meth:`pykorm._session.core.SessionCore._probe_field_selectors`)."""

    async def _probe_field_selectors(self, resource: ResourceType, paths: Iterable[str], namespace: str | None,
                                     cluster: str | None = None) -> None:
        """Ask the cluster whether it serves a field selector on each path (a query's plan needs it)."""
