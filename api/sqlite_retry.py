"""Replay a request that lost a write race on SQLite, so callers rarely see "busy".

SQLite allows one writer. A transaction that read first and then writes cannot upgrade its
lock if another connection committed in between: SQLite refuses at once (SQLITE_BUSY, no
waiting), the unit of work rolls back, and the problem handler answers 503. Nothing was
stored, so running the whole request again is safe; this middleware does that a few times,
with a short pause, before letting the 503 (with Retry-After) through. PostgreSQL never gets
here: its row locks wait instead. Request bodies are buffered (they are small: uploads are
capped by CODEID_MAX_UPLOAD_BYTES before this matters).
"""

from __future__ import annotations

import asyncio
import random

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RETRY_HEADER = b"x-codeid-retry"  # set by the problem handler on a retryable SQLite refusal
ATTEMPTS = 4


class SQLiteRetry:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Every method: a GET writes too (the access log, a partner's rate counter).
        body = await _read_body(receive)
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            retry = await self._attempt(scope, body, receive, send, last=last)
            if not retry:
                return
            await asyncio.sleep(0.02 * (attempt + 1) + random.uniform(0, 0.03))  # noqa: S311

    async def _attempt(
        self, scope: Scope, body: bytes, receive: Receive, send: Send, *, last: bool
    ) -> bool:
        """Run once; True when the answer was a retryable refusal that was held back."""
        sent_body = False
        held = False

        async def replay() -> Message:
            nonlocal sent_body
            if sent_body:  # after the body: wait for the client to go (a stream asks this)
                return await receive()
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def guarded_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                held = not last and RETRY_HEADER in names
                if not held:
                    message["headers"] = [
                        (k, v) for k, v in message.get("headers", []) if k.lower() != RETRY_HEADER
                    ]
            if not held:
                await send(message)

        await self.app(scope, replay, guarded_send)
        return held


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
