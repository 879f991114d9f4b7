# SPDX-License-Identifier: GPL-3.0-or-later
"""The test call's media: RTP and RTCP on a port pair, both ways, for the call's duration (probes layer; RFC 3550, RFC 3264).

The session is codec/rtp_session.py, the same test session check_rtcp
streams through TURN; here it runs on two UDP sockets (RTP on an even
port, RTCP on the next, RFC 3550 §11) towards the address and ports of the
SDP answer, in its own thread while the signalling thread watches the
dialog. Every source that sent us RTP is counted, so media from another
address or port than the answer named is reported (RFC 3264 §6.1 says
where the answerer receives; a far end behind NAT or a media relay sends
from elsewhere).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time

from check_rtc.codec import rtcp
from check_rtc.codec.rtp_session import RtpSession
from check_rtc.errors import TransportError

# After our final RTCP (SR + BYE): how long to wait for the far end's last report.
FINAL_REPORT_SECONDS = 0.3
PORT_ATTEMPTS = 50
RECEIVE_BYTES = 65536


class PortPair:
    """Two UDP sockets on `address`: RTP on an even port, RTCP on the next (RFC 3550 §11)."""

    def __init__(self, address: str) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        for _ in range(PORT_ATTEMPTS):
            rtp = socket.socket(family, socket.SOCK_DGRAM)
            rtp.bind((address, 0))
            port = rtp.getsockname()[1]
            if port % 2 == 0 and port < 65535:
                rtcp_sock = socket.socket(family, socket.SOCK_DGRAM)
                try:
                    rtcp_sock.bind((address, port + 1))
                except OSError:
                    rtcp_sock.close()
                else:
                    self.address, self.port, self.rtp, self.rtcp = address, port, rtp, rtcp_sock
                    return
            rtp.close()
        raise TransportError(f"no free RTP/RTCP port pair on {address}")

    def close(self) -> None:
        self.rtp.close()
        self.rtcp.close()


class MediaStream:
    """Our side of the call's audio: sends the session's packets, hears the far end's."""

    def __init__(self, ports: PortPair, session: RtpSession, remote: tuple[str, int, int]) -> None:
        self.ports = ports
        self.session = session
        self.remote_rtp = (remote[0], remote[1])
        self.remote_rtcp = (remote[0], remote[2])
        self.sources: dict[tuple[str, int], int] = {}  # RTP sources and packet counts
        self.rtcp_packets = 0
        self.stop = threading.Event()
        self.error: TransportError | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, seconds: float) -> None:
        self._thread.join(seconds)

    def _run(self) -> None:
        try:
            self._stream()
        except TransportError as exc:
            self.error = exc

    def _stream(self) -> None:
        session = self.session
        while time.monotonic() < session.end and not self.stop.is_set():
            for packet in session.due(time.monotonic()):
                self._send(packet)
            self._listen(min(session.timer(), session.end))
        self._send(session.goodbye(time.monotonic()))
        final = time.monotonic() + FINAL_REPORT_SECONDS
        while not session.peer_left and time.monotonic() < final and not self.stop.is_set():
            self._listen(final)

    def _send(self, packet: bytes) -> None:
        # RFC 5761 §4: RTCP packet types 200-204 tell RTCP from RTP; each goes to its port.
        sock, where = ((self.ports.rtcp, self.remote_rtcp) if rtcp.looks_like_rtcp(packet)
                       else (self.ports.rtp, self.remote_rtp))
        try:
            sock.sendto(packet, where)
        except OSError as exc:
            raise TransportError(f"RTP send to {where[0]}:{where[1]}: {exc.strerror or exc}") from None

    def _listen(self, until: float) -> None:
        """Everything that arrives on either socket before `until` (monotonic)."""
        while (left := until - time.monotonic()) > 0:
            ready, _, _ = select.select([self.ports.rtp, self.ports.rtcp], [], [], left)
            if not ready:
                return
            for sock in ready:
                self._receive(sock)

    def _receive(self, sock: socket.socket) -> None:
        try:
            data, source = sock.recvfrom(RECEIVE_BYTES)
        except OSError:  # an ICMP error for an earlier send: nothing to read
            return
        if sock is self.ports.rtp:
            where = (str(source[0]), int(source[1]))
            self.sources[where] = self.sources.get(where, 0) + 1
        else:
            self.rtcp_packets += 1
        self.session.receive(data, time.monotonic())


def new_session(payload_type: int, clock_rate: int, ptime_ms: int, duration: float, payload: bytes) -> RtpSession:
    """Our RTP session, starting now."""
    ssrc = int.from_bytes(os.urandom(4), "big")
    return RtpSession(ssrc, payload_type, clock_rate, ptime_ms / 1000, time.monotonic(), duration,
                      "check_rtc_call@check-rtc", time.time() - time.monotonic(), payload=payload)
