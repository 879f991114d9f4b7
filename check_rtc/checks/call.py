# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_call: a synthetic test call, signalling and media judged (RFC 3261, RFC 3264, RFC 3550, ITU-T G.107).

Calls --uri (an echo or auto-answer extension) at -H, or at the targets RFC
3263 yields for the URI's domain, tried in order until one connects: INVITE
with an SDP offer of --codec, digest authentication with -u, RTP with a test
tone and RTCP both ways for --duration, BYE; CANCEL when no answer came in
time. Judges the final answer, the post-dial delay (--warning-pdd), the
time to answer (-w/-c), media in both directions (one-way audio is
CRITICAL) and its quality with check_rtcp's thresholds (MOS, loss, jitter,
round trip).

Its own executable, not a mode of check_rtcp: its target, transports,
TLS identity and credentials are check_sip's (a SIP URI and its RFC 3263
discovery, -u for a SIP digest user), where check_rtcp's modes name a TURN
server, a capture or an SNMP agent; and its verdicts are a call's (busy,
no answer, codec refused, one-way audio) before any quality figure.
"""

from __future__ import annotations

import argparse

from check_rtc.checks import options, rtcp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

    import nagiosplugin

    from check_rtc.probes.call import CallObservation, CallSettings
    from check_rtc.transport.deadline import Deadline

NAME = "CALL"
TRANSPORTS = ("udp", "tcp", "tls")
CODECS = ("pcmu", "pcma", "g722", "opus")  # probes/call.py OFFERS


def sip_uri(text: str) -> str:
    """A sip: or sips: URI with a host (RFC 3261 §19.1)."""
    scheme, colon, rest = text.partition(":")
    host = rest.rpartition("@")[2].split(";", 1)[0]
    if scheme.lower() not in ("sip", "sips") or not colon or not host or any(c in text for c in "\r\n <>"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a SIP URI (sip:user@domain)")
    return text


def uri_host(uri: str) -> str:
    """The host of a SIP URI, without port or brackets: the domain of RFC 3263 discovery."""
    hostport = uri.partition(":")[2].rpartition("@")[2].split(";", 1)[0]
    if hostport.startswith("["):
        return hostport[1:].partition("]")[0]
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


def build_parser() -> options.Parser:
    parser = options.make_parser(
        NAME, "check_rtc_call",
        "Place a SIP test call (RFC 3261) with audio both ways (RFC 3264, RFC 3550) and judge the answer, the "
        "post-dial delay, one-way audio and the media quality (G.107 MOS, loss, jitter, round trip).",
        transports=TRANSPORTS, default_transports="tls,tcp,udp")
    group = parser.add_argument_group("call")
    group.add_argument("--uri", metavar="URI", type=sip_uri, required=True,
                       help="the SIP URI to call (an echo or auto-answer extension); its domain is -d by default")
    group.add_argument("--from", dest="from_uri", metavar="URI", type=sip_uri,
                       help="From URI (default: sip:check_rtc_call@DOMAIN)")
    group.add_argument("--user-agent", metavar="TEXT", default="check_rtc_call (check-rtc)",
                       help="User-Agent header (default: %(default)s)")
    group.add_argument("--codec", metavar="LIST", type=options.choice_list("codec", CODECS), default=("pcmu", "pcma"),
                       help=f"codecs to offer, preferred first: {','.join(CODECS)} (default: pcmu,pcma)")
    group.add_argument("--duration", metavar="SECONDS", type=rtcp.duration, default=rtcp.DEFAULT_DURATION,
                       help="seconds of audio after the answer (default: %(default)g)")
    group.add_argument("--warning-pdd", metavar="RANGE", type=options.nagios_range,
                       help="post-dial delay (s, dialling to ringing or answer) outside RANGE is WARNING")
    group.add_argument("--critical-pdd", metavar="RANGE", type=options.nagios_range,
                       help="post-dial delay outside RANGE is CRITICAL")
    options.add_login_options(group, "answer a 401/407 digest challenge as USER (RFC 3261 §22)")
    rtcp.add_quality_thresholds(parser)
    return parser


def refine(parser: options.Parser, args: argparse.Namespace) -> None:
    """RFC 3263 §4: the domain to discover is the URI's host, unless -d says otherwise."""
    args.domain = args.domain or uri_host(args.uri)
    if any(c in args.user_agent for c in "\r\n"):
        parser.error("--user-agent must be one line")
    from check_rtc.probes.call import TEARDOWN_SECONDS

    options.require_time(parser, args, args.duration + TEARDOWN_SECONDS, f"a call of --duration {args.duration:g}s")


def main(argv: Sequence[str] | None = None) -> None:
    options.run(NAME, build_parser(), build, argv, refine)


def build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc.checks import call_results, runtime

    settings = _settings(args)  # before calling: an unreadable password file is UNKNOWN
    notes = runtime.insecure_note(args, ("tls",))
    return runtime.endpoint_check(NAME, lambda: _probe(args, settings, deadline), args, notes,
                                  call_results.contexts(args), call_results.metrics)


def _settings(args: argparse.Namespace) -> CallSettings:
    from check_rtc import secrets
    from check_rtc.probes.call import CallSettings

    password = secrets.login_password(args.username, args.password_file)
    domain = f"[{args.domain}]" if ":" in args.domain else args.domain
    return CallSettings(args.domain, args.uri, args.from_uri or f"sip:check_rtc_call@{domain}", args.user_agent,
                        args.username, password, args.codec, args.duration)


def _probe(args: argparse.Namespace, settings: CallSettings, deadline: Deadline) -> list[CallObservation]:
    from check_rtc.checks import runtime
    from check_rtc.probes.call import CallProbe, place_call

    context = None
    if "tls" in args.transport:
        context = runtime.tls_context(args)
        # RFC 5922 §7: SIP identity is matched by check_rtc.identity, as check_sip does.
        context.check_hostname = False
    return place_call(CallProbe(settings, context), runtime.targeting(args), runtime.resolver(args), deadline)


if __name__ == "__main__":
    main()
