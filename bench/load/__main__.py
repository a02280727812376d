"""Load figures: the running service, driven over loopback from a separate process.

    python -m bench.load [--entities 20000] [--licences-per-entity 3] [--seconds 8]
                         [--requests 20000] [--concurrency 16] [--workers 1]
                         [--checkins 3000] [--url http://127.0.0.1:8000]

Without --url it creates a throwaway PostgreSQL database (dropped at the end), seeds it with
`codeid demo seed --entities N --licences-per-entity K` (the demo hall, clerks and users,
and N bulk entities with signed licences), and starts `codeid serve --workers W` on it. With
--url it drives that service instead, and reads CODEID_DATABASE_URL, CODEID_DATA_DIR and
CODEID_MASTER_KEY from the environment (the service's own, seeded the same way).

Either way it starts the bare app (bench/load/bare_app.py) with the same server settings and
runs, one after the other, each for --seconds or --requests requests with --concurrency
keep-alive connections (bench/load/client.py):

  bare         GET /bare: FastAPI + uvicorn alone, the baseline of the ratios
  bare-db      GET /bare/db: the same plus SELECT 1 in a unit of work of codeid's Runtime
  verify       POST /v1/codes/verify as a clerk, static codes of seeded entities
  resolve      GET /v1/public/check?code=: a static code resolved to entity + licence types
  scan         POST /v1/scans as a clerk: a QR PNG of a static code decoded, verified, resolved
  check-in     POST /v1/checkins from a kiosk, fresh dynamic codes (each once), --checkins
  call-next    POST /v1/windows/{n}/call at the 13 windows of the demo clerks, one call per
               ticket the check-ins queued

and prints requests, errors, req/s, p50 and p99 latency, and both ratios to `bare`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from api.settings import Settings
from bench.load import scenarios
from bench.load.client import Outcome, Request, run_load
from bench.load.servers import (
    Service,
    bare_serve,
    codeid_serve,
    free_port,
    seed,
    service_env,
)
from bench.throwaway import throwaway_database

POSTGRES_SERVER = os.environ.get(
    "CODEID_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


SCENARIOS = ("bare", "bare-db", "verify", "resolve", "scan", "check-in", "call-next")


@dataclass(frozen=True)
class Target:
    base_url: str
    port: int
    env: dict[str, str]
    data_dir: Path
    database_url: str
    master_key: str


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Stopped from outside (a timeout): unwind, so the servers stop and the database goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    with ExitStack() as stack:
        target = stack.enter_context(_target(args, stack))
        bare_port = free_port()
        bare = bare_serve(target.env, bare_port, args.workers, target.data_dir / "bare.log")
        stack.callback(bare.stop)
        bare.wait_ready(f"http://127.0.0.1:{bare_port}/bare")
        results = _run(args, target, bare_port)
    _print(args, results, time.perf_counter() - started)
    return 0 if all(outcome.errors == 0 for _, outcome in results) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=20_000, help="bulk entities seeded")
    parser.add_argument("--licences-per-entity", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=8.0, help="time bound per scenario")
    parser.add_argument("--requests", type=int, default=20_000, help="count bound per scenario")
    parser.add_argument("--concurrency", type=int, default=16, help="connections at once")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--checkins", type=int, default=3000, help="dynamic codes prepared")
    parser.add_argument("--url", help="drive this running service instead of starting one")
    parser.add_argument("--only", help=f"comma-separated scenarios, of {', '.join(SCENARIOS)}")
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs and data")
    return parser


@contextmanager
def _target(args: argparse.Namespace, stack: ExitStack) -> Iterator[Target]:
    if args.url:
        settings = Settings()
        if settings.master_key is None:
            raise SystemExit("--url needs the service's CODEID_MASTER_KEY in the environment")
        port = urllib.parse.urlsplit(args.url).port or 80
        yield Target(args.url.rstrip("/"), port, dict(os.environ), settings.data_dir,
                     settings.database_url, settings.master_key.get_secret_value())  # fmt: skip
        return
    data_dir = Path(tempfile.mkdtemp(prefix="codeid_load_"))
    if args.keep:
        print(f"logs and data in {data_dir}")
    else:
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
    database_url = stack.enter_context(throwaway_database(POSTGRES_SERVER))
    env = service_env(database_url, data_dir)
    print(f"seeding: {args.entities:,} entities x {args.licences_per_entity:g} licences ...",
          flush=True)  # fmt: skip
    seeded = time.perf_counter()
    seed(env, entities=args.entities, licences_per_entity=args.licences_per_entity)
    print(f"  seeded in {time.perf_counter() - seeded:.1f} s", flush=True)
    port = free_port()
    service: Service = codeid_serve(env, port, args.workers, data_dir / "codeid.log")
    stack.callback(service.stop)
    service.wait_ready(f"http://127.0.0.1:{port}/healthz")
    yield Target(f"http://127.0.0.1:{port}", port, env, data_dir, database_url,
                 env["CODEID_MASTER_KEY"])  # fmt: skip


def _run(args: argparse.Namespace, target: Target, bare_port: int) -> list[tuple[str, Outcome]]:
    limits = {"concurrency": args.concurrency, "seconds": args.seconds, "limit": args.requests}
    static, dynamic = scenarios.issue_codes(
        target.database_url, target.master_key, entities=args.entities,
        static=min(500, args.entities), dynamic=args.checkins, seed=7,
    )  # fmt: skip
    prepared = scenarios.Prepared(
        port=target.port,
        tokens=scenarios.sign_in(target.base_url, target.data_dir),
        static_codes=static,
        images=scenarios.images(static, 10),
    )
    host = urllib.parse.urlsplit(target.base_url).hostname or "127.0.0.1"
    plan: list[tuple[str, str, int, list[Request], bool]] = [
        ("bare", "127.0.0.1", bare_port, scenarios.bare(bare_port, "/bare"), False),
        ("bare-db", "127.0.0.1", bare_port, scenarios.bare(bare_port, "/bare/db"), False),
        ("verify", host, target.port, scenarios.verify(prepared), False),
        ("resolve", host, target.port, scenarios.resolve(prepared), False),
        ("scan", host, target.port, scenarios.scan(prepared), False),
        ("check-in", host, target.port, scenarios.check_in(target.port, dynamic), True),
    ]
    wanted = set(args.only.split(",")) if args.only else set(SCENARIOS)
    unknown = wanted - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIOS)}")
    results = []
    for name, at, port, requests, once in plan:
        if name == "bare" or name in wanted or (name == "check-in" and "call-next" in wanted):
            results.append((name, run_load(at, port, requests, each_once=once, **limits)))
            print(f"  {name} done", flush=True)
    if "call-next" in wanted:
        queued = len(results[-1][1].latencies)  # one ticket per successful check-in
        calls = scenarios.call_next(prepared, queued)
        results.append(("call-next", run_load(host, target.port, calls, each_once=True, **limits)))
    return results


def _print(args: argparse.Namespace, results: list[tuple[str, Outcome]], seconds: float) -> None:
    bare = results[0][1]
    bare_rps, bare_p50 = _rate(bare), _p50(bare)
    print(f"\nload: {args.workers} server worker(s), {args.concurrency} connections, "
          f"{args.entities:,} bulk entities, bounds {args.seconds:g} s / {args.requests} requests "
          f"per scenario, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'scenario':10} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'bare/this req/s':>15} {'p50/bare p50':>12}")  # fmt: skip
    for name, outcome in results:
        rate, p50 = _rate(outcome), _p50(outcome)
        slower = bare_rps / rate if rate else float("inf")
        longer = p50 / bare_p50 if bare_p50 else float("inf")
        print(f"{name:10} {outcome.requests:8d} {outcome.errors:6d} {rate:8.0f} "
              f"{p50 * 1000:8.2f} {_p99(outcome) * 1000:8.2f} {slower:15.1f} {longer:12.1f}"
              + (f"   ({outcome.noted} empty)" if outcome.noted else ""))  # fmt: skip
        if outcome.errors:
            print(f"           first error: {outcome.first_error[:200]}")
    per_request = bare.cpu / bare.requests if bare.requests else 0.0
    capacity = 1 / per_request if per_request else float("inf")
    print(f"generator: {per_request * 1e6:.0f} us CPU per bare request, so one core drives "
          f"{capacity:,.0f} req/s: {capacity / bare_rps if bare_rps else 0:.1f}x what the bare "
          f"endpoint served (the server, not the generator, set the pace)")  # fmt: skip
    print(f"run: {seconds:.0f} s in all")


def _rate(outcome: Outcome) -> float:
    return len(outcome.latencies) / outcome.elapsed if outcome.elapsed else 0.0


def _p50(outcome: Outcome) -> float:
    return statistics.median(outcome.latencies) if outcome.latencies else 0.0


def _p99(outcome: Outcome) -> float:
    times = sorted(outcome.latencies)
    return times[min(len(times) - 1, round(0.99 * (len(times) - 1)))] if times else 0.0


if __name__ == "__main__":
    sys.exit(main())
