# SPDX-License-Identifier: GPL-3.0-or-later
"""Name resolution: addresses (A/AAAA) and SRV (RFC 2782) under the check's deadline.

With --dns-server every query goes through dnspython to that server and
never to the system resolver (split horizon, tests). Without it, host names
use getaddrinfo (so /etc/hosts works as operators expect) and SRV uses
dnspython with /etc/resolv.conf. dnspython costs +44 ms to import, so it is
imported only when a query needs it; IP literals need no resolver at all.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections import namedtuple

from check_rtc.codec.dns import NaptrRecord, SrvRecord
from check_rtc.errors import ResolveError, UsageError
from check_rtc.transport.deadline import Deadline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DNS_PORT = 53


TlsaRecord = namedtuple("TlsaRecord", "usage selector matching data")


def _text(field: bytes) -> str:
    """A NAPTR character-string (bytes in dnspython) as text; odd bytes escaped."""
    return field.decode("ascii", "backslashreplace")


def ip_family(text: str) -> int | None:
    """4 or 6 when `text` is an IP literal, None for a name."""
    for family, number in ((socket.AF_INET, 4), (socket.AF_INET6, 6)):
        try:
            socket.inet_pton(family, text)
        except OSError:
            continue
        return number
    return None


def parse_server(spec: str) -> tuple[str, int]:
    """'HOST', 'HOST:PORT', '[V6]:PORT' or a bare IPv6 literal -> (address, port)."""
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif spec.count(":") == 1:
        host, port = spec.split(":")
    else:
        host, port = spec, ""
    if ip_family(host) is None:
        raise UsageError(f"--dns-server needs an IP address, not '{host}'")
    try:
        number = int(port) if port else DNS_PORT
    except ValueError:
        raise UsageError(f"--dns-server port '{port}' is not a number") from None
    if not 0 < number < 65536:
        raise UsageError(f"--dns-server port {number} is out of range")
    return host, number


class Resolver:
    """Looks up addresses and SRV records; every failure is a ResolveError."""

    def __init__(self, server: str | None = None) -> None:
        self.server = parse_server(server) if server else None
        self._dns: Any = None

    def addresses(self, name: str, families: tuple[int, ...], deadline: Deadline) -> list[str]:
        """Addresses of `name` in the requested families (4, 6), IPv6 first."""
        literal = ip_family(name)
        if literal is not None:
            return [name] if literal in families else []
        if self.server is None:
            return _getaddrinfo(name, families, deadline)
        found: list[str] = []
        for family in sorted(families, reverse=True):
            rrtype = "AAAA" if family == 6 else "A"
            found += [rdata.address for rdata in self._records(name, rrtype, deadline)]
        return found

    def srv(self, name: str, deadline: Deadline) -> list[SrvRecord]:
        """SRV records of `name` in RFC 2782 order (priority, then weight); [] if none."""
        answer = self._records(name, "SRV", deadline, missing_name_ok=True)
        records = [SrvRecord(r.priority, r.weight, r.port, r.target.to_text()) for r in answer]
        # RFC 2782 picks randomly by weight within a priority; a monitoring check
        # probes every target anyway, so a stable order keeps output comparable.
        return sorted(records, key=lambda r: (r.priority, -r.weight, r.target, r.port))

    def naptr(self, name: str, deadline: Deadline) -> list[NaptrRecord]:
        """NAPTR records of `name` in RFC 3403 order (order, then preference); [] if none."""
        answer = self._records(name, "NAPTR", deadline, missing_name_ok=True)
        records = [
            NaptrRecord(r.order, r.preference, _text(r.flags), _text(r.service), _text(r.regexp),
                        r.replacement.to_text())
            for r in answer
        ]
        return sorted(records, key=lambda r: (r.order, r.preference, r.service, r.replacement))

    def tlsa(self, name: str, deadline: Deadline) -> tuple[list[TlsaRecord], bool]:
        """TLSA records of `name` (RFC 6698 §2) and whether the answer was DNSSEC-authenticated (AD)."""
        try:
            answer = self._query(name, "TLSA", deadline)
        except ResolveError as exc:
            if exc.kind in ("noanswer", "nxdomain"):
                return [], False
            raise
        records = [TlsaRecord(r.usage, r.selector, r.mtype, bytes(r.cert)) for r in answer]
        return records, bool(answer.response.flags & _dnspython().flags.AD)

    def _records(self, name: str, rrtype: str, deadline: Deadline, missing_name_ok: bool = False) -> Any:
        """The answer's records; [] when the name has none of this type."""
        try:
            return self._query(name, rrtype, deadline)
        except ResolveError as exc:
            if exc.kind == "noanswer" or (exc.kind == "nxdomain" and missing_name_ok):
                return []
            raise

    def _query(self, name: str, rrtype: str, deadline: Deadline) -> Any:
        dns = _dnspython()

        try:
            return self._resolver().resolve(name, rrtype, lifetime=deadline.timeout(f"DNS {rrtype} {name}"))
        except dns.resolver.NXDOMAIN:
            raise ResolveError(name, "nxdomain", f"no such name ({rrtype})") from None
        except dns.resolver.NoAnswer:
            raise ResolveError(name, "noanswer", f"no {rrtype} record") from None
        except dns.resolver.NoNameservers:
            raise ResolveError(name, "servfail", f"{rrtype} lookup failed: no server answered") from None
        except dns.exception.Timeout:
            raise ResolveError(name, "timeout", f"{rrtype} lookup timed out") from None

    def _resolver(self) -> Any:
        if self._dns is None:
            dns = _dnspython()
            if self.server is None:
                self._dns = dns.resolver.Resolver()
            else:
                self._dns = dns.resolver.Resolver(configure=False)
                self._dns.nameservers = [self.server[0]]
                self._dns.port = self.server[1]
        return self._dns


def _dnspython() -> Any:
    """The dns package with its resolver, without its DNS-over-HTTPS clients."""
    return import_dnspython(("dns.exception", "dns.resolver"))


def import_dnspython(modules: tuple[str, ...]) -> Any:
    """The dns package with `modules` loaded, without its DNS-over-HTTPS clients.

    dnspython 2.3 imports httpx and requests at import time when they are
    installed (Debian 12 often has python3-httpx): +90 ms per check for a
    transport we never use. Hiding them for the import costs nothing.
    Import only the submodules a check needs: dns.resolver alone is +10 ms
    over dns.message.
    """
    hidden = [name for name in ("httpx", "requests") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import now raises ImportError
    try:
        for module in modules:
            package = __import__(module)
    finally:
        for name in hidden:
            del sys.modules[name]
    return package


def _getaddrinfo(name: str, families: tuple[int, ...], deadline: Deadline) -> list[str]:
    """The system resolver in a helper thread, so a stuck lookup cannot pass the deadline."""
    outcome: list[Any] = []

    def lookup() -> None:
        try:
            outcome.append(socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP))
        except OSError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(deadline.remaining())
    if not outcome:
        raise ResolveError(name, "timeout", "address lookup timed out")
    if isinstance(outcome[0], OSError):
        reason = outcome[0].strerror or str(outcome[0])
        raise ResolveError(name, "nxdomain", f"address lookup failed: {reason.lower()}")
    wanted = {4: socket.AF_INET, 6: socket.AF_INET6}
    allowed = {wanted[f] for f in families}
    found = [info[4][0] for info in outcome[0] if info[0] in allowed]
    return list(dict.fromkeys(found))
