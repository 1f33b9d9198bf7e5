"""Offline: the ``pykorm`` command given bad names and unwritable folders answers ``pykorm: error: ...`` and exit
code 1 — it printed a ServiceAccount named ``../x`` (exit 0), and a traceback for ``-o`` into a folder it cannot make."""

from __future__ import annotations

from pathlib import Path

import pytest

import pykorm
from pykorm._tools.cli import main

pytestmark = pytest.mark.unit

MODELS = '''
import pykorm

@pykorm.k8s_custom_object("shop.example.org", "v1", "baskets")
class Basket(pykorm.NamespacedModel):
    owner: str = pykorm.Spec("owner", required=True)
'''


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["rbac", "models.py:Basket", "--name", "../x"], "name: Invalid value '../x'"),
        (["rbac", "models.py:Basket", "--name", "shop", "--namespace", "BAD"], "namespace: Invalid value 'BAD'"),
        (["crd", "-o", "{tmp}/file/sub", "models.py"], "Not a directory"),
        (["crd", "models.py:Nope"], "no model class 'Nope'"),
    ],
)
def test_bad_arguments_are_an_error_line_and_exit_1(
    args: list[str], says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "file").write_text("")
    monkeypatch.chdir(tmp_path)
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pykorm: error: ") and says in err and "Traceback" not in err


def test_rbac_refuses_names_the_api_server_would() -> None:
    @pykorm.k8s_custom_object("shop.example.org", "v1", "crates")
    class Crate(pykorm.NamespacedModel):
        pass

    with pytest.raises(pykorm.ClientValidationError, match="name: Invalid value"):
        pykorm.rbac(Crate, name="a/b")
    assert [m["kind"] for m in pykorm.rbac(Crate, name="crate-app", namespace="shop")] == ["ServiceAccount", "Role", "RoleBinding"]
