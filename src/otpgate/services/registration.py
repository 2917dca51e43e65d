"""Registration: validate, hash, store an unconfirmed account and send a code to its number;
and what confirming that number does (the ``verify_phone`` purpose's approval).

When the email already belongs to an account the answer looks the same (S37/S17): a challenge
is opened and a code sent to the number typed, but it is a ``Decoy`` bound to no account, and
confirming it says the address can't be used. When that account was never confirmed, the
challenge is a ``Takeover``: proving the new number gives the account the new name, number and
password (a mistyped number is fixed by registering again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from otpgate.domain.accounts import Account, EventType
from otpgate.domain.challenges import (
    Challenge,
    ConfirmPhone,
    Decoy,
    ForAccount,
    Purpose,
    Subject,
    Takeover,
)
from otpgate.domain.emails import normalize_email
from otpgate.domain.errors import EmailUnavailable, InvalidInput
from otpgate.domain.language import N_
from otpgate.domain.passwords import check_password
from otpgate.domain.phones import parse_mobile
from otpgate.domain.text import clean_line
from otpgate.domain.tokens import new_id
from otpgate.services.approvals import Approval, VerifyRequest
from otpgate.services.audit import audit
from otpgate.services.challenges import ChallengeIssuer
from otpgate.services.deps import Deps
from otpgate.services.limits import REGISTER_IP, hit_send_limits, ip_key
from otpgate.services.mail import MailService
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.sessions import SessionService
from otpgate.services.storage import UnitOfWork

MAX_NAME_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Registered:
    account_id: str
    challenge: Challenge


def clean_name(raw: str, field: str = "name") -> str:
    """A display name: one line (``domain.text``), 1..100 characters."""
    name = clean_line(
        raw,
        field,
        limit=MAX_NAME_LENGTH,
        unstorable=N_("Your name has characters we can't store."),
    )
    if not name:
        raise InvalidInput(field, "Enter your name.")
    return name


class RegistrationService:
    def __init__(
        self,
        deps: Deps,
        issuer: ChallengeIssuer,
        sessions: SessionService,
        *,
        mail: MailService | None = None,
    ) -> None:
        self.deps = deps
        self.issuer = issuer
        self.sessions = sessions
        self.mail = mail

    async def register(
        self, *, name: str, email: str, password: str, phone: str, ctx: RequestContext
    ) -> Registered:
        """Create an unconfirmed account and send a ``verify_phone`` code (see the module doc).

        Probing for accounts therefore costs a phone that receives SMS and a code per try,
        under the send limits.
        """
        deps = self.deps
        config = deps.config
        clean = clean_name(name)
        address = normalize_email(email)
        number = parse_mobile(
            phone, default_region=config.default_region, allowed_countries=config.allowed_countries
        )
        context = [config.brand, address.split("@")[0], *clean.split()]
        normalized_password = check_password(password, context=context)
        await deps.limiter.hit(REGISTER_IP, ip_key(ctx.ip))
        password_hash = await deps.hasher.hash(normalized_password)
        await hit_send_limits(deps.limiter, number, ctx, None, proven=False)
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            existing = await uow.accounts.get_by_email(address)
            # A decoy's id looks like a real one and points at nothing.
            account_id = new_id("acc")
            subject: Subject
            if existing is None:
                await uow.accounts.insert(
                    Account(
                        id=account_id,
                        name=clean,
                        email=address,
                        phone=number,
                        password_hash=password_hash,
                        phone_verified=False,
                        created_at=now,
                        # The language it signed up in: its texts and mail are written in it.
                        language=ctx.language,
                    )
                )
                await audit(
                    uow, EventType.ACCOUNT_REGISTERED, "ok", at=now, ctx=ctx, account_id=account_id
                )
                subject = ForAccount(account_id)
            elif not existing.phone_verified:
                # Never confirmed, so it can't be used: whoever proves a phone now may take the
                # address over. The email was never proven either, so this gives nobody more
                # than registering first would.
                subject = Takeover(existing.id, clean, number, password_hash)
            else:
                subject = Decoy()
            # In the request's language, the new account's (a take-over's too, see
            # ``_take_over``; a decoy's, since there is no account to ask).
            challenge, message = await self.issuer.open(
                uow, subject=subject, intent=ConfirmPhone(), destination=number, ctx=ctx
            )
        deps.dispatcher.submit(message)
        deps.metrics.incr("registrations")
        return Registered(account_id=account_id, challenge=challenge)

    async def approve(
        self, uow: UnitOfWork, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        """The number is confirmed; that also signs the customer in."""
        subject = challenge.subject
        if isinstance(subject, Takeover):
            account_id = await self._take_over(uow, subject, now, challenge.language)
        elif isinstance(subject, ForAccount):
            account_id = subject.account_id
        else:  # a decoy never gets here (the verifier refuses it first)
            raise EmailUnavailable()
        await uow.accounts.update(account_id, {"phone_verified": True, "phone_verified_at": now})
        await audit(
            uow,
            EventType.PHONE_VERIFIED,
            "ok",
            at=now,
            ctx=request.ctx,
            account_id=account_id,
            challenge_id=challenge.id,
        )
        signed_in = await self.sessions.sign_in(
            uow,
            account_id,
            request.ctx,
            now,
            remember=request.remember_device,
            purpose=challenge.purpose.value,
        )
        # The number is proven; now the address: a link to it, which alone makes it usable
        # for mail (S57). Email is never a way to sign in.
        messages: tuple[OutgoingMessage, ...] = ()
        account = await uow.accounts.get(account_id)
        if self.mail is not None and account is not None and not account.email_verified:
            messages = (await self.mail.confirmation(uow, account_id, account.email, now),)
        return Approval(signed_in=signed_in, messages=messages)

    async def _take_over(
        self, uow: UnitOfWork, takeover: Takeover, now: datetime, language: str
    ) -> str:
        """Give a never-confirmed account the name, number and password just proven, and the
        language its code was sent in: the registration's, as for a new account (whoever
        proves the number now is who the account is for)."""
        account = await uow.accounts.get(takeover.account_id)
        if account is None or account.phone_verified:
            # Confirmed (or gone) in the meantime: it is somebody's account now.
            raise EmailUnavailable()
        await uow.accounts.update(
            account.id,
            {
                "name": takeover.name,
                "phone": takeover.phone,
                "password_hash": takeover.password_hash,
                "language": language,
            },
        )
        await uow.challenges.cancel_pending(account.id, Purpose.VERIFY_PHONE, now)
        await uow.sessions.revoke_sessions(account.id, now)
        await uow.sessions.revoke_devices(account.id, now)
        return account.id
