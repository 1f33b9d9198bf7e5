"""The operator tests/test_cache_convergence.py runs, in its process or as a program of its own:

    python -m tests.converging_operator --kubeconfig K --selector-value T

It reconciles the ConfigMaps labelled ``converge=T`` (every namespace): each gets
``data.output = "<input>@<uid>"`` (so a reconcile of the object as it is now shows on the server:
one deleted and created again under its name has a new uid), and those with ``data.child = "yes"``
a child ConfigMap ``<name>-child`` with ``data.value = <input>``, applied and owned (the others have
no child whose garbage collection would reconcile them anyway). Each reconcile prints (or tells
``seen``) the key, uid and resourceVersion it read, then what it wrote.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Callable

import pykorm
from pykorm.controller import Manager, Request, apply_owned
from pykorm.k8s.core_v1 import ConfigMap

LABEL = "converge"

Seen = Callable[[str, str, str, str, ConfigMap], object]
"""Told ``(what, key, uid, resourceVersion, object)``: ``read`` for the state a reconcile read, ``wrote`` for one
it wrote (the object as the write's answer left it)."""


def output_of(data: dict[str, str] | None, uid: str) -> str:
    return f"{(data or {}).get('input', '')}@{uid}"


def build_manager(pk: pykorm.Pykorm, selector_value: str, seen: Seen, *, namespace: str | None = None) -> Manager:
    manager = Manager(pk, namespace=namespace)

    @manager.reconciler(ConfigMap, selector={LABEL: selector_value}, owns=[ConfigMap], workers=2)
    def reconcile(request: Request[ConfigMap]) -> None:
        cm = request.get()
        if cm is None:
            return
        uid, version = str(cm.uid), str(cm.resource_version)
        seen("read", request.key, uid, version, cm)
        data = dict(cm.data or {})
        if data.get("child") == "yes":
            apply_owned(cm, ConfigMap(namespace=cm.namespace, name=f"{cm.name}-child",
                                      data={"value": data.get("input", "")}))
        want = output_of(data, uid)
        if data.get("output") != want:
            cm.data = {**data, "output": want}
            seen("writing", request.key, uid, version, cm)  # before: an answer lost in a cut leaves no "wrote"
            pk.save(cm)  # on the state read: a conflict (a stale cache) raises, and the reconcile is retried
            seen("wrote", request.key, str(cm.uid), str(cm.resource_version), cm)

    return manager


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--selector-value", required=True)
    options = parser.parse_args(argv)
    pk = pykorm.Pykorm(kubeconfig=options.kubeconfig, field_manager="converging-operator",
                       retries=pykorm.RetryPolicy(max_elapsed=60))

    printing = threading.Lock()

    def seen(what: str, key: str, uid: str, version: str, _: ConfigMap) -> None:
        with printing:  # one line at a time: two workers' prints would interleave
            sys.stdout.write(f"{what} {key} {uid} {version}\n")
            sys.stdout.flush()

    manager = build_manager(pk, options.selector_value, seen)
    print("running", flush=True)
    manager.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
