"""Your sign-in methods: list them, add one, confirm an authenticator app, remove one.

Adding and removing are step-ups (``enrolment_actions``): the change waits for a code (or any
other factor the account has). An authenticator app, once added, is pending until its first
right code; a passkey until its credential is registered (``passkey_enrolment``). Text
messages can't be removed: the number is how the account is reached, and changing it is its
own step-up.
"""

from __future__ import annotations

from otpgate.domain.accounts import EventType
from otpgate.domain.actions import ActionType
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import Conflict, InvalidInput, NotFound
from otpgate.domain.factors import (
    ANSWERED_BY,
    MAX_PASSKEYS,
    STORED_KINDS,
    EnrolledFactor,
    FactorKind,
    FactorStatus,
    FactorType,
    clean_label,
)
from otpgate.domain.language import N_
from otpgate.domain.phones import mask
from otpgate.domain.totp import provisioning_uri
from otpgate.services.deps import Deps
from otpgate.services.enrolment_actions import ADDED, factor_event, notice
from otpgate.services.factors.available import available, offered, pending_usable
from otpgate.services.factors.totp import factor_sealer, parse_totp, secret_context, use_code
from otpgate.services.limits import VERIFY_IP, ip_key
from otpgate.services.ports import RequestContext
from otpgate.services.principal import Customer
from otpgate.services.stepup import StepUpService

# The factors every account has, through its number: listed with ids of their own.
SMS_ID = "fac_sms"
VOICE_ID = "fac_voice"


class FactorService:
    def __init__(self, deps: Deps, stepup: StepUpService) -> None:
        self.deps = deps
        self.stepup = stepup

    def offers(self, kind: FactorKind) -> bool:
        """Whether the operator lets customers add ``kind``."""
        return kind in STORED_KINDS and offered(self.deps.config.factors, ANSWERED_BY[kind])

    async def available(self, challenge: Challenge) -> tuple[FactorType, ...]:
        """The factors that may answer ``challenge`` now ("Try another way")."""
        async with self.deps.store.autocommit() as uow:
            return await available(uow, self.deps.config, challenge)

    async def list(self, customer: Customer) -> list[EnrolledFactor]:
        """The account's factors: text messages first, then calls (when offered), then what
        it enrolled (pending ones while they can still be completed)."""
        account = customer.account
        now = self.deps.clock.now()
        async with self.deps.store.transaction() as uow:
            stored = await uow.factors.list(account.id)
        phone = mask(account.phone)
        listed = [
            EnrolledFactor(SMS_ID, account.id, FactorKind.SMS_CODE, phone, FactorStatus.ACTIVE,
                           account.created_at),
        ]  # fmt: skip
        if self.deps.config.factors.voice:
            listed.append(
                EnrolledFactor(VOICE_ID, account.id, FactorKind.VOICE_CODE, phone,
                               FactorStatus.ACTIVE, account.created_at)
            )  # fmt: skip
        listed.extend(
            f for f in stored if self.offers(f.kind) and (f.is_active or pending_usable(f, now))
        )
        return listed

    async def request_add(
        self, customer: Customer, ctx: RequestContext, kind: str, label: str | None = None
    ) -> Challenge:
        """Ask for a code to add a factor (or to make new backup codes)."""
        try:
            wanted = FactorKind(kind)
        except ValueError:
            wanted = None
        if wanted is None or not self.offers(wanted):
            raise InvalidInput("type", "That kind of sign-in method can't be added here.")
        name = clean_label(label, wanted)
        async with self.deps.store.transaction() as uow:
            existing = [f for f in await uow.factors.list(customer.account.id) if f.is_active]
        same = [f for f in existing if f.kind is wanted]
        if wanted is FactorKind.TOTP and same:
            raise Conflict(N_("You already have an authenticator app. Remove it to add another."))
        if wanted is FactorKind.PASSKEY and len(same) >= MAX_PASSKEYS:
            raise Conflict(
                N_("You have %(count)d passkeys. Remove one to add another."), count=MAX_PASSKEYS
            )
        payload = {"kind": wanted.value, "label": name, "replace": bool(same)}
        return await self.stepup.request(customer, ActionType.ADD_FACTOR, payload, ctx)

    async def request_remove(
        self, customer: Customer, ctx: RequestContext, factor_id: str
    ) -> Challenge:
        """Ask for a code to remove a factor; text messages and calls can't be removed."""
        if factor_id in (SMS_ID, VOICE_ID):
            raise Conflict(
                N_(
                    "Codes to your mobile number can't be turned off: it is how we reach you. "
                    "Change the number instead."
                )
            )
        async with self.deps.store.transaction() as uow:
            factor = await uow.factors.get(customer.account.id, factor_id)
        if factor is None:
            raise NotFound(N_("No such sign-in method in your account."))
        payload = {"factor_id": factor.id, "kind": factor.kind.value, "label": factor.label}
        return await self.stepup.request(customer, ActionType.REMOVE_FACTOR, payload, ctx)

    async def pending_app(self, customer: Customer, factor_id: str) -> tuple[EnrolledFactor, str]:
        """A pending authenticator app and its secret, to show while it is being set up (the
        setup page); ``NotFound`` once it is active or too old."""
        account = customer.account
        now = self.deps.clock.now()
        async with self.deps.store.transaction() as uow:
            factor = await uow.factors.get(account.id, factor_id)
            secret = await uow.factors.totp_secret(account.id, factor_id)
        if factor is None or factor.kind is not FactorKind.TOTP or secret is None:
            raise NotFound(N_("No such authenticator app setup in your account."))
        if not pending_usable(factor, now):
            raise NotFound(N_("This setup is over. Add the authenticator app again."))
        opened = factor_sealer(self.deps).open(secret.sealed, secret_context(factor.id))
        return factor, opened

    def app_uri(self, customer: Customer, secret: str) -> str:
        """The ``otpauth://`` URI an app scans for ``secret``."""
        return provisioning_uri(
            secret, account=customer.account.email, issuer=self.deps.config.brand
        )

    async def confirm(
        self, customer: Customer, ctx: RequestContext, factor_id: str, code: str
    ) -> EnrolledFactor:
        """A pending authenticator app's first code: it becomes the account's app."""
        deps = self.deps
        answer = parse_totp(code)
        await deps.limiter.hit(VERIFY_IP, ip_key(ctx.ip))
        account_id = customer.account.id
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            factor = await uow.factors.get(account_id, factor_id)
            if factor is None or factor.kind is not FactorKind.TOTP:
                raise NotFound(N_("No such authenticator app in your account."))
            if factor.is_active:
                raise Conflict(N_("This authenticator app is already set up."))
            secret = await uow.factors.totp_secret(account_id, factor.id)
            if not pending_usable(factor, now) or secret is None:
                raise Conflict(N_("This setup took too long. Add the authenticator app again."))
            if not await use_code(deps, uow, secret, answer):
                raise InvalidInput(
                    "code",
                    "That code is not right. Check that your phone's clock is set "
                    "automatically, then enter the newest code.",
                )
            await uow.factors.activate(account_id, factor.id, now)
            # One app per account: setups begun earlier and never finished are dropped.
            await uow.factors.delete_kind(account_id, FactorKind.TOTP, keep=factor.id)
            await factor_event(uow, EventType.FACTOR_CONFIRMED, factor, now, ctx)
            sent = await notice(deps, uow, account_id, ADDED[factor.kind], now, label=factor.label)
            confirmed = await uow.factors.get(account_id, factor.id)
        if sent is not None:
            deps.dispatcher.submit(sent)
        assert confirmed is not None
        return confirmed
