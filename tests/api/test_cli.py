"""The `codeid` command end to end, as a user runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import contextlib
import gc
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.cli.main import main


class Codeid:
    """Runs `codeid ARGS` with its own environment and working directory, the way a user does.

    In this process by default (``main()`` with sys.argv, the environment, the working
    directory and the standard streams swapped in, then put back): a new Python process per
    command costs seconds, and the suite runs hundreds of commands. ``subprocess=True`` runs
    a real process, as the tests of the entry point itself do.
    """

    def __init__(self, env: dict[str, str], cwd: Path, *, subprocess: bool = False) -> None:
        self.env = env
        self.cwd = cwd
        self.subprocess = subprocess

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = self._spawn(args) if self.subprocess else self._in_process(args)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    def _spawn(self, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "api.cli.main", *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def _in_process(self, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        out, err = io.StringIO(), io.StringIO()
        saved_env, saved_argv, saved_cwd = dict(os.environ), sys.argv, Path.cwd()
        os.environ.clear()
        os.environ.update(self.env)
        sys.argv = ["codeid", *args]
        os.chdir(self.cwd)
        code: int
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main()
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            os.chdir(saved_cwd)
            sys.argv = saved_argv
            os.environ.clear()
            os.environ.update(saved_env)
            gc.collect()  # each command's engine: close its pooled connections now
        return subprocess.CompletedProcess(["codeid", *args], code, out.getvalue(), err.getvalue())


def _cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CODEID_DATA_DIR=str(tmp_path / "data"),
        CODEID_DATABASE_URL=database_url,
        CODEID_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    return env


@pytest.fixture
def codeid(engine: Engine, database_url: str, tmp_path: Path) -> Codeid:
    return Codeid(_cli_env(database_url, tmp_path), tmp_path)


@pytest.fixture
def codeid_process(engine: Engine, database_url: str, tmp_path: Path) -> Codeid:
    """The installed command in a process of its own."""
    return Codeid(_cli_env(database_url, tmp_path), tmp_path, subprocess=True)


def test_round_trip_issue_png_scan_resolve(codeid_process: Codeid, tmp_path: Path) -> None:
    codeid = codeid_process  # as a user runs it: a process of its own
    added = codeid(
        "entity", "add", "--uscc", "91440300708461136T", "--name", "腾讯", "--type", "company"
    )
    assert json.loads(added.stdout)["uscc"] == "91440300708461136T"

    png = tmp_path / "code.png"
    issued = codeid("code", "issue", "91440300708461136T", "--out", str(png))
    payload = issued.stdout.strip().splitlines()[-1]
    assert png.stat().st_size > 0

    scanned = codeid("scan", str(png))
    found = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert len(found) == 1
    assert found[0]["valid"] is True and found[0]["entity"]["name"] == "腾讯"
    assert found[0]["text"] == payload

    raw = json.loads(codeid("scan", "--raw", str(png)).stdout)
    assert raw["texts"] == [payload] and raw["ms"] > 0

    tampered = payload[:-3] + ("AAA" if payload[-3:] != "AAA" else "BBB")
    refused = codeid("code", "verify", tampered, ok=False)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["reason"] in ("bad-signature", "malformed")

    later = codeid("code", "verify", payload, "--at", "2099-01-01T00:00:00+00:00", ok=False)
    assert json.loads(later.stdout)["reason"] == "expired"


def test_offline_verify_with_saved_jwks_across_rotation(codeid: Codeid, tmp_path: Path) -> None:
    codeid("entity", "add", "--uscc", "914403001922038216", "--name", "华为")
    old = codeid("code", "issue", "914403001922038216", "--dynamic").stdout.splitlines()[-1]
    codeid("keys", "rotate")
    new = codeid("code", "issue", "914403001922038216", "--dynamic").stdout.splitlines()[-1]
    jwks = tmp_path / "jwks.json"
    jwks.write_text(codeid("keys", "jwks").stdout)
    assert len(json.loads(jwks.read_text())["keys"]) == 2
    for payload in (old, new):
        answer = json.loads(codeid("code", "verify", payload, "--jwks", str(jwks)).stdout)
        assert answer["valid"] is True and answer["offline"] is True

    keys = [json.loads(line) for line in codeid("keys", "list").stdout.splitlines()]
    assert sorted(k["status"] for k in keys) == ["active", "verify-only"]


def test_errors_are_one_line_and_non_zero(codeid: Codeid, tmp_path: Path) -> None:
    bad = codeid("entity", "add", "--uscc", "914403001922038217", "--name", "x", ok=False)
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0
    assert "uscc-check" in bad.stderr and "Traceback" not in bad.stderr

    missing = codeid("entity", "show", "914403001922038216", ok=False)
    assert missing.returncode != 0 and "not-found" in missing.stderr

    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG but not really")
    scanned = codeid("scan", str(junk), ok=False)
    assert scanned.returncode != 0 and "not-an-image" in scanned.stderr
    assert "Traceback" not in scanned.stderr
