"""Start pykorm's local Kubernetes control plane, install the Peach CRD and list what the server holds.

    python3 -m pip install -e '.[test]' && python3 examples/control_plane_demo.py

The first run builds the binaries with Go (minutes; cached in ~/.cache/pykorm).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pykorm.testing import Cluster, LocalControlPlane, install_crds

PEACH_CRD = Path(__file__).resolve().parent.parent / "crds" / "peaches.pykorm.infomaniak.com.yaml"


def main() -> int:
    with LocalControlPlane(log=lambda message: print(message, file=sys.stderr)) as control_plane:
        print(f"control plane ready in {control_plane.startup_seconds:.1f} s at {control_plane.host}")
        cluster = Cluster.local(control_plane)
        transport = cluster.transport()
        install_crds(cluster, PEACH_CRD)
        peach = {
            "apiVersion": "pykorm.infomaniak.com/v1",
            "kind": "Peach",
            "metadata": {"name": "cake-peach"},
            "spec": {"variety": "Frost", "price": 3},
        }
        transport.request("POST", "/apis/pykorm.infomaniak.com/v1/namespaces/default/peaches", body=peach)
        namespaces = transport.request("GET", "/api/v1/namespaces")["items"]
        peaches = transport.request("GET", "/apis/pykorm.infomaniak.com/v1/namespaces/default/peaches")["items"]
        print("namespaces:", ", ".join(n["metadata"]["name"] for n in namespaces))
        print("peaches in default:", ", ".join(f"{p['metadata']['name']} ({p['spec']['variety']})" for p in peaches))
        cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
