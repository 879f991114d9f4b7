# SPDX-License-Identifier: GPL-3.0-or-later
"""Service identity in certificates (RFC 6125 §6; RFC 5922 §7 for SIP; RFC 7590 §3.2 for XMPP).

Sans-IO: matches a reference identity (the domain the operator named, or an
IP literal) against the peer certificate as ssl.SSLSocket.getpeercert()
returns it (a dict with "subject" and "subjectAltName"). The protocol
chooses the rules: which URI schemes name the service (SIP: "sip", RFC 5922
§7.1), and whether wildcards match (RFC 5922 §7.2: for SIP they MUST NOT).
Our own because ssl's check_hostname always accepts wildcards and knows no
URI-IDs. Names are compared as ASCII (A-labels), case-insensitively.
"""

from __future__ import annotations

from check_rtc.errors import TlsError

# Names quoted in a mismatch message: enough to see what the certificate is
# for, short enough for a status line.
LISTED_NAMES = 4

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    PeerCert = dict[str, Any]


class IdentityError(TlsError):
    """The certificate does not name the service: CRITICAL, with what it names instead."""


def verify_identity(cert: PeerCert, reference: str, *, uri_schemes: tuple[str, ...] = (),
                    allow_wildcards: bool = True) -> str:
    """How `cert` names `reference` (e.g. "SAN URI sip:example.org"); IdentityError if it does not."""
    reference = reference.rstrip(".").lower()
    sans = [(kind, str(value)) for kind, value in cert.get("subjectAltName", ())]
    if _is_ip(reference):
        for kind, value in sans:
            if kind == "IP Address" and _same_ip(value, reference):
                return f"SAN IP {value}"
        raise IdentityError(f"certificate does not name {reference} ({_listing(sans, cert)})")
    for kind, value in sans:
        if kind == "URI" and _uri_matches(value, reference, uri_schemes):
            return f"SAN URI {value}"
        if kind == "DNS" and _dns_matches(value, reference, allow_wildcards):
            return f"SAN DNS {value}"
    # RFC 6125 §6.4.4: "a client MUST NOT seek a match for a reference identifier of
    # CN-ID if the presented identifiers include a DNS-ID, SRV-ID, URI-ID"; RFC 5922
    # §7.1: CN only "if and only if the subjectAltName does not appear".
    if not sans:
        for common_name in _common_names(cert):
            if _dns_matches(common_name, reference, allow_wildcards):
                return f"subject CN {common_name}"
    raise IdentityError(_mismatch(cert, sans, reference, allow_wildcards))


def _mismatch(cert: PeerCert, sans: list[tuple[str, str]], reference: str, allow_wildcards: bool) -> str:
    dns_names = [value for kind, value in sans if kind == "DNS"] or ([] if sans else _common_names(cert))
    if not allow_wildcards and dns_names and all(name.startswith("*.") for name in dns_names):
        # RFC 5922 §7.2: "A wildcard certificate ... MUST NOT be accepted as a valid
        # subjectAltName for the SIP domain"
        return (f"certificate has only wildcard names ({', '.join(dns_names)}); "
                f"RFC 5922 §7.2 forbids wildcard certificates for SIP")
    return f"certificate does not name {reference} ({_listing(sans, cert)})"


def _listing(sans: list[tuple[str, str]], cert: PeerCert) -> str:
    names = [f"{kind} {value}" for kind, value in sans if kind in ("DNS", "URI", "IP Address")]
    if not names:
        names = [f"CN {name}" for name in _common_names(cert)]
    if not names:
        return "it names nothing"
    more = f" and {len(names) - LISTED_NAMES} more" if len(names) > LISTED_NAMES else ""
    return "it names " + ", ".join(names[:LISTED_NAMES]) + more


def _uri_matches(uri: str, reference: str, schemes: tuple[str, ...]) -> bool:
    """RFC 5922 §7.1: a URI-ID "sip:domain" (no user part, no port) names the SIP domain."""
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() not in schemes or "@" in rest:
        return False
    host = rest.split(";", 1)[0].split("?", 1)[0]
    return host.rstrip(".").lower() == reference


def _dns_matches(name: str, reference: str, allow_wildcards: bool) -> bool:
    name = name.rstrip(".").lower()
    if name == reference:
        return True
    # RFC 6125 §6.4.3: "*" as the complete left-most label matches exactly one label.
    if allow_wildcards and name.startswith("*.") and "." in reference:
        return reference.split(".", 1)[1] == name[2:] and name.count(".") >= 2
    return False


def _common_names(cert: PeerCert) -> list[str]:
    return [str(value) for rdn in cert.get("subject", ()) for key, value in rdn if key == "commonName"]


def _is_ip(text: str) -> bool:
    return ":" in text or text.replace(".", "").isdigit()


def _same_ip(presented: str, reference: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(presented.strip()) == ipaddress.ip_address(reference)
    except ValueError:
        return False


def subject_name(cert: PeerCert) -> str:
    """A short name for long output: the subject CN, else the first SAN."""
    names = _common_names(cert) or [str(value) for _, value in cert.get("subjectAltName", ())]
    return names[0] if names else "(no subject)"
