"""Bulk operations on a query's objects: delete, update, label, annotate.

Each returns what it changed. On the first hard error it stops and raises
:class:`BulkError` saying what was done, what failed and what was not tried.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, TypeVar

from ._errors import ApiError, NotFound, PykormError

if TYPE_CHECKING:
    from ._models import Model
    from ._query import Query

__all__ = ["BulkError", "BulkResult", "delete_matching", "update_matching"]

M = TypeVar("M", bound="Model")


@dataclasses.dataclass
class BulkResult(Generic[M]):
    """The objects a bulk operation changed (as the server returned them), and how it went about it."""

    changed: list[M]
    requests: int

    def __len__(self) -> int:
        return len(self.changed)

    def __iter__(self) -> Iterator[M]:
        return iter(self.changed)


class BulkError(PykormError):
    """A bulk operation stopped at a hard error.

    Attributes:
        done: the objects changed before the error.
        failed: the object whose change failed (None when a collection call failed).
        not_done: the objects not tried.
        error: the underlying exception (also ``__cause__``).
    """

    def __init__(self, message: str, *, done: list[Any], failed: Any, not_done: list[Any], error: Exception) -> None:
        super().__init__(message)
        self.done, self.failed, self.not_done, self.error = done, failed, not_done, error


def delete_matching(query: Query[M], *, propagation_policy: str | None, dry_run: bool) -> BulkResult[M]:
    """Delete the query's objects: ``deletecollection`` where the server selects them all, else one by one."""
    plan = query.explain()
    state = query._state
    resource = query._resource
    options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
    if propagation_policy:
        options["propagationPolicy"] = propagation_policy
    if dry_run:
        options["dryRun"] = ["All"]
    if plan.empty:
        return BulkResult([], 0)
    collection = plan.fully_pushed and plan.names is None and not state.order and state.start == 0 and state.stop is None
    if collection and (plan.namespaces is not None or not resource.namespaced):
        changed: list[M] = []
        requests = 0
        params = {"labelSelector": plan.label_selector, "fieldSelector": plan.field_selector}
        for namespace in plan.namespaces if plan.namespaces is not None else (None,):
            try:
                answer = query._request("DELETE", resource.path(namespace), body=options, params=params)
            except ApiError as error:
                raise BulkError(
                    f"deletecollection of {resource.plural} in {namespace or 'the cluster'} failed: {error}",
                    done=changed, failed=None, not_done=[], error=error,
                ) from error
            requests += 1
            for item in answer.get("items") or ():
                item.setdefault("apiVersion", resource.api_version)
                item.setdefault("kind", resource.kind)
                changed.append(query.model._from_server(item, state.cluster))
        return BulkResult(changed, requests)
    session = query._session()

    def delete(obj: M) -> None:
        try:
            session.delete(obj, dry_run=dry_run, propagation_policy=propagation_policy)
        except NotFound:
            pass  # already gone: the goal is met

    return _each(query, "deleted", delete)


def update_matching(query: Query[M], mutate: Callable[[M], object]) -> BulkResult[M]:
    """Apply ``mutate`` to each of the query's objects and save it, re-reading and retrying on conflicts."""
    session = query._session()
    return _each(query, "updated", lambda obj: session.update(obj, mutate))


def _each(query: Query[M], verb: str, action: Callable[[M], object]) -> BulkResult[M]:
    """Run ``action`` on each object the query lists; stop at the first error with a report."""
    targets = query.all()
    done: list[M] = []
    for index, obj in enumerate(targets):
        try:
            action(obj)
        except PykormError as error:
            raise BulkError(
                f"{verb} {len(done)} of {len(targets)} {query._resource.plural}; {_name(obj)} failed: {error}",
                done=done, failed=obj, not_done=targets[index + 1 :], error=error,
            ) from error
        done.append(obj)
    return BulkResult(done, len(targets) + 1)


def _name(obj: Model) -> str:
    namespace = getattr(obj, "namespace", None)
    return f"{namespace}/{obj.name}" if namespace else obj.name
