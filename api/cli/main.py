"""The `codeid` command. Each sub-command parses, calls the domain, prints JSON."""

from __future__ import annotations

import logging
import sys

import typer
from sqlalchemy.exc import OperationalError

from api.cli import (
    audit_cmd,
    backup_cmd,
    client_cmd,
    codes_cmd,
    counter_cmd,
    db_cmd,
    demo_cmd,
    entity_cmd,
    issuer_cmd,
    keys_cmd,
    licence_cmd,
    mandate_cmd,
    scan_cmd,
    serve_cmd,
    user_cmd,
    webhook_cmd,
)
from api.cli.output import CliFailure
from codeid.errors import CodeidError

app = typer.Typer(
    name="codeid",
    help="Unified-code identity: entities, signed business codes, scanning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_cmd.app, name="db")
app.add_typer(entity_cmd.app, name="entity")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(codes_cmd.app, name="code")
app.add_typer(issuer_cmd.app, name="issuer")
app.add_typer(licence_cmd.app, name="licence")
app.add_typer(demo_cmd.app, name="demo")
app.add_typer(counter_cmd.hall_app, name="hall")
app.add_typer(user_cmd.app, name="user")
app.add_typer(mandate_cmd.app, name="mandate")
app.add_typer(client_cmd.app, name="client")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(webhook_cmd.app, name="webhooks")
app.add_typer(counter_cmd.window_app, name="window")
app.add_typer(counter_cmd.case_app, name="case")
app.command("book")(counter_cmd.book_cmd)
app.command("checkin")(counter_cmd.checkin_cmd)
app.command("report")(counter_cmd.report_cmd)
app.command("serve")(serve_cmd.serve)
app.command("scan")(scan_cmd.scan)
app.command("backup")(backup_cmd.backup)
app.command("restore")(backup_cmd.restore)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except CodeidError as exc:
        sys.stderr.write(f"codeid: {exc.code}: {exc.message}\n")
        sys.exit(1)
    except CliFailure as exc:
        sys.stderr.write(f"codeid: {exc}\n")
        sys.exit(exc.exit_code)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
        sys.stderr.write(f"codeid: database-unavailable: {reason}\n")
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
