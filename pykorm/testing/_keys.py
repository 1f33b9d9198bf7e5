"""A service-account signing key for kube-apiserver, made with the standard library alone.

kube-apiserver needs a private key to sign service-account tokens. An ECDSA
P-256 private key is just a random scalar below the curve order; Go's
``x509.ParseECPrivateKey`` derives the public point itself, so the SEC 1
structure can omit it and no crypto library is needed.
"""

from __future__ import annotations

import base64
import secrets

__all__ = ["ec_private_key_pem"]

# Order of the NIST P-256 group (SEC 2, section 2.4.2).
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# DER of: [0] { OBJECT IDENTIFIER prime256v1 (1.2.840.10045.3.1.7) }
_P256_PARAMETERS = bytes.fromhex("a00a06082a8648ce3d030107")


def ec_private_key_pem() -> bytes:
    """A new random P-256 private key as a PEM ``EC PRIVATE KEY`` (RFC 5915) block."""
    scalar = 1 + secrets.randbelow(_P256_ORDER - 1)
    body = bytes.fromhex("020101") + b"\x04\x20" + scalar.to_bytes(32, "big") + _P256_PARAMETERS
    der = b"\x30" + bytes([len(body)]) + body
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----\n").encode()
