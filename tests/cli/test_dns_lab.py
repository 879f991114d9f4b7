# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_dns against real BINDs: the lab's zone, deliberately broken variants, a lagging second server."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from check_rtc.lab import Bind, ServicePorts
from check_rtc.lab.dnssec import ValidatingResolver, sign_zone
from check_rtc.lab.ports import pick_port
from check_rtc.lab.zones import service_zone
from tests.conftest import run_check

DOMAIN = "example.test"
STANDARD = service_zone(DOMAIN, ServicePorts())


@pytest.fixture(scope="module")
def start_bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Bind]]:
    """Start BINDs serving variants of the zone; all stopped by PID at the end."""
    started: list[Bind] = []

    def start(text: str, **options: object) -> Bind:
        server = Bind(tmp_path_factory.mktemp("bind"), {DOMAIN: text}, **options)  # type: ignore[arg-type]
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


def check(server: Bind, *extra: str, authoritative: Bind | None = None) -> object:
    """check_rtc_dns through `server`, asking the NS set on the port of `authoritative` (default: `server`)."""
    ns_port = (authoritative or server).port
    return run_check("check_rtc_dns", "-d", DOMAIN, "--dns-server", f"127.0.0.1:{server.port}",
                     "--ns-port", str(ns_port), *extra)


def edited(old: str, new: str) -> str:
    assert old in STANDARD, old
    return STANDARD.replace(old, new)


def test_the_lab_zone_is_right(dns) -> None:  # type: ignore[no-untyped-def]
    result = check(dns)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary == ("example.test: 14 record sets, 4 targets, 2 authoritative server addresses agree "
                              "(serial 1)")
    assert result.perfdata["domain_naptr"] == "6;;;0"
    assert result.perfdata["_sips._tcp_srv"] == "2;;;0"
    assert result.perfdata["time"].endswith("s;;;0")
    lines = result.long_output
    assert len(lines) == 14 + 4 + 2
    assert "[OK] sip.example.test/A,AAAA: 127.0.0.1, ::1" in lines
    assert "[OK] ns.example.test[::1]: authoritative, SOA serial 1" in lines


def test_standard_ports_and_services(start_bind) -> None:  # type: ignore[no-untyped-def]
    result = check(start_bind(STANDARD), "--services", "sip,stun", "-w", "1", "-c", "2")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary.startswith("example.test: 7 record sets, 2 targets")
    assert "[OK] _sips._tcp.example.test/SRV: 2 records: 10 10 5061 sip.example.test, 20 10 443 sip.example.test" \
        in result.long_output
    assert result.perfdata["time"].endswith("s;1;2;0")


def test_srv_target_that_is_a_cname_is_critical(start_bind) -> None:  # type: ignore[no-untyped-def]
    server = start_bind(edited("_stun._udp IN SRV 10 0 3478 stun.example.test.",
                               "_stun._udp IN SRV 10 0 3478 alias.example.test."), strict=False)
    result = check(server, "--services", "stun")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == ("alias.example.test/A,AAAA: SRV target is a CNAME to stun.example.test; "
                              "RFC 2782: SRV targets can't point to CNAME records")


def test_naptr_to_a_missing_srv_is_critical(start_bind) -> None:  # type: ignore[no-untyped-def]
    server = start_bind(edited("_sip._udp IN SRV 10 10 5060 sip.example.test.\n", ""))
    result = check(server, "--services", "sip")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary.startswith("example.test/NAPTR: 6 records: SIPS+D2T -> _sips._tcp.example.test, ")
    assert result.summary.endswith("; SIP+D2U -> _sip._udp.example.test: no SRV records there")
    assert "[OK] _sip._udp.example.test/SRV: no such name" in result.long_output


def test_missing_aaaa_is_a_warning_unless_ipv4_only(start_bind) -> None:  # type: ignore[no-untyped-def]
    server = start_bind(edited("turn IN AAAA ::1\n", ""))
    result = check(server, "--services", "turn")
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary == ("turn.example.test/A,AAAA: 127.0.0.1; no AAAA record: the guide asks for IPv6 too "
                              "(--ipv4-only accepts this)")
    assert check(server, "--services", "turn", "--ipv4-only").state == "OK"


def test_typo_port_is_a_warning(start_bind) -> None:  # type: ignore[no-untyped-def]
    server = start_bind(edited("_stun._udp IN SRV 10 0 3478", "_stun._udp IN SRV 10 0 3467"))
    result = check(server, "--services", "stun")
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary == ("_stun._udp.example.test/SRV: 1 record: 10 0 3467 stun.example.test; "
                              "port 3467 looks like a typo of _stun._udp's standard port 3478")


def test_missing_required_and_recommended_records(start_bind) -> None:  # type: ignore[no-untyped-def]
    server = start_bind(edited("_turns._tcp IN SRV 10 0 5349 turn.example.test.\n", "")
                        .replace('@ IN NAPTR 120 10 "s" "RELAY:turn.tls" "" _turns._tcp.example.test.\n', ""))
    result = check(server, "--services", "turn")
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary == "_turns._tcp.example.test/SRV: no such name (recommended)"
    result = check(start_bind(edited("_xmpp-server._tcp IN SRV 5 0 5269 xmpp.example.test.\n", "")),
                   "--services", "xmpp")
    assert (result.returncode, result.summary) == (2, "_xmpp-server._tcp.example.test/SRV: no such name (required)")


def test_a_lagging_second_authoritative_server(start_bind) -> None:  # type: ignore[no-untyped-def]
    """Two BINDs for the zone on one port, one per loopback family, NS records for both:
    the IPv6 one still serves serial 1 and an older SRV set."""
    two_ns = "@ IN NS ns1.example.test.\n@ IN NS ns2.example.test.\nns1 IN A 127.0.0.1\nns2 IN AAAA ::1\n"
    newer = edited("@ IN NS ns.example.test.\n", two_ns).replace(" 1 3600 600 86400 60", " 2 3600 600 86400 60")
    newer = newer.replace("_sip._tcp IN SRV 10 10 5060", "_sip._tcp IN SRV 10 20 5060")
    older = edited("@ IN NS ns.example.test.\n", two_ns)
    port = pick_port()
    primary = start_bind(newer, port=port, addresses=("127.0.0.1",))
    start_bind(older, port=port, addresses=("::1",))
    result = check(primary, "--services", "sip")
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    assert result.summary == ("ns2.example.test[::1]: authoritative, SOA serial 1; lagging: SOA serial 1 is behind 2; "
                              "answers differ from the resolver's for _sip._tcp.example.test/SRV")
    assert "[OK] ns1.example.test[127.0.0.1]: authoritative, SOA serial 2" in result.long_output
    assert check(primary, "--services", "sip", "-4").state == "OK"


def test_unreachable_authoritative_server_is_a_warning(dns) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_rtc_dns", "-d", DOMAIN, "--dns-server", f"127.0.0.1:{dns.port}", "--services", "stun",
                       "--ns-port", str(pick_port()), "-t", "3")
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary.startswith("ns.example.test[::1]: authoritative server: DNS SOA example.test. via [::1]:")


def test_bad_usage_is_unknown() -> None:
    result = run_check("check_rtc_dns", "--services", "sip")
    assert result.returncode == 3
    assert result.stdout.splitlines()[0] == "DNS UNKNOWN - the following arguments are required: -d/--domain"
    result = run_check("check_rtc_dns", "-d", DOMAIN, "--services", "sip,irc")
    assert result.stdout.splitlines()[0] == ("DNS UNKNOWN - argument --services: service 'irc' is not one of "
                                             "sip,xmpp,stun,turn")


def test_dnssec_requires_validated_answers(dns) -> None:  # type: ignore[no-untyped-def]
    """The lab's BIND is authoritative and signs nothing: no AD flag, so --dnssec is CRITICAL."""
    result = check(dns, "--services", "stun", "--dnssec")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary.startswith("_stun._udp.example.test/SRV: 1 record: 10 0 ")
    assert f"not validated: no AD flag from 127.0.0.1:{dns.port} (--dnssec)" in result.summary


@pytest.fixture(scope="module")
def signed(start_bind, tmp_path_factory):  # type: ignore[no-untyped-def]
    """(validating resolver, authoritative BIND) for the standard zone signed by dnssec-signzone."""
    started: list[Bind] = []

    def start(expired: bool = False) -> tuple[Bind, Bind]:
        text, dnskey = sign_zone(tmp_path_factory.mktemp("keys"), DOMAIN, STANDARD, expired=expired)
        authoritative = start_bind(text)
        resolver = ValidatingResolver(tmp_path_factory.mktemp("resolver"), authoritative, dnskey)
        started.append(resolver)
        resolver.start()
        return resolver, authoritative

    yield start
    for server in started:
        server.stop()


def test_dnssec_validated_answers_are_ok(signed) -> None:  # type: ignore[no-untyped-def]
    resolver, authoritative = signed()
    result = check(resolver, "--dnssec", authoritative=authoritative)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary == ("example.test: 14 record sets, 4 targets, 2 authoritative server addresses agree "
                              "(serial 1)")
    assert "[OK] _turn._udp.example.test/SRV: 1 record: 10 0 3478 turn.example.test" in result.long_output


def test_dnssec_signed_but_not_validated_is_critical(signed) -> None:  # type: ignore[no-untyped-def]
    """The signed zone straight from its authoritative server: RRSIGs, but nobody validated them, so no AD."""
    _, authoritative = signed()
    result = check(authoritative, "--dnssec", "--services", "xmpp")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == (
        "_xmpp-client._tcp.example.test/SRV: 1 record: 5 0 5222 xmpp.example.test; not validated: no AD flag from "
        f"127.0.0.1:{authoritative.port} (--dnssec); _xmpp-server._tcp.example.test/SRV: 1 record: 5 0 5269 "
        f"xmpp.example.test; not validated: no AD flag from 127.0.0.1:{authoritative.port} (--dnssec) (+3 more)")
    assert check(authoritative, "--services", "xmpp").state == "OK"


def test_dnssec_expired_signatures_are_critical(signed) -> None:  # type: ignore[no-untyped-def]
    """Signatures whose validity ended in 2020: the validating resolver answers SERVFAIL (RFC 4035 §5.5)."""
    resolver, authoritative = signed(expired=True)
    result = check(resolver, "--dnssec", "--services", "stun", authoritative=authoritative)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == ("_stun._udp.example.test/SRV: lookup failed: answer SERVFAIL, as a validating "
                              "resolver answers for bogus data (RFC 4035 §5.5); _stun._tcp.example.test/SRV: lookup "
                              "failed: answer SERVFAIL, as a validating resolver answers for bogus data "
                              "(RFC 4035 §5.5) (+1 more)")
    assert "[WARNING] example.test/NS: authoritative servers not checked: SOA lookup answered SERVFAIL" \
        in result.long_output
