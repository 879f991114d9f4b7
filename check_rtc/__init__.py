# SPDX-License-Identifier: GPL-3.0-or-later
"""check-rtc: Nagios/Icinga plugins for real-time-communications services.

Start-up cost is a feature (every check is a new process, thousands a
minute), so the modules on a check's path follow three rules, measured in
notes/perf-baseline.md and benchmarks/bench.py:

- import what an option needs when it needs it (ssl, dnspython, hmac);
- value objects are collections.namedtuple or plain classes with __slots__:
  `dataclasses` imports `inspect` (+5 ms per start) and `typing` costs
  +2.5 ms, so typing names are imported only for type checkers;
- this module imports nothing.
"""

__version__ = "0.1.0"
