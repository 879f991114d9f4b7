# SPDX-License-Identifier: GPL-3.0-or-later
"""Address classes (RFC 6890 special-purpose registries): is an address reachable from the Internet?

Used to tell a server reached on a public address that hands out private
ones (a TURN relay without external-ip, a STUN mapping from inside).
`ipaddress` is imported on first use only.
"""


def is_global(address: str) -> bool:
    """True for a globally routable address; False for private, loopback,
    link-local, shared (CGNAT) and other special-purpose ones, or a non-address."""
    import ipaddress

    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def private_behind_public(inner: str, outer: str) -> bool:
    """Is `inner` a non-global address while `outer` (where the server was reached) is global?"""
    return is_global(outer) and not is_global(inner)
