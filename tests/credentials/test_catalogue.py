"""The licence-type catalogue: the shipped data, field checks, malformed files refused."""

from __future__ import annotations

import copy
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from codeid.uscc import is_valid_uscc, random_uscc
from credentials.catalogue import (
    DEFAULT_PATH,
    Catalogue,
    CatalogueError,
    default_catalogue,
    load_catalogue,
)
from credentials.errors import InvalidLicenceFields, UnknownLicenceType

USCC = random_uscc(random.Random(11))

# One realistic licence of each type: (number, fields).
SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "business-licence": (USCC, {
        "name": "杭州西湖龙井茶业有限公司", "entity_type": "有限责任公司(自然人投资或控股)",
        "legal_representative": "王建国", "registered_capital": "500",
        "date_established": "2016-03-18", "business_scope": "茶叶销售;食品销售(仅销售预包装食品)",
        "address": "浙江省杭州市西湖区龙井路18号",
        "registration_authority": "杭州市西湖区市场监督管理局",
    }),
    "food-business": ("JY13301060123456", {
        "operator_name": "杭州西湖龙井茶业有限公司", "legal_representative": "王建国",
        "address": "浙江省杭州市西湖区龙井路18号",
        "business_premises": "浙江省杭州市西湖区龙井路18号1楼",
        "main_business_form": "食品销售经营者", "online_business": "true",
        "business_items": "预包装食品(不含冷藏冷冻食品)销售", "complaint_hotline": "12315",
    }),
    "food-production": ("SC11433010600123", {
        "producer_name": "杭州某某食品有限公司", "legal_representative": "李明",
        "address": "浙江省杭州市余杭区仓前街道1号",
        "production_address": "浙江省杭州市余杭区仓前街道1号3幢",
        "food_category": "糕点;饮料",
    }),
    "drug-business": ("浙AA5710001", {
        "enterprise_name": "浙江某某医药有限公司", "legal_representative": "赵强",
        "enterprise_principal": "赵强", "quality_principal": "钱芳",
        "registered_address": "浙江省杭州市拱墅区莫干山路100号", "business_mode": "批发",
        "business_scope": "中成药、化学药制剂、抗生素制剂、生化药品、生物制品",
    }),
    "medical-device-filing": ("浙杭药监械经营备20230123号", {
        "enterprise_name": "杭州某某医疗器械有限公司", "legal_representative": "孙丽",
        "enterprise_principal": "孙丽", "address": "浙江省杭州市滨江区江南大道1号",
        "business_premises": "浙江省杭州市滨江区江南大道1号5楼", "business_mode": "批零兼营",
        "business_scope": "第二类医疗器械", "filing_date": date(2023, 5, 6),
    }),
    "special-equipment-use": ("梯11浙A01234(22)", {
        "user_name": "杭州某某物业管理有限公司", "equipment_category": "电梯",
        "equipment_variety": "曳引驱动乘客电梯", "equipment_code": "31103301002019070001",
        "installation_address": "浙江省杭州市上城区解放路1号2单元",
    }),
    "road-transport": ("浙交运管许可杭字330100012345号", {
        "operator_name": "杭州某某物流有限公司", "principal": "周伟",
        "address": "浙江省杭州市萧山区物流大道1号", "business_scope": "道路普通货物运输",
        "vehicle_count": 12,
    }),
    "tobacco-retail": ("330105123456", {
        "enterprise_name": "杭州拱墅某某便利店", "principal": "吴静",
        "business_premises": "浙江省杭州市拱墅区湖墅南路1号", "permitted_scope": "卷烟、雪茄烟零售",
        "supply_unit": "浙江省烟草公司杭州市公司",
    }),
    "taxpayer-qualification": (USCC, {
        "taxpayer_name": "杭州西湖龙井茶业有限公司", "qualification": "增值税一般纳税人",
        "effective_date": "2017-01-01", "registration_date": "2016-12-20",
        "tax_authority": "国家税务总局杭州市西湖区税务局",
    }),
}  # fmt: skip

WRONG_TYPE = {
    "string": 12,
    "date": "2023/05/06",
    "integer": "twelve",
    "number": "五百",
    "boolean": "maybe",
    "enum": "something else",
}


def test_shipped_catalogue_has_the_nine_types() -> None:
    catalogue = default_catalogue()
    assert {t.code for t in catalogue.types()} == set(SAMPLES)
    names = {t.code: t.name_zh for t in catalogue.types()}
    assert names["business-licence"] == "营业执照"
    assert names["food-business"] == "食品经营许可证"
    assert names["medical-device-filing"] == "第二类医疗器械经营备案凭证"
    assert default_catalogue() is catalogue  # loaded once


def test_every_type_is_consistent() -> None:
    catalogue = default_catalogue()
    for licence_type in catalogue:
        assert len(licence_type.id_type_code) == 21
        assert is_valid_uscc(licence_type.id_type_code[:18])
        assert licence_type.id_type_code[18:].isdigit()
        assert catalogue.by_id_type_code(licence_type.id_type_code) is licence_type
        assert any(spec.required for spec in licence_type.fields)
        doc = licence_type.as_json()
        assert doc["code"] == licence_type.code
        assert [f["name"] for f in doc["fields"]] == [s.name for s in licence_type.fields]
        assert all({"name", "type", "required"} <= f.keys() for f in doc["fields"])
    assert json.loads(json.dumps(catalogue.as_json()))[0]["code"] == "business-licence"


def test_the_shipped_file_is_package_data() -> None:
    assert DEFAULT_PATH.parent.name == "credentials"
    assert DEFAULT_PATH.is_file()


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_each_type_accepts_a_realistic_licence(code: str) -> None:
    licence_type = default_catalogue().get(code)
    number, fields = SAMPLES[code]
    checked = licence_type.check_fields(fields)
    assert list(checked) == [s.name for s in licence_type.fields if s.name in fields]
    assert json.loads(json.dumps(checked, ensure_ascii=False)) == checked
    assert licence_type.check_number(f" {number} ") == number


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_each_type_refuses_every_kind_of_fault(code: str) -> None:
    licence_type = default_catalogue().get(code)
    _, fields = SAMPLES[code]
    for spec in licence_type.fields:
        if spec.required:
            missing = {k: v for k, v in fields.items() if k != spec.name}
            with pytest.raises(InvalidLicenceFields, match=f"'{spec.name}'.*is required"):
                licence_type.check_fields(missing)
            with pytest.raises(InvalidLicenceFields, match="is required"):
                licence_type.check_fields(fields | {spec.name: "   "})
        with pytest.raises(InvalidLicenceFields) as caught:
            licence_type.check_fields(fields | {spec.name: WRONG_TYPE[spec.type]})
        assert caught.value.details["problems"][0].startswith(f"field {spec.name!r}")
    with pytest.raises(InvalidLicenceFields, match="unknown field 'colour'"):
        licence_type.check_fields(fields | {"colour": "red"})


def test_all_problems_are_listed_at_once() -> None:
    food = default_catalogue().get("food-business")
    with pytest.raises(InvalidLicenceFields) as caught:
        food.check_fields({"main_business_form": "网吧", "extra": 1, "online_business": 2})
    problems = caught.value.details["problems"]
    assert problems[0].startswith("unknown field 'extra'")
    assert any("'网吧' is not one of 食品销售经营者" in p for p in problems)
    assert any("'online_business'" in p and "true or false" in p for p in problems)
    assert sum("is required" in p for p in problems) == 5
    assert caught.value.code == "licence-fields-invalid"


def test_values_are_normalised() -> None:
    business = default_catalogue().get("business-licence")
    _, fields = SAMPLES["business-licence"]
    checked = business.check_fields(
        fields
        | {
            "name": "  杭州西湖龙井茶业有限公司 ",
            "registered_capital": "500.50",
            "date_established": date(2016, 3, 18),
            "business_term_until": None,
        }
    )
    assert checked["name"] == "杭州西湖龙井茶业有限公司"
    assert checked["registered_capital"] == 500.5
    assert checked["date_established"] == "2016-03-18"
    assert "business_term_until" not in checked
    assert (
        business.check_fields(fields | {"registered_capital": 300.0})["registered_capital"] == 300
    )
    food = default_catalogue().get("food-business")
    assert (
        food.check_fields(SAMPLES["food-business"][1] | {"online_business": "否"})[
            "online_business"
        ]
        is False
    )
    transport = default_catalogue().get("road-transport")
    assert (
        transport.check_fields(SAMPLES["road-transport"][1] | {"vehicle_count": "7"})[
            "vehicle_count"
        ]
        == 7
    )


@pytest.mark.parametrize(
    ("code", "name", "value", "message"),
    [
        ("business-licence", "date_established", "2023-02-30", "not a real date"),
        ("business-licence", "registered_capital", True, "expected a number"),
        ("business-licence", "registered_capital", float("nan"), "expected a number"),
        ("road-transport", "vehicle_count", 1.5, "expected an integer"),
        ("business-licence", "business_scope", "经" * 4001, "at most 4000"),
        ("business-licence", "name", "名" * 201, "at most 200"),
        ("food-business", "complaint_hotline", "call us", "expected form"),
        ("special-equipment-use", "equipment_code", "abc", "expected form"),
    ],
)
def test_field_values_refused(code: str, name: str, value: object, message: str) -> None:
    licence_type = default_catalogue().get(code)
    with pytest.raises(InvalidLicenceFields, match=message):
        licence_type.check_fields(SAMPLES[code][1] | {name: value})


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("food-business", "JY1330106012345"),  # 13 digits
        ("food-business", "SC13301060123456"),
        ("food-production", "JY13301060123456"),
        ("drug-business", "浙EA5710001"),
        ("tobacco-retail", "33010512345X"),
        ("business-licence", "91330106MA2B0Q3X4I"),  # I is not in the USCC alphabet
        ("road-transport", ""),
    ],
)
def test_licence_numbers_of_the_wrong_form_are_refused(code: str, number: str) -> None:
    with pytest.raises(InvalidLicenceFields, match="licence number"):
        default_catalogue().get(code).check_number(number)


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(UnknownLicenceType, match=r"'fishing'.*business-licence"):
        default_catalogue().get("fishing")
    with pytest.raises(UnknownLicenceType, match="11100000000013338W999"):
        default_catalogue().by_id_type_code("11100000000013338W999")


# --- malformed catalogue files --------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    return doc


def _load(tmp_path: Path, doc: object) -> Catalogue:
    path = tmp_path / "types.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return load_catalogue(path)


def _mutated(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_shipped())
    change(doc)
    return doc


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(doc: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(("types", 1, "code"), "business-licence"),
         r"types\[1\] business-licence: duplicate code 'business-licence' \(also types\[0\]\)"),
        (_set(("types", 2, "id_type_code"), "11100000000013338W201"),
         "duplicate id_type_code '11100000000013338W201'"),
        (_set(("types", 0, "fields", 0, "type"), "text"),
         r"fields\[0\] 'name': unknown field type 'text'"),
        (_set(("types", 0, "id_type_code"), "11100000000013338X201"),
         "not a valid USCC: check character"),
        (_set(("types", 0, "id_type_code"), "11100000000013338W20"), "must have 21 characters"),
        (_set(("types", 0, "id_type_code"), "11100000000013338W000"), "3-digit type number"),
        (_set(("types", 0, "id_type_code"), "11100000000013338w201"), "upper-case letters"),
        (_set(("types", 0, "code"), "Business Licence"), "lower-case slug"),
        (_set(("types", 0, "default_validity_days"), 0), "positive integer or null"),
        (_set(("types", 0, "default_validity_days"), True), "positive integer or null"),
        (_set(("types", 0, "fields"), []), "'fields' must be a non-empty list"),
        (_set(("types", 0, "fields", 0, "requried"), True), "unknown key 'requried'"),
        (_set(("types", 0, "fields", 1, "name"), "name"), "duplicate field name 'name'"),
        (_set(("types", 0, "fields", 0, "required"), "yes"), "'required' must be true or false"),
        (_set(("types", 0, "fields", 0, "options"), ["a"]), "only for enum fields"),
        (_set(("types", 1, "fields", 4, "options"), []), "an enum needs 'options'"),
        (_set(("types", 1, "fields", 4, "options"), ["a", "a"]), "'options' has duplicates"),
        (_set(("types", 0, "fields", 0, "pattern"), "(["), "not a valid regular expression"),
        (_set(("types", 0, "number_pattern"), "(["), "number_pattern.*not a valid regular"),
        (_set(("types", 0, "fields", 3, "max_length"), 10), "only for string fields"),
        (_set(("types", 0, "name_zh"), " "), "'name_zh' must be non-empty text"),
        (_set(("version",), 2), "'version' must be 1"),
        (_set(("types",), []), "'types' must be a non-empty list"),
        (lambda doc: doc["types"][0].pop("authority_kind"), "missing 'authority_kind'"),
    ],
)  # fmt: skip
def test_malformed_catalogue_is_refused_with_a_clear_message(
    tmp_path: Path, change: Any, message: str
) -> None:
    with pytest.raises(CatalogueError, match=message) as caught:
        _load(tmp_path, _mutated(change))
    assert caught.value.code == "licence-catalogue-invalid"


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    def change(doc: Any) -> None:
        doc["types"][0]["fields"][3]["type"] = "text"
        doc["types"][3]["code"] = "food-business"

    with pytest.raises(CatalogueError) as caught:
        _load(tmp_path, _mutated(change))
    assert len(caught.value.details["problems"]) == 2


def test_unreadable_or_non_json_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read licence catalogue"):
        load_catalogue(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "types": [', encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON"):
        load_catalogue(bad)
    with pytest.raises(CatalogueError, match="must be a JSON object"):
        _load(tmp_path, [1, 2])


def test_a_valid_custom_catalogue_loads(tmp_path: Path) -> None:
    doc = _shipped()
    doc["types"] = doc["types"][:2]
    catalogue = _load(tmp_path, doc)
    assert [t.code for t in catalogue.types()] == ["business-licence", "food-business"]
    assert "tobacco-retail" not in catalogue
