"""One spelling per public name: public classes show the path users import them from, and the
README's spelling (``pykorm.X``) reaches every name its first model uses."""

from __future__ import annotations

import pickle
import traceback

import pytest

import pykorm
import pykorm.aio

pytestmark = pytest.mark.unit


def test_public_classes_show_their_public_path() -> None:
    shown = {name: getattr(pykorm, name).__module__ for name in pykorm.__all__ if isinstance(getattr(pykorm, name), type)}
    assert shown and set(shown.values()) == {"pykorm"}, shown
    assert repr(pykorm.Pykorm) == "<class 'pykorm.Pykorm'>" and repr(pykorm.Query) == "<class 'pykorm.Query'>"
    assert pykorm.aio.AsyncPykorm.__module__ == "pykorm.aio"
    error = pykorm.NotFound("peaches/x not found", status=404)
    assert traceback.format_exception_only(type(error), error)[0].startswith("pykorm.NotFound: ")
    assert type(pickle.loads(pickle.dumps(error))) is pykorm.NotFound


def test_the_original_paths_name_the_same_objects() -> None:
    assert pykorm.pykorm.k8s_core is pykorm.k8s_core and pykorm.models.Nested is pykorm.Nested
    assert pykorm.fields.DataField is pykorm.DataField and pykorm.fields.ListField is pykorm.ListField
    assert pykorm.exceptions.NotFound is pykorm.NotFound and pykorm.models.PykormModel is pykorm.Model


def test_star_import_gives_names_not_modules() -> None:
    assert not {"pykorm", "models", "fields", "exceptions"} & set(pykorm.__all__)
    assert {"DataField", "DictNestedField", "ListField", "Nested", "Spec", "Pykorm"} <= set(pykorm.__all__)


def test_the_controller_and_testing_classes_show_their_public_path() -> None:
    import pykorm.controller
    import pykorm.testing

    for module in (pykorm.controller, pykorm.testing):
        shown = {name: getattr(module, name).__module__ for name in module.__all__ if isinstance(getattr(module, name), type)}
        assert len(shown) >= 5 and set(shown.values()) == {module.__name__}, shown
    assert repr(pykorm.controller.Manager) == "<class 'pykorm.controller.Manager'>"
    assert repr(pykorm.testing.LocalControlPlane) == "<class 'pykorm.testing.LocalControlPlane'>"
    error = pykorm.testing.StartTimeout("etcd was not ready after 1 s")
    assert traceback.format_exception_only(type(error), error)[0].startswith("pykorm.testing.StartTimeout: ")
    assert type(pickle.loads(pickle.dumps(error))) is pykorm.testing.StartTimeout
    assert pickle.loads(pickle.dumps(pykorm.controller.Watch)) is pykorm.controller.Watch
