# SPDX-License-Identifier: GPL-3.0-or-later
"""ENUM names and NAPTR substitution expressions (RFC 6116, RFC 3402 §3.2) on the bounded ERE engine."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from check_rtc.codec import enum, ere
from check_rtc.errors import DecodeError

FUZZ = settings(max_examples=300, deadline=None)


def test_enum_domain_reverses_the_digits_under_the_suffix() -> None:
    assert enum.enum_domain("+44 20 7946-0001", "e164.arpa.") == "1.0.0.0.6.4.9.7.0.2.4.4.e164.arpa"


@pytest.mark.parametrize("number, message", [
    ("442079460001", "ENUM number '442079460001' is not '+' followed by digits"),
    ("+44x", "ENUM number '+44x' is not '+' followed by digits"),
    ("+1234567890123456", "ENUM number '+1234567890123456' has more than 15 digits (E.164)"),
])
def test_bad_numbers(number: str, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        enum.e164_aus(number)
    assert str(caught.value) == message


@pytest.mark.parametrize("regexp, subject, result", [
    ("!^.*$!sip:info@example.test!", "+442079460000", "sip:info@example.test"),
    ("!^\\+44(.*)$!sip:0\\1@example.test!", "+442079460001", "sip:02079460001@example.test"),
    ("/^\\+44(20)(.*)$/sip:0\\1\\2@example.test/i", "+442079460006", "sip:02079460006@example.test"),
    ("#^\\+1([0-9]{3})(.*)$#tel:+1-\\1-\\2#", "+15550100", "tel:+1-555-0100"),
    ("!^\\+([[:digit:]]+)$!sip:\\1\\!x@a.test!", "+123", "sip:123!x@a.test"),
    ("!^X(.*)$!sip:\\1@a.test!i", "x42", "sip:42@a.test"),
    ("!(a|ab)(c|bcd)(d*)!<\\1,\\2,\\3>!", "abcd", "<a,bcd,>"),
    ("!^\\+4[^4]!no!", "+442079460001", None),
])
def test_substitution(regexp: str, subject: str, result: str | None) -> None:
    assert enum.parse_substitution(regexp).apply(subject) == result


@pytest.mark.parametrize("regexp, message", [
    ("", "NAPTR regexp is empty"),
    ("1^.*$1x1", "NAPTR regexp delimiter '1' is not allowed"),
    ("!^.*$!sip:x@y", "NAPTR regexp needs 3 '!' delimiters, found 2"),
    ("!^.*$!x!g", "NAPTR regexp flag 'g' is not 'i'"),
    ("!^(.*$!x!", "ERE unbalanced '(' at offset 5"),
    ("!^\\d+$!x!", "ERE unsupported escape '\\d' at offset 2"),
    ("!^[0-9$!x!", "ERE unterminated '[' at offset 6"),
    ("!^a{3,1}$!x!", "ERE interval outside 0..255 at offset 7"),
    ("!*a!x!", "ERE quantifier '*' with nothing to repeat at offset 1"),
    ("!^(a)$!\\2!", "NAPTR regexp back-reference \\2 but the ERE has 1 group(s)"),
    ("!^(a)$!\\0!", "NAPTR regexp back-reference \\0 is not allowed (RFC 3402: POS-DIGIT)"),
    ("!(a{255}){255}!x!", "ERE program longer than 1024 instructions"),
])
def test_malformed_expressions(regexp: str, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        enum.parse_substitution(regexp)
    assert str(caught.value) == message


@pytest.mark.parametrize("ere_text", ["^(\\+?([0-9]+)+)+#$", "^(([0-9]*)*)*#$", "^((.*)*|(.+)+)+#$",
                                      "^(a|a?)+$", "^([0-9]|[0-9]?)+#$", "(.*.*.*.*.*.*)*#"])
def test_catastrophic_patterns_end_quickly(ere_text: str) -> None:
    """Patterns that make a backtracking engine take exponential time, against the
    longest E.164 string and a 64-character one: a few milliseconds at most."""
    program = ere.compile_ere(ere_text)
    for subject in ("+123456789012345", "1" * ere.MAX_SUBJECT_CHARS):
        started = time.perf_counter()
        assert program.search(subject) is None
        assert time.perf_counter() - started < 0.5


def test_subject_cap() -> None:
    with pytest.raises(DecodeError) as caught:
        ere.compile_ere("a").search("a" * 65)
    assert str(caught.value) == "ERE subject longer than 64 characters"


@pytest.mark.parametrize("uri, problem", [
    ("sip:info@example.test", None), ("sips:[::1]:5061", None), ("tel:+442079460001", None),
    ("not a uri", "not a URI (RFC 3986)"), ("sip:x@", "sip URI without a valid host (RFC 3261 §25.1)"),
    ("sip:x@a..b", "sip URI without a valid host (RFC 3261 §25.1)"), ("sip:%zz@a", "not a URI (RFC 3986)"),
])
def test_uri_problem(uri: str, problem: str | None) -> None:
    assert enum.uri_problem(uri) == problem


def test_enumservices() -> None:
    assert enum.offers("E2U+SIP", "E2U+sip")
    assert enum.offers("E2U+pstn:tel+sip", "E2U+sip")
    assert not enum.offers("E2U+pstn:tel", "E2U+sip")
    assert not enum.offers("SIP+D2T", "E2U+sip")


ERE_ALPHABET = "ab+0123456789^$.|()[]{}*?\\-,:!/i"


@FUZZ
@given(st.text(alphabet=ERE_ALPHABET, max_size=40), st.text(alphabet="ab+0129", max_size=20))
def test_arbitrary_expressions_raise_only_decode_error(text: str, subject: str) -> None:
    try:
        result = enum.parse_substitution(text).apply(subject)
    except DecodeError:
        return
    assert result is None or isinstance(result, str)


@FUZZ
@given(st.text(max_size=300), st.text(max_size=80))
def test_any_text_raises_only_decode_error(text: str, subject: str) -> None:
    try:
        enum.parse_substitution(text).apply(subject)
    except DecodeError:
        pass


SIMPLE = st.sampled_from(["a", "b", "ab", "[ab]", ".", "a*", "b+", "(a|b)", "(ab)?", "a{1,2}", "[^a]"])


@FUZZ
@given(st.lists(SIMPLE, min_size=1, max_size=6), st.text(alphabet="ab", max_size=12))
def test_agrees_with_python_re_on_whether_a_match_exists(parts: list[str], subject: str) -> None:
    """On patterns both dialects read alike, the match position and length agree with leftmost-longest."""
    pattern = "".join(parts)
    ours = ere.compile_ere(pattern).search(subject)
    theirs = [m for m in (re.compile(pattern).match(subject, i) for i in range(len(subject) + 1)) if m]
    assert (ours is None) == (not theirs)


@FUZZ
@given(st.text(alphabet="0123456789", min_size=1, max_size=15), st.sampled_from(["e164.arpa", "e164.example.test."]))
def test_enum_domain_round_trip(digits: str, suffix: str) -> None:
    domain = enum.enum_domain("+" + digits, suffix)
    labels = domain.split(".")
    assert "".join(reversed(labels[:len(digits)])) == digits
