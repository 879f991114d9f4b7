# SPDX-License-Identifier: GPL-3.0-or-later
"""What the DNS record checks share (checks layer): check_rtc_dns and check_enum.

They judge record sets, not endpoints: one verdict line per record set (a
Finding in the "finding" context, "ok" included), the lookup time judged by
-w/-c, record counts as perfdata. Their options are the common ones that
apply without a target host: -t, -v, -V, -h, -w/-c, --dns-server.
Their parser is in checks/record_options.py, which imports only argparse.
"""

from __future__ import annotations

import nagiosplugin

from check_rtc.checks import runtime
from check_rtc.checks.findings import FindingContext, finding_metric

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Callable, Iterator

    from check_rtc.checks.findings import Finding

    Lines = list[tuple[str, Finding]]


def build_check(name: str, run: Callable[[], tuple[str, Lines, float, dict[str, int]]],
                args: argparse.Namespace) -> nagiosplugin.Check:
    """A check whose `run` returns (headline, verdict lines, lookup seconds, record counts)."""
    return nagiosplugin.Check(
        RecordsResource(name, run), FindingContext(),
        runtime.ThresholdContext("time", args.warning, args.critical, fmt_metric=_describe_time),
        runtime.perfdata_context("records", decimals=0), RecordsSummary(),
    )


def _describe_time(metric: nagiosplugin.Metric, context: nagiosplugin.Context) -> str:
    return f"lookup time {metric.value:.4f}s"


class RecordsResource(nagiosplugin.Resource):  # type: ignore[misc]
    """Runs the lookups; yields a verdict per record set, the time and the counts."""

    def __init__(self, name: str, run: Callable[[], tuple[str, Lines, float, dict[str, int]]]) -> None:
        self._name = name
        self._run = run
        self.headline = ""

    @property
    def name(self) -> str:
        return self._name

    def probe(self) -> Iterator[nagiosplugin.Metric]:
        self.headline, lines, elapsed, counts = self._run()
        for label, finding in lines:
            yield finding_metric(label, 0, finding)
        yield nagiosplugin.Metric("time", elapsed, "s", min=0, context="time")
        for label, count in counts.items():
            yield nagiosplugin.Metric(label, count, min=0, context="records")


class RecordsSummary(nagiosplugin.Summary):  # type: ignore[misc]
    """Status line: the headline when all is well, else the worst verdicts;
    long output: every verdict line."""

    def ok(self, results: nagiosplugin.Results) -> str:
        return str(results.first_significant.resource.headline)

    def problem(self, results: nagiosplugin.Results) -> str:
        worst = results.most_significant_state
        bad = [r for r in results if r.state == worst]
        more = f" (+{len(bad) - 2} more)" if len(bad) > 2 else ""
        return "; ".join(str(r) for r in bad[:2]) + more

    def verbose(self, results: nagiosplugin.Results) -> list[str]:
        return [f"[{str(r.state).upper()}] {r}" for r in results if r.metric.context == "finding"]
