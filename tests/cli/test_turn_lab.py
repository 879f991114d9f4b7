# SPDX-License-Identifier: GPL-3.0-or-later
"""check_turn against real coturns: long-term and REST credentials, open relay, peer policy."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_check


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory, turn, lab):  # type: ignore[no-untyped-def]
    """Password and shared-secret files, as an operator's resource macros point at."""
    from check_rtc.lab import Coturn

    rest = next(s for s in lab.servers if isinstance(s, Coturn) and s.mode == "rest")
    directory = tmp_path_factory.mktemp("secrets")
    (directory / "password").write_text(turn.password + "\n")
    (directory / "wrong").write_text("not-the-password\n")
    (directory / "secret").write_text(rest.secret + "\n")
    return directory


@pytest.fixture(scope="module")
def rest(lab):  # type: ignore[no-untyped-def]
    from check_rtc.lab import Coturn

    return next(s for s in lab.servers if isinstance(s, Coturn) and s.mode == "rest")


def port_of(server, transport: str) -> int:  # type: ignore[no-untyped-def]
    return int(server.tls_port if transport == "tls" else server.port)


def credentials(turn, secrets_dir) -> list[str]:  # type: ignore[no-untyped-def]
    return ["-u", turn.username, "--password-file", str(secrets_dir / "password")]


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_every_step_passes_on_a_well_configured_server(lab, turn, secrets_dir, address: str,  # type: ignore[no-untyped-def]
                                                       transport: str) -> None:
    port = port_of(turn, transport)
    result = run_check("check_turn", "-H", address, "-p", str(port), "-T", transport,
                       "--ca-file", str(lab.certs.ca_cert), *credentials(turn, secrets_dir))
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.search(r"relayed address \S+:\d+, mapped \S+:\d+, lifetime \d+s, allocated in \d\.\d{4}s; "
                     r"relay round trip \d\.\d{4}s \(Send/Data\), \d\.\d{4}s \(ChannelData\); "
                     r"refused permissions towards 5 private address classes$", result.summary), result.summary
    label = f"[{address}]:{port}/{transport}" if ":" in address else f"{address}:{port}/{transport}"
    assert {f"{label}_{name}" for name in ("allocate", "relay_rtt", "channel_rtt", "lifetime", "time")} \
        == set(result.perfdata)
    assert result.perfdata[f"{label}_lifetime"] == "600s;;;0"


def test_without_credentials_only_the_refusal_is_checked(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(turn.port))
    assert (result.returncode, result.state) == (0, "OK")
    assert result.summary == (f"127.0.0.1:{turn.port}/udp: refuses an unauthenticated Allocate (401, realm "
                              "'example.test'); no credentials to go further")


def test_rest_shared_secret(rest, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "::1", "-p", str(rest.port), "--secret-file", str(secrets_dir / "secret"))
    assert (result.returncode, result.state) == (0, "OK"), result.stdout


def test_expired_rest_credentials_hint_at_clock_skew(rest, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(rest.port), "--secret-file",
                       str(secrets_dir / "secret"), "--credential-lifetime=-60")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary.startswith(f"127.0.0.1:{rest.port}/udp: Allocate: 401 Unauthorized: ")
    assert "clock skew" in result.summary


def test_wrong_password_is_critical_and_never_printed(turn, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(turn.port), "-u", turn.username,
                       "--password-file", str(secrets_dir / "wrong"), "-vvv")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert "Allocate: 401 Unauthorized: wrong username, password or realm" in result.summary
    assert "not-the-password" not in result.stdout + result.stderr
    assert "> 127.0.0.1" in result.stdout  # the trace is there, with the secret masked


def test_password_from_the_environment(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(turn.port), "-u", turn.username,
                       env={"CHECK_RTC_PASSWORD": turn.password})
    assert (result.returncode, result.state) == (0, "OK"), result.stdout


def test_username_without_password_is_unknown(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(turn.port), "-u", turn.username)
    assert (result.returncode, result.summary) == (3, "-u needs a password: --password-file FILE or $CHECK_RTC_PASSWORD")


def test_wrong_realm_is_critical(turn, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(turn.port), "--realm", "example.org",
                       *credentials(turn, secrets_dir))
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == (f"127.0.0.1:{turn.port}/udp: realm 'example.test' is not the expected "
                              "'example.org' (coturn: realm=)")


def test_open_relay_is_critical(lab) -> None:  # type: ignore[no-untyped-def]
    from check_rtc.lab import PRIVATE_PEER_RANGES

    open_relay = lab.coturn(mode="noauth", allow_loopback_peers=True, denied_peer_ips=PRIVATE_PEER_RANGES)
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(open_relay.port))
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == f"127.0.0.1:{open_relay.port}/udp: open relay: Allocate succeeded without credentials"


@pytest.fixture(scope="module")
def permissive(lab):  # type: ignore[no-untyped-def]
    """A coturn that relays towards private addresses (no denied-peer-ip)."""
    return lab.coturn(mode="ltc", allow_loopback_peers=True)


def test_relaying_to_private_addresses_is_a_warning(permissive, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    args = ["-H", "127.0.0.1", "-p", str(permissive.port), *credentials(permissive, secrets_dir)]
    result = run_check("check_turn", *args)
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary.startswith(
        f"127.0.0.1:{permissive.port}/udp: relays to private addresses: permission granted towards "
        "private 10/8 10.0.0.1, private 172.16/12 172.16.0.1, private 192.168/16 192.168.0.1, "
        "link-local 169.254.0.1, cloud metadata 169.254.169.254 (coturn: denied-peer-ip)")
    strict = run_check("check_turn", *args, "--private-peers-critical")
    assert (strict.returncode, strict.state) == (2, "CRITICAL")


def test_ipv6_relay_asks_about_ipv6_classes(permissive, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "::1", "-p", str(permissive.port), "--relay-ipv6",
                       *credentials(permissive, secrets_dir))
    assert result.state == "WARNING"
    assert "relayed address [::1]:" in result.stdout
    assert "unique local fd00::1, link-local fe80::1, cloud metadata fd00:ec2::254" in result.summary


def test_loopback_peers_refused_means_no_relay_in_the_lab(lab, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    # Without allow-loopback-peers coturn refuses the lab's loopback relayed
    # addresses as peers: the relay step fails, and says where.
    strict = lab.coturn(mode="ltc")
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(strict.port), *credentials(strict, secrets_dir))
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == f"127.0.0.1:{strict.port}/udp: CreatePermission: 403 Forbidden: the server's policy refuses this request"


def test_discovery_through_naptr_and_srv(lab, dns, turn, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-d", lab.domain, "--dns-server", f"127.0.0.1:{dns.port}", "-T", "udp,tcp,tls",
                       "--ca-file", str(lab.certs.ca_cert), *credentials(turn, secrets_dir))
    assert (result.returncode, result.summary) == (0, "6 endpoints answered"), result.stdout
    assert {line.split(": ")[0] for line in result.long_output} == {
        f"[OK] turn.{lab.domain}[{a}]:{port_of(turn, t)}/{t}" for a in ("127.0.0.1", "::1") for t in ("udp", "tcp", "tls")}


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_ice_connects_two_agents_through_relayed_candidates(lab, turn, secrets_dir, transport: str) -> None:  # type: ignore[no-untyped-def]
    port = port_of(turn, transport)
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(port), "-T", transport, "--ice",
                       "--ca-file", str(lab.certs.ca_cert), *credentials(turn, secrets_dir))
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.fullmatch(rf"127\.0\.0\.1:{port}/{transport}: ICE gathered (\d+ host, )?1 relay(, \d+ srflx)? in "
                        r"\d\.\d{4}s; connected through the relay in \d\.\d{4}s", result.summary), result.summary
    label = f"127.0.0.1:{port}/{transport}"
    assert {f"{label}_gather", f"{label}_connect", f"{label}_time"} == set(result.perfdata)


def test_ice_without_relay_candidate_is_critical_with_the_reason(turn, secrets_dir) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(turn.port), "--ice", "-u", turn.username,
                       "--password-file", str(secrets_dir / "wrong"))
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == (f"127.0.0.1:{turn.port}/udp: ICE gathering: no relayed candidate: "
                              "STUN transaction failed (401 - Unauthorized)")


def test_ice_needs_credentials(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_turn", "-H", "127.0.0.1", "-p", str(turn.port), "--ice")
    assert (result.returncode, result.summary) == (3, "--ice needs credentials: -u with --password-file, or --secret-file")
