# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtcp's nagiosplugin side: metrics, thresholds, status line and long output (checks layer).

Every rated stream (capture, SNMP) or direction (--turn) yields mos, r,
loss (%), jitter_ms and rtt_ms. Judged metrics go to contexts with the
operator's thresholds; with --percentile the other streams' metrics go to
'_info' twins that only report. Perfdata labels: '<stream>_<metric>'.
"""

from __future__ import annotations

import math

import nagiosplugin
from nagiosplugin.state import Ok

from check_rtc.checks.runtime import ThresholdContext, perfdata_context
from check_rtc.errors import UsageError
from check_rtc.quality import Quality

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Iterator

    from check_rtc.probes.media import MediaObservation

NAME = "RTCP"
METRICS = (("mos", None), ("r", None), ("loss", "%"), ("jitter_ms", None), ("rtt_ms", None))
_WORDS = {"mos": "MOS {:.2f}", "r": "R {:.1f}", "loss": "loss {:.2f}%", "jitter_ms": "jitter {:.2f} ms",
          "rtt_ms": "RTT {:.2f} ms"}


def quality_contexts(args: argparse.Namespace) -> tuple[nagiosplugin.Context, ...]:
    """'mos', 'r', 'loss', 'jitter_ms', 'rtt_ms' with thresholds, and '_info' twins (perfdata only)."""
    ranges = {"mos": (args.warning_mos, args.critical_mos), "loss": (args.warning_loss, args.critical_loss),
              "jitter_ms": (args.warning_jitter, args.critical_jitter), "rtt_ms": (args.warning_rtt, args.critical_rtt)}
    contexts: list[nagiosplugin.Context] = []
    for name, _ in METRICS:
        warning, critical = ranges.get(name, (None, None))
        contexts.append(ThresholdContext(name, warning, critical, fmt_metric=_describe_metric, decimals=2))
        contexts.append(perfdata_context(f"{name}_info", decimals=2))
    return tuple(contexts)


def _describe_metric(metric: nagiosplugin.Metric, context: nagiosplugin.Context) -> str:
    label = metric.name[: -len(context.name) - 1]
    return f"{label} {_WORDS[context.name].format(metric.value)}"


def quality_metrics(quality: Quality, judged: bool = True) -> Iterator[nagiosplugin.Metric]:
    values = {"mos": quality.rating.mos, "r": quality.rating.r, "loss": quality.loss_percent,
              "jitter_ms": quality.jitter_ms, "rtt_ms": quality.rtt_ms}
    for name, uom in METRICS:
        if values[name] is not None:
            context = name if judged else f"{name}_info"
            yield nagiosplugin.Metric(f"{quality.label}_{name}", values[name], uom, min=0, context=context)


# --- --pcap and --snmp: a set of streams -----------------------------------------------------------


def judged_labels(streams: list[Quality], at: float | None) -> set[str]:
    """Every stream, or the one at the `at`-th percentile of MOS (nearest rank, lowest MOS first)."""
    if at is None:
        return {s.label for s in streams}
    ordered = sorted(streams, key=lambda s: s.rating.mos)
    return {ordered[max(0, math.ceil(at / 100 * len(ordered)) - 1)].label}


def stream_check(args: argparse.Namespace, streams: list[Quality], facts: str, where: str) -> nagiosplugin.Check:
    if not streams:
        # Nothing to rate is "cannot tell", not "the media is fine".
        raise UsageError(f"no RTP or RTCP stream {where} ({facts})")
    judged = judged_labels(streams, args.percentile)
    return nagiosplugin.Check(StreamsResource(streams, judged), StreamContext(), *quality_contexts(args),
                              StreamSummary(facts, args.percentile))


class StreamsResource(nagiosplugin.Resource):  # type: ignore[misc]
    """The rated streams, worst MOS first."""

    def __init__(self, streams: list[Quality], judged: set[str]) -> None:
        self.streams = sorted(streams, key=lambda s: s.rating.mos)
        self.judged = judged

    @property
    def name(self) -> str:
        return NAME

    def probe(self) -> Iterator[nagiosplugin.Metric]:
        for quality in self.streams:
            yield nagiosplugin.Metric(f"{quality.label}_stream", quality, context="stream")
            yield from quality_metrics(quality, quality.label in self.judged)


class StreamContext(nagiosplugin.Context):  # type: ignore[misc]
    """One long-output line per stream; never a problem by itself."""

    def __init__(self) -> None:
        super().__init__("stream")

    def evaluate(self, metric: nagiosplugin.Metric, resource: nagiosplugin.Resource) -> nagiosplugin.Result:
        return self.result_cls(Ok, metric.value.describe(), metric)

    def performance(self, metric: nagiosplugin.Metric, resource: nagiosplugin.Resource) -> None:
        return None


class StreamSummary(nagiosplugin.Summary):  # type: ignore[misc]
    """'N streams, worst: <line>' when OK; the breaches otherwise; every stream in long output."""

    def __init__(self, facts: str, percentile: float | None) -> None:
        self.facts = facts
        self.percentile = percentile

    def ok(self, results: nagiosplugin.Results) -> str:
        lines = _stream_results(results)
        which = f"{self.percentile:g}th percentile" if self.percentile is not None else "worst"
        if len(lines) == 1:
            return lines[0].metric.value.headline()  # type: ignore[no-any-return]
        judged = next((r for r in lines if _is_judged(r, results)), lines[0])
        return f"{len(lines)} streams, {which}: {judged.metric.value.headline()}"

    def problem(self, results: nagiosplugin.Results) -> str:
        worst = results.most_significant_state
        bad = [str(r) for r in results if r.state == worst]
        more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
        return "; ".join(bad[:3]) + more

    def verbose(self, results: nagiosplugin.Results) -> list[str]:
        return [f"[{_stream_state(r, results)}] {r}" for r in _stream_results(results)] + [self.facts]

    def empty(self) -> str:
        return "no streams"


def _stream_results(results: nagiosplugin.Results) -> list[nagiosplugin.Result]:
    return [r for r in results if r.metric is not None and r.metric.context == "stream"]


def _own(result: nagiosplugin.Result, results: nagiosplugin.Results) -> list[nagiosplugin.Result]:
    label = result.metric.value.label
    return [r for r in results if r.metric is not None and r.metric.name.startswith(label + "_")
            and r.metric.context != "stream"]


def _is_judged(result: nagiosplugin.Result, results: nagiosplugin.Results) -> bool:
    return any(not r.metric.context.endswith("_info") for r in _own(result, results))


def _stream_state(result: nagiosplugin.Result, results: nagiosplugin.Results) -> str:
    states = [r.state for r in _own(result, results)] or [Ok]
    return str(max(states)).upper()


# --- --turn: two directions per endpoint ---------------------------------------------------------


def direction_metrics(observation: MediaObservation) -> Iterator[nagiosplugin.Metric]:
    """The quality of each direction (rated by the probe from the peer's report blocks)."""
    for quality in observation.qualities:
        yield from quality_metrics(quality)
