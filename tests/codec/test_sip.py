# SPDX-License-Identifier: GPL-3.0-or-later
"""SIP codec, digest, WebSocket codec and RFC 5922 identity on bytes and dicts (no I/O)."""

from __future__ import annotations

import pytest

from check_rtc.codec import sip, sip_digest, websocket
from check_rtc.errors import DecodeError
from check_rtc.identity import IdentityError, verify_identity

# What the lab's kamailio 5.6.3 answered over TCP to an OPTIONS built by encode_request() (raw socket capture).
KAMAILIO_200 = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/TCP 127.0.0.1:33522;branch=z9hG4bK-0011223344556677;rport=33522;received=127.0.0.1\r\n"
    b"From: <sip:check_sip@127.0.0.1>;tag=8f1e\r\n"
    b"To: <sip:127.0.0.1>;tag=1b8e30c19dc02bf61890008b59371cad.5cf5df6c\r\n"
    b"Call-ID: 1a2b@check_sip\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Server: kamailio (5.6.3 (x86_64/linux))\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def spec(**changes: object) -> sip.RequestSpec:
    base = sip.RequestSpec("OPTIONS", "sip:example.test", "udp", "::1", 5062, "sip:check_sip@example.test", "t1",
                           "sip:example.test", "c1@check_sip", 1, "z9hG4bK-1", "check_sip")
    return base._replace(**changes)


def test_request_has_the_mandatory_fields() -> None:
    assert sip.encode_request(spec()) == (
        b"OPTIONS sip:example.test SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP [::1]:5062;branch=z9hG4bK-1;rport\r\n"
        b"Max-Forwards: 70\r\n"
        b"From: <sip:check_sip@example.test>;tag=t1\r\n"
        b"To: <sip:example.test>\r\n"
        b"Call-ID: c1@check_sip\r\n"
        b"CSeq: 1 OPTIONS\r\n"
        b"User-Agent: check_sip\r\n"
        b"Accept: application/sdp\r\n"
        b"Content-Length: 0\r\n\r\n"
    )


def test_branches_and_tokens_are_unique() -> None:
    branches = {sip.new_branch() for _ in range(100)}
    assert len(branches) == 100 and all(b.startswith("z9hG4bK") for b in branches)
    assert len({sip.new_token() for _ in range(100)}) == 100


def test_decode_captured_kamailio_answer() -> None:
    response = sip.decode_response(KAMAILIO_200)
    assert (response.code, response.reason) == (200, "OK")
    assert response.get("SERVER") == "kamailio (5.6.3 (x86_64/linux))"
    assert sip.via_branch(response.get("via") or "") == "z9hG4bK-0011223344556677"
    assert sip.cseq(response.get("cseq") or "") == (1, "OPTIONS")


def test_compact_forms_folding_and_bare_lf() -> None:
    data = b"SIP/2.0 404 Not  Here\nv: SIP/2.0/UDP h;branch=b1, SIP/2.0/UDP k;branch=b2\ni: x\n" \
           b"Allow: INVITE,\n OPTIONS\nl: 3\n\nabcdef"
    response = sip.decode_response(data)
    assert (response.code, response.reason, response.body) == (404, "Not  Here", b"abc")
    assert response.get("call-id") == "x" and response.get("allow") == "INVITE, OPTIONS"
    assert sip.via_branch(response.get("via") or "") == "b1"


@pytest.mark.parametrize("data, message", [
    (b"SIP/2.0 200 OK\r\nVia: x", "SIP message has no end of header section"),
    (b"HTTP/1.1 200 OK\r\n\r\n", "SIP status line expected, got 'HTTP/1.1 200 OK'"),
    (b"SIP/2.0 2000 OK\r\n\r\n", "SIP status code '2000' is not 100-699"),
    (b"SIP/2.0 200 OK\r\nno colon here\r\n\r\n", "SIP header line without a name: 'no colon here'"),
    (b"SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nabc", "SIP body is truncated (3 of 10 bytes)"),
    (b"SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n", "SIP Content-Length '-1' is not 0-65536"),
])
def test_decode_errors_are_exact(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as error:
        sip.decode_response(data)
    assert str(error.value) == message


def test_stream_framing_by_content_length_byte_by_byte() -> None:
    body = b"v=0\r\n"
    second = KAMAILIO_200.replace(b"Content-Length: 0", b"Content-Length: %d" % len(body)) + body
    framer = sip.StreamFramer()
    messages = []
    for byte in b"\r\n\r\n" + KAMAILIO_200 + second:  # keep-alive CRLFs first (RFC 5626 §3.5.1)
        framer.receive_data(bytes([byte]))
        while (message := framer.next_message()) is not None:
            messages.append(message)
    assert messages == [KAMAILIO_200, second]


def test_stream_framing_refuses_a_never_ending_header() -> None:
    framer = sip.StreamFramer()
    framer.receive_data(b"SIP/2.0 200 OK\r\n" + b"X: y\r\n" * 3000)
    with pytest.raises(DecodeError, match="^SIP header section exceeds 16384 bytes$"):
        framer.next_message()


def test_challenge_parameters_with_quoted_pairs() -> None:
    scheme, params = sip.parse_challenge(
        'Digest realm="a \\"b\\", c", nonce="n1",qop="auth,auth-int", algorithm=SHA-256, stale=FALSE')
    assert scheme == "Digest"
    assert params == {"realm": 'a "b", c', "nonce": "n1", "qop": "auth,auth-int", "algorithm": "SHA-256",
                      "stale": "FALSE"}


# RFC 7616 §3.9.1: the published examples (HTTP, same computation as RFC 3261 §22.4 with qop=auth).
RFC7616 = dict(realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
               opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


@pytest.mark.parametrize("algorithm, response", [
    ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
])
def test_digest_matches_rfc7616_examples(algorithm: str, response: str) -> None:
    challenge = sip_digest.Challenge("Authorization", RFC7616["realm"], RFC7616["nonce"], algorithm, "auth",
                                     RFC7616["opaque"])
    value = sip_digest.authorization(challenge, "Mufasa", "Circle of Life", "GET", "/dir/index.html", CNONCE)
    assert f'response="{response}"' in value
    assert value.startswith('Digest username="Mufasa", realm="http-auth@example.org", ')
    assert value.endswith(f'qop=auth, nc=00000001, cnonce="{CNONCE}", opaque="{RFC7616["opaque"]}"')


def challenged(code: int, *challenges: str) -> sip.Response:
    name = "proxy-authenticate" if code == 407 else "www-authenticate"
    return sip.Response(code, "Unauthorized", tuple((name, c) for c in challenges), b"")


def test_strongest_offered_challenge_is_picked() -> None:
    response = challenged(401, 'Digest realm="r", nonce="n", algorithm=MD5, qop="auth"',
                          'Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth"')
    assert sip_digest.pick_challenge(response) == sip_digest.Challenge("Authorization", "r", "n2", "SHA-256",
                                                                       "auth", None)


def test_proxy_challenge_without_qop_uses_the_legacy_response() -> None:
    challenge = sip_digest.pick_challenge(challenged(407, 'Digest realm="r", nonce="n"'))
    assert challenge == sip_digest.Challenge("Proxy-Authorization", "r", "n", "MD5", None, None)
    value = sip_digest.authorization(challenge, "u", "p", "OPTIONS", "sip:r", "c")
    assert "qop" not in value and "cnonce" not in value


def test_unsupported_challenges_are_none() -> None:
    assert sip_digest.pick_challenge(challenged(401, 'Basic realm="r"', 'Digest realm="r"',
                                                'Digest nonce="n", algorithm=SHA-1')) is None


# -- WebSocket (RFC 6455) -------------------------------------------------------
def test_rfc6455_accept_value() -> None:
    # RFC 6455 §1.3: the example key and its Sec-WebSocket-Accept.
    assert websocket.expected_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_handshake_answer_is_checked() -> None:
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    good = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
    websocket.check_handshake(good, key)
    with pytest.raises(DecodeError, match="^WebSocket server did not accept the 'sip' subprotocol$"):
        websocket.check_handshake(good.replace(b"Protocol: sip", b"Protocol: xmpp"), key)
    with pytest.raises(DecodeError, match="^WebSocket handshake answer has a wrong Sec-WebSocket-Accept$"):
        websocket.check_handshake(good.replace(b"s3pP", b"AAAA"), key)


def test_handshake_request_names_host_and_subprotocol() -> None:
    request = websocket.handshake_request("::1", 8443, "/ws", "k", "sip", default_port=443)
    assert request.startswith(b"GET /ws HTTP/1.1\r\nHost: [::1]:8443\r\n")
    assert b"Sec-WebSocket-Protocol: sip\r\n" in request and request.endswith(b"\r\n\r\n")


def test_client_frames_are_masked_per_rfc6455_example() -> None:
    # RFC 6455 §5.7: 'A single-frame masked text message ("Hello")'
    assert websocket.encode_frame(websocket.OP_TEXT, b"Hello", bytes.fromhex("37fa213d")) == \
        bytes.fromhex("818537fa213d7f9f4d5158")


def test_server_frames_fragments_and_control_frames() -> None:
    decoder = websocket.FrameDecoder()
    # RFC 6455 §5.7: fragmented unmasked "Hel" + "lo", with a ping in between.
    decoder.receive_data(bytes.fromhex("010348656c") + bytes.fromhex("8900") + bytes.fromhex("80026c6f"))
    assert decoder.next_message() == (websocket.OP_PING, b"")
    assert decoder.next_message() == (websocket.OP_TEXT, b"Hello")
    assert decoder.next_message() is None
    decoder.receive_data(bytes([0x82, 126, 1, 0]) + bytes(255))
    assert decoder.next_message() is None  # one byte short
    decoder.receive_data(b"\0")
    assert decoder.next_message() == (websocket.OP_BINARY, bytes(256))


def test_masked_server_frame_is_refused() -> None:
    decoder = websocket.FrameDecoder()
    decoder.receive_data(bytes.fromhex("818537fa213d7f9f4d5158"))
    with pytest.raises(DecodeError, match="^WebSocket frame from the server is masked$"):
        decoder.next_message()


# -- identity (RFC 6125, RFC 5922) ----------------------------------------------
def cert(*sans: tuple[str, str], cn: str | None = None) -> dict[str, object]:
    subject = ((("commonName", cn),),) if cn else ()
    return {"subject": subject, "subjectAltName": sans}


SIP = dict(uri_schemes=("sip",), allow_wildcards=False)


def test_sip_uri_and_dns_ids_match() -> None:
    assert verify_identity(cert(("URI", "sip:Example.TEST")), "example.test.", **SIP) == "SAN URI sip:Example.TEST"
    assert verify_identity(cert(("DNS", "example.test")), "EXAMPLE.test", **SIP) == "SAN DNS example.test"
    assert verify_identity(cert(("IP Address", "0:0:0:0:0:0:0:1\n")), "::1", **SIP) == "SAN IP 0:0:0:0:0:0:0:1\n"


def test_uri_with_a_user_or_another_scheme_does_not_match() -> None:
    with pytest.raises(IdentityError, match="^certificate does not name example.test "
                                            r"\(it names URI sip:alice@example.test, URI xmpp:example.test\)$"):
        verify_identity(cert(("URI", "sip:alice@example.test"), ("URI", "xmpp:example.test")), "example.test", **SIP)


def test_cn_only_without_san() -> None:
    assert verify_identity(cert(cn="example.test"), "example.test", **SIP) == "subject CN example.test"
    with pytest.raises(IdentityError, match=r"\(it names DNS other.test\)$"):
        verify_identity(cert(("DNS", "other.test"), cn="example.test"), "example.test", **SIP)


def test_wildcards_match_one_label_only_where_allowed() -> None:
    wildcard = cert(("DNS", "*.example.test"))
    assert verify_identity(wildcard, "sip.example.test") == "SAN DNS *.example.test"
    for name in ("example.test", "a.b.example.test"):
        with pytest.raises(IdentityError):
            verify_identity(wildcard, name)
    with pytest.raises(IdentityError, match=r"^certificate has only wildcard names \(\*.example.test\); "
                                            "RFC 5922 §7.2 forbids wildcard certificates for SIP$"):
        verify_identity(wildcard, "sip.example.test", **SIP)


def test_mismatch_lists_a_few_names() -> None:
    many = cert(*(("DNS", f"n{i}.test") for i in range(6)))
    with pytest.raises(IdentityError, match=r"\(it names DNS n0.test, DNS n1.test, DNS n2.test, DNS n3.test and 2 more\)$"):
        verify_identity(many, "example.test", **SIP)
