"""An informer's cache is never read while nothing keeps it current: stopped, its session closed, its thread
ended, not synced yet, or its watch failed. ``pk.cache`` and ``query.cached()`` start a new informer instead
of handing out a stopped one; a query kept on the stopped one raises ``CacheUnavailable``."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import pykorm
from pykorm.controller import Informer
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.testing import Cluster

from .helpers import wait_for


def session(cluster: Cluster) -> pykorm.Pykorm:
    return pykorm.Pykorm(kubeconfig=cluster.kubeconfig, context=cluster.context, make_default=False)


def informer_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("informer-ConfigMap")]


def test_after_stop_cached_starts_a_new_informer_and_the_stopped_one_raises(k8s_cluster: Cluster,
                                                                            k8s_namespace: str) -> None:
    pk = session(k8s_cluster)
    query = ConfigMap.query.session(pk).namespace(k8s_namespace)
    pk.save(ConfigMap(namespace=k8s_namespace, name="before", data={"k": "v"}))
    old_query = query.filter(data__k="v").cached()
    stopped = pk.cache(ConfigMap, k8s_namespace)
    assert old_query.pluck("name") == ["before"]

    stopped.stop()
    pk.save(ConfigMap(namespace=k8s_namespace, name="after", data={"k": "v"}))

    assert stopped.stopped and not stopped.alive
    for read in (old_query.all, old_query.count, lambda: old_query.get("before", k8s_namespace), stopped.query.first,
                 lambda: stopped.get("before", k8s_namespace), lambda: stopped.by_index("namespace", k8s_namespace),
                 lambda: stopped.wait_synced(1), stopped.start):
        with pytest.raises(pykorm.CacheUnavailable, match="stopped"):
            read()
    fresh = query.filter(data__k="v").cached()                     # a new informer, listing the server now
    assert pk.cache(ConfigMap, k8s_namespace) is not stopped
    assert sorted(fresh.pluck("name")) == ["after", "before"]
    pk.save(ConfigMap(namespace=k8s_namespace, name="later", data={"k": "v"}))
    wait_for(lambda: fresh.filter(name="later").exists(), what="the new informer follows the server")
    assert pykorm.http_status(pykorm.CacheUnavailable("x")) == 503

    pk.close()                                                     # a closed session stops its caches
    wait_for(lambda: not informer_threads(), "the informers stopped with the session", 10)
    with pytest.raises(pykorm.CacheUnavailable, match="stopped"):
        fresh.count()
    reopened = query.cached()                                      # the session connects again: a new cache
    assert sorted(reopened.filter(data__k="v").pluck("name")) == ["after", "before", "later"]
    pk.close()


class Crash(BaseException):
    """What no informer rides out (an Exception is retried; this ends the thread)."""


def test_an_informer_whose_thread_ended_or_whose_watch_fails_is_not_read(k8s_cluster: Cluster,
                                                                         k8s_namespace: str) -> None:
    pk = session(k8s_cluster)
    try:
        informer = pk.cache(ConfigMap, k8s_namespace)
        poisoned: dict[str, type[BaseException]] = {"bad": ValueError}

        def index(raw: dict[str, Any]) -> list[str]:
            error = poisoned.get((raw.get("metadata") or {}).get("labels", {}).get("poison", ""))
            if error is not None:
                raise error("an index function's bug")
            return []

        informer.add_index("buggy", index)
        # kube-root-ca.crt comes when the controller manager gets to it: left out
        cached = ConfigMap.query.session(pk).namespace(k8s_namespace).exclude(name="kube-root-ca.crt").cached()
        assert cached.count() == 0

        # An Exception in the watch: the cache is behind until a list succeeds again.
        pk.save(ConfigMap(namespace=k8s_namespace, name="poisoned", labels={"poison": "bad"}))
        wait_for(lambda: informer.failures > 0, what="the informer's watch failed")
        with pytest.raises(pykorm.CacheUnavailable, match="failed .*an index function's bug"):
            cached.count()
        assert pk.cache(ConfigMap, k8s_namespace) is informer      # alive: it lists again by itself
        del poisoned["bad"]
        wait_for(lambda: _readable(cached), what="the informer listed again")
        assert cached.pluck("name") == ["poisoned"]

        # An error it cannot ride out ends its thread: never read again, replaced on the next cache().
        poisoned["fatal"] = Crash
        pk.save(ConfigMap(namespace=k8s_namespace, name="fatal", labels={"poison": "fatal"}))
        wait_for(lambda: not informer.alive, what="the informer's thread ended")
        with pytest.raises(pykorm.CacheUnavailable, match="thread ended: Crash"):
            cached.count()
        replacement = pk.cache(ConfigMap, k8s_namespace)
        assert replacement is not informer
        assert sorted(replacement.query.exclude(name="kube-root-ca.crt").pluck("name")) == ["fatal", "poisoned"]
    finally:
        pk.close()


def _readable(cached: Any) -> bool:
    try:
        cached.count()
    except pykorm.CacheUnavailable:
        return False
    return True


def test_an_informer_is_not_read_before_its_first_list(k8s_cluster: Cluster, k8s_namespace: str) -> None:
    pk = session(k8s_cluster)
    informer = Informer(ConfigMap, session=pk, namespace=k8s_namespace)
    with pytest.raises(pykorm.CacheUnavailable, match="not synced yet .not started"):
        informer.query.count()                                     # empty, which would be a wrong answer
    pk.save(ConfigMap(namespace=k8s_namespace, name="one"))
    with informer:
        assert informer.wait_synced(60).query.filter(name="one").count() == 1
    with pytest.raises(pykorm.CacheUnavailable, match="stopped"):
        informer.query.count()
    pk.close()
