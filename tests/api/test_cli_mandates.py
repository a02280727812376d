"""`codeid mandate ...` as the operator runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tests.api.test_cli import Codeid, codeid  # noqa: F401  (the fixture)

USCC = "914403001922038216"


def test_bind_list_and_revoke_from_the_command_line(codeid: Codeid) -> None:  # noqa: F811
    codeid("entity", "add", "--uscc", USCC, "--name", "华为")
    codeid("user", "add", "zhao", "--role", "business", "--name", "赵明路")
    codeid("user", "add", "qian", "--role", "business")

    first = json.loads(codeid("mandate", "legal-rep", USCC, "zhao").stdout)
    assert (first["role"], first["display_name"], first["state"]) == (
        "legal-representative",
        "赵明路",
        "in-force",
    )
    second = json.loads(
        codeid("mandate", "legal-rep", USCC, "qian", "--until", "2099-01-01T00:00:00").stdout
    )
    assert second["valid_until"].startswith("2099-01-01T00:00:00")

    listed = [json.loads(line) for line in codeid("mandate", "list", USCC).stdout.splitlines()]
    assert [(m["username"], m["state"]) for m in listed] == [
        ("zhao", "revoked"),
        ("qian", "in-force"),
    ]

    [ended] = [
        json.loads(line)
        for line in codeid(
            "mandate", "revoke", str(second["id"]), "--reason", "test"
        ).stdout.splitlines()
    ]
    assert (ended["state"], ended["revocation_reason"]) == ("revoked", "test")
    again = codeid("mandate", "revoke", str(second["id"]), ok=False)
    assert again.returncode == 1
    assert again.stderr.startswith("codeid: mandate-already-revoked:")
    clerk = codeid("mandate", "legal-rep", USCC, "nobody", ok=False)
    assert clerk.stderr.startswith("codeid: user-not-found:")
