# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_call against real peers: Debian's baresip answering with a tone, called directly and through
the lab's kamailio (registrar and proxy, over TLS), and the failures real peers produce: 486, 404, a
phone that rings and is never answered, audio that never arrives, audio from another port, a codec refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run_check


IN_LINE = r"in: MOS 4\.\d\d, R 9\d\.\d, loss 0\.00%, jitter \d+\.\d\d ms, RTT (unknown|\d+\.\d\d ms)"
TRYING = "100 trying -- your call is important to us"


@pytest.fixture(scope="module")
def proxy(lab):  # type: ignore[no-untyped-def]
    """A kamailio registrar and proxy (TLS towards the check, UDP towards the phone)."""
    return lab.kamailio(proxy=True)


@pytest.fixture(scope="module")
def phone(lab, proxy, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A baresip registered at the proxy as callee (answers with a 440 Hz tone) and ringer (never answers)."""
    from check_rtc.lab.baresip import Baresip

    with Baresip(tmp_path_factory.mktemp("phone") / "baresip", registrar=f"127.0.0.1:{proxy.port}",
                 domain=lab.domain, users=("callee", "ringer:manual")) as baresip:
        baresip.wait_registered()
        yield baresip


def call(proxy, user: str, *args: str, transport: str = "udp"):  # type: ignore[no-untyped-def]
    port = proxy.tls_ports[0] if transport == "tls" else proxy.port
    return run_check("check_rtc_call", "-H", "127.0.0.1", "-p", str(port), "-T", transport,
                     "--uri", f"sip:{user}@example.test", *args)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_direct_call_to_baresip(phone, transport: str) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_rtc_call", "-H", "127.0.0.1", "-p", str(phone.sip_port), "-T", transport,
                       "--uri", f"sip:callee@127.0.0.1:{phone.sip_port}", "--duration", "1", "--warning-pdd", "1")
    where = f"127.0.0.1:{phone.sip_port}/{transport}"
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.fullmatch(rf"{re.escape(where)}: 200 Answering in 0\.\d{{4}}s \(first 180 Ringing after 0\.\d{{4}}s\), "
                        rf"PCMU/8000; {IN_LINE}; out: no RTCP report from the far end about our stream; "
                        r"RTP sent 50, received \d+", result.summary), result.summary
    assert set(result.perfdata) == {f"{where}_{name}" for name in (
        "answer", "pdd", "provisional", "rtp_sent", "rtp_received", "in_mos", "in_r", "in_loss", "in_jitter_ms")}
    assert result.perfdata[f"{where}_pdd"].endswith("s;1;;0")
    assert result.perfdata[f"{where}_rtp_sent"] == "50c;;;0"


def test_call_through_the_proxy_over_tls_with_rtcp_both_ways(lab, proxy, phone) -> None:  # type: ignore[no-untyped-def]
    # baresip sends its first RTCP report 2-6 s into the call (RFC 3550 §6.2 with a 5 s interval).
    result = call(proxy, "callee", "-d", lab.domain, "--ca-file", str(lab.certs.ca_cert), "--duration", "7",
                  "--warning-mos", "4", "-t", "12", transport="tls")
    where = f"127.0.0.1:{proxy.tls_ports[0]}/tls"
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.fullmatch(rf"{re.escape(where)}: 200 Answering in 0\.\d{{4}}s \(first {TRYING} after 0\.\d{{4}}s\), "
                        rf"PCMU/8000; out: MOS 4\.\d\d, R 9\d\.\d, loss 0\.00%, jitter \d+\.\d\d ms, "
                        rf"RTT (unknown|\d+\.\d\d ms); {IN_LINE}; RTP sent 350, received \d+", result.summary), result.summary
    # "out" is rated from baresip's own receiver report about our stream; its RTT
    # is unknown when that report came before our first SR reached it (LSR 0).
    assert result.perfdata[f"{where}_out_mos"].endswith(";4:;;0")


def test_busy(proxy, phone) -> None:  # type: ignore[no-untyped-def]
    result = call(proxy, "busy")
    assert (result.returncode, result.summary) == (
        2, f"127.0.0.1:{proxy.port}/udp: call failed: INVITE answered 486 Busy Here")


def test_not_found(proxy, phone) -> None:  # type: ignore[no-untyped-def]
    result = call(proxy, "nobody", transport="tcp")
    assert (result.returncode, result.summary.split(" | ")[0]) == (
        2, f"127.0.0.1:{proxy.port}/tcp: call failed: INVITE answered 404 Not Found")


def test_no_answer_is_cancelled(proxy, phone) -> None:  # type: ignore[no-untyped-def]
    result = call(proxy, "ringer", "--duration", "1", "-t", "4")
    assert (result.returncode, result.summary) == (
        2, f"127.0.0.1:{proxy.port}/udp: no answer in time: CANCEL sent after 180 Ringing (CANCEL answered "
           "200 canceling; INVITE answered 487 Request Terminated)")
    assert result.elapsed < 4.5


def test_one_way_audio(proxy, phone) -> None:  # type: ignore[no-untyped-def]
    result = call(proxy, "oneway", "--duration", "1")
    assert result.returncode == 2
    assert re.fullmatch(rf"127\.0\.0\.1:{proxy.port}/udp: one-way audio: no RTP from the far end "
                        r"\(we sent 50 packets to 127\.0\.0\.1:\d+\)", result.summary), result.summary
    assert result.perfdata[f"127.0.0.1:{proxy.port}/udp_rtp_received"] == "0c;;;0"


def test_media_from_an_unexpected_port(proxy, phone) -> None:  # type: ignore[no-untyped-def]
    result = call(proxy, "moved", "--duration", "1")
    assert result.returncode == 1
    assert re.fullmatch(rf"127\.0\.0\.1:{proxy.port}/udp: media from an unexpected address: 127\.0\.0\.1:\d+ "
                        rf"\(\d+ packets\); the SDP answer named 127\.0\.0\.1:{proxy.blackhole_port}",
                        result.summary), result.summary


def test_codec_not_accepted(proxy, phone) -> None:  # type: ignore[no-untyped-def]
    result = call(proxy, "callee", "--codec", "opus", "--duration", "1")
    assert (result.returncode, result.summary.split(" | ")[0]) == (
        2, f"127.0.0.1:{proxy.port}/udp: codec not accepted: INVITE answered 488 Not Acceptable Here")


def test_digest_challenge_answered(lab, phone, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    guarded = lab.kamailio(proxy=True, auth_user="monitor", auth_password="s3cret")
    from check_rtc.lab.baresip import Baresip

    (tmp_path / "password").write_text("s3cret\n")
    with Baresip(tmp_path / "baresip", registrar=f"127.0.0.1:{guarded.port}", domain=lab.domain) as baresip:
        baresip.wait_registered()
        result = call(guarded, "callee", "-u", "monitor", "--password-file", str(tmp_path / "password"),
                      "--duration", "1", "-vvv")
        refused = call(guarded, "callee", "--duration", "1")
    assert result.state == "OK", result.stdout
    assert ", authenticated as monitor (MD5 digest), PCMU/8000" in result.summary
    assert "s3cret" not in result.stdout
    assert refused.summary == f"127.0.0.1:{guarded.port}/udp: call failed: INVITE answered 407 Proxy Authentication Required"


def test_duration_longer_than_the_timeout_is_a_usage_error(proxy) -> None:  # type: ignore[no-untyped-def]
    result = call(proxy, "callee", "--duration", "20", "-t", "5")
    assert (result.returncode, result.summary) == (3, "a call of --duration 20s needs more than 21s; -t 5 leaves 4.5s")


def test_opus_where_the_far_end_has_it(tmp_path: Path) -> None:
    from check_rtc.lab.baresip import Baresip

    with Baresip(tmp_path / "baresip", codecs=("g722", "opus")) as wideband:
        result = run_check("check_rtc_call", "-H", "127.0.0.1", "-p", str(wideband.sip_port), "-T", "udp",
                           "--uri", f"sip:callee@127.0.0.1:{wideband.sip_port}", "--codec", "opus,g722",
                           "--duration", "1")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert ", opus/48000; in: MOS 4." in result.summary
