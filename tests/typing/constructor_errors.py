"""Must FAIL mypy (tests/test_typing.py asserts each error): wrong constructors are caught statically."""

from __future__ import annotations

import pykorm


@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
class Peach(pykorm.NamespacedModel):
    variety: str = pykorm.Spec("variety")


Peach(name="a", variety=3)  # E: wrong type
Peach(name="a")  # E: missing variety
Peach(name="a", variety="x", colour="red")  # E: unknown field
