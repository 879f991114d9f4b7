# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_call's nagiosplugin side: what a call's facts mean (checks layer; RFC 3261 §21, RFC 3264).

Per call: the verdicts of a call as findings (rejected with its code, no
answer, codec refused, one-way audio, media from an unexpected address),
the post-dial delay (--warning-pdd), the time to answer (-w/-c), packets
both ways, and each direction's quality with check_rtcp's contexts:
'<endpoint>_out_*' is our stream as the far end's RTCP reports it,
'<endpoint>_in_*' the far end's stream as we received it.
"""

from __future__ import annotations

import nagiosplugin

from check_rtc.checks import rtcp_results
from check_rtc.checks.findings import Finding, FindingContext, finding_metric
from check_rtc.checks.runtime import ThresholdContext, perfdata_context

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Iterator

    from check_rtc.probes.call import CallObservation

# RFC 3261 §21.4.26 488 Not Acceptable Here, §21.6.4 606 Not Acceptable: the offer was refused.
NOT_ACCEPTABLE = (488, 606)
REQUEST_TERMINATED = 487


def contexts(args: argparse.Namespace) -> tuple[nagiosplugin.Context, ...]:
    return (ThresholdContext("answer", args.warning, args.critical, fmt_metric=_describe_time("time to answer")),
            ThresholdContext("pdd", args.warning_pdd, args.critical_pdd, fmt_metric=_describe_time("post-dial delay")),
            perfdata_context("provisional"), perfdata_context("packets", decimals=0), FindingContext(),
            *rtcp_results.quality_contexts(args))


def _describe_time(words: str):  # type: ignore[no-untyped-def]
    def describe(metric: nagiosplugin.Metric, context: nagiosplugin.Context) -> str:
        return f"{metric.name.rsplit('_', 1)[0]}: {words} {metric.value:.3f}s"

    return describe


def metrics(observation: CallObservation) -> Iterator[nagiosplugin.Metric]:
    """The call's findings, timings, packet counts and per-direction quality."""
    if observation.error is not None:  # judged by "reachable" alone
        return
    label = observation.endpoint.label()
    for number, finding in enumerate(findings(observation), 1):
        yield finding_metric(label, number, finding)
    yield from _timings(label, observation)
    if observation.codec is not None:
        yield nagiosplugin.Metric(f"{label}_rtp_sent", observation.sent, "c", min=0, context="packets")
        yield nagiosplugin.Metric(f"{label}_rtp_received", observation.received, "c", min=0, context="packets")
    for quality in observation.qualities:
        yield from rtcp_results.quality_metrics(quality)


def _timings(label: str, observation: CallObservation) -> Iterator[nagiosplugin.Metric]:
    if observation.progress_after is not None:
        yield nagiosplugin.Metric(f"{label}_provisional", observation.progress_after, "s", min=0,
                                  context="provisional")
    if observation.post_dial_delay is not None:
        yield nagiosplugin.Metric(f"{label}_pdd", observation.post_dial_delay, "s", min=0, context="pdd")
    if observation.answer_after is not None:
        yield nagiosplugin.Metric(f"{label}_answer", observation.answer_after, "s", min=0, context="answer")


def findings(observation: CallObservation) -> list[Finding]:
    """What went wrong with the call, worst first."""
    if not observation.answered:
        return [_unanswered(observation)]
    if observation.codec is None:
        return [Finding("critical", f"codec not accepted: {observation.refused}")]
    found = []
    if observation.received == 0:
        address = _address(observation.media_address)
        found.append(Finding("critical", f"one-way audio: no RTP from the far end (we sent {observation.sent} "
                                         f"packets to {address})"))
    found += _unexpected_sources(observation)
    return found


def _unanswered(observation: CallObservation) -> Finding:
    answer = f"{observation.code} {observation.reason}".strip()
    if observation.cancelled:
        final = f"; INVITE answered {answer}" if observation.code else ""
        return Finding("critical", f"no answer in time: CANCEL sent after {observation.last_progress} "
                                   f"(CANCEL answered {observation.cancelled}{final})")
    if not observation.code:
        return Finding("critical", f"no final answer before the deadline (last: {observation.last_progress})")
    if observation.code in NOT_ACCEPTABLE:
        return Finding("critical", f"codec not accepted: INVITE answered {answer}")
    return Finding("critical", f"call failed: INVITE answered {answer}")


def _unexpected_sources(observation: CallObservation) -> list[Finding]:
    """RTP from another address or port than the SDP answer's (RFC 3264 §6.1, RFC 4961 symmetric RTP)."""
    expected = observation.media_address
    others = {source: count for source, count in observation.sources.items() if source != expected}
    if not others:
        return []
    listed = ", ".join(f"{_address(source)} ({count} packets)" for source, count in sorted(others.items()))
    return [Finding("warning", f"media from an unexpected address: {listed}; the SDP answer named "
                               f"{_address(expected)}")]


def _address(address: tuple[str, int] | None) -> str:
    if address is None:
        return "none"
    return f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"
