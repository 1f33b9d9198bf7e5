"""A WebSite operator written with pykorm.controller: each WebSite gets a ConfigMap and a Deployment.

    python examples/operator/website.py --kubeconfig ~/.kube/config --install-crd

The controller owns both children (deleting the WebSite garbage-collects them), repairs
them when edited, deleted or orphaned by hand (``apply_owned``: server-side apply, no write
when nothing differs), mirrors the Deployment's ready replicas into the WebSite's status with
a ``Ready`` condition, reports an Event when the site becomes ready or unready, and keeps a
finalizer that logs the site's removal. Run two copies: one leads (Lease ``website-operator``
in ``--lease-namespace``), the other stands by.
The CRD and the RBAC a deployed operator needs are generated from this file:

    pykorm crd -o examples/operator examples/operator/website.py
    pykorm rbac examples/operator/website.py:WebSite pykorm.k8s.core_v1:ConfigMap \\
        pykorm.k8s.apps_v1:Deployment pykorm.k8s.coordination_v1:Lease pykorm.k8s.events_v1:Event \\
        --name website-operator --namespace operators --all-namespaces
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable

import pykorm
from pykorm.controller import (
    LeaderElection, Manager, Request, apply_owned, finalize, is_condition_true, set_condition, update_status,
)
from pykorm.k8s.apps_v1 import Deployment
from pykorm.k8s.core_v1 import ConfigMap
from pykorm.k8s.meta_v1 import Condition

FINALIZER = "example.pykorm.io/farewell"
log = logging.getLogger("website-operator")


@pykorm.k8s_custom_object("example.pykorm.io", "v1", "websites", kind="WebSite")
class WebSite(pykorm.NamespacedModel):
    """A static web site: its page and how many replicas serve it."""

    content: str = pykorm.Spec("content", default="<h1>Hello</h1>", description="The page (index.html)")
    replicas: int = pykorm.Spec("replicas", default=1, printer_column=True, description="Pods serving the page")
    image: str = pykorm.Spec("image", default="registry.k8s.io/pause:3.9", description="The web server image")
    ready_replicas: int | None = pykorm.Status("readyReplicas", default=None, printer_column=True)
    observed_generation: int | None = pykorm.Status("observedGeneration", default=None)
    conditions: list[Condition] | None = pykorm.Status("conditions", default=None)


def desired_configmap(site: WebSite) -> ConfigMap:
    return ConfigMap(namespace=site.namespace, name=f"{site.name}-content", data={"index.html": site.content})


def desired_deployment(site: WebSite) -> Deployment:
    labels = {"app.kubernetes.io/name": "website", "app.kubernetes.io/instance": site.name}
    return Deployment.from_dict({
        "metadata": {"name": site.name, "namespace": site.namespace, "labels": labels},
        "spec": {
            "replicas": site.replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{"name": "web", "image": site.image,
                                    "volumeMounts": [{"name": "content", "mountPath": "/usr/share/nginx/html"}]}],
                    "volumes": [{"name": "content", "configMap": {"name": f"{site.name}-content"}}],
                },
            },
        },
    })


def build_manager(
    pk: pykorm.Pykorm,
    *,
    namespace: str | None = None,
    leader_election: LeaderElection | None = None,
    on_farewell: Callable[[WebSite], object] | None = None,
) -> Manager:
    """The operator: a manager with the WebSite controller registered (``run()`` it)."""
    manager = Manager(pk, namespace=namespace, leader_election=leader_election)
    events = manager.event_recorder("example.pykorm.io/website-operator")

    def farewell(site: WebSite) -> None:
        log.info("farewell %s/%s", site.namespace, site.name)
        if on_farewell is not None:
            on_farewell(site)

    @manager.reconciler(WebSite, owns=[ConfigMap, Deployment], workers=2)
    def reconcile(request: Request[WebSite]) -> None:
        log.info("reconcile %s", request.key)
        site = request.get()
        if site is None or finalize(site, FINALIZER, farewell, session=pk):
            return  # gone (its children are garbage-collected), or going: farewell said

        apply_owned(site, desired_configmap(site))  # created, repaired, or left alone when as wanted
        deployment = apply_owned(site, desired_deployment(site))

        ready = (deployment.status.ready_replicas or 0) if deployment.status else 0
        # The generation this reconcile read and acted on, taken now: a retry after a conflict reads the
        # object again, and a newer generation there is not observed yet (its own event reconciles it).
        generation, was_ready, now_ready = site.generation, is_condition_true(site, "Ready"), ready >= site.replicas

        def mirror(target: WebSite) -> None:
            target.ready_replicas = ready
            set_condition(target, "Ready", now_ready, reason="Serving" if now_ready else "Starting",
                          message=f"{ready}/{site.replicas} replicas ready", observed_generation=generation)

        update_status(site, mirror, observed_generation=generation, session=pk)
        if now_ready != was_ready:
            events.event(site, "Normal", "Ready" if now_ready else "NotReady", "Reconcile",
                         note=f"{ready}/{site.replicas} replicas ready")

    return manager


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kubeconfig", help="the cluster (default: $KUBECONFIG, ~/.kube/config or in-cluster)")
    parser.add_argument("--context", help="the kubeconfig context")
    parser.add_argument("--namespace", help="watch only this namespace (default: all)")
    parser.add_argument("--install-crd", action="store_true", help="install the WebSite CRD first")
    parser.add_argument("--no-leader-election", action="store_true", help="act at once, alone")
    parser.add_argument("--lease-namespace", default="default", help="where the Lease lives (default: default)")
    parser.add_argument("--lease-duration", type=float, default=15.0, help="seconds (client-go's default: 15)")
    parser.add_argument("--renew-deadline", type=float, default=10.0, help="seconds (default: 10)")
    parser.add_argument("--retry-period", type=float, default=2.0, help="seconds (default: 2)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s")

    pk = pykorm.Pykorm(kubeconfig=args.kubeconfig, context=args.context, field_manager="website-operator")
    if args.install_crd:
        pk.install_crds(WebSite)
    election = None if args.no_leader_election else LeaderElection(
        "website-operator", args.lease_namespace, lease_duration=args.lease_duration,
        renew_deadline=args.renew_deadline, retry_period=args.retry_period)
    manager = build_manager(pk, namespace=args.namespace, leader_election=election)
    try:
        manager.run()  # until SIGTERM or Ctrl-C
    except pykorm.LeaderElectionLost as error:
        log.error("%s", error)
        return 1
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
