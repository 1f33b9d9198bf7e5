"""Acting as a ServiceAccount: a token from the TokenRequest API, asked for again before it expires.

:meth:`pykorm.Pykorm.as_service_account` makes a session whose only credential is such a token (no
client certificate of the session it came from), so that what it may do is what the account's RBAC
grants — what an app's tests need to prove their RBAC.

    >>> app = pk.as_service_account("shop", "shop")
    >>> app.get(ConfigMap, "settings", "shop")        # Forbidden unless the account may
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .._base.errors import ClientValidationError
from .._base.names import path_segment
from .._http.clusters import ClusterConfig

if TYPE_CHECKING:
    from kubernetes.client import Configuration

__all__ = ["REFRESH_AT", "ServiceAccountToken", "account_configuration", "token_request"]

REFRESH_AT = 0.8
"""A token is asked for again once this share of its life has passed (as kubelets rotate projected tokens)."""

RequestToken = Callable[[str, dict[str, Any]], dict[str, Any]]
"""``request(path, body)``: POST a TokenRequest, blocking, with the credentials of the session that asks."""


def token_request(expiration_seconds: int, audiences: Sequence[str] | None) -> dict[str, Any]:
    """The body of a TokenRequest.

    Raises:
        ClientValidationError: a lifetime under 600 s (the API server's minimum) or not an int.
    """
    if isinstance(expiration_seconds, bool) or not isinstance(expiration_seconds, int) or expiration_seconds < 600:
        raise ClientValidationError(f"expiration_seconds must be an int >= 600 (the server's minimum), "
                                    f"not {expiration_seconds!r}")
    spec: dict[str, Any] = {"expirationSeconds": expiration_seconds}
    if audiences:
        spec["audiences"] = list(audiences)
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}


class ServiceAccountToken:
    """The current token of one ServiceAccount, asked for again once :data:`REFRESH_AT` of its life has passed.

    Safe to share between threads: one refresh at a time. ``clock`` is ``time.monotonic`` (tests pass their own).
    """

    def __init__(self, request: RequestToken, name: str, namespace: str, expiration_seconds: int = 3600,
                 audiences: Sequence[str] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.namespace = name, namespace
        self._path = (f"/api/v1/namespaces/{path_segment(namespace, 'namespace', label=True, what='ServiceAccount')}"
                      f"/serviceaccounts/{path_segment(name, 'name', what='ServiceAccount')}/token")
        self._request, self._clock = request, clock
        self._body = token_request(expiration_seconds, audiences)
        self._lock = threading.Lock()
        self._token = ""
        self.refresh_after = -float("inf")
        self.requests = 0

    def token(self) -> str:
        """The token, asked for again first when it is due.

        Raises:
            NotFound: no such ServiceAccount. Forbidden: the asking session may not create ``serviceaccounts/token``.
        """
        with self._lock:
            if self._clock() >= self.refresh_after:
                started = self._clock()
                answer = self._request(self._path, self._body)
                # the server may shorten the lifetime it was asked for: it says what it gave
                lifetime = (answer.get("spec") or {}).get("expirationSeconds") or self._body["spec"]["expirationSeconds"]
                self._token = answer["status"]["token"]
                self.refresh_after = started + REFRESH_AT * float(lifetime)
                self.requests += 1
            return self._token

    def refresh_hook(self, configuration: Configuration) -> None:
        """The official client's ``refresh_api_key_hook``: called before each request's headers are made."""
        configuration.api_key["authorization"] = "Bearer " + self.token()


def account_configuration(source: Configuration, token: ServiceAccountToken) -> ClusterConfig:
    """The cluster of ``source`` (server, CA, TLS server name) with ``token`` as the only credential."""
    from kubernetes.client import Configuration

    configuration = Configuration()
    configuration.host = source.host
    configuration.ssl_ca_cert = source.ssl_ca_cert
    configuration.verify_ssl = source.verify_ssl
    configuration.assert_hostname = source.assert_hostname
    if getattr(source, "tls_server_name", None):
        configuration.tls_server_name = source.tls_server_name
    configuration.proxy = source.proxy
    configuration.api_key = {"authorization": "Bearer " + token.token()}
    configuration.refresh_api_key_hook = token.refresh_hook  # type: ignore[assignment]
    return ClusterConfig(configuration, token.namespace)
