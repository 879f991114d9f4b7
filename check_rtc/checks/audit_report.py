# SPDX-License-Identifier: GPL-3.0-or-later
"""The report of check_rtc audit (checks layer): the Nagios status line, then the areas.

The first line is a plugin status line (`RTC STATE - summary | perfdata`),
so the audit also runs as a check. Then one block per area in a fixed
order (DNS, certificates, SIP, XMPP, TURN/STUN, ENUM): the checks it ran,
each with its verdict, and each finding once, with its severity, where it
was seen, the evidence and the remedy. Colour is for a terminal only; the
JSON form carries the same facts for scripts.
"""

from __future__ import annotations

import textwrap

from check_rtc import secrets
from check_rtc.checks.audit import AREAS, OK, STATES, worst

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from check_rtc.checks.audit import Issue, Outcome

COLOURS = {0: "32", 1: "33", 2: "31", 3: "35"}  # ANSI: green, yellow, red, magenta
BOLD = "1"
LABEL_WIDTH = 10  # "evidence: " and the other labels of a finding's lines
INDENT = "  "
# Why an area ran no check.
NOTHING_PUBLISHED = "no SRV records for it in DNS: nothing to probe (the DNS area judges the records)"
NO_NUMBER = "no --number given: nothing to look up"


class Report:
    """The audit's outcomes and findings for one domain, with the areas that were asked for."""

    __slots__ = ("domain", "areas", "outcomes", "issues", "elapsed")

    def __init__(self, domain: str, areas: tuple[str, ...], outcomes: list[Outcome], issues: list[Issue],
                 elapsed: float) -> None:
        self.domain, self.areas, self.outcomes, self.issues, self.elapsed = domain, areas, outcomes, issues, elapsed

    @property
    def state(self) -> int:
        return worst(self.outcomes)

    def area_state(self, area: str) -> int | None:
        states = [o.state for o in self.outcomes if o.part.area == area]
        return max(states) if states else None

    def count(self, state: int) -> int:
        return sum(1 for issue in self.issues if issue.state == state)

    def status_line(self) -> str:
        perfdata = " ".join(f"{STATES[s].lower()}={self.count(s)};;;0" for s in (2, 1, 3))
        return secrets.mask(f"RTC {STATES[self.state]} - {self._summary()} | {perfdata} time={self.elapsed:.3f}s;;;0")

    def _summary(self) -> str:
        if not self.outcomes:
            return f"{self.domain}: no check to run"
        if not self.issues:
            titles = ", ".join(AREAS[a] for a in self.areas if self.area_state(a) is not None)
            return f"{self.domain}: {len(self.outcomes)} checks, nothing wrong in {titles}"
        counts = [_counted(self.count(s), STATES[s].lower()) for s in (2, 1, 3) if self.count(s)]
        first = max(self.issues, key=lambda issue: issue.state)
        where = f"{first.where[0]}: " if first.where else ""
        more = f" (+{len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        return f"{self.domain}: {', '.join(counts)}; {AREAS[first.area]}: {where}{first.message}{more}"


def _counted(number: int, state: str) -> str:
    """'1 critical', '2 warnings': a warning is a noun, critical an adjective."""
    return f"{number} {state}s" if state == "warning" and number != 1 else f"{number} {state}"


def text(report: Report, colour: bool = False, width: int | None = None) -> str:
    """The status line, then each area: its checks, then its findings with evidence and remedy."""
    paint = _painter(colour)
    lines = [report.status_line()]
    for area in report.areas:
        lines += [""] + _area(report, area, paint, width)
    return secrets.mask("\n".join(lines)) + "\n"


def _painter(colour: bool) -> Callable[[str, str], str]:
    def paint(words: str, code: str) -> str:
        return f"\x1b[{code}m{words}\x1b[0m" if colour else words

    return paint


def _area(report: Report, area: str, paint: Callable[[str, str], str], width: int | None) -> list[str]:
    state = report.area_state(area)
    verdict = paint(STATES[state], COLOURS[state]) if state is not None else "not run"
    lines = [f"{paint(AREAS[area], BOLD)}: {verdict}"]
    outcomes = [o for o in report.outcomes if o.part.area == area]
    if not outcomes:
        lines.append(INDENT + (NO_NUMBER if area == "enum" else NOTHING_PUBLISHED))
    for outcome in outcomes:
        said = f" - {outcome.summary}" if outcome.state == OK else ""
        lines.append(f"{INDENT}{outcome.part.command()}: {paint(STATES[outcome.state], COLOURS[outcome.state])}{said}")
    for issue in (i for i in report.issues if i.area == area):
        lines += _issue(issue, paint, width)
    return lines


def _issue(issue: Issue, paint: Callable[[str, str], str], width: int | None) -> list[str]:
    lines = [f"{INDENT}[{paint(STATES[issue.state], COLOURS[issue.state])}] {issue.message}"]
    fields = [("at", ", ".join(issue.where))] if issue.where else []
    fields += [("evidence", issue.evidence)] if issue.evidence else []
    fields += [("fix", remedy) for _, remedy in issue.remedies]
    for label, value in fields:
        lines += _field(f"{label}:".ljust(LABEL_WIDTH), value, width)
    return lines


def _field(label: str, value: str, width: int | None) -> list[str]:
    head = INDENT * 3 + label
    if width is None:
        return [head + value]
    return textwrap.wrap(value, width, initial_indent=head, subsequent_indent=" " * len(head),
                         break_on_hyphens=False) or [head]


def as_json(report: Report) -> str:
    """The same report for scripts: state names, areas with their checks and findings."""
    import json

    areas = [{
        "area": area, "title": AREAS[area],
        "state": STATES[state] if (state := report.area_state(area)) is not None else None,
        "checks": [{"command": o.part.command(), "state": STATES[o.state], "summary": o.summary}
                   for o in report.outcomes if o.part.area == area],
        "findings": [_issue_json(issue) for issue in report.issues if issue.area == area],
    } for area in report.areas]
    document = {"domain": report.domain, "state": STATES[report.state], "status": report.status_line(),
                "elapsed": round(report.elapsed, 3), "areas": areas}
    return secrets.mask(json.dumps(document, indent=2)) + "\n"


def _issue_json(issue: Issue) -> dict[str, object]:
    return {"severity": STATES[issue.state], "message": issue.message, "where": issue.where,
            "evidence": issue.evidence, "remedies": [{"kind": k, "text": t} for k, t in issue.remedies],
            "check": issue.command}
