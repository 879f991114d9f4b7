# SPDX-License-Identifier: GPL-3.0-or-later
"""Revocation of the served leaf: OCSP (RFC 6960), as stapled or as asked.

Stapled: the OCSPResponse the server sent in the handshake (RFC 6066 §8;
TLS 1.3 carries it in the leaf's CertificateEntry, RFC 8446 §4.4.2.1),
read by transport/stapling.py. Asked: one HTTP POST to the first OCSP
responder in the leaf's Authority Information Access (RFC 6960 Appendix
A.1), only when nothing was stapled. Either answer is checked the same
way (RFC 6960 §3.2): a successful response, about this very certificate,
signed by the issuer or by a responder the issuer delegated.
"""

from __future__ import annotations

import logging
from collections import namedtuple

from check_rtc.errors import CheckRtcError, TransportError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

    from cryptography.x509 import ocsp

    from check_rtc.certificate import Facts
    from check_rtc.transport.deadline import Deadline

log = logging.getLogger(__name__)

STAPLED = "stapled"
OCSP_MAX_BYTES = 65536


class OcspAnswer(namedtuple("OcspAnswer", "source status this_update next_update revoked_at reason error")):
    """The word on the leaf: status good/revoked/unknown, or `error`.

    `source`: STAPLED, the responder's URL, or "" when the server stapled
    nothing and the certificate names no responder (then status is None).
    """

    __slots__ = ()

    def origin(self) -> str:
        return "(stapled)" if self.source == STAPLED else f"from {self.source}"


def _failed(source: str, error: str) -> OcspAnswer:
    return OcspAnswer(source, None, None, None, None, None, error)


def issuer_of(leaf: Facts, served: Sequence[Facts], verified: Sequence[Facts]) -> Facts | None:
    """The leaf's issuer: from the verified path, else from what was served."""
    for candidate in list(verified[1:]) + list(served[1:]):
        if candidate.subject == leaf.issuer:
            return candidate
    return None


def revocation(served: Sequence[Facts], verified: Sequence[Facts], staple: bytes | None,
               deadline: Deadline) -> OcspAnswer:
    """The stapled answer if there is one, else the AIA responder's."""
    leaf = served[0]
    issuer = issuer_of(leaf, served, verified)
    if staple is not None:
        return _judged(STAPLED, "stapled answer", staple, leaf, issuer)
    if not leaf.ocsp_urls:
        return OcspAnswer("", None, None, None, None, None, None)
    url = leaf.ocsp_urls[0]
    where = f"responder {url}"
    if issuer is None:
        return _failed(url, f"{where}: issuer certificate unknown: cannot ask")
    try:
        body = _http_post(url, _request(leaf, issuer), deadline)
    except CheckRtcError as exc:
        return _failed(url, f"{where}: {exc}")
    return _judged(url, where, body, leaf, issuer)


def _request(leaf: Facts, issuer: Facts) -> bytes:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    request = ocsp.OCSPRequestBuilder().add_certificate(leaf.cert, issuer.cert, hashes.SHA1()).build()
    return request.public_bytes(serialization.Encoding.DER)


def _judged(source: str, where: str, der: bytes, leaf: Facts, issuer: Facts | None) -> OcspAnswer:
    if issuer is None:
        return _failed(source, f"{where}: issuer certificate unknown: cannot check it")
    try:
        response = _checked(der, leaf, issuer)
    except CheckRtcError as exc:
        return _failed(source, f"{where}: {exc}")
    from check_rtc.certificate import validity

    status = response.certificate_status.name.lower()
    revoked = validity(response, "revocation_time") if status == "revoked" else None
    reason = response.revocation_reason
    return OcspAnswer(source, status, validity(response, "this_update"), validity(response, "next_update"),
                      revoked, reason.name if reason is not None else None, None)


def _checked(der: bytes, leaf: Facts, issuer: Facts) -> ocsp.OCSPResponse:
    """RFC 6960 §3.2: the checks a client "MUST" make before it accepts a response as valid."""
    from cryptography.x509 import ocsp

    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError:
        raise TransportError("not a DER OCSPResponse") from None
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise TransportError(f"response status {response.response_status.name.lower()}")
    # §3.2 item 1: "The certificate identified in a received response corresponds
    # to the certificate that was identified in the corresponding request" (a
    # server may staple the answer about the certificate it served before).
    if response.serial_number != leaf.cert.serial_number or not _same_issuer(response, issuer):
        raise TransportError(f"about another certificate (serial {response.serial_number:X},"
                             f" not the served {leaf.serial})")
    _check_signature(response, issuer)
    return response


def _same_issuer(response: ocsp.OCSPResponse, issuer: Facts) -> bool:
    """CertID (RFC 6960 §4.1.1): the hash of the issuer's name and, for SHA-1, of its public key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import SubjectKeyIdentifier

    digest = hashes.Hash(response.hash_algorithm)
    digest.update(issuer.cert.subject.public_bytes())
    if response.issuer_name_hash != digest.finalize():
        return False
    if isinstance(response.hash_algorithm, hashes.SHA1):
        # RFC 5280 §4.2.1.2 method (1), the SHA-1 of the subjectPublicKey bits, is the same hash.
        return response.issuer_key_hash == SubjectKeyIdentifier.from_public_key(issuer.cert.public_key()).digest
    return True


def _check_signature(response: ocsp.OCSPResponse, issuer: Facts) -> None:
    """RFC 6960 §4.2.2.2: signed by the issuer, or by a responder the issuer certified for OCSPSigning."""
    from check_rtc.certificate import Facts as _Facts

    signer = issuer
    for cert in response.certificates:
        delegate = _Facts(b"", cert)
        if delegate.issuer == issuer.subject and "OCSPSigning" in (delegate.ekus or ()):
            if not _signed_by(delegate.cert.signature, delegate.cert.tbs_certificate_bytes,
                              delegate.cert.signature_hash_algorithm, issuer):
                raise TransportError("responder certificate is not signed by the issuer")
            signer = delegate
    if not _signed_by(response.signature, response.tbs_response_bytes, response.signature_hash_algorithm, signer):
        raise TransportError("signature does not verify")


def _signed_by(signature: bytes, data: bytes, algorithm: object, signer: Facts) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    key = signer.cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)  # type: ignore[arg-type]
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))  # type: ignore[arg-type]
        else:
            key.verify(signature, data)  # type: ignore[union-attr,call-arg]
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True


def _http_post(url: str, body: bytes, deadline: Deadline) -> bytes:
    """One OCSP request over HTTP (RFC 6960 Appendix A.1); http: only, as responders serve."""
    import urllib.error
    import urllib.request

    if not url.lower().startswith("http://"):
        raise TransportError("not an http: URL")
    request = urllib.request.Request(url, body, {"Content-Type": "application/ocsp-request"})
    log.debug("> OCSP %s (%d bytes)", url, len(body))
    try:
        with urllib.request.urlopen(request, timeout=deadline.timeout("OCSP")) as answer:
            data: bytes = answer.read(OCSP_MAX_BYTES)
    except urllib.error.HTTPError as exc:
        raise TransportError(f"answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransportError(str(getattr(reason, "strerror", None) or reason).lower()) from None
    log.debug("< OCSP %s (%d bytes)", url, len(data))
    return data
