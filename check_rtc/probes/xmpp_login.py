# SPDX-License-Identifier: GPL-3.0-or-later
"""Authenticated XMPP login with slixmpp: SASL, bind, XEP-0199 ping (RFC 6120 §6-§7).

Imported only with -u (slixmpp costs +73 ms per start). slixmpp is steered
to the endpoint under test and never to its own DNS (notes/real-peers.md
§3): the connect address is the endpoint's IP and port, its DNS hook
answers with that endpoint, and the TLS name is the XMPP domain, never an
IP literal (an empty name would switch the hostname check off). slixmpp's
own log stays silent: its trace carries the SASL exchange.
"""

from __future__ import annotations

import asyncio
import logging
import time

from check_rtc.errors import CheckRtcError, RemoteProtocolError, TlsError, TransportError, TransportTimeout
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Any

log = logging.getLogger(__name__)


class SlixmppLogin:
    """Callable per endpoint: (seconds to a started session, ping round trip)."""

    def __init__(self, jid: str, password: str, domain: str, tls_context: ssl.SSLContext) -> None:
        self.jid = jid
        self.password = password
        self.domain = domain
        self.tls_context = tls_context
        # slixmpp is optional (Debian: Recommends): missing, the check is UNKNOWN
        # from the main thread, not a failed login per endpoint.
        from importlib.util import find_spec

        if find_spec("slixmpp") is None:
            raise ModuleNotFoundError("No module named 'slixmpp'", name="slixmpp")
        _silence_slixmpp()

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> tuple[float, float]:
        # Each endpoint runs in its own thread (probes.probe_all): its own loop.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(self._login(endpoint, deadline))
        finally:
            _close_loop(loop)

    async def _login(self, endpoint: Endpoint, deadline: Deadline) -> tuple[float, float]:
        client = _client(self.jid, self.password, self.domain, self.tls_context, endpoint)
        outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        _watch(client, outcome, self.jid)
        log.debug("> %s log in as %s", endpoint, self.jid)
        began = time.monotonic()
        try:
            _connect(client, endpoint, self.domain)
            await _within(outcome, deadline, "login")
            login = time.monotonic() - began
            log.debug("< %s session started as %s", endpoint, client.boundjid)
            began = time.monotonic()
            await _within(client["xep_0199"].ping(timeout=deadline.timeout("ping")), deadline, "ping")
            return login, time.monotonic() - began
        finally:
            client.disconnect(wait=0)
            transport = getattr(client, "transport", None)
            if transport is not None:
                transport.abort()


async def _within(awaitable: Any, deadline: Deadline, step: str) -> Any:
    try:
        return await asyncio.wait_for(awaitable, deadline.timeout(step))
    except asyncio.TimeoutError:
        raise TransportTimeout(f"{step}: timed out") from None
    except CheckRtcError:
        raise
    except Exception as exc:  # slixmpp's IqError/IqTimeout: the ping was answered with an error
        raise RemoteProtocolError(f"{step} failed: {_condition(exc)}") from None


def _condition(exc: Exception) -> str:
    iq = getattr(exc, "iq", None)
    if iq is not None:
        return str(iq["error"]["condition"]) or type(exc).__name__
    return type(exc).__name__


def _client_class() -> type:
    import slixmpp

    class _Client(slixmpp.ClientXMPP):  # type: ignore[misc]
        """A ClientXMPP that resolves nothing and trusts only our TLS context."""

        endpoint: Endpoint
        context: ssl.SSLContext

        async def get_dns_records(self, domain: str, port: int | None = None) -> list[tuple[str, ...]]:
            # real-peers.md §3, quirks 1 and 2: slixmpp 1.8 asks aiodns (the
            # system's resolver) even with an address, and loses the port of an
            # IPv6 literal. The endpoint under test is the only answer.
            address, port_number = self.endpoint.address, self.endpoint.port
            if _new_api(self):
                return [("", self.default_domain, address, port_number)]  # type: ignore[list-item]
            return [(self.default_domain, address, port_number)]  # type: ignore[list-item]

        def get_ssl_context(self) -> ssl.SSLContext:
            return self.context

    return _Client


def _client(jid: str, password: str, domain: str, context: ssl.SSLContext, endpoint: Endpoint) -> Any:
    client = _client_class()(jid, password)
    client.endpoint = endpoint
    client.context = context
    client.register_plugin("xep_0199")
    return client


def _new_api(client: Any) -> bool:
    """slixmpp >= 1.9 chooses direct TLS/STARTTLS by attributes, not connect() arguments."""
    return hasattr(client, "enable_direct_tls")


def _connect(client: Any, endpoint: Endpoint, domain: str) -> None:
    """Connect to the endpoint: direct TLS (XEP-0368) for -T tls, else STARTTLS, never plain."""
    direct = endpoint.transport == "tls"
    if _new_api(client):
        client.enable_direct_tls, client.enable_starttls, client.enable_plaintext = direct, not direct, False
        client.connect(endpoint.address, endpoint.port)
    else:
        client.connect((endpoint.address, endpoint.port), use_ssl=direct, force_starttls=not direct,
                       disable_starttls=False)
    # real-peers.md §3, quirk 3: slixmpp 1.8 takes the TLS name from the address
    # ('' for IPv4, which switches the hostname check off). It must be the domain.
    client.default_domain = domain


def _watch(client: Any, outcome: asyncio.Future[None], jid: str) -> None:
    """Resolve `outcome` on session start; fail it on the first thing that goes wrong."""

    def fail(error: CheckRtcError) -> None:
        if not outcome.done():
            outcome.set_exception(error)

    def started(_: object) -> None:
        if not outcome.done():
            outcome.set_result(None)

    client.add_event_handler("session_start", started)
    client.add_event_handler("failed_auth", lambda stanza: fail(RemoteProtocolError(
        f"login as {jid} failed: SASL {_sasl_condition(stanza)}")))
    client.add_event_handler("ssl_invalid_chain", lambda exc: fail(TlsError(
        f"login: TLS handshake failed: {_tls_reason(exc)}")))
    client.add_event_handler("connection_failed", lambda exc: fail(TransportError(f"login: connect: {exc}")))
    client.add_event_handler("stream_error", lambda stanza: fail(RemoteProtocolError(
        f"login: stream error {stanza['condition']}")))
    client.add_event_handler("disconnected", lambda _: fail(TransportError(
        "login: disconnected before the session started")))


def _sasl_condition(stanza: Any) -> str:
    """RFC 6120 §6.5: the failure's defined condition, e.g. not-authorized."""
    try:
        return str(stanza["condition"]) or "failure"
    except (KeyError, TypeError):
        return "failure"


def _tls_reason(exc: object) -> str:
    from check_rtc.transport.tls import describe_failure

    return describe_failure(exc) if isinstance(exc, BaseException) else str(exc)


def _silence_slixmpp() -> None:
    """slixmpp logs SASL payloads at debug and its worries at error; neither reaches the operator."""
    logger = logging.getLogger("slixmpp")
    logger.propagate = False
    logger.addHandler(logging.NullHandler())


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what slixmpp left running (reconnects, filters), then close the loop quietly."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    asyncio.set_event_loop(None)
