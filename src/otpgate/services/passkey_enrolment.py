"""Registering a passkey, after the step-up that added it (pending) to the account.

``options`` hands the browser creation options for that pending passkey and keeps their
challenge (as its SHA-256) for a few minutes; ``finish`` takes it back, once, verifies the
new credential (user verification required, this site's origin and RP ID) and makes the
passkey active. The WebAuthn user handle is random per account and shared by its passkeys.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from otpgate.domain.accounts import EventType
from otpgate.domain.errors import Conflict, InvalidInput, NotFound
from otpgate.domain.factors import EnrolledFactor, FactorKind
from otpgate.domain.language import N_
from otpgate.domain.passkeys import b64url, b64url_decode, client_challenge
from otpgate.services.deps import Deps
from otpgate.services.enrolment_actions import ADDED, factor_event, notice
from otpgate.services.factors.available import pending_usable
from otpgate.services.factors.passkey import parse_credential, relying_party
from otpgate.services.factors.webauthn_rp import (
    CEREMONY_SECONDS,
    Refused,
    ceremony_digest,
    creation_options,
    verify_registration,
)
from otpgate.services.limits import VERIFY_IP, ip_key
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.services.storage import Ceremony, PasskeyCredential, UnitOfWork

REGISTER = "register"


def derived_handle(key: bytes, account_id: str) -> str:
    """The account's user handle before it has a passkey: keyed, so it says nothing about
    the account to anyone without the server key, and the same on every node."""
    return b64url(hmac.new(key, f"otpgate.webauthn.user|{account_id}".encode(), "sha256").digest())


class PasskeyEnrolment:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def _pending(self, uow: UnitOfWork, account_id: str, factor_id: str) -> EnrolledFactor:
        factor = await uow.factors.get(account_id, factor_id)
        if factor is None or factor.kind is not FactorKind.PASSKEY:
            raise NotFound(N_("No such passkey in your account."))
        if factor.is_active:
            raise Conflict(N_("This passkey is already set up."))
        if not pending_usable(factor, self.deps.clock.now()):
            raise Conflict(N_("This setup took too long. Add the passkey again."))
        return factor

    async def _handle(self, uow: UnitOfWork, account_id: str) -> str:
        return await uow.passkeys.user_handle(account_id) or derived_handle(
            self.deps.config.code_key, account_id
        )

    async def options(
        self, customer: Customer, ctx: RequestContext, factor_id: str
    ) -> dict[str, Any]:
        """Creation options for the pending passkey ``factor_id``."""
        deps = self.deps
        rp = relying_party(deps)
        await deps.limiter.hit(VERIFY_IP, ip_key(ctx.ip))
        account = customer.account
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            factor = await self._pending(uow, account.id, factor_id)
            raw, options = creation_options(
                rp,
                user_handle=await self._handle(uow, account.id),
                user_name=account.email,
                display_name=account.name,
                existing=await uow.passkeys.of_account(account.id),
            )
            await uow.passkeys.purge_ceremonies(now)
            await uow.passkeys.add_ceremony(
                Ceremony(
                    digest=ceremony_digest(raw),
                    account_id=account.id,
                    purpose=REGISTER,
                    target_id=factor.id,
                    created_at=now,
                    expires_at=now + timedelta(seconds=CEREMONY_SECONDS),
                )
            )
        return options

    async def finish(
        self, customer: Customer, ctx: RequestContext, factor_id: str, credential: str
    ) -> EnrolledFactor:
        """Register the browser's new credential on the pending passkey ``factor_id``."""
        deps = self.deps
        rp = relying_party(deps)
        data = parse_credential(credential)
        await deps.limiter.hit(VERIFY_IP, ip_key(ctx.ip))
        signed = client_challenge(data["response"]["clientDataJSON"])
        raw = b64url_decode(signed) if signed is not None else None
        account_id = customer.account.id
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            factor = await self._pending(uow, account_id, factor_id)
            ceremony = (
                await uow.passkeys.take_ceremony(ceremony_digest(raw), REGISTER, factor.id, now)
                if raw is not None
                else None
            )
            if ceremony is None or ceremony.account_id != account_id:
                raise InvalidInput("credential", "This request expired. Try adding it again.")
            try:
                registered = verify_registration(rp, data, raw or b"")
            except Refused as exc:
                raise InvalidInput(
                    "credential", "This passkey couldn't be added. Try again."
                ) from exc
            if await uow.passkeys.by_credential(registered.credential_id) is not None:
                raise Conflict(N_("This passkey is already in an account."))
            stored = PasskeyCredential(
                factor_id=factor.id,
                account_id=account_id,
                credential_id=registered.credential_id,
                public_key=registered.public_key,
                sign_count=registered.sign_count,
                user_handle=await self._handle(uow, account_id),
                transports=registered.transports,
            )
            if not await uow.passkeys.register(stored, now):
                raise Conflict(N_("This setup took too long. Add the passkey again."))
            await factor_event(uow, EventType.FACTOR_CONFIRMED, factor, now, ctx)
            sent = await notice(deps, uow, account_id, ADDED[factor.kind], now, label=factor.label)
            done = await uow.factors.get(account_id, factor.id)
        if sent is not None:
            deps.dispatcher.submit(sent)
        assert done is not None
        return done
