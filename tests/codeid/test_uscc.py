"""USCC (GB 32100-2015) validation, decoding and generation, against real published codes."""

from __future__ import annotations

import random

import pytest

from codeid.errors import InvalidInput
from codeid.uscc import (
    UsccCharacterError,
    UsccCheckError,
    UsccDivisionError,
    UsccLengthError,
    UsccOrganisationCheckError,
    is_valid_uscc,
    organisation_check_char,
    parse_uscc,
    random_uscc,
    uscc_check_char,
)

# Published codes (company sites, invoices, registries); each one verified to pass.
REAL_CODES = {
    "914403001922038216": "华为技术有限公司",
    "91440300708461136T": "腾讯科技（深圳）有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91330100799655058B": "阿里巴巴（中国）有限公司",
    "914406060621766268": "佛山市顺德区锡山家居科技有限公司",
    "91440115MAKBG4HD6A": "广州雅舍室内设计有限公司",
    "91430181MA4Q3REH6K": "浏阳德塔软件开发有限公司",
    "9133030430755012X0": "an invoice seller; organisation check character is X",
    "12100000400000624D": "清华大学",
    "12100000400009127B": "北京理工大学",
    "53100000500021676K": "北京理工大学教育基金会",
}
HUAWEI = "914403001922038216"


@pytest.mark.parametrize("code", sorted(REAL_CODES))
def test_real_codes_validate(code: str) -> None:
    parsed = parse_uscc(code)
    assert parsed.code == code
    assert not parsed.check_overridden
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]
    assert organisation_check_char(code[8:16]) == code[16]


def test_decodes_an_enterprise() -> None:
    parsed = parse_uscc(HUAWEI)
    assert (parsed.authority.code, parsed.authority.name_zh) == ("9", "工商（市场监管）")
    assert "market regulation" in parsed.authority.name_en
    assert (parsed.category.name_zh, parsed.category.name_en) == ("企业", "enterprise")
    assert parsed.division == "440300"
    assert (parsed.province.code, parsed.province.name_zh, parsed.province.name_en) == (
        "44",
        "广东省",
        "Guangdong",
    )
    assert parsed.organisation_code == "192203821"
    assert parsed.check_char == "6"


def test_category_meaning_depends_on_the_authority() -> None:
    university = parse_uscc("12100000400000624D")
    assert university.authority.name_zh == "机构编制"
    assert university.category.name_zh == "事业单位"
    assert university.province.name_zh == "中央"  # registered by a central office
    foundation = parse_uscc("53100000500021676K")
    assert (foundation.authority.name_zh, foundation.category.name_zh) == ("民政", "基金会")
    assert foundation.category.name_en == "foundation"
    sole_trader = parse_uscc(random_uscc(random.Random(1), category="2"))
    assert sole_trader.category.name_zh == "个体工商户"


def test_organisation_code_with_letters() -> None:
    parsed = parse_uscc("91440115MAKBG4HD6A")
    assert parsed.organisation_code == "MAKBG4HD6"
    assert parsed.province.name_en == "Guangdong"


def test_organisation_check_hand_computed() -> None:
    # 3*4 = 12, 12 mod 11 = 1, 11 - 1 = 10 -> X;  0 -> 11 -> 0;  M=22, A=10: 66+70=136 -> 7
    assert organisation_check_char("40000000") == "X"
    assert organisation_check_char("00000000") == "0"
    assert organisation_check_char("MA000000") == "7"


def test_normalises_case_whitespace_and_full_width() -> None:
    assert parse_uscc("  91430181ma4q3reh6k\n").code == "91430181MA4Q3REH6K"
    assert parse_uscc("９１４４０３００１９２２０３８２１６").code == HUAWEI


@pytest.mark.parametrize("text, length", [("", 0), (HUAWEI[:17], 17), (HUAWEI + "0", 19)])
def test_wrong_length(text: str, length: int) -> None:
    with pytest.raises(UsccLengthError, match=f"18 characters, got {length}") as info:
        parse_uscc(text)
    assert info.value.code == "uscc-length"
    assert isinstance(info.value, InvalidInput)


@pytest.mark.parametrize("char", ["I", "O", "S", "V", "Z", "-", "*"])
def test_excluded_character_names_position(char: str) -> None:
    code = HUAWEI[:11] + char + HUAWEI[12:]
    with pytest.raises(UsccCharacterError) as info:
        parse_uscc(code)
    assert info.value.code == "uscc-character"
    assert info.value.details == {"position": 12, "char": char}
    assert f"{char!r} at position 12" in info.value.message
    assert "I, O, S, V and Z" in info.value.message


def test_inner_space_is_a_bad_character() -> None:
    with pytest.raises(UsccCharacterError, match="' ' at position 5"):
        parse_uscc("9144 3001922038216")  # 18 characters with the space


def test_division_must_be_digits() -> None:
    with pytest.raises(UsccDivisionError, match="'A' at position 5") as info:
        parse_uscc("9144A3001922038216")
    assert info.value.code == "uscc-division"


def test_organisation_check_wrong() -> None:
    with pytest.raises(UsccOrganisationCheckError) as info:
        parse_uscc("914403001922038226")  # position 17: 2 instead of 1
    assert info.value.code == "uscc-organisation-check"
    assert "check character '2', expected '1'" in info.value.message
    assert info.value.details["expected"] == "1"


def test_final_check_wrong() -> None:
    with pytest.raises(UsccCheckError) as info:
        parse_uscc("914403001922038217")
    assert info.value.code == "uscc-check"
    assert info.value.message == "check character is '7', expected '6'"
    assert not is_valid_uscc("914403001922038217")


def test_override_accepts_only_a_wrong_final_check() -> None:
    parsed = parse_uscc("914403001922038217", allow_check_override=True)
    assert parsed.check_overridden
    assert parsed.check_char == "7"
    assert parsed.authority.code == "9"
    assert not parse_uscc(HUAWEI, allow_check_override=True).check_overridden
    with pytest.raises(UsccOrganisationCheckError):
        parse_uscc("914403001922038226", allow_check_override=True)
    with pytest.raises(UsccCharacterError):
        parse_uscc("91440300192203821I", allow_check_override=True)


def test_random_codes_are_valid_for_1000_seeds() -> None:
    codes = {random_uscc(random.Random(seed)) for seed in range(1000)}
    assert len(codes) == 1000
    for code in codes:
        parsed = parse_uscc(code)
        assert parsed.division == "440106"
        assert (parsed.authority.code, parsed.category.code) == ("9", "1")
    # Both styles of organisation code are generated.
    assert any(code[8:10] == "MA" for code in codes)
    assert any(code[8:16].isdigit() for code in codes)


def test_random_code_with_other_parts() -> None:
    rng = random.Random(7)
    parsed = parse_uscc(random_uscc(rng, authority="5", category="3", division="110105"))
    assert (parsed.authority.name_zh, parsed.category.name_zh) == ("民政", "基金会")
    assert parsed.province.name_zh == "北京市"
    with pytest.raises(ValueError, match="6 digits"):
        random_uscc(rng, division="44010")
    with pytest.raises(ValueError):
        random_uscc(rng, authority="I")


def test_single_character_changes_are_caught() -> None:
    # The mod-31 check catches every single substitution in the first 17 characters.
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(17):
        for char in alphabet:
            if char == HUAWEI[position]:
                continue
            changed = HUAWEI[:position] + char + HUAWEI[position + 1 :]
            assert not is_valid_uscc(changed), changed
