# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault matrix: every check x every misbehaviour that applies x IPv4/IPv6.

The same table drives tests/robustness/test_matrix.py and is what
docs/fault-matrix.rst shows; regenerate that file with

    /usr/bin/python3 -m tests.robustness.matrix > docs/fault-matrix.rst

and test_matrix.py fails while the two differ.
"""

from __future__ import annotations

import re
from collections import namedtuple
from typing import Callable

from check_rtc.codec import stun

# Behaviours per kind of server (tests/robustness/kit.py), in table order.
DATAGRAM = ("refuse", "silent", "garbage", "oversized", "http", "other-transaction")
STREAM = ("refuse", "silent", "close", "reset", "trickle", "oversized", "garbage", "http", "tls-for-plain")
TLS = ("refuse", "stall-handshake", "half-tls", "plain-for-tls", "absurd-chain",
       "silent", "close", "reset", "trickle", "oversized", "garbage")
TLS_HANDSHAKE = ("refuse", "stall-handshake", "half-tls", "plain-for-tls", "absurd-chain")
BEHAVIOURS = {"udp": DATAGRAM, "tcp": STREAM, "tls": TLS, "dns-tcp": STREAM}
DESCRIPTIONS = {
    "refuse": "nothing listens: TCP reset, or ICMP port unreachable",
    "silent": "accepts (or receives) and never answers",
    "close": "reads the request and closes the connection",
    "reset": "starts an answer, then resets the connection",
    "trickle": "answers one byte a second, forever",
    "oversized": "answers 12 MB over a stream, or 64 KB datagrams",
    "garbage": "answers random bytes",
    "http": "an HTTP server on the port",
    "tls-for-plain": "a TLS server where plain text is expected",
    "stall-handshake": "accepts TCP, never starts the TLS handshake",
    "half-tls": "sends the first bytes of a ServerHello, then stalls",
    "plain-for-tls": "plain text (HTTP) where TLS is expected",
    "absurd-chain": "completes TLS with a chain of 61 certificates",
    "other-transaction": "answers, but for another transaction",
}
TIMEOUT = 1.5


class Target(namedtuple("Target", "check module kind transport args other label only", defaults=(None, None))):
    """One check on one transport: how to run it against a server at (address, port)."""

    __slots__ = ()
    check: str
    module: str
    kind: str  # the kit's server kind: udp, tcp, tls, or dns-tcp (UDP answers TC, then TCP)
    transport: str  # the check's -T value
    args: Callable[[str, int, dict[str, str]], list[str]]
    other: Callable[[bytes], list[bytes]] | None  # "answer for another transaction", where it means something
    label: str | None  # the table's name, for checks without -T
    only: tuple[str, ...] | None  # the behaviours that apply, when not all of the kind's do

    @property
    def name(self) -> str:
        return self.label or f"{self.check} -T {self.transport}"

    def reason(self, address: str, port: int) -> str:
        """A regular expression for the status line's reason: it names the endpoint (the
        record checks: the DNS server asked) and says more than that."""
        where = re.escape(f"[{address}]:{port}" if ":" in address else f"{address}:{port}")
        if self.module in RECORD_CHECKS:
            return rf".*: DNS \S+ \S+ via {where}( \(TCP\))?: .{{6,}}"
        return rf"{where}/{self.transport}: .{{6,}}"

    def behaviours(self) -> tuple[str, ...]:
        applicable = self.only or BEHAVIOURS[self.kind]
        return tuple(b for b in applicable if b != "other-transaction" or self.other is not None)


def _stun_other(data: bytes) -> list[bytes]:
    """A well-formed STUN answer with a transaction id nobody asked for."""
    try:
        request = stun.decode(data)
    except ValueError:
        return []
    answer = stun.Message(request.method, stun.Class.SUCCESS, stun.new_transaction_id(),
                          (("XOR-MAPPED-ADDRESS", ("192.0.2.1", 4242)),))
    return [stun.encode(answer)]


def _sip_other(data: bytes) -> list[bytes]:
    """A 200 OK for another Call-ID, copying nothing from the request."""
    return [b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKother\r\nCall-ID: other@192.0.2.1\r\n"
            b"From: <sip:a@example.test>;tag=1\r\nTo: <sip:b@example.test>;tag=2\r\nCSeq: 1 OPTIONS\r\n"
            b"Content-Length: 0\r\n\r\n"]


def _dns_other(query: bytes) -> list[bytes]:
    """A response to the question asked, with another ID (RFC 5452 §9.1: not a match)."""
    return [bytes((query[0] ^ 0xFF, query[1])) + b"\x81\x80" + query[4:]]


def _common(address: str, port: int, transport: str, files: dict[str, str]) -> list[str]:
    return ["-H", address, "-p", str(port), "-T", transport, "--ca-file", files["ca"], "-t", str(TIMEOUT)]


def _stun(transport: str) -> Callable[[str, int, dict[str, str]], list[str]]:
    return lambda address, port, files: _common(address, port, transport, files)


def _turn(transport: str) -> Callable[[str, int, dict[str, str]], list[str]]:
    return lambda address, port, files: _common(address, port, transport, files) + [
        "-u", "user", "--password-file", files["password"]]


def _domain(transport: str) -> Callable[[str, int, dict[str, str]], list[str]]:
    return lambda address, port, files: _common(address, port, transport, files) + ["-d", "example.test"]


def _cert(address: str, port: int, files: dict[str, str]) -> list[str]:
    """check_rtc_cert -P tls (its -T is implied by -P)."""
    return ["-H", address, "-p", str(port), "-P", "tls", "--ca-file", files["ca"], "-t", str(TIMEOUT)]


def _rtcp(transport: str) -> Callable[[str, int, dict[str, str]], list[str]]:
    """check_rtcp --turn: a short test stream through the TURN server under test."""
    return lambda address, port, files: ["--turn", "--duration", "0.5"] + _turn(transport)(address, port, files)


def _call(transport: str) -> Callable[[str, int, dict[str, str]], list[str]]:
    """check_rtc_call: an INVITE to the server under test."""
    return lambda address, port, files: _domain(transport)(address, port, files) + [
        "--uri", "sip:echo@example.test", "--duration", "0.1"]


def _records(*args: str) -> Callable[[str, int, dict[str, str]], list[str]]:
    """A record check asking the server at (address, port) only."""
    def argv(address: str, port: int, files: dict[str, str]) -> list[str]:
        server = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        return [*args, "--dns-server", server, "-t", str(TIMEOUT)]

    return argv


RECORD_CHECKS = ("check_rtc.checks.dns", "check_rtc.checks.enum")
TARGETS: tuple[Target, ...] = (
    Target("check_stun", "check_rtc.checks.stun", "udp", "udp", _stun("udp"), _stun_other),
    Target("check_stun", "check_rtc.checks.stun", "tcp", "tcp", _stun("tcp"), None),
    Target("check_stun", "check_rtc.checks.stun", "tls", "tls", _stun("tls"), None),
    Target("check_turn", "check_rtc.checks.turn", "udp", "udp", _turn("udp"), _stun_other),
    Target("check_turn", "check_rtc.checks.turn", "tcp", "tcp", _turn("tcp"), None),
    Target("check_turn", "check_rtc.checks.turn", "tls", "tls", _turn("tls"), None),
    Target("check_sip", "check_rtc.checks.sip", "udp", "udp", _domain("udp"), _sip_other),
    Target("check_sip", "check_rtc.checks.sip", "tcp", "tcp", _domain("tcp"), None),
    Target("check_sip", "check_rtc.checks.sip", "tls", "tls", _domain("tls"), None),
    Target("check_sip", "check_rtc.checks.sip", "tcp", "ws", _domain("ws"), None),
    Target("check_sip", "check_rtc.checks.sip", "tls", "wss", _domain("wss"), None),
    Target("check_xmpp", "check_rtc.checks.xmpp", "tcp", "starttls", _domain("starttls"), None),
    Target("check_xmpp", "check_rtc.checks.xmpp", "tls", "tls", _domain("tls"), None),
    # A certificate check is done once the handshake is: what the server does
    # after it (silence, garbage...) is not the certificate's business.
    Target("check_rtc_cert", "check_rtc.checks.cert", "tls", "tls", _cert, None, "check_rtc_cert -P tls",
           TLS_HANDSHAKE),
    Target("check_rtcp", "check_rtc.checks.rtcp", "udp", "udp", _rtcp("udp"), _stun_other, "check_rtcp --turn -T udp"),
    Target("check_rtcp", "check_rtc.checks.rtcp", "tcp", "tcp", _rtcp("tcp"), None, "check_rtcp --turn -T tcp"),
    Target("check_rtcp", "check_rtc.checks.rtcp", "tls", "tls", _rtcp("tls"), None, "check_rtcp --turn -T tls"),
    Target("check_rtc_call", "check_rtc.checks.call", "udp", "udp", _call("udp"), _sip_other),
    Target("check_rtc_call", "check_rtc.checks.call", "tcp", "tcp", _call("tcp"), None),
    Target("check_rtc_call", "check_rtc.checks.call", "tls", "tls", _call("tls"), None),
    Target("check_rtc_dns", RECORD_CHECKS[0], "udp", "udp", _records("-d", "example.test"), _dns_other,
           "check_rtc_dns (UDP)"),
    Target("check_rtc_dns", RECORD_CHECKS[0], "dns-tcp", "tcp", _records("-d", "example.test"), None,
           "check_rtc_dns (TC, TCP)"),
    Target("check_enum", RECORD_CHECKS[1], "udp", "udp", _records("-n", "+442079460000"), _dns_other,
           "check_enum (UDP)"),
    Target("check_enum", RECORD_CHECKS[1], "dns-tcp", "tcp", _records("-n", "+442079460000"), None,
           "check_enum (TC, TCP)"),
)


def cells() -> list[tuple[Target, str, str]]:
    """(target, behaviour, address) for every case the matrix runs."""
    return [(t, b, a) for t in TARGETS for b in t.behaviours() for a in ("127.0.0.1", "::1")]


def render() -> str:
    """The matrix as reStructuredText: the state every case must end in."""
    columns = [b for kind in ("udp", "tcp", "tls") for b in BEHAVIOURS[kind]]
    columns = list(dict.fromkeys(columns))
    width = max(len(t.name) for t in TARGETS)
    rule = "=" * width + "  " + "  ".join("=" * len(c) for c in columns)
    lines = [
        "Fault matrix",
        "============",
        "",
        "Generated from ``tests/robustness/matrix.py``; ``tests/robustness/test_matrix.py``",
        "runs every cell over 127.0.0.1 and ::1 with ``-t 1.5`` and asserts: the state",
        "shown (C: CRITICAL), a one-line reason naming the endpoint, the end before",
        "``-t`` plus half a second, peak memory under 100 MB, no traceback, no file",
        "descriptor or child process left behind. ``-``: does not apply.",
        "check_rtc_dns and check_enum ask the fault server as ``--dns-server``; in the",
        "(TC, TCP) rows it answers every UDP query truncated (TC), so the misbehaviour",
        "is met over TCP on the same port (RFC 7766 §5).",
        "",
        rule,
        "check".ljust(width) + "  " + "  ".join(columns),
        rule,
    ]
    for target in TARGETS:
        marks = ["C" if c in target.behaviours() else "-" for c in columns]
        lines.append(target.name.ljust(width) + "  " + "  ".join(m.ljust(len(c)) for m, c in zip(marks, columns)))
    lines += [rule, ""]
    lines += [f"- ``{name}``: {text}" for name, text in DESCRIPTIONS.items()]
    return "\n".join(line.rstrip() for line in lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
