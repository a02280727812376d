"""Signing and offline verification of business codes, against raw Ed25519 on the same bytes.

    python -m bench.bench_codes [--seconds 1.0]

For each kind: codes signed per second (claims -> CBOR -> COSE_Sign1 -> Base45 text, with a
fresh random code id), codes verified per second (text -> parse -> kid lookup -> Ed25519 ->
time window), payload length and QR version. The baseline is raw Ed25519 signing and
verifying of the very bytes our envelope signs, measured in the same run: the ratio shows
what the envelope costs on top of the signature.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from codeid.codes.payload import CTI_BYTES, CodeKind, parse_code, sign_code
from codeid.codes.qr import make_qr
from codeid.codes.verify import verify_code
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import Signer

USCC = "91350100M000100Y43"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TTL = {CodeKind.STATIC: timedelta(days=3650), CodeKind.DYNAMIC: timedelta(seconds=120)}
QR_V10_Q_ALPHANUMERIC = 221


def rate(action: Callable[[], object], seconds: float, rounds: int = 5) -> float:
    """Calls per second: the best of ``rounds`` timed runs (the machine may be shared)."""
    action()  # warm up
    best = 0.0
    for _ in range(rounds):
        calls, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds / rounds:
            for _ in range(100):
                action()
            calls += 100
        best = max(best, calls / elapsed)
    return best


def measure(kind: CodeKind, signer: Signer, seconds: float) -> str:
    """One table row for a kind of code."""
    keys = PublicKeySet([signer.public_key()])

    def sign() -> str:
        return sign_code(
            kind=kind,
            uscc=USCC,
            cti=secrets.token_bytes(CTI_BYTES[kind]),
            issued_at=NOW,
            expires_at=NOW + TTL[kind],
            signer=signer,
        )

    payload = sign()
    parsed = parse_code(payload)
    signed, signature = parsed.to_be_signed, parsed.signature
    sign_rate = rate(sign, seconds)
    raw_sign_rate = rate(lambda: signer.sign(signed), seconds)
    verify_rate = rate(lambda: verify_code(payload, keys=keys, now=NOW), seconds)
    raw_verify_rate = rate(lambda: signer.public_key().verify(signature, signed), seconds)
    return (
        f"{kind.value:8} {len(payload):5} {make_qr(payload).version:4} "
        f"{QR_V10_Q_ALPHANUMERIC - len(payload):5}   "
        f"{sign_rate:9.0f} {raw_sign_rate:9.0f} {raw_sign_rate / sign_rate:5.2f}   "
        f"{verify_rate:9.0f} {raw_verify_rate:9.0f} {raw_verify_rate / verify_rate:5.2f}"
        f"   ({len(signed)} signed bytes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    seconds = parser.parse_args().seconds
    signer = Signer.from_private_key(Ed25519PrivateKey.generate())
    print(f"{'kind':8} {'chars':>5} {'QR v':>4} {'spare':>5}   {'sign/s':>9} {'raw':>9} "
          f"{'ratio':>5}   {'verify/s':>9} {'raw':>9} {'ratio':>5}")  # fmt: skip
    for kind in CodeKind:
        print(measure(kind, signer, seconds))
    print(
        "\nchars: payload text length; spare: characters left under QR version 10-Q "
        f"({QR_V10_Q_ALPHANUMERIC}).\nraw: Ed25519 alone on the same signed bytes; ratio: "
        "raw rate / our rate (1.00 = the envelope costs nothing)."
    )


if __name__ == "__main__":
    main()
