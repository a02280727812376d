"""A throwaway PostgreSQL database: created on a server, dropped at the end.

Shared by the benchmarks and the test suite (tests import bench/ for its generators too),
so there is one way to make and drop them, and the names say who made them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from codeid.db import make_engine


@contextmanager
def throwaway_database(server_url: str, *, prefix: str = "codeid_tmp") -> Iterator[str]:
    """A new database on the server of ``server_url`` (its URL, for the duration): dropped
    afterwards, with FORCE, so connections left open do not keep it."""
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
