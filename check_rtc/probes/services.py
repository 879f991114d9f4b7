# SPDX-License-Identifier: GPL-3.0-or-later
"""How each protocol is found in DNS (probe layer): SRV owner labels, default ports, NAPTR services.

One definition for the protocol probes (discovery) and for check_rtc_dns
(which judges the same records); a module of constants, so check_rtc_dns
does not pay for importing the probes and their codecs (5 ms per start).
"""

from __future__ import annotations

from collections import namedtuple


class Service(namedtuple("Service", "srv default_ports naptr", defaults=({},))):
    """How a protocol is found: SRV owner label and default port per transport,
    and, for protocols with a NAPTR step (RFC 3263, RFC 5928), the NAPTR
    service field that stands for each transport."""

    __slots__ = ()
    srv: dict[str, str]
    default_ports: dict[str, int]
    naptr: dict[str, str]


# RFC 3263 §4.1 NAPTR services and RFC 7118 §10.3 ("SIP+D2W", "SIPS+D2W");
# SRV owners _sip._udp, _sip._tcp, _sips._tcp (RFC 3263 §4.2). RFC 7118 names
# no SRV label for WebSocket: _sip._ws/_sips._ws follow RFC 3263's pattern, so
# a zone can publish them; without records the domain itself is probed on the
# RFC 6455 default ports 80 and 443. SIP ports: RFC 3261 §19.1.2 (5060, 5061).
SIP = Service(
    srv={"udp": "_sip._udp", "tcp": "_sip._tcp", "tls": "_sips._tcp", "ws": "_sip._ws", "wss": "_sips._ws"},
    default_ports={"udp": 5060, "tcp": 5060, "tls": 5061, "ws": 80, "wss": 443},
    naptr={"SIPS+D2T": "tls", "SIP+D2T": "tcp", "SIP+D2U": "udp", "SIP+D2W": "ws", "SIPS+D2W": "wss"},
)

# RFC 8489 §8: "_stun._udp", "_stun._tcp" and "_stuns._tcp"; default ports
# 3478 for "stun" and 5349 for "stuns" (§18.3 / IANA).
STUN = Service(
    srv={"udp": "_stun._udp", "tcp": "_stun._tcp", "tls": "_stuns._tcp"},
    default_ports={"udp": 3478, "tcp": 3478, "tls": 5349},
)

# RFC 5928 §4: NAPTR services "RELAY:turn.udp", "RELAY:turn.tcp", "RELAY:turn.tls";
# RFC 8656 §3.1 / RFC 7065: SRV "_turn._udp", "_turn._tcp", "_turns._tcp".
TURN = Service(
    srv={"udp": "_turn._udp", "tcp": "_turn._tcp", "tls": "_turns._tcp"},
    default_ports={"udp": 3478, "tcp": 3478, "tls": 5349},
    naptr={"RELAY:TURN.UDP": "udp", "RELAY:TURN.TCP": "tcp", "RELAY:TURN.TLS": "tls"},
)

# RFC 6120 §3.2.1 (SRV "xmpp-client"/"xmpp-server", fallback to the domain on
# 5222/5269 per §3.2.2) and XEP-0368 §3 ("xmpps-client"/"xmpps-server").
# XEP-0368 names no default port; 5223 and 5270 are the customary ones.
XMPP = {
    "c2s": Service(srv={"starttls": "_xmpp-client._tcp", "tls": "_xmpps-client._tcp"},
                   default_ports={"starttls": 5222, "tls": 5223}),
    "s2s": Service(srv={"starttls": "_xmpp-server._tcp", "tls": "_xmpps-server._tcp"},
                   default_ports={"starttls": 5269, "tls": 5270}),
}
