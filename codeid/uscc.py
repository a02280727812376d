"""Unified Social Credit Code (USCC, GB 32100-2015): validate, decode, generate.

Layout of the 18 characters (1-based positions):
  1      registration authority (登记管理部门)
  2      entity category within that authority (机构类别)
  3-8    administrative division of the registering office (GB/T 2260, digits)
  9-17   organisation code (GB 11714: 8 characters + its own check character)
  18     check character over positions 1-17 (GB/T 17710 style, mod 31)
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from operator import mul

from codeid.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # I, O, S, V, Z are never used
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALLOWED = frozenset(ALPHABET)
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 3^(i-1) mod 31 for i = 1..17
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# GB 11714 character values: digits as themselves, letters A=10 ... Z=35.
_ORG_VALUE = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
USCC_LENGTH = 18


class InvalidUscc(InvalidInput):
    code = "uscc-invalid"


class UsccLengthError(InvalidUscc):
    code = "uscc-length"


class UsccCharacterError(InvalidUscc):
    code = "uscc-character"


class UsccDivisionError(InvalidUscc):
    code = "uscc-division"


class UsccOrganisationCheckError(InvalidUscc):
    code = "uscc-organisation-check"


class UsccCheckError(InvalidUscc):
    code = "uscc-check"


@dataclass(frozen=True, slots=True)
class CodePart:
    """One decoded part of a code: its characters and what they mean."""

    code: str
    name_zh: str
    name_en: str


UNKNOWN_ZH, UNKNOWN_EN = "未定义", "undefined"

# Appendix table of GB 32100-2015: authority -> (names, {category: names}).
# fmt: off
_AUTHORITIES: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "1": ("机构编制", "institutional establishment", {
        "1": ("机关", "government organ"),
        "2": ("事业单位", "public institution"),
        "3": ("中央编办直接管理机构编制的群众团体",
              "mass organisation under the central establishment office"),
        "9": ("其他", "other"),
    }),
    "2": ("外交", "foreign affairs", {
        "1": ("外国常驻新闻机构", "resident foreign news agency"),
        "9": ("其他", "other"),
    }),
    "3": ("司法行政", "judicial administration", {
        "1": ("律师执业机构", "law firm"),
        "2": ("公证处", "notary office"),
        "3": ("基层法律服务所", "grassroots legal service office"),
        "4": ("司法鉴定机构", "forensic appraisal institution"),
        "5": ("仲裁委员会", "arbitration commission"),
        "9": ("其他", "other"),
    }),
    "4": ("文化", "culture", {
        "1": ("外国在华文化中心", "foreign cultural centre in China"),
        "9": ("其他", "other"),
    }),
    "5": ("民政", "civil affairs", {
        "1": ("社会团体", "social organisation"),
        "2": ("民办非企业单位", "private non-enterprise unit"),
        "3": ("基金会", "foundation"),
        "9": ("其他", "other"),
    }),
    "6": ("旅游", "tourism", {
        "1": ("外国旅游部门常驻代表机构", "representative office of a foreign tourism authority"),
        "2": ("港澳台地区旅游部门常驻内地（大陆）代表机构",
              "representative office of a Hong Kong, Macao or Taiwan tourism authority"),
        "9": ("其他", "other"),
    }),
    "7": ("宗教", "religious affairs", {
        "1": ("宗教活动场所", "place of religious activity"),
        "2": ("宗教院校", "religious college"),
        "9": ("其他", "other"),
    }),
    "8": ("工会", "trade unions", {
        "1": ("基层工会", "grassroots trade union"),
        "9": ("其他", "other"),
    }),
    "9": ("工商（市场监管）", "industry and commerce (market regulation)", {
        "1": ("企业", "enterprise"),
        "2": ("个体工商户", "individual business (sole trader)"),
        "3": ("农民专业合作社", "farmers' specialised cooperative"),
    }),
    "A": ("中央军委改革和编制办公室", "CMC reform and establishment office", {
        "1": ("军队事业单位", "military public institution"),
        "9": ("其他", "other"),
    }),
    "N": ("农业", "agriculture", {
        "1": ("组级集体经济组织", "group-level collective economic organisation"),
        "2": ("村级集体经济组织", "village-level collective economic organisation"),
        "3": ("乡镇级集体经济组织", "township-level collective economic organisation"),
        "9": ("其他", "other"),
    }),
    "Y": ("其他", "other", {"1": ("其他", "other")}),
}
# fmt: on

# First two digits of a GB/T 2260 division: the 34 province-level units, plus 10 for
# codes issued by central (national) registration offices, e.g. 12100000400000624D.
# fmt: off
_PROVINCES: dict[str, tuple[str, str]] = {
    "10": ("中央", "central (national)"),
    "11": ("北京市", "Beijing"), "12": ("天津市", "Tianjin"), "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"), "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"), "22": ("吉林省", "Jilin"), "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"), "32": ("江苏省", "Jiangsu"), "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"), "35": ("福建省", "Fujian"), "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"), "41": ("河南省", "Henan"), "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"), "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"), "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"), "51": ("四川省", "Sichuan"), "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"), "54": ("西藏自治区", "Tibet"), "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"), "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"), "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"), "81": ("香港特别行政区", "Hong Kong"),
    "82": ("澳门特别行政区", "Macao"),
}
# fmt: on


@dataclass(frozen=True, slots=True)
class Uscc:
    code: str
    authority: CodePart
    category: CodePart
    division: str
    province: CodePart
    organisation_code: str
    check_char: str
    # True when the code was accepted although its final check character is wrong.
    check_overridden: bool = False


def normalise_uscc(text: str) -> str:
    """Strip surrounding whitespace, fold full-width characters (NFKC), uppercase."""
    if not text.isascii():  # NFKC only matters for non-ASCII input; skip it on the hot path
        text = unicodedata.normalize("NFKC", text)
    return text.strip().upper()


def uscc_check_char(first17: str) -> str:
    """The 18th character for the given first 17 (which must use the USCC alphabet)."""
    if len(first17) != 17:
        raise UsccLengthError(f"expected the first 17 characters of a USCC, got {len(first17)}")
    _check_characters(first17)
    return _check_char(first17)


def _check_char(first17: str) -> str:
    total = sum(map(mul, map(_VALUE.__getitem__, first17), _WEIGHTS))
    return ALPHABET[-total % 31]


def organisation_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code's first 8 characters."""
    if len(first8) != 8 or not _ORG_VALUE.keys() >= set(first8):
        raise ValueError(f"expected 8 digits or uppercase letters, got {first8!r}")
    check = -sum(map(mul, map(_ORG_VALUE.__getitem__, first8), _ORG_WEIGHTS)) % 11
    return "X" if check == 10 else str(check)  # 11 - (sum mod 11), where 11 stands for 0


def _check_characters(code: str) -> None:
    if _ALLOWED.issuperset(code):
        return
    position, char = next((i, c) for i, c in enumerate(code, start=1) if c not in _ALLOWED)
    raise UsccCharacterError(
        f"character {char!r} at position {position} is not allowed in a USCC "
        "(only digits and uppercase letters, excluding I, O, S, V and Z)",
        position=position,
        char=char,
    )


def parse_uscc(text: str, *, allow_check_override: bool = False) -> Uscc:
    """Validate and decode a USCC.

    ``allow_check_override`` accepts a code whose only fault is its final check character
    (some early pilot codes); the result then has ``check_overridden=True``.
    """
    code = normalise_uscc(text)
    if len(code) != USCC_LENGTH:
        raise UsccLengthError(
            f"a USCC has {USCC_LENGTH} characters, got {len(code)}", length=len(code)
        )
    _check_characters(code)
    division = code[2:8]
    if not division.isdigit():
        position = next(i for i, c in enumerate(division, start=3) if not c.isdigit())
        raise UsccDivisionError(
            f"positions 3-8 (administrative division) must be digits, "
            f"got {code[position - 1]!r} at position {position}",
            position=position,
            char=code[position - 1],
        )
    organisation_code = code[8:17]
    expected_org = organisation_check_char(organisation_code[:8])
    if organisation_code[8] != expected_org:
        raise UsccOrganisationCheckError(
            f"organisation code {organisation_code} (positions 9-17) has check character "
            f"{organisation_code[8]!r}, expected {expected_org!r}",
            position=17,
            char=organisation_code[8],
            expected=expected_org,
        )
    expected = _check_char(code[:17])
    overridden = False
    if code[17] != expected:
        if not allow_check_override:
            raise UsccCheckError(
                f"check character is {code[17]!r}, expected {expected!r}",
                position=18,
                char=code[17],
                expected=expected,
            )
        overridden = True
    return Uscc(
        code=code,
        authority=_authority(code[0]),
        category=_category(code[0], code[1]),
        division=division,
        province=_province(division[:2]),
        organisation_code=organisation_code,
        check_char=code[17],
        check_overridden=overridden,
    )


def is_valid_uscc(text: str) -> bool:
    try:
        parse_uscc(text)
    except InvalidUscc:
        return False
    return True


# Decoded parts are immutable, so build each once rather than per parsed code.
_AUTHORITY_PARTS = {a: CodePart(a, zh, en) for a, (zh, en, _) in _AUTHORITIES.items()}
_CATEGORY_PARTS = {
    (a, c): CodePart(c, zh, en)
    for a, (_, _, categories) in _AUTHORITIES.items()
    for c, (zh, en) in categories.items()
}
_PROVINCE_PARTS = {p: CodePart(p, zh, en) for p, (zh, en) in _PROVINCES.items()}


def _authority(char: str) -> CodePart:
    return _AUTHORITY_PARTS.get(char) or CodePart(char, UNKNOWN_ZH, UNKNOWN_EN)


def _category(authority: str, char: str) -> CodePart:
    return _CATEGORY_PARTS.get((authority, char)) or CodePart(char, UNKNOWN_ZH, UNKNOWN_EN)


def _province(digits: str) -> CodePart:
    return _PROVINCE_PARTS.get(digits) or CodePart(digits, UNKNOWN_ZH, UNKNOWN_EN)


_DIGITS = "0123456789"
_LETTERS = ALPHABET[10:]


def random_uscc(
    rng: random.Random, *, authority: str = "9", category: str = "1", division: str = "440106"
) -> str:
    """A valid random USCC (demo data, tests, benchmarks), both check characters computed.

    Half the organisation codes are all digits (pre-2015 style), half start with ``MA``
    followed by digits and letters, as codes assigned since the 2015 reform do.
    """
    if len(authority) != 1 or len(category) != 1 or not _ALLOWED.issuperset(authority + category):
        raise ValueError(
            f"authority and category must be USCC characters: {authority + category!r}"
        )
    if len(division) != 6 or not (division.isascii() and division.isdigit()):
        raise ValueError(f"division must be 6 digits: {division!r}")
    if rng.random() < 0.5:
        body = "".join(rng.choices(_DIGITS, k=8))
    else:
        body = "MA" + "".join(rng.choices(_DIGITS + _LETTERS, k=6))
    first17 = authority + category + division + body + organisation_check_char(body)
    return first17 + uscc_check_char(first17)
