"""A private PostgreSQL server for fault tests: stopping or restarting it disturbs nobody.

``initdb`` into a temporary directory (as the ``postgres`` OS user when we run as root, since
PostgreSQL refuses to run as root), trust authentication, a free loopback port, the unix
socket in the same directory. ``PgInstance`` starts, stops and restarts it with ``pg_ctl``;
``private_postgres()`` removes everything at the end.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

POSTGRES_LIB = Path("/usr/lib/postgresql")
OS_USER = "postgres"
# Speed over durability: the data is thrown away, and a clean restart loses nothing anyway.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "60",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
}


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout), or PATH's initdb."""
    if POSTGRES_LIB.is_dir():
        versions = sorted(
            (p for p in POSTGRES_LIB.iterdir() if (p / "bin" / "initdb").is_file()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
        )
        if versions:
            return versions[-1] / "bin"
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PgInstance:
    bindir: Path
    root: Path  # holds data/, the socket and the server log
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OS_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{tail}"
            )

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        settings = {**SERVER_SETTINGS, "port": str(self.port)}
        settings["unix_socket_directories"] = f"'{self.root}'"
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# codeid fault tests\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> None:
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "restart", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"private PostgreSQL on port {self.port} did not come up")


def _owned_temp_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="codeid-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(OS_USER)
        os.chown(root, account.pw_uid, account.pw_gid)
    return root


@contextmanager
def private_postgres() -> Iterator[PgInstance]:
    """A running private server; stopped and deleted afterwards. Skips without initdb."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's initdb is not installed: no private server for fault tests")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            pytest.skip(f"running as root without a {OS_USER!r} OS user to run PostgreSQL")
    root = _owned_temp_dir()
    instance = PgInstance(bindir=bindir, root=root, port=free_port())
    try:
        instance.init()
        instance.start()
        yield instance
    finally:
        if instance.running():
            with suppress(RuntimeError, subprocess.TimeoutExpired):
                instance.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
