# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc audit against real servers: the lab's domain, and a broken domain with five faults at once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import Result, run_check

BROKEN = "broken.test"
AREA_LINES = ["DNS: OK", "Certificates: OK", "SIP: OK", "XMPP: OK", "TURN/STUN: OK", "ENUM: OK"]


def audit(domain: str, dns, ca: Path, *extra: str) -> Result:  # type: ignore[no-untyped-def]
    """check_rtc audit through the lab BIND `dns`, its authoritative servers asked on its port."""
    return run_check("check_rtc", "audit", domain, "--dns-server", f"127.0.0.1:{dns.port}", "--ns-port",
                     str(dns.port), "--ca-file", str(ca), "-t", "20", *extra)


def turn_login(turn, directory: Path) -> list[str]:  # type: ignore[no-untyped-def]
    password = directory / f"turn-password-{turn.port}"
    password.write_text(turn.password + "\n")
    return ["--turn-user", turn.username, "--turn-password-file", str(password)]


def findings(result: Result) -> set[tuple[str, str, str, tuple[str, ...]]]:
    """(area, severity, message, remedy kinds) of every finding in the --json report."""
    report = json.loads(result.stdout)
    return {(area["area"], f["severity"], f["message"], tuple(r["kind"] for r in f["remedies"]))
            for area in report["areas"] for f in area["findings"]}


def test_the_lab_is_all_good_in_every_area(lab, dns, turn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = audit(lab.domain, dns, lab.certs.ca_cert, *turn_login(turn, tmp_path), "-n", "+442079460000")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary == ("example.test: 13 checks, nothing wrong in DNS, Certificates, SIP, XMPP, "
                              "TURN/STUN, ENUM")
    assert set(result.perfdata) == {"critical", "warning", "unknown", "time"}
    assert result.perfdata["critical"] == "0;;;0"
    assert [line for line in result.long_output if line and not line.startswith(" ")] == AREA_LINES
    commands = [line.split(": OK - ")[0].strip().split(" -d ")[0].split(" --dns")[0] for line in result.long_output
                if ": OK - " in line]
    assert commands == ["check_rtc_dns", *[f"check_rtc_cert -P {p}" for p in (
        "sip", "xmpp-client", "xmpps-client", "xmpp-server", "xmpps-server", "turn")],
        "check_sip", "check_xmpp", "check_xmpp", "check_stun", "check_turn", "check_enum -n +442079460000"]
    assert f"  check_sip -d example.test --dns-server 127.0.0.1:{dns.port} --ca-file {lab.certs.ca_cert} " \
           "-T udp,tcp,tls: OK - 8 endpoints answered" in result.long_output
    assert "\x1b[" not in result.stdout  # no colour when the output is not a terminal


def test_json_has_every_area_and_no_finding(lab, dns) -> None:  # type: ignore[no-untyped-def]
    result = audit(lab.domain, dns, lab.certs.ca_cert, "--json", "-n", "+442079460000")
    report = json.loads(result.stdout)
    assert (result.returncode, report["state"]) == (0, "OK")
    assert report["status"].startswith("RTC OK - example.test: 13 checks, nothing wrong in ")
    assert [(a["title"], a["state"], a["findings"]) for a in report["areas"]] == [
        (title, "OK", []) for title in ("DNS", "Certificates", "SIP", "XMPP", "TURN/STUN", "ENUM")]
    turn_check = report["areas"][4]["checks"][1]
    assert turn_check["summary"] == "6 endpoints answered"  # without credentials: strangers refused


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A second lab for broken.test with five faults: an SRV target that is a CNAME, no _turns._tcp,
    SIP's certificate without clientAuth, STARTTLS optional on c2s (s2s requires it), and a coturn
    that relays towards private addresses. Every server is stopped by PID at the end."""
    from check_rtc.lab import Lab, ServicePorts
    from check_rtc.lab.zones import service_zone

    with Lab(domain=BROKEN, run_dir=tmp_path_factory.mktemp("broken"), variants=("good", "server_only")) as lab:
        turn = lab.coturn(mode="ltc", allow_loopback_peers=True)  # no denied-peer-ip
        sip = lab.kamailio(cert="server_only")
        lab.prosody(require_encryption=False, s2s_require_encryption=True)
        ports = ServicePorts.from_servers(sip=sip, xmpp=lab.servers[-1], turn=turn)
        zone = _edited(service_zone(BROKEN, ports), {
            f'@ IN NAPTR 120 10 "s" "RELAY:turn.tls" "" _turns._tcp.{BROKEN}.\n': "",
            f"_turns._tcp IN SRV 10 0 {ports.turns} turn.{BROKEN}.\n": "",
            f"_stun._udp IN SRV 10 0 {ports.turn} stun.{BROKEN}.":
                f"_stun._udp IN SRV 10 0 {ports.turn} alias.{BROKEN}.",
        })
        dns = lab.bind(zones={BROKEN: zone})
        yield {"lab": lab, "dns": dns, "turn": turn, "sip": sip, "dir": lab.run_dir}


def _edited(zone: str, changes: dict[str, str]) -> str:
    for old, new in changes.items():
        assert old in zone, old
        zone = zone.replace(old, new)
    return zone


def audit_broken(broken: dict[str, object], *extra: str) -> Result:
    lab = broken["lab"]
    return audit(BROKEN, broken["dns"], lab.certs.ca_cert, *extra)  # type: ignore[attr-defined]


EXPECTED = {
    ("dns", "CRITICAL", "SRV target is a CNAME to stun.broken.test; RFC 2782: SRV targets can't point to CNAME "
                        "records", ("srv-target-cname",)),
    ("dns", "WARNING", "no such name (recommended)", ("srv-missing",)),
    ("cert", "CRITICAL", "EKU lacks clientAuth: federation (SIP mutual TLS, XMPP s2s) will fail", ("eku-missing",)),
    ("xmpp", "WARNING", "STARTTLS offered but not required", ("starttls-optional",)),
    ("turn", "WARNING", "relays to private addresses: permission granted towards private 10/8 10.0.0.1, private "
                        "172.16/12 172.16.0.1, private 192.168/16 192.168.0.1, link-local 169.254.0.1, cloud "
                        "metadata 169.254.169.254 (coturn: denied-peer-ip)", ("relays-to-private",)),
}


def test_each_fault_of_the_broken_domain_is_reported_once_and_nothing_else(broken) -> None:  # type: ignore[no-untyped-def]
    result = audit_broken(broken, "--json", *turn_login(broken["turn"], broken["dir"]))
    assert result.returncode == 2, result.stdout
    assert findings(result) == EXPECTED
    report = json.loads(result.stdout)
    where = {f["message"][:20]: f["where"] for area in report["areas"] for f in area["findings"]}
    assert where["no such name (recomm"] == ["_turns._tcp.broken.test/SRV"]
    assert where["SRV target is a CNAM"] == ["alias.broken.test/A,AAAA"]
    sip_tls = broken["sip"].tls_ports  # type: ignore[attr-defined]
    assert sorted(where["EKU lacks clientAuth"]) == sorted(
        f"sip.broken.test[{a}]:{p}/tls" for a in ("127.0.0.1", "::1") for p in sip_tls)
    starttls = where["STARTTLS offered but"]
    assert len(starttls) == 2 and all(w.endswith("/starttls") for w in starttls)
    assert len(where["relays to private ad"]) == 4  # udp and tcp, both families; TLS is not published


def test_the_broken_domain_report_names_evidence_and_remedy(broken) -> None:  # type: ignore[no-untyped-def]
    result = audit_broken(broken, *turn_login(broken["turn"], broken["dir"]))
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == ("broken.test: 2 critical, 3 warnings; DNS: alias.broken.test/A,AAAA: SRV target "
                              "is a CNAME to stun.broken.test; RFC 2782: SRV targets can't point to CNAME records "
                              "(+4 more)")
    assert (result.perfdata["critical"], result.perfdata["warning"]) == ("2;;;0", "3;;;0")
    lines = result.long_output
    assert [line for line in lines if line and not line.startswith(" ")] == [
        "DNS: CRITICAL", "Certificates: CRITICAL", "SIP: OK", "XMPP: WARNING", "TURN/STUN: WARNING", "ENUM: not run"]
    assert ("      fix:      add to the zone of broken.test: `_turns._tcp.broken.test. IN SRV 10 0 5349 "
            "turn.broken.test.` (RTC guide Table 5.1), and have the server listen there (coturn: "
            "tls-listening-port=5349 with cert= and pkey=; reTurn: TlsTurnPort)") in lines
    assert ("      fix:      in every SRV record that names alias.broken.test, write the host's own name "
            "stun.broken.test instead, or replace `alias.broken.test. IN CNAME stun.broken.test.` by A and AAAA "
            "records (RFC 2782: no aliases as SRV targets)") in lines
    assert any(re.fullmatch(r"      evidence: TLSv1\.[23], certificate CN=broken\.test,O=check-rtc lab, RSA 2048 "
                            r"bits, sha256, EKU serverAuth, \d certificates? served", line) for line in lines), lines
    assert any(line.startswith("      fix:      ask the CA for a certificate whose Extended Key Usage has both "
                               "TLS Web Server Authentication (serverAuth) and TLS Web Client Authentication "
                               "(clientAuth)") for line in lines)
    assert any(re.fullmatch(r"      evidence: negotiated in \d\.\d{3}s: STARTTLS optional, .*", line) for line in lines)
    assert ("      fix:      require TLS: prosody `c2s_require_encryption = true` (s2s: `s2s_require_encryption = "
            "true`); ejabberd `starttls_required: true` on the ejabberd_c2s listener (s2s: `s2s_use_starttls: "
            "required`)") in lines
    assert sum(line.startswith("  [") for line in lines) == 5


def test_without_turn_credentials_only_the_refusal_of_strangers_is_checked(broken) -> None:  # type: ignore[no-untyped-def]
    result = audit_broken(broken, "--only", "turn")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary == "broken.test: 2 checks, nothing wrong in TURN/STUN"
    assert [line for line in result.long_output if line and not line.startswith(" ")] == ["TURN/STUN: OK"]


def test_skip_leaves_the_other_areas(broken) -> None:  # type: ignore[no-untyped-def]
    result = audit_broken(broken, "--skip", "dns,cert,enum", "--json")
    assert (result.returncode, [a["area"] for a in json.loads(result.stdout)["areas"]]) == (1, ["sip", "xmpp", "turn"])
    assert {kinds for _, _, _, kinds in findings(result)} == {("starttls-optional",)}


@pytest.mark.parametrize(("args", "message"), [
    (["audit", "example.test", "--only", "dns,voice"], "argument --only: area 'voice' is not one of "
                                                        "dns,cert,sip,xmpp,turn,enum"),
    (["audit", "example.test", "--only", "dns", "--skip", "dns"], "--only and --skip leave no area"),
    (["audit", "example.test", "--only", "enum"], "--only enum needs -n NUMBER"),
    (["audit", "example.test", "-n", "12ab"], "argument -n/--number: ENUM number '12ab' is not '+' followed by "
                                              "digits"),
    (["audit"], "the following arguments are required: DOMAIN"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_usage_is_unknown(args: list[str], message: str) -> None:
    result = run_check("check_rtc", *args)
    assert (result.returncode, result.stdout.splitlines()[0]) == (3, f"RTC UNKNOWN - {message}")
