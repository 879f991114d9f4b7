# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules check_rtc_dns applies to SRV and NAPTR record sets (checks layer).

Pure functions from records to (state, words) problems: SRV ports and
conflicts (RFC 2782), NAPTR for SIP (RFC 3263 §4.1) and TURN (RFC 5928 §4)
and their consistency with the SRV sets, SOA serial order (RFC 1982).
"""

from __future__ import annotations

from check_rtc.probes.dns_records import NAPTR_SERVICES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from check_rtc.probes.dns_records import RecordSet
    from check_rtc.resolve import NaptrRecord, SrvRecord

    Problems = list[tuple[str, str]]

# Two digits changed (3467 for 3478) still reads as the same port to a tired eye.
TYPO_DIGITS = 2
SERIAL_HALF = 2 ** 31


def srv_problems(records: tuple[SrvRecord, ...], label: str, standard: tuple[int, ...]) -> Problems:
    """Ports, '.' among real targets, and records that contradict each other."""
    problems: Problems = []
    if any(r.target == "." for r in records):
        problems.append(("warning", "'.' (service absent, RFC 2782) listed next to real targets"))
    for port in sorted({r.port for r in records if r.target != "."}):
        problems += _port_problem(port, label, standard)
    problems += _conflicts(records)
    return problems


def _port_problem(port: int, label: str, standard: tuple[int, ...]) -> Problems:
    if not standard or port in standard:
        return []
    near = next((s for s in standard if looks_like_typo(port, s)), None)
    if near is not None:
        return [("warning", f"port {port} looks like a typo of {label}'s standard port {near}")]
    return [("ok", f"port {port} is not the standard {'/'.join(map(str, standard))}")]


def looks_like_typo(port: int, standard: int) -> bool:
    """Same number of digits, same first digit, at most TYPO_DIGITS digits differ."""
    a, b = str(port), str(standard)
    if len(a) != len(b) or a[0] != b[0] or a == b:
        return False
    return sum(x != y for x, y in zip(a, b)) <= TYPO_DIGITS


def _conflicts(records: tuple[SrvRecord, ...]) -> Problems:
    """The same target and port listed twice with other priority or weight."""
    seen: dict[tuple[str, int], SrvRecord] = {}
    problems: Problems = []
    for record in records:
        key = (record.target.lower(), record.port)
        if key in seen:
            problems.append(("warning", f"conflicting records for {record.target.rstrip('.')}:{record.port} "
                                        f"(priority/weight {seen[key].priority}/{seen[key].weight} and "
                                        f"{record.priority}/{record.weight})"))
        seen[key] = record
    return problems


def naptr_problems(records: list[NaptrRecord], srv: dict[str, RecordSet], domain: str,
                   services: set[str]) -> Problems:
    """Every SIP/TURN NAPTR must lead to SRV records; SRV sets must be offered by NAPTR."""
    problems: Problems = []
    keys: dict[tuple[int, int, str], str] = {}
    for record in records:
        service, label = NAPTR_SERVICES.get(record.service.upper(), ("", ""))
        if service not in services:
            continue
        problems += _naptr_record(record, label, srv, domain)
        key = (record.order, record.preference, record.service.upper())
        if keys.setdefault(key, record.replacement) != record.replacement:
            problems.append(("warning", f"conflicting {record.service} records with order {record.order} "
                                        f"and preference {record.preference}"))
    return problems + _unoffered(records, srv, domain, services)


def _naptr_record(record: NaptrRecord, label: str, srv: dict[str, RecordSet], domain: str) -> Problems:
    what = f"{record.service} -> {record.replacement.rstrip('.')}"
    problems: Problems = []
    # RFC 3263 §4.1 / RFC 5928 §4: the "s" flag, an empty regexp, the SRV owner in the replacement.
    if record.flags.lower() != "s":
        problems.append(("warning", f"{what}: flag '{record.flags}', not 's' (an SRV owner follows)"))
    if record.regexp:
        problems.append(("warning", f"{what}: regexp must be empty, the replacement names the SRV owner"))
    target = srv.get(record.replacement.lower())
    if target is None or target.reply is None or not target.reply.records:
        problems.append(("critical", f"{what}: no SRV records there"))
    expected = f"{label}.{domain}.".lower()
    other = {f"{lab}.{domain}.".lower() for _, lab in NAPTR_SERVICES.values()} - {expected}
    if record.replacement.lower() in other:
        problems.append(("warning", f"{what}: that is the SRV name of another transport, not {label}"))
    return problems


def _unoffered(records: list[NaptrRecord], srv: dict[str, RecordSet], domain: str, services: set[str]) -> Problems:
    """With NAPTR records for a service, an SRV set they do not name is invisible to RFC 3263/5928 clients."""
    problems: Problems = []
    offered = {r.service.upper() for r in records}
    for tag, (service, label) in NAPTR_SERVICES.items():
        present = srv.get(f"{label}.{domain}.".lower())
        has_naptr = any(NAPTR_SERVICES.get(t, ("",))[0] == service for t in offered)
        if service in services and has_naptr and tag not in offered and present is not None \
                and present.reply is not None and present.reply.records \
                and not all(r.target == "." for r in present.reply.records):  # type: ignore[attr-defined]
            problems.append(("warning", f"{label}.{domain} has SRV records but no {tag} NAPTR points at it"))
    return problems


def serial_behind(serial: int, newest: int) -> bool:
    """RFC 1982 §3.2 serial number arithmetic: is `serial` less than `newest`?"""
    return serial != newest and (newest - serial) % (2 * SERIAL_HALF) < SERIAL_HALF
