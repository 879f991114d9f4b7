# SPDX-License-Identifier: GPL-3.0-or-later
"""ENUM (RFC 6116) names and the NAPTR substitution expression (RFC 3402 §3.2), sans-IO.

E.164 number -> ENUM domain; NAPTR service field -> Enumservices; regexp
field -> a Substitution whose ERE runs on the bounded engine of codec/ere.py
(the regexp comes from whoever controls the zone); the result -> a URI
checked against RFC 3986 syntax. Malformed input raises DecodeError and
nothing else.
"""

from __future__ import annotations

import re

from check_rtc.codec import ere
from check_rtc.errors import DecodeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union

    Part = Union[str, int]

MAX_E164_DIGITS = 15  # ITU-T E.164 §6
MAX_RESULT_CHARS = 2048
SEPARATORS = " -.()"  # visual separators an operator may type; RFC 6116 §2.4 drops them
# RFC 3986 §3.1 scheme, then the characters a URI may hold (§2: unreserved, reserved, pct-encoded).
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+\Z")
PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 3261 §25.1 SIP-URI: sip(s):[userinfo@]host[:port][;params][?headers]; host is a name or IP literal.
# (labels are matched one at a time: no nested quantifier, no backtracking blow-up on long results).
LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\Z")
IP_LITERAL = re.compile(r"\[[0-9A-Fa-f:.]+\]\Z")


def e164_aus(number: str) -> str:
    """The Application Unique String: '+' and the digits (RFC 6116 §2.4 step 1)."""
    digits = "".join(c for c in number[1:] if c not in SEPARATORS)
    if not number.startswith("+") or not digits.isascii() or not digits.isdigit():
        raise DecodeError(f"ENUM number '{number}' is not '+' followed by digits")
    if len(digits) > MAX_E164_DIGITS:
        raise DecodeError(f"ENUM number '{number}' has more than {MAX_E164_DIGITS} digits (E.164)")
    return "+" + digits


def enum_domain(number: str, suffix: str) -> str:
    """RFC 6116 §2.4: digits reversed, dot-separated, under `suffix` (e.g. e164.arpa)."""
    digits = e164_aus(number)[1:]
    suffix = suffix.strip(".")
    if not suffix:
        raise DecodeError("ENUM suffix is empty")
    return ".".join(reversed(digits)) + "." + suffix


def enumservices(service: str) -> tuple[str, ...] | None:
    """'E2U+sip' -> ('sip',); 'E2U+pstn:tel' -> ('pstn:tel',); None when not an ENUM service.

    RFC 6116 §3.4.3: the service field is "E2U" followed by '+'-separated
    Enumservices, each type[:subtype]; compared case-insensitively.
    """
    parts = service.lower().split("+")
    if parts[0] != "e2u" or len(parts) < 2 or not all(parts[1:]):
        return None
    return tuple(parts[1:])


def offers(service: str, wanted: str) -> bool:
    """Whether a NAPTR service field offers the Enumservice `wanted` ('E2U+sip')."""
    have, want = enumservices(service), enumservices(wanted)
    return have is not None and want is not None and all(w in have for w in want)


class Substitution:
    """A parsed `delim ere delim repl delim flags` (RFC 3402 §3.2)."""

    __slots__ = ("text", "program", "replacement")

    def __init__(self, text: str, program: ere.Program, replacement: list[Part]) -> None:
        self.text = text
        self.program = program
        self.replacement = replacement

    def apply(self, subject: str) -> str | None:
        """The substituted string, or None when the ERE does not match.

        As sed's s command, whose syntax RFC 3402 borrows: the matched part is
        replaced; ENUM's patterns are anchored, so that is the whole string.
        """
        spans = self.program.search(subject)
        if spans is None:
            return None
        start, end = spans[0]  # type: ignore[misc]
        middle = "".join(_expand(part, spans, subject) for part in self.replacement)
        result = subject[:start] + middle + subject[end:]
        if len(result) > MAX_RESULT_CHARS:
            raise DecodeError(f"NAPTR regexp result longer than {MAX_RESULT_CHARS} characters")
        return result


def _expand(part: Part, spans: list[tuple[int, int] | None], subject: str) -> str:
    if isinstance(part, str):
        return part
    span = spans[part]
    return "" if span is None else subject[span[0]:span[1]]  # an unmatched group expands to nothing


def parse_substitution(text: str) -> Substitution:
    """Parse a NAPTR regexp field; DecodeError says what is wrong."""
    if not text:
        raise DecodeError("NAPTR regexp is empty")
    delim = text[0]
    # RFC 3402 §3.2: delim-char = "/" / "!" / <Any octet not in 'POS-DIGIT' or 'flags'>
    if delim in "123456789i\\" or delim.isspace():
        raise DecodeError(f"NAPTR regexp delimiter '{delim}' is not allowed")
    fields = _split(text[1:], delim)
    if len(fields) != 3:
        raise DecodeError(f"NAPTR regexp needs 3 '{delim}' delimiters, found {len(fields)}")
    pattern, repl, flags = fields
    # RFC 3402 §3.2: flags = "i" ; Only one is currently defined.
    if flags not in ("", "i"):
        raise DecodeError(f"NAPTR regexp flag '{flags}' is not 'i'")
    program = ere.compile_ere(_pattern(pattern, delim), icase=flags == "i")
    return Substitution(text, program, _replacement(repl, delim, program.groups))


def _split(text: str, delim: str) -> list[str]:
    """Cut at unescaped delimiters; escapes are kept for the next stage."""
    fields, current, index = [], "", 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current += text[index:index + 2]
            index += 2
            continue
        if char == delim:
            fields.append(current)
            current = ""
        else:
            current += char
        index += 1
    return fields + [current] if fields else []


def _pattern(pattern: str, delim: str) -> str:
    """The ERE with escaped delimiters (RFC 3402 escapeddelim) made literal."""
    literal = "\\" + delim if not delim.isalnum() else delim
    return pattern.replace("\\" + delim, literal)


def _replacement(repl: str, delim: str, groups: int) -> list[Part]:
    """Literal text and back-references (RFC 3402: backref = "\\" POS-DIGIT)."""
    parts: list[Part] = []
    index = 0
    while index < len(repl):
        char = repl[index]
        following = repl[index + 1:index + 2]
        if char != "\\" or not following:
            parts.append(char)
            index += 1
            continue
        if following.isdigit():
            parts.append(_backref(int(following), groups))
        else:
            parts.append(following)  # \<delim>, \\ and other escaped characters stand for themselves
        index += 2
    return parts


def _backref(number: int, groups: int) -> int:
    if number == 0:
        raise DecodeError("NAPTR regexp back-reference \\0 is not allowed (RFC 3402: POS-DIGIT)")
    if number > groups:
        raise DecodeError(f"NAPTR regexp back-reference \\{number} but the ERE has {groups} group(s)")
    return number


def uri_problem(text: str) -> str | None:
    """Why `text` is not a usable URI (RFC 3986; SIP URIs per RFC 3261 §25.1), or None."""
    if not URI.match(text) or PCT.search(text):
        return "not a URI (RFC 3986)"
    scheme, _, rest = text.partition(":")
    if scheme.lower() in ("sip", "sips"):
        host = rest.rpartition("@")[2].split(";")[0].split("?")[0]
        host = re.sub(r":\d+\Z", "", host) if not host.endswith("]") else host
        if not _valid_host(host):
            return f"{scheme} URI without a valid host (RFC 3261 §25.1)"
    return None


def _valid_host(host: str) -> bool:
    if IP_LITERAL.match(host):
        return True
    labels = host.removesuffix(".").split(".")
    return bool(host) and all(LABEL.match(label) for label in labels)
