# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS client contexts (RFC 8446/5246 via OpenSSL): verification on by default.

One factory for every check, so --ca-file, --ca-path, --client-cert and
--insecure mean the same everywhere. `ssl` is imported here and nowhere else
on the hot path, so checks that never speak TLS do not pay its 13 ms.
"""

from __future__ import annotations

import os
from collections import namedtuple

from check_rtc.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

# Debian's hashed trust directory: OpenSSL loads only the anchors a chain
# needs, instead of parsing the whole bundle at every start (-21 ms, see
# notes/perf-baseline.md).
SYSTEM_CAPATH = "/etc/ssl/certs"


class TlsOptions(namedtuple("TlsOptions", "ca_file ca_path client_cert client_key verify alpn",
                            defaults=(None, None, None, None, True, ()))):
    """What the operator asked for: trust anchors, client certificate, verify, ALPN."""

    __slots__ = ()
    ca_file: str | None
    ca_path: str | None
    client_cert: str | None
    client_key: str | None
    verify: bool
    alpn: tuple[str, ...]


def create_context(options: TlsOptions) -> ssl.SSLContext:
    """A client context; raises UsageError for unreadable trust or key files."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if options.verify:
        _load_trust(context, options)
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if options.client_cert:
        _load_client_cert(context, options)
    if options.alpn:
        context.set_alpn_protocols(list(options.alpn))
    return context


def _load_trust(context: ssl.SSLContext, options: TlsOptions) -> None:
    try:
        if options.ca_file or options.ca_path:
            context.load_verify_locations(cafile=options.ca_file, capath=options.ca_path)
        elif os.path.isdir(SYSTEM_CAPATH):
            context.load_verify_locations(capath=SYSTEM_CAPATH)
        else:
            context.load_default_certs()
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot load trust anchors: {_reason(exc)}") from None


def _load_client_cert(context: ssl.SSLContext, options: TlsOptions) -> None:
    assert options.client_cert is not None
    try:
        # No password callback: an encrypted key must fail here, not prompt.
        context.load_cert_chain(options.client_cert, options.client_key, password="")
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot load client certificate: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        name = f" {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{name}"
    return str(exc) or type(exc).__name__


def describe_failure(exc: BaseException) -> str:
    """The operator's words for a failed handshake: what OpenSSL found wrong."""
    import ssl

    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return exc.reason.replace("_", " ").lower() if exc.reason else str(exc)
    return _reason(exc)
