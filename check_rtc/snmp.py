# SPDX-License-Identifier: GPL-3.0-or-later
"""SNMP source of check_rtcp: the RTP-MIB receiver table (RFC 2959 §6) or OIDs given by the operator.

The only module that imports pysnmp, and only when --snmp is used (its
hlapi costs ~100 ms per start). Debian 12 ships pysnmp 4.4 (synchronous
hlapi: nextCmd/getCmd); PyPI's pysnmp 7 has an asyncio-only hlapi
(walk_cmd/get_cmd, UdpTransportTarget.create). `_walk` and `_get` are the
one place that tells them apart.

rtpRcvrTable (1.3.6.1.2.1.87.1.7), INDEX {rtpSessionIndex, rtpRcvrSRCSSRC,
rtpRcvrSSRC}: columns 3 CNAME, 4 Addr, 5 RTT, 6 LostPackets, 7 Jitter,
11 PT, 12 Packets. Jitter is in RTP timestamp units (RFC 1889 A.8), made ms
with the clock rate of the row's payload type (RFC 3551) or of --codec;
RTT is read as milliseconds (RFC 2959 does not name its unit); an agent
that cannot measure it leaves the column out (noSuchInstance), and the row
is then rated without a round trip. Loss % = lost / (lost + received).

OIDs from the command line (--oid-loss %, --oid-jitter ms, --oid-rtt ms)
make one stream named "oids" instead of walking the table.
"""

from __future__ import annotations

from check_rtc.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from check_rtc.emodel import Codec
    from check_rtc.quality import Quality
    from check_rtc.transport.deadline import Deadline

RCVR_ENTRY = "1.3.6.1.2.1.87.1.7.1"
COLUMNS = {3: "cname", 4: "address", 5: "rtt", 6: "lost", 7: "jitter", 11: "payload_type", 12: "packets"}
DEFAULT_PORT = 161
COMMUNITY_ENV = "CHECK_RTC_SNMP_COMMUNITY"
AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
PRIV_PROTOCOLS = ("DES", "AES", "AES192", "AES256")
_AUTH_NAMES = {"MD5": "usmHMACMD5AuthProtocol", "SHA": "usmHMACSHAAuthProtocol",
               "SHA224": "usmHMAC128SHA224AuthProtocol", "SHA256": "usmHMAC192SHA256AuthProtocol",
               "SHA384": "usmHMAC256SHA384AuthProtocol", "SHA512": "usmHMAC384SHA512AuthProtocol"}
_PRIV_NAMES = {"DES": "usmDESPrivProtocol", "AES": "usmAesCfb128Protocol", "AES192": "usmAesCfb192Protocol",
               "AES256": "usmAesCfb256Protocol"}


def add_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--snmp-version", choices=("2c", "3"), default="2c", help="(default: %(default)s)")
    group.add_argument("--community-file", metavar="FILE",
                       help=f"v2c community: first line of FILE, else ${COMMUNITY_ENV}")
    group.add_argument("--security-name", metavar="USER", help="v3 user (USM security name)")
    group.add_argument("--auth-protocol", choices=AUTH_PROTOCOLS, default="SHA", help="v3 (default: %(default)s)")
    group.add_argument("--auth-file", metavar="FILE", help="v3 authentication passphrase: first line of FILE")
    group.add_argument("--priv-protocol", choices=PRIV_PROTOCOLS, default="AES", help="v3 (default: %(default)s)")
    group.add_argument("--priv-file", metavar="FILE", help="v3 privacy passphrase: first line of FILE (authPriv)")
    for name, unit in (("loss", "packet loss in %%"), ("jitter", "jitter in ms"), ("rtt", "round trip in ms")):
        group.add_argument(f"--oid-{name}", metavar="OID", help=f"read {unit} from this OID instead of the RTP-MIB")


def probe_rtp_mib(args: argparse.Namespace, codec: Codec, deadline: Deadline) -> list[Quality]:
    """The rated receiver rows (or the one stream of --oid-*)."""
    auth = _auth(args)
    port = args.port[0] if args.port else DEFAULT_PORT
    where = f"{args.snmp}:{port}"
    if args.oid_loss or args.oid_jitter or args.oid_rtt:
        return [_oid_stream(args, codec, _get(args.snmp, port, auth, _given_oids(args), deadline), where)]
    rows = _rows(_walk(args.snmp, port, auth, RCVR_ENTRY, deadline))
    return [_rate_row(index, row, codec) for index, row in sorted(rows.items())]


# --- credentials ----------------------------------------------------------------------------------


def _auth(args: argparse.Namespace) -> tuple[str, ...]:
    """('2c', community) or ('3', user, auth protocol, auth key, priv protocol, priv key)."""
    from check_rtc import secrets

    if args.snmp_version == "2c":
        community = secrets.read_secret(args.community_file, COMMUNITY_ENV, "community")
        if community is None:
            raise UsageError(f"SNMP v2c needs --community-file or ${COMMUNITY_ENV}")
        return ("2c", community)
    if not args.security_name:
        raise UsageError("SNMP v3 needs --security-name")
    auth_key = secrets.read_secret(args.auth_file, "CHECK_RTC_SNMP_AUTH", "authentication passphrase") or ""
    priv_key = secrets.read_secret(args.priv_file, "CHECK_RTC_SNMP_PRIV", "privacy passphrase") or ""
    if priv_key and not auth_key:
        raise UsageError("SNMP v3 privacy (--priv-file) needs authentication (--auth-file)")
    return ("3", args.security_name, args.auth_protocol, auth_key, args.priv_protocol, priv_key)


# --- rows and OIDs -> streams -------------------------------------------------------------------------


def _rows(varbinds: list[tuple[tuple[int, ...], Any]]) -> dict[tuple[int, ...], dict[str, Any]]:
    base = tuple(int(x) for x in RCVR_ENTRY.split("."))
    rows: dict[tuple[int, ...], dict[str, Any]] = {}
    for oid, value in varbinds:
        if oid[: len(base)] != base or len(oid) < len(base) + 4 or oid[len(base)] not in COLUMNS:
            continue
        rows.setdefault(oid[len(base) + 1:], {})[COLUMNS[oid[len(base)]]] = value
    return rows


def _rate_row(index: tuple[int, ...], row: dict[str, Any], default: Codec) -> Quality:
    from check_rtc import emodel
    from check_rtc.quality import assess

    session, source, receiver = index[0], index[1], index[2] if len(index) > 2 else 0
    codec = emodel.codec_by_sdp(None, _int(row.get("payload_type"))) or default
    lost, packets = _int(row.get("lost")) or 0, _int(row.get("packets")) or 0
    loss = 100.0 * lost / (lost + packets) if lost + packets else 0.0
    jitter = (_int(row.get("jitter")) or 0) * 1000 / codec.clock_rate
    rtt = _int(row.get("rtt"))
    name = f"session {session} SSRC 0x{source:08x} at receiver 0x{receiver:08x}"
    detail = f"{packets} received, {lost} lost" + (f", CNAME {row['cname']}" if row.get("cname") else "")
    return assess(f"s{session}_ssrc_0x{source:08x}", name, "RTP-MIB", codec, loss, jitter,
                  float(rtt) if rtt is not None else None, detail=detail)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _given_oids(args: argparse.Namespace) -> list[str]:
    return [oid for oid in (args.oid_loss, args.oid_jitter, args.oid_rtt) if oid]


def _oid_stream(args: argparse.Namespace, codec: Codec, values: dict[str, Any], where: str) -> Quality:
    from check_rtc.quality import assess

    def number(oid: str | None) -> float | None:
        if not oid:
            return None
        try:
            return float(str(values[oid]))
        except (KeyError, ValueError):
            raise UsageError(f"SNMP {where}: {oid} is not a number ({values.get(oid)!r})") from None

    return assess("oids", f"OIDs of {args.snmp}", "SNMP", codec, number(args.oid_loss) or 0.0,
                  number(args.oid_jitter) or 0.0, number(args.oid_rtt))


# --- pysnmp 4.4 (Debian) and 7 (PyPI) -------------------------------------------------------------------


def _hlapi() -> Any:
    """pysnmp 7's asyncio hlapi, else 4.4's synchronous one."""
    try:
        from pysnmp.hlapi.v3arch import asyncio as hlapi  # pysnmp >= 6.2
    except ImportError:
        try:
            from pysnmp import hlapi  # type: ignore[no-redef]
        except ImportError:
            raise UsageError("--snmp needs pysnmp: apt-get install python3-pysnmp4, or pip install "
                             "'check-rtc[snmp]'") from None
    return hlapi


def _auth_data(hlapi: Any, auth: tuple[str, ...]) -> Any:
    if auth[0] == "2c":
        return hlapi.CommunityData(auth[1], mpModel=1)
    _, user, auth_protocol, auth_key, priv_protocol, priv_key = auth
    return hlapi.UsmUserData(
        user, authKey=auth_key or None, privKey=priv_key or None,
        authProtocol=getattr(hlapi, _AUTH_NAMES[auth_protocol]) if auth_key else hlapi.usmNoAuthProtocol,
        privProtocol=getattr(hlapi, _PRIV_NAMES[priv_protocol]) if priv_key else hlapi.usmNoPrivProtocol)


def _target_class(hlapi: Any, host: str) -> Any:
    return hlapi.Udp6TransportTarget if ":" in host else hlapi.UdpTransportTarget


def _walk(host: str, port: int, auth: tuple[str, ...], oid: str,
          deadline: Deadline) -> list[tuple[tuple[int, ...], Any]]:
    """Every (oid, value) under `oid` (GETNEXT walk, not past the subtree)."""
    hlapi = _hlapi()
    timeout = max(0.5, deadline.remaining() / 2)
    if hasattr(hlapi, "walk_cmd"):
        import asyncio

        return asyncio.run(_walk_7(hlapi, host, port, _auth_data(hlapi, auth), oid, timeout))
    rows = hlapi.nextCmd(hlapi.SnmpEngine(), _auth_data(hlapi, auth),
                         _target_class(hlapi, host)((host, port), timeout=timeout, retries=1),
                         hlapi.ContextData(), hlapi.ObjectType(hlapi.ObjectIdentity(oid)), lexicographicMode=False)
    return [pair for answer in rows for pair in _varbinds(answer, host, port)]


async def _walk_7(hlapi: Any, host: str, port: int, auth: Any, oid: str,
                  timeout: float) -> list[tuple[tuple[int, ...], Any]]:
    target = await _target_class(hlapi, host).create((host, port), timeout=timeout, retries=1)
    found = []
    async for answer in hlapi.walk_cmd(hlapi.SnmpEngine(), auth, target, hlapi.ContextData(),
                                       hlapi.ObjectType(hlapi.ObjectIdentity(oid)), lexicographicMode=False):
        found.extend(_varbinds(answer, host, port))
    return found


def _get(host: str, port: int, auth: tuple[str, ...], oids: list[str], deadline: Deadline) -> dict[str, Any]:
    hlapi = _hlapi()
    timeout = max(0.5, deadline.remaining() / 2)
    objects = [hlapi.ObjectType(hlapi.ObjectIdentity(oid)) for oid in oids]
    if hasattr(hlapi, "get_cmd"):
        import asyncio

        async def get() -> Any:
            target = await _target_class(hlapi, host).create((host, port), timeout=timeout, retries=1)
            return await hlapi.get_cmd(hlapi.SnmpEngine(), _auth_data(hlapi, auth), target, hlapi.ContextData(),
                                       *objects)

        answer = asyncio.run(get())
    else:
        answer = next(hlapi.getCmd(hlapi.SnmpEngine(), _auth_data(hlapi, auth),
                                   _target_class(hlapi, host)((host, port), timeout=timeout, retries=1),
                                   hlapi.ContextData(), *objects))
    return {".".join(map(str, oid)): value for oid, value in _varbinds(answer, host, port)}


def _varbinds(answer: tuple[Any, Any, Any, Any], host: str, port: int) -> list[tuple[tuple[int, ...], Any]]:
    """(oid tuple, plain value) pairs; an SNMP error is UNKNOWN: the media cannot be judged."""
    error_indication, error_status, error_index, varbinds = answer
    if error_indication:
        raise UsageError(f"SNMP {host}:{port}: {error_indication}")
    if error_status:
        raise UsageError(f"SNMP {host}:{port}: {error_status.prettyPrint()} at index {error_index}")
    return [(tuple(int(x) for x in name), _plain(value)) for name, value in varbinds if _present(value)]


def _present(value: Any) -> bool:
    """noSuchObject / noSuchInstance / endOfMibView are absences, not values."""
    return type(value).__name__ not in ("NoSuchObject", "NoSuchInstance", "EndOfMibView")


def _plain(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value.prettyPrint()
