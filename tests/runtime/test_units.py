# SPDX-License-Identifier: GPL-3.0-or-later
"""Small runtime pieces: endpoint labels, --dns-server parsing, secrets."""

from __future__ import annotations

import pytest

from check_rtc import secrets
from check_rtc.errors import UsageError
from check_rtc.resolve import ip_family, parse_server
from check_rtc.transport.endpoint import Endpoint


@pytest.mark.parametrize(
    "endpoint, label",
    [
        (Endpoint("127.0.0.1", "127.0.0.1", 3478, "udp"), "127.0.0.1:3478/udp"),
        (Endpoint("::1", "::1", 5349, "tls"), "[::1]:5349/tls"),
        (Endpoint("stun.example.test.", "::1", 3478, "tcp"), "stun.example.test[::1]:3478/tcp"),
        (Endpoint("stun.example.test", "192.0.2.5", 3478, "udp"), "stun.example.test[192.0.2.5]:3478/udp"),
        (Endpoint("gone.example.test", "", 3478, "udp"), "gone.example.test:3478/udp"),
        (Endpoint("_stun._udp.example.test", "", 0, "udp"), "_stun._udp.example.test/udp"),
    ],
)
def test_labels_name_the_endpoint_without_perfdata_specials(endpoint: Endpoint, label: str) -> None:
    assert endpoint.label() == label
    assert "'" not in label and "=" not in label


@pytest.mark.parametrize(
    "spec, server",
    [("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
     ("::1", ("::1", 53)), ("[::1]:5353", ("::1", 5353)), ("[::1]", ("::1", 53))],
)
def test_dns_server_forms(spec: str, server: tuple[str, int]) -> None:
    assert parse_server(spec) == server


@pytest.mark.parametrize("spec", ["ns.example.test", "127.0.0.1:x", "127.0.0.1:0", "[::1]:99999"])
def test_bad_dns_server_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_server(spec)


def test_ip_family() -> None:
    assert (ip_family("192.0.2.1"), ip_family("2001:db8::1"), ip_family("example.test")) == (4, 6, None)


def test_secret_from_file_is_masked_everywhere(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pw"
    path.write_text("s3cr3t-value\n")
    assert secrets.read_secret(str(path), "CHECK_RTC_TEST_UNSET") == "s3cr3t-value"
    assert secrets.mask("login with s3cr3t-value failed") == f"login with {secrets.MASK} failed"


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECK_RTC_TEST_PW", "from-env-pw")
    assert secrets.read_secret(None, "CHECK_RTC_TEST_PW") == "from-env-pw"
    assert "from-env-pw" not in secrets.mask("pw from-env-pw")


def test_missing_secret_file_is_a_usage_error_without_the_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="cannot read password file .*: No such file or directory"):
        secrets.read_secret(str(tmp_path / "missing"), "X")
