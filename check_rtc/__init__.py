# SPDX-License-Identifier: GPL-3.0-or-later
"""check-rtc: Nagios/Icinga plugins for real-time-communications services.

Imports nothing: every plugin start pays for what this module imports.
"""

__version__ = "0.1.0"
