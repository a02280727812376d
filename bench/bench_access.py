"""What the access layer costs: access tokens, password hashing, the chained access log.

    python -m bench.bench_access [--seconds 1.0] [--entries 2000] [--backend sqlite|postgresql|both]

- Access tokens: verifying our EdDSA JWT (header, kid lookup, signature, claims, times)
  against raw Ed25519 verification of the same signed bytes (the baseline).
- Passwords: one argon2id hash and one verification (what a login costs), in milliseconds.
- Access log: entries appended one per transaction with the hash chain (lock the head, hash,
  insert, update the head) against plain inserts of the same rows, one per transaction, without
  the chain (the baseline): the ratio is what tamper evidence costs per logged read.
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, text

from bench.bench_codes import rate
from bench.throwaway import throwaway_database
from codeid.accounts.passwords import hash_password, verify_password
from codeid.accounts.tokens import mint_access_token, verify_access_token
from codeid.audit.log import Access, record
from codeid.audit.models import AccessChainHead, AccessEvent
from codeid.db import make_engine, transaction
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import Signer
from codeid.migrate import upgrade

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ISSUER = "https://codeid.bench"
PG_SERVER = os.environ.get(
    "CODEID_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/test"
)


def bench_tokens(seconds: float) -> None:
    signer = Signer.from_private_key(Ed25519PrivateKey.generate())
    keys = PublicKeySet([signer.public_key()])
    token = mint_access_token(
        signer, issuer=ISSUER, subject="user:42", role="clerk", name="李敏", now=NOW,
        ttl=timedelta(minutes=10),
    )  # fmt: skip
    head, body, sig = token.split(".")
    signed = f"{head}.{body}".encode()
    raw_sig = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    public = signer.public_key()
    ours = rate(lambda: verify_access_token(token, keys=keys, issuer=ISSUER, now=NOW), seconds)
    raw = rate(lambda: public.verify(raw_sig, signed), seconds)
    print(f"access token verify: {ours:,.0f}/s  raw Ed25519: {raw:,.0f}/s  cost {raw / ours:.1f}x")
    print(f"  i.e. {1e6 / ours:.0f} µs per authenticated request")


def bench_passwords() -> None:
    started = time.perf_counter()
    stored = hash_password("correct horse battery")
    hashed = time.perf_counter() - started
    started = time.perf_counter()
    assert verify_password(stored, "correct horse battery")
    checked = time.perf_counter() - started
    print(f"argon2id: hash {hashed * 1000:.0f} ms, verify {checked * 1000:.0f} ms (one login)")


def _entry(i: int) -> Access:
    return Access(
        actor_kind="client", actor="client:cid_bench", actor_role="partner", action="code.verify",
        outcome="ok", purpose="开户核验", subject_uscc="914403001922038216",
        resource=f"code:{i:016x}", fields=("uscc", "name", "status"),
    )  # fmt: skip


def bench_log(engine: Engine, entries: int, label: str) -> None:
    upgrade(engine)
    with transaction(engine) as session:
        session.execute(delete(AccessEvent))
        session.execute(delete(AccessChainHead))
    started = time.perf_counter()
    for i in range(entries):
        record(engine, [_entry(i)], now=NOW)
    chained = entries / (time.perf_counter() - started)
    insert = text(
        "INSERT INTO access_event (id, at, actor_kind, actor, actor_role, on_behalf_of, purpose,"
        " action, subject_uscc, resource, fields, outcome, prev_hash, entry_hash) VALUES (:id,"
        " :at, 'client', 'client:cid_bench', 'partner', '', '开户核验', 'code.verify',"
        " '914403001922038216', :res, '[\"name\",\"status\",\"uscc\"]', 'ok', :prev, :hash)"
    )
    started = time.perf_counter()
    for i in range(entries):
        with engine.begin() as conn:
            conn.execute(
                insert,
                {"id": 10_000_000 + i, "at": NOW, "res": f"code:{i:016x}", "prev": "0" * 64,
                 "hash": f"{i:064x}"},
            )  # fmt: skip
    plain = entries / (time.perf_counter() - started)
    print(
        f"access log ({label}): chained {chained:,.0f}/s  plain insert {plain:,.0f}/s  "
        f"cost {plain / chained:.2f}x"
    )
    with transaction(engine) as session:
        session.execute(delete(AccessEvent))
        session.execute(delete(AccessChainHead))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    bench_tokens(args.seconds)
    bench_passwords()
    if args.backend in ("sqlite", "both"):
        path = f"/tmp/codeid-bench-access-{os.getpid()}.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            bench_log(engine, args.entries, "SQLite")
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
    if args.backend in ("postgresql", "both"):
        with throwaway_database(PG_SERVER, prefix="codeid_bench") as url:
            engine = make_engine(url)
            try:
                bench_log(engine, args.entries, "PostgreSQL")
            finally:
                engine.dispose()


if __name__ == "__main__":
    main()
