"""Support tools for an operator (``otpgate accounts ...``): find, show (masked), unlock,
sign out everywhere, disable and enable an account.

Each change writes one security event naming the operator action (``details.action``), in the
same transaction as the change, so the trail says who did what even when no customer asked.
What is shown is masked like the customer's own pages: an operator helping a caller reads the
last digits back, never the whole number or address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from otpgate.domain.accounts import Account, EventType
from otpgate.domain.challenges import Purpose
from otpgate.domain.clock import Clock
from otpgate.domain.emails import mask_email, normalize_email, throttle_key
from otpgate.domain.errors import AccountNotFound, InvalidInput
from otpgate.domain.phones import mask, parse_mobile
from otpgate.services.audit import audit
from otpgate.services.limits import PASSWORD_ACCOUNT
from otpgate.services.ports import RateLimiter
from otpgate.services.recovery import end_open
from otpgate.services.storage import Store, UnitOfWork

RECENT_EVENTS = 10


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an operator action did: the account after it, and what it changed."""

    account: dict[str, Any]
    action: str
    changed: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"action": self.action, "account": self.account, **self.changed}


def summary(account: Account) -> dict[str, Any]:
    """The account as an operator sees it: masked email and number, state, no secrets."""
    return {
        "id": account.id,
        "name": account.name,
        "email": mask_email(account.email),
        "phone": mask(account.phone),
        "phone_verified": account.phone_verified,
        "created_at": _iso(account.created_at),
        "disabled": account.disabled_at is not None,
        "disabled_at": _iso(account.disabled_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class OperatorService:
    """The support use cases over the store; ``limiter`` clears password pauses."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        limiter: RateLimiter | None = None,
        *,
        default_region: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.limiter = limiter
        self.default_region = default_region

    async def find(self, query: str) -> list[dict[str, Any]]:
        """Accounts whose email (normalised) or mobile number (E.164) is ``query``."""
        query = query.strip()
        async with self.store.autocommit() as uow:
            if "@" in query:
                try:
                    email = normalize_email(query)
                except InvalidInput:
                    return []
                found = await uow.accounts.get_by_email(email)
                return [summary(found)] if found else []
            try:
                number = parse_mobile(query, default_region=self.default_region)
            except InvalidInput as exc:
                raise InvalidInput("query", "Give an email address or a mobile number.") from exc
            return [summary(a) for a in await uow.accounts.find_by_phone(number)]

    async def show(self, account_id: str) -> dict[str, Any]:
        """The account, its pauses, sessions, trusted browsers, factors and recent events."""
        async with self.store.autocommit() as uow:
            account = await self._get(uow, account_id)
            now = self.clock.now()
            sessions = await uow.sessions.list_sessions(account.id, now)
            devices = await uow.sessions.list_devices(account.id, now)
            factors = await uow.factors.list(account.id)
            events = await uow.audit.list(account.id, RECENT_EVENTS)
        paused = account.code_locked_until
        return {
            **summary(account),
            "code_pause_until": _iso(paused) if paused and paused > now else None,
            "wrong_codes_in_a_row": account.code_fail_streak,
            "active_sessions": len(sessions),
            "trusted_browsers": len(devices),
            "factors": sorted({"sms_code", *(f.kind.value for f in factors)}),
            "recent_events": [
                {
                    "type": event.type.value,
                    "outcome": event.outcome,
                    "created_at": _iso(event.created_at),
                    "ip": event.ip,
                }
                for event in events
            ],
        }

    async def unlock(self, account_id: str) -> Outcome:
        """Lift the account's code pause (and its wrong-code streak) and its password pause."""
        async with self.store.transaction() as uow:
            account = await self._get(uow, account_id)
            now = self.clock.now()
            await uow.accounts.reset_streak(account.id)
            code_paused = account.code_locked_until is not None and account.code_locked_until > now
            await audit(
                uow,
                EventType.ACCOUNT_UNLOCKED,
                "ok",
                at=now,
                account_id=account.id,
                by="operator",
                action="accounts unlock",
                code_pause_lifted=code_paused,
            )
            account = await self._get(uow, account.id)
        if self.limiter is not None:
            await self.limiter.clear(PASSWORD_ACCOUNT, throttle_key(account.email))
        return Outcome(summary(account), "unlock", {"code_pause_lifted": code_paused})

    async def sign_out(self, account_id: str) -> Outcome:
        """End every session and forget every trusted browser of the account."""
        async with self.store.transaction() as uow:
            account = await self._get(uow, account_id)
            now = self.clock.now()
            sessions, devices, app_tokens = await self._sign_out(uow, account.id, now)
            await audit(
                uow,
                EventType.ACCOUNT_SIGNED_OUT,
                "ok",
                at=now,
                account_id=account.id,
                by="operator",
                action="accounts sign-out",
                sessions=sessions,
                devices=devices,
                app_tokens=app_tokens,
            )
        changed = {"sessions": sessions, "devices": devices, "app_tokens": app_tokens}
        return Outcome(summary(account), "sign-out", changed)

    async def disable(self, account_id: str) -> Outcome:
        """No sign-in, no code and no session from now on: sessions, trusted browsers, the
        apps' tokens and open recoveries end, and every pending challenge of the account is
        canceled (its code answers nothing)."""
        async with self.store.transaction() as uow:
            account = await self._get(uow, account_id)
            now = self.clock.now()
            if account.disabled_at is None:
                await uow.accounts.update(account.id, {"disabled_at": now})
            for purpose in Purpose:
                await uow.challenges.cancel_pending(account.id, purpose, now)
            # A recovery waiting on it would give the account a new number and sign it in.
            await end_open(uow, account.id, now, None, "operator")
            sessions, devices, app_tokens = await self._sign_out(uow, account.id, now)
            await audit(
                uow,
                EventType.ACCOUNT_DISABLED,
                "ok",
                at=now,
                account_id=account.id,
                by="operator",
                action="accounts disable",
                sessions=sessions,
                devices=devices,
                app_tokens=app_tokens,
            )
            account = await self._get(uow, account.id)
        changed = {"sessions": sessions, "devices": devices, "app_tokens": app_tokens}
        return Outcome(summary(account), "disable", changed)

    async def enable(self, account_id: str) -> Outcome:
        """Let a disabled account sign in again (with its password and a code, as ever)."""
        async with self.store.transaction() as uow:
            account = await self._get(uow, account_id)
            now = self.clock.now()
            await uow.accounts.update(account.id, {"disabled_at": None})
            await audit(
                uow,
                EventType.ACCOUNT_ENABLED,
                "ok",
                at=now,
                account_id=account.id,
                by="operator",
                action="accounts enable",
            )
            account = await self._get(uow, account.id)
        return Outcome(summary(account), "enable")

    async def _sign_out(
        self, uow: UnitOfWork, account_id: str, now: datetime
    ) -> tuple[int, int, int]:
        """Sessions, trusted browsers, and the apps' tokens (a refresh token is a session at
        an app that would otherwise outlive every other)."""
        sessions = await uow.sessions.revoke_sessions(account_id, now)
        devices = await uow.sessions.revoke_devices(account_id, now)
        app_tokens = await uow.oauth.revoke_account(account_id, now)
        return sessions, devices, app_tokens

    async def _get(self, uow: UnitOfWork, account_id: str) -> Account:
        account = await uow.accounts.get(account_id.strip())
        if account is None:
            raise AccountNotFound(f"No account has the id {account_id.strip()!r}.")
        return account
