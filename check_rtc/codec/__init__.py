# SPDX-License-Identifier: GPL-3.0-or-later
"""Sans-IO codecs and protocol state machines: bytes in, events out.

No sockets, no clocks, no asyncio, no nagiosplugin: time is an argument.
"""
