# SPDX-License-Identifier: GPL-3.0-or-later
"""Events every client transaction shares (codec layer; RFC 8489 §6.2, RFC 3261 §17.1).

Past-tense nouns, frozen: the state machines of the codec layer report what
happened, the probes decide what it means.
"""

from collections import namedtuple


class TimedOut(namedtuple("TimedOut", "sends after")):
    """No answer: `after` seconds since the first send, `sends` copies sent."""

    __slots__ = ()
    sends: int
    after: float


class Discarded(namedtuple("Discarded", "reason")):
    """A received message that is not our answer; the transaction goes on."""

    __slots__ = ()
    reason: str
