"""Bulk operations on a query's objects: delete, update, label, annotate.

Each returns what it changed. On the first hard error it stops and raises
:class:`BulkError` saying what was done, what failed and what was not tried.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Generic, Iterator, Mapping, TypeVar

from .._base.errors import ApiError, BulkError, ClientValidationError, FieldError, NotFound, PykormError
from .connections import delete_options

if TYPE_CHECKING:
    from .client import ResourceClient
    from .._data.stored import Stored
    from .._select.plan import Plan

__all__ = ["BulkResult", "assign", "delete_matching", "merge_annotations", "merge_labels", "update_matching"]

M = TypeVar("M", bound="Stored")


@dataclasses.dataclass
class BulkResult(Generic[M]):
    """The objects a bulk operation changed (as the server returned them), and how it went about it."""

    changed: list[M]
    requests: int

    def __len__(self) -> int:
        return len(self.changed)

    def __iter__(self) -> Iterator[M]:
        return iter(self.changed)


async def delete_matching(
    client: ResourceClient,
    model: type[M],
    plan: Plan,
    whole: bool,
    targets: Callable[[], Awaitable[list[M]]],
    *,
    propagation_policy: str | None,
    dry_run: bool,
) -> BulkResult[M]:
    """Delete the plan's objects: ``deletecollection`` where the server selects them all, else one by one.

    ``whole``: the query is neither sliced nor ordered; ``targets`` lists its objects.
    """
    resource = client.resource
    options = delete_options(propagation_policy, dry_run)  # checked whether anything matches or not
    if plan.empty:
        return BulkResult([], 0)
    if whole and plan.fully_pushed and plan.names is None and (plan.namespaces is not None or not resource.namespaced):
        changed: list[M] = []
        requests = 0
        selectors = {"labelSelector": plan.label_selector, "fieldSelector": plan.field_selector}
        for namespace in plan.namespaces if plan.namespaces is not None else (None,):
            try:
                deleted = await client.delete_collection(namespace, selectors, options)
            except ApiError as error:
                raise BulkError(
                    f"deletecollection of {resource.plural} in {namespace or 'the cluster'} failed: {error}",
                    done=changed, failed=None, not_done=[], error=error,
                ) from error
            requests += 1
            changed.extend(client.hydrate(model, item) for item in deleted)
        return BulkResult(changed, requests)
    session = client.session

    async def delete(obj: M) -> None:
        try:
            await session._delete(obj, dry_run=dry_run, propagation_policy=propagation_policy)
        except NotFound:
            pass  # already gone: the goal is met

    return await _each(await targets(), resource.plural, "deleted", delete)


async def update_matching(
    client: ResourceClient, targets: Callable[[], Awaitable[list[M]]], mutate: Callable[[M], object]
) -> BulkResult[M]:
    """Apply ``mutate`` to each of the listed objects and save it, re-reading and retrying on conflicts."""
    session = client.session

    async def update(obj: M) -> None:
        await session._update(obj, mutate)

    return await _each(await targets(), client.resource.plural, "updated", update)


async def _each(targets: list[M], plural: str, verb: str, action: Callable[[M], Awaitable[None]]) -> BulkResult[M]:
    """Run ``action`` on each object; stop at the first error with a report."""
    done: list[M] = []
    for index, obj in enumerate(targets):
        try:
            await action(obj)
        except PykormError as error:
            raise BulkError(
                f"{verb} {len(done)} of {len(targets)} {plural}; {_name(obj)} failed: {error}",
                done=done, failed=obj, not_done=targets[index + 1 :], error=error,
            ) from error
        done.append(obj)
    return BulkResult(done, len(targets) + 1)


def _name(obj: Stored) -> str:
    namespace = getattr(obj, "namespace", None)
    return f"{namespace}/{obj.name}" if namespace else obj.name


# The changes ``update``, ``label`` and ``annotate`` make to each object (a None value removes a key).

def assign(model: type[Stored], values: Mapping[str, Any]) -> Callable[[Any], None]:
    """Sets each attribute of ``values`` on an object of ``model``.

    Raises:
        ClientValidationError: no values, or a name that is not a field of the model one can set (a
            misspelt or read-only one): before anything is listed or sent, matching objects or not.
    """
    if not values:
        raise ClientValidationError(f"update() of {model.__name__} objects needs attribute=value keywords to set")
    fields = model._fields
    for key in values:
        field = fields.get(key)
        if field is None and not _settable_property(model, key):
            raise ClientValidationError(
                f"update(): {model.__name__} has no field {key!r}; fields are: {', '.join(fields)}",
                causes=(FieldError(key, "Unsupported value: not a field", "FieldValueNotSupported"),))
        if field is not None and field.readonly:
            raise ClientValidationError(
                f"update(): {model.__name__}.{key} is read-only (set once, when the object is made)",
                causes=(FieldError(key, "Forbidden: read-only", "FieldValueForbidden"),))

    def assign_to(obj: Any) -> None:
        for key, value in values.items():
            setattr(obj, key, value)

    return assign_to


def _settable_property(model: type, name: str) -> bool:
    found = getattr(model, name, None)
    return isinstance(found, property) and found.fset is not None


def merge_labels(labels: Mapping[str, str | None]) -> Callable[[Any], None]:
    """Merges ``labels`` into an object's labels.

    Raises:
        ClientValidationError: no labels, or a key or value that is not a string (None removes a label).
    """
    _check_keys("label", labels)
    return lambda obj: _merge_into(obj.labels, labels)


def merge_annotations(annotations: Mapping[str, str | None]) -> Callable[[Any], None]:
    """Merges ``annotations`` into an object's annotations.

    Raises:
        ClientValidationError: no annotations, or a key or value that is not a string (None removes one).
    """
    _check_keys("annotate", annotations)
    return lambda obj: _merge_into(obj.annotations, annotations)


def _check_keys(verb: str, changes: Mapping[str, str | None]) -> None:
    if not changes:
        raise ClientValidationError(f"{verb}() needs key=value keywords (a value of None removes the key)")
    for key, value in changes.items():
        if not isinstance(key, str) or not key:
            raise ClientValidationError(f"{verb}(): a key is a non-empty string, not {key!r:.60}")
        if value is not None and not isinstance(value, str):
            raise ClientValidationError(
                f"{verb}(): the value of {key!r} is a string (or None to remove it), not {type(value).__name__} {value!r:.60}",
                causes=(FieldError(key, "Invalid value: must be of type string", "FieldValueTypeInvalid"),))


def _merge_into(target: dict[str, str], changes: Mapping[str, str | None]) -> None:
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
