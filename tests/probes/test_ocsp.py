# SPDX-License-Identifier: GPL-3.0-or-later
"""OCSP answers a server may staple (RFC 6960 §3.2): only a valid one about the served certificate counts.

The lab's `openssl ocsp` responder signs good answers only; these are the
answers it will not produce: forged, delegated, unsuccessful, about another
certificate, with a SHA-256 CertID.
"""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from check_rtc.certificate import load_der
from check_rtc.probes.ocsp import STAPLED, revocation
from check_rtc.transport.deadline import Deadline

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)


def issue(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
          issuer_key: ec.EllipticCurvePrivateKey, serial: int, ca: bool = False,
          ocsp_signing: bool = False) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject if issuer else name)
               .public_key(key.public_key()).serial_number(serial)
               .not_valid_before(NOW - HOUR).not_valid_after(NOW + 24 * HOUR)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ocsp_signing:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


CA_KEY, LEAF_KEY, OTHER_KEY = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
CA = issue("lab CA", CA_KEY, None, CA_KEY, 1, ca=True)
LEAF = issue("example.test", LEAF_KEY, CA, CA_KEY, 1001)
EARLIER = issue("example.test", LEAF_KEY, CA, CA_KEY, 1000)  # the certificate served before
DELEGATE = issue("lab OCSP", OTHER_KEY, CA, CA_KEY, 7, ocsp_signing=True)
IMPOSTOR = issue("lab CA", OTHER_KEY, None, OTHER_KEY, 8)  # the CA's name, another key
FAKE_DELEGATE = issue("lab OCSP", OTHER_KEY, CA, OTHER_KEY, 9, ocsp_signing=True)  # names the CA, not signed by it


def facts(cert: x509.Certificate):  # type: ignore[no-untyped-def]
    return load_der(cert.public_bytes(serialization.Encoding.DER))


def answer(about: x509.Certificate = LEAF, signer: ec.EllipticCurvePrivateKey = CA_KEY,
           responder: x509.Certificate = CA, algorithm: hashes.HashAlgorithm = hashes.SHA1(),
           status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD) -> bytes:
    revoked = (NOW - 24 * HOUR, x509.ReasonFlags.superseded) if status == ocsp.OCSPCertStatus.REVOKED else (None, None)
    builder = (ocsp.OCSPResponseBuilder()
               .add_response(about, CA, algorithm, status, NOW - HOUR, NOW + HOUR, *revoked)
               .responder_id(ocsp.OCSPResponderEncoding.HASH, responder))
    if responder is not CA:
        builder = builder.certificates([responder])
    return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def judge(staple: bytes):  # type: ignore[no-untyped-def]
    return revocation([facts(LEAF), facts(CA)], [], staple, Deadline(1))


@pytest.mark.parametrize("staple", [
    answer(),
    answer(algorithm=hashes.SHA256()),  # CertID hashed with SHA-256 (RFC 6960 §4.1.1 lets the client choose)
    answer(signer=OTHER_KEY, responder=DELEGATE),  # §4.2.2.2: a responder the CA certified for OCSPSigning
], ids=["issuer", "sha256-certid", "delegated"])
def test_a_valid_staple_is_believed(staple: bytes) -> None:
    judged = judge(staple)
    assert (judged.source, judged.status, judged.error) == (STAPLED, "good", None)
    assert (judged.this_update, judged.next_update) == (NOW - HOUR, NOW + HOUR)


def test_a_revoked_staple_carries_time_and_reason() -> None:
    judged = judge(answer(status=ocsp.OCSPCertStatus.REVOKED))
    assert (judged.status, judged.revoked_at, judged.reason) == ("revoked", NOW - 24 * HOUR, "superseded")


@pytest.mark.parametrize("staple, error", [
    (b"\x30\x03\x0a\x01", "stapled answer: not a DER OCSPResponse"),
    (ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER).public_bytes(
        serialization.Encoding.DER), "stapled answer: response status try_later"),
    (answer(about=EARLIER), "stapled answer: about another certificate (serial 3E8, not the served 3E9)"),
    (answer(signer=OTHER_KEY, responder=IMPOSTOR), "stapled answer: signature does not verify"),
    (answer(signer=OTHER_KEY, responder=FAKE_DELEGATE),
     "stapled answer: responder certificate is not signed by the issuer"),
], ids=["garbage", "unsuccessful", "another-certificate", "forged", "uncertified-delegate"])
def test_an_invalid_staple_is_an_error(staple: bytes, error: str) -> None:
    judged = judge(staple)
    assert (judged.source, judged.status, judged.error) == (STAPLED, None, error)


def test_without_the_issuer_a_staple_cannot_be_checked() -> None:
    judged = revocation([facts(LEAF)], [], answer(), Deadline(1))
    assert judged.error == "stapled answer: issuer certificate unknown: cannot check it"
