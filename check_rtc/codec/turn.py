# SPDX-License-Identifier: GPL-3.0-or-later
"""TURN client requests and long-term credentials (codec layer; RFC 8656, RFC 8489 §9.2).

Sans-IO: builds the requests of an allocation's life (Allocate, Refresh,
CreatePermission, ChannelBind, Send) on the project's one STUN codec, keeps
the long-term credential state (REALM, NONCE, key) that 401 and 438 answers
teach, and checks MESSAGE-INTEGRITY on answers. Also the TURN REST API
credentials that coturn's use-auth-secret accepts.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.codec import stun

# RFC 8656 §18.6: REQUESTED-TRANSPORT carries the IANA protocol number; UDP is 17.
UDP_PROTOCOL = 17
# RFC 8656 §18.1 / RFC 6156 §4.1.1: address family values.
FAMILY_VALUES = {4: 0x01, 6: 0x02}
FIRST_CHANNEL = stun.CHANNEL_MIN

# One-line reasons with the operator's next step, by error code (RFC 8656 §19,
# RFC 8489 §14.8).
ERROR_HINTS = {
    400: "Bad Request: the server did not accept the request's format",
    401: "Unauthorized: wrong username, password or realm (for REST credentials: wrong shared secret, "
    "or clock skew between this host and the server)",
    403: "Forbidden: the server's policy refuses this request",
    420: "Unknown Attribute: the server does not support an attribute the check sent",
    437: "Allocation Mismatch: the server has a different allocation state for this connection",
    438: "Stale Nonce: the server rejected the nonce again",
    440: "Address Family not Supported: the server cannot relay this address family",
    441: "Wrong Credentials: the username differs from the one that created the allocation",
    442: "Unsupported Transport Protocol: the server does not relay UDP",
    443: "Peer Address Family Mismatch: the peer's address family differs from the relay's",
    486: "Allocation Quota Reached: too many allocations for this user (stale allocations?)",
    508: "Insufficient Capacity: the server has no relay ports left",
}


class Credentials(namedtuple("Credentials", "username password")):
    """Long-term credentials (RFC 8489 §9.2): a username and its password."""

    __slots__ = ()
    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


def rest_credentials(secret: str, user: str, lifetime_seconds: int, now: float) -> Credentials:
    """TURN REST API credentials (draft-uberti-behave-turn-rest §2.2, coturn's use-auth-secret).

    "username: temporary-username = timestamp ':' username", where the
    timestamp is when the credentials expire; "password = base64(HMAC-SHA1(
    shared-secret, temporary-username))".
    """
    import base64
    import hashlib
    import hmac

    username = f"{int(now) + lifetime_seconds}:{user}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return Credentials(username, base64.b64encode(digest).decode("ascii"))


def error_reason(response: stun.Message) -> str:
    """'401 Unauthorized: hint' from an error response."""
    code, reason = response.get("ERROR-CODE") or (0, "without ERROR-CODE")  # type: ignore[misc]
    hint = ERROR_HINTS.get(code)
    return f"{code} {hint}" if hint else f"{code} {reason}".strip()


class Authenticator:
    """Long-term credential state of one client (RFC 8489 §9.2.3-§9.2.5).

    Starts without REALM and NONCE; a 401 or 438 answer carrying them is
    learned and the request retried. Every request after that carries
    USERNAME, REALM, NONCE and MESSAGE-INTEGRITY.
    """

    def __init__(self, credentials: Credentials | None) -> None:
        self.credentials = credentials
        self.realm: str | None = None
        self.nonce: str | None = None
        self.key: bytes | None = None

    @property
    def ready(self) -> bool:
        return self.key is not None

    def learn(self, response: stun.Message) -> bool:
        """Take REALM and NONCE from a 401/438 answer; True when a retry can succeed."""
        code = (response.get("ERROR-CODE") or (0, ""))[0]  # type: ignore[index]
        realm, nonce = response.get("REALM"), response.get("NONCE")
        if code not in (401, 438) or not isinstance(nonce, str):
            return False
        # RFC 8489 §9.2.5: on 438 "the client SHOULD retry the request, using
        # the new NONCE"; on 401 with REALM and NONCE it retries with credentials.
        if isinstance(realm, str):
            self.realm = realm
        stale_nonce = code == 438 and self.nonce != nonce
        first_challenge = code == 401 and self.key is None and self.credentials is not None
        self.nonce = nonce
        if self.credentials is not None and self.realm is not None:
            self.key = stun.long_term_key(self.credentials.username, self.realm, self.credentials.password)
        return (stale_nonce or first_challenge) and self.key is not None

    def request(self, method: stun.Method, attributes: tuple[tuple[str, object], ...]) -> stun.Message:
        """A request with the credential attributes once they are known."""
        if self.ready:
            assert self.credentials is not None
            attributes += (
                ("USERNAME", self.credentials.username),
                ("REALM", self.realm),
                ("NONCE", self.nonce),
            )
        return stun.Message(method, stun.Class.REQUEST, stun.new_transaction_id(), attributes)

    def authentic(self, raw: bytes, response: stun.Message) -> bool:
        """Does a success answer carry a valid MESSAGE-INTEGRITY (RFC 8489 §9.2.5)?"""
        if self.key is None:
            return True  # nothing to check against: an unauthenticated exchange
        return response.get("MESSAGE-INTEGRITY") is not None and stun.verify_integrity(raw, self.key)


def allocate(family: int | None = None) -> tuple[tuple[str, object], ...]:
    """Allocate attributes: a UDP relay (RFC 8656 §7.1), of an address family (RFC 6156)."""
    attributes: tuple[tuple[str, object], ...] = (("REQUESTED-TRANSPORT", UDP_PROTOCOL),)
    if family is not None:
        attributes += (("REQUESTED-ADDRESS-FAMILY", FAMILY_VALUES[family]),)
    return attributes


def refresh(lifetime: int) -> tuple[tuple[str, object], ...]:
    """Refresh attributes; lifetime 0 deletes the allocation (RFC 8656 §7.2)."""
    return (("LIFETIME", lifetime),)


def create_permission(peer: tuple[str, int]) -> tuple[tuple[str, object], ...]:
    return (("XOR-PEER-ADDRESS", peer),)


def channel_bind(channel: int, peer: tuple[str, int]) -> tuple[tuple[str, object], ...]:
    return (("CHANNEL-NUMBER", channel), ("XOR-PEER-ADDRESS", peer))


def send_indication(peer: tuple[str, int], data: bytes) -> bytes:
    """A Send indication (RFC 8656 §10.1); indications are never authenticated."""
    message = stun.Message(
        stun.Method.SEND, stun.Class.INDICATION, stun.new_transaction_id(),
        (("XOR-PEER-ADDRESS", peer), ("DATA", data)),
    )
    return stun.encode(message, fingerprint=True)
