"""National e-licence identifiers (电子证照标识).

Form: ``1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>``

- type code: 21 characters, an 18-character USCC (the body that defines the licence type in
  the national catalogue) followed by a 3-digit type number, e.g. ``11100000000013338W011``;
- issuer code: the 18-character USCC of the issuing department;
- serial: 1-32 characters of 0-9A-Z, shared by every version of one licence;
- version: 3 digits, ``001`` for the first issue, incremented on each amendment;
- check: one character, ISO/IEC 7064 hybrid MOD 37,36 over the type code, issuer code, serial
  and version joined without dots (the root is not included). Checked against the two
  published identifiers in the tests: the plain algorithm reproduces both, version included.

Identifiers are case-sensitive (upper-case only): a lower-case letter is reported, not folded,
so a mistyped identifier never silently matches another.
"""

from __future__ import annotations

from dataclasses import dataclass

from credentials.errors import (
    IdentifierCharacterError,
    IdentifierCheckError,
    IdentifierRootError,
    IdentifierSegmentsError,
)

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_MOD = 36
TYPE_CODE_LENGTH = 21
ISSUER_CODE_LENGTH = 18
MAX_SERIAL_LENGTH = 32
# Licence.identifier is String(80): 62 characters are fixed, leaving 18 for the serial.
MAX_ISSUED_SERIAL_LENGTH = 18
_SEGMENT_NAMES = ("type code", "issuer code", "serial", "version", "check character")


def mod37_36_check(text: str) -> str:
    """ISO/IEC 7064 hybrid MOD 37,36 check character of ``text`` (characters 0-9A-Z)."""
    p = _MOD
    for position, char in enumerate(text, start=1):
        value = _VALUE.get(char)
        if value is None:
            raise IdentifierCharacterError(
                f"character {char!r} at position {position} is not one of 0-9A-Z",
                position=position,
                char=char,
            )
        p = (p + value) % _MOD or _MOD
        p = p * 2 % (_MOD + 1)
    return ALPHABET[(_MOD + 1 - p) % _MOD]


@dataclass(frozen=True, slots=True)
class LicenceIdentifier:
    type_code: str
    issuer_code: str
    serial: str
    version: int
    check: str
    text: str

    def __str__(self) -> str:
        return self.text


def make_identifier(*, type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """A new identifier with its check character (version rendered as 3 digits)."""
    if not 1 <= version <= 999:
        raise IdentifierSegmentsError(
            f"version must be between 1 and 999, got {version}", segment="version"
        )
    if len(serial) > MAX_ISSUED_SERIAL_LENGTH:
        raise IdentifierSegmentsError(
            f"serial {serial!r} has {len(serial)} characters; identifiers issued here allow "
            f"at most {MAX_ISSUED_SERIAL_LENGTH}",
            segment="serial",
        )
    segments = [type_code, issuer_code, serial, f"{version:03d}"]
    _check_segments(segments)
    return f"{ROOT}.{'.'.join(segments)}.{mod37_36_check(''.join(segments))}"


def parse_identifier(text: str) -> LicenceIdentifier:
    """Validate an identifier; the error says which part is wrong and how."""
    text = text.strip()
    if not text.startswith(ROOT + "."):
        raise IdentifierRootError(
            f"a licence identifier starts with {ROOT}. (got {text[: len(ROOT) + 1]!r})",
            root=ROOT,
        )
    segments = text[len(ROOT) + 1 :].split(".")
    if len(segments) != len(_SEGMENT_NAMES):
        raise IdentifierSegmentsError(
            f"after the root {ROOT} an identifier has 5 dot-separated segments "
            f"({', '.join(_SEGMENT_NAMES)}), got {len(segments)}",
            count=len(segments),
        )
    *body, check = segments
    _check_segments(body)
    if len(check) != 1 or check not in _VALUE:
        raise IdentifierCharacterError(
            f"the check character must be one character of 0-9A-Z, got {check!r}",
            segment="check character",
        )
    expected = mod37_36_check("".join(body))
    if check != expected:
        raise IdentifierCheckError(
            f"wrong check character {check!r}, expected {expected!r}: "
            "a character of the identifier is mistyped",
            char=check,
            expected=expected,
        )
    type_code, issuer_code, serial, version = body
    return LicenceIdentifier(type_code, issuer_code, serial, int(version), check, text)


def _check_segments(segments: list[str]) -> None:
    """Characters first (exact position), then each segment's shape."""
    for name, segment in zip(_SEGMENT_NAMES, segments, strict=False):
        for position, char in enumerate(segment, start=1):
            if char not in _VALUE:
                hint = " (use upper-case letters)" if char.upper() in _VALUE else ""
                raise IdentifierCharacterError(
                    f"{name} segment {segment!r}: character {char!r} at position {position} "
                    f"is not one of 0-9A-Z{hint}",
                    segment=name,
                    position=position,
                    char=char,
                )
    type_code, issuer_code, serial, version = segments
    if len(type_code) != TYPE_CODE_LENGTH:
        _bad_length("type code", type_code, f"{TYPE_CODE_LENGTH} characters")
    if not type_code[-3:].isdigit():
        position = next(i for i in range(19, 22) if not type_code[i - 1].isdigit())
        raise IdentifierCharacterError(
            f"type code segment {type_code!r}: the last 3 characters are the type number "
            f"(digits), got {type_code[position - 1]!r} at position {position}",
            segment="type code",
            position=position,
            char=type_code[position - 1],
        )
    if len(issuer_code) != ISSUER_CODE_LENGTH:
        _bad_length("issuer code", issuer_code, f"{ISSUER_CODE_LENGTH} characters (a USCC)")
    if not 1 <= len(serial) <= MAX_SERIAL_LENGTH:
        _bad_length("serial", serial, f"1 to {MAX_SERIAL_LENGTH} characters")
    if len(version) != 3:
        _bad_length("version", version, "3 digits")
    if not version.isdigit():
        position = next(i for i, c in enumerate(version, start=1) if not c.isdigit())
        raise IdentifierCharacterError(
            f"version segment {version!r}: character {version[position - 1]!r} at position "
            f"{position} is not a digit",
            segment="version",
            position=position,
            char=version[position - 1],
        )
    if version == "000":
        raise IdentifierSegmentsError("version segment must be 001 to 999, got 000")


def _bad_length(name: str, segment: str, wanted: str) -> None:
    raise IdentifierSegmentsError(
        f"{name} segment {segment!r} has {len(segment)} characters; it must have {wanted}",
        segment=name,
        length=len(segment),
    )
