"""Dependency aliases, so route signatures stay one line each.

The session dependency is the one place that commits (on success) or rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from api.runtime import Runtime
from codeid.clock import utcnow
from codeid.keys.keyring import KeyRing


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.session() as session:
        yield session


# scope="function": commit (or roll back) before the response is sent, so a 2xx means the
# change is stored and a failed commit becomes a problem response, not a lost write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_now() -> datetime:
    return utcnow()


NowDep = Annotated[datetime, Depends(get_now)]


def get_keyring(runtime: RuntimeDep, session: SessionDep) -> KeyRing:
    return runtime.keyring(session)


KeyRingDep = Annotated[KeyRing, Depends(get_keyring)]
