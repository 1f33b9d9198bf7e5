"""The official ``kubernetes`` client on the cluster under test: an independent witness of what pykorm did."""

from __future__ import annotations

import contextlib
from typing import Iterator

import kubernetes
import pytest

from pykorm.testing import Cluster


@contextlib.contextmanager
def official_client(cluster: Cluster) -> Iterator[kubernetes.client.ApiClient]:
    """An ``ApiClient`` on ``cluster`` (its kubeconfig and context); the test is skipped without a kubeconfig file."""
    if cluster.kubeconfig is None:
        pytest.skip("needs the cluster's kubeconfig file")
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(str(cluster.kubeconfig), context=cluster.context, client_configuration=configuration)
    with kubernetes.client.ApiClient(configuration) as client:
        yield client
