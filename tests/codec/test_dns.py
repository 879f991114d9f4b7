# SPDX-License-Identifier: GPL-3.0-or-later
"""The DNS message codec (codec layer): queries and answers checked against dnspython, whose
wire format is the reference; malformed input raises DecodeError and nothing else."""

from __future__ import annotations

import ipaddress

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest
from hypothesis import given
from hypothesis import strategies as st

from check_rtc.codec import dns as codec
from check_rtc.errors import DecodeError

ZONE = [
    ("example.test.", "NAPTR", '10 50 "s" "SIPS+D2T" "" _sips._tcp.example.test.'),
    ("example.test.", "NAPTR", '100 10 "S" "RELAY:turn.udp" "!^.*$!\\\\1!" .'),
    ("_sips._tcp.example.test.", "SRV", "10 20 5061 sip.example.test."),
    ("sip.example.test.", "A", "192.0.2.7"),
    ("sip.example.test.", "AAAA", "2001:db8::7"),
    ("alias.example.test.", "CNAME", "sip.example.test."),
    ("example.test.", "NS", "ns.example.test."),
    ("example.test.", "SOA", "ns.example.test. hostmaster.example.test. 2024 3600 600 86400 60"),
    ("example.test.", "TXT", '"kept raw"'),
]


def response(name: str, rrtype: str, records: list[tuple[str, str, str]], flags: int = 0, rcode: int = 0,
             query_id: int = 4242) -> bytes:
    """A response built by dnspython (with name compression), from (owner, type, rdata text)."""
    query = dns.message.make_query(name, rrtype, use_edns=0)
    query.id = query_id
    answer = dns.message.make_response(query)
    answer.flags |= flags
    answer.set_rcode(rcode)
    for owner, kind, text in records:
        answer.answer.append(dns.rrset.from_text(owner, 60, "IN", kind, text))
    answer.authority.append(dns.rrset.from_text("example.test.", 60, "IN", "SOA", ZONE[-2][2]))
    return answer.to_wire()


SEEDS = [response("example.test.", "NAPTR", ZONE), response("nothere.example.test.", "A", [], rcode=3)]


def test_query_as_dnspython_reads_it() -> None:
    wire = codec.encode_query(513, "_sips._tcp.Example.test", "SRV", recursion=False, dnssec=True, payload=1232)
    query = dns.message.from_wire(wire)
    assert (query.id, query.question[0].to_text()) == (513, "_sips._tcp.Example.test. IN SRV")
    assert (query.flags, query.edns, query.payload, query.ednsflags) == (dns.flags.AD, 0, 1232, dns.flags.DO)
    query = dns.message.from_wire(codec.encode_query(1, "example.test.", "NAPTR"))
    assert (query.flags, query.ednsflags) == (dns.flags.RD, 0)


def test_every_record_type_decodes_to_its_value() -> None:
    message = codec.decode_message(SEEDS[0])
    assert (message.id, message.rcode, message.question) == (4242, "NOERROR", ("example.test.", 35, 1))
    assert [r.value for r in message.answer] == [
        codec.NaptrRecord(10, 50, "s", "SIPS+D2T", "", "_sips._tcp.example.test."),
        codec.NaptrRecord(100, 10, "S", "RELAY:turn.udp", "!^.*$!\\1!", "."),
        codec.SrvRecord(10, 20, 5061, "sip.example.test."),
        "192.0.2.7", "2001:db8::7", "sip.example.test.", "ns.example.test.",
        codec.Soa("ns.example.test.", "hostmaster.example.test.", 2024, 3600, 600, 86400, 60),
        b"\x08kept raw",
    ]
    assert [(r.name, r.ttl) for r in message.authority] == [("example.test.", 60)]


def test_header_flags_and_rcodes() -> None:
    message = codec.decode_message(response("x.example.test.", "A", [], flags=dns.flags.AD | dns.flags.AA, rcode=2))
    assert (message.rcode, bool(message.flags & codec.AD), bool(message.flags & codec.AA)) == ("SERVFAIL", True, True)
    assert codec.decode_message(response("x.example.test.", "A", [], rcode=16)).rcode == "RCODE16"  # EDNS BADVERS


def test_a_truncated_answer_keeps_only_header_and_question() -> None:
    message = codec.decode_message(response("example.test.", "NAPTR", ZONE, flags=dns.flags.TC)[:60])
    assert (bool(message.flags & codec.TC), message.question, message.answer) == (True, ("example.test.", 35, 1), ())


def test_matching_a_response_to_its_query() -> None:
    message = codec.decode_message(SEEDS[0])
    assert codec.is_response_to(message, 4242, "EXAMPLE.test", "NAPTR")
    assert not codec.is_response_to(message, 4243, "example.test", "NAPTR")
    assert not codec.is_response_to(message, 4242, "other.test", "NAPTR")
    assert not codec.is_response_to(message, 4242, "example.test", "SRV")


def test_odd_bytes_in_names_are_escaped_and_round_trip() -> None:
    wire = codec.name_to_wire("a\\.b\\032c\\\\.example.")
    assert wire == b"\x06a.b c\\\x07example\x00"
    assert codec.name_at(wire, 0) == ("a\\046b\\032c\\092.example.", len(wire))
    assert codec.name_to_wire("a\\046b\\032c\\092.example.") == wire


@pytest.mark.parametrize("name, problem", [
    ("a..example", "'a..example' is not a DNS name: labels are 1 to 63 octets"),
    ("x" * 64 + ".example", f"'{'x' * 64}.example' is not a DNS name: labels are 1 to 63 octets"),
    (".".join(["abcdefgh"] * 29), f"'{'.'.join(['abcdefgh'] * 29)}' is not a DNS name: longer than 255 octets"),
    ("example\\", "'example\\' is not a DNS name: it ends in a backslash"),
])
def test_names_that_cannot_be_encoded(name: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        codec.name_to_wire(name)
    assert str(caught.value) == problem


@pytest.mark.parametrize("data, problem", [
    (b"\x00\x01", "DNS message is truncated"),
    (bytes(4) + b"\x00\x02" + bytes(6), "DNS message has 2 questions"),
    (bytes(4) + b"\x00\x01" + bytes(6) + b"\xc0\x0c\x00\x01\x00\x01",
     "DNS name compression pointer does not point backwards"),
    (bytes(4) + b"\x00\x01" + bytes(6) + b"\x01a\xc0\x0c\x00\x01\x00\x01",
     "DNS name compression pointer does not point backwards"),
    (bytes(4) + b"\x00\x01" + bytes(6) + b"\x40", "DNS label type 1 is not supported"),
    (bytes(4) + b"\x00\x01" + bytes(6) + b"\x05ab", "DNS name is truncated"),
    (bytes(4) + b"\x00\x01" + bytes(6) + b"\x3f" + b"x" * 63 + b"\x3f" + b"x" * 63 + b"\x3f" + b"x" * 63
     + b"\x3f" + b"x" * 63 + b"\x00", "DNS name is longer than 255 octets"),
])
def test_malformed_messages_raise_decode_error(data: bytes, problem: str) -> None:
    with pytest.raises(DecodeError) as caught:
        codec.decode_message(data)
    assert str(caught.value) == problem


def test_rdata_longer_than_its_fields_is_an_error() -> None:
    wire = bytearray(response("sip.example.test.", "A", [("sip.example.test.", "A", "192.0.2.7")]))
    at = wire.index(bytes([192, 0, 2, 7])) - 2
    wire[at:at + 2] = b"\x00\x05"
    wire[at + 6:at + 6] = b"\x00"
    with pytest.raises(DecodeError) as caught:
        codec.decode_message(bytes(wire))
    assert str(caught.value) == "DNS A record is 1 bytes too long"


def test_every_cut_of_an_answer_is_a_decode_error() -> None:
    for cut in range(len(SEEDS[0])):
        with pytest.raises(DecodeError):
            codec.decode_message(SEEDS[0][:cut])


@given(st.binary(min_size=16, max_size=16))
def test_ipv6_text_is_rfc_5952(raw: bytes) -> None:
    wire = response("sip.example.test.", "AAAA", [("sip.example.test.", "AAAA", str(ipaddress.IPv6Address(raw)))])
    assert codec.decode_message(wire).answer[0].value == str(ipaddress.IPv6Address(raw))


@given(st.binary(max_size=600))
def test_arbitrary_bytes_raise_only_decode_error(data: bytes) -> None:
    try:
        codec.decode_message(data)
    except DecodeError:
        pass


@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8))
def test_mutated_answers_raise_only_decode_error(seed: bytes, changes: list[tuple[int, int]]) -> None:
    data = bytearray(seed)
    for where, value in changes:
        data[where % len(data)] = value
    try:
        codec.decode_message(bytes(data))
    except DecodeError:
        pass
