"""What each scenario sends, prepared before it runs (signed codes, QR images, sign-ins).

Codes are issued through the domain with the service's own key ring (same database, same
master key), as `codeid code issue` would; the demo clerks sign in over HTTP.
"""

from __future__ import annotations

import json
import random
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlmodel import Session

from bench.load.client import Request, http_request, multipart
from codeid.clock import utcnow
from codeid.codes.issue import issue_dynamic_code, issue_static_code
from codeid.codes.qr import render_png
from codeid.db import make_engine, transaction
from codeid.keys.keyring import KeyRing
from codeid.keys.sealing import master_secret_from_text
from credentials.bulk_rows import bulk_uscc

# The demo clerks (counter/demo_users.py) and their windows: all serve category A walk-ins.
CLERK_WINDOWS = {"clerk.li": tuple(range(1, 11)), "clerk.wang": (35, 36, 37)}
VALID = b'"valid":true'
STATIC_TTL = timedelta(days=365)
DYNAMIC_TTL = timedelta(minutes=30)  # outlives the run; each is used once anyway


@dataclass(frozen=True)
class Prepared:
    port: int
    tokens: dict[str, str]  # clerk username -> access token
    static_codes: list[str]
    images: list[bytes]


def sign_in(base_url: str, data_dir: Path) -> dict[str, str]:
    """Access tokens of the demo clerks (passwords from `codeid demo seed`'s file)."""
    users = json.loads((data_dir / "demo-users.json").read_text("utf-8"))
    tokens = {}
    for name in CLERK_WINDOWS:
        answer = httpx.post(
            f"{base_url}/auth/login",
            json={"username": name, "password": users[name]["password"]},
            timeout=30,
        )
        answer.raise_for_status()
        tokens[name] = answer.json()["access_token"]
    return tokens


def _ring(session: Session, master_key: str) -> KeyRing:
    return KeyRing(session, master_secret=master_secret_from_text(master_key))


def issue_codes(
    database_url: str, master_key: str, *, entities: int, static: int, dynamic: int, seed: int
) -> tuple[list[str], list[str]]:
    """``static`` static codes and ``dynamic`` dynamic codes of random bulk entities."""
    rng = random.Random(seed)
    engine = make_engine(database_url)
    try:
        with transaction(engine) as session:
            signer = _ring(session, master_key).active_signer()
            now = utcnow()
            static_codes = [
                issue_static_code(session, uscc=bulk_uscc(i), signer=signer, now=now,
                                  ttl=STATIC_TTL).payload
                for i in rng.choices(range(entities), k=static)
            ]  # fmt: skip
            dynamic_codes = [
                issue_dynamic_code(session, uscc=bulk_uscc(i), signer=signer, now=now,
                                   ttl=DYNAMIC_TTL).payload
                for i in rng.choices(range(entities), k=dynamic)
            ]  # fmt: skip
    finally:
        engine.dispose()
    return static_codes, dynamic_codes


def bare(port: int, path: str) -> list[Request]:
    return [Request(http_request("GET", port, path), expect=b'"ok":true')]


def verify(p: Prepared) -> list[Request]:
    """POST /v1/codes/verify as a clerk: resolve, licences, bookings, tickets, access log."""
    token = p.tokens["clerk.li"]
    return [
        Request(
            http_request(
                "POST",
                p.port,
                "/v1/codes/verify",
                token=token,
                body=json.dumps({"payload": code, "location": "w1"}).encode(),
            ),
            expect=VALID,
        )
        for code in p.static_codes
    ]


def resolve(p: Prepared) -> list[Request]:
    """GET /v1/public/check: resolve a static code to its entity and valid licence types."""
    return [
        Request(
            http_request(
                "GET", p.port, "/v1/public/check?" + urllib.parse.urlencode({"code": code})
            ),
            expect=VALID,
        )
        for code in p.static_codes
    ]


def scan(p: Prepared) -> list[Request]:
    """POST /v1/scans: a QR PNG decoded (OpenCV, zxing-cpp), verified, resolved."""
    token = p.tokens["clerk.wang"]
    requests = []
    for image in p.images:
        body, content_type = multipart({"location": "w35"}, {"image": ("code.png", image,
                                                                       "image/png")})  # fmt: skip
        raw = http_request("POST", p.port, "/v1/scans", body=body, content_type=content_type,
                           token=token)  # fmt: skip
        requests.append(Request(raw, expect=VALID))
    return requests


def images(static_codes: list[str], count: int) -> list[bytes]:
    return [render_png(code, scale=4) for code in static_codes[:count]]


def check_in(port: int, dynamic_codes: list[str]) -> list[Request]:
    """POST /v1/checkins from a kiosk: each dynamic code once (it is consumed)."""
    return [
        Request(
            http_request(
                "POST",
                port,
                "/v1/checkins",
                body=json.dumps({"payload": code, "location": "kiosk-1"}).encode(),
            ),
            ok=(201,),
        )
        for code in dynamic_codes
    ]


def call_next(p: Prepared, tickets: int) -> list[Request]:
    """POST /v1/windows/{n}/call at the clerks' 13 windows in turn, one call per ticket."""
    windows = [(name, n) for name, numbers in CLERK_WINDOWS.items() for n in numbers]
    return [
        Request(
            http_request("POST", p.port, f"/v1/windows/{number}/call", token=p.tokens[name]),
            note=b'"ticket":null',
        )
        for name, number in (windows[i % len(windows)] for i in range(tickets))
    ]
