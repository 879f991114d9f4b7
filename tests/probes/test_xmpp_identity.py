# SPDX-License-Identifier: GPL-3.0-or-later
"""XMPP identity from otherName SANs: SRV-ID (RFC 4985) and XmppAddr (RFC 6120 §13.7.1.4)."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from check_rtc.probes.xmpp import SRV_NAME_OID, XMPP_ADDR_OID, _other_name_identity


def certificate(*names: x509.GeneralName) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xmpp.example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(list(names)), critical=False).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def other(oid: str, tag: int, text: str) -> x509.OtherName:
    return x509.OtherName(x509.ObjectIdentifier(oid), bytes([tag, len(text)]) + text.encode())


def test_xmpp_addr_names_the_domain_in_both_modes() -> None:
    der = certificate(x509.DNSName("xmpp.example.test"), other(XMPP_ADDR_OID, 0x0C, "Example.Test"))
    assert _other_name_identity(der, "example.test", "c2s") == "SAN XmppAddr Example.Test"
    assert _other_name_identity(der, "example.test", "s2s") == "SAN XmppAddr Example.Test"


def test_srv_id_counts_only_for_its_own_service() -> None:
    der = certificate(other(SRV_NAME_OID, 0x16, "_xmpp-server.example.test"))
    assert _other_name_identity(der, "example.test", "s2s") == "SAN SRV-ID _xmpp-server.example.test"
    assert _other_name_identity(der, "example.test", "c2s") == ""


def test_other_domains_and_types_do_not_count() -> None:
    der = certificate(other(XMPP_ADDR_OID, 0x0C, "other.test"), other("1.2.3.4", 0x0C, "example.test"))
    assert _other_name_identity(der, "example.test", "c2s") == ""
    assert _other_name_identity(b"not DER", "example.test", "c2s") == ""
