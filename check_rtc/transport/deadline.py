# SPDX-License-Identifier: GPL-3.0-or-later
"""Deadline: the one point in time by which a whole check must be done.

Every blocking call takes its timeout from here, so DNS, connect, TLS and the
exchange share the single budget the operator gave with -t.
"""

import time

from check_rtc.errors import TransportTimeout


class Deadline:
    """An absolute point on the monotonic clock."""

    __slots__ = ("at",)

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    @staticmethod
    def now() -> float:
        return time.monotonic()

    def earlier(self, at: float | None) -> "Deadline":
        """This deadline, or `at` (monotonic time) if that comes first."""
        sooner = Deadline(0)
        sooner.at = self.at if at is None else min(self.at, at)
        return sooner

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def timeout(self, step: str) -> float:
        """Seconds left for `step`; raises TransportTimeout when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TransportTimeout(f"{step}: timed out")
        return left
