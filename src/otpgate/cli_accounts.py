"""``otpgate accounts ...``: the support desk's tools. Every command prints one JSON object on
stdout (errors: one line on stderr, exit status 1), and every change is written to the
account's audit trail as a security event naming the operator action.

    otpgate accounts find EMAIL|PHONE   {"accounts": [{"id", "name", "email", "phone", ...}]}
    otpgate accounts show ID            the account (masked), pauses, sessions, recent events
    otpgate accounts unlock ID          lift the code and password pauses
    otpgate accounts sign-out ID        end every session, forget every trusted browser
    otpgate accounts disable ID         no sign-in, no code, no session until enabled
    otpgate accounts enable ID
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from otpgate.cli_keys import _run
from otpgate.config import Settings
from otpgate.domain.clock import SystemClock
from otpgate.services.operator import OperatorService, Outcome

accounts_app = typer.Typer(no_args_is_help=True, help="Customer accounts (support tools)")
AccountId = Annotated[str, typer.Argument(help="acc_...")]


def _operator(settings: Settings, store: Any, limiter: Any = None) -> OperatorService:
    return OperatorService(
        store, SystemClock(), limiter, default_region=settings.sms_default_region
    )


@accounts_app.command("find")
def accounts_find(
    query: Annotated[str, typer.Argument(help="An email address or a mobile number")],
) -> None:
    """Accounts with this email address or mobile number (masked)."""

    async def work(settings: Settings, store: Any) -> list[dict[str, Any]]:
        return await _operator(settings, store).find(query)

    typer.echo(json.dumps({"accounts": _run(work)}))


@accounts_app.command("show")
def accounts_show(account_id: AccountId) -> None:
    """One account (masked): state, pauses, sessions, trusted browsers, recent events."""

    async def work(settings: Settings, store: Any) -> dict[str, Any]:
        return await _operator(settings, store).show(account_id)

    typer.echo(json.dumps(_run(work)))


@accounts_app.command("unlock")
def accounts_unlock(account_id: AccountId) -> None:
    """Lift the account's code pause and password pause (audited)."""
    from otpgate.adapters.ratelimit import LimitsRateLimiter
    from otpgate.bootstrap import limit_rules

    async def work(settings: Settings, store: Any) -> dict[str, Any]:
        limiter = LimitsRateLimiter(limit_rules(settings), settings.redis_url)
        try:
            outcome = await _operator(settings, store, limiter).unlock(account_id)
        finally:
            await limiter.aclose()
        body = outcome.as_json()
        # Embedded mode counts password tries in the serving process's memory, out of reach
        # of this command: say so instead of claiming a lifted pause.
        body["password_pause_lifted"] = settings.redis_url is not None
        if settings.redis_url is None:
            body["note"] = (
                "password pauses are counted in the serving process (no OTPGATE_REDIS_URL): "
                "they end by themselves, at most an hour after the last wrong password"
            )
        return body

    typer.echo(json.dumps(_run(work)))


def _change(action: str, account_id: str) -> None:
    async def work(settings: Settings, store: Any) -> Outcome:
        operator = _operator(settings, store)
        run = {
            "sign-out": operator.sign_out,
            "disable": operator.disable,
            "enable": operator.enable,
        }[action]
        return await run(account_id)

    typer.echo(json.dumps(_run(work).as_json()))


@accounts_app.command("sign-out")
def accounts_sign_out(account_id: AccountId) -> None:
    """End every session and forget every trusted browser of the account (audited)."""
    _change("sign-out", account_id)


@accounts_app.command("disable")
def accounts_disable(account_id: AccountId) -> None:
    """Disable the account: signed out everywhere, pending codes canceled, no sign-in."""
    _change("disable", account_id)


@accounts_app.command("enable")
def accounts_enable(account_id: AccountId) -> None:
    """Enable a disabled account again."""
    _change("enable", account_id)
