"""Checked by mypy in tests/test_typing.py: type checkers know each model's constructor and attributes."""

from __future__ import annotations

import datetime

from typing_extensions import assert_type

import pykorm


class Score(pykorm.models.Nested):
    exterior: int = pykorm.fields.DataField("exterior")


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
class Peach(pykorm.NamespacedModel):
    variety: str = pykorm.Spec("variety")
    price: int | None = pykorm.Spec("price", default=None)
    score: Score | None = pykorm.fields.DictNestedField(Score, path=["spec", "score"], default=None)
    seeds: list[Score] = pykorm.fields.ListField(Score, path=["spec", "seeds"])  # an empty list when omitted


peach = Peach(name="cake-peach", namespace="default", variety="Frost", score=Score(exterior=3))
assert_type(peach.variety, str)
assert_type(peach.price, "int | None")
assert_type(peach.seeds, "list[Score]")
assert_type(peach.name, str)
assert_type(peach.labels, "dict[str, str]")
assert_type(peach.created_at, "datetime.datetime | None")
assert_type(Peach.query.first(), "Peach | None")
assert_type(Peach.query.filter_by(variety="Frost").all(), "list[Peach]")
pk = pykorm.Pykorm()
assert_type(pk.save(peach), Peach)
assert_type(pk.get(Peach, "cake-peach", "default"), Peach)
with pykorm.Pykorm(make_default=False) as session:  # closes its connection pools on exit
    assert_type(session, pykorm.Pykorm)


async def async_session_types() -> None:
    """pykorm.aio: the same model types through the async session and queries."""
    from pykorm.aio import AsyncPykorm, AsyncQuery

    async with AsyncPykorm(field_manager="typed", read_timeout=5) as apk:
        query = apk.query(Peach).ns("default").filter(price__gt=1).order_by("-price")[:3]
        assert_type(query, "AsyncQuery[Peach]")
        assert_type(await query.first(), "Peach | None")
        assert_type(await query.all(), "list[Peach]")
        assert_type(await query.get("cake-peach"), "Peach | None")
        assert_type(await query.count(), int)
        async for each in query:
            assert_type(each, Peach)
        async for event in query.watch(timeout=1):
            assert_type(event.obj, Peach)
        assert_type(await apk.save(peach), Peach)
        assert_type(await apk.get(Peach, "cake-peach", "default"), Peach)
        assert_type(await apk.wait_for(peach, lambda p: p is None), "Peach | None")
