# SPDX-License-Identifier: GPL-3.0-or-later
"""Policy findings: a check's verdict on a fact about one endpoint (checks layer).

A check that judges more than reachability and time (e.g. "STARTTLS is
optional", "SASL PLAIN offered") yields one Finding per breach as a metric
in the "finding" context; the finding carries its state and its words, so
the long output names the endpoint and the rule. No perfdata.
"""

from __future__ import annotations

from collections import namedtuple

import nagiosplugin
from nagiosplugin.state import Critical, Ok, Warn

# "ok": checks that report one verdict per item (a record set) say so for the good ones too.
STATES = {"ok": Ok, "warning": Warn, "critical": Critical}


class Finding(namedtuple("Finding", "state text")):
    """`state` is "warning" or "critical" ("ok" for a verdict that passed); `text` says what breaks which rule."""

    __slots__ = ()
    state: str
    text: str


def finding_metric(label: str, number: int, finding: Finding) -> nagiosplugin.Metric:
    """The metric of the `number`th finding about the endpoint labelled `label`."""
    return nagiosplugin.Metric(f"{label}_finding{number}", finding, context="finding")


class FindingContext(nagiosplugin.Context):  # type: ignore[misc]
    """Turns a Finding into a result: its state, '<endpoint>: <text>'."""

    def __init__(self) -> None:
        super().__init__("finding")

    def evaluate(self, metric: nagiosplugin.Metric, resource: nagiosplugin.Resource) -> nagiosplugin.Result:
        finding: Finding = metric.value
        endpoint = metric.name.rsplit("_finding", 1)[0]
        return self.result_cls(STATES[finding.state], f"{endpoint}: {finding.text}", metric)

    def performance(self, metric: nagiosplugin.Metric, resource: nagiosplugin.Resource) -> None:
        return None
