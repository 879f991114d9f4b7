# SPDX-License-Identifier: GPL-3.0-or-later
"""The exception hierarchy of check-rtc, and the Nagios state each class means.

Layers raise these; only checks/ maps them to states (checks/_runtime.py).
Anything else that escapes is a bug and becomes UNKNOWN.
"""


class CheckRtcError(Exception):
    """Base class; never raised bare."""


class UsageError(CheckRtcError):
    """Bad option values or unreadable input files: UNKNOWN."""


class ResolveError(CheckRtcError):
    """A name did not resolve (kind: nxdomain, noanswer, servfail, timeout)."""

    def __init__(self, name: str, kind: str, detail: str = "") -> None:
        self.name = name
        self.kind = kind
        super().__init__(detail or kind)


class TransportError(CheckRtcError):
    """Refused, unreachable, reset, closed early: CRITICAL for the endpoint."""


class TransportTimeout(TransportError):
    """Nothing (valid) came before the deadline: CRITICAL for the endpoint."""


class TlsError(TransportError):
    """TLS handshake or certificate verification failed: CRITICAL."""


class DecodeError(CheckRtcError, ValueError):
    """Malformed bytes; the only exception a codec decoder raises."""


class RemoteProtocolError(CheckRtcError):
    """Well-formed but wrong peer behaviour (error response, bad state): CRITICAL."""
