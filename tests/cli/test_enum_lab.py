# SPDX-License-Identifier: GPL-3.0-or-later
"""check_enum against the lab BIND: e164.arpa and a private suffix, plain, back-reference,
non-terminal, malicious and broken expressions."""

from __future__ import annotations

import pytest

from tests.conftest import run_check


def enum(dns, number: str, *extra: str):  # type: ignore[no-untyped-def]
    return run_check("check_enum", "-n", number, "--dns-server", f"127.0.0.1:{dns.port}", *extra)


@pytest.mark.parametrize("number, uri", [
    ("+442079460000", "sip:info@example.test"),
    ("+44 20 7946 0001", "sip:02079460001@example.test"),      # back-reference
    ("+442079460002", "sip:442079460002@example.test"),        # non-terminal record followed
    ("+442079460006", "sip:02079460006@EXAMPLE.TEST"),         # '/' delimiter, 'i' flag, two groups
])
def test_numbers_map_to_their_uri(dns, number: str, uri: str) -> None:  # type: ignore[no-untyped-def]
    result = enum(dns, number, "--expect", uri, "-w", "1")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary == f"{number.replace(' ', '')} -> {uri}"
    assert result.perfdata["time"].endswith("s;1;;0")


def test_long_output_lists_every_record_for_the_service(dns) -> None:  # type: ignore[no-untyped-def]
    result = enum(dns, "+442079460000")
    assert result.long_output == [
        "[OK] 0.0.0.0.6.4.9.7.0.2.4.4.e164.arpa/NAPTR: E2U+sip (order 10, preference 100): sip:info@example.test; "
        "E2U+sip (order 20, preference 100): sips:info@example.test"]
    assert result.perfdata["e164.arpa_naptr"] == "2;;;0"


def test_catastrophic_expression_ends_quickly_and_is_critical(dns) -> None:  # type: ignore[no-untyped-def]
    result = enum(dns, "+442079460003")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == ("3.0.0.0.6.4.9.7.0.2.4.4.e164.arpa/NAPTR: E2U+sip (order 10, preference 100): regexp "
                              "!^(\\+?([0-9]+)+)+#$!sip:\\1@example.test! does not match +442079460003")
    assert result.elapsed < 2


@pytest.mark.parametrize("number, summary", [
    ("+442079460004", "4.0.0.0.6.4.9.7.0.2.4.4.e164.arpa/NAPTR: E2U+sip (order 10, preference 100): malformed regexp "
                      "!^\\+44\\d+$!sip:info@example.test!: ERE unsupported escape '\\d' at offset 6"),
    ("+442079460005", "5.0.0.0.6.4.9.7.0.2.4.4.e164.arpa/NAPTR: E2U+sip (order 10, preference 100): result "
                      "'not a uri' is not a URI (RFC 3986)"),
    ("+442079460009", "9.0.0.0.6.4.9.7.0.2.4.4.e164.arpa/NAPTR: no NAPTR records"),
])
def test_broken_records_are_critical(dns, number: str, summary: str) -> None:  # type: ignore[no-untyped-def]
    result = enum(dns, number)
    assert (result.returncode, result.state, result.summary) == (2, "CRITICAL", summary)


def test_no_record_for_the_service(dns) -> None:  # type: ignore[no-untyped-def]
    result = enum(dns, "+442079460001", "--service", "E2U+h323")
    assert (result.returncode, result.summary) == (
        2, "1.0.0.0.6.4.9.7.0.2.4.4.e164.arpa/NAPTR: 2 NAPTR record(s), none for E2U+h323")
    assert enum(dns, "+442079460001", "--service", "E2U+pstn:tel").summary == "+442079460001 -> tel:+442079460001"


def test_expect_mismatch_is_critical(dns) -> None:  # type: ignore[no-untyped-def]
    result = enum(dns, "+442079460000", "--expect", "sip:sales@example.test")
    assert result.summary == ("0.0.0.0.6.4.9.7.0.2.4.4.e164.arpa/NAPTR: sip:info@example.test is not the expected "
                              "sip:sales@example.test; E2U+sip (order 10, preference 100): sip:info@example.test; "
                              "E2U+sip (order 20, preference 100): sips:info@example.test")
    assert enum(dns, "+442079460000", "--expect-regex", r"sip:\w+@example\.test").state == "OK"


def test_suffixes_agree_or_disagree(dns) -> None:  # type: ignore[no-untyped-def]
    both = ("--suffix", "e164.arpa", "--suffix", "e164.example.test")
    result = enum(dns, "+442079460001", *both)
    assert (result.state, result.summary) == ("OK", "+442079460001 -> sip:02079460001@example.test on 2 suffixes")
    result = enum(dns, "+442079460000", *both)
    assert (result.returncode, result.summary) == (1, "suffixes: disagree: e164.arpa -> sip:info@example.test, "
                                                      "e164.example.test -> sip:other@example.test")
    assert enum(dns, "+15550100", "--suffix", "e164.example.test").summary == "+15550100 -> sip:5550100@sip.example.test"


@pytest.mark.parametrize("args, line", [
    (("-n", "442079460000"), "ENUM UNKNOWN - ENUM number '442079460000' is not '+' followed by digits"),
    (("-n", "+44", "--service", "sip"), "ENUM UNKNOWN - --service 'sip' is not an Enumservice such as E2U+sip "
                                        "(RFC 6116 §3.4.3)"),
    (("-n", "+44", "--expect-regex", "("), "ENUM UNKNOWN - --expect-regex: missing ), unterminated subpattern at "
                                           "position 0"),
    ((), "ENUM UNKNOWN - the following arguments are required: -n/--number"),
])
def test_bad_usage_is_unknown(args: tuple[str, ...], line: str) -> None:
    result = run_check("check_enum", *args)
    assert (result.returncode, result.stdout.splitlines()[0]) == (3, line)
