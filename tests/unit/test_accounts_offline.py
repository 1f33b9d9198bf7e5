"""A ServiceAccount token's refresh rule, the TokenRequest body, and what uninstall_crds takes as CRD names: offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pykorm
from pykorm._session.accounts import REFRESH_AT, ServiceAccountToken, account_configuration, token_request
from pykorm._session.crd_install import crd_names

pytestmark = pytest.mark.unit


class Server:
    """Answers TokenRequests with numbered tokens, each lasting ``lifetime`` seconds (the server may cut what was asked)."""

    def __init__(self, lifetime: int | None = None) -> None:
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.lifetime = lifetime

    def __call__(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.asked.append((path, body))
        spec = dict(body["spec"])
        if self.lifetime is not None:
            spec["expirationSeconds"] = self.lifetime
        return {"spec": spec, "status": {"token": f"token-{len(self.asked)}"}}


def test_the_token_is_asked_for_again_once_80_percent_of_its_life_has_passed() -> None:
    now = [1000.0]
    server = Server()
    token = ServiceAccountToken(server, "app", "shop", expiration_seconds=3600, clock=lambda: now[0])

    assert token.token() == "token-1"
    now[0] += REFRESH_AT * 3600 - 1
    assert token.token() == "token-1" and len(server.asked) == 1
    now[0] += 1
    assert token.token() == "token-2"
    assert server.asked[0][0] == "/api/v1/namespaces/shop/serviceaccounts/app/token"
    assert server.asked[0][1]["spec"] == {"expirationSeconds": 3600}


def test_a_lifetime_the_server_cut_is_the_one_counted() -> None:
    now = [0.0]
    server = Server(lifetime=600)
    token = ServiceAccountToken(server, "app", "shop", expiration_seconds=86400, clock=lambda: now[0])

    token.token()
    now[0] = 480.0

    assert token.token() == "token-2"


def test_the_official_clients_hook_writes_the_current_token() -> None:
    from kubernetes.client import Configuration

    source = Configuration()
    source.host, source.ssl_ca_cert, source.cert_file, source.key_file = "https://h:6443", "/ca", "/admin.crt", "/k"
    source.api_key = {"authorization": "Bearer admin"}
    now = [0.0]
    token = ServiceAccountToken(Server(), "app", "shop", clock=lambda: now[0])

    config = account_configuration(source, token)
    now[0] = 10_000.0
    settings = config.configuration.auth_settings()

    assert settings["BearerToken"]["value"] == "Bearer token-2"
    assert (config.configuration.host, config.configuration.ssl_ca_cert, config.namespace) == ("https://h:6443", "/ca", "shop")
    assert config.configuration.cert_file is None and config.configuration.key_file is None  # none of the admin's


@pytest.mark.parametrize("seconds", [599, 0, -1, 3600.0, True, "3600"])
def test_a_lifetime_the_server_would_refuse_is_refused_first(seconds: object) -> None:
    with pytest.raises(pykorm.ClientValidationError):
        token_request(seconds, None)  # type: ignore[arg-type]


def test_audiences_go_in_the_request() -> None:
    assert token_request(600, ["vault"])["spec"] == {"expirationSeconds": 600, "audiences": ["vault"]}


@pytest.mark.parametrize("name,namespace", [("../x", "shop"), ("app", "a/b"), ("", "shop"), ("app", "Shop")])
def test_names_that_cannot_be_an_account_are_refused_before_any_request(name: str, namespace: str) -> None:
    server = Server()
    with pytest.raises(pykorm.ClientValidationError):
        ServiceAccountToken(server, name, namespace).token()
    assert server.asked == []


@pykorm.k8s_custom_object("kit.pykorm.io", "v1", "gadgets")
class Gadget(pykorm.NamespacedModel):
    colour: str | None = pykorm.Spec("colour", default=None)


def test_crd_names_come_from_models_dicts_files_and_names(tmp_path: Path) -> None:
    manifest = tmp_path / "crd.json"
    manifest.write_text(json.dumps(pykorm.crd(Gadget)))

    assert crd_names((Gadget, "peaches.pykorm.infomaniak.com", str(manifest), pykorm.crd(Gadget), manifest)) == [
        "gadgets.kit.pykorm.io", "peaches.pykorm.infomaniak.com"]  # each once, in order


@pytest.mark.parametrize("bad", ["missing.yaml", "missing.json", "no-dot", 3, None])
def test_what_is_no_crd_name_nor_a_readable_file_is_refused(bad: object) -> None:
    with pytest.raises(pykorm.ClientValidationError):
        crd_names((bad,))
