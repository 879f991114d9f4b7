# SPDX-License-Identifier: GPL-3.0-or-later
"""Every check against every misbehaviour that applies, over IPv4 and IPv6.

A broken service is CRITICAL, with one line naming the endpoint and the
step, before -t plus half a second, in bounded memory, with nothing left
open or running, and never a traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, STATUS_LINE
from tests.robustness import kit
from tests.robustness.matrix import TIMEOUT, Target, cells, render

MEMORY_LIMIT_KB = 100 * 1024


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Trust anchors, a good server certificate, an absurd chain and a password file."""
    from check_rtc.lab.certs import Certs

    directory = tmp_path_factory.mktemp("faults")
    certs = Certs.generate(directory / "certs", "example.test", variants=("good",))
    chain, key = kit.absurd_chain(directory)
    password = directory / "password"
    password.write_text("not-used-by-any-fake\n")
    return {"ca": str(certs.ca_cert), "cert": str(certs.fullchain("good")), "key": str(certs.key("good")),
            "absurd": str(chain), "absurd_key": str(key), "password": str(password)}


def server(target: Target, behaviour: str, address: str, files: dict[str, str]) -> object:
    if behaviour == "other-transaction":
        from tests.fakes import UdpFake

        assert target.other is not None
        return UdpFake(target.other, address)
    if behaviour == "absurd-chain":
        return kit.TlsFake(kit.silent, kit.server_context(Path(files["absurd"]), Path(files["absurd_key"])), address)
    return kit.fault_server(target.kind, behaviour, address,
                            kit.server_context(Path(files["cert"]), Path(files["key"])))


def run(target: Target, port: int, address: str, files: dict[str, str]) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, start time) of one check run in the harness."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "tests.robustness.harness", target.module, *target.args(address, port, files)]
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(REPO))
    stdout, stderr = process.communicate(timeout=TIMEOUT + 30)
    return process.returncode, stdout.decode(), stderr.decode(), started


@pytest.mark.parametrize(
    "target, behaviour, address", cells(), ids=lambda v: v.name.replace(" ", "") if isinstance(v, Target) else v
)
def test_broken_service_is_critical_in_time_and_leaves_nothing(
    target: Target, behaviour: str, address: str, files: dict[str, str]
) -> None:
    with server(target, behaviour, address, files) as fake:  # type: ignore[attr-defined]
        code, stdout, stderr, started = run(target, fake.port, address, files)
    first = stdout.splitlines()[0] if stdout else ""
    match = STATUS_LINE.match(first)
    assert match, f"no status line: {stdout!r} {stderr!r}"
    assert (code, match["state"]) == (2, "CRITICAL"), stdout
    assert re.match(target.reason(address, fake.port), match["summary"]), first
    assert "Traceback" not in stdout + stderr
    report = json.loads(re.search(r"^HARNESS (.*)$", stderr, re.M)[1])  # type: ignore[index]
    elapsed = report["ended"] - started  # from start to the verdict, the settling left out
    assert elapsed < TIMEOUT + 0.5, f"{elapsed:.2f}s"
    assert (report["fds"], report["children"]) == ([], [])
    assert report["peak_kb"] < MEMORY_LIMIT_KB


def test_the_documented_matrix_is_the_tested_one() -> None:
    assert (REPO / "docs" / "fault-matrix.rst").read_text() == render()
