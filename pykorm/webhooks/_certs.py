"""Serving certificates: a self-signed CA and a certificate it signs (local and test use), and
certificate files that are loaded again when they change (production: cert-manager renews them).

The API server checks a webhook's certificate against the ``caBundle`` of its configuration and
the host it calls (a Service's ``<name>.<namespace>.svc``, or the URL's host, ``127.0.0.1`` in tests),
which must be among the certificate's subject alternative names.

Needs the ``cryptography`` package (``pip install 'pykorm[webhooks]'``) to make certificates; serving
files made elsewhere does not.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import os
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any, Sequence

__all__ = ["CertificateFiles", "Certificates", "self_signed", "service_hosts"]


def service_hosts(service: str, namespace: str) -> list[str]:
    """The names a Service is called by in a cluster: ``svc``, ``svc.ns``, ``svc.ns.svc``, ``svc.ns.svc.cluster.local``."""
    return [service, f"{service}.{namespace}", f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"]


@dataclasses.dataclass(frozen=True)
class Certificates:
    """A CA, and a serving certificate and key it signed, as PEM; written to ``directory``.

    Attributes:
        ca: the CA's certificate: the webhook configurations' ``caBundle``.
        certfile, keyfile: the serving certificate (then the CA) and its private key, as files.
    """

    ca: bytes
    certificate: bytes
    key: bytes
    directory: Path

    @property
    def certfile(self) -> Path:
        return self.directory / "tls.crt"

    @property
    def keyfile(self) -> Path:
        return self.directory / "tls.key"

    @property
    def cafile(self) -> Path:
        return self.directory / "ca.crt"


def self_signed(hosts: Sequence[str], directory: str | os.PathLike[str] | None = None, *, days: int = 365) -> Certificates:
    """A new CA and a serving certificate for ``hosts`` (DNS names or IP addresses), written to ``directory``.

    ``directory`` defaults to a new temporary one; the key file is readable by its owner only.

    Raises:
        ImportError: the ``cryptography`` package is not installed (``pip install 'pykorm[webhooks]'``).
        ValueError: no host.

    >>> certs = self_signed(["127.0.0.1", *service_hosts("db-webhooks", "shop")])
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("pykorm.webhooks makes certificates with the cryptography package: "
                          "pip install 'pykorm[webhooks]'") from error
    if not hosts:
        raise ValueError("self_signed(hosts): name at least one host the API server calls the webhook by")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pykorm webhook CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[Any] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    made = Certificates(
        ca=ca.public_bytes(pem),
        certificate=certificate.public_bytes(pem),
        key=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        directory=Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="pykorm-webhook-certs-")),
    )
    made.directory.mkdir(parents=True, exist_ok=True)
    made.cafile.write_bytes(made.ca)
    _write_private(made.keyfile, made.key)
    made.certfile.write_bytes(made.certificate + made.ca)
    return made


def _write_private(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(partial, path)


class CertificateFiles:
    """A server's TLS context from a certificate and a key file, made again when either file changes.

    :meth:`context` is asked for each new connection; it compares the files' modification times and
    sizes with those it loaded (one ``stat`` each), so a renewed certificate (cert-manager writes new
    files into a mounted Secret) is served from the next connection on, without a restart. A pair that
    does not load (half written) keeps the previous context until it does.
    """

    def __init__(self, certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str]) -> None:
        self.certfile, self.keyfile = Path(certfile), Path(keyfile)
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._context: ssl.SSLContext | None = None
        self.loads = 0
        self.context()  # a missing or broken pair fails at start, not on the first request

    def _files_stamp(self) -> tuple[Any, ...]:
        stamps = []
        for path in (self.certfile, self.keyfile):
            stat = path.stat()
            stamps.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
        return tuple(stamps)

    def context(self) -> ssl.SSLContext:
        """The current context (loaded again when the files changed since)."""
        with self._lock:
            try:
                stamp = self._files_stamp()
            except OSError:
                if self._context is None:
                    raise
                return self._context
            if stamp != self._stamp:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.set_alpn_protocols(["http/1.1"])
                try:
                    context.load_cert_chain(self.certfile, self.keyfile)
                except (ssl.SSLError, OSError):
                    if self._context is None:
                        raise
                    return self._context  # being rewritten: the next connection tries again
                self._context, self._stamp = context, stamp
                self.loads += 1
            assert self._context is not None
            return self._context
