"""Small HTTP calls to the control plane's own processes on loopback, with the standard library only.

Used while starting it, before any client (pykorm's or the official one) is set up.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

__all__ = ["api_call", "etcd_call", "loopback_tls", "probe"]


def api_call(host: str, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One call to kube-apiserver as the admin, before any client library is set up."""
    request = urllib.request.Request(
        host + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10, context=loopback_tls()) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def loopback_tls() -> ssl.SSLContext:
    """TLS without verification, for our own processes on loopback only (clients verify with the CA)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def etcd_call(base: str, path: str, body: dict[str, object]) -> dict[str, Any]:
    """One call to etcd's JSON gateway."""
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def probe(url: str, token: str | None) -> tuple[bool, str]:
    """Whether ``url`` answers ready (200; for etcd's ``/health``, ``"health": "true"``), and what it said."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=2, context=loopback_tls()) as response:
            body = response.read().decode(errors="replace")
            if url.endswith("/health"):
                return json.loads(body).get("health") == "true", body
            return response.status == 200, body
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return False, str(error)
