"""The licence commands end to end, as an operator runs them."""

from __future__ import annotations

import json

from tests.api.test_cli import Codeid, codeid  # noqa: F401  (fixture)

AMR = "11440100MB2C92747J"
HOLDER = "91440300708461136T"
KNOWN_GOOD = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S"


def test_issuer_trust_issue_verify_suspend(codeid: Codeid) -> None:  # noqa: F811
    codeid("entity", "add", "--uscc", HOLDER, "--name", "深圳市腾讯计算机系统有限公司")
    added = json.loads(
        codeid("issuer", "add", "--uscc", AMR, "--name", "广州市市场监督管理局").stdout
    )
    assert added["uscc"] == AMR and "token" not in added
    officer = json.loads(
        codeid("user", "add", "amr.officer", "--role", "issuer", "--issuer", AMR).stdout
    )
    assert officer["role"] == "issuer" and officer["issuer_uscc"] == AMR
    assert len(officer["password"]) >= 20  # generated, shown once
    codeid("issuer", "trust", "--uscc", AMR, "--type", "business-licence")
    jwks = json.loads(codeid("issuer", "jwks", AMR).stdout)
    assert jwks["keys"][0]["crv"] == "Ed25519"

    types = json.loads(codeid("licence", "types").stdout)
    business = next(t for t in types if t["code"] == "business-licence")
    assert {"name", "type", "required"} <= set(business["fields"][0])
    fields = [
        f"--field={f['name']}="
        + (
            "2001-02-03"
            if f["type"] == "date"
            else f.get("options", ["示例"])[0]
            if f["type"] == "enum"
            else "1"
            if f["type"] in ("integer", "number")
            else "示例"
        )
        for f in business["fields"]
        if f["required"]
    ]
    issued = json.loads(
        codeid(
            "licence",
            "issue",
            "--issuer",
            AMR,
            "--type",
            "business-licence",
            "--holder",
            HOLDER,
            "--number",
            "914403007084611361",
            *fields,
        ).stdout
    )
    identifier, token = issued["identifier"], issued["jws"]

    assert json.loads(codeid("licence", "check-id", identifier).stdout)["valid"] is True
    assert codeid("licence", "check-id", KNOWN_GOOD).returncode == 0
    broken = codeid("licence", "check-id", KNOWN_GOOD[:-1] + "T", ok=False)
    assert broken.returncode != 0 and "licence-identifier" in broken.stderr

    for form in (identifier, token):
        assert json.loads(codeid("licence", "verify", form).stdout)["reason"] == "ok"
    codeid("licence", "suspend", identifier, "--reason", "年报未报")
    refused = codeid("licence", "verify", identifier, ok=False)
    assert refused.returncode == 1 and json.loads(refused.stdout)["reason"] == "suspended"

    listed = [
        json.loads(line)
        for line in codeid("licence", "list", "--holder", HOLDER).stdout.splitlines()
    ]
    assert [item["identifier"] for item in listed] == [identifier]
