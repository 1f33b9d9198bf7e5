"""``pk.as_service_account``: a session whose only credential is a TokenRequest token, tried with the RBAC that
``pykorm rbac`` prints, applied by ``pykorm apply`` in fresh processes as a user's shell would."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Iterator

import pytest

import pykorm
from pykorm.aio import AsyncPykorm
from pykorm.k8s import ConfigMap, Secret
from pykorm.testing import Cluster

from .accounts import eventually

WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


@pytest.fixture
def admin(k8s_cluster: Cluster) -> Iterator[pykorm.Pykorm]:
    session = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False)
    yield session
    session.close()


def rbac_applied(k8s_cluster: Cluster, namespace: str, *args: str) -> None:
    """``pykorm rbac ARGS | pykorm apply -f -``, each in its own process, with the cluster's kubeconfig."""
    env = {**os.environ, "KUBECONFIG": str(k8s_cluster.kubeconfig)}
    printed = subprocess.run([sys.executable, "-m", "pykorm", "rbac", *args, "--namespace", namespace],
                             capture_output=True, text=True, env=env, check=True).stdout
    subprocess.run([sys.executable, "-m", "pykorm", "apply", "-f", "-"], input=printed, capture_output=True,
                   text=True, env=env, check=True)


def whoami(session: pykorm.Pykorm) -> str:
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    username: str = session.transport().request("POST", WHOAMI, body=review)["status"]["userInfo"]["username"]
    return username


def test_the_session_acts_as_the_account_with_the_rbac_pykorm_rbac_printed(
    admin: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    rbac_applied(k8s_cluster, k8s_namespace, "pykorm.k8s.core_v1:ConfigMap", "--name", "settings-app")
    admin.save(Secret(namespace=k8s_namespace, name="db", string_data={"password": "x"}))

    app = admin.as_service_account("settings-app", k8s_namespace)

    assert whoami(app) == f"system:serviceaccount:{k8s_namespace}:settings-app"  # not the admin's identity
    assert app.default_namespace() == k8s_namespace
    made = eventually(lambda: app.save(ConfigMap(name="flags", data={"beta": "on"})))    # allowed: its namespace
    assert made.namespace == k8s_namespace and admin.get(ConfigMap, "flags", k8s_namespace).data == {"beta": "on"}
    assert {c.name for c in ConfigMap.query.session(app).namespace(k8s_namespace)} >= {"flags"}
    app.delete(made)
    for refused in (lambda: app.get(Secret, "db", k8s_namespace),                     # another resource
                    lambda: ConfigMap.query.session(app).namespace("default").all(),  # another namespace
                    lambda: app.save(ConfigMap(namespace="default", name="intruder"))):
        with pytest.raises(pykorm.Forbidden):
            refused()
    plain = admin.as_service_account("default", k8s_namespace)  # every namespace's own account: no grants
    with pytest.raises(pykorm.Forbidden):
        eventually(lambda: plain.get(ConfigMap, "kube-root-ca.crt", k8s_namespace), timeout=0)
    for session in (app, plain):
        session.close()


def test_the_token_is_asked_for_again_when_due_and_the_session_goes_on(
    admin: pykorm.Pykorm, k8s_cluster: Cluster, k8s_namespace: str
) -> None:
    rbac_applied(k8s_cluster, k8s_namespace, "pykorm.k8s.core_v1:ConfigMap", "--name", "app", "--read-only")
    app = admin.as_service_account("app", k8s_namespace, expiration_seconds=600)
    configuration = app.transport().configuration
    token = configuration.refresh_api_key_hook.__self__
    first = configuration.api_key["authorization"]
    eventually(lambda: app.get(ConfigMap, "kube-root-ca.crt", k8s_namespace))
    assert token.requests == 1 and token.refresh_after > 0

    token.refresh_after = 0.0  # as if 80 % of its 600 s had passed

    assert app.get(ConfigMap, "kube-root-ca.crt", k8s_namespace).name == "kube-root-ca.crt"
    assert token.requests == 2 and configuration.api_key["authorization"] != first
    app.get(ConfigMap, "kube-root-ca.crt", k8s_namespace)
    assert token.requests == 2  # not due again
    app.close()


def test_what_cannot_be_an_account_is_refused(admin: pykorm.Pykorm, k8s_namespace: str) -> None:
    with pytest.raises(pykorm.NotFound):
        admin.as_service_account("nobody", k8s_namespace)
    with pytest.raises(pykorm.ClientValidationError):
        admin.as_service_account("../admin", k8s_namespace)
    with pytest.raises(pykorm.ClientValidationError, match="600"):
        admin.as_service_account("default", k8s_namespace, expiration_seconds=60)


def test_an_account_may_not_ask_for_another_accounts_token(admin: pykorm.Pykorm, k8s_cluster: Cluster,
                                                           k8s_namespace: str) -> None:
    rbac_applied(k8s_cluster, k8s_namespace, "pykorm.k8s.core_v1:ConfigMap", "--name", "app")
    app = admin.as_service_account("app", k8s_namespace)
    with pytest.raises(pykorm.Forbidden):
        eventually(lambda: app.as_service_account("default", k8s_namespace), timeout=0)
    app.close()


def test_an_async_session_acts_as_the_account(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    rbac_applied(k8s_cluster, k8s_namespace, "pykorm.k8s.core_v1:ConfigMap", "--name", "app")

    async def main() -> tuple[list[str], bool]:
        async with AsyncPykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context) as apk:
            app = await apk.as_service_account("app", k8s_namespace)
            try:
                for _ in range(50):  # the authorizer learns of the new binding within moments
                    try:
                        await app.save(ConfigMap(name="async-flags"))
                        break
                    except pykorm.Forbidden:
                        await asyncio.sleep(0.2)
                names = [c.name for c in await app.query(ConfigMap).namespace(k8s_namespace).all()]
                try:
                    await app.get(Secret, "any", k8s_namespace)
                    refused = False
                except pykorm.Forbidden:
                    refused = True
                return names, refused
            finally:
                await app.close()

    names, refused = asyncio.run(main())
    assert "async-flags" in names and refused
