"""Real processes for the deploy tests: `codeid serve` and an nginx of our own.

Each writes its output to a log file in a directory of the test's, runs in its own process
group, and is stopped by its own id at the end (never by name).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
CODEID = Path(sys.executable).with_name("codeid")
NGINX = Path(os.environ.get("CODEID_NGINX", "/usr/sbin/nginx"))
NGINX_TEMPLATE = Path(__file__).with_name("nginx.conf.template")
# nginx's temporary directories, all inside its prefix (none of the system's paths).
NGINX_TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class ProcessFailed(RuntimeError):
    pass


def _tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""


def _stop(process: subprocess.Popen[bytes], *, grace: float = 10) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Until ``url`` answers 200 (the process up), or fail with the end of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProcessFailed(f"{process.args!r} exited {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise ProcessFailed(f"{url} did not answer within {timeout} s:\n{_tail(log)}")


@contextmanager
def codeid_servers(
    ports: Sequence[int], env: Mapping[str, str], logs: Path, *, workers: int = 1
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`codeid serve --port P` for each port (started together), ready (GET /healthz) on
    entry, stopped at the end; output in ``logs``/serve-P.log."""
    logs.mkdir(parents=True, exist_ok=True)
    started: list[tuple[int, subprocess.Popen[bytes], Path]] = []
    try:
        for port in ports:
            log = logs / f"serve-{port}.log"
            command = [str(CODEID), "serve", "--port", str(port), "--workers", str(workers)]
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command,
                    cwd=REPO,
                    env=dict(env),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append((port, process, log))
        for port, process, log in started:
            wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
        yield [process for _, process, _ in started]
    finally:
        for _, process, _ in started:
            _stop(process)


def nginx_config(listen: int, upstreams: Sequence[int], prefix: Path) -> str:
    """The tested configuration (nginx.conf.template) for these ports and this prefix."""
    servers = "\n".join(f"        server 127.0.0.1:{port};" for port in upstreams)
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for name, value in {"PREFIX": str(prefix), "LISTEN": str(listen), "UPSTREAMS": servers}.items():
        text = text.replace(f"@{name}@", value)
    return text


@contextmanager
def nginx(listen: int, upstreams: Sequence[int], prefix: Path) -> Iterator[Path]:
    """An nginx of our own (own config, prefix, pid, ports) in front of ``upstreams``;
    yields its access log, one line per request naming the upstream that served it."""
    if not NGINX.is_file():
        raise ProcessFailed(f"nginx is not installed at {NGINX} (apt-get install nginx-light)")
    prefix.mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)  # nginx's workers (an unprivileged user under root) use the temp dirs
    for name in NGINX_TEMP_DIRS:
        (prefix / name).mkdir(exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(listen, upstreams, prefix), encoding="utf-8")
    globals_ = "daemon off; master_process on;" + (
        " user nobody nogroup;" if os.geteuid() == 0 else ""
    )
    base = [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    checked = subprocess.run(
        [*base, "-g", globals_, "-t"], capture_output=True, text=True, check=False
    )
    if checked.returncode != 0:
        raise ProcessFailed(f"nginx -t refused the configuration:\n{checked.stderr}")
    log = prefix / "nginx.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*base, "-g", globals_], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_http(f"http://127.0.0.1:{listen}/healthz", process, prefix / "error.log", timeout=20)
        yield prefix / "access.log"
    finally:
        _stop(process)
