# SPDX-License-Identifier: GPL-3.0-or-later
"""The plugin runtime: nagiosplugin glue shared by every check.

One place maps outcomes to states: endpoint failures through
ReachabilityContext and the multi-endpoint policy of design.md §4,
UsageError to UNKNOWN, anything else (a bug) to UNKNOWN with a traceback only
at -vvv. Output is the status line with perfdata, then one line per endpoint.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import traceback
import nagiosplugin
from nagiosplugin.output import Output
from nagiosplugin.state import Critical, Ok, Warn

from check_rtc import secrets
from check_rtc.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Callable, Iterator, NoReturn

    from check_rtc.probes import Observation
    from check_rtc.probes.discovery import Targeting
    from check_rtc.resolve import Resolver
    from check_rtc.transport.tls import TlsOptions

UNKNOWN = 3


class MaskingFilter(logging.Filter):
    """Blanks registered secrets out of every log record (the -vvv trace)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = secrets.mask(record.getMessage())
        record.args = ()
        return True


class RtcOutput(Output):  # type: ignore[misc]
    """Perfdata on the status line at every verbosity, then the long output."""

    def add(self, check: nagiosplugin.Check) -> None:
        self.status = self.format_status(check)
        perfdata = self.format_perfdata(check)
        if perfdata:
            self.status += " " + perfdata
        self.add_longoutput(check.verbose_str)

    def _screen_chars(self, text: str, where: str) -> str:
        return super()._screen_chars(secrets.mask(text), where)  # type: ignore[no-any-return]


class ReachabilityContext(nagiosplugin.Context):  # type: ignore[misc]
    """An endpoint answered or not; failures follow the multi-endpoint policy.

    All endpoints failed: CRITICAL. Some failed: WARNING ("redundancy lost"),
    or CRITICAL with --require-all.
    """

    def __init__(self, require_all: bool) -> None:
        super().__init__("reachable")
        self.require_all = require_all

    def evaluate(self, metric: nagiosplugin.Metric, resource: nagiosplugin.Resource) -> nagiosplugin.Result:
        observation: Observation = metric.value
        if observation.error is None:
            return self.result_cls(Ok, f"{observation.endpoint}: {observation.describe()}", metric)
        all_failed = all(o.error is not None for o in resource.observations)
        state = Critical if all_failed or self.require_all else Warn
        return self.result_cls(state, f"{observation.endpoint}: {observation.error}", metric)


class EndpointSummary(nagiosplugin.Summary):  # type: ignore[misc]
    """Status line and long output for checks that probe a set of endpoints.

    `notes` are appended to the status line whatever the state, for facts an
    operator must not miss (e.g. that certificates were not verified).
    """

    def __init__(self, notes: tuple[str, ...] = ()) -> None:
        self.notes = "".join(f" ({note})" for note in notes)

    def ok(self, results: nagiosplugin.Results) -> str:
        reached = _reachability(results)
        if len(reached) == 1:
            return str(reached[0]) + self.notes
        return f"{len(reached)} endpoints answered{self.notes}"

    def problem(self, results: nagiosplugin.Results) -> str:
        worst = results.most_significant_state
        bad = [r for r in results if r.state == worst]
        reached = _reachability(results)
        failed = sum(1 for r in reached if r.state != Ok)
        head = ""
        if failed and failed < len(reached):
            head = f"{failed} of {len(reached)} endpoints failed, redundancy lost: "
        elif failed > 1:
            head = f"all {failed} endpoints failed: "
        more = f" (+{len(bad) - 2} more)" if len(bad) > 2 else ""
        return head + "; ".join(str(r) for r in bad[:2]) + more + self.notes

    def verbose(self, results: nagiosplugin.Results) -> list[str]:
        """One line per endpoint, then any other finding that is not OK."""
        lines = [r for r in results if r in _reachability(results) or r.state != Ok]
        return [f"[{str(r.state).upper()}] {r}" for r in lines]

    def empty(self) -> str:
        return "nothing to probe"


def _reachability(results: nagiosplugin.Results) -> list[nagiosplugin.Result]:
    return [r for r in results if r.metric is not None and r.metric.context == "reachable"]


class ThresholdContext(nagiosplugin.ScalarContext):  # type: ignore[misc]
    """A ScalarContext whose perfdata never uses exponents.

    nagiosplugin writes floats with str(), so 0.00005 s becomes '5e-05', which
    Nagios graphing add-ons do not parse. Values get fixed decimals and the
    ranges are written as the operator typed them.
    """

    def __init__(self, name: str, warning: str | None, critical: str | None, fmt_metric: object,
                 decimals: int = 6) -> None:
        super().__init__(name, warning, critical, fmt_metric=fmt_metric)
        self.ranges = (warning or "", critical or "")
        self.decimals = decimals

    def performance(self, metric: nagiosplugin.Metric, resource: nagiosplugin.Resource) -> nagiosplugin.Performance:
        value = f"{metric.value:.{self.decimals}f}"
        return nagiosplugin.Performance(metric.name, value, metric.uom, *self.ranges, metric.min, metric.max)


def rtt_context(args: argparse.Namespace) -> ThresholdContext:
    """Response-time thresholds from -w/-c (seconds, Nagios range syntax)."""
    return ThresholdContext("rtt", args.warning, args.critical, fmt_metric=_describe_rtt)


def _describe_rtt(metric: nagiosplugin.Metric, context: nagiosplugin.Context) -> str:
    return f"{metric.name.removesuffix('_rtt')}: response time {metric.value:.4f}s"


class EndpointResource(nagiosplugin.Resource):  # type: ignore[misc]
    """The endpoints of one check; `run` returns their observations.

    Every endpoint yields its reachability and, when it answered, its rtt;
    `extra` yields a check's own metrics of an observation (facts judged by
    the check's own contexts, or perfdata-only values).
    """

    def __init__(
        self,
        name: str,
        run: Callable[[], list[Observation]],
        extra: Callable[[Observation], Iterator[nagiosplugin.Metric]] | None = None,
    ) -> None:
        self._name = name
        self._run = run
        self._extra = extra
        self.observations: list[Observation] = []

    @property
    def name(self) -> str:
        return self._name

    def probe(self) -> Iterator[nagiosplugin.Metric]:
        self.observations = self._run()
        for observation in self.observations:
            yield from endpoint_metrics(observation, getattr(observation, "rtt", None))
            if self._extra is not None:
                yield from self._extra(observation)


def endpoint_check(
    name: str,
    run: Callable[[], list[Observation]],
    args: argparse.Namespace,
    notes: tuple[str, ...] = (),
    contexts: tuple[nagiosplugin.Context, ...] = (),
    extra: Callable[[Observation], Iterator[nagiosplugin.Metric]] | None = None,
) -> nagiosplugin.Check:
    """A check over a set of endpoints with the shared contexts and summary,
    plus a check's own `contexts` for the metrics its `extra` yields."""
    return nagiosplugin.Check(
        EndpointResource(name, run, extra),
        ReachabilityContext(args.require_all),
        rtt_context(args),
        *contexts,
        EndpointSummary(notes),
    )


def cert_days_context(args: argparse.Namespace) -> ThresholdContext:
    """Days left on the served certificate, judged by --warning-days/--critical-days ('N:' ranges)."""
    warning = f"{args.warning_days:g}:" if args.warning_days is not None else None
    critical = f"{args.critical_days:g}:" if args.critical_days is not None else None
    return ThresholdContext("cert_days", warning, critical, fmt_metric=_describe_days, decimals=1)


def _describe_days(metric: nagiosplugin.Metric, context: nagiosplugin.Context) -> str:
    return f"{metric.name.removesuffix('_cert_days')}: certificate expires in {metric.value:.1f} days"


def endpoint_metrics(observation: Observation, rtt: float | None) -> Iterator[nagiosplugin.Metric]:
    """The reachability metric and, for an answer, the rtt with perfdata."""
    label = observation.endpoint.label()
    yield nagiosplugin.Metric(f"{label}_ok", observation, context="reachable")
    if observation.error is None and rtt is not None:
        yield nagiosplugin.Metric(f"{label}_rtt", rtt, "s", min=0, context="rtt")


def perfdata_context(name: str, decimals: int = 6) -> ThresholdContext:
    """A context that only reports: no thresholds, never a problem."""
    return ThresholdContext(name, None, None, fmt_metric=None, decimals=decimals)


# The endpoint checks' helpers import their modules when called: the record
# checks (check_rtc_dns, check_enum) share this runtime and need none of them.
def targeting(args: argparse.Namespace) -> Targeting:
    from check_rtc.probes.discovery import Targeting

    return Targeting(args.hostname, args.domain, args.port, args.transport, args.families)


def resolver(args: argparse.Namespace) -> Resolver:
    from check_rtc.resolve import Resolver

    return Resolver(args.dns_server)


def tls_options(args: argparse.Namespace, alpn: tuple[str, ...] = ()) -> TlsOptions:
    from check_rtc.transport.tls import TlsOptions

    return TlsOptions(args.ca_file, args.ca_path, args.client_cert, args.client_key, not args.insecure, alpn)


def tls_context(args: argparse.Namespace, alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
    """Made once, in the main thread, so a bad --ca-file is UNKNOWN, not an endpoint failure."""
    from check_rtc.transport.tls import create_context

    return create_context(tls_options(args, alpn))


def insecure_note(args: argparse.Namespace, tls_transports: tuple[str, ...]) -> tuple[str, ...]:
    """design.md §9: turning verification off is explicit, and the output says so."""
    if args.insecure and any(t in tls_transports for t in args.transport):
        return ("TLS certificate NOT verified: --insecure",)
    return ()


def attach_logging(runtime: nagiosplugin.Runtime) -> None:
    """Route the check_rtc loggers (the > / < protocol trace) to the plugin output."""
    runtime.logchan.addFilter(MaskingFilter())
    logger = logging.getLogger("check_rtc")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(runtime.logchan)


def execute(name: str, args: argparse.Namespace, build: Callable[[], nagiosplugin.Check]) -> NoReturn:
    """Build and run a check; every way out prints one status line and exits 0-3."""
    runtime = nagiosplugin.Runtime()
    runtime.output = RtcOutput(runtime.logchan)
    attach_logging(runtime)
    runtime.verbose = args.verbose
    try:
        check = build()
        check.name = name
        # nagiosplugin's SIGALRM is only a safety net behind our own deadline.
        runtime.execute(check, verbose=args.verbose, timeout=math.ceil(args.timeout) + 1)
    except SystemExit:
        raise
    except UsageError as exc:
        _unknown(name, str(exc), args.verbose, trace=False)
    except nagiosplugin.Timeout:
        _unknown(name, f"check did not finish within {args.timeout:g}s", args.verbose)
    except ModuleNotFoundError as exc:  # an optional library (Recommends, pip extra) is missing
        _unknown(name, _missing_module(exc), args.verbose, trace=False)
    except Exception as exc:  # a bug: say so in one line, trace only at -vvv
        _unknown(name, f"internal error: {type(exc).__name__}: {exc}", args.verbose)
    sys.exit(UNKNOWN)  # not reached: runtime.execute exits


# Optional libraries: the option that needs each, its Debian package and pip extra.
OPTIONAL_MODULES = {
    "aioice": ("check_turn --ice", "python3-aioice", "ice"),
    "slixmpp": ("check_xmpp -u (login)", "python3-slixmpp", "xmpp-login"),
}


def _missing_module(exc: ModuleNotFoundError) -> str:
    top = (exc.name or "").partition(".")[0]
    if top not in OPTIONAL_MODULES:
        return f"internal error: {type(exc).__name__}: {exc}"
    option, package, extra = OPTIONAL_MODULES[top]
    return f"{option} needs the Python module {top}: apt-get install {package} (pip: check-rtc[{extra}])"


def _unknown(name: str, message: str, verbose: int, trace: bool = True) -> NoReturn:
    print(secrets.mask(f"{name} UNKNOWN - {message}"))
    if trace and verbose >= 3:
        print(secrets.mask(traceback.format_exc()).rstrip("\n"))
    sys.exit(UNKNOWN)
