"""Offline: the pure checks behind the bad-input corpus (tests/test_bad_input_corpus.py) — names of the wrong
type, the original pykorm's ``@`` paths, ``values()``/``order_by()`` names, bulk ``update``/``label`` keywords,
conditions given positionally."""

from __future__ import annotations

from typing import Any

import pytest

import pykorm
from pykorm._base.names import name_error
from pykorm._base.paths import as_path
from pykorm._select.ordering import getters, json_sort_key
from pykorm._session.bulk import assign, merge_annotations, merge_labels

pytestmark = pytest.mark.unit


@pykorm.k8s_custom_object("offline.pykorm.io", "v1", "pears")
class Pear(pykorm.NamespacedModel):
    variety: str = pykorm.Spec("variety")

    @property
    def shout(self) -> str:
        return self.variety.upper()

    @shout.setter
    def shout(self, value: str) -> None:
        self.variety = value.lower()


@pytest.mark.parametrize("value", [0, 3.5, ["a"], {"a": 1}, False, Pear])
def test_a_name_of_the_wrong_type_is_named_as_such(value: Any) -> None:
    error = name_error(value, "metadata.name")
    assert error is not None and error.reason == "FieldValueTypeInvalid"
    assert "must be a string" in error.message and "Required" not in error.message


@pytest.mark.parametrize("value", [None, ""])
def test_no_name_is_a_missing_name(value: Any) -> None:
    error = name_error(value, "metadata.name")
    assert error is not None and error.reason == "FieldValueRequired"


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ("spec@score", ("spec", "score")),
        ("@spec@score@", ("spec", "score")),
        ("metadata@annotations@example.com/owner", ("metadata", "annotations", "example.com/owner")),
        ("spec.score", ("spec", "score")),
    ],
)
def test_the_original_pykorms_at_paths(given: str, path: tuple[str, ...]) -> None:
    assert as_path(given) == path


def test_values_and_order_by_name_their_wrong_names() -> None:
    with pytest.raises(pykorm.ClientValidationError, match=r"values\(\) needs the names"):
        getters(Pear, ())
    with pytest.raises(pykorm.ClientValidationError, match="not NoneType None"):
        getters(Pear, (None,))  # type: ignore[arg-type]
    with pytest.raises(pykorm.ClientValidationError, match=r"order_by\(\) takes .* not int 3"):
        json_sort_key(Pear, (3,))  # type: ignore[arg-type]
    assert [name for name, _ in getters(Pear, ("name", "spec.variety"))] == ["name", "spec.variety"]


def test_bulk_update_keywords_are_fields_one_can_set() -> None:
    with pytest.raises(pykorm.ClientValidationError, match="Pear has no field 'colour'; fields are: .*variety"):
        assign(Pear, {"colour": "red"})
    with pytest.raises(pykorm.ClientValidationError, match="needs attribute=value"):
        assign(Pear, {})
    with pytest.raises(pykorm.ClientValidationError, match=r"Pear.namespace is read-only"):
        assign(Pear, {"namespace": "other"})
    pear = Pear(namespace="n", name="p", variety="a")
    assign(Pear, {"variety": "b"})(pear)
    assert pear.variety == "b"
    assign(Pear, {"shout": "C"})(pear)  # a property with a setter is the model's own way to set fields
    assert pear.variety == "c"


def test_labels_and_annotations_are_strings_or_none() -> None:
    for merge, verb in ((merge_labels, "label"), (merge_annotations, "annotate")):
        with pytest.raises(pykorm.ClientValidationError, match=rf"{verb}\(\) needs key=value"):
            merge({})
        with pytest.raises(pykorm.ClientValidationError, match="not int 3"):
            merge({"app": 3})  # type: ignore[dict-item]
    pear = Pear(namespace="n", name="p", variety="a", labels={"gone": "x"})
    merge_labels({"app": "web", "gone": None})(pear)
    assert pear.labels == {"app": "web"}


@pytest.mark.parametrize("given", [{"variety": "a"}, "variety", 3])
def test_a_condition_given_positionally_must_be_a_q(given: Any) -> None:
    with pytest.raises(pykorm.ClientValidationError, match="must be a pykorm.Q"):
        pykorm.Q(given)
    with pytest.raises(TypeError, match="unsupported operand"):
        pykorm.Q(variety="a") & given
