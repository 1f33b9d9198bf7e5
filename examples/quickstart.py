"""pykorm in five minutes: a model, its CRD, then create, list, filter, update and delete.

Runs against a local control plane that it starts itself (built from Go modules
on first use and cached), or against your cluster with ``--kubeconfig PATH``.

    python3 examples/quickstart.py
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Iterator

import pykorm
from pykorm.testing import LocalControlPlane

@pykorm.k8s_custom_object("pykorm.infomaniak.com", "v1", "peaches")
class Peach(pykorm.NamespacedModel):
    """A peach: the model of the original pykorm README."""

    variety: str = pykorm.Spec("variety", required=True, printer_column=True, description="The variety of the peach")
    price: int | None = pykorm.Spec("price", default=None, printer_column=True, description="The price of the peach")
    ripeness: str | None = pykorm.Status("ripeness", default=None)


@contextlib.contextmanager
def cluster(kubeconfig: str | None) -> Iterator[str]:
    """Yield a kubeconfig path: the one given, or that of a local control plane started here."""
    if kubeconfig:
        yield kubeconfig
        return
    print("Starting a local control plane (etcd, kube-apiserver, kube-controller-manager)...")
    with LocalControlPlane(log=print) as control_plane:
        print(f"  ready in {control_plane.startup_seconds:.1f} s at {control_plane.host}\n")
        yield str(control_plane.kubeconfig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kubeconfig", help="use this cluster instead of a local control plane")
    parser.add_argument("--namespace", default="pykorm-quickstart")
    args = parser.parse_args()

    with cluster(args.kubeconfig) as kubeconfig:
        pk = pykorm.Pykorm(kubeconfig=kubeconfig)
        print("Installing the CRD generated from the model (pykorm.crd(Peach))")
        pk.install_crds(Peach)
        ns = args.namespace
        with contextlib.suppress(pykorm.AlreadyExists):
            pk.transport().request("POST", "/api/v1/namespaces", body={"metadata": {"name": ns}})

        print("\nCreate three peaches")
        for name, variety, price in [("cake-peach", "Frost", 3), ("pie-peach", "Redhaven", 2), ("jam-peach", "Frost", 1)]:
            peach = pk.save(Peach(namespace=ns, name=name, variety=variety, price=price, labels={"use": name.split("-")[0]}))
            print(f"  created {peach}  (resourceVersion {peach.resource_version})")

        print("\nList them all")
        for peach in Peach.query.namespace(ns):
            print(f"  {peach}")

        print("\nFilter: variety Frost (in Python), label use=jam (a label selector sent to the server)")
        print(f"  Frost: {[p.name for p in Peach.query.namespace(ns).filter_by(variety='Frost')]}")
        print(f"  use=jam: {[p.name for p in Peach.query.namespace(ns).filter_by_labels(use='jam')]}")

        print("\nUpdate: raise the price of cake-peach, only the change is sent")
        cake = Peach.query.namespace(ns).get_or_raise("cake-peach")
        cake.price = 4
        pk.save(cake)
        print(f"  {cake.name} now costs {cake.price} (resourceVersion {cake.resource_version})")

        print("\nNo lost updates: a stale copy cannot overwrite a newer change")
        stale = Peach.query.namespace(ns).get_or_raise("cake-peach")
        cake.price = 5
        pk.save(cake)
        stale.price = 1
        try:
            pk.save(stale)
        except pykorm.ConflictError as error:
            print(f"  ConflictError: {str(error).split(';')[0]}")
        pk.update(stale, lambda p: setattr(p, "price", (p.price or 0) + 1))
        print(f"  pk.update re-read and retried: price is now {stale.price}")

        print("\nStatus goes through the /status subresource")
        cake = Peach.query.namespace(ns).get_or_raise("cake-peach")
        cake.ripeness = "ripe"
        pk.save_status(cake)
        print(f"  {cake.name} is {Peach.query.namespace(ns).get_or_raise('cake-peach').ripeness}")

        print("\nDelete them")
        for peach in Peach.query.namespace(ns):
            pk.delete(peach)
            print(f"  deleted {peach.name}")
        print(f"  left: {Peach.query.namespace(ns).count()}")


if __name__ == "__main__":
    main()
