# SPDX-License-Identifier: GPL-3.0-or-later
"""Transport layer: endpoints, deadlines, UDP/TCP/TLS sockets.

Moves bytes under one deadline; knows nothing of what the bytes mean.
Blocking sockets with per-call timeouts cut from the deadline: one thread per
endpoint is cheaper to start than asyncio (+36 ms per plugin start, see
notes/perf-baseline.md) and every wait still ends at the deadline.
"""
