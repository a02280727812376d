"""codeid demo ..."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from api.cli.output import CliFailure, emit, say
from api.runtime import Runtime
from codeid.clock import utcnow
from codeid.demo import seed_demo
from counter.demo_users import seed_demo_users
from counter.hall import demo_hall_path, load_hall_file
from credentials.demo import seed_licence_demo

app = typer.Typer(help="Demo data.", no_args_is_help=True)
DEMO_USERS_FILE = "demo-users.json"


@app.command("seed")
def seed(
    entities: int = typer.Option(60, min=1, max=100_000, help="How many entities."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Only when there are no entities yet."),
) -> None:
    """Fill the database with a small Guangzhou service-hall data set."""
    runtime = Runtime.prepared()
    now = utcnow()
    with runtime.session() as session:
        added = seed_demo(session, count=entities, now=now, if_empty=if_empty)
        licences = (
            seed_licence_demo(session, master_secret=runtime.master_secret, now=now)
            if added
            else {}
        )
        hall = load_hall_file(session, demo_hall_path(), now=now).as_json() if added else {}
        users = seed_demo_users(session, now=now) if added else {}
    if users:
        _keep_demo_passwords(runtime.settings.data_dir / DEMO_USERS_FILE, users)
    roles = {name: user["role"] for name, user in users.items()}
    emit({"entities_added": added, "hall": hall} | licences | {"users": roles})
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
