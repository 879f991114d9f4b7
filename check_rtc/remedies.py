# SPDX-License-Identifier: GPL-3.0-or-later
"""What to change, in the operator's terms, for each kind of finding (checks layer, for check_rtc audit).

The one table of remedies: the zone-file line to add or fix, the
certificate property to ask the CA for, the server setting to change
(kamailio/repro, prosody/ejabberd, coturn/reTurn). The checks judge; this
table only explains: an entry names the finding kind, the areas whose
findings it applies to, the stable head of the check's message (a regular
expression whose named groups fill the text) and the remedy. A message
that no entry matches gets its area's fallback, which names the check to
run for details.
"""

from __future__ import annotations

import re
from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterator


class Remedy(namedtuple("Remedy", "kind areas pattern text")):
    """`areas`: area keys of the audit ('dns', 'cert', 'sip', 'xmpp', 'turn', 'enum'), () for any."""

    __slots__ = ()
    kind: str
    areas: tuple[str, ...]
    pattern: str
    text: str


DNS, CERT, SIP, XMPP, TURN = ("dns",), ("cert",), ("sip",), ("xmpp",), ("turn",)
KEY_FILES = "kamailio tls.cfg certificate=/private_key=, repro TLSCertificate/TLSPrivateKey, " \
            "prosody ssl/certificates, ejabberd certfiles, coturn cert=/pkey=, reTurn TlsServerCertificateFilename"

# Where each SRV service listens, in the servers' own settings (RTC guide Table 5.1 ports).
LISTENERS = {
    "_sips._tcp": "kamailio: listen=tls:ADDRESS:5061 (and :443); repro: a TLS transport on 5061 and 443",
    "_sip._tcp": "kamailio: listen=tcp:ADDRESS:5060; repro: a TCP transport on 5060",
    "_sip._udp": "kamailio: listen=udp:ADDRESS:5060; repro: a UDP transport on 5060",
    "_xmpp-client._tcp": "prosody: c2s_ports = { 5222 }; ejabberd: an ejabberd_c2s listener on 5222",
    "_xmpp-server._tcp": "prosody: s2s_ports = { 5269 }; ejabberd: an ejabberd_s2s_in listener on 5269",
    "_xmpps-client._tcp": "prosody: c2s_direct_tls_ports = { 5223 }; ejabberd: ejabberd_c2s with tls: true on 5223",
    "_xmpps-server._tcp": "prosody: s2s_direct_tls_ports = { 5270 }; ejabberd: ejabberd_s2s_in with tls: true",
    "_stun._udp": "coturn: listening-port=3478; reTurn: TurnPort",
    "_stun._tcp": "coturn: listening-port=3478; reTurn: TurnPort",
    "_turn._udp": "coturn: listening-port=3478; reTurn: TurnPort",
    "_turn._tcp": "coturn: listening-port=3478; reTurn: TurnPort",
    "_stuns._tcp": "coturn: tls-listening-port=5349 with cert= and pkey=; reTurn: TlsTurnPort",
    "_turns._tcp": "coturn: tls-listening-port=5349 with cert= and pkey=; reTurn: TlsTurnPort",
}
# The standard port and host name of each SRV service, for the zone line to add.
SRV_EXAMPLES = {
    "_sips._tcp": (5061, "sip"), "_sip._tcp": (5060, "sip"), "_sip._udp": (5060, "sip"),
    "_xmpp-client._tcp": (5222, "xmpp"), "_xmpp-server._tcp": (5269, "xmpp"),
    "_xmpps-client._tcp": (5223, "xmpp"), "_xmpps-server._tcp": (5270, "xmpp"),
    "_stun._udp": (3478, "stun"), "_stun._tcp": (3478, "stun"), "_stuns._tcp": (5349, "stun"),
    "_turn._udp": (3478, "turn"), "_turn._tcp": (3478, "turn"), "_turns._tcp": (5349, "turn"),
}

REMEDIES = (
    # DNS: record sets (check_rtc_dns)
    Remedy("srv-missing", DNS, r"^(no such name|no records) \((required|recommended)\)",
           "add to the zone of {domain}: `{owner}. IN SRV 10 0 {srv_port} {srv_host}.{domain}.` "
           "(RTC guide Table 5.1), and have the server listen there ({listener})"),
    Remedy("srv-declared-absent", DNS, r"^service declared absent",
           "replace `{owner}. IN SRV 0 0 0 .` by the real targets, unless the service is really not offered"),
    Remedy("srv-target-cname", DNS, r"SRV target is a CNAME to (?P<canonical>\S+);",
           "in every SRV record that names {name}, write the host's own name {canonical} instead, or replace "
           "`{name}. IN CNAME {canonical}.` by A and AAAA records (RFC 2782: no aliases as SRV targets)"),
    Remedy("srv-target-no-address", DNS, r"SRV target has no A/AAAA record",
           "add `{name}. IN A <IPv4 address>` and `{name}. IN AAAA <IPv6 address>`, or point the SRV "
           "records at a host that has them"),
    Remedy("srv-target-no-aaaa", DNS, r"no AAAA record",
           "add `{name}. IN AAAA <IPv6 address>` and let the servers listen on IPv6 as well (the guide "
           "asks for both families)"),
    Remedy("srv-target-no-a", DNS, r"no A record", "add `{name}. IN A <IPv4 address>`"),
    Remedy("srv-dot-target", DNS, r"'\.' \(service absent, RFC 2782\) listed next to real targets",
           "delete the SRV record with target '.' from {owner}: it says the service does not exist"),
    Remedy("srv-port-typo", DNS, r"port (?P<port>\d+) looks like a typo of \S+ standard port (?P<standard>\d+)",
           "correct the port in the SRV records of {owner} ({port} -> {standard}), unless the server really "
           "listens on {port}"),
    Remedy("srv-conflict", DNS, r"conflicting records for (?P<target>\S+) ",
           "keep one SRV record per target and port in {owner}: delete the duplicate for {target}"),
    Remedy("naptr-flag", DNS, r": flag '[^']*', not 's'",
           "NAPTR records for SIP and TURN carry the flag \"s\", e.g. "
           "`{domain}. IN NAPTR 10 50 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.{domain}.`"),
    Remedy("naptr-regexp", DNS, r": regexp must be empty",
           "empty the regexp field (\"\") of the NAPTR record: the replacement names the SRV owner"),
    Remedy("naptr-without-srv", DNS, r"(?P<naptr>\S+ -> \S+): no SRV records there",
           "add the SRV records the NAPTR record {naptr} points at, or delete that NAPTR record"),
    Remedy("naptr-wrong-transport", DNS, r"that is the SRV name of another transport",
           "point each NAPTR record at its transport's SRV name: SIPS+D2T -> _sips._tcp, SIP+D2T -> _sip._tcp, "
           "SIP+D2U -> _sip._udp, RELAY:turn.udp -> _turn._udp, RELAY:turn.tls -> _turns._tcp"),
    Remedy("naptr-missing", DNS, r"has SRV records but no (?P<tag>\S+) NAPTR points at it",
           "add `{domain}. IN NAPTR <order> 50 \"s\" \"{tag}\" \"\" <that SRV name>.` so that RFC 3263/5928 "
           "clients find it, or delete those SRV records"),
    Remedy("naptr-conflict", DNS, r"conflicting \S+ records with order",
           "give every NAPTR record of one service its own order or preference"),
    Remedy("dns-lookup-failed", DNS, r"lookup failed",
           "the name servers of {domain} must answer this query: check named's log and "
           "`named-checkzone {domain} <zone file>`"),
    Remedy("dnssec-unvalidated", DNS, r"not validated: no AD flag",
           "sign the zone (named.conf: dnssec-policy) and publish its DS record in the parent zone"),
    Remedy("ns-lagging", DNS, r"lagging: SOA serial|answers differ from the resolver's",
           "let every name server load the current zone: raise the SOA serial with each change, check "
           "NOTIFY and zone transfers (allow-transfer, also-notify)"),
    Remedy("ns-lame", DNS, r"lame: not authoritative",
           "make {name} a primary or secondary for the zone, or remove it from the zone's NS records"),
    Remedy("ns-unreachable", DNS, r"authoritative server|authoritative servers not checked",
           "the zone's name servers must answer on their addresses: check that named runs and allows queries"),
    # Certificates (check_rtc_cert)
    Remedy("eku-missing", CERT, r"EKU lacks (?P<eku>serverAuth|clientAuth)",
           "ask the CA for a certificate whose Extended Key Usage has both TLS Web Server Authentication "
           "(serverAuth) and TLS Web Client Authentication (clientAuth) (CSR: `extendedKeyUsage = serverAuth, "
           "clientAuth`): servers are TLS clients in SIP mutual TLS and XMPP s2s, so the guide uses one "
           "certificate with both; then install it ({key_files})"),
    Remedy("cert-identity", CERT, r"^identity: ",
           "ask the CA for a certificate whose subjectAltName names {domain} (SIP: DNS:{domain} and "
           "URI:sip:{domain}; XMPP: DNS:{domain}), and install it ({key_files})"),
    Remedy("chain-incomplete", CERT, r"^incomplete chain",
           "serve the intermediate certificates after the server's own: configure the full-chain file "
           "({key_files})"),
    Remedy("chain-untrusted", CERT, r"^chain not trusted",
           "use a certificate from a CA the clients trust, not a self-signed one ({key_files})"),
    Remedy("chain-order", CERT, r"^chain served in the wrong order",
           "order the certificate file: the server's certificate first, then each issuer in turn"),
    Remedy("cert-not-yet-valid", CERT, r"is not valid yet",
           "check the clocks (NTP) of the server and of the CA, or install the certificate on its start date"),
    Remedy("cert-weak", CERT, r"is weak: ",
           "ask the CA for a new certificate with an RSA key of 2048 bits or more (or ECDSA), signed with SHA-256"),
    Remedy("cert-expiry", CERT, r"certificate (expires in|expired)",
           "renew the certificate (certbot renew, or ask the CA) and reload the server ({key_files})"),
    Remedy("ocsp-revoked", CERT, r"^OCSP: certificate revoked",
           "the CA has revoked the certificate: get a new one and install it"),
    Remedy("ocsp-must-staple", CERT, r"^OCSP: the certificate is Must-Staple",
           "turn on OCSP stapling in the TLS server (nginx `ssl_stapling on;`, HAProxy `ocsp-update on`), "
           "or ask the CA for a certificate without the Must-Staple (TLS Feature) extension"),
    Remedy("ocsp-bad-staple", CERT, r"^OCSP: stapled answer",
           "the server staples an OCSP answer that does not fit the certificate it serves: have it fetch a "
           "fresh one after every certificate change (reload it, or renew its staple file)"),
    Remedy("ocsp-problem", CERT, r"^OCSP: (responder |answer is stale)", "check the OCSP responder the certificate names (Authority "
                                             "Information Access) with the CA"),
    Remedy("dane-mismatch", CERT, r"^DANE: ",
           "publish TLSA records that match the served certificate, e.g. `_PORT._tcp.HOST. IN TLSA 3 1 1 "
           "<SHA-256 of the public key>`, and update them before a key change"),
    # XMPP (check_xmpp)
    Remedy("starttls-optional", XMPP, r"^STARTTLS offered but not required",
           "require TLS: prosody `c2s_require_encryption = true` (s2s: `s2s_require_encryption = true`); "
           "ejabberd `starttls_required: true` on the ejabberd_c2s listener (s2s: `s2s_use_starttls: required`)"),
    Remedy("plain-before-tls", XMPP, r"^SASL PLAIN offered before TLS",
           "prosody: `allow_unencrypted_plain_auth = false` and `c2s_require_encryption = true`; "
           "ejabberd: `starttls_required: true` on the ejabberd_c2s listener"),
    # TURN and STUN (check_turn, check_stun)
    Remedy("open-relay", TURN, r"^open relay",
           "require credentials: coturn `lt-cred-mech` with `user=` entries (or `use-auth-secret` with "
           "`static-auth-secret=`) and no `no-auth`; reTurn: an AuthenticationRealm and a user database"),
    Remedy("relays-to-private", TURN, r"^relays to private addresses",
           "coturn: one `denied-peer-ip=` per range, 10.0.0.0-10.255.255.255, 172.16.0.0-172.31.255.255, "
           "192.168.0.0-192.168.255.255, 169.254.0.0-169.254.255.255 (IPv6: fc00::-fdff:ffff:ffff:ffff:ffff:"
           "ffff:ffff:ffff, fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff), and no `allow-loopback-peers`"),
    Remedy("external-ip-missing", TURN, r"external-ip not configured",
           "coturn: `external-ip=PUBLIC-ADDRESS/PRIVATE-ADDRESS`, so that clients get a relayed address "
           "they can reach"),
    Remedy("allocation-lingers", TURN, r"^allocation not deleted",
           "the server did not delete an allocation on Refresh(0): see the TURN server's log"),
    # SIP (check_sip)
    Remedy("sip-options-answer", SIP, r"OPTIONS answered (?P<code>\d+)",
           "answer OPTIONS sent to the server itself with 200: kamailio `if (is_method(\"OPTIONS\") && "
           "uri==myself) {{ options_reply(); }}` (siputils); repro answers OPTIONS itself"),
    # Endpoints that did not answer, in any area
    Remedy("tls-failed", (), r"TLS handshake failed|certificate verify failed|TLS: ",
           "the TLS handshake on {port}/{transport} failed: check the certificate and key the server is "
           "configured with ({key_files}) and the Certificates section"),
    Remedy("not-listening", (), r"refused|reset",
           "nothing accepts on {port}/{transport} at {address}: start the server or correct the port in the SRV "
           "record, and open the firewall for it"),
    Remedy("no-answer", (), r"timed out|no answer|no response",
           "no answer from {port}/{transport} at {address}: check that the server runs and the firewall "
           "lets {transport} {port} through"),
    Remedy("name-unresolved", (), r"no IPv[46]|NXDOMAIN|no such name|does not exist",
           "give {name} its A and AAAA records, or correct the SRV record that names it"),
)
FALLBACK = "run `{command} -v` for the details"
NO_VALUE = "?"
_ENDPOINT = re.compile(r"^(?P<name>[^\[/]*?)(?:\[(?P<address>[^\]]+)\])?:(?P<port>\d+)/(?P<transport>\w+)$")


class _Fields(dict):  # type: ignore[type-arg]
    """Template fields; one the message does not give reads as '?'."""

    def __missing__(self, key: str) -> str:
        return NO_VALUE


def remedies(area: str, subject: str, message: str, domain: str, command: str) -> list[tuple[str, str]]:
    """(kind, remedy) of each entry of `area` the finding's message matches (a record set's line may
    break several rules), else of the first entry for any area (a failed endpoint has one cause),
    else the fallback."""
    fields = _Fields(_subject_fields(subject, domain), domain=domain, key_files=KEY_FILES, command=command)
    found = [_fill(remedy, match, fields) for remedy, match in _matches(message, lambda r: area in r.areas)]
    found = found or [_fill(remedy, match, fields) for remedy, match in _matches(message, lambda r: not r.areas)][:1]
    return found or [("other", FALLBACK.format(command=command))]


def _matches(message: str, applies: Callable[[Remedy], bool]) -> Iterator[tuple[Remedy, re.Match[str]]]:
    for remedy in REMEDIES:
        match = re.search(remedy.pattern, message) if applies(remedy) else None
        if match is not None:
            yield remedy, match


def _fill(remedy: Remedy, match: re.Match[str], fields: _Fields) -> tuple[str, str]:
    groups = {key: value for key, value in match.groupdict().items() if value is not None}
    return remedy.kind, remedy.text.format_map(_Fields(fields, **groups))


def _subject_fields(subject: str, domain: str) -> dict[str, str]:
    """What a subject names: a record set 'OWNER/TYPE' or an endpoint 'NAME[ADDRESS]:PORT/TRANSPORT'."""
    endpoint = _ENDPOINT.match(subject)
    if endpoint is not None:
        fields = {k: v for k, v in endpoint.groupdict().items() if v}
        fields.setdefault("address", fields.get("name", ""))
        return fields
    owner = subject.rsplit("/", 1)[0].split("[", 1)[0]
    label = owner.removesuffix(domain).rstrip(".")
    port, host = SRV_EXAMPLES.get(label, (NO_VALUE, NO_VALUE))
    return {"owner": owner, "name": owner, "srv_port": str(port), "srv_host": host,
            "listener": LISTENERS.get(label, "the server's listening port")}
