# SPDX-License-Identifier: GPL-3.0-or-later
"""STUN codec: RFC 5769 vectors, round trips, exact errors, truncation (codec layer)."""

import hashlib
import ipaddress
import re

import pytest

from check_rtc.codec import stun
from check_rtc.codec.stun import Class, Message, Method
from check_rtc.errors import DecodeError

# RFC 5769 §2 test vectors. The hex was taken from the RFC text and checked
# against two independent copies (pion/stun rfc5769_test.go and a C# test
# suite); the MESSAGE-INTEGRITY and FINGERPRINT checks below confirm every byte.
RFC5769_TRANSACTION_ID = bytes.fromhex("b7e7a701bc34d686fa87dfae")
RFC5769_SHORT_TERM_PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt"

# §2.1 Sample Request (USERNAME and the response SOFTWARE are padded with spaces, 0x20)
RFC5769_REQUEST = bytes.fromhex(
    "00010058 2112a442 b7e7a701 bc34d686 fa87dfae"
    " 80220010 5354554e 20746573 7420636c 69656e74"  # SOFTWARE "STUN test client"
    " 00240004 6e0001ff"  # PRIORITY
    " 80290008 932ff9b1 51263b36"  # ICE-CONTROLLED
    " 00060009 6576746a 3a683676 59202020"  # USERNAME "evtj:h6vY"
    " 00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2"  # MESSAGE-INTEGRITY
    " 80280004 e57a3bcf"  # FINGERPRINT
)
# §2.2 Sample IPv4 Response
RFC5769_IPV4_RESPONSE = bytes.fromhex(
    "0101003c 2112a442 b7e7a701 bc34d686 fa87dfae"
    " 8022000b 74657374 20766563 746f7220"  # SOFTWARE "test vector"
    " 00200008 0001a147 e112a643"  # XOR-MAPPED-ADDRESS 192.0.2.1:32853
    " 00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7"
    " 80280004 c07d4c96"
)
# §2.3 Sample IPv6 Response
RFC5769_IPV6_RESPONSE = bytes.fromhex(
    "01010048 2112a442 b7e7a701 bc34d686 fa87dfae"
    " 8022000b 74657374 20766563 746f7220"
    " 00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9"  # [2001:db8:1234:5678:11:2233:4455:6677]:32853
    " 00080014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41"
    " 80280004 c8fb0b4c"
)
# §2.4 Sample Request with Long-Term Authentication (zero padding)
RFC5769_LONG_TERM_REQUEST = bytes.fromhex(
    "00010060 2112a442 78ad3433 c6ad72c0 29da412e"
    " 00060012 e3839ee3 8388e383 aae38383 e382afe3 82b90000"  # USERNAME
    " 0015001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341"  # NONCE
    " 0014000b 6578616d 706c652e 6f726700"  # REALM "example.org"
    " 00080014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666"
)
# RFC 5769 §2.4 gives the password as "The<U+00AD>M<U+00AA>tr<U+2168>"; after
# SASLprep (soft hyphen removed, NFKC) that is "TheMatrIX". We do no SASLprep.
RFC5769_LONG_TERM_PASSWORD = "TheMatrIX"
RFC5769_USERNAME = "\u30de\u30c8\u30ea\u30c3\u30af\u30b9"

TID = bytes(range(12))


def _without_computed(message: Message) -> Message:
    computed = {"MESSAGE-INTEGRITY", "FINGERPRINT"}
    return message._replace(attributes=tuple(a for a in message.attributes if a[0] not in computed))


def _zero(data: bytes, *positions: int) -> bytes:
    out = bytearray(data)
    for position in positions:
        out[position] = 0
    return bytes(out)


def _build(attributes: bytes, message_type: int = 0x0101, length: int | None = None) -> bytes:
    size = len(attributes) if length is None else length
    return (
        message_type.to_bytes(2, "big")
        + size.to_bytes(2, "big")
        + bytes.fromhex("2112a442")
        + TID
        + attributes
    )


def _tlv(code: int, value: bytes) -> bytes:
    return code.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value + bytes(-len(value) % 4)


# --- RFC 5769 vectors ---------------------------------------------------------


def test_rfc5769_request_decodes() -> None:
    message = stun.decode(RFC5769_REQUEST)
    assert (message.method, message.cls, message.transaction_id) == (
        Method.BINDING,
        Class.REQUEST,
        RFC5769_TRANSACTION_ID,
    )
    assert [name for name, _ in message.attributes] == [
        "SOFTWARE",
        "PRIORITY",
        "ICE-CONTROLLED",
        "USERNAME",
        "MESSAGE-INTEGRITY",
        "FINGERPRINT",
    ]
    assert message.get("SOFTWARE") == "STUN test client"
    assert message.get("PRIORITY") == 0x6E0001FF
    assert message.get("ICE-CONTROLLED") == 0x932FF9B151263B36
    assert message.get("USERNAME") == "evtj:h6vY"
    assert message.get("MESSAGE-INTEGRITY") == bytes.fromhex("9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2")
    assert message.get("FINGERPRINT") == 0xE57A3BCF


def test_rfc5769_request_integrity() -> None:
    assert stun.verify_integrity(RFC5769_REQUEST, stun.short_term_key(RFC5769_SHORT_TERM_PASSWORD))
    assert not stun.verify_integrity(RFC5769_REQUEST, stun.short_term_key("wrong"))


def test_rfc5769_request_reencodes() -> None:
    message = stun.decode(RFC5769_REQUEST)
    key = stun.short_term_key(RFC5769_SHORT_TERM_PASSWORD)
    encoded = stun.encode(_without_computed(message), integrity_key=key, fingerprint=True)
    # We pad with zeros where the vector pads USERNAME with spaces; up to the
    # MESSAGE-INTEGRITY attribute the bytes are otherwise identical.
    assert encoded[:76] == _zero(RFC5769_REQUEST, 73, 74, 75)[:76]
    assert len(encoded) == len(RFC5769_REQUEST)
    assert stun.verify_integrity(encoded, key)
    assert stun.decode(encoded).attributes[:4] == message.attributes[:4]


@pytest.mark.parametrize(
    ("vector", "address"),
    [
        (RFC5769_IPV4_RESPONSE, ("192.0.2.1", 32853)),
        (RFC5769_IPV6_RESPONSE, ("2001:db8:1234:5678:11:2233:4455:6677", 32853)),
    ],
)
def test_rfc5769_responses(vector: bytes, address: tuple[str, int]) -> None:
    message = stun.decode(vector)
    assert (message.method, message.cls, message.transaction_id) == (
        Method.BINDING,
        Class.SUCCESS,
        RFC5769_TRANSACTION_ID,
    )
    assert message.get("SOFTWARE") == "test vector"
    assert message.get("XOR-MAPPED-ADDRESS") == address
    assert stun.verify_integrity(vector, stun.short_term_key(RFC5769_SHORT_TERM_PASSWORD))
    assert message.get("FINGERPRINT") == int.from_bytes(vector[-4:], "big")


@pytest.mark.parametrize("vector", [RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE])
def test_rfc5769_responses_reencode(vector: bytes) -> None:
    key = stun.short_term_key(RFC5769_SHORT_TERM_PASSWORD)
    encoded = stun.encode(_without_computed(stun.decode(vector)), integrity_key=key, fingerprint=True)
    mi_offset = len(vector) - 32
    # Only the SOFTWARE padding byte (0x20 in the vector, 0 from us) differs before MESSAGE-INTEGRITY.
    assert encoded[:mi_offset] == _zero(vector, 35)[:mi_offset]
    assert stun.verify_integrity(encoded, key)


def test_rfc5769_long_term_request() -> None:
    message = stun.decode(RFC5769_LONG_TERM_REQUEST)
    assert message.transaction_id == bytes.fromhex("78ad3433c6ad72c029da412e")
    assert message.get("USERNAME") == RFC5769_USERNAME
    assert message.get("NONCE") == "f//499k954d6OL34oL9FSTvy64sA"
    assert message.get("REALM") == "example.org"
    assert message.get("FINGERPRINT") is None
    key = stun.long_term_key(RFC5769_USERNAME, "example.org", RFC5769_LONG_TERM_PASSWORD)
    assert stun.verify_integrity(RFC5769_LONG_TERM_REQUEST, key)
    # byte-exact re-encoding: this vector pads with zeros, as we do
    assert stun.encode(_without_computed(message), integrity_key=key) == RFC5769_LONG_TERM_REQUEST


def test_long_term_key_does_no_saslprep() -> None:
    unprepared = stun.long_term_key(RFC5769_USERNAME, "example.org", "The\u00adM\u00aatr\u2168")
    assert not stun.verify_integrity(RFC5769_LONG_TERM_REQUEST, unprepared)


def test_long_term_key_is_md5_of_user_realm_password() -> None:
    assert stun.long_term_key("user", "realm", "pass") == hashlib.md5(b"user:realm:pass").digest()


# --- message type, helpers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "cls", "wire"),
    [
        (Method.BINDING, Class.REQUEST, 0x0001),
        (Method.BINDING, Class.INDICATION, 0x0011),
        (Method.BINDING, Class.SUCCESS, 0x0101),
        (Method.BINDING, Class.ERROR, 0x0111),
        (Method.ALLOCATE, Class.ERROR, 0x0113),
        (Method.SEND, Class.INDICATION, 0x0016),
        (Method.DATA, Class.INDICATION, 0x0017),
        (Method.CHANNEL_BIND, Class.SUCCESS, 0x0109),
    ],
)
def test_message_type_interleaving(method: Method, cls: Class, wire: int) -> None:
    data = stun.encode(Message(method, cls, TID))
    assert data[:2] == wire.to_bytes(2, "big")
    assert (stun.decode(data).method, stun.decode(data).cls) == (method, cls)


def test_binding_request() -> None:
    message = stun.binding_request(TID)
    assert stun.encode(message) == bytes.fromhex("000100002112a442") + TID
    fresh = stun.binding_request()
    assert len(fresh.transaction_id) == 12 and fresh.transaction_id != stun.binding_request().transaction_id


def test_get_returns_first_or_default() -> None:
    message = Message(Method.BINDING, Class.SUCCESS, TID, (("LIFETIME", 1), ("LIFETIME", 2)))
    assert message.get("LIFETIME") == 1
    assert message.get("REALM") is None
    assert message.get("REALM", "x") == "x"


# --- round trips for every attribute type ----------------------------------------------

ROUND_TRIPS = [
    ("MAPPED-ADDRESS", ("192.0.2.1", 3478)),
    ("MAPPED-ADDRESS", ("2001:db8::1", 3478)),
    ("XOR-MAPPED-ADDRESS", ("198.51.100.7", 40211)),
    ("XOR-MAPPED-ADDRESS", ("::", 0)),
    ("XOR-MAPPED-ADDRESS", ("fe80::1:0:0:2", 65535)),
    ("USERNAME", "user:\u00e9"),
    ("ERROR-CODE", (401, "Unauthorized")),
    ("ERROR-CODE", (699, "")),
    ("UNKNOWN-ATTRIBUTES", (0x0024, 0x7001, 0x0003)),
    ("REALM", "example.org"),
    ("NONCE", "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"),
    ("PASSWORD-ALGORITHM", bytes.fromhex("00020000")),
    ("PASSWORD-ALGORITHMS", bytes.fromhex("0002000000010000")),
    ("USERHASH", bytes(range(32))),
    ("ALTERNATE-DOMAIN", "turn.example.org"),
    ("SOFTWARE", "coturn-4.6.1"),
    ("ALTERNATE-SERVER", ("203.0.113.1", 3479)),
    ("CHANGE-REQUEST", (True, False)),
    ("CHANGE-REQUEST", (False, True)),
    ("PADDING", bytes(7)),
    ("RESPONSE-PORT", 5000),
    ("RESPONSE-ORIGIN", ("192.0.2.2", 3478)),
    ("OTHER-ADDRESS", ("192.0.2.3", 3479)),
    ("CHANGED-ADDRESS", ("192.0.2.4", 3479)),
    ("CHANNEL-NUMBER", 0x4001),
    ("LIFETIME", 600),
    ("XOR-PEER-ADDRESS", ("2001:db8::42", 9)),
    ("DATA", b"ping"),
    ("XOR-RELAYED-ADDRESS", ("192.0.2.15", 50000)),
    ("REQUESTED-ADDRESS-FAMILY", 2),
    ("EVEN-PORT", True),
    ("EVEN-PORT", False),
    ("REQUESTED-TRANSPORT", 17),
    ("DONT-FRAGMENT", True),
    ("RESERVATION-TOKEN", bytes(range(8))),
    ("ADDITIONAL-ADDRESS-FAMILY", 2),
    ("ADDRESS-ERROR-CODE", (2, 440, "Address Family not Supported")),
    ("ICMP", (3, 1, 0x01020304)),
    ("PRIORITY", 0x6E0001FF),
    ("USE-CANDIDATE", True),
    ("ICE-CONTROLLED", 2**64 - 1),
    ("ICE-CONTROLLING", 1),
    ("0x7ABC", b"\x01\x02\x03"),
]


@pytest.mark.parametrize(("name", "value"), ROUND_TRIPS)
def test_attribute_round_trip(name: str, value: object) -> None:
    message = Message(Method.ALLOCATE, Class.SUCCESS, TID, ((name, value),))
    data = stun.encode(message, fingerprint=True)
    assert len(data) % 4 == 0
    assert stun.decode(data).attributes == ((name, value), ("FINGERPRINT", int.from_bytes(data[-4:], "big")))


def test_every_table_attribute_has_a_round_trip() -> None:
    computed = {"MESSAGE-INTEGRITY", "MESSAGE-INTEGRITY-SHA256", "FINGERPRINT"}  # tested with the vectors
    tested = {name for name, _ in ROUND_TRIPS} | computed
    assert {spec.name for spec in stun.ATTRIBUTES} <= tested


def test_xor_mapped_address_wire_form() -> None:
    data = stun.encode(
        Message(
            Method.BINDING,
            Class.SUCCESS,
            RFC5769_TRANSACTION_ID,
            (("XOR-MAPPED-ADDRESS", ("192.0.2.1", 32853)),),
        )
    )
    assert data[20:] == bytes.fromhex("00200008 0001a147 e112a643")


def test_unknown_attribute_is_kept_raw_in_order() -> None:
    data = _build(_tlv(0x8055, b"abcde") + _tlv(0x000D, bytes.fromhex("00000258")))
    assert stun.decode(data).attributes == (("0x8055", b"abcde"), ("LIFETIME", 600))


def test_attributes_after_message_integrity_are_ignored() -> None:
    data = _build(
        _tlv(0x0008, bytes(20)) + _tlv(0x000D, bytes(4)) + _tlv(0x001C, bytes(16)) + _tlv(0x8022, b"x")
    )
    assert stun.decode(data).attributes == (
        ("MESSAGE-INTEGRITY", bytes(20)),
        ("MESSAGE-INTEGRITY-SHA256", bytes(16)),
    )


def test_ignored_attribute_is_still_bounds_checked() -> None:
    data = _build(_tlv(0x0008, bytes(20)) + bytes.fromhex("000d0008 00000000"))
    with pytest.raises(DecodeError, match=r"^STUN attribute LIFETIME is truncated$"):
        stun.decode(data)


def test_software_with_bad_utf8_is_replaced() -> None:
    assert stun.decode(_build(_tlv(0x8022, b"ok\xff"))).get("SOFTWARE") == "ok\ufffd"


def test_error_reason_with_bad_utf8_is_replaced() -> None:
    assert stun.decode(_build(_tlv(0x0009, bytes.fromhex("00000401") + b"\xc3"))).get("ERROR-CODE") == (
        401,
        "\ufffd",
    )


# --- encoding refuses what it cannot write -----------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ((("FINGERPRINT", 1),), "STUN attribute FINGERPRINT is computed by encode(), not given"),
        (
            (("MESSAGE-INTEGRITY", bytes(20)),),
            "STUN attribute MESSAGE-INTEGRITY is computed by encode(), not given",
        ),
        ((("NO-SUCH", b""),), "unknown STUN attribute 'NO-SUCH'"),
        ((("XOR-MAPPED-ADDRESS", ("192.0.2.256", 1)),), "invalid IP address '192.0.2.256'"),
        ((("ERROR-CODE", (200, "OK")),), "STUN error code 200 is outside 300..699"),
        ((("DATA", bytes(65536)),), "STUN attribute DATA of 65536 bytes is too long"),
    ],
)
def test_encode_rejects(attributes: tuple[tuple[str, object], ...], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        stun.encode(Message(Method.BINDING, Class.REQUEST, TID, attributes))


def test_encode_rejects_short_transaction_id() -> None:
    with pytest.raises(ValueError, match="12 bytes"):
        stun.encode(Message(Method.BINDING, Class.REQUEST, b"short"))


# --- exact decode errors -------------------------------------------------------------------

ERRORS = [
    (
        "short header",
        RFC5769_IPV4_RESPONSE[:19],
        "STUN message has 19 bytes, shorter than the 20-byte header",
    ),
    ("empty", b"", "STUN message has 0 bytes, shorter than the 20-byte header"),
    ("top bits", b"\x41" + RFC5769_IPV4_RESPONSE[1:], "STUN message does not start with two zero bits"),
    (
        "bad cookie",
        _build(b"")[:4] + b"\x21\x12\xa4\x43" + TID,
        "STUN magic cookie is 0x2112A443, not 0x2112A442",
    ),
    ("length not multiple of 4", _build(bytes(4), length=2), "STUN message length 2 is not a multiple of 4"),
    (
        "length too big",
        _build(bytes(4), length=8),
        "STUN message length 8 does not match the 4 bytes after the header",
    ),
    (
        "trailing bytes",
        RFC5769_IPV4_RESPONSE + bytes(4),
        "STUN message length 60 does not match the 64 bytes after the header",
    ),
    ("unknown method", _build(b"", message_type=0x0105), "STUN method 0x005 is unknown"),
    (
        "truncated attribute",
        _build(bytes.fromhex("000d0008 00000000")),
        "STUN attribute LIFETIME is truncated",
    ),
    ("truncated unknown", _build(bytes.fromhex("7abc0005 00000000")), "STUN attribute 0x7ABC is truncated"),
    ("short value", _build(_tlv(0x000D, bytes(2))), "STUN attribute LIFETIME is truncated"),
    ("long value", _build(_tlv(0x000D, bytes(6))), "STUN attribute LIFETIME is 2 bytes too long"),
    (
        "bad family",
        _build(_tlv(0x0020, bytes.fromhex("0003a147e112a643"))),
        "STUN attribute XOR-MAPPED-ADDRESS has unknown address family 3",
    ),
    (
        "IPv6 in 8 bytes",
        _build(_tlv(0x0020, bytes.fromhex("0002a147e112a643"))),
        "STUN attribute XOR-MAPPED-ADDRESS is truncated",
    ),
    (
        "IPv4 in 20 bytes",
        _build(_tlv(0x0001, bytes.fromhex("0001a147") + bytes(16))),
        "STUN attribute MAPPED-ADDRESS is 12 bytes too long",
    ),
    (
        "bad fingerprint",
        RFC5769_IPV4_RESPONSE[:-1] + b"\x97",
        "STUN FINGERPRINT 0xC07D4C97 does not match the message (0xC07D4C96)",
    ),
    (
        "fingerprint not last",
        _build(_tlv(0x8028, bytes(4)) + _tlv(0x000D, bytes(4))),
        "STUN attribute FINGERPRINT is not the last attribute",
    ),
    (
        "fingerprint size",
        _build(_tlv(0x8028, bytes(8))),
        "STUN attribute FINGERPRINT has length 8, expected 4",
    ),
    (
        "integrity size",
        _build(_tlv(0x0008, bytes(4))),
        "STUN attribute MESSAGE-INTEGRITY has length 4, expected 20",
    ),
    (
        "sha256 size",
        _build(_tlv(0x001C, bytes(18))),
        "STUN attribute MESSAGE-INTEGRITY-SHA256 has length 18, expected a multiple of 4 from 16 to 32",
    ),
    ("userhash size", _build(_tlv(0x001E, bytes(31))), "STUN attribute USERHASH has length 31, expected 32"),
    (
        "bad error code",
        _build(_tlv(0x0009, bytes.fromhex("00000764"))),
        "STUN attribute ERROR-CODE has invalid code 800",
    ),
    (
        "error number",
        _build(_tlv(0x0009, bytes.fromhex("00000464"))),
        "STUN attribute ERROR-CODE has invalid code 500",
    ),
    ("username utf-8", _build(_tlv(0x0006, b"\xff")), "STUN attribute USERNAME is not valid UTF-8"),
    (
        "unknown-attributes odd",
        _build(_tlv(0x000A, bytes(3))),
        "STUN attribute UNKNOWN-ATTRIBUTES is truncated",
    ),
    ("flag with value", _build(_tlv(0x001A, bytes(1))), "STUN attribute DONT-FRAGMENT is 1 bytes too long"),
]


@pytest.mark.parametrize(
    ("data", "message"), [(data, message) for _, data, message in ERRORS], ids=[case for case, _, _ in ERRORS]
)
def test_decode_error_messages(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        stun.decode(data)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "vector", [RFC5769_REQUEST, RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE, RFC5769_LONG_TERM_REQUEST]
)
def test_every_prefix_decodes_or_raises_decode_error(vector: bytes) -> None:
    outcomes = set()
    for end in range(len(vector)):
        try:
            stun.decode(vector[:end])
            outcomes.add("decoded")
        except DecodeError as error:
            assert str(error).startswith("STUN ")
            outcomes.add("error")
    # the length field covers the whole message, so no proper prefix decodes
    assert outcomes == {"error"}


# --- integrity --------------------------------------------------------------------------


def test_encode_with_integrity_and_fingerprint_verifies() -> None:
    message = Message(Method.ALLOCATE, Class.REQUEST, TID, (("REQUESTED-TRANSPORT", 17), ("USERNAME", "u")))
    key = stun.long_term_key("u", "example.org", "secret")
    data = stun.encode(message, integrity_key=key, fingerprint=True)
    names = [name for name, _ in stun.decode(data).attributes]
    assert names[-2:] == ["MESSAGE-INTEGRITY", "FINGERPRINT"]
    assert stun.verify_integrity(data, key)
    assert not stun.verify_integrity(data, stun.long_term_key("u", "example.org", "other"))


def test_verify_integrity_without_attribute_is_false() -> None:
    assert not stun.verify_integrity(stun.encode(stun.binding_request(TID)), b"key")


def test_verify_integrity_on_garbage_raises_decode_error() -> None:
    with pytest.raises(DecodeError):
        stun.verify_integrity(b"\x00" * 3, b"key")


def test_tampered_message_fails_integrity() -> None:
    tampered = bytearray(RFC5769_LONG_TERM_REQUEST)
    tampered[-30] ^= 1  # inside REALM
    key = stun.long_term_key(RFC5769_USERNAME, "example.org", RFC5769_LONG_TERM_PASSWORD)
    assert not stun.verify_integrity(bytes(tampered), key)


# --- framing and demultiplexing -----------------------------------------------------------


def test_message_length_for_stream_framing() -> None:
    assert stun.message_length(RFC5769_IPV4_RESPONSE[:20]) == len(RFC5769_IPV4_RESPONSE)
    assert stun.message_length(RFC5769_REQUEST) == len(RFC5769_REQUEST)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (RFC5769_REQUEST[:12], "STUN message has 12 bytes, shorter than the 20-byte header"),
        (b"\x40\x00\x00\x04\x00\x00\x00\x00" + bytes(12), "STUN message does not start with two zero bits"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", "STUN message does not start with two zero bits"),
        (bytes(20), "STUN magic cookie is 0x00000000, not 0x2112A442"),
    ],
)
def test_message_length_rejects_non_stun(header: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        stun.message_length(header)
    assert str(caught.value) == message


def test_is_stun() -> None:
    assert stun.is_stun(RFC5769_REQUEST)
    assert stun.is_stun(RFC5769_IPV4_RESPONSE[:20])
    assert not stun.is_stun(RFC5769_REQUEST[:19])
    assert not stun.is_stun(stun.encode_channel_data(0x4000, bytes(20)))  # ChannelData: first byte 0x40
    assert not stun.is_stun(b"\x16\x03\x01" + bytes(30))  # TLS handshake
    assert not stun.is_stun(
        RFC5769_REQUEST[:4] + b"\x00\x00\x00\x00" + RFC5769_REQUEST[8:]
    )  # RFC 3489, no cookie


def test_channel_data_round_trip_and_padding() -> None:
    data = stun.encode_channel_data(0x4001, b"hello")
    assert data == bytes.fromhex("40010005") + b"hello" + bytes(3)
    assert stun.decode_channel_data(data) == (0x4001, b"hello")
    assert stun.decode_channel_data(data[:9]) == (0x4001, b"hello")  # unpadded, as over UDP
    assert stun.channel_data_length(data[:4]) == 12
    assert stun.decode_channel_data(stun.encode_channel_data(0x4FFF, b"")) == (0x4FFF, b"")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x40\x01", "STUN ChannelData has 2 bytes, shorter than the 4-byte header"),
        (bytes.fromhex("50000000"), "STUN ChannelData channel number 0x5000 is outside 0x4000..0x4FFF"),
        (bytes.fromhex("3fff0000"), "STUN ChannelData channel number 0x3FFF is outside 0x4000..0x4FFF"),
        (
            bytes.fromhex("40000008") + bytes(4),
            "STUN ChannelData length 8 exceeds the 4 bytes after the header",
        ),
        (
            bytes.fromhex("40000001") + bytes(5),
            "STUN ChannelData has 4 bytes after length 1, more than padding",
        ),
    ],
)
def test_decode_channel_data_errors(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        stun.decode_channel_data(data)
    assert str(caught.value) == message


def test_encode_channel_data_rejects_bad_channel() -> None:
    with pytest.raises(ValueError, match="0x3FFF"):
        stun.encode_channel_data(0x3FFF, b"")


# --- IP address text (our own, instead of importing socket/ipaddress) ---------------------------


@pytest.mark.parametrize(
    "text",
    [
        "::",
        "::1",
        "1::",
        "2001:db8::1",
        "2001:db8:0:1:1:1:1:1",
        "1:0:0:2::3",
        "1::2:0:0:3:4",
        "fe80::1:0:0:2",
        "2001:db8:1234:5678:11:2233:4455:6677",
    ],
)
def test_ipv6_text_is_rfc5952(text: str) -> None:
    message = Message(Method.BINDING, Class.SUCCESS, TID, (("XOR-MAPPED-ADDRESS", (text, 1)),))
    assert stun.decode(stun.encode(message)).get("XOR-MAPPED-ADDRESS") == (text, 1)
    assert text == str(ipaddress.IPv6Address(text))


def test_ipv6_input_forms_are_normalised() -> None:
    for given, expected in [
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("0:0::0:1", "::1"),
    ]:
        message = Message(Method.BINDING, Class.SUCCESS, TID, (("MAPPED-ADDRESS", (given, 1)),))
        assert stun.decode(stun.encode(message)).get("MAPPED-ADDRESS") == (expected, 1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.-4",
        "1.2.3.٤",
        ":::",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        "12345::",
        "g::",
        "::1.2.3",
        "1::2:3:4:5:6:7:8",
        "fe80::1%eth0",
        " ::1",
    ],
)
def test_invalid_ip_text_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid IP address"):
        stun.encode(Message(Method.BINDING, Class.SUCCESS, TID, (("MAPPED-ADDRESS", (text, 1)),)))
