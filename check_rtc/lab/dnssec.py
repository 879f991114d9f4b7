# SPDX-License-Identifier: GPL-3.0-or-later
"""DNSSEC for the lab (RFC 4033-4035): a zone signed with BIND's own tools, and a validating resolver.

sign_zone() signs a zone text with dnssec-keygen and dnssec-signzone: a KSK
and a ZSK, ECDSA P-256 (RFC 6605); `expired=True` gives signatures whose
validity ended long ago, a zone every validator must reject. The KSK's
DNSKEY is the trust anchor. ValidatingResolver is a second named: recursion
on, dnssec-validation yes with that anchor (static-key, no root key), every
query forwarded to the authoritative lab BIND; it sets AD on answers it
validated and answers SERVFAIL for bogus ones (RFC 4035 §5.5).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .bind import Bind
from .daemon import LOOPBACKS

ALGORITHM = "ECDSAP256SHA256"
# dnssec-signzone -s/-e: a validity window that ended years ago; -P: skip the
# check of the result, which rightly finds the signatures expired.
EXPIRED_SIGNING = ("-P", "-s", "20200101000000", "-e", "20200201000000")
SIGN_SECONDS = 60

_RESOLVER = """recursion yes;
    dnssec-validation yes;
    forward only;
    forwarders {{ {upstream}; }};
    allow-recursion {{ any; }};"""
_ANCHOR = 'trust-anchors {{ "{owner}" static-key {flags} {protocol} {algorithm} "{key}"; }};'


def sign_zone(directory: Path, origin: str, text: str, expired: bool = False) -> tuple[str, str]:
    """(signed zone text, the KSK's DNSKEY record) for `text` served as `origin`."""
    directory.mkdir(parents=True, exist_ok=True)
    unsigned = directory / f"{origin}.zone"
    unsigned.write_text(text)
    ksk = _keygen(directory, origin, ["-f", "KSK"])
    _keygen(directory, origin, [])
    signed = directory / f"{origin}.signed"
    window = EXPIRED_SIGNING if expired else ()
    # -S: smart signing, publishes the DNSKEYs found in -K; -o: the origin
    _run(["dnssec-signzone", "-S", "-K", str(directory), *window, "-o", origin, "-f", str(signed),
          str(unsigned)], directory)
    anchor = next(line for line in (directory / f"{ksk}.key").read_text().splitlines()
                  if "DNSKEY" in line and not line.startswith(";"))
    return signed.read_text(), anchor


def _keygen(directory: Path, origin: str, extra: list[str]) -> str:
    """The base name (Kexample.test.+013+NNNNN) of a new key."""
    return _run(["dnssec-keygen", "-q", "-a", ALGORITHM, "-K", str(directory), *extra, origin],
                directory).strip()


def _run(command: list[str], directory: Path) -> str:
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=SIGN_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()}")
    return done.stdout


def trust_anchor(dnskey: str) -> str:
    """named.conf's trust-anchors statement for a DNSKEY record ('owner [ttl] IN DNSKEY 257 3 13 key...')."""
    fields = dnskey.split()
    at = fields.index("DNSKEY")
    flags, protocol, algorithm = fields[at + 1:at + 4]
    return _ANCHOR.format(owner=fields[0], flags=flags, protocol=protocol, algorithm=algorithm,
                          key="".join(fields[at + 4:]))


class ValidatingResolver(Bind):
    """A named that validates with one trust anchor and forwards every query to `upstream` (a lab BIND)."""

    kind = "bind-resolver"

    def __init__(self, run_dir: Path, upstream: Bind, dnskey: str, *, port: int | None = None) -> None:
        super().__init__(run_dir, {}, port=port, addresses=LOOPBACKS)
        self.upstream = upstream
        self.dnskey = dnskey

    def role(self) -> str:
        return _RESOLVER.format(upstream=f"127.0.0.1 port {self.upstream.port}")

    def clauses(self) -> str:
        return trust_anchor(self.dnskey)
