"""IETF Token Status List encoding (draft-ietf-oauth-status-list, "Status List").

A status list is a byte array holding ``bits`` bits per entry: entry ``i`` sits in byte
``i // (8 // bits)``, starting at bit ``(i % (8 // bits)) * bits`` counted from the least
significant bit (the first entry of a byte is in its low bits). The array is compressed with
DEFLATE in the ZLIB format (RFC 1950, highest level) and written base64url without padding:
``{"bits": 2, "lst": "eNo..."}``. No database here: this is what a window runs offline.

Status values: 0 VALID, 1 INVALID (revoked, or superseded by an amendment), 2 SUSPENDED.
Expiry is not a status: a licence past its ``valid_until`` stays VALID in the list, as the
draft intends (a relying party checks the licence's own dates first, and lists of zeros
compress to almost nothing).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from codeid.keys.jwks import b64url_decode, b64url_encode
from credentials.errors import InvalidStatusList, StatusIndexOutOfRange
from credentials.models import LicenceStatus

STATUS_VALID = 0
STATUS_INVALID = 1
STATUS_SUSPENDED = 2
STATUS_NAMES = {STATUS_VALID: "VALID", STATUS_INVALID: "INVALID", STATUS_SUSPENDED: "SUSPENDED"}

LIST_BITS = 2
ALLOWED_BITS = (1, 2, 4, 8)
# A decoder refuses to inflate more than this (a "zip bomb" in a token is only a nuisance).
MAX_LIST_BYTES = 16 * 1024 * 1024

_STATUS_BY_LICENCE_STATUS = {
    LicenceStatus.VALID.value: STATUS_VALID,
    LicenceStatus.SUSPENDED.value: STATUS_SUSPENDED,
    LicenceStatus.REVOKED.value: STATUS_INVALID,
    LicenceStatus.SUPERSEDED.value: STATUS_INVALID,
}


def status_value_of(stored_status: str) -> int:
    """The list value of a stored licence status ("valid", "suspended", ...)."""
    try:
        return _STATUS_BY_LICENCE_STATUS[stored_status]
    except KeyError:
        raise InvalidStatusList(
            f"licence status {stored_status!r} has no status list value; "
            f"known: {', '.join(_STATUS_BY_LICENCE_STATUS)}"
        ) from None


def pack_statuses(values: Sequence[int] | bytes, *, bits: int = LIST_BITS) -> bytes:
    """The uncompressed byte array: ``8 // bits`` entries per byte, first entry lowest."""
    _check_bits(bits)
    try:
        raw = bytes(values)
    except (TypeError, ValueError):
        raise InvalidStatusList("status values are integers from 0 to 255") from None
    if raw and max(raw) >= 1 << bits:
        index = next(i for i, value in enumerate(raw) if value >= 1 << bits)
        raise InvalidStatusList(
            f"status value {raw[index]} at index {index} does not fit in {bits} bits",
            index=index,
        )
    per_byte = 8 // bits
    raw += bytes(-len(raw) % per_byte)
    # Entry k of every byte, shifted into place by a translation table, read as one big
    # little-endian integer: the shifted fields never overlap, so OR-ing the integers is a
    # byte-wise OR, done in C instead of a Python loop over 131072 entries.
    packed = 0
    for k in range(per_byte):
        table = bytes((value << (k * bits)) & 0xFF for value in range(256))
        packed |= int.from_bytes(raw[k::per_byte].translate(table), "little")
    return packed.to_bytes(len(raw) // per_byte, "little")


def encode_status_list(values: Sequence[int] | bytes, *, bits: int = LIST_BITS) -> dict[str, Any]:
    """The JSON Status List: ``{"bits": bits, "lst": base64url(zlib(packed))}``."""
    packed = pack_statuses(values, bits=bits)
    return {"bits": bits, "lst": b64url_encode(zlib.compress(packed, level=9))}


@dataclass(frozen=True, slots=True)
class StatusListView:
    """A decoded status list: ``get(index)`` reads one entry."""

    bits: int
    data: bytes  # the uncompressed byte array

    def __len__(self) -> int:
        return len(self.data) * (8 // self.bits)

    def get(self, index: int) -> int:
        if not 0 <= index < len(self):
            raise StatusIndexOutOfRange(
                f"index {index} is outside the status list (0 to {len(self) - 1})", index=index
            )
        per_byte = 8 // self.bits
        byte = self.data[index // per_byte]
        return (byte >> ((index % per_byte) * self.bits)) & ((1 << self.bits) - 1)


def decode_status_list(doc: object) -> StatusListView:
    """Decode ``{"bits", "lst"}`` as found in a status list token's ``status_list`` claim."""
    if not isinstance(doc, dict):
        raise InvalidStatusList('a status list is a JSON object with "bits" and "lst"')
    bits, lst = doc.get("bits"), doc.get("lst")
    if not isinstance(bits, int) or isinstance(bits, bool):
        raise InvalidStatusList('the status list has no integer "bits"')
    _check_bits(bits)
    if not isinstance(lst, str) or not lst:
        raise InvalidStatusList('the status list has no "lst" string')
    try:
        compressed = b64url_decode(lst)
    except ValueError:
        raise InvalidStatusList('"lst" is not unpadded base64url') from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, MAX_LIST_BYTES)
    except zlib.error as exc:
        raise InvalidStatusList(f'"lst" is not ZLIB/DEFLATE data: {exc}') from None
    if inflater.unconsumed_tail:
        raise InvalidStatusList(f'"lst" inflates to more than {MAX_LIST_BYTES} bytes')
    if not inflater.eof or inflater.unused_data:
        raise InvalidStatusList('"lst" is truncated or has trailing bytes after the ZLIB stream')
    if not data:
        raise InvalidStatusList('"lst" holds no entries')
    return StatusListView(bits=bits, data=data)


def _check_bits(bits: int) -> None:
    if bits not in ALLOWED_BITS:
        raise InvalidStatusList(f"bits is 1, 2, 4 or 8, not {bits}")
