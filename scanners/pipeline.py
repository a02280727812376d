"""From a frame (or a scan gun's text) to verified, resolved codes.

The cascade stops at the first text that verifies as a codeid code; every distinct text
found is then resolved, so a refused code comes back with its reason (and is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlmodel import Session

from codeid.codes.errors import CodeRejected
from codeid.codes.verify import verify_code
from codeid.keys.jwks import PublicKeySet
from counter.resolve import CounterResolution, resolve_for_counter
from scanners.cascade import scan_frame, scan_text
from scanners.errors import NoVerifiedCodeError

DEFAULT_BUDGET_MS = 1500.0


@dataclass(frozen=True)
class ScannedCode:
    text: str
    engine: str
    resolved: CounterResolution


@dataclass
class ScanOutcome:
    codes: list[ScannedCode] = field(default_factory=list)
    ms: float = 0.0
    steps: int = 0


def verifies(text: str, *, keys: PublicKeySet, now: datetime) -> bool:
    try:
        verify_code(text, keys=keys, now=now)
    except CodeRejected:
        return False
    return True


def first_verified_code(
    frame: np.ndarray,
    *,
    keys: PublicKeySet,
    now: datetime,
    budget_ms: float = DEFAULT_BUDGET_MS,
) -> str:
    """The text of the first code in the frame that verifies (for check-in from a photo)."""
    scan = scan_frame(
        frame, accept=lambda text: verifies(text, keys=keys, now=now), max_ms=budget_ms
    )
    if scan.accepted is None:
        raise NoVerifiedCodeError("no valid business code found in the image")
    return scan.accepted.text


def scan_and_resolve(
    session: Session,
    frame: np.ndarray,
    *,
    keys: PublicKeySet,
    now: datetime,
    actor: str,
    location: str,
    channel: str = "scan",
    budget_ms: float = DEFAULT_BUDGET_MS,
) -> ScanOutcome:
    scan = scan_frame(
        frame, accept=lambda text: verifies(text, keys=keys, now=now), max_ms=budget_ms
    )
    outcome = ScanOutcome(ms=scan.ms, steps=scan.steps)
    seen: set[str] = set()
    for found in scan.found:
        if found.text in seen:
            continue
        seen.add(found.text)
        resolved = resolve_for_counter(
            session,
            found.text,
            keys=keys,
            now=now,
            actor=actor,
            location=location,
            channel=channel,
        )
        outcome.codes.append(ScannedCode(text=found.text, engine=found.engine, resolved=resolved))
    return outcome


def resolve_typed(
    session: Session, typed: str, *, keys: PublicKeySet, now: datetime, actor: str, location: str
) -> CounterResolution:
    """A USB scan gun 'types' the payload into a field: normalise it, then resolve."""
    return resolve_for_counter(
        session,
        scan_text(typed),
        keys=keys,
        now=now,
        actor=actor,
        location=location,
        channel="text",
    )
