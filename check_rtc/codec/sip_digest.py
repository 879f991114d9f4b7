# SPDX-License-Identifier: GPL-3.0-or-later
"""SIP digest authentication, client side (codec layer; RFC 3261 §22.4, RFC 8760, RFC 7616 §3.4).

Picks the strongest challenge a 401/407 offers (RFC 8760 §2.4: SHA-512-256,
then SHA-256, then MD5), and computes the Authorization (or
Proxy-Authorization) value with qop=auth when the challenge offers it.
hashlib is imported here, and this module only when a challenge came, so a
check without credentials never pays for it. Pure functions; the cnonce is an
argument.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.codec.sip import Response, parse_challenge
from check_rtc.errors import DecodeError

# RFC 8760 §2.4: "the UAS ... MUST add the WWW-Authenticate header fields in the
# order of preference"; a client picks the strongest it supports.
ALGORITHMS = {"SHA-512-256": "sha512_256", "SHA-256": "sha256", "MD5": "md5"}
PREFERENCE = ("SHA-512-256", "SHA-256", "MD5")


class Challenge(namedtuple("Challenge", "header realm nonce algorithm qop opaque")):
    """One usable digest challenge; `header` is the field the answer goes in."""

    __slots__ = ()
    header: str
    realm: str
    nonce: str
    algorithm: str
    qop: str | None
    opaque: str | None


def pick_challenge(response: Response) -> Challenge | None:
    """The strongest digest challenge of a 401 (WWW-) or 407 (Proxy-Authenticate); None if none we support."""
    # RFC 3261 §22.2 (401: WWW-Authenticate -> Authorization) and §22.3 (407: Proxy-*).
    name, answer = ("proxy-authenticate", "Proxy-Authorization") if response.code == 407 else (
        "www-authenticate", "Authorization")
    offered = []
    for value in response.get_all(name):
        try:
            scheme, params = parse_challenge(value)
        except DecodeError:
            continue
        algorithm = params.get("algorithm", "MD5").upper()
        if scheme.lower() == "digest" and algorithm in ALGORITHMS and "nonce" in params and _hashable(algorithm):
            offered.append(_challenge(answer, algorithm, params))
    offered.sort(key=lambda c: PREFERENCE.index(c.algorithm))
    return offered[0] if offered else None


def _challenge(answer: str, algorithm: str, params: dict[str, str]) -> Challenge:
    qops = [q.strip().lower() for q in params.get("qop", "").split(",")]
    # RFC 3261 §22.4 / RFC 2617 §3.2.2: with no qop offered, the legacy RFC 2069 response.
    qop = "auth" if "auth" in qops else None
    return Challenge(answer, params.get("realm", ""), params["nonce"], algorithm, qop, params.get("opaque"))


def _hashable(algorithm: str) -> bool:
    import hashlib

    return ALGORITHMS[algorithm] in hashlib.algorithms_available


def _hash(algorithm: str, text: str) -> str:
    import hashlib

    return hashlib.new(ALGORITHMS[algorithm], text.encode("utf-8")).hexdigest()


def authorization(
    challenge: Challenge, username: str, password: str, method: str, uri: str, cnonce: str, nc: int = 1
) -> str:
    """The Authorization / Proxy-Authorization value answering `challenge`."""
    h = challenge.algorithm
    # RFC 7616 §3.4.2: A1 = unq(username) ":" unq(realm) ":" passwd; A2 = Method ":" request-uri
    ha1 = _hash(h, f"{username}:{challenge.realm}:{password}")
    ha2 = _hash(h, f"{method}:{uri}")
    count = f"{nc:08x}"
    if challenge.qop:
        # RFC 7616 §3.4.1: KD(H(A1), unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop) ":" H(A2))
        response = _hash(h, f"{ha1}:{challenge.nonce}:{count}:{cnonce}:{challenge.qop}:{ha2}")
    else:
        response = _hash(h, f"{ha1}:{challenge.nonce}:{ha2}")
    fields = [f'username="{_quote(username)}"', f'realm="{_quote(challenge.realm)}"',
              f'nonce="{_quote(challenge.nonce)}"', f'uri="{_quote(uri)}"', f'response="{response}"',
              f"algorithm={challenge.algorithm}"]
    if challenge.qop:
        fields += [f"qop={challenge.qop}", f"nc={count}", f'cnonce="{cnonce}"']
    if challenge.opaque is not None:
        fields.append(f'opaque="{_quote(challenge.opaque)}"')
    return "Digest " + ", ".join(fields)


def _quote(text: str) -> str:
    """RFC 3261 §25.1 quoted-pair for '"' and '\\' inside a quoted-string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')
