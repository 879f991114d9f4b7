# SPDX-License-Identifier: GPL-3.0-or-later
"""The remedy table of check_rtc audit: one entry per kind, every text fills in, the right entry is chosen."""

from __future__ import annotations

import pytest

from check_rtc.remedies import FALLBACK, KEY_FILES, REMEDIES, _Fields, _subject_fields, remedies

DOMAIN = "example.org"
COMMAND = "check_sip -d example.org"


def test_kinds_are_unique() -> None:
    kinds = [remedy.kind for remedy in REMEDIES]
    assert len(kinds) == len(set(kinds))


@pytest.mark.parametrize("remedy", REMEDIES, ids=lambda remedy: remedy.kind)
@pytest.mark.parametrize("subject", ["_sips._tcp.example.org/SRV", "sip.example.org[::1]:5061/tls"])
def test_every_text_fills_in(remedy, subject: str) -> None:  # type: ignore[no-untyped-def]
    fields = _Fields(_subject_fields(subject, DOMAIN), domain=DOMAIN, key_files=KEY_FILES, command=COMMAND)
    text = remedy.text.format_map(fields)  # a stray brace would raise here
    assert "{" + "}" not in text and "example.org" in text + subject


@pytest.mark.parametrize(("area", "subject", "message", "expected"), [
    ("sip", "sip.example.org[192.0.2.5]:5061/tls", "connect: connection refused",
     [("not-listening", "nothing accepts on 5061/tls at 192.0.2.5: start the server or correct the port in the "
                        "SRV record, and open the firewall for it")]),
    ("dns", "_stun._udp.example.org/SRV", "no records (required)",
     [("srv-missing", "add to the zone of example.org: `_stun._udp.example.org. IN SRV 10 0 3478 "
                      "stun.example.org.` (RTC guide Table 5.1), and have the server listen there (coturn: "
                      "listening-port=3478; reTurn: TurnPort)")]),
    ("dns", "turn.example.org/A,AAAA", "127.0.0.1; no AAAA record: the guide asks for IPv6 too (--ipv4-only "
                                       "accepts this); lagging: SOA serial 1 is behind 2",
     [("srv-target-no-aaaa", "add `turn.example.org. IN AAAA <IPv6 address>` and let the servers listen on IPv6 "
                             "as well (the guide asks for both families)"),
      ("ns-lagging", "let every name server load the current zone: raise the SOA serial with each change, check "
                     "NOTIFY and zone transfers (allow-transfer, also-notify)")]),
    ("cert", "example.org[::1]:443/tls", "OCSP: stapled answer: about another certificate (serial 1, not the"
                                         " served 2)",
     [("ocsp-bad-staple", "the server staples an OCSP answer that does not fit the certificate it serves: have "
                          "it fetch a fresh one after every certificate change (reload it, or renew its staple "
                          "file)")]),
    ("cert", "example.org[::1]:443/tls", "OCSP: certificate revoked on 2025-01-01 00:00 UTC",
     [("ocsp-revoked", "the CA has revoked the certificate: get a new one and install it")]),
    ("xmpp", "xmpp.example.org[::1]:5222/starttls", "something no table entry knows",
     [("other", FALLBACK.format(command=COMMAND))]),
])
def test_the_matching_entries_are_chosen(area: str, subject: str, message: str,
                                         expected: list[tuple[str, str]]) -> None:
    assert remedies(area, subject, message, DOMAIN, COMMAND) == expected
