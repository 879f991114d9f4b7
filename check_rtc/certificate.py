# SPDX-License-Identifier: GPL-3.0-or-later
"""X.509 certificate facts for judging (RFC 5280), sans-IO, on `cryptography`.

Bytes in (DER or PEM), plain facts out: names, validity, Extended Key
Usage (RFC 5280 §4.2.1.12), key and signature strength, the order of a
chain as served (RFC 8446 §4.4.2, RFC 5246 §7.4.2) and TLSA matching
(RFC 6698 §2.1, RFC 7671). No sockets, no clock (`now` is an argument).
cryptography.x509 costs +45 ms to import, so it is imported by the
functions that need it, never at module import.
"""

from __future__ import annotations

import datetime

from check_rtc.errors import DecodeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Sequence

    from cryptography import x509 as cx509

SECONDS_PER_DAY = 86400.0
# RFC 5280 §4.2.1.12 purposes by the names operators know (openssl, --require-eku).
EKU_NAMES = {
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "2.5.29.37.0": "anyExtendedKeyUsage",
}
# Below these, CRITICAL (NIST SP 800-57: RSA 2048 and P-256 give 112/128 bits).
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
WEAK_HASHES = ("md5", "sha1")
# RFC 8410: EdDSA signs the message itself; there is no separate hash to name.
SIGNATURES_WITHOUT_HASH = {"1.3.101.112": "ed25519", "1.3.101.113": "ed448"}
# SubjectPublicKeyInfo algorithms (RFC 3279, RFC 4055, RFC 5480, RFC 8410) and
# named curves (RFC 5480 §2.1.1.1), in the names cryptography gives them.
RSA_KEYS = ("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10")  # rsaEncryption, id-RSASSA-PSS
EC_KEY, DSA_KEY = "1.2.840.10045.2.1", "1.2.840.10040.4.1"
FIXED_KEYS = {"1.3.101.112": ("Ed25519", 256), "1.3.101.113": ("Ed448", 456)}
CURVES = {"1.2.840.10045.3.1.7": ("secp256r1", 256), "1.3.132.0.34": ("secp384r1", 384),
          "1.3.132.0.35": ("secp521r1", 521), "1.3.132.0.10": ("secp256k1", 256),
          "1.3.36.3.3.2.8.1.1.7": ("brainpoolP256r1", 256), "1.3.36.3.3.2.8.1.1.11": ("brainpoolP384r1", 384),
          "1.3.36.3.3.2.8.1.1.13": ("brainpoolP512r1", 512)}
PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


class Facts:
    """What one certificate says, in the words of the long output."""

    __slots__ = ("der", "subject", "issuer", "serial", "not_before", "not_after", "sans", "ekus",
                 "key_type", "key_bits", "signature_hash", "is_ca", "ocsp_urls", "must_staple",
                 "spki", "cert")

    def __init__(self, der: bytes, cert: cx509.Certificate) -> None:
        self.der = der
        self.cert = cert  # for the OCSP request and signature checks
        self.subject: str = cert.subject.rfc4514_string()
        self.issuer: str = cert.issuer.rfc4514_string()
        self.serial = f"{cert.serial_number:X}"
        self.not_before = validity(cert, "not_valid_before")
        self.not_after = validity(cert, "not_valid_after")
        self.sans = _sans(cert)
        self.ekus = _ekus(cert)
        self.spki = _subject_public_key_info(cert)  # DER, as the certificate carries it
        self.key_type, self.key_bits = _key(self.spki)
        self.signature_hash = _signature_hash(cert)
        self.is_ca = _is_ca(cert)
        self.ocsp_urls = _ocsp_urls(cert)
        self.must_staple = _must_staple(cert)

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer

    def days_left(self, now: datetime.datetime) -> float:
        return (self.not_after - now).total_seconds() / SECONDS_PER_DAY

    def days_until_valid(self, now: datetime.datetime) -> float:
        """Positive while the certificate is not yet valid."""
        return (self.not_before - now).total_seconds() / SECONDS_PER_DAY

    def common_names(self) -> list[str]:
        from cryptography.x509.oid import NameOID

        return [str(a.value) for a in self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]

    def peercert(self) -> dict[str, Any]:
        """The shape of ssl.SSLSocket.getpeercert(), which check_rtc.identity matches."""
        subject = tuple((("commonName", name),) for name in self.common_names())
        return {"subject": subject, "subjectAltName": tuple(self.sans)}

    def getpeercert(self, binary_form: bool = False) -> Any:
        """ssl.SSLSocket's call, so identity rules written for a live socket apply to a file too."""
        return self.der if binary_form else self.peercert()

    def key_text(self) -> str:
        return f"{self.key_type} {self.key_bits} bits" if self.key_bits else self.key_type

    def eku_text(self) -> str:
        return "none (any purpose)" if self.ekus is None else (" ".join(self.ekus) or "empty")


def validity(obj: object, name: str) -> datetime.datetime:
    """An aware UTC datetime from `name` ('not_valid_after', 'this_update', ...).

    cryptography 42 added the aware `*_utc` attributes and deprecated the
    naive ones; Debian 12's 38 has only the naive (UTC) ones.
    """
    aware = getattr(obj, f"{name}_utc", None)
    if aware is not None:
        return aware  # type: ignore[no-any-return]
    naive = getattr(obj, name)
    return None if naive is None else naive.replace(tzinfo=datetime.timezone.utc)  # type: ignore[no-any-return]


def load_der(der: bytes) -> Facts:
    from cryptography import x509

    try:
        return Facts(der, x509.load_der_x509_certificate(der))
    except ValueError as exc:
        raise DecodeError(f"certificate is not valid DER: {exc}") from None


def pem_chain(data: bytes) -> list[bytes]:
    """DER of every certificate in a PEM file, in file order; DecodeError if there is none."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    ders = []
    for block in data.split(PEM_BEGIN)[1:]:
        try:
            cert = x509.load_pem_x509_certificate(PEM_BEGIN + block)
        except ValueError as exc:
            raise DecodeError(f"certificate {len(ders) + 1} is not valid PEM: {exc}") from None
        ders.append(cert.public_bytes(Encoding.DER))
    if not ders:
        raise DecodeError("no PEM certificate (-----BEGIN CERTIFICATE-----) found")
    return ders


def _sans(cert: cx509.Certificate) -> list[tuple[str, str]]:
    """SANs as ssl reports them: ('DNS', name), ('URI', uri), ('IP Address', ip), ('othername', ...)."""
    from cryptography import x509

    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    found: list[tuple[str, str]] = []
    for name in names:
        if isinstance(name, x509.DNSName):
            found.append(("DNS", name.value))
        elif isinstance(name, x509.UniformResourceIdentifier):
            found.append(("URI", name.value))
        elif isinstance(name, x509.IPAddress):
            found.append(("IP Address", str(name.value)))
        elif isinstance(name, x509.OtherName):
            found.append(("othername", name.type_id.dotted_string))
    return found


def _ekus(cert: cx509.Certificate) -> tuple[str, ...] | None:
    """EKU purposes by name; None when the extension is absent (RFC 5280: any purpose)."""
    from cryptography import x509

    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return tuple(EKU_NAMES.get(oid.dotted_string, oid.dotted_string) for oid in usages)


def _subject_public_key_info(cert: cx509.Certificate) -> bytes:
    """RFC 5280 §4.1: the seventh field of TBSCertificate (the sixth without a v1 certificate's version).

    Read from the DER because Certificate.public_key() costs cryptography 38
    its OpenSSL backend (7 ms per start) just to say what the DER says.
    """
    from check_rtc.codec import der

    fields = der.children(der.expect(der.read(cert.tbs_certificate_bytes), der.SEQUENCE))
    index = 6 if fields and fields[0].tag == der.EXPLICIT_0 else 5
    if len(fields) <= index:
        raise DecodeError("certificate has no subjectPublicKeyInfo")
    der.expect(fields[index], der.SEQUENCE)
    return bytes(fields[index].encoding)


def _key(spki: bytes) -> tuple[str, int]:
    """Key type and size from SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }."""
    try:
        return _key_fields(spki)
    except (IndexError, ValueError):  # fewer elements than the structure has
        raise DecodeError("certificate key is not a valid SubjectPublicKeyInfo") from None


def _key_fields(spki: bytes) -> tuple[str, int]:
    from check_rtc.codec import der

    algorithm, key = der.children(der.read(spki).value)[:2]
    identifier, *parameters = der.children(der.expect(algorithm, der.SEQUENCE))
    oid = der.object_identifier(der.expect(identifier, der.OBJECT_IDENTIFIER))
    if oid in RSA_KEYS:
        # RFC 8017 §A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER },
        # inside the BIT STRING after its unused-bits octet.
        modulus = der.children(der.read(der.expect(key, der.BIT_STRING)[1:]).value)[0]
        return "RSA", int.from_bytes(der.expect(modulus, der.INTEGER), "big").bit_length()
    if oid == EC_KEY and parameters and parameters[0].tag == der.OBJECT_IDENTIFIER:
        curve = der.object_identifier(parameters[0].value)  # RFC 5480 §2.1.1: namedCurve
        name, bits = CURVES.get(curve, (curve, 0))
        return f"EC {name}", bits
    if oid == DSA_KEY and parameters:
        # RFC 3279 §2.3.2: Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER }
        prime = der.children(der.expect(parameters[0], der.SEQUENCE))[0]
        return "DSA", int.from_bytes(der.expect(prime, der.INTEGER), "big").bit_length()
    return FIXED_KEYS.get(oid, (oid, 0))


def _signature_hash(cert: cx509.Certificate) -> str:
    """'sha256', 'sha1', 'md5'; the algorithm's name where it has no separate hash (Ed25519)."""
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # cryptography raises UnsupportedAlgorithm for unknown OIDs
        algorithm = None
    if algorithm is None:
        oid = cert.signature_algorithm_oid.dotted_string
        return SIGNATURES_WITHOUT_HASH.get(oid, oid)
    return str(algorithm.name)


def _is_ca(cert: cx509.Certificate) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _ocsp_urls(cert: cx509.Certificate) -> tuple[str, ...]:
    """RFC 5280 §4.2.2.1: the OCSP responders named in Authority Information Access."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(str(d.access_location.value) for d in access
                 if d.access_method == AuthorityInformationAccessOID.OCSP)


def _must_staple(cert: cx509.Certificate) -> bool:
    """RFC 7633 §4.2.3.1: the TLS Feature status_request ("Must-Staple") obliges the server to staple."""
    from cryptography import x509

    try:
        features = cert.extensions.get_extension_for_class(x509.TLSFeature).value
    except x509.ExtensionNotFound:
        return False
    return x509.TLSFeatureType.status_request in features


def weaknesses(facts: Facts) -> list[str]:
    """What makes a certificate weak: a short key, an MD5 or SHA-1 signature."""
    found = []
    if facts.key_type == "RSA" and facts.key_bits < MIN_RSA_BITS:
        found.append(f"RSA key of {facts.key_bits} bits (fewer than {MIN_RSA_BITS})")
    elif facts.key_type.startswith("EC") and facts.key_bits < MIN_EC_BITS:
        found.append(f"EC key of {facts.key_bits} bits (fewer than {MIN_EC_BITS})")
    elif facts.key_type == "DSA":
        found.append("DSA key (no longer allowed in TLS certificates)")
    if facts.signature_hash in WEAK_HASHES:
        # RFC 6151 (MD5), RFC 9155 / NIST SP 800-131A (SHA-1): collisions are practical.
        found.append(f"{facts.signature_hash.upper().replace('SHA1', 'SHA-1')} signature")
    return found


def order_problem(chain: Sequence[Facts]) -> str | None:
    """Why the chain is not in order, or None.

    RFC 5246 §7.4.2: "Each following certificate MUST directly certify the
    one preceding it"; RFC 8446 §4.4.2 relaxes this for clients but still
    says the sender's certificate "MUST come in the first CertificateEntry".
    """
    if len(chain) > 1 and chain[0].is_ca and not all(c.is_ca for c in chain):
        return "the server's own certificate is not first"
    for index in range(len(chain) - 1):
        if chain[index + 1].subject != chain[index].issuer:
            return (f"certificate {index + 2} ({chain[index + 1].subject}) does not certify "
                    f"certificate {index + 1} ({chain[index].subject})")
    return None


def last_reachable(chain: Sequence[Facts]) -> Facts:
    """Follow issuers from the leaf through the served certificates: where the path stops."""
    by_subject = {c.subject: c for c in chain}
    current, seen = chain[0], {chain[0].subject}
    while current.issuer in by_subject and current.issuer not in seen and not current.self_issued:
        current = by_subject[current.issuer]
        seen.add(current.subject)
    return current


def tlsa_matches(selector: int, matching: int, data: bytes, facts: Facts) -> bool:
    """RFC 6698 §2.1.2-2.1.3: does (selector, matching type, data) match this certificate?"""
    import hashlib

    if selector == 0:
        content = facts.der
    elif selector == 1:
        content = facts.spki
    else:
        return False
    digests = {0: lambda b: b, 1: lambda b: hashlib.sha256(b).digest(), 2: lambda b: hashlib.sha512(b).digest()}
    if matching not in digests:
        return False
    return bool(digests[matching](content) == data)
