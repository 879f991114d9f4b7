# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one check's main() in this process and report what it leaves behind.

    python -m tests.robustness.harness check_rtc.checks.stun -H ... -t 2

The check prints and exits as usual; then this prints, on stderr, one line
"HARNESS {json}" with the file descriptors still open that were not open
before the check started, the child processes still alive, and the peak
resident memory in KB, and when main() returned (time.monotonic()). Probe
threads get a moment to unwind: a socket closed a few milliseconds after the
verdict is not a leak, one that stays open is.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time

SETTLE_SECONDS = 0.5


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def children() -> list[int]:
    found: list[int] = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as handle:
                found += [int(pid) for pid in handle.read().split()]
        except OSError:
            continue
    return found


def leftovers(before: set[str]) -> dict[str, object]:
    """What is still open or alive, after letting probe threads unwind; and the peak memory."""
    settle_until = time.monotonic() + SETTLE_SECONDS
    while True:
        fds = sorted(open_fds() - before)
        kids = children()
        if (not fds and not kids) or time.monotonic() > settle_until:
            targets = [_target(fd) for fd in fds]
            return {"fds": [t for t in targets if t], "children": kids, "peak_kb": peak_kb()}
        time.sleep(0.02)


def peak_kb() -> int:
    """This process's peak resident memory: VmHWM, the high-water mark of its own address space.
    Not getrusage's ru_maxrss: Linux carries that over fork and exec from the parent, so a child
    of a big pytest process would report pytest's size (getrusage(2), exec_mmap)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1])


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""  # the listing's own descriptor, gone already


def main() -> None:
    module, argv = sys.argv[1], sys.argv[2:]
    before = open_fds()
    code: object = 0
    try:
        importlib.import_module(module).main(argv)
    except SystemExit as exc:
        code = exc.code
    sys.stdout.flush()
    # CLOCK_MONOTONIC is one clock for every process: the test compares this
    # with the time it started the process, leaving out the settling below.
    ended = time.monotonic()
    print("HARNESS " + json.dumps({**leftovers(before), "ended": ended}), file=sys.stderr, flush=True)
    os._exit(code if isinstance(code, int) else 3)


if __name__ == "__main__":
    main()
