"""Admission and conversion webhooks from models: the API server calls your Python.

    >>> from pykorm.webhooks import Denied, Webhooks, WebhookServer, self_signed
    >>> webhooks = Webhooks("databases", namespace="shop")
    >>> @webhooks.validate(Database)
    ... def check(db: Database, old: Database | None) -> dict[str, str]:
    ...     return {"spec.instances": "at most 5"} if db.instances > 5 else {}
    >>> @webhooks.default(Database)
    ... def defaults(db: Database) -> None:
    ...     db.engine = db.engine or "postgres"
    >>> @webhooks.convert(DatabaseV1, Database)         # to the hub, and back:
    ... def up(src: DatabaseV1, dst: Database) -> None: ...
    >>> WebhookServer(webhooks, certfile="/certs/tls.crt", keyfile="/certs/tls.key").serve_forever()

The pieces: :class:`Webhooks` (registration, endpoints, the configurations and the CRD conversion
stanza it generates), :class:`AdmissionRequest` and :class:`Denied` (what an admission function gets
and raises), :class:`WebhookServer` (HTTPS, certificates reloaded), :func:`self_signed` (a CA and a
serving certificate for tests and local use; the ``cryptography`` package). ``pykorm webhook serve
module:app`` and ``pykorm webhook manifests module:app`` on the command line; in an operator,
``Manager(pk, webhooks=server)``; in tests, the ``k8s_webhooks`` fixture (:mod:`pykorm.testing`).

It imports the models' layer and below only; the controller's Manager and the testing helpers import it.
"""

from __future__ import annotations

from ._admission import AdmissionRequest, Denied
from ._app import Webhooks
from ._certs import CertificateFiles, Certificates, self_signed, service_hosts
from ._conversion import ANNOTATION_PREFIX
from ._server import WebhookServer

__all__ = [
    "ANNOTATION_PREFIX", "AdmissionRequest", "CertificateFiles", "Certificates", "Denied", "WebhookServer", "Webhooks",
    "self_signed", "service_hosts",
]
