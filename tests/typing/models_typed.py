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
