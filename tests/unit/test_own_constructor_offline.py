"""Offline: a model with a constructor of its own (the original pykorm's README writes one, never calling
``super().__init__()``) writes its fields' defaults into the JSON it saves, as the keyword constructor does."""

from __future__ import annotations

import pytest

import pykorm

pytestmark = pytest.mark.unit


@pykorm.k8s_custom_object("offline.pykorm.io", "v1", "quinces")
class Quince(pykorm.NamespacedModel):
    variety: str = pykorm.fields.Spec("variety", "default-variety")
    price: int = pykorm.fields.Spec("price", 1)
    tastyness: str = pykorm.fields.MetadataAnnotation("tastyness", "very-tasty")

    def __init__(self, namespace: str, name: str, variety: str):
        self.namespace = namespace
        self.name = name
        self.variety = variety


class SmallQuince(Quince):  # inherits the constructor
    pass


class CalledSuper(Quince):
    def __init__(self, name: str) -> None:
        super().__init__("ns", name, "Champion")
        self.price = 7


def test_a_constructor_of_its_own_writes_the_defaults_it_leaves_unset() -> None:
    for quince in (Quince("ns", "q", "Vranja"), SmallQuince("ns", "q", "Vranja")):
        assert quince._k8s_dict["spec"] == {"variety": "Vranja", "price": 1}
        assert quince._k8s_dict["metadata"]["annotations"] == {"tastyness": "very-tasty"}
    assert CalledSuper("c")._k8s_dict["spec"] == {"variety": "Champion", "price": 7}
    assert Quince("ns", "q", "Vranja") == Quince("ns", "q", "Vranja")


def test_the_keyword_constructor_is_unchanged() -> None:
    @pykorm.k8s_custom_object("offline.pykorm.io", "v1", "medlars")
    class Medlar(pykorm.NamespacedModel):
        price: int | None = pykorm.Spec("price", default=3)

    assert Medlar(namespace="ns", name="m")._k8s_dict["spec"] == {"price": 3}
    assert Medlar(namespace="ns", name="m", price=None)._k8s_dict.get("spec", {}).get("price") is None
