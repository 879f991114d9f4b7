# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_cert next to check_ssl_cert (Debian's monitoring-plugins-contrib) on the same endpoints.

Where both judge the same thing, they agree; where check_rtc_cert is stricter
(the clientAuth EKU, wildcards for SIP), the test says so.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_check

CHECK_SSL_CERT = Path("/usr/lib/nagios/plugins/check_ssl_cert")
TIMEOUT = 20
STATES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}



@pytest.fixture(scope="module")
def kamailios(lab):  # type: ignore[no-untyped-def]
    started: dict[str, object] = {}

    def get(variant: str):  # type: ignore[no-untyped-def]
        if variant not in started:
            started[variant] = lab.kamailio(cert=variant)
        return started[variant]

    return get


# check_ssl_cert 2.60 reports this in about 1 run of 6 against kamailio (one TLS
# worker, several s_client connections per run): asked again, it judges.
FLAKE = "TLS handshake error"
ATTEMPTS = 6


def theirs(lab, port: int, name: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """check_ssl_cert's state and status line."""
    for _ in range(ATTEMPTS):
        state, line = _theirs_once(lab, port, name)
        if FLAKE not in line:
            break
    return state, line


def _theirs_once(lab, port: int, name: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """One run (private CA: no SCTs, no OCSP responder)."""
    done = subprocess.run(
        [str(CHECK_SSL_CERT), "-H", "127.0.0.1", "-p", str(port), "--rootcert-file", str(lab.certs.ca_cert),
         "-m", name, "--ignore-sct", "--ignore-ocsp", "-w", "30", "-c", "14", "-t", str(TIMEOUT)],
        capture_output=True, text=True, timeout=TIMEOUT + 10, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    return STATES[done.returncode], done.stdout.splitlines()[0] if done.stdout else done.stderr


def ours(lab, port: int, name: str, protocol: str = "sip") -> str:  # type: ignore[no-untyped-def]
    result = run_check("check_rtc_cert", "-P", protocol, "-H", "127.0.0.1", "-d", name, "-p", str(port),
                       "--ca-file", str(lab.certs.ca_cert))
    return result.state


@pytest.mark.parametrize("variant, state", [
    ("good", "OK"), ("expiring", "CRITICAL"), ("expired", "CRITICAL"), ("self_signed", "CRITICAL"),
    ("wrong_name", "CRITICAL"),
])
def test_both_agree_on_trust_expiry_and_names(lab, kamailios, variant: str, state: str) -> None:  # type: ignore[no-untyped-def]
    port = kamailios(variant).tls_ports[0]
    their_state, line = theirs(lab, port, "example.test")
    assert (ours(lab, port, "example.test"), their_state) == (state, state), line


def test_only_we_require_the_client_auth_eku(lab, kamailios) -> None:  # type: ignore[no-untyped-def]
    # check_ssl_cert's --require-purpose reads Key Usage, not EKU: it cannot see this.
    port = kamailios("server_only").tls_ports[0]
    their_state, line = theirs(lab, port, "example.test")
    assert (ours(lab, port, "example.test"), their_state) == ("CRITICAL", "OK"), line


def test_only_we_refuse_a_wildcard_for_sip(lab, kamailios) -> None:  # type: ignore[no-untyped-def]
    # RFC 5922 §7.2; check_ssl_cert applies the web's wildcard rule to every protocol.
    port = kamailios("wildcard").tls_ports[0]
    their_state, line = theirs(lab, port, "sip.example.test")
    assert (ours(lab, port, "sip.example.test"), their_state) == ("CRITICAL", "OK"), line
    assert ours(lab, port, "sip.example.test", protocol="tls") == "OK"
