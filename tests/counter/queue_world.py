"""A loaded demo hall, businesses with a platform key ring, and helpers to fill the queue."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from codeid.codes.issue import issue_dynamic_code
from codeid.entities.models import Entity
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import KeyRing, Signer
from codeid.uscc import random_uscc
from counter.hall import demo_hall_path, load_hall_file
from counter.models import Booking, Slot, Ticket
from counter.tickets import WALK_IN, issue_ticket

MASTER = bytes(range(7, 39))
# Monday 2 March 2026, 10:00 in Guangzhou: the hall is open.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@dataclass
class World:
    signer: Signer
    keys: PublicKeySet
    usccs: list[str]

    def code(self, session: Session, uscc: str | None = None, *, now: datetime = NOW) -> str:
        issued = issue_dynamic_code(
            session, uscc=uscc or self.usccs[0], signer=self.signer, now=now
        )
        return issued.payload


def make_world(session: Session, *, businesses: int = 3, seed: int = 4) -> World:
    load_hall_file(session, demo_hall_path(), now=NOW - timedelta(days=1))
    rng = random.Random(seed)
    usccs = [random_uscc(rng) for _ in range(businesses)]
    for index, uscc in enumerate(usccs):
        session.add(
            Entity(
                uscc=uscc,
                name=f"广州示例商贸有限公司{index}",
                entity_type="company",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW - timedelta(days=1))
    session.commit()
    return World(signer=ring.active_signer(), keys=ring.public_keys(), usccs=usccs)


def add_booking(
    session: Session,
    uscc: str,
    *,
    starts_at: datetime,
    item_code: str = "address-change",
    category_code: str = "A",
    status: str = "confirmed",
) -> Booking:
    """A booking in a slot of its own (counter.booking_create owns the rules)."""
    slot = Slot(
        category_code=category_code,
        day=(starts_at + timedelta(hours=8)).date(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        capacity=4,
        booked=1,
    )
    session.add(slot)
    session.flush()
    assert slot.id is not None
    booking = Booking(
        reference=f"R{slot.id:07d}",
        slot_id=slot.id,
        uscc=uscc,
        item_code=item_code,
        status=status,
        held_until=NOW + 10 * MINUTE if status == "held" else None,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
    )
    session.add(booking)
    session.commit()
    return booking


def add_ticket(
    session: Session,
    uscc: str,
    *,
    category: str = "A",
    priority: str = WALK_IN,
    now: datetime = NOW,
    queued_at: datetime | None = None,
    commit: bool = True,
) -> Ticket:
    ticket = issue_ticket(
        session,
        uscc=uscc,
        category_code=category,
        item_code=None,
        booking_id=None,
        priority=priority,
        code_id=None,
        now=now,
        queued_at=queued_at,
    )
    if commit:
        session.commit()
    return ticket
