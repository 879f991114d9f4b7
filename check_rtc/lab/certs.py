# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's private PKI: a CA, an intermediate CA, and server certificate variants.

Generated with `cryptography` using only APIs present in Debian's 38 and in
current releases (builders get aware UTC datetimes, which both accept).
Files land in one directory:  ca.crt ca.key  NAME.crt NAME.key NAME.fullchain.pem
(leaf + intermediates; what a server should present) and NAME.chain.pem (the
intermediates alone, only for variants that have one). Keys are mode 0600.

Variants (VARIANTS): good, server_only, wildcard, expiring, expired,
wrong_name, self_signed, intermediate, host_only (xmpp.DOMAIN only),
xmpp_ids (xmpp.DOMAIN, plus the domain as SRV-IDs and XmppAddr); for what
the daemons cannot be made to serve (openssl.py): weak_rsa (1024-bit key),
sha1 (SHA-1 signature), not_yet_valid, and ocsp_good/ocsp_revoked/
ocsp_must_staple (AIA naming `ocsp_url`, for an `openssl ocsp` responder;
the last also with RFC 7633's TLS Feature status_request).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

KEY_BITS = 2048
LEAF_DAYS = 90
CA_DAYS = 3650
EXPIRING_DAYS = 3
VARIANTS: tuple[str, ...] = (
    "good", "server_only", "wildcard", "expiring", "expired",
    "wrong_name", "self_signed", "intermediate", "host_only", "xmpp_ids",
    "weak_rsa", "sha1", "not_yet_valid",
)
# Only with Certs.generate(..., variants=OCSP_VARIANTS, ocsp_url=...): the URL is per run.
OCSP_VARIANTS: tuple[str, ...] = ("ocsp_good", "ocsp_revoked", "ocsp_must_staple")
WEAK_KEY_BITS = 1024

Key = rsa.RSAPrivateKey


@dataclass(frozen=True)
class _Spec:
    """What distinguishes one certificate variant from 'good'."""

    names: tuple[str, ...] | None = None  # DNS SANs; None = the lab's full list
    ips: bool = True
    client_auth: bool = True
    start_days: float = -1 / 24  # relative to now; an hour back absorbs clock skew
    end_days: float = LEAF_DAYS
    issuer: str = "ca"  # "ca", "intermediate" or "self"
    xmpp_ids: bool = False  # SRV-IDs (RFC 4985) and an XmppAddr (RFC 6120 §13.7.1.4) of the domain
    key_bits: int = KEY_BITS  # another size gets its own key
    sha1: bool = False  # re-signed with SHA-1 by the openssl CLI (cryptography 42+ refuses to)
    ocsp: bool = False  # AIA names the Certs' ocsp_url (RFC 5280 §4.2.2.1)
    must_staple: bool = False  # TLS Feature status_request (RFC 7633)


_SPECS: dict[str, _Spec] = {
    "good": _Spec(),
    "server_only": _Spec(client_auth=False),
    "wildcard": _Spec(names=("*.{d}",), ips=False),
    "expiring": _Spec(end_days=EXPIRING_DAYS),
    "expired": _Spec(start_days=-60, end_days=-1),
    "wrong_name": _Spec(names=("other.invalid",), ips=False),
    "self_signed": _Spec(issuer="self"),
    "intermediate": _Spec(issuer="intermediate"),
    # names the server host only, not the service domain (RFC 6120 §13.7.1.2 fails)
    "host_only": _Spec(names=("xmpp.{d}",), ips=False),
    # the host as DNS-ID; the domain only as SRV-IDs and XmppAddr (RFC 7590 §3.2)
    "xmpp_ids": _Spec(names=("xmpp.{d}",), ips=False, xmpp_ids=True),
    "weak_rsa": _Spec(key_bits=WEAK_KEY_BITS),
    "sha1": _Spec(sha1=True),
    "not_yet_valid": _Spec(start_days=2, end_days=LEAF_DAYS + 2),
    "ocsp_good": _Spec(ocsp=True),
    "ocsp_revoked": _Spec(ocsp=True),
    "ocsp_must_staple": _Spec(ocsp=True, must_staple=True),
}
SRV_NAME_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.7")
XMPP_ADDR_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.8.5")


def _xmpp_other_names(domain: str) -> list[x509.GeneralName]:
    """otherName SANs: IA5String SRVNames and a UTF8String XmppAddr (short DER lengths)."""
    def der(tag: int, text: str) -> bytes:
        data = text.encode()
        return bytes([tag, len(data)]) + data

    return [x509.OtherName(SRV_NAME_OID, der(0x16, f"_xmpp-client.{domain}")),
            x509.OtherName(SRV_NAME_OID, der(0x16, f"_xmpp-server.{domain}")),
            x509.OtherName(XMPP_ADDR_OID, der(0x0C, domain))]


def lab_names(domain: str) -> tuple[str, ...]:
    """DNS names the good certificate carries (explicit, no wildcard)."""
    return (domain, f"sip.{domain}", f"xmpp.{domain}", f"turn.{domain}", f"stun.{domain}", "localhost")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _new_key(bits: int = KEY_BITS) -> Key:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "check-rtc lab"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _ca_certificate(key: Key, subject: str, issuer_cert: x509.Certificate | None,
                    issuer_key: Key | None, path_length: int | None) -> x509.Certificate:
    """A CA certificate: self-signed root when issuer_cert is None."""
    now = _now()
    signer = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                       critical=False)
    )
    return builder.sign(signer, hashes.SHA256())


def _leaf_certificate(spec: _Spec, domain: str, key: Key,
                      issuer_cert: x509.Certificate | None, issuer_key: Key | None,
                      ocsp_url: str = "") -> x509.Certificate:
    now = _now()
    names = tuple(n.format(d=domain) for n in spec.names) if spec.names else lab_names(domain)
    san: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    if spec.ips:
        san += [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1"))]
    if spec.names is None:
        san.append(x509.UniformResourceIdentifier(f"sip:{domain}"))
    if spec.xmpp_ids:
        san += _xmpp_other_names(domain)
    usages = [ExtendedKeyUsageOID.SERVER_AUTH]
    if spec.client_auth:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)  # s2s/SIP-TLS peers act as clients too
    signer = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(names[0]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=spec.start_days))
        .not_valid_after(now + datetime.timedelta(days=spec.end_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=True,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                       critical=False)
    )
    if spec.ocsp:
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
    if spec.must_staple:
        builder = builder.add_extension(x509.TLSFeature([x509.TLSFeatureType.status_request]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _resign_sha1(cert: x509.Certificate, key: Key, directory: Path) -> x509.Certificate:
    """The same names and extensions, signed by the lab CA with SHA-1 (openssl x509 -req)."""
    request = x509.CertificateSigningRequestBuilder().subject_name(cert.subject)
    for extension in cert.extensions:
        if not isinstance(extension.value, (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier)):
            request = request.add_extension(extension.value, extension.critical)
    source = directory / "sha1.csr"
    _write(source, request.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    signed = subprocess.run(
        ["openssl", "x509", "-req", "-in", str(source), "-CA", str(directory / "ca.crt"), "-CAkey",
         str(directory / "ca.key"), "-sha1", "-copy_extensions", "copyall", "-days", str(LEAF_DAYS),
         "-set_serial", str(cert.serial_number)], capture_output=True, check=True, timeout=30).stdout
    source.unlink()
    return x509.load_pem_x509_certificate(signed)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, mode)  # O_CREAT's mode is ignored for an existing file


def _write_key(path: Path, key: Key) -> None:
    _write(path, key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption()), 0o600)


@dataclass
class Certs:
    """Generated PKI in `directory`; paths by variant name.

    certs.ca_cert              root CA (trust anchor for clients: --ca-file)
    certs.cert("expired")      leaf alone
    certs.key("expired")       its private key (0600)
    certs.fullchain("expired") leaf + intermediates: what servers present
    certs.chain("intermediate") intermediates alone (None when there are none)
    certs.certificate(name)    the parsed x509.Certificate
    """

    directory: Path
    domain: str = "example.test"
    ocsp_url: str = ""  # what the ocsp_* variants name as their responder
    _certs: dict[str, x509.Certificate] = field(default_factory=dict, repr=False)

    @classmethod
    def generate(cls, directory: Path, domain: str = "example.test",
                 variants: tuple[str, ...] = VARIANTS, ocsp_url: str = "") -> "Certs":
        certs = cls(Path(directory), domain, ocsp_url)
        certs.directory.mkdir(parents=True, exist_ok=True)
        certs._generate(variants)
        return certs

    def _generate(self, variants: tuple[str, ...]) -> None:
        ca_key = _new_key()
        ca = _ca_certificate(ca_key, "check-rtc lab root CA", None, None, path_length=1)
        _write(self.ca_cert, _pem(ca))
        _write_key(self.directory / "ca.key", ca_key)
        # One leaf key for all CA-signed variants keeps generation under a second;
        # the variants differ in their certificates, which is what checks look at.
        leaf_key = _new_key()
        inter_key = inter = None
        for name in variants:
            spec = _SPECS[name]
            key, chain = (leaf_key if spec.key_bits == KEY_BITS else _new_key(spec.key_bits)), b""
            if spec.issuer == "self":
                key = _new_key()
                cert = _leaf_certificate(spec, self.domain, key, None, None)
            elif spec.issuer == "intermediate":
                if inter is None:
                    inter_key = _new_key()
                    inter = _ca_certificate(inter_key, "check-rtc lab intermediate CA", ca, ca_key,
                                            path_length=0)
                cert = _leaf_certificate(spec, self.domain, key, inter, inter_key)
                chain = _pem(inter)
            else:
                cert = _leaf_certificate(spec, self.domain, key, ca, ca_key, self.ocsp_url)
            if spec.sha1:
                cert = _resign_sha1(cert, key, self.directory)
            self._certs[name] = cert
            _write(self.cert(name), _pem(cert))
            _write_key(self.key(name), key)
            _write(self.fullchain(name), _pem(cert) + chain)
            if chain:
                _write(self.directory / f"{name}.chain.pem", chain)

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(self._certs)

    def _check(self, name: str) -> str:
        if name not in self._certs:
            raise KeyError(f"no certificate variant {name!r}; have {', '.join(self._certs)}")
        return name

    def cert(self, name: str = "good") -> Path:
        return self.directory / f"{self._check(name)}.crt"

    def key(self, name: str = "good") -> Path:
        return self.directory / f"{self._check(name)}.key"

    def fullchain(self, name: str = "good") -> Path:
        return self.directory / f"{self._check(name)}.fullchain.pem"

    def chain(self, name: str = "good") -> Path | None:
        path = self.directory / f"{self._check(name)}.chain.pem"
        return path if path.exists() else None

    def certificate(self, name: str = "good") -> x509.Certificate:
        return self._certs[self._check(name)]
