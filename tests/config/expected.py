# SPDX-License-Identifier: GPL-3.0-or-later
"""What each sample service shows against the lab: state, summary and perfdata.

One entry per kind of sample service, shared by the Nagios and Icinga 2
runs (they run the same check with the same arguments). Timings vary, so
their perfdata values are matched by pattern; everything else is exact.
"""

from __future__ import annotations

import re
from typing import NamedTuple

SECONDS = r"\d+\.\d{6}s;;;0"


class Expected(NamedTuple):
    """A service's result: state, summary pattern, perfdata label suffix -> value pattern."""

    state: str
    summary: str
    perfdata: dict[str, str]

    def check(self, output: str, perfdata: str, endpoint: str, semicolon: str = ";") -> None:
        """Assert the plugin output and perfdata of a result for `endpoint` (e.g.
        127.0.0.1:5061/tls); Nagios 4 shows each ';' of the output as ':' (`semicolon`)."""
        summary = self.summary.replace("{endpoint}", re.escape(endpoint)).replace(";", semicolon)
        assert re.fullmatch(summary, output), repr(output)
        # Nagios keeps the plugin's quotes around labels; Icinga 2 quotes only labels with spaces
        values = {label.strip("'"): value for label, value in re.findall(r"('[^']+'|[^ =]+)=(\S+)", perfdata)}
        assert set(values) == {f"{endpoint}_{suffix}" for suffix in self.perfdata}, perfdata
        for suffix, pattern in self.perfdata.items():
            assert re.fullmatch(pattern, values[f"{endpoint}_{suffix}"]), (suffix, perfdata)


CERT_DAYS = r"(89\.\d|90\.0);21:;7:"
TIME = r"\d\.\d{3,4}s"
STUN = Expected("OK", r"STUN OK - {endpoint}: Binding answered in " + TIME + r", mapped address \S+, "
                r"software \"Coturn-[\d.]+ '\w+'\"", {"rtt": SECONDS})
TURN = Expected("OK", r"TURN OK - {endpoint}: relayed address \S+, mapped \S+, lifetime 600s, allocated in " + TIME
                + r"; relay round trip " + TIME + r" \(Send/Data\), " + TIME + r" \(ChannelData\); "
                r"refused permissions towards 5 private address classes",
                {"allocate": SECONDS, "relay_rtt": SECONDS, "channel_rtt": SECONDS, "lifetime": "600s;;;0",
                 "time": SECONDS})
SIP_TLS = Expected("OK", r"SIP OK - {endpoint}: 200 OK in " + TIME + r", server \"kamailio \(5\.6\.\d+ \(x86_64/linux\)\)\", "
                   r"TLSv1\.3, certificate example\.test \(SAN DNS example\.test\), expires in \d+\.\d days",
                   {"rtt": SECONDS, "cert_days": CERT_DAYS})
XMPP_TLS = r"STARTTLS required, TLSv1\.3, certificate valid \d+ days, SAN DNS example\.test"
XMPP_C2S = Expected("OK", r"XMPP OK - {endpoint}: negotiated in \d\.\d{3}s: " + XMPP_TLS
                    + r", SASL (SCRAM-SHA-1 PLAIN|PLAIN SCRAM-SHA-1), login \d\.\d{3}s, ping \d\.\d{3}s",
                    {"rtt": SECONDS, "connect": SECONDS, "tls": SECONDS, "cert_days": CERT_DAYS,
                     "login": SECONDS, "ping": SECONDS})
XMPP_S2S = Expected("OK", r"XMPP OK - {endpoint}: negotiated in \d\.\d{3}s: " + XMPP_TLS + r", SASL none, dialback",
                    {"rtt": SECONDS, "connect": SECONDS, "tls": SECONDS, "cert_days": CERT_DAYS})
SIP_DOWN = Expected("CRITICAL", r"SIP CRITICAL - {endpoint}: connect: connection refused", {})
