# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped Nagios configuration (nagios-config/) in a real nagios4 against the lab.

The command files and the sample services run unchanged; the test adds only
what a site adds: hosts for the lab's servers (in the sample's hostgroups,
with the lab's ports in the custom variables; the domain's host resolves
through the lab's BIND) and a resource.cfg whose $USER1$ is this checkout's
plugins and whose $USER5$/$USER6$/$USER7$ name the password files.
Debian's own object files (/etc/nagios4/objects, the monitoring plugins'
/etc/nagios-plugins/config) surround them as on a Debian host.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.config import expected
from tests.config.conftest import NAGIOS_CONFIG, wait_for

DEBIAN_OBJECTS = [Path("/etc/nagios4/objects") / name
                  for name in ("commands.cfg", "contacts.cfg", "timeperiods.cfg", "templates.cfg")]
SAMPLE_HOSTS = NAGIOS_CONFIG / "rtc-example-hosts.cfg"

_HOST = """\
define host{{
	use			rtc-server,linux-server
	host_name		{name}
	address			127.0.0.1
	hostgroups		{group}
	_RTC_DOMAIN		example.test
	_RTC_TLS_OPTIONS	--ca-file {ca}
{variables}	}}
"""


def debian_objects(shipped: list[Path]) -> list[Path]:
    """Debian's object files, and the plugin commands of /etc/nagios-plugins/config
    (check-host-alive...) except files named like ours (an installed check-rtc)."""
    ours = {path.name for path in shipped}
    plugin_configs = sorted(path for path in Path("/etc/nagios-plugins/config").glob("*.cfg") if path.name not in ours)
    return DEBIAN_OBJECTS + plugin_configs


def command_files() -> list[Path]:
    return sorted(path for path in NAGIOS_CONFIG.glob("*.cfg") if not path.name.startswith("rtc-example-"))


def lab_hosts(lab, servers) -> str:  # type: ignore[no-untyped-def]
    """Hosts for the lab's servers and its domain, as a site defines its own in place of
    rtc-example-hosts.cfg."""
    turn, sip, xmpp, dns, pbx = servers["turn"], servers["sip"], servers["xmpp"], servers["dns"], servers["pbx"]
    hosts = {
        ("turn.example.test", "rtc-turn-servers"): {"_TURN_PORT": turn.port, "_TURN_TLS_PORT": turn.tls_port,
                                                    "_TURN_USER": turn.username},
        ("sip.example.test", "rtc-sip-servers"): {"_SIP_TLS_PORT": sip.tls_ports[0],
                                                  "_SIP_TLS_443_PORT": sip.tls_ports[1]},
        ("xmpp.example.test", "rtc-xmpp-servers"): {"_XMPP_C2S_PORT": xmpp.c2s_port,
                                                    "_XMPP_S2S_PORT": xmpp.s2s_port, "_XMPP_USER": xmpp.jid},
        # the test call, long enough for the callee's first RTCP report (2-6 s into the call)
        ("pbx.example.test", "rtc-call-servers"): {"_CALL_PORT": pbx.tls_ports[0], "_CALL_USER": pbx.auth_user,
                                                   "_CALL_URI": "sip:callee@example.test",
                                                   "_CALL_OPTIONS": "--duration 7 -t 12 --warning-mos 3.6"
                                                                    " --critical-mos 3.1"},
        # the organisation's number in the public tree and in its own, which must agree
        ("example.test", "rtc-domains"): {"_RTC_OPTIONS": f"--dns-server 127.0.0.1:{dns.port}",
                                          "_DNS_NS_PORT": dns.port, "_TURN_USER": turn.username,
                                          "_ENUM_NUMBER": "+442079460001",
                                          "_ENUM_OPTIONS": "--suffix e164.arpa --suffix e164.example.test"
                                                           " --expect sip:02079460001@example.test"},
    }
    return "\n".join(
        _HOST.format(name=name, group=group, ca=lab.certs.ca_cert,
                     variables="".join(f"\t{key}\t\t{value}\n" for key, value in variables.items()))
        for (name, group), variables in hosts.items())


@pytest.fixture(scope="module")
def nagios(tmp_path_factory, rtc_lab, plugin_dir, secrets):  # type: ignore[no-untyped-def]
    """A running nagios4 with the shipped commands and sample services, and hosts for the lab."""
    from check_rtc.lab.nagios import Nagios

    lab, servers = rtc_lab
    run_dir = tmp_path_factory.mktemp("nagios")
    hosts = run_dir / "lab-hosts.cfg"
    hosts.write_text(lab_hosts(lab, servers))
    shipped = command_files() + [NAGIOS_CONFIG / "rtc-example-services.cfg"]
    daemon = Nagios(run_dir / "daemon", debian_objects(shipped) + shipped + [hosts],
                    {"USER1": str(plugin_dir), "USER5": str(secrets["turn"]), "USER6": str(secrets["xmpp"]),
                     "USER7": str(secrets["sip"])})
    with daemon:
        yield daemon


def checked_since(nagios, services: list[tuple[str, str]], since: float):  # type: ignore[no-untyped-def]
    """Force the services' checks and wait until status.dat has results newer than `since`."""
    for host, service in services:
        nagios.force_service_check(host, service)

    def fresh():  # type: ignore[no-untyped-def]
        status = nagios.services()
        if all(int(status[key]["last_check"]) >= int(since) for key in services):
            return status
        return None

    return wait_for(fresh, 30, f"results of {services}")


def test_nagios_accepts_the_shipped_files_without_warnings(tmp_path: Path) -> None:
    from check_rtc.lab.nagios import Nagios

    shipped = sorted(NAGIOS_CONFIG.glob("*.cfg"))
    result = Nagios(tmp_path, debian_objects(shipped) + shipped, {"USER1": "/usr/lib/nagios/plugins"}).verify()
    assert result.returncode == 0, result.stdout
    assert "Total Warnings: 0\n" in result.stdout and "Total Errors:   0\n" in result.stdout, result.stdout
    # every sample host and service made it into the configuration
    assert "Checked 18 services.\n" in result.stdout and "Checked 4 hosts.\n" in result.stdout, result.stdout


def test_every_sample_service_runs_against_the_lab(nagios, rtc_lab) -> None:  # type: ignore[no-untyped-def]
    servers = rtc_lab[1]
    turn, sip, xmpp, pbx = servers["turn"], servers["sip"], servers["xmpp"], servers["pbx"]
    cases = {
        ("turn.example.test", "STUN UDP"): (expected.STUN, f"127.0.0.1:{turn.port}/udp"),
        ("turn.example.test", "STUN TLS"): (expected.STUN, f"127.0.0.1:{turn.tls_port}/tls"),
        ("turn.example.test", "TURN UDP"): (expected.TURN, f"127.0.0.1:{turn.port}/udp"),
        ("turn.example.test", "TURN TLS"): (expected.TURN, f"127.0.0.1:{turn.tls_port}/tls"),
        ("sip.example.test", "SIP TLS"): (expected.SIP_TLS, f"127.0.0.1:{sip.tls_ports[0]}/tls"),
        ("sip.example.test", "SIP TLS 443"): (expected.SIP_TLS, f"127.0.0.1:{sip.tls_ports[1]}/tls"),
        ("xmpp.example.test", "XMPP c2s"): (expected.XMPP_C2S, f"127.0.0.1:{xmpp.c2s_port}/starttls"),
        ("xmpp.example.test", "XMPP s2s"): (expected.XMPP_S2S, f"127.0.0.1:{xmpp.s2s_port}/starttls"),
        ("turn.example.test", "TURN TLS certificate"): (expected.CERT_TURN, f"127.0.0.1:{turn.tls_port}/tls"),
        ("sip.example.test", "SIP TLS certificate"): (expected.CERT_SIP, f"127.0.0.1:{sip.tls_ports[0]}/tls"),
        ("sip.example.test", "SIP TLS 443 certificate"): (expected.CERT_SIP, f"127.0.0.1:{sip.tls_ports[1]}/tls"),
        ("xmpp.example.test", "XMPP c2s certificate"): (expected.CERT_XMPP, f"127.0.0.1:{xmpp.c2s_port}/starttls"),
        ("xmpp.example.test", "XMPP s2s certificate"): (expected.CERT_XMPP, f"127.0.0.1:{xmpp.s2s_port}/starttls"),
        ("turn.example.test", "RTCP via TURN"): (expected.RTCP_TURN, f"127.0.0.1:{turn.port}/udp"),
        ("pbx.example.test", "SIP test call"): (expected.CALL, f"127.0.0.1:{pbx.tls_ports[0]}/tls"),
        ("example.test", "DNS records"): (expected.DNS, ""),
        ("example.test", "ENUM"): (expected.ENUM_0001_TREES, ""),
        ("example.test", "RTC audit"): (expected.audit(13), ""),
    }
    started = time.time()
    status = checked_since(nagios, list(cases), started)
    assert {key for key in status} == set(cases)  # no service besides the sample's
    for key, (result, endpoint) in cases.items():
        service = status[key]
        assert service["current_state"] == "0", (key, service["plugin_output"])
        result.check(service["plugin_output"], service["performance_data"], endpoint, semicolon=":")


def test_a_stopped_server_turns_its_services_critical(nagios, rtc_lab) -> None:  # type: ignore[no-untyped-def]
    servers = rtc_lab[1]
    sip = servers["sip"]
    sip.stop()
    cases = {("sip.example.test", "SIP TLS"): (expected.SIP_DOWN, f"127.0.0.1:{sip.tls_ports[0]}/tls"),
             ("sip.example.test", "SIP TLS 443"): (expected.SIP_DOWN, f"127.0.0.1:{sip.tls_ports[1]}/tls"),
             ("sip.example.test", "SIP TLS certificate"): (expected.CERT_DOWN, f"127.0.0.1:{sip.tls_ports[0]}/tls"),
             ("sip.example.test", "SIP TLS 443 certificate"): (expected.CERT_DOWN,
                                                               f"127.0.0.1:{sip.tls_ports[1]}/tls")}
    status = checked_since(nagios, list(cases), time.time())
    for key, (result, endpoint) in cases.items():
        assert status[key]["current_state"] == "2", status[key]["plugin_output"]
        result.check(status[key]["plugin_output"], status[key]["performance_data"], endpoint, semicolon=":")
    # the other servers' services are still fine
    other = checked_since(nagios, [("xmpp.example.test", "XMPP s2s")], time.time())
    assert other[("xmpp.example.test", "XMPP s2s")]["current_state"] == "0"
