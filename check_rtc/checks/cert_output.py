# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_cert's long output: what each endpoint's certificate says (checks layer).

The shared EndpointSummary prints one line per endpoint and one per
finding; under each endpoint that answered this adds the leaf's subject,
SANs, EKUs, issuer, serial, validity, key, signature, the chain as served
and how far it was verified.
"""

from __future__ import annotations

import nagiosplugin
from nagiosplugin.state import Ok

from check_rtc.checks.runtime import EndpointSummary

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime

    from check_rtc.probes.cert import CertObservation

INDENT = "    "


class CertSummary(EndpointSummary):  # type: ignore[misc]
    """EndpointSummary, with the certificate details under each endpoint line."""

    def __init__(self, notes: tuple[str, ...], insecure: bool) -> None:
        super().__init__(notes)
        self.insecure = insecure

    def verbose(self, results: nagiosplugin.Results) -> list[str]:
        lines = []
        for line, result in zip(super().verbose(results), _shown(results)):
            lines.append(line)
            observation = result.metric.value if result.metric is not None else None
            if result.metric.context == "reachable" and observation.error is None:
                lines += [INDENT + text for text in details(observation, self.insecure)]
        return lines


def _shown(results: nagiosplugin.Results) -> list[nagiosplugin.Result]:
    """The results EndpointSummary.verbose prints, in its order."""
    reached = [r for r in results if r.metric is not None and r.metric.context == "reachable"]
    return [r for r in results if r in reached or r.state != Ok]


def date(moment: datetime.datetime | None) -> str:
    return "?" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def details(observation: CertObservation, insecure: bool) -> list[str]:
    """The leaf's facts, then the chain as served, trust, OCSP and TLSA."""
    leaf = observation.chain[0]
    sans = ", ".join(f"{kind.replace('IP Address', 'IP')} {value}" for kind, value in leaf.sans) or "none"
    lines = [
        f"subject: {leaf.subject}",
        f"SANs: {sans}",
        f"EKUs: {leaf.eku_text()}",
        f"issuer: {leaf.issuer}",
        f"serial: {leaf.serial}",
        f"valid: {date(leaf.not_before)} to {date(leaf.not_after)}",
        f"key: {leaf.key_text()}; signature: {leaf.signature_hash}",
        "chain as served: " + " <- ".join(f"[{i + 1}] {c.subject}" for i, c in enumerate(observation.chain)),
        _trust(observation, insecure),
    ]
    return lines + _look_ups(observation)


def _trust(observation: CertObservation, insecure: bool) -> str:
    if insecure:
        return "trust: not verified (--insecure)"
    if observation.verified:
        return f"trust: verified to {observation.verified[-1].subject}"
    return f"trust: not verified: {observation.verify_message}"


def _look_ups(observation: CertObservation) -> list[str]:
    lines = []
    answer = observation.ocsp
    if answer is not None and answer.status:
        lines.append(f"OCSP: {answer.status} {answer.origin()}, produced {date(answer.this_update)},"
                     f" next update {date(answer.next_update)}")
    elif answer is not None and not answer.source:
        lines.append("OCSP: nothing stapled, and the certificate names no responder")
    tlsa = observation.tlsa
    if tlsa is not None and tlsa.records:
        checked = "DNSSEC-authenticated" if tlsa.authenticated else "not DNSSEC-authenticated"
        lines.append(f"TLSA at {tlsa.name}: {len(tlsa.records)} record(s), {checked}")
    return lines
