# SPDX-License-Identifier: GPL-3.0-or-later
"""The floor: a minimal nagiosplugin check with one constant metric.

What any Python plugin on nagiosplugin costs to start, print and exit.
"""

import nagiosplugin


class Constant(nagiosplugin.Resource):
    def probe(self):
        return [nagiosplugin.Metric("value", 1, context="value")]


@nagiosplugin.guarded
def main():
    nagiosplugin.Check(Constant(), nagiosplugin.ScalarContext("value", "10", "20")).main()


if __name__ == "__main__":
    main()
