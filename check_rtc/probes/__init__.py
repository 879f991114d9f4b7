# SPDX-License-Identifier: GPL-3.0-or-later
"""Probes: resolve, connect, exchange; return observations, never judge.

A probe runs once per endpoint, all endpoints at once, each in its own
thread under the shared deadline. A service failure is recorded in the
endpoint's Observation, so one dead server never hides the others; an
endpoint still busy at the deadline is recorded as timed out.
"""

from __future__ import annotations

import threading

from check_rtc.errors import CheckRtcError, TransportTimeout
from check_rtc.probes.discovery import Service, Targeting, discover
from check_rtc.resolve import Resolver
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Sequence, TypeVar

    O = TypeVar("O", bound="Observation")

# Time the main thread waits past the deadline for a probe to report its own
# timeout (with its own, more precise step) before declaring it late.
GRACE_SECONDS = 0.05


class Observation:
    """What was seen at one endpoint; `error` set means the endpoint failed."""

    __slots__ = ("endpoint", "error")

    def __init__(self, endpoint: Endpoint, error: CheckRtcError | None = None) -> None:
        self.endpoint = endpoint
        self.error = error

    def describe(self) -> str:
        """One line of facts for long output (subclasses add theirs)."""
        return "answered"


def probe_all(
    endpoints: Sequence[Endpoint],
    probe: Callable[[Endpoint, Deadline], O],
    failed: Callable[[Endpoint, CheckRtcError], O],
    deadline: Deadline,
) -> list[O]:
    """Run `probe` on every endpoint concurrently; one observation per endpoint, in order."""
    observations: list[O | None] = [None] * len(endpoints)
    bugs: list[BaseException] = []

    def run(index: int, endpoint: Endpoint) -> None:
        try:
            observations[index] = probe(endpoint, deadline)
        except CheckRtcError as exc:
            observations[index] = failed(endpoint, exc)
        except BaseException as exc:  # a bug: re-raised in the main thread
            bugs.append(exc)

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in enumerate(endpoints)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(deadline.remaining() + GRACE_SECONDS)
    if bugs:
        raise bugs[0]
    late = TransportTimeout("no answer before the deadline")
    return [obs if obs is not None else failed(ep, late) for ep, obs in zip(endpoints, observations)]


def probe_service(
    service: Service,
    targeting: Targeting,
    resolver: Resolver,
    probe: Callable[[Endpoint, Deadline], O],
    failed: Callable[[Endpoint, CheckRtcError], O],
    deadline: Deadline,
) -> list[O]:
    """Discover the endpoints, probe them all; targets that did not resolve come first."""
    found = discover(service, targeting, resolver, deadline)
    observations = probe_all(found.endpoints, probe, failed, deadline)
    return [failed(endpoint, error) for endpoint, error in found.failures] + observations
