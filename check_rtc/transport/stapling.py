# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS that asks for a stapled OCSP response (RFC 6066 §8, RFC 8446 §4.4.2.1), through pyOpenSSL.

Python's ssl can neither send the status_request extension nor hand out
what the server stapled, so `check_rtc_cert --ocsp` handshakes through
pyOpenSSL instead (its 8 ms of imports are paid only with --ocsp).
StaplingContext and StaplingSocket offer the part of SSLContext and
SSLSocket that transport/stream.py and the XMPP probe use (wrap_socket;
settimeout, setsockopt, do_handshake, sendall, recv, close, version,
selected_alpn_protocol), so direct TLS and STARTTLS run unchanged.

The handshake does not verify: the chain is read as served, with its
staple, even when it would not verify; the caller verifies it afterwards
against `trust`, the anchors trust_store() loads (also for --file).
"""

from __future__ import annotations

import os
import socket
import time

from check_rtc.errors import UsageError
from check_rtc.transport.tls import SYSTEM_CAPATH, TlsOptions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, TypeVar

    from OpenSSL import SSL, crypto

    Result = TypeVar("Result")


class StaplingContext:
    """A pyOpenSSL client context that asks for OCSP; `on_handshake(tls)` runs after every handshake.

    `trust`: the anchors to verify the chain against afterwards; None with --insecure.
    """

    __slots__ = ("context", "trust", "on_handshake")

    def __init__(self, context: SSL.Context, trust: crypto.X509Store | None) -> None:
        self.context = context
        self.trust = trust
        self.on_handshake: Callable[[StaplingSocket], None] | None = None

    def wrap_socket(self, sock: socket.socket, server_hostname: str | None = None,
                    do_handshake_on_connect: bool = False) -> StaplingSocket:
        return StaplingSocket(self, sock, server_hostname)


def create_context(options: TlsOptions) -> StaplingContext:
    """The twin of tls.create_context: the same trust anchors (as `trust`), client certificate, ALPN, TLS 1.2 floor."""
    from OpenSSL import SSL

    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    # Security level 0, as probes/cert.py sets on its ssl context: a 1024-bit
    # key or a SHA-1 signature gets through the handshake, to be judged.
    context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
    context.set_verify(SSL.VERIFY_NONE)
    trust = trust_store(options.ca_file, options.ca_path) if options.verify else None
    if options.client_cert:
        # A password callback that gives none: an encrypted key fails here, never prompts.
        context.set_passwd_cb(lambda *_: b"")
        try:
            context.use_certificate_chain_file(options.client_cert)
            context.use_privatekey_file(options.client_key or options.client_cert)
        except SSL.Error as exc:
            raise UsageError(f"cannot load client certificate: {_reason(exc)}") from None
    if options.alpn:
        context.set_alpn_protos([name.encode() for name in options.alpn])
    context.set_ocsp_client_callback(_keep_staple)
    return StaplingContext(context, trust)


def trust_store(ca_file: str | None, ca_path: str | None) -> crypto.X509Store:
    """The anchors of --ca-file/--ca-path, else Debian's hashed directory, for pyOpenSSL's verifier."""
    from OpenSSL import crypto

    store = crypto.X509Store()
    try:
        store.load_locations(*((ca_file, ca_path) if ca_file or ca_path else (None, SYSTEM_CAPATH)))
    except crypto.Error as exc:
        raise UsageError(f"cannot load trust anchors: {_reason(exc)}") from None
    return store


def _keep_staple(connection: SSL.Connection, ocsp_data: bytes, _data: object) -> bool:
    """RFC 6066 §8: an empty status means the server stapled nothing; either way, go on."""
    connection.get_app_data().staple = ocsp_data or None
    return True


class StaplingSocket:
    """A TLS client connection over a connected socket, with the deadline semantics of socket timeouts."""

    __slots__ = ("sock", "connection", "staple", "_context", "_end")

    def __init__(self, context: StaplingContext, sock: socket.socket, server_hostname: str | None) -> None:
        from OpenSSL import SSL

        from check_rtc.resolve import ip_family

        self.sock, self._context = sock, context
        self.staple: bytes | None = None  # the DER OCSPResponse the server stapled
        self._end: float | None = None
        sock.setblocking(False)  # OpenSSL then says "want read/write" and _io waits with the deadline
        self.connection = SSL.Connection(context.context, sock)
        self.connection.set_app_data(self)
        self.connection.set_connect_state()
        # RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName".
        if server_hostname and ip_family(server_hostname) is None:
            self.connection.set_tlsext_host_name(server_hostname.encode("idna"))
        self.connection.request_ocsp()

    def settimeout(self, timeout: float | None) -> None:
        self._end = None if timeout is None else time.monotonic() + timeout

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.sock.setsockopt(level, option, value)

    def do_handshake(self) -> None:
        try:
            self._io(self.connection.do_handshake)
        finally:
            if self._context.on_handshake is not None:
                self._context.on_handshake(self)

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._io(self.connection.send, bytes(view)):]

    def recv(self, size: int) -> bytes:
        """Some bytes, or b'' once the peer closed the connection."""
        try:
            return self._io(self.connection.recv, size)
        except _PeerClosed:
            return b""

    def close(self) -> None:
        self.sock.close()

    def version(self) -> str:
        return self.connection.get_protocol_version_name()

    def selected_alpn_protocol(self) -> str | None:
        return self.connection.get_alpn_proto_negotiated().decode("ascii", "replace") or None

    def peer_chain(self) -> list[bytes]:
        """The certificates as served (DER), leaf first."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return [cert.to_cryptography().public_bytes(Encoding.DER)
                for cert in self.connection.get_peer_cert_chain() or ()]

    def _io(self, operation: Callable[..., Result], *args: object) -> Result:
        """Run a pyOpenSSL call to completion, waiting for the socket; OpenSSL errors become OSError."""
        from OpenSSL import SSL

        while True:
            try:
                return operation(*args)
            except SSL.WantReadError:
                self._wait(readable=True)
            except SSL.WantWriteError:
                self._wait(readable=False)
            except (SSL.ZeroReturnError, SSL.SysCallError) as exc:
                raise _closed(exc) from None
            except SSL.Error as exc:
                raise OSError(0, _reason(exc)) from None

    def _wait(self, readable: bool) -> None:
        import select

        poller = select.poll()
        poller.register(self.sock, select.POLLIN if readable else select.POLLOUT)
        left = None if self._end is None else max(0.0, self._end - time.monotonic()) * 1000
        if not poller.poll(left):
            raise socket.timeout("timed out")


class _PeerClosed(ConnectionError):
    """The peer closed the connection (with or without a TLS close_notify)."""


def _closed(exc: SSL.Error) -> OSError:
    """ZeroReturnError: close_notify; SysCallError (-1, ...): EOF without one; else a socket error."""
    from OpenSSL import SSL

    if isinstance(exc, SSL.ZeroReturnError):
        return _PeerClosed(0, "connection closed by the peer")
    code, message = exc.args if len(exc.args) == 2 else (-1, "")
    if code == -1:
        return _PeerClosed(0, "unexpected eof while reading")
    return ConnectionError(code, os.strerror(code) if code > 0 else str(message))


def _reason(exc: Exception) -> str:
    """OpenSSL's first reason (the cause; later ones say where it surfaced), as Python's ssl words it."""
    errors = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    reasons = [str(error[-1]) for error in errors if error and error[-1]]
    return reasons[0].lower() if reasons else (str(exc) or type(exc).__name__)
