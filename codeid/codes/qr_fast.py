"""A numpy QR encoder for alphanumeric payloads, bit-identical to segno's own.

segno builds every symbol module by module in pure Python and scores all eight masks the
same way; that is ~13 ms for a version-10 code. Almost all of it is constant for a given
(version, error level): function patterns, format/version information, the order in which
data bits are placed, the mask patterns. We take those once from segno's own encoder
(``segno.encoder``) and per payload only do what depends on it:

1. data codewords: alphanumeric bit stream, terminator, padding;
2. Reed-Solomon: the remainder is linear over GF(2), so a table of every (position, byte
   value) contribution, built from segno's ``make_blocks``, turns it into a gather + XOR;
3. interleaving and placement: one precomputed gather from codeword bits to modules;
4. masks: all eight applied at once and scored with segno's penalty rules vectorised
   (N1..N4, including its rule of not rescanning a counted 1:1:3:1:1 match), so the chosen
   mask, and so the symbol, equals ``segno.make_qr(payload, error=...)``.

Only the alphanumeric mode (Base45 payloads) and versions 1..10 are handled; callers fall
back to segno for anything else. tests/codeid/test_qr.py checks identity with segno on
random payloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from segno import consts as _consts
from segno import encoder as _encoder

if TYPE_CHECKING:
    from collections.abc import Iterator

# segno types its public API only; these modules are its internals, used as documented
# in their source (ISO/IEC 18004 steps); treat them as untyped.
consts: Any = _consts
encoder: Any = _encoder

U8 = npt.NDArray[np.uint8]
Ints = npt.NDArray[np.intp]
Words = npt.NDArray[np.int64]  # one line of modules per word (int64: shifts by Python ints
# are 2x faster than on uint64; bitwise ops ignore the sign, popcounts see < 63 bits)

_ALNUM = consts.ALPHANUMERIC_CHARS
# bytes.translate table: ASCII -> alphanumeric value (0..44), everything else -> 255
_ALNUM_TABLE = bytes(_ALNUM.find(bytes([b])) if bytes([b]) in _ALNUM else 255 for b in range(256))
_LEVELS = (consts.ERROR_LEVEL_L, consts.ERROR_LEVEL_M, consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H)
_PAD = (0xEC, 0x11)
MAX_FAST_VERSION = 10  # 57 modules: a line plus the 4-module N3 window fits in 64 bits


@dataclass(frozen=True)
class Layout:
    """Everything about a (version, error level) that does not depend on the payload."""

    version: int
    error: int
    size: int
    data_codewords: int
    rs_table: U8  # (data_codewords, 256, ec_per_block): RS contribution of each byte
    block_starts: Ints  # first data codeword of each block, for XOR-reduceat
    order: Ints  # codeword index at each position of the interleaved message
    source: Ints  # per module: index into the message bits (a trailing 0 for non-data)
    masks: U8  # (8, size, size): mask patterns, zero outside the data region
    packed_base: Words  # (2 * size,) lines of what segno scores: function patterns,
    # format/version areas left 0
    packed_masks: Words  # (8, 2 * size) lines of each mask pattern
    final_base: U8  # (8, size, size): function patterns + format/version info per mask


def alnum_values(payload: str) -> bytes | None:
    """The alphanumeric values of the payload, or None if segno would not use that mode."""
    if not payload.isascii() or payload.isdigit() or not payload:
        return None  # all digits -> numeric mode in segno
    values = payload.encode("ascii").translate(_ALNUM_TABLE)
    return None if 255 in values else values


def _bit_length(chars: int, version: int) -> int:
    count_bits: int = consts.CHAR_COUNT_INDICATOR_LENGTH[consts.MODE_ALPHANUMERIC][
        encoder.version_range(version)
    ]
    return 4 + count_bits + 11 * (chars // 2) + 6 * (chars % 2)


@cache
def choose_version(chars: int, error: int) -> int | None:
    """Smallest version holding ``chars`` alphanumeric characters, None if none does."""
    for version in range(1, 41):
        if consts.SYMBOL_CAPACITY[version][error] >= _bit_length(chars, version):
            return version
    return None


def boosted_error(chars: int, version: int, error: int) -> int:
    """segno's ``boost_error``: the highest level that still fits the same version."""
    length = _bit_length(chars, version)
    for level in _LEVELS[_LEVELS.index(error) + 1 :]:
        if consts.SYMBOL_CAPACITY[version][level] < length:
            break
        error = level
    return error


def data_codewords(values: bytes, version: int, layout: Layout) -> U8:
    """Mode, count, pairs of characters as 11 bits, terminator, padding (as segno does)."""
    count_bits = _bit_length(0, version) - 4
    pairs = np.frombuffer(values, np.uint8).astype(np.uint16)
    n = len(values)
    pair_values = pairs[0 : n - 1 : 2] * 45 + pairs[1:n:2]
    bits = [np.array([0, 0, 1, 0], np.uint8), _bits(np.array([n]), count_bits)]
    bits.append(_bits(pair_values, 11))
    if n % 2:
        bits.append(_bits(pairs[-1:], 6))
    stream = np.concatenate(bits)
    capacity = layout.data_codewords * 8
    terminator = min(capacity - len(stream), 4)
    length = len(stream) + terminator
    # segno appends 8 zero bits when the stream is already byte-aligned; decoders stop at
    # the terminator either way, and matching it keeps us bit-identical.
    packed = np.packbits(np.concatenate([stream, np.zeros(terminator + 8 - length % 8, np.uint8)]))
    pad = np.resize(np.array(_PAD, np.uint8), max(layout.data_codewords - len(packed), 0))
    return np.concatenate([packed, pad])[: layout.data_codewords]


def _bits(values: npt.NDArray[np.uint16] | Ints, width: int) -> U8:
    shifts = np.arange(width - 1, -1, -1)
    return ((values[:, None] >> shifts) & 1).astype(np.uint8).ravel()


def data_matrix(codewords: U8, layout: Layout) -> U8:
    """Data and EC modules placed in the symbol (unmasked, zero elsewhere)."""
    contributions = layout.rs_table[np.arange(layout.data_codewords), codewords]
    ec = np.bitwise_xor.reduceat(contributions, layout.block_starts, axis=0)
    message = np.concatenate([codewords, ec.ravel()])[layout.order]
    bits = np.concatenate([np.unpackbits(message), np.zeros(1, np.uint8)])
    return bits[layout.source]


def encode(values: bytes, version: int, error: int, mask: int | None = None) -> tuple[U8, int]:
    """The module matrix (1 = dark) and the mask used; ``mask=None`` picks the best."""
    layout = get_layout(version, error)
    data = data_matrix(data_codewords(values, version, layout), layout)
    if mask is None:
        # Packing is bitwise, so mask and base can be applied to the packed lines.
        lines = layout.packed_base | (pack_lines(data[None])[0] ^ layout.packed_masks)
        mask = int(np.argmin(_scores(lines, layout.size)))
    return layout.final_base[mask] | (data ^ layout.masks[mask]), mask


def pack_lines(symbols: U8) -> Words:
    """(k, n, n) symbols -> (k, 2n) words: rows then columns, module j at bit j."""
    k, size = symbols.shape[:2]
    both = np.concatenate([symbols, symbols.transpose(0, 2, 1)], axis=1)
    packed = np.packbits(both, axis=2, bitorder="little")
    words = np.zeros((k, 2 * size, 8), np.uint8)
    words[..., : packed.shape[2]] = packed
    return words.view("<i8")[..., 0]


def penalties(symbols: U8) -> list[int]:
    """segno's mask penalty (N1 + N2 + N3 + N4) of each symbol in a (k, n, n) stack."""
    return _scores(pack_lines(symbols), symbols.shape[-1])


def _scores(lines: Words, size: int) -> list[int]:
    if size > 60:  # the N3 look-behind shifts a line 4 modules up: size + 4 <= 64 bits
        raise ValueError(f"lines of {size} modules do not fit the 64-bit penalty scorer")
    rows = lines[:, :size]
    # N1: a run of L >= 5 scores L - 2 = (number of 5-windows in it) + 2
    same = ~(lines ^ (lines >> 1)) & ((1 << (size - 1)) - 1)  # bit j: m[j] == m[j+1]
    five = same & (same >> 1) & (same >> 2) & (same >> 3)
    n1 = _popcount(five) + 2 * _popcount(five & ~(same << 1))
    # N2: 3 per 2x2 block of one colour
    vertical = ~(rows[:, :-1] ^ rows[:, 1:])
    n2 = 3 * _popcount(same[:, : size - 1] & vertical & (vertical >> 1))
    # N3: 1011101 with 4 light modules before or after (outside the symbol is light)
    x = lines
    match = x & ~(x >> 1) & (x >> 2) & (x >> 3) & (x >> 4) & ~(x >> 5) & (x >> 6)
    dark_before = (x << 1) | (x << 2) | (x << 3) | (x << 4)
    dark_after = (x >> 7) | (x >> 8) | (x >> 9) | (x >> 10)
    scored = match & ~(dark_before & dark_after)
    # segno resumes its search 7 modules after a scored match, so a match overlapping it
    # (4 or 6 further on) is never examined; resolve that left to right until stable.
    counted = scored
    while True:
        update = scored & ~((counted << 4) | (counted << 6))
        if np.array_equal(update, counted):
            break
        counted = update
    n3 = 40 * _popcount(counted)
    # N4: exactly segno's float arithmetic, so ties break the same way
    area = size * size
    return [
        int(n1[k] + n2[k] + n3[k]) + 10 * int(abs(float(dark) / area * 100 - 50) / 5)
        for k, dark in enumerate(_popcount(rows).tolist())
    ]


def _popcount(words: Words) -> Ints:
    """Set bits per symbol of a (k, m) word array."""
    counts: Ints = np.bitwise_count(words).sum(axis=1, dtype=np.intp)
    return counts


@cache
def get_layout(version: int, error: int) -> Layout:
    """Precompute a layout from segno's own encoder pieces (a few ms, once)."""
    if not 1 <= version <= MAX_FAST_VERSION:
        raise ValueError(f"the fast encoder covers versions 1..{MAX_FAST_VERSION}, not {version}")
    size = encoder.calc_matrix_size(version)
    base = encoder.make_matrix(size, size)  # data region = 2, format/version areas = 0
    encoder.add_finder_patterns(base, size, size)
    encoder.add_alignment_patterns(base, size, size)
    region = np.array(base, np.uint8) == 2
    eval_base = np.where(region, 0, np.array(base, np.uint8)).astype(np.uint8)
    # Placement order: let segno place bit numbers instead of bits (lists hold any int).
    numbered = tuple(list(row) for row in base)
    n_bits = int(region.sum())
    encoder.add_codewords(numbered, [3 + i for i in range(n_bits)], version)
    placed = np.array(numbered, np.intp) - 3
    ec_infos = consts.ECC[version][error]
    n_data = sum(info.num_blocks * info.num_data for info in ec_infos)
    n_ec = ec_infos[0].num_total - ec_infos[0].num_data
    n_total = sum(info.num_blocks * info.num_total for info in ec_infos)
    lengths = [info.num_data for info in ec_infos for _ in range(info.num_blocks)]
    starts = np.cumsum([0, *lengths[:-1]])
    # Interleave codeword numbers the way segno's make_final_message does.
    data_ids = [list(range(s, s + n)) for s, n in zip(starts.tolist(), lengths, strict=True)]
    ec_ids = [list(range(n_data + b * n_ec, n_data + (b + 1) * n_ec)) for b in range(len(lengths))]
    order = [i for group in (data_ids, ec_ids) for row in zip_longest(*group) for i in row]
    order = [i for i in order if i is not None]
    bit_of = np.full(n_bits + 1, 8 * n_total, np.intp)  # remainder bits -> trailing 0
    bit_of[: 8 * n_total] = np.arange(8 * n_total)
    source = np.where(region, bit_of[np.where(region, placed, n_bits)], 8 * n_total)
    masks = np.zeros((8, size, size), np.uint8)
    final_base = np.zeros((8, size, size), np.uint8)
    i, j = np.nonzero(region)
    for k, pattern in enumerate(encoder.get_data_mask_functions(False)):
        masks[k][i, j] = [pattern(a, b) for a, b in zip(i.tolist(), j.tolist(), strict=True)]
        matrix = tuple(bytearray(row) for row in eval_base.tolist())
        encoder.add_format_info(matrix, version, error, k)
        encoder.add_version_info(matrix, version)
        final_base[k] = np.array(matrix, np.uint8)
    return Layout(
        version=version,
        error=error,
        size=size,
        data_codewords=n_data,
        rs_table=_rs_table(ec_infos, n_data, n_ec),
        block_starts=starts.astype(np.intp),
        order=np.array(order, np.intp),
        source=source.astype(np.intp),
        masks=masks,
        packed_base=pack_lines(eval_base[None])[0],
        packed_masks=pack_lines(masks),
        final_base=final_base,
    )


class _Codewords:
    """The one method of segno's bit Buffer that ``make_blocks`` uses."""

    def __init__(self, codewords: list[int]) -> None:
        self._codewords = codewords

    def toints(self) -> Iterator[int]:
        return iter(self._codewords)  # one iterator: make_blocks slices it block by block


def _rs_table(ec_infos: tuple[object, ...], n_data: int, n_ec: int) -> U8:
    # EC bytes of each single set bit (from segno's RS), then every byte value by XOR.
    unit = np.zeros((n_data, 8, n_ec), np.uint8)
    for position in range(n_data):
        for bit in range(8):
            codewords = [0] * n_data
            codewords[position] = 1 << bit
            _, ec_blocks = encoder.make_blocks(ec_infos, _Codewords(codewords))
            unit[position, bit] = np.bitwise_xor.reduce(np.array(ec_blocks, np.uint8), axis=0)
    value_bits = (np.arange(256)[:, None] >> np.arange(8)) & 1  # (256, 8)
    table = np.zeros((n_data, 256, n_ec), np.uint8)
    for bit in range(8):
        table ^= value_bits[None, :, bit, None].astype(np.uint8) * unit[:, None, bit, :]
    return table
