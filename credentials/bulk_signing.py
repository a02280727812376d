"""Signed licence rows of a bulk seed (no database), as issuing them one by one would sign them.

Every licence version is one row with its own identifier, number, serial, dates, status slot
and its own JWS, signed by its issuer's active key over exactly the claims
``credentials.licence_jws.licence_claims`` gives for that row (byte for byte what
``sign_licence_claims`` writes), so it verifies and its status slot is the one its row names.
Status mix: licence ``n`` with ``n % 100 == 0`` is revoked, ``1`` suspended, and ``2`` was
amended once: version 1 (superseded) and version 2 (valid, naming version 1 as previous).
Signing is what a seed spends its time on, so the per-row work here is kept lean.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from codeid.keys.keyring import ALGORITHM, Signer
from credentials.bulk_rows import (
    FIELDS,
    NAME_FIELD,
    Chunk,
    SlotPlan,
    bulk_name,
    bulk_uscc,
    row_position,
)
from credentials.catalogue import LicenceType
from credentials.identifier import ALPHABET, ROOT, make_identifier
from credentials.licence_jws import TYP, day_start, status_list_uri
from credentials.models import LicenceStatus


def _number(type_code: str, n: int) -> str:
    """A licence number of the type's published form, distinct per ``n``."""
    forms = {
        "business-licence": f"91440100{n:010d}",
        "taxpayer-qualification": f"91440100{n:010d}",
        "food-business": f"JY{n:014d}",
        "food-production": f"SC{n:014d}",
        "drug-business": f"粤{'ABCD'[n // 10**7 % 4]}{'AB'[n // 10**7 // 4 % 2]}{n % 10**7:07d}",
        "medical-device-filing": f"粤穗食药监械经营备{n % 10**8:08d}号",
        "road-transport": f"粤交运管许可穗字{n:012d}号",
        "tobacco-retail": f"{n:012d}",
    }
    return forms.get(type_code, f"TS{n:014d}")


@dataclass(frozen=True, slots=True)
class _Draft:
    """What every version of one seeded licence shares."""

    ltype: LicenceType
    holder: str
    issuer: str
    issuer_name: str
    number: str
    serial: str
    fields: dict[str, Any]
    issued: date
    until: date | None


class _Identifiers:
    """make_identifier for many serials of one type and issuer: the ISO/IEC 7064 MOD 37,36
    state after the fixed segments is kept, so each identifier costs only its own segments.
    (The seed test checks every identifier against credentials.identifier.)"""

    def __init__(self, type_code: str, issuer_code: str) -> None:
        make_identifier(type_code=type_code, issuer_code=issuer_code, serial="0", version=1)
        self.head = f"{ROOT}.{type_code}.{issuer_code}."
        self.state = _mod37_36(type_code + issuer_code, 36)

    def make(self, serial: str, version: int) -> str:
        tail = f"{serial}{version:03d}"
        check = ALPHABET[(37 - _mod37_36(tail, self.state)) % 36]
        return f"{self.head}{serial}.{version:03d}.{check}"


_VALUES = {char: value for value, char in enumerate(ALPHABET)}


def _mod37_36(text: str, state: int) -> int:
    for char in text:
        state = (state + _VALUES[char]) % 36 or 36
        state = state * 2 % 37
    return state


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _header(signer: Signer) -> str:
    # Byte for byte what jwt.encode (credentials.licence_jws.sign_licence_claims) writes.
    header = {"alg": ALGORITHM, "kid": signer.kid, "typ": TYP}
    return _b64(json.dumps(header, separators=(",", ":"), sort_keys=True).encode())


@dataclass(frozen=True)
class LicenceMaker:
    """What signing licence rows needs: each type's issuer, its name and active signer."""

    types: Sequence[LicenceType]
    issuer_of: dict[str, tuple[str, str]]  # authority kind -> (issuer USCC, issuer name)
    signers: dict[str, Signer]  # authority kind -> the issuer's active signer
    counts: Sequence[int]
    slots: SlotPlan
    today: date
    now: datetime
    _identifiers: dict[str, _Identifiers] = field(default_factory=dict, repr=False)
    _headers: dict[str, str] = field(default_factory=dict, repr=False)

    def sign(self, claims: dict[str, Any], kind: str) -> str:
        """The compact JWS sign_licence_claims gives, without its general-purpose overhead."""
        signer = self.signers[kind]
        if kind not in self._headers:
            self._headers[kind] = _header(signer)
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{self._headers[kind]}.{payload}"
        return f"{signing_input}.{_b64(signer.sign(signing_input.encode('ascii')))}"

    def identifier(self, ltype: LicenceType, issuer: str, serial: str, version: int) -> str:
        key = f"{ltype.id_type_code}.{issuer}"
        if key not in self._identifiers:
            self._identifiers[key] = _Identifiers(ltype.id_type_code, issuer)
        return self._identifiers[key].make(serial, version)

    def rows(self, chunk: Chunk) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        n = chunk.n0
        for i in range(chunk.first, chunk.end):
            if self.counts[i] > chunk.round:
                rows.extend(self._licence(i, chunk.round, n))
                n += 1
        return rows

    def _licence(self, i: int, round_: int, n: int) -> list[tuple[Any, ...]]:
        ltype = self.types[(i + round_) % len(self.types)]
        issuer_uscc, issuer_name = self.issuer_of[ltype.authority_kind]
        fields = dict(FIELDS[ltype.code])
        fields[NAME_FIELD[ltype.code]] = bulk_name(i)
        issued = self.today - timedelta(days=1 + n * 7 % 1400)
        days = ltype.default_validity_days
        draft = _Draft(
            ltype=ltype,
            holder=bulk_uscc(i),
            issuer=issuer_uscc,
            issuer_name=issuer_name,
            number=_number(ltype.code, n),
            serial=f"B{n:012d}",
            fields=fields,
            issued=issued,
            until=issued + timedelta(days=days - 1) if days else None,
        )
        position = row_position(n)
        if n % 100 == 2:  # amended once: the superseded version 1, then version 2
            old = self._row(draft, 1, None, LicenceStatus.SUPERSEDED, position)
            return [old, self._row(draft, 2, old[0], LicenceStatus.VALID, position + 1)]
        status = {0: LicenceStatus.REVOKED, 1: LicenceStatus.SUSPENDED}.get(n % 100)
        return [self._row(draft, 1, None, status or LicenceStatus.VALID, position)]

    def _row(
        self,
        draft: _Draft,
        version: int,
        previous: str | None,
        status: LicenceStatus,
        position: int,
    ) -> tuple[Any, ...]:
        """One version as a LICENCE_COLUMNS row, signed like licence_claims documents it."""
        ltype, issued, until = draft.ltype, draft.issued, draft.until
        identifier = self.identifier(ltype, draft.issuer, draft.serial, version)
        list_id, index = self.slots.slot(position)
        body: dict[str, Any] = {
            "type": ltype.code, "type_code": ltype.id_type_code, "number": draft.number,
            "version": version, "issuer_name": draft.issuer_name,
            "issue_date": issued.isoformat(), "valid_from": issued.isoformat(),
            "valid_until": until.isoformat() if until else None, "fields": draft.fields,
        }  # fmt: skip
        if previous:
            body["previous"] = previous
        claims: dict[str, Any] = {
            "iss": draft.issuer, "sub": draft.holder, "jti": identifier,
            "iat": int(self.now.timestamp()), "nbf": day_start(issued),
        }  # fmt: skip
        if until is not None:
            claims["exp"] = day_start(until + timedelta(days=1))
        claims["licence"] = body
        claims["status"] = {"status_list": {"idx": index, "uri": status_list_uri(list_id)}}
        jws = self.sign(claims, ltype.authority_kind)
        return (
            identifier, ltype.code, draft.holder, draft.issuer, draft.number, draft.serial,
            version, draft.fields, issued, issued, until, status.value, previous, list_id, index,
            jws, 1, self.now, self.now,
        )  # fmt: skip
