# SPDX-License-Identifier: GPL-3.0-or-later
"""DER reading (X.690) and the key facts read with it: the same as cryptography's public_key() says."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from check_rtc.certificate import load_der
from check_rtc.codec import der
from check_rtc.errors import DecodeError


@pytest.mark.parametrize("data, tag, value, end", [
    (b"\x02\x01\x05", der.INTEGER, b"\x05", 3),
    (b"\x04\x81\x03abcrest", 0x04, b"abc", 6),  # long form, one length octet
    (b"\x30\x82\x00\x02\x05\x00", der.SEQUENCE, b"\x05\x00", 6),
])
def test_read_gives_tag_contents_and_end(data: bytes, tag: int, value: bytes, end: int) -> None:
    element = der.read(data)
    assert (element.tag, element.value, element.end, element.encoding) == (tag, value, end, data[:end])


@pytest.mark.parametrize("data", [b"", b"\x02", b"\x02\x05abc", b"\x1f\x01\x00", b"\x04\x80", b"\x04\x85\x01\x01\x01\x01\x01"])
def test_malformed_elements_are_decode_errors(data: bytes) -> None:
    with pytest.raises(DecodeError):
        der.read(data)


@pytest.mark.parametrize("value, dotted", [
    (b"\x2a\x86\x48\xce\x3d\x03\x01\x07", "1.2.840.10045.3.1.7"),  # prime256v1
    (b"\x2b\x65\x70", "1.3.101.112"),  # Ed25519
    (b"\x88\x37\x03", "2.999.3"),  # X.690 §8.19.4: the first subidentifier may exceed 80
])
def test_object_identifiers(value: bytes, dotted: str) -> None:
    assert der.object_identifier(value) == dotted


@pytest.mark.parametrize("value, text", [
    (b"\x0c\x03abc", "abc"), (b"\x16\x81\x03abc", "abc"), (b"\x04\x03abc", ""), (b"\x0c\x05abc", ""), (b"\x0c", ""),
    (b"\x0c\x03abcd", ""),
])
def test_text_of_utf8_and_ia5_strings(value: bytes, text: str) -> None:
    assert der.text(value) == text


@given(st.binary(max_size=64))
def test_any_bytes_read_or_raise_decode_error(data: bytes) -> None:
    try:
        der.children(data)
    except DecodeError:
        pass


def self_signed(key) -> bytes:  # type: ignore[no-untyped-def]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "key.example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)))
    algorithm = None if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.DER)


KEYS = {
    "rsa-1024": (lambda: rsa.generate_private_key(65537, 1024), ("RSA", 1024)),
    "rsa-2048": (lambda: rsa.generate_private_key(65537, 2048), ("RSA", 2048)),
    "ec-p256": (lambda: ec.generate_private_key(ec.SECP256R1()), ("EC secp256r1", 256)),
    "ec-p384": (lambda: ec.generate_private_key(ec.SECP384R1()), ("EC secp384r1", 384)),
    "ec-p521": (lambda: ec.generate_private_key(ec.SECP521R1()), ("EC secp521r1", 521)),
    "ed25519": (ed25519.Ed25519PrivateKey.generate, ("Ed25519", 256)),
    "ed448": (ed448.Ed448PrivateKey.generate, ("Ed448", 456)),
    "dsa-2048": (lambda: dsa.generate_private_key(2048), ("DSA", 2048)),
}


@pytest.mark.parametrize("kind", KEYS)
def test_key_facts_match_cryptography(kind: str) -> None:
    make, expected = KEYS[kind]
    key = make()
    facts = load_der(self_signed(key))
    assert (facts.key_type, facts.key_bits) == expected
    # The SubjectPublicKeyInfo read from the DER is the one TLSA selector 1 hashes (RFC 6698 §2.1.2).
    assert facts.spki == key.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)


def test_a_version_1_certificate_has_its_key_one_field_earlier(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """RFC 5280 §4.1: version is DEFAULT v1, so a v1 TBSCertificate omits it (openssl x509 -req makes one)."""
    import subprocess

    key, request, cert = tmp_path / "v1.key", tmp_path / "v1.csr", tmp_path / "v1.der"
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=v1", "-keyout", str(key),
                    "-out", str(request)], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", str(request), "-signkey", str(key), "-days", "1",
                    "-outform", "DER", "-out", str(cert)], check=True, capture_output=True)
    facts = load_der(cert.read_bytes())
    assert facts.cert.version == x509.Version.v1
    assert (facts.key_type, facts.key_bits) == ("RSA", 2048)
