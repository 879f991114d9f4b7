# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks: command line, thresholds and states (the nagiosplugin layer).

The only layer that judges. A check parses its options with options.py
(cheap: --help imports almost nothing), then builds a nagiosplugin Check from
a probe's observations and hands it to runtime.py.
"""
