"""The load driver in its smallest form: it seeds, serves, drives every scenario and reports.

Asserts what the run did (a row per scenario, every request answered as expected), never the
speeds: those are figures for `python -m bench.load`, not a test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_SERVER

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("bare", "bare-db", "verify", "resolve", "scan", "check-in", "call-next")
ROW = re.compile(r"^(?P<name>[a-z-]+)\s+(?P<requests>\d+)\s+(?P<errors>\d+)\s+\d+\s", re.M)


@pytest.mark.slow
def test_load_driver_reports_every_scenario_without_errors() -> None:
    command = [sys.executable, "-m", "bench.load", "--entities", "40", "--seconds", "3",
               "--requests", "12", "--concurrency", "3", "--checkins", "12"]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        env=os.environ | {"CODEID_BENCH_POSTGRES_URL": POSTGRES_SERVER},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {m["name"]: m for m in ROW.finditer(done.stdout)}
    assert tuple(rows) == SCENARIOS, done.stdout
    for name, row in rows.items():
        assert int(row["requests"]) > 0, (name, done.stdout)
        assert int(row["errors"]) == 0, (name, done.stdout)
    assert int(rows["call-next"]["requests"]) == int(rows["check-in"]["requests"])
    assert "generator:" in done.stdout
