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
    """A service's result: state, summary pattern, perfdata label suffix -> value pattern
    (a suffix ending in '?' is a label that may be missing)."""

    state: str
    summary: str
    perfdata: dict[str, str]

    def check(self, output: str, perfdata: str, endpoint: str, semicolon: str = ";") -> None:
        """Assert the plugin output and perfdata of a result for `endpoint` (e.g.
        127.0.0.1:5061/tls; "" for the checks of a domain, whose labels are the bare
        suffixes); Nagios 4 shows each ';' of the output as ':' (`semicolon`)."""
        summary = self.summary.replace("{endpoint}", re.escape(endpoint)).replace(";", semicolon)
        assert re.fullmatch(summary, output), repr(output)
        # Nagios keeps the plugin's quotes around labels; Icinga 2 quotes only labels with spaces
        values = {label.strip("'"): value for label, value in re.findall(r"('[^']+'|[^ =]+)=(\S+)", perfdata)}
        prefix = f"{endpoint}_" if endpoint else ""
        required = {prefix + suffix for suffix in self.perfdata if not suffix.endswith("?")}
        assert required <= set(values) <= {prefix + suffix.rstrip("?") for suffix in self.perfdata}, perfdata
        for suffix, pattern in self.perfdata.items():
            label = prefix + suffix.rstrip("?")
            assert label not in values or re.fullmatch(pattern, values[label]), (suffix, perfdata)


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

CERT_NAME = r"certificate CN=example\.test,O=check-rtc lab, RSA 2048 bits, sha256, EKU serverAuth clientAuth"
# kamailio serves the root with the leaf; prosody and coturn only the leaf
CERT_SIP = Expected("OK", r"CERT OK - {endpoint}: TLSv1\.3, " + CERT_NAME + r", 2 certificates served",
                    {"leaf_days": CERT_DAYS, "chain1_days": r"(3649\.\d|3650\.0);21:;7:", "rtt": SECONDS})
CERT_XMPP = Expected("OK", r"CERT OK - {endpoint}: TLSv1\.3, " + CERT_NAME + r", 1 certificate served",
                     {"leaf_days": CERT_DAYS, "rtt": SECONDS})
CERT_TURN = Expected("OK", r"CERT OK - {endpoint}: TLSv1\.2, " + CERT_NAME + r", 1 certificate served",
                     {"leaf_days": CERT_DAYS, "rtt": SECONDS})
CERT_DOWN = Expected("CRITICAL", r"CERT CRITICAL - {endpoint}: connect: connection refused", {})
_QUALITY = r"MOS \d\.\d\d, R \d+\.\d, loss \d+\.\d\d%, jitter \d+\.\d\d ms, RTT \d+\.\d\d ms"
# Icinga 2 rewrites a threshold 3.6: as 3.600000:
_MOS = r"\d\.\d\d;3\.6(00000)?:;3\.1(00000)?:;0"
RTCP_TURN = Expected("OK", r"RTCP OK - {endpoint}: a->b: " + _QUALITY + r"; b->a: " + _QUALITY
                     + r"; \d+ RTP packets relayed between 127\.0\.0\.1:\d+ and 127\.0\.0\.1:\d+",
                     {f"{way}_{name}": pattern for way in ("a_to_b", "b_to_a")
                      for name, pattern in (("mos", _MOS), ("r", r"\d+\.\d\d;;;0"), ("loss", r"\d+\.\d\d%;;;0"),
                                            ("jitter_ms", r"\d+\.\d\d;;;0"), ("rtt_ms", r"\d+\.\d\d;;;0"))}
                     | {"rtt": SECONDS})
DNS = Expected("OK", r"DNS OK - example\.test: 14 record sets, 4 targets, 2 authoritative server addresses agree "
               r"\(serial 1\)",
               {f"{name}_srv": "2;;;0" if name == "_sips._tcp" else "1;;;0"
                for name in ("_sip._tcp", "_sip._udp", "_sips._tcp", "_stun._tcp", "_stun._udp", "_stuns._tcp",
                             "_turn._tcp", "_turn._udp", "_turns._tcp", "_xmpp-client._tcp", "_xmpp-server._tcp",
                             "_xmpps-client._tcp", "_xmpps-server._tcp")}
               | {"domain_naptr": "6;;;0", "time": SECONDS})
# the organisation's numbers: +442079460000 in e164.arpa (two NAPTR: sip: and sips:), and
# +442079460001 in e164.arpa and the domain's own tree e164.example.test
ENUM_0000 = Expected("OK", r"ENUM OK - \+442079460000 -> sip:info@example\.test",
                     {"e164.arpa_naptr": "2;;;0", "time": SECONDS})
ENUM_0001 = Expected("OK", r"ENUM OK - \+442079460001 -> sip:02079460001@example\.test",
                     {"e164.arpa_naptr": "2;;;0", "time": SECONDS})
ENUM_0001_TREES = Expected("OK", r"ENUM OK - \+442079460001 -> sip:02079460001@example\.test on 2 suffixes",
                           {"e164.arpa_naptr": "2;;;0", "e164.example.test_naptr": "1;;;0", "time": SECONDS})
# the test call through the lab's proxy, which challenges it, to the baresip that answers with a tone;
# the round trip needs a report of the far end on a report of ours, which may not come within the call
_CALL_QUALITY = _QUALITY.replace(r"RTT \d+\.\d\d ms", r"RTT (unknown|\d+\.\d\d ms)")
CALL = Expected("OK", r"CALL OK - {endpoint}: 200 Answering in \d\.\d{4}s \(first 100 trying -- your call is important "
                r"to us after \d\.\d{4}s\), authenticated as monitor \(MD5 digest\), PCMU/8000; out: " + _CALL_QUALITY
                + r"; in: " + _CALL_QUALITY + r"; RTP sent 350, received \d+",
                {"answer": SECONDS, "pdd": SECONDS, "provisional": SECONDS, "rtp_sent": "350c;;;0",
                 "rtp_received": r"\d+c;;;0"}
                | {f"{way}_{name}": pattern for way in ("in", "out")
                   for name, pattern in (("mos", _MOS), ("r", r"\d+\.\d\d;;;0"), ("loss", r"\d+\.\d\d%;;;0"),
                                         ("jitter_ms", r"\d+\.\d\d;;;0"), ("rtt_ms?", r"\d+\.\d\d;;;0"))})
_NOTHING_WRONG = r"nothing wrong in DNS, Certificates, SIP, XMPP, TURN/STUN, ENUM"
_COUNTS = {"critical": "0;;;0", "warning": "0;;;0", "unknown": "0;;;0", "time": r"\d+\.\d{3}s;;;0"}


def audit(checks: int) -> Expected:
    """The audit of the lab's domain: `checks` checks (13, and one per ENUM number beyond the first), all OK."""
    return Expected("OK", rf"RTC OK - example\.test: {checks} checks, " + _NOTHING_WRONG, _COUNTS)
