# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped Icinga 2 configuration (icinga2-config/) in real icinga2 instances against the lab.

The CheckCommands and the sample apply rules run unchanged, next to the
ITL (itl, plugins, plugins-contrib: no name clashes) and Debian's default
templates (/etc/icinga2/conf.d: generic-host, generic-service); the test
adds a Host whose vars.rtc describes the lab. The distributed example runs
as two instances on loopback, a master and a satellite, each with its own
PKI directory: the master schedules, the satellite executes
(command_endpoint), the master receives the result.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.config import expected
from tests.config.conftest import ICINGA2_CONFIG, wait_for

DEBIAN_CONF_D = Path("/etc/icinga2/conf.d")
PLUGINS_CONTRIB = Path("/usr/share/icinga2/include/plugins-contrib.d")
DISTRIBUTED = ICINGA2_CONFIG / "distributed"
SERVICES = ICINGA2_CONFIG / "rtc-example-services.conf"

_PREAMBLE = """\
const PluginDir = "{plugin_dir}"
const PluginContribDir = "{plugin_dir}"
const NodeName = "{node}"
const ZoneName = "{node}"

include <itl>
include <plugins>
{plugins_contrib}include "{debian}/templates.conf"
include "{debian}/timeperiods.conf"
include "{debian}/commands.conf"
"""

_LAB_HOST = """
object Host "example.test" {{
	import "generic-host"

	check_command = "dummy"
	address = "127.0.0.1"
	{zone}

	vars.rtc_ca_file = "{ca}"
	vars.rtc_dns_server = "127.0.0.1:{dns.port}"
	vars.rtc_dns_ns_port = {dns.port}
	/* the test call: long enough for the callee's first RTCP report (2-6 s into the call) */
	vars.rtc_call_duration = 7
	vars.rtc_timeout = 12
	vars.rtc = {{
		domain = "example.test"
		{probe}
		turn = {{
			name = "turn.example.test"
			address = "127.0.0.1"
			port = {turn.port}
			tls_port = {turn.tls_port}
			username = "{turn.username}"
			password_file = "{turn_password}"
		}}
		sip = {{
			address = "127.0.0.1"
			tls_ports = [ {sip.tls_ports[0]}, {sip.tls_ports[1]} ]
		}}
		xmpp = {{
			address = "127.0.0.1"
			c2s_port = {xmpp.c2s_port}
			s2s_port = {xmpp.s2s_port}
			username = "{xmpp.jid}"
			password_file = "{xmpp_password}"
		}}
		call = {{
			address = "127.0.0.1"
			port = {pbx.tls_ports[0]}
			uri = "sip:callee@example.test"
			username = "{pbx.auth_user}"
			password_file = "{sip_password}"
		}}
		enum = {{
			numbers = {{
				"+442079460000" = "sip:info@example.test"
				"+442079460001" = "sip:02079460001@example.test"
			}}
		}}
	}}
}}
"""

_ZONES = """
object Endpoint "master" {{
}}

object Endpoint "probe" {{
{probe_connection}}}

object Zone "master" {{
	endpoints = [ "master" ]
}}

object Zone "probe" {{
	endpoints = [ "probe" ]
	parent = "master"
}}
"""


def preamble(plugin_dir: Path | str, node: str = "icinga.example.test") -> str:
    """Constants, the ITL and Debian's templates. <plugins-contrib> file by file, without
    files named like ours: those of an installed check-rtc would define our commands twice."""
    ours = {path.name for path in ICINGA2_CONFIG.glob("*.conf")}
    contrib = sorted(path for path in PLUGINS_CONTRIB.glob("*.conf") if path.name not in ours)
    return _PREAMBLE.format(plugin_dir=plugin_dir, node=node, debian=DEBIAN_CONF_D, plugins_contrib=includes(*contrib))


def includes(*paths: Path) -> str:
    return "".join(f'include "{path}"\n' for path in paths)


def command_files() -> list[Path]:
    return sorted(ICINGA2_CONFIG.glob("check*.conf"))


def lab_host(rtc_lab, secrets, probe: str | None = None) -> str:  # type: ignore[no-untyped-def]
    lab, servers = rtc_lab
    return _LAB_HOST.format(ca=lab.certs.ca_cert, turn=servers["turn"], sip=servers["sip"], xmpp=servers["xmpp"],
                            dns=servers["dns"], pbx=servers["pbx"], sip_password=secrets["sip"],
                            turn_password=secrets["turn"], xmpp_password=secrets["xmpp"],
                            probe=f'probe_endpoint = "{probe}"' if probe else "",
                            zone='zone = "master"' if probe else "")


def lab_cases(servers) -> dict[str, tuple[expected.Expected, str]]:  # type: ignore[no-untyped-def]
    """Every sample service of the lab host: its expected result and endpoint."""
    turn, sip, xmpp = servers["turn"], servers["sip"], servers["xmpp"]
    return {
        "stun-udp": (expected.STUN, f"127.0.0.1:{turn.port}/udp"),
        "stun-tls": (expected.STUN, f"127.0.0.1:{turn.tls_port}/tls"),
        "turn-udp": (expected.TURN, f"127.0.0.1:{turn.port}/udp"),
        "turn-tls": (expected.TURN, f"127.0.0.1:{turn.tls_port}/tls"),
        f"sip-tls-{sip.tls_ports[0]}": (expected.SIP_TLS, f"127.0.0.1:{sip.tls_ports[0]}/tls"),
        f"sip-tls-{sip.tls_ports[1]}": (expected.SIP_TLS, f"127.0.0.1:{sip.tls_ports[1]}/tls"),
        "xmpp-c2s": (expected.XMPP_C2S, f"127.0.0.1:{xmpp.c2s_port}/starttls"),
        "xmpp-s2s": (expected.XMPP_S2S, f"127.0.0.1:{xmpp.s2s_port}/starttls"),
        f"cert-sip-{sip.tls_ports[0]}": (expected.CERT_SIP, f"127.0.0.1:{sip.tls_ports[0]}/tls"),
        f"cert-sip-{sip.tls_ports[1]}": (expected.CERT_SIP, f"127.0.0.1:{sip.tls_ports[1]}/tls"),
        "cert-xmpp-c2s": (expected.CERT_XMPP, f"127.0.0.1:{xmpp.c2s_port}/starttls"),
        "cert-xmpp-s2s": (expected.CERT_XMPP, f"127.0.0.1:{xmpp.s2s_port}/starttls"),
        "cert-turn-tls": (expected.CERT_TURN, f"127.0.0.1:{turn.tls_port}/tls"),
        "rtcp-turn": (expected.RTCP_TURN, f"127.0.0.1:{turn.port}/udp"),
        "sip-call": (expected.CALL, f"127.0.0.1:{servers['pbx'].tls_ports[0]}/tls"),
        "rtc-dns": (expected.DNS, ""),
        "enum-442079460000": (expected.ENUM_0000, ""),
        "enum-442079460001": (expected.ENUM_0001, ""),
        "rtc-audit": (expected.audit(14), ""),
    }


def checked_since(icinga, services: list[str], since: float):  # type: ignore[no-untyped-def]
    """Force the lab host's services and wait for results newer than `since`."""
    for service in services:
        icinga.force_service_check("example.test", service)

    def fresh():  # type: ignore[no-untyped-def]
        status = {service: row for (host, service), row in icinga.services().items() if host == "example.test"}
        if all(service in status and int(status[service]["last_check"]) >= int(since) for service in services):
            return status
        return None

    return wait_for(fresh, 30, f"results of {services}")


def assert_result(result: expected.Expected, row: dict[str, object], endpoint: str) -> None:
    """Icinga keeps the space that stood before the '|' at the end of the output."""
    output = str(row["plugin_output"])
    assert output.endswith(" ") == bool(row["perf_data"]), repr(output)
    result.check(output.rstrip(" "), str(row["perf_data"]), endpoint)


def assert_clean(result) -> None:  # type: ignore[no-untyped-def]
    """icinga2 daemon -C passed, with no warning or error on the way."""
    assert result.returncode == 0, result.stdout + result.stderr
    noise = [line for line in (result.stdout + result.stderr).splitlines()
             if "warning/" in line or "critical/" in line]
    assert noise == [], result.stdout + result.stderr
    assert "information/cli: Finished validating the configuration file(s)." in result.stdout


def test_icinga2_accepts_the_commands_and_the_sample(tmp_path: Path) -> None:
    from check_rtc.lab.icinga2 import Icinga2

    config = preamble("/usr/lib/nagios/plugins") + includes(
        *command_files(), SERVICES, ICINGA2_CONFIG / "rtc-example-hosts.conf")
    result = Icinga2(tmp_path, config).verify()
    assert_clean(result)
    assert "information/ConfigItem: Instantiated 18 Services." in result.stdout, result.stdout


@pytest.mark.parametrize("node", ["master", "probe"])
def test_icinga2_accepts_the_distributed_example(tmp_path: Path, node: str) -> None:
    from check_rtc.lab.icinga2 import Icinga2, pki

    if node == "master":
        config = preamble("/usr/lib/nagios/plugins", "master.example.org") + includes(
            *command_files(), SERVICES, DISTRIBUTED / "zones.conf", DISTRIBUTED / "example.org.conf")
    else:
        config = preamble("/usr/lib/nagios/plugins", "probe.example.net") + includes(
            *command_files(), DISTRIBUTED / "zones.conf", DISTRIBUTED / "api-probe.conf")
        # the ApiListener reads the node's certificate, as `icinga2 node wizard` leaves it
        pki(tmp_path / "ca", {"probe.example.net": tmp_path / "node" / "lib"})
    result = Icinga2(tmp_path / "node", config).verify()
    assert_clean(result)


@pytest.fixture(scope="module")
def icinga(tmp_path_factory, rtc_lab, plugin_dir, secrets):  # type: ignore[no-untyped-def]
    """A running icinga2 with the shipped commands and apply rules, and a host for the lab."""
    from check_rtc.lab.icinga2 import Icinga2

    config = preamble(plugin_dir) + includes(*command_files(), SERVICES) + lab_host(rtc_lab, secrets)
    with Icinga2(tmp_path_factory.mktemp("icinga2"), config) as daemon:
        yield daemon


def test_every_sample_service_runs_against_the_lab(icinga, rtc_lab) -> None:  # type: ignore[no-untyped-def]
    servers = rtc_lab[1]
    cases = lab_cases(servers)
    status = checked_since(icinga, list(cases), time.time())
    assert set(status) == set(cases)  # no service besides the sample's
    for service, (result, endpoint) in cases.items():
        row = status[service]
        assert row["state"] == 0, (service, row["plugin_output"])
        assert_result(result, row, endpoint)


@pytest.fixture(scope="module")
def distributed(tmp_path_factory, rtc_lab, plugin_dir, secrets):  # type: ignore[no-untyped-def]
    """A satellite ("probe") with the plugins and a master without them, each
    with its certificate from one CA made by `icinga2 pki`; the master
    connects to the satellite."""
    from check_rtc.lab.icinga2 import Icinga2, pki
    from check_rtc.lab.ports import pick_port

    run = tmp_path_factory.mktemp("icinga2-cluster")
    no_plugins = run / "master-plugins"
    no_plugins.mkdir()
    probe_port, master_port = pick_port(), pick_port()
    probe_config = (preamble(plugin_dir, "probe") + includes(*command_files())
                    + _ZONES.format(probe_connection=""))
    master_config = (preamble(no_plugins, "master") + includes(*command_files(), SERVICES)
                     + _ZONES.format(probe_connection=f'\thost = "127.0.0.1"\n\tport = {probe_port}\n')
                     + lab_host(rtc_lab, secrets, probe="probe"))
    probe = Icinga2(run / "probe", probe_config, api_port=probe_port, accept_commands=True)
    master = Icinga2(run / "master", master_config, api_port=master_port)
    pki(run / "ca", {"probe": probe.data_dir, "master": master.data_dir})
    with probe, master:
        wait_for(lambda: master.query('GET endpoints\nColumns: name is_connected\nFilter: name = probe\n')
                 == [["probe", 1]], 30, "the master's connection to the satellite")
        yield master


def test_the_satellite_runs_the_checks_and_the_master_gets_the_results(distributed, rtc_lab) -> None:  # type: ignore[no-untyped-def]
    servers = rtc_lab[1]
    cases = lab_cases(servers)
    status = checked_since(distributed, list(cases), time.time())
    for service, (result, endpoint) in cases.items():
        row = status[service]
        assert (row["state"], row["check_source"]) == (0, "probe"), (service, row["plugin_output"])
        assert_result(result, row, endpoint)


def test_a_stopped_server_turns_its_services_critical(icinga, rtc_lab) -> None:  # type: ignore[no-untyped-def]
    # last in this module: the lab's kamailio stays stopped
    servers = rtc_lab[1]
    sip = servers["sip"]
    sip.stop()
    cases = {f"{kind}-{port}": (result, f"127.0.0.1:{port}/tls") for port in sip.tls_ports
             for kind, result in (("sip-tls", expected.SIP_DOWN), ("cert-sip", expected.CERT_DOWN))}
    status = checked_since(icinga, list(cases), time.time())
    for service, (result, endpoint) in cases.items():
        assert status[service]["state"] == 2, status[service]["plugin_output"]
        assert_result(result, status[service], endpoint)
    assert checked_since(icinga, ["xmpp-s2s"], time.time())["xmpp-s2s"]["state"] == 0
