"""Recovery when the phone is lost, without a backup code (DESIGN §4, SECURITY S56).

Never an instant bypass: each step needs something an attacker with only the password, or
only the mailbox, does not have, and the owner hears of it on every channel in time to stop it::

    password (a pending sign-in) ──"I lost my phone"──▶ requested ──link mailed to the proven
      address opened──▶ waiting (24 h) ──after the wait: the link mailed when it began, the
      password again, and a code to the new number──▶ completed
    requested | waiting ──one click in the mail, or in the text to the old number──▶ canceled

- asking needs the password (a sign-in waiting for its code) and a proven address; one open
  request per account, rate-limited per account and per client address;
- starting the wait needs the mailbox; the wait starts with notices to the address and to
  the old number, each with a one-click cancel;
- finishing needs the mailbox (the finish link), the *current* password (a password changed
  during the wait ends the attacker's try) and a new number proven by a code. It gives the
  account that number and revokes every session, trusted browser and other factor;
- every step is in the security activity. No mail carries a code that signs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from otpgate.domain.accounts import EventType
from otpgate.domain.challenges import Challenge, ForAccount, Purpose, Recover, Status
from otpgate.domain.emails import mask_email
from otpgate.domain.errors import Conflict, InvalidCredentials, NotFound
from otpgate.domain.factors import FactorKind
from otpgate.domain.passwords import MAX_PASSWORD_LENGTH, normalize_password
from otpgate.domain.phones import parse_mobile
from otpgate.domain.tokens import new_id
from otpgate.services.approvals import Approval, VerifyRequest
from otpgate.services.audit import audit
from otpgate.services.challenges import ChallengeIssuer
from otpgate.services.deps import Deps
from otpgate.services.email_storage import (
    OPEN_RECOVERY,
    LinkPurpose,
    Recovery,
    RecoveryChanges,
    RecoveryStatus,
)
from otpgate.services.limits import (
    PASSWORD_ACCOUNT,
    RECOVERY_ACCOUNT,
    RECOVERY_IP,
    hit_send_limits,
    ip_key,
)
from otpgate.services.mail import MailService, token_hash
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.profile import cancel_pending_codes
from otpgate.services.recovery_notices import RecoveryNotices
from otpgate.services.sessions import SessionService
from otpgate.services.storage import UnitOfWork

GONE = "This link has expired or was already used."


# More than one request can be open at a time: two asked at the same moment (on PostgreSQL both
# transactions see none open) each get their own links. Ending "the" recovery ends them all,
# or the thief finishes the one left over; the bound only keeps the loop finite.
MAX_OPEN = 20


async def end_open(
    uow: UnitOfWork, account_id: str, now: datetime, ctx: RequestContext | None, by: str
) -> int:
    """End every open recovery of the account (``by``: who ended it); how many ended."""
    ended = 0
    changes: RecoveryChanges = {
        "status": RecoveryStatus.CANCELED.value,
        "ended_at": now,
        "ended_by": by,
    }
    for _ in range(MAX_OPEN):
        recovery = await uow.recoveries.open_for(account_id, now)
        if recovery is None or not await uow.recoveries.move(recovery.id, recovery.status, changes):
            break
        ended += 1
        await uow.email_links.void_target(recovery.id, now)
        await audit(
            uow,
            EventType.RECOVERY_CANCELED,
            "canceled",
            at=now,
            ctx=ctx,
            account_id=account_id,
            recovery_id=recovery.id,
            by=by,
        )
    if ended:
        await uow.challenges.cancel_pending(account_id, Purpose.RECOVER, now)
    return ended


async def end_on_sign_in(
    uow: UnitOfWork, account_id: str, now: datetime, ctx: RequestContext
) -> None:
    """A sign-in answered with one of the account's own factors proves the phone (or another
    factor) is not lost after all: every open recovery ends (``by`` ``sign_in``), so someone
    who has only the password and the mailbox loses the race to the owner's next sign-in."""
    await end_open(uow, account_id, now, ctx, "sign_in")


@dataclass(frozen=True, slots=True)
class Requested:
    """What the page says after "I lost my phone": where the link went (masked)."""

    masked_email: str


@dataclass(frozen=True, slots=True)
class LinkView:
    """An open recovery as a link shows it (nothing is spent by looking)."""

    recovery: Recovery
    ready: bool


class RecoveryService:
    def __init__(
        self, deps: Deps, issuer: ChallengeIssuer, sessions: SessionService, mail: MailService
    ) -> None:
        self.deps = deps
        self.issuer = issuer
        self.sessions = sessions
        self.mail = mail
        self.notices = RecoveryNotices(deps, mail)

    @property
    def _config(self) -> tuple[timedelta, timedelta, timedelta]:
        mail = self.deps.config.mail
        return (
            timedelta(seconds=mail.recovery_link_seconds),
            timedelta(seconds=mail.recovery_wait_seconds),
            timedelta(seconds=mail.recovery_finish_seconds),
        )

    # -- 1. asking ---------------------------------------------------------------------------

    async def request(self, sign_in_challenge_id: str, ctx: RequestContext) -> Requested:
        """ "I lost my phone" on the code page of a sign-in whose password was right.

        The answer is the same whether a link was sent or not (no proven address, one open
        already): the customer is told where a link would go, masked.
        """
        deps = self.deps
        now = deps.clock.now()
        async with deps.store.autocommit() as uow:
            challenge = await uow.challenges.get(sign_in_challenge_id)
        if (
            challenge is None
            or challenge.purpose is not Purpose.SIGN_IN
            or challenge.status is not Status.PENDING
            or challenge.account_id is None
            or now >= challenge.expires_at
        ):
            raise NotFound("Sign in again first.")
        account_id = challenge.account_id
        await deps.limiter.hit_all([(RECOVERY_ACCOUNT, account_id), (RECOVERY_IP, ip_key(ctx.ip))])
        link_life, _wait, _finish = self._config
        messages: list[OutgoingMessage] = []
        async with deps.store.transaction() as uow:
            account = await uow.accounts.get(account_id)
            assert account is not None
            if account.email_verified and await uow.recoveries.open_for(account_id, now) is None:
                recovery = Recovery(
                    id=new_id("rec"),
                    account_id=account_id,
                    status=RecoveryStatus.REQUESTED,
                    created_at=now,
                    expires_at=now + link_life,
                )
                await uow.recoveries.add(recovery)
                messages.append(await self.notices.asked(uow, account, recovery, now))
                await audit(
                    uow,
                    EventType.RECOVERY_REQUESTED,
                    "pending",
                    at=now,
                    ctx=ctx,
                    account_id=account_id,
                    recovery_id=recovery.id,
                )
        for message in messages:
            deps.dispatcher.submit(message)
        return Requested(mask_email(account.email))

    # -- 2. the wait -------------------------------------------------------------------------

    async def view(self, token: str, purpose: LinkPurpose) -> LinkView:
        """The open recovery a link acts on (nothing spent), or ``NotFound``."""
        deps = self.deps
        now = deps.clock.now()
        async with deps.store.autocommit() as uow:
            link = await uow.email_links.find(token_hash(token), purpose, now)
            recovery = await uow.recoveries.get(link.target_id) if link and link.target_id else None
        if recovery is None or recovery.status not in OPEN_RECOVERY or now >= recovery.expires_at:
            raise NotFound(GONE)
        ready = recovery.ready_at is not None and now >= recovery.ready_at
        return LinkView(recovery, ready)

    async def start(self, token: str, ctx: RequestContext) -> Recovery:
        """The mailbox says yes: the wait begins, and both channels are told."""
        deps = self.deps
        _link_life, wait, finish = self._config
        messages: list[OutgoingMessage] = []
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            link = await uow.email_links.take(token_hash(token), LinkPurpose.START_RECOVERY, now)
            recovery = await uow.recoveries.get(link.target_id) if link and link.target_id else None
            account = await uow.accounts.get(recovery.account_id) if recovery else None
            if (
                recovery is None
                or account is None
                or account.disabled_at is not None
                or now >= recovery.expires_at
            ):
                raise NotFound(GONE)
            ready_at = now + wait
            moved = await uow.recoveries.move(
                recovery.id,
                RecoveryStatus.REQUESTED,
                {
                    "status": RecoveryStatus.WAITING.value,
                    "ready_at": ready_at,
                    "expires_at": ready_at + finish,
                },
            )
            if not moved:
                raise NotFound(GONE)
            messages += await self.notices.started(uow, account, recovery.id, now, ready_at, finish)
            await audit(
                uow,
                EventType.RECOVERY_STARTED,
                "waiting",
                at=now,
                ctx=ctx,
                account_id=account.id,
                recovery_id=recovery.id,
                ready_at=ready_at.isoformat(),
            )
            started = await uow.recoveries.get(recovery.id)
            assert started is not None
        for message in messages:
            deps.dispatcher.submit(message)
        return started

    # -- cancel ------------------------------------------------------------------------------

    async def cancel(self, token: str, ctx: RequestContext) -> None:
        """One click from the mail or the text: the recovery ends; its links die with it."""
        deps = self.deps
        messages: list[OutgoingMessage] = []
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            link = await uow.email_links.take(token_hash(token), LinkPurpose.CANCEL_RECOVERY, now)
            recovery = await uow.recoveries.get(link.target_id) if link and link.target_id else None
            if link is None or recovery is None:
                raise NotFound(GONE)
            by = link.channel or "email"
            # This link's recovery, and any other open one of the account (see ``end_open``).
            if recovery.status not in OPEN_RECOVERY or not await end_open(
                uow, recovery.account_id, now, ctx, by
            ):
                raise NotFound(GONE)
            brand = deps.config.brand
            notice = await self.mail.notice(
                uow,
                recovery.account_id,
                f"Recovery of your {brand} account was canceled",
                [
                    "The request to recover your account was canceled; nothing changed.",
                    "If you didn't ask for it, change your password: someone knows it.",
                ],
                now,
                [("Your security settings", self.mail.url("/account/security"))],
            )
            if notice is not None:
                messages.append(notice)
        for message in messages:
            deps.dispatcher.submit(message)

    # -- 3. finishing ------------------------------------------------------------------------

    async def finish(self, token: str, password: str, phone: str, ctx: RequestContext) -> Challenge:
        """After the wait: the password again, and a code to the new number."""
        deps = self.deps
        config = deps.config
        view = await self.view(token, LinkPurpose.FINISH_RECOVERY)
        if not view.ready or view.recovery.status is not RecoveryStatus.WAITING:
            raise Conflict("The waiting period isn't over yet.")
        recovery = view.recovery
        async with deps.store.autocommit() as uow:
            account = await uow.accounts.get(recovery.account_id)
        if account is None or account.disabled_at is not None:
            raise NotFound(GONE)
        await deps.limiter.hit(PASSWORD_ACCOUNT, account.email)
        candidate = normalize_password(password)
        if len(candidate) > MAX_PASSWORD_LENGTH or not await deps.hasher.verify(
            account.password_hash, candidate
        ):
            raise InvalidCredentials("That password is not right.")
        number = parse_mobile(
            phone, default_region=config.default_region, allowed_countries=config.allowed_countries
        )
        await hit_send_limits(deps.limiter, number, ctx, account.id, proven=False)
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            await uow.challenges.cancel_pending(account.id, Purpose.RECOVER, now)
            challenge, message = await self.issuer.open(
                uow,
                subject=ForAccount(account.id),
                intent=Recover(),
                destination=number,
                ctx=ctx,
            )
            moved = await uow.recoveries.move(
                recovery.id, RecoveryStatus.WAITING, {"challenge_id": challenge.id}
            )
            if not moved:
                raise NotFound(GONE)
        deps.dispatcher.submit(message)
        return challenge

    async def approve(
        self, uow: UnitOfWork, challenge: Challenge, now: datetime, request: VerifyRequest
    ) -> Approval:
        """The new number is proven: it becomes the account's, and everything else goes."""
        recovery = await uow.recoveries.for_challenge(challenge.id)
        if (
            recovery is None
            or recovery.status is not RecoveryStatus.WAITING
            or recovery.account_id != challenge.account_id
            or recovery.ready_at is None
            or now < recovery.ready_at
            or now >= recovery.expires_at
        ):
            raise Conflict("This recovery was canceled or has ended; nothing changed.")
        account = await uow.accounts.get(recovery.account_id)
        if account is None or account.disabled_at is not None:
            raise Conflict("This recovery was canceled or has ended; nothing changed.")
        old, new = account.phone, challenge.destination
        await uow.accounts.update(
            account.id, {"phone": new, "phone_verified": True, "phone_verified_at": now}
        )
        await cancel_pending_codes(uow, account.id, now)
        await uow.challenges.cancel_pending(account.id, Purpose.STEP_UP, now)
        await uow.challenges.cancel_pending(account.id, Purpose.VERIFY, now)
        signed_out = await uow.sessions.revoke_sessions(account.id, now)
        devices = await uow.sessions.revoke_devices(account.id, now)
        app_tokens = await uow.oauth.revoke_account(account.id, now)
        factors = 0
        for kind in (FactorKind.TOTP, FactorKind.PASSKEY, FactorKind.BACKUP_CODES):
            factors += await uow.factors.delete_kind(account.id, kind)
        await uow.recoveries.move(
            recovery.id,
            RecoveryStatus.WAITING,
            {"status": RecoveryStatus.COMPLETED.value, "ended_at": now, "ended_by": "customer"},
        )
        await uow.email_links.void_target(recovery.id, now)
        await audit(
            uow,
            EventType.RECOVERY_COMPLETED,
            "ok",
            at=now,
            ctx=request.ctx,
            account_id=account.id,
            recovery_id=recovery.id,
            signed_out=signed_out,
            devices=devices,
            app_tokens=app_tokens,
            factors=factors,
        )
        signed_in = await self.sessions.sign_in(
            uow, account.id, request.ctx, now, remember=False, purpose=challenge.purpose.value
        )
        messages = await self.notices.recovered(uow, account.id, old, new, now)
        return Approval(signed_in=signed_in, messages=tuple(messages))
