"""The whole counter flow from a shell: hall, book, check in from a photo, call, case, report."""

from __future__ import annotations

import json
from pathlib import Path

from tests.api.test_cli import Codeid, codeid  # noqa: F401  (fixture)

HOLDER = "91440300708461136T"


def test_counter_flow_from_the_shell(codeid: Codeid, tmp_path: Path) -> None:  # noqa: F811
    codeid("entity", "add", "--uscc", HOLDER, "--name", "深圳市腾讯计算机系统有限公司")
    hall = json.loads(codeid("hall", "load").stdout)
    assert hall["windows"] == 37
    booking = json.loads(codeid("book", "--uscc", HOLDER, "--item", "address-change").stdout)
    assert booking["status"] == "confirmed"

    png = tmp_path / "dynamic.png"
    codeid("code", "issue", HOLDER, "--dynamic", "--out", str(png))
    checked = json.loads(codeid("checkin", str(png), "--item", "address-change").stdout)
    number = checked["number"]
    assert number.startswith("A") and checked["people_ahead"] == 0
    replay = codeid("checkin", str(png), ok=False)
    assert replay.returncode != 0 and "already-used" in replay.stderr

    called = json.loads(codeid("window", "call", "1").stdout)
    assert called["number"] == number and called["window_number"] == 1
    empty = codeid("window", "call", "1", ok=False)
    assert empty.returncode != 0 and "queue empty" in empty.stderr

    case = json.loads(codeid("case", "open", number, "--item", "address-change").stdout)
    sources = {f["name"]: f["source"]["kind"] for f in case["form"]}
    assert sources["entity_name"] == "entity"
    typed = [
        f"--field={f['name']}=13800000000" for f in case["form"] if f["required"] and not f["value"]
    ]
    codeid("case", "set", str(case["id"]), *typed)
    done = json.loads(codeid("case", "complete", str(case["id"])).stdout)
    assert done["status"] == "completed"

    report = json.loads(codeid("report").stdout)
    assert report["total"]["tickets"] == 1 and report["total"]["completed"] == 1
    assert codeid("report", "--csv").stdout.startswith("dimension,key,tickets")
