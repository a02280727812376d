"""Licence issuance, verification, status list tokens and resolution with licences at scale.

    python -m bench.bench_licences [--entities 1000000] [--licences-per-entity 3]
                                   [--issue 2000] [--samples 200] [--skip-scale]

(a) On a fresh SQLite file and a fresh PostgreSQL database: licences issued per second
    (credentials.licences.issue_licence, real Ed25519 signing, one transaction each) and
    verified per second (credentials.licence_verify.verify_licence, one session each).
    Baseline: raw pyjwt encode / decode of the same claims with the same key.
(b) On the seeded PostgreSQL database: the time to build and sign the status list token of
    a full list (131,072 entries), against encoding and signing the same values in memory.
(c) On PostgreSQL with --entities entities and entities x --licences-per-entity licences
    seeded by COPY into a throwaway database: resolving a business code to an entity with
    10 licences (credentials.resolve.resolve_code_with_licences), median and p99 over
    --samples random such entities, against resolving to the entity alone
    (codeid.codes.resolve.resolve_code) over another sample, interleaved, in the same run.
    The plans of the queries a resolution runs are checked for sequential scans.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, event, insert, text
from sqlmodel import Session

import codeid.models  # noqa: F401  (registers every table)
import credentials.models  # noqa: F401
from bench.bench_import import POSTGRES_SERVER, fresh_database
from codeid.codes.payload import CTI_BYTES, CodeKind, sign_code
from codeid.codes.resolve import resolve_code
from codeid.entities.models import Entity
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import Signer
from credentials.bulk_rows import FIELDS, bulk_uscc
from credentials.bulk_seed import ISSUERS, seed_bulk
from credentials.issuers import get_issuer, issuer_keyring, issuer_public_keys, register_issuer
from credentials.licence_verify import verify_licence
from credentials.licences import issue_licence
from credentials.resolve import resolve_code_with_licences
from credentials.status_list import decode_status_list, encode_status_list
from credentials.status_token import issue_status_list_token
from credentials.trust import grant_trust

MARKET = ISSUERS["market-regulation"][0]
MASTER = bytes(range(1, 33))
FOOD = FIELDS["food-business"] | {"operator_name": "宏达餐饮店"}


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def issue_and_verify(engine: Engine, backend: str, count: int, now: datetime) -> None:
    """Section (a) on one backend."""
    with Session(engine) as session:
        register_issuer(session, uscc=MARKET, name=ISSUERS["market-regulation"][1],
                        authority_kind="market-regulation", master_secret=MASTER, actor="bench",
                        now=now - timedelta(days=1))  # fmt: skip
        grant_trust(session, issuer_uscc=MARKET, licence_type="food-business",
                    valid_from=now - timedelta(days=1), valid_until=None, actor="bench",
                    now=now - timedelta(days=1))  # fmt: skip
        holders = [bulk_uscc(i) for i in range(max(1, count // 3))]
        rows = [
            {"uscc": uscc, "name": f"宏达{i}餐饮店", "entity_type": "sole_trader",
             "status": "active", "check_override": False, "legal_representative": "陈志明",
             "registered_address": "", "registration_authority": "", "created_at": now,
             "updated_at": now}
            for i, uscc in enumerate(holders)
        ]  # fmt: skip
        session.connection().execute(insert(Entity), rows)
        session.commit()
        signer = _issuer_signer(session)

    tokens: list[str] = []

    def issue_all() -> None:
        for n in range(count):
            with Session(engine) as session:
                licence = issue_licence(
                    session, issuer=get_issuer(session, MARKET), licence_type="food-business",
                    holder_uscc=holders[n % len(holders)], licence_number=f"JY{n:014d}",
                    fields=FOOD, signer=signer, actor="bench", now=now,
                )  # fmt: skip
                tokens.append(licence.jws)  # read before commit expires it
                session.commit()

    issue_s = timed(issue_all)
    claims = [jwt.decode(token, options={"verify_signature": False}) for token in tokens]
    headers = [jwt.get_unverified_header(token) for token in tokens]
    raw_issue_s = timed(
        lambda: [
            jwt.encode(c, signer.private_key, algorithm="EdDSA", headers=h)
            for c, h in zip(claims, headers, strict=True)
        ]
    )

    def verify_all() -> None:
        for token in tokens:
            with Session(engine) as session:
                verdict = verify_licence(session, token, now=now)
                assert verdict.valid, verdict.message

    verify_s = timed(verify_all)
    public = signer.public_key()
    options: Any = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}
    raw_verify_s = timed(
        lambda: [jwt.decode(t, public, algorithms=["EdDSA"], options=options) for t in tokens]
    )
    ours, raw = per_second(count, issue_s), per_second(count, raw_issue_s)
    print(f"  {backend:10} issue  {ours:8.0f}/s   raw pyjwt encode {raw:8.0f}/s   "
          f"ratio {raw / ours:6.1f}")  # fmt: skip
    ours, raw = per_second(count, verify_s), per_second(count, raw_verify_s)
    print(f"  {backend:10} verify {ours:8.0f}/s   raw pyjwt decode {raw:8.0f}/s   "
          f"ratio {raw / ours:6.1f}   ({count} licences, {len(tokens[0])}-char JWS)")  # fmt: skip


def _issuer_signer(session: Session) -> Signer:
    issuer = get_issuer(session, MARKET)
    signer = issuer_keyring(session, issuer, master_secret=MASTER).active_signer()
    assert signer.kid in issuer_public_keys(session, MARKET)
    return signer


def status_list_build(engine: Engine, now: datetime) -> None:
    """Section (b): one full list, built from the 3,000,000-row table."""
    signer = Signer.from_private_key(Ed25519PrivateKey.generate())
    uri = "https://codeid.example.cn/v1/status-lists/1"
    with Session(engine) as session:
        count = (
            session.connection()
            .execute(text("SELECT count(*) FROM licence WHERE status_list = '1'"))
            .scalar_one()
        )
        plan = _plan(session, "SELECT status_index, status FROM licence "
                     "WHERE status_list = '1' AND status != 'valid'")  # fmt: skip
        runs, built = [], None
        for _ in range(5):
            started = time.perf_counter()
            built = issue_status_list_token(session, "1", signer=signer, now=now, uri=uri)
            runs.append(time.perf_counter() - started)
    assert built is not None
    values = bytes(decode_status_list(jwt.decode(built.token, options={"verify_signature": False})
                   ["status_list"]).get(i) for i in range(built.entries))  # fmt: skip
    raw_runs = []
    for _ in range(5):
        started = time.perf_counter()
        doc = encode_status_list(values)
        jwt.encode({"sub": uri, "status_list": doc}, signer.private_key, algorithm="EdDSA")
        raw_runs.append(time.perf_counter() - started)
    ours, raw = statistics.median(runs), statistics.median(raw_runs)
    invalid = sum(1 for v in values if v)
    print(f"  list 1: {count:,} licences, {invalid:,} not VALID, token {len(built.token):,} chars")
    print(
        f"  build {ours * 1000:8.1f} ms (median of 5)   in-memory encode+sign "
        f"{raw * 1000:6.1f} ms   ratio {ours / raw:6.1f}"
    )
    print(f"  plan: {plan}")


def _plan(session: Session, sql: str, params: Any = None) -> str:
    rows = session.connection().exec_driver_sql("EXPLAIN " + sql, params or {}).scalars()
    return " / ".join(line.strip() for line in rows if "Scan" in line or "Join" in line)


def resolution(engine: Engine, entities: int, samples: int, now: datetime) -> None:
    """Section (c): resolving to an entity with 10 licences vs to the entity alone."""
    rng = random.Random(7)
    signer = Signer.from_private_key(Ed25519PrivateKey.generate())
    keys = PublicKeySet([signer.public_key()])
    chosen = [bulk_uscc(i) for i in rng.sample(range(0, entities, 10), 2 * samples)]
    with_licences, alone = chosen[:samples], chosen[samples:]

    def code(uscc: str) -> str:
        cti = secrets.token_bytes(CTI_BYTES[CodeKind.DYNAMIC])
        return sign_code(kind=CodeKind.DYNAMIC, uscc=uscc, cti=cti, issued_at=now,
                         expires_at=now + timedelta(hours=2), signer=signer)  # fmt: skip

    kwargs: dict[str, Any] = {"keys": keys, "now": now, "actor": "bench", "location": "w1",
                              "channel": "scan"}  # fmt: skip

    def full(payload: str) -> None:
        with Session(engine) as session:
            found = resolve_code_with_licences(session, payload, **kwargs)
            assert found.result.ok and found.licences, found.result.message
            shown.append(len(found.licences))
            session.rollback()

    def base(payload: str) -> None:
        with Session(engine) as session:
            assert resolve_code(session, payload, **kwargs).ok
            session.rollback()

    shown: list[int] = []
    for uscc in chosen[:20]:  # warm the connection pool and the code paths
        full(code(uscc))
    full_times, base_times = [], []
    payloads = [(code(a), code(b)) for a, b in zip(with_licences, alone, strict=True)]
    for payload_full, payload_base in payloads:
        full_times.append(timed(lambda p=payload_full: full(p)))  # type: ignore[misc]
        base_times.append(timed(lambda p=payload_base: base(p)))  # type: ignore[misc]
    for name, times, ref in (("with 10 licences", full_times, base_times),
                             ("entity alone", base_times, base_times)):  # fmt: skip
        median, p99 = statistics.median(times), _p99(times)
        print(f"  {name:17} median {median * 1000:6.2f} ms   p99 {p99 * 1000:6.2f} ms   "
              f"x{median / statistics.median(ref):4.2f} of the entity-alone median")  # fmt: skip
    print(f"  licences shown per resolution: {statistics.mean(shown[20:]):.2f} on average "
          "(10 held; superseded versions are not shown)")  # fmt: skip
    _show_plans(engine, code(with_licences[0]), kwargs)


def _p99(times: list[float]) -> float:
    return sorted(times)[min(len(times) - 1, round(0.99 * (len(times) - 1)))]


def _show_plans(engine: Engine, payload: str, kwargs: dict[str, Any]) -> None:
    """EXPLAIN every SELECT one resolution runs; name any sequential scan."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _m: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            resolve_code_with_licences(session, payload, **kwargs)
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with Session(engine) as session:
        for statement, params in seen:
            plan = _plan(session, statement, params)
            match = re.search(r"\bFROM\s+(\w+)", statement)
            print(f"  plan ({match.group(1) if match else '?'}): {plan}")
            for table in re.findall(r"Seq Scan on (\w+)", plan):
                rows = (
                    session.connection()
                    .execute(
                        text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}
                    )
                    .scalar_one()
                )
                if rows > 10_000:  # a scan of a five-row table is the right plan
                    print(f"    SEQUENTIAL SCAN of {table} ({rows:,.0f} rows): an index is missing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--licences-per-entity", type=float, default=3.0)
    parser.add_argument("--issue", type=int, default=2000, help="licences issued in (a)")
    parser.add_argument("--samples", type=int, default=200, help="resolutions timed in (c)")
    parser.add_argument("--skip-scale", action="store_true", help="only section (a)")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    folder = Path(tempfile.mkdtemp(prefix="bench_licences_"))
    print(f"(a) issue and verify, {args.issue} licences per backend")
    for backend in ("sqlite", "postgresql"):
        with fresh_database(backend, folder, POSTGRES_SERVER) as engine:
            issue_and_verify(engine, backend, args.issue, now)
    if args.skip_scale:
        return
    total = round(args.entities * args.licences_per_entity)
    print(f"\nseeding PostgreSQL: {args.entities:,} entities, {total:,} licences (COPY)")
    print("  (credentials.bulk_seed: every licence version signed for real by its issuer)")
    with fresh_database("postgresql", folder, POSTGRES_SERVER) as engine:
        started = time.perf_counter()
        with Session(engine) as session:
            report = seed_bulk(session, entities=args.entities, master_secret=MASTER, now=now,
                               licences_per_entity=args.licences_per_entity,
                               workers=os.cpu_count() or 1)  # fmt: skip
            session.commit()
        steps = ", ".join(f"{name} {sec:.1f} s" for name, sec in report.seconds.items())
        print(f"  {report.entities:,} entities, {report.licences:,} licences "
              f"(+{report.superseded:,} superseded versions), {report.status_lists} status "
              f"lists in {time.perf_counter() - started:.0f} s: {steps}")  # fmt: skip
        print("\n(b) status list token of a full list")
        status_list_build(engine, now)
        print(f"\n(c) resolve a business code, {args.samples} random entities each")
        resolution(engine, args.entities, args.samples, now)


if __name__ == "__main__":
    main()
