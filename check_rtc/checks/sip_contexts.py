# SPDX-License-Identifier: GPL-3.0-or-later
"""How check_sip judges a final answer (nagiosplugin layer; RFC 3261 §21).

Kept apart from checks/sip.py so that parsing options (and --help) does not
import nagiosplugin.
"""

from __future__ import annotations

import nagiosplugin
from nagiosplugin.state import Critical, Ok, Warn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from check_rtc.probes.sip import SipObservation

# RFC 3261 §21.5.4: "503 Service Unavailable: The server is temporarily unable
# to process the request due to a temporary overloading or maintenance".
OVERLOADED = 503
DEFAULT_EXPECT = ((200, 299),)


class ResponseContext(nagiosplugin.Context):  # type: ignore[misc]
    """The final answer's code: expected is OK, 503 CRITICAL, any other WARNING.

    A non-2xx answer still proves the endpoint reachable, so codes are judged
    here and not through the observation's error.
    """

    def __init__(self, expect: tuple[tuple[int, int], ...] | None) -> None:
        super().__init__("response")
        self.expect = expect or DEFAULT_EXPECT

    def evaluate(self, metric: nagiosplugin.Metric, resource: nagiosplugin.Resource) -> nagiosplugin.Result:
        observation: SipObservation = metric.value
        code = observation.code
        text = f"{observation.endpoint}: OPTIONS answered {code} {observation.reason}".rstrip()
        if any(low <= code <= high for low, high in self.expect):
            return self.result_cls(Ok, text, metric)
        return self.result_cls(Critical if code == OVERLOADED else Warn, text, metric)
