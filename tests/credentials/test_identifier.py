"""E-licence identifiers: the MOD 37,36 check, parsing with precise errors, making."""

from __future__ import annotations

import random

import pytest

from codeid.uscc import random_uscc
from credentials.catalogue import default_catalogue
from credentials.errors import (
    IdentifierCharacterError,
    IdentifierCheckError,
    IdentifierRootError,
    IdentifierSegmentsError,
    InvalidLicenceIdentifier,
)
from credentials.identifier import (
    ALPHABET,
    MAX_ISSUED_SERIAL_LENGTH,
    ROOT,
    LicenceIdentifier,
    make_identifier,
    mod37_36_check,
    parse_identifier,
)

# Published by public systems (see the issue); the check characters were not computed here.
KNOWN_GOOD = [
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
]


def _verifies(text: str) -> bool:
    """ISO/IEC 7064 verification written independently: the full string must leave P = 1."""
    p = 36
    for char in text[:-1]:
        p = (p + ALPHABET.index(char)) % 36 or 36
        p = p * 2 % 37
    return (p + ALPHABET.index(text[-1])) % 36 == 1


def test_both_known_good_identifiers_parse() -> None:
    first = parse_identifier(KNOWN_GOOD[0])
    assert first == LicenceIdentifier(
        type_code="11100000000013338W011",
        issuer_code="11430000006122244L",
        serial="20230000403",
        version=2,
        check="S",
        text=KNOWN_GOOD[0],
    )
    second = parse_identifier(KNOWN_GOOD[1])
    assert (second.type_code, second.issuer_code, second.serial) == (
        "11100000000013338W009",
        "11330105002500287C",
        "2025052201",
    )
    assert (second.version, second.check, str(second)) == (2, "0", KNOWN_GOOD[1])


@pytest.mark.parametrize("text", KNOWN_GOOD)
def test_check_is_over_segments_after_root_including_version(text: str) -> None:
    body = "".join(text[len(ROOT) + 1 :].split(".")[:-1])
    assert mod37_36_check(body) == text[-1]
    assert _verifies(body + text[-1])
    # Dropping the version, or keeping the root's digits, gives another character.
    assert mod37_36_check(body[:-3]) != text[-1]


def test_check_agrees_with_independent_verification_on_random_strings() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 60)))
        check = mod37_36_check(text)
        assert _verifies(text + check)
        assert sum(_verifies(text + c) for c in ALPHABET) == 1


def test_check_refuses_characters_outside_the_alphabet() -> None:
    with pytest.raises(IdentifierCharacterError, match=r"'a' at position 2"):
        mod37_36_check("1a")


def _expected_error(text: str, position: int, replacement: str) -> type[Exception]:
    """Which error a one-character change at ``position`` must raise."""
    root_end = len(ROOT) + 1  # the dot after the root is part of the prefix checked
    original = text[position]
    if position < root_end:
        return IdentifierRootError
    if "." in (original, replacement):
        return IdentifierSegmentsError
    if replacement not in ALPHABET:
        return IdentifierCharacterError
    segment_start = text.rfind(".", 0, position) + 1
    segment_end = text.find(".", position)
    segment = text[segment_start : segment_end if segment_end != -1 else len(text)]
    offset = position - segment_start
    index = text[:position].count(".") - ROOT.count(".") - 1
    if index == 0 and offset >= 18 and not replacement.isdigit():
        return IdentifierCharacterError  # the type number is digits
    if index == 3:
        if not replacement.isdigit():
            return IdentifierCharacterError
        if segment[:offset] + replacement + segment[offset + 1 :] == "000":
            return IdentifierSegmentsError
    return IdentifierCheckError


@pytest.mark.parametrize("text", KNOWN_GOOD)
def test_every_single_character_corruption_is_refused(text: str) -> None:
    candidates = ALPHABET + ".-a z#"
    refused = 0
    for position, original in enumerate(text):
        for replacement in candidates:
            if replacement == original:
                continue
            corrupted = text[:position] + replacement + text[position + 1 :]
            expected = _expected_error(text, position, replacement)
            with pytest.raises(InvalidLicenceIdentifier) as caught:
                parse_identifier(corrupted)
            assert type(caught.value) is expected, (corrupted, caught.value)
            refused += 1
    assert refused == len(text) * (len(candidates) - 1)


def test_check_error_names_the_expected_character() -> None:
    wrong = KNOWN_GOOD[0][:-1] + "T"
    with pytest.raises(IdentifierCheckError, match=r"'T', expected 'S'") as caught:
        parse_identifier(wrong)
    assert caught.value.details["expected"] == "S"
    assert caught.value.code == "licence-identifier-invalid-check"


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("1.2.156.3005.3.11100000000013338W011.11430000006122244L.1.001.0", IdentifierRootError,
         "starts with 1.2.156.3005.2."),
        ("", IdentifierRootError, "starts with"),
        (KNOWN_GOOD[0].rsplit(".", 1)[0], IdentifierSegmentsError, "5 dot-separated segments"),
        (KNOWN_GOOD[0] + ".X", IdentifierSegmentsError, "got 6"),
        (KNOWN_GOOD[0].replace("20230000403", ""), IdentifierSegmentsError, "serial segment"),
        (KNOWN_GOOD[0].replace("W011", "W11"), IdentifierSegmentsError, "21 characters"),
        (KNOWN_GOOD[0].replace("244L", "244l"), IdentifierCharacterError,
         r"issuer code segment .*'l' at position 18 .*upper-case"),
        (KNOWN_GOOD[0].replace(".002.", ".02.") , IdentifierSegmentsError, "3 digits"),
        (KNOWN_GOOD[0][:-1] + "SS", IdentifierCharacterError, "check character must be one"),
    ],
)  # fmt: skip
def test_malformed_identifiers_say_what_is_wrong(
    text: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_identifier(text)


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_identifier(f"  {KNOWN_GOOD[1]}\n").text == KNOWN_GOOD[1]


def test_make_identifier_round_trips_for_every_catalogue_type() -> None:
    rng = random.Random(3)
    for licence_type in default_catalogue().types():
        issuer = random_uscc(rng, authority="1", category="1", division="330100")
        for version in (1, 2, 999):
            serial = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 18)))
            text = make_identifier(
                type_code=licence_type.id_type_code,
                issuer_code=issuer,
                serial=serial,
                version=version,
            )
            parsed = parse_identifier(text)
            assert text.startswith(f"{ROOT}.{licence_type.id_type_code}.{issuer}.{serial}.")
            assert text.split(".")[-2] == f"{version:03d}"
            assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == (
                licence_type.id_type_code,
                issuer,
                serial,
                version,
            )
            assert len(text) <= 80  # fits Licence.identifier


def test_make_identifier_reproduces_a_known_good_one() -> None:
    assert (
        make_identifier(
            type_code="11100000000013338W009",
            issuer_code="11330105002500287C",
            serial="2025052201",
            version=2,
        )
        == KNOWN_GOOD[1]
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"version": 0}, IdentifierSegmentsError, "between 1 and 999"),
        ({"version": 1000}, IdentifierSegmentsError, "between 1 and 999"),
        ({"serial": "1" * (MAX_ISSUED_SERIAL_LENGTH + 1)}, IdentifierSegmentsError, "at most 18"),
        ({"serial": ""}, IdentifierSegmentsError, "serial segment"),
        ({"serial": "2025-01"}, IdentifierCharacterError, "'-' at position 5"),
        ({"type_code": "11100000000013338WABC"}, IdentifierCharacterError, "type number"),
        ({"issuer_code": "1143000000612224"}, IdentifierSegmentsError, "issuer code segment"),
    ],
)
def test_make_identifier_refuses_bad_segments(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    args: dict[str, object] = {
        "type_code": "11100000000013338W011",
        "issuer_code": "11430000006122244L",
        "serial": "20230000403",
        "version": 1,
    } | kwargs
    with pytest.raises(error, match=message):
        make_identifier(**args)  # type: ignore[arg-type]
