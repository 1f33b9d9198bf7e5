"""Predicates: which changes of a watched object are a reason to reconcile (controller-runtime's predicates).

    >>> manager.reconciler(WebSite, predicate=DEFAULT | status_changed)          # status changes too
    >>> manager.reconciler(WebSite, predicate=generation_changed)                # the spec only
    >>> manager.reconciler(WebSite, predicate=DEFAULT & label_selector({"tier": "web"}))
    >>> manager.reconciler(WebSite, predicate=when(lambda old, new: new is None or new.replicas > 0))

A predicate is told a change as ``(old, new)``: a creation has ``old`` None, a deletion ``new``
None (``old`` is the last state seen). Predicates combine with ``|``, ``&`` and ``~``. The
built-in ones read the objects' JSON (no model is built); :func:`when` wraps a function of two
model objects (copies: a predicate changes nothing). The change-detecting ones
(``generation_changed``, ``labels_changed``...) let creations and deletions through, as
controller-runtime's do, so ``&`` with a filter such as :func:`label_selector` keeps them.

:data:`DEFAULT` — the reconciled model's rule unless a controller says otherwise — is what a
reconcile can act on: creation, deletion, and changes of ``metadata.generation`` (the spec;
for a kind without generations, anything outside metadata), labels, annotations,
finalizers or the deletion timestamp; a status change alone is not a reason. Owned and
watched kinds default to :data:`ANY` (a Deployment becoming ready is news to its owner).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from ._store import Raw

if TYPE_CHECKING:
    from ..models._model import Model

__all__ = [
    "ANY", "DEFAULT", "Predicate", "annotations_changed", "as_predicate", "deletion_started", "finalizers_changed",
    "generation_changed", "label_selector", "labels_changed", "status_changed", "when",
]

RawTest = Callable[[Any, Optional[Raw], Optional[Raw]], bool]
"""``(model, old, new) -> bool`` on the objects' JSON."""


class Predicate:
    """A rule on a change ``(old, new)``; ``a | b``, ``a & b`` and ``~a`` combine rules."""

    __slots__ = ("test", "name")

    def __init__(self, test: RawTest, name: str) -> None:
        self.test = test
        self.name = name

    def __call__(self, model: type[Model], old: Raw | None, new: Raw | None) -> bool:
        """True when the change of an object of ``model`` from ``old`` to ``new`` (JSON) is a reason to reconcile."""
        return bool(self.test(model, old, new))

    def __or__(self, other: Predicate) -> Predicate:
        a, b = self.test, _check(other).test
        return Predicate(lambda m, old, new: a(m, old, new) or b(m, old, new), f"({self.name} | {other.name})")

    def __and__(self, other: Predicate) -> Predicate:
        a, b = self.test, _check(other).test
        return Predicate(lambda m, old, new: a(m, old, new) and b(m, old, new), f"({self.name} & {other.name})")

    def __invert__(self) -> Predicate:
        a = self.test
        return Predicate(lambda m, old, new: not a(m, old, new), f"~{self.name}")

    def __repr__(self) -> str:
        return f"<Predicate {self.name}>"


def _check(other: object) -> Predicate:
    if not isinstance(other, Predicate):
        raise TypeError(f"predicates combine with predicates (wrap a function with when(fn)), not {other!r}")
    return other


def _metadata(raw: Raw) -> dict[str, Any]:
    found = raw.get("metadata")
    return found if isinstance(found, dict) else {}


def _changed(*fields: str) -> RawTest:
    def test(model: Any, old: Raw | None, new: Raw | None) -> bool:
        if old is None or new is None:
            return True
        before, after = _metadata(old), _metadata(new)
        return any(before.get(f) != after.get(f) for f in fields)
    return test


def _generation(model: Any, old: Raw | None, new: Raw | None) -> bool:
    if old is None or new is None:
        return True
    before, after = _metadata(old), _metadata(new)
    if before.get("generation") is None or after.get("generation") is None:  # a kind without generations
        return {k: v for k, v in old.items() if k != "metadata"} != {k: v for k, v in new.items() if k != "metadata"}
    return bool(before.get("generation") != after.get("generation"))


def _status(model: Any, old: Raw | None, new: Raw | None) -> bool:
    return old is None or new is None or old.get("status") != new.get("status")


ANY = Predicate(lambda model, old, new: True, "ANY")
"""Every change."""
generation_changed = Predicate(_generation, "generation_changed")
"""``metadata.generation`` changed: the spec (a kind without generations: anything outside metadata)."""
labels_changed = Predicate(_changed("labels"), "labels_changed")
annotations_changed = Predicate(_changed("annotations"), "annotations_changed")
finalizers_changed = Predicate(_changed("finalizers"), "finalizers_changed")
deletion_started = Predicate(_changed("deletionTimestamp"), "deletion_started")
"""The deletion timestamp was set (a delete held back by finalizers)."""
status_changed = Predicate(_status, "status_changed")
"""``status`` changed (opt in: ``DEFAULT | status_changed``)."""
DEFAULT = Predicate(
    lambda model, old, new: _generation(model, old, new) or _changed(
        "labels", "annotations", "finalizers", "deletionTimestamp")(model, old, new),
    "DEFAULT")
"""What a reconcile can act on: generation, labels, annotations, finalizers, deletion; not status alone."""


def label_selector(labels: Mapping[str, str]) -> Predicate:
    """Objects whose labels include ``labels`` (the new state; a deletion: the last one seen).

    Raises:
        TypeError: ``labels`` is not a mapping of strings to strings.
    """
    if not isinstance(labels, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise TypeError(f"label_selector takes a mapping of label names to values, not {labels!r}")
    wanted = dict(labels)

    def test(model: Any, old: Raw | None, new: Raw | None) -> bool:
        have = _metadata(new if new is not None else old or {}).get("labels") or {}
        return all(have.get(k) == v for k, v in wanted.items())

    return Predicate(test, f"label_selector({wanted!r})")


def when(fn: Callable[[Any, Any], object], name: str | None = None) -> Predicate:
    """A predicate of ``fn(old, new)`` on model objects (copies; ``old`` None on creation, ``new`` None on deletion)."""
    if not callable(fn):
        raise TypeError(f"when() takes a function of (old, new), not {fn!r}")

    def test(model: Any, old: Raw | None, new: Raw | None) -> bool:
        wrap = model._from_store  # the cache's JSON, copied only if fn uses more than scalar fields
        return bool(fn(None if old is None else wrap(old), None if new is None else wrap(new)))

    return Predicate(test, name or str(getattr(fn, "__name__", "when")))


def as_predicate(value: Predicate | Callable[[Any, Any], object] | None, default: Predicate) -> Predicate:
    """``value`` as a predicate: a Predicate as is, a function through :func:`when`, None: ``default``."""
    if value is None:
        return default
    if isinstance(value, Predicate):
        return value
    if callable(value):
        return when(value)
    raise TypeError(f"a predicate is a Predicate or a function of (old, new), not {value!r}")
