"""The step-up handlers of factor changes: add one (``add_factor``), remove one
(``remove_factor``). Each change is itself a step-up (S55), and the account's number is told
of it by SMS, so a thief who got past one factor can't quietly add their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from otpgate import i18n
from otpgate.domain import backup_codes
from otpgate.domain.accounts import EventType
from otpgate.domain.channels import Channel
from otpgate.domain.errors import Conflict, NotFound
from otpgate.domain.factors import EnrolledFactor, FactorKind, FactorStatus
from otpgate.domain.language import ENGLISH, N_, Translator
from otpgate.domain.tokens import new_id
from otpgate.domain.totp import new_secret, provisioning_uri
from otpgate.services.actions import Approving
from otpgate.services.approvals import Approval, FactorAdded, FactorRemoved
from otpgate.services.audit import audit
from otpgate.services.deps import Deps
from otpgate.services.factors.totp import factor_sealer, secret_context
from otpgate.services.languages import account_language
from otpgate.services.outbox import Draft, queue_message
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.storage import UnitOfWork

# What a change of each kind says, whole sentences so each language can word them its own way
# (a label is the customer's name for the factor; backup codes have none).
ADD_WORDS = {
    FactorKind.TOTP: N_("Add the authenticator app “%(label)s”"),
    FactorKind.PASSKEY: N_("Add the passkey “%(label)s”"),
}
REMOVE_WORDS = {
    FactorKind.TOTP: N_("Remove the authenticator app “%(label)s”"),
    FactorKind.PASSKEY: N_("Remove the passkey “%(label)s”"),
    FactorKind.BACKUP_CODES: N_("Remove your backup codes"),
}
# The texts to the account's number (``notice``).
ADDED = {
    FactorKind.TOTP: N_(
        "The authenticator app “%(label)s” was added to your %(brand)s account. If this "
        "wasn't you, contact us right away."
    ),
    FactorKind.PASSKEY: N_(
        "The passkey “%(label)s” was added to your %(brand)s account. If this wasn't you, "
        "contact us right away."
    ),
}
REMOVED = {
    FactorKind.TOTP: N_(
        "The authenticator app “%(label)s” was removed from your %(brand)s account. If this "
        "wasn't you, contact us right away."
    ),
    FactorKind.PASSKEY: N_(
        "The passkey “%(label)s” was removed from your %(brand)s account. If this wasn't you, "
        "contact us right away."
    ),
    FactorKind.BACKUP_CODES: N_(
        "Your backup codes were removed from your %(brand)s account. If this wasn't you, "
        "contact us right away."
    ),
}
CODES_MADE = N_(
    "Backup codes were made for your %(brand)s account. If this wasn't you, contact us right away."
)
NEW_CODES_MADE = N_(
    "New backup codes were made for your %(brand)s account. If this wasn't you, contact us "
    "right away."
)


def _words(words: Translator, message: str, label: str) -> str:
    return words.gettext(message) % {"label": label}


async def notice(
    deps: Deps, uow: UnitOfWork, account_id: str, message: str, now: datetime, label: str = ""
) -> OutgoingMessage | None:
    """Text the account's number that its factors changed (``message``: one of ``ADDED``,
    ``REMOVED``, ``CODES_MADE``, ``NEW_CODES_MADE``), in the account's language."""
    account = await uow.accounts.get(account_id)
    if account is None:
        return None
    words = i18n.translator(account_language(account))
    body = words.gettext(message) % {"brand": deps.config.brand, "label": label}
    draft = Draft(
        channel=Channel.SMS,
        to=account.phone,
        body=body,
        body_redacted=body,  # no code in a notice
        purpose="notice",
        expires_at=now + timedelta(hours=1),
        account_id=account_id,
    )
    return await queue_message(deps, uow, draft, now)


async def factor_event(
    uow: UnitOfWork,
    kind: EventType,
    factor: EnrolledFactor,
    now: datetime,
    ctx: RequestContext,
    **details: object,
) -> None:
    await audit(
        uow,
        kind,
        "ok",
        at=now,
        ctx=ctx,
        account_id=factor.account_id,
        factor_id=factor.id,
        factor_kind=factor.kind.value,
        label=factor.label,
        **details,
    )


class AddFactor:
    """``{"kind", "label", "replace"}``: an authenticator app or a passkey (pending until
    its first use), or a set of backup codes (voiding the old set)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def describe(self, payload: Mapping[str, Any], words: Translator = ENGLISH) -> str:
        kind = FactorKind(payload["kind"])
        if kind is FactorKind.BACKUP_CODES:
            if payload.get("replace"):
                return words.gettext("Make new backup codes (your old ones stop working)")
            return words.gettext("Make backup codes")
        return _words(words, ADD_WORDS[kind], payload["label"])

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        kind, label, now = FactorKind(payload["kind"]), payload["label"], approving.now
        account_id, ctx = approving.account_id, approving.request.ctx
        factor = EnrolledFactor(
            id=new_id("fac"),
            account_id=account_id,
            kind=kind,
            label=label,
            status=FactorStatus.PENDING,
            created_at=now,
        )
        # Setups begun and never finished are forgotten once a new one starts.
        for stale in await uow.factors.list(account_id):
            if stale.pending_expired(now):
                await uow.factors.delete(account_id, stale.id)
        if kind is FactorKind.TOTP:
            return await self._totp(uow, factor, ctx)
        if kind is FactorKind.BACKUP_CODES:
            return await self._backup_codes(uow, factor, ctx)
        await uow.factors.insert(factor)
        await factor_event(uow, EventType.FACTOR_ADDED, factor, now, ctx, status="pending")
        return Approval(result=FactorAdded(factor))

    async def _totp(self, uow: UnitOfWork, factor: EnrolledFactor, ctx: RequestContext) -> Approval:
        existing = await uow.factors.list(factor.account_id)
        if any(f.kind is FactorKind.TOTP and f.is_active for f in existing):
            raise Conflict(N_("You already have an authenticator app. Remove it to add another."))
        account = await uow.accounts.get(factor.account_id)
        if account is None:
            raise NotFound(N_("No such account."))
        secret = new_secret()
        sealed = factor_sealer(self.deps).seal(secret, secret_context(factor.id))
        await uow.factors.insert(factor, secret_sealed=sealed)
        await factor_event(
            uow, EventType.FACTOR_ADDED, factor, factor.created_at, ctx, status="pending"
        )
        uri = provisioning_uri(secret, account=account.email, issuer=self.deps.config.brand)
        return Approval(result=FactorAdded(factor, secret=secret, otpauth_uri=uri))

    async def _backup_codes(
        self, uow: UnitOfWork, factor: EnrolledFactor, ctx: RequestContext
    ) -> Approval:
        now, account_id = factor.created_at, factor.account_id
        replaced = await uow.factors.delete_kind(account_id, FactorKind.BACKUP_CODES)
        codes = backup_codes.new_codes()
        active = EnrolledFactor(
            id=factor.id,
            account_id=account_id,
            kind=factor.kind,
            label=factor.label,
            status=FactorStatus.ACTIVE,
            created_at=now,
            remaining=len(codes),
        )
        await uow.factors.insert(active)
        key = self.deps.config.code_key
        await uow.factors.add_backup_codes(
            active.id, [backup_codes.digest(key, account_id, code) for code in codes]
        )
        await factor_event(uow, EventType.FACTOR_ADDED, active, now, ctx, replaced=replaced > 0)
        sent = await notice(
            self.deps, uow, account_id, NEW_CODES_MADE if replaced else CODES_MADE, now
        )
        return Approval(
            result=FactorAdded(active, codes=tuple(backup_codes.formatted(c) for c in codes)),
            messages=(sent,) if sent else (),
        )


class RemoveFactor:
    """``{"factor_id", "kind", "label"}``: the factor goes, at once and for good."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def describe(self, payload: Mapping[str, Any], words: Translator = ENGLISH) -> str:
        return _words(words, REMOVE_WORDS[FactorKind(payload["kind"])], payload["label"])

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id, now = approving.account_id, approving.now
        factor = await uow.factors.get(account_id, payload["factor_id"])
        if factor is None or not await uow.factors.delete(account_id, factor.id):
            raise NotFound(N_("That sign-in method was already removed."))
        await factor_event(uow, EventType.FACTOR_REMOVED, factor, now, approving.request.ctx)
        sent = await notice(
            self.deps, uow, account_id, REMOVED[factor.kind], now, label=factor.label
        )
        return Approval(result=FactorRemoved(factor.id), messages=(sent,) if sent else ())
