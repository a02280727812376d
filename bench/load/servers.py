"""The processes of a load run: a throwaway database, the seed, `codeid serve`, the bare app."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]  # so `python -m bench...` finds bench/


def service_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The CODEID_* environment shared by the seed, codeid serve, the bare app and the driver."""
    return os.environ | {
        "CODEID_DATABASE_URL": database_url,
        "CODEID_DATA_DIR": str(data_dir),
        "CODEID_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        # The load comes from one address: lift the per-address limit on anonymous checks.
        "CODEID_PUBLIC_CHECKS_PER_MINUTE": "100000000",
        "CODEID_ACCESS_TOKEN_TTL_SECONDS": "3600",
    }


def seed(env: dict[str, str], *, entities: int, licences_per_entity: float) -> str:
    """`codeid demo seed` with the bulk options: the demo hall, users and entities."""
    done = subprocess.run(
        [str(BIN / "codeid"), "demo", "seed", "--entities", str(entities),
         "--licences-per-entity", str(licences_per_entity)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"codeid demo seed failed: {done.stderr.strip()[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Service:
    """A server subprocess, its output in a log file, stopped on exit."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=ROOT,
            )

    def wait_ready(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.name} did not become ready at {url}:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)  # the server and its worker processes
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


def codeid_serve(env: dict[str, str], port: int, workers: int, log: Path) -> Service:
    command = [str(BIN / "codeid"), "serve", "--port", str(port), "--workers", str(workers)]
    return Service("codeid serve", command, env, log)


def bare_serve(env: dict[str, str], port: int, workers: int, log: Path) -> Service:
    command = [sys.executable, "-m", "bench.load.bare_app", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    return Service("bare app", command, env, log)
