# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtcp: media quality from RTCP: loss, jitter, round trip, E-model R and MOS (RFC 3550, ITU-T G.107).

Three sources, one verdict:

- --turn: two allocations of the check stream RTP to each other through
  the TURN relay for --duration seconds, with RTCP SR/RR; each direction is
  rated from the reports the other side sent (probes/media.py);
- --pcap FILE: every stream of a capture (probes/capture.py);
- --snmp HOST: the RTP-MIB receiver table of RFC 2959, or OIDs given here
  (check_rtc/snmp.py).

Every stream or direction yields MOS, R, loss %, jitter and round trip in
ms, judged by --warning-/--critical- mos (lower bounds), loss, jitter and
rtt; the worst stream decides, or the one at --percentile.
"""

from __future__ import annotations

import argparse

from check_rtc.checks import options, turn_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

    import nagiosplugin

    from check_rtc.codec.turn import Credentials
    from check_rtc.emodel import Codec
    from check_rtc.probes.media import MediaObservation
    from check_rtc.transport.deadline import Deadline

NAME = "RTCP"
CODEC_NAMES = ("g711", "g711-noplc", "g729a", "g723.1", "gsm-fr", "ilbc", "g722", "opus")  # emodel.CODECS
DEFAULT_DURATION = 5.0


def mos_range(text: str) -> str:
    """A bare number is a lower bound ('3.6' means '3.6:'): a MOS below it is the problem."""
    try:
        float(text)
    except ValueError:
        return options.nagios_range(text)
    return f"{text}:"


def duration(text: str) -> float:
    value = options.positive_seconds(text)
    if value > 300:
        raise argparse.ArgumentTypeError(f"{text} is more than 300 seconds")
    return value


def percentile(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 (exclusive) and 100")
    return value


def build_parser() -> options.Parser:
    parser = options.make_parser(
        NAME, "check_rtcp",
        "Check media quality from RTCP (RFC 3550, RFC 3611): loss, jitter, round trip, and ITU-T G.107 "
        "E-model R and MOS, from a test stream through a TURN relay, a capture file, or SNMP (RTP-MIB).",
        transports=("udp", "tcp", "tls"), default_transports="udp")
    source = parser.add_argument_group("source (one of)").add_mutually_exclusive_group()
    source.add_argument("--turn", action="store_true",
                        help="stream RTP between two allocations on the TURN server -H/-d (credentials as check_turn)")
    source.add_argument("--pcap", metavar="FILE", help="every RTP/RTCP stream of a pcap or pcapng capture")
    source.add_argument("--snmp", metavar="HOST", help="the RTP-MIB receiver table (RFC 2959) of HOST, -p port")
    _add_media_options(parser)
    add_quality_thresholds(parser)
    turn_options.add_credential_options(parser.add_argument_group("TURN (--turn)"))
    from check_rtc import snmp

    snmp.add_options(parser.add_argument_group("SNMP (--snmp)"))
    return parser


def _add_media_options(parser: options.Parser) -> None:
    group = parser.add_argument_group("media")
    group.add_argument("--codec", choices=CODEC_NAMES, default="g711",
                       help="codec of the test stream, and of captured streams whose payload type is dynamic "
                            "(default: %(default)s)")
    group.add_argument("--duration", metavar="SECONDS", type=duration, default=DEFAULT_DURATION,
                       help="--turn: seconds of RTP (default: %(default)g)")
    group.add_argument("--percentile", metavar="P", type=percentile,
                       help="judge the stream at the P-th percentile of MOS (nearest rank, worst first) "
                            "instead of every stream")


def add_quality_thresholds(parser: options.Parser) -> None:
    group = parser.add_argument_group("quality thresholds (Nagios ranges)")
    group.add_argument("--warning-mos", metavar="MOS", type=mos_range, help="MOS below this is WARNING (e.g. 3.6)")
    group.add_argument("--critical-mos", metavar="MOS", type=mos_range, help="MOS below this is CRITICAL (e.g. 3.1)")
    for name, unit in (("loss", "packet loss in %%"), ("jitter", "jitter in ms"), ("rtt", "round trip in ms")):
        for level in ("warning", "critical"):
            group.add_argument(f"--{level}-{name}", metavar="RANGE", type=options.nagios_range,
                               help=f"{unit} outside RANGE is {level.upper()}")


def refine(parser: options.Parser, args: argparse.Namespace) -> None:
    """The source decides which other options make sense."""
    if not (args.turn or args.pcap or args.snmp):
        parser.error("give --turn, --pcap FILE or --snmp HOST")
    if args.turn and not (args.hostname or args.domain):
        parser.error("--turn needs -H HOST or -d DOMAIN (the TURN server)")
    if not args.turn and (args.warning or args.critical):
        parser.error("-w/-c judge the --turn round trip in seconds; use --warning-rtt/--critical-rtt (ms)")
    if args.turn and args.percentile is not None:
        parser.error("--percentile applies to --pcap and --snmp")
    if args.turn:
        from check_rtc.probes.media import FINAL_REPORT_SECONDS

        options.require_time(parser, args, args.duration + FINAL_REPORT_SECONDS,
                             f"a stream of --duration {args.duration:g}s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    refine(parser, args)
    options.execute(NAME, args, _build)


def _build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc import emodel
    from check_rtc.checks import rtcp_results

    codec = emodel.CODECS[args.codec]
    if args.turn:
        return _build_turn(args, codec, deadline)
    if args.pcap:
        from check_rtc.probes.capture import probe_capture

        result = probe_capture(args.pcap, codec)
        return rtcp_results.stream_check(args, result.streams, result.describe(), f"in {args.pcap}")
    from check_rtc import snmp

    streams = snmp.probe_rtp_mib(args, codec, deadline)
    return rtcp_results.stream_check(args, streams, f"{len(streams)} RTP-MIB receiver rows", f"from {args.snmp}")


def _build_turn(args: argparse.Namespace, codec: Codec, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc.checks import rtcp_results, runtime
    from check_rtc.errors import UsageError

    credentials = turn_options.credentials(args)
    if credentials is None:
        raise UsageError("--turn needs credentials: -u with --password-file, or --secret-file")
    return runtime.endpoint_check(
        NAME, lambda: _probe_turn(args, credentials, codec, deadline), args, runtime.insecure_note(args, ("tls",)),
        rtcp_results.quality_contexts(args), rtcp_results.direction_metrics)


def _probe_turn(args: argparse.Namespace, credentials: Credentials, codec: Codec,
                deadline: Deadline) -> list[MediaObservation]:
    from check_rtc.checks import runtime
    from check_rtc.probes import probe_service
    from check_rtc.probes.media import MediaProbe, failed
    from check_rtc.probes.turn import SERVICE

    context = runtime.tls_context(args) if "tls" in args.transport else None
    probe = MediaProbe(credentials, codec, args.duration, context, args.domain or args.hostname)
    return probe_service(SERVICE, runtime.targeting(args), runtime.resolver(args), probe, failed, deadline)


if __name__ == "__main__":
    main()


