"""What an object does by itself (``owners()``, ``save()``, ``apply()``, ``delete()``, ``refresh()``) goes to the
session that read, created or last saved it, never silently to the default one.

The scene: a ServiceAccount ``reader`` that may only get, list and watch ConfigMaps in the test's namespace
(``pykorm.rbac(..., read_only=True)``), and a ConfigMap owned by a Secret, which the reader may not read.
The user's program runs in a fresh process whose default session is the admin's; the official client is
the witness of what reached the server.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import kubernetes
import pytest

import pykorm
from pykorm.k8s.core_v1 import ConfigMap, Secret
from pykorm.testing import Cluster

from .accounts import account_cluster, eventually

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def scene(k8s_cluster: Cluster, k8s_namespace: str) -> Iterator[dict[str, Any]]:
    """The reader's account and token, the admin session, a Secret ``owner`` and its ConfigMap ``child``."""
    if k8s_cluster.kubeconfig is None:
        pytest.skip("needs the cluster's kubeconfig file")
    admin = pykorm.Pykorm(kubeconfig=k8s_cluster.kubeconfig, context=k8s_cluster.context, make_default=False,
                          field_manager="admin")
    admin.apply_manifests(pykorm.rbac(ConfigMap, name="reader", namespace=k8s_namespace, read_only=True))
    owner = admin.save(Secret(namespace=k8s_namespace, name="owner", string_data={"k": "v"}))
    child = ConfigMap(namespace=k8s_namespace, name="child", data={"k": "original"})
    admin.adopt(child, owner)
    admin.save(child)
    reader_cluster = account_cluster(k8s_cluster, admin.transport(), k8s_namespace, "reader")
    yield {"admin": admin, "reader_cluster": reader_cluster, "namespace": k8s_namespace}
    admin.close()


def reader_session(scene: dict[str, Any], **options: Any) -> pykorm.Pykorm:
    return pykorm.Pykorm(clusters={"default": scene["reader_cluster"]}, make_default=False, field_manager="reader",
                         **options)


def witness(cluster: Cluster, namespace: str) -> Any:
    """The ConfigMap as the official client reads it."""
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(str(cluster.kubeconfig), context=cluster.context,
                                       client_configuration=configuration)
    with kubernetes.client.ApiClient(configuration) as client:
        return kubernetes.client.CoreV1Api(client).read_namespaced_config_map("child", namespace)


PROGRAM = textwrap.dedent('''
    import json, os, sys
    import pykorm
    from pykorm.k8s.core_v1 import ConfigMap

    ns = os.environ["TEST_NAMESPACE"]
    reader_cluster = json.loads(os.environ["READER_CLUSTER"])
    # The admin's session is the default one, as in a script that made it first; "prod" is the reader's account.
    admin = pykorm.Pykorm(kubeconfig=os.environ["TEST_KUBECONFIG"], context=os.environ.get("TEST_CONTEXT") or None,
                          field_manager="admin", clusters={"prod": reader_cluster})
    reader = pykorm.Pykorm(clusters={"default": reader_cluster}, make_default=False, field_manager="reader")
    seen = {}

    def attempt(name, action):
        try:
            result = action()
            seen[name] = [o.name for o in result] if isinstance(result, list) else "ok"
        except pykorm.PykormError as error:
            seen[name] = type(error).__name__

    child = reader.get(ConfigMap, "child", ns)
    attempt("owners", child.owners)
    child.data = {"k": "by the reader"}
    attempt("save", child.save)
    attempt("apply", child.apply)
    attempt("delete", child.delete)
    attempt("refresh", child.refresh)
    seen["refreshed"] = child.data

    listed = ConfigMap.query.session(reader).namespace(ns).get("child")
    attempt("query.owners", listed.owners)
    cached = ConfigMap.query.session(reader).namespace(ns).cached().get("child", ns)
    cached.data = {"k": "from the cache"}
    attempt("cached.save", cached.save)
    watched = next(iter(ConfigMap.query.session(reader).namespace(ns).watch(timeout=10, initial=True))).obj
    attempt("watched.owners", watched.owners)
    prod = ConfigMap.query.using("prod").namespace(ns).get("child")      # through the default session, on "prod"
    attempt("prod.owners", prod.owners)

    explicit = reader.get(ConfigMap, "child", ns)
    explicit.data = {"k": "by the admin"}
    attempt("admin.save", lambda: admin.save(explicit))                  # an explicit session wins ...
    explicit.data["again"] = "yes"
    attempt("then save", explicit.save)                                  # ... and the object now acts through it
    attempt("then owners", explicit.owners)
    fresh = ConfigMap(namespace=ns, name="made-by-reader")
    attempt("new.save", fresh.save)                                      # never read: the default session
    attempt("new.delete", fresh.delete)
    print(json.dumps(seen))
''')


def test_an_object_read_by_a_service_account_acts_as_that_account_in_a_fresh_process(
    scene: dict[str, Any], k8s_cluster: Cluster,
) -> None:
    namespace = scene["namespace"]
    eventually(lambda: reader_session(scene).get(ConfigMap, "child", namespace))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "TEST_NAMESPACE": namespace, "READER_CLUSTER": json.dumps(scene["reader_cluster"]),
           "TEST_KUBECONFIG": str(k8s_cluster.kubeconfig), "TEST_CONTEXT": k8s_cluster.context or ""}

    result = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=120,
                            check=False)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {
        "owners": "Forbidden",             # the reader may not read the Secret that owns it (the admin may)
        "save": "Forbidden", "apply": "Forbidden", "delete": "Forbidden",
        "refresh": "ok", "refreshed": {"k": "original"},
        "query.owners": "Forbidden", "cached.save": "Forbidden", "watched.owners": "Forbidden",
        "prod.owners": "Forbidden",        # read on the "prod" cluster: the reader's credentials there
        "admin.save": "ok", "then save": "ok", "then owners": ["owner"],
        "new.save": "ok", "new.delete": "ok",
    }
    stored = witness(k8s_cluster, namespace)
    assert stored.data == {"k": "by the admin", "again": "yes"}
    assert "reader" not in {entry.manager for entry in stored.metadata.managed_fields}


def test_copies_keep_the_session_and_an_unpickled_object_has_none(scene: dict[str, Any]) -> None:
    reader = reader_session(scene)
    child = eventually(lambda: reader.get(ConfigMap, "child", scene["namespace"]))

    with pytest.raises(pykorm.Forbidden):
        copy.copy(child).owners()                            # a shallow copy shares the object's JSON and session
    twin = copy.deepcopy(child)
    twin.data = {"k": "twin"}
    with pytest.raises(pykorm.Forbidden):
        twin.save()
    assert child.data == {"k": "original"}
    revived = pickle.loads(pickle.dumps(child))                  # another process has no session of ours
    pykorm.set_default_session(scene["admin"])
    try:
        assert [o.name for o in revived.owners()] == ["owner"]  # the default one: the admin's, here
    finally:
        pykorm.set_default_session(None)
    reader.close()


def test_an_object_read_through_an_async_session_refuses_a_blocking_call(scene: dict[str, Any]) -> None:
    from pykorm.aio import AsyncPykorm

    admin: pykorm.Pykorm = scene["admin"]
    pykorm.set_default_session(admin)  # the trap: a blocking call would otherwise act as the admin

    async def read() -> ConfigMap:
        async with AsyncPykorm(clusters={"default": scene["reader_cluster"]}, field_manager="reader") as apk:
            child = await apk.get(ConfigMap, "child", scene["namespace"])
            child.data = {"k": "async"}
            with pytest.raises(pykorm.Forbidden):
                await apk.save(child)                       # the async way: as the reader
            return child

    try:
        child = eventually(lambda: asyncio.run(read()))
        for call, verb in ((child.save, "save"), (child.owners, "owners"), (child.delete, "delete"),
                           (child.refresh, "refresh"), (child.apply, "apply")):
            with pytest.raises(TypeError, match=rf"AsyncPykorm, an async session: `await pk.{verb}\(obj\)`"):
                call()
        admin.save(child)                                   # named explicitly: the admin's write, and session
        child.save()
    finally:
        pykorm.set_default_session(None)
    assert admin.get(ConfigMap, "child", scene["namespace"]).data == {"k": "async"}
