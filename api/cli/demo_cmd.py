"""codeid demo ..."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from api.cli.output import CliFailure, emit, say
from api.runtime import Runtime
from codeid.clock import utcnow
from codeid.demo import seed_demo
from counter.demo_users import seed_demo_users
from counter.hall import demo_hall_path, load_hall_file
from credentials.bulk_seed import seed_bulk
from credentials.demo import seed_licence_demo

app = typer.Typer(help="Demo data.", no_args_is_help=True)
DEMO_USERS_FILE = "demo-users.json"
DEMO_ENTITIES = 60  # the small data set a bulk seed comes with
DEMO_MAX = 100_000
BULK_MAX = 10_000_000


@app.command("seed")
def seed(
    entities: int = typer.Option(
        60, min=1, max=BULK_MAX, help="How many entities (bulk ones with --licences-per-entity)."
    ),
    licences_per_entity: float | None = typer.Option(
        None,
        "--licences-per-entity",
        min=0,
        max=100,
        help="Bulk: add --entities entities holding this many signed licences each on average "
        "(COPY on PostgreSQL), besides the small demo data set.",
    ),
    workers: int = typer.Option(
        0, min=0, help="Bulk: processes signing licences (0: one per CPU)."
    ),
    if_empty: bool = typer.Option(False, "--if-empty", help="Only when there are no entities yet."),
) -> None:
    """Fill the database with a small Guangzhou service-hall data set (and a bulk one)."""
    if licences_per_entity is None and entities > DEMO_MAX:
        raise CliFailure(f"at most {DEMO_MAX} demo entities; add --licences-per-entity for more")
    runtime = Runtime.prepared()
    now = utcnow()
    demo_count = DEMO_ENTITIES if licences_per_entity is not None else entities
    with runtime.session() as session:
        added = seed_demo(session, count=demo_count, now=now, if_empty=if_empty)
        licences = (
            seed_licence_demo(session, master_secret=runtime.master_secret, now=now)
            if added
            else {}
        )
        hall = load_hall_file(session, demo_hall_path(), now=now).as_json() if added else {}
        users = seed_demo_users(session, now=now) if added else {}
    if users:
        _keep_demo_passwords(runtime.settings.data_dir / DEMO_USERS_FILE, users)
    bulk: dict[str, object] = {}
    if licences_per_entity is not None and added:
        with runtime.session() as session:
            report = seed_bulk(
                session,
                entities=entities,
                licences_per_entity=licences_per_entity,
                master_secret=runtime.master_secret,
                now=now,
                workers=workers or os.cpu_count() or 1,
            )
        bulk = {"bulk": report.as_json()}
    roles = {name: user["role"] for name, user in users.items()}
    emit({"entities_added": added, "hall": hall} | licences | {"users": roles} | bulk)
    if users:
        say("demo users and passwords: codeid demo users")


def _keep_demo_passwords(path: Path, users: dict[str, dict[str, str]]) -> None:
    """Demo passwords, readable by the owner only, so `make run` can show them again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(users, ensure_ascii=False, indent=2), encoding="utf-8")


@app.command("users")
def users_cmd() -> None:
    """Show the demo users and passwords written by `codeid demo seed`."""
    path = Runtime().settings.data_dir / DEMO_USERS_FILE
    if not path.exists():
        raise CliFailure(f"no demo users yet ({path} is missing): run codeid demo seed")
    for name, user in json.loads(path.read_text("utf-8")).items():
        say(f"  {user['role']:<9} {name:<12} {user['password']}")
