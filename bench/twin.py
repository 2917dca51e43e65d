"""The twin: a bare FastAPI + asyncpg app doing the least each measured endpoint must do,
on otpgate's own tables, served by the same uvicorn with the same flags.

    code check   parse the JSON body, SELECT the challenge by key, UPDATE its counter
    GET /me      SELECT the session joined to its account by token hash
    resend       SELECT the challenge, UPDATE it, INSERT one message row

``OTPGATE_BENCH_TWIN_DSN`` names the database (a libpq URL).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["OTPGATE_BENCH_TWIN_DSN"], min_size=2, max_size=10
    )
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/twin/challenges/{challenge_id}/verify")
async def check(challenge_id: str, request: Request) -> JSONResponse:
    body: dict[str, Any] = await request.json()
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, attempts, max_attempts, code_digest FROM challenges WHERE id = $1",
            challenge_id,
        )
        await conn.execute("UPDATE challenges SET attempts = attempts + 1 WHERE id = $1", row["id"])
    right = secrets.compare_digest(str(body.get("code", "")), row["code_digest"])
    return JSONResponse({"ok": right, "attempts": row["attempts"] + 1}, status_code=400)


@app.get("/twin/me")
async def me(request: Request) -> JSONResponse:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT a.id, a.name, a.email FROM sessions s JOIN accounts a ON a.id = s.account_id"
            " WHERE s.token_hash = $1",
            digest,
        )
    return JSONResponse({"id": row["id"], "name": row["name"], "email": row["email"]})


@app.post("/twin/challenges/{challenge_id}/resend")
async def resend(challenge_id: str, request: Request) -> JSONResponse:
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, destination, sends FROM challenges WHERE id = $1", challenge_id
        )
        await conn.execute(
            "UPDATE challenges SET sends = sends + 1, last_sent_at = $2 WHERE id = $1",
            row["id"],
            now,
        )
        await conn.execute(
            'INSERT INTO messages (id, channel, challenge_id, "to", body_redacted, purpose,'
            " status, attempts, created_at, updated_at, rounds) VALUES"
            " ($1, 'sms', $2, $3, 'twin', 'sign_in', 'sent', 0, $4, $4, 0)",
            "twn_" + secrets.token_urlsafe(12),
            row["id"],
            row["destination"],
            now,
        )
    return JSONResponse({"id": row["id"], "sends": row["sends"] + 1}, status_code=202)
