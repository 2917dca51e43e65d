"""Email: proving an address, and telling its owner what happened to the account.

Mail goes through the transactional outbox like every text (``services/outbox.py``): the row
is written in the caller's transaction and handed to delivery after it commits. What it
carries is never a code that signs in (N4 3.1.3.1, S8): links that confirm an address or act
on a recovery, and notices.

An address receives mail only once proven (S57): registering mails a confirmation link to
the address given, and a changed address waits in ``pending_email`` until the link mailed to
it is opened (DESIGN §5.7). Notices go only to a confirmed address.

Every mail is written in the account's language (``services/languages.py``), dates with
``i18n.format_moment``: a notice reaches the account's owner, whoever's browser caused it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from otpgate import i18n
from otpgate.domain.accounts import Account, EventType
from otpgate.domain.channels import Channel
from otpgate.domain.errors import Conflict, NotFound
from otpgate.domain.language import N_, Translator
from otpgate.domain.mail import Mail, compose
from otpgate.domain.tokens import new_id
from otpgate.services.audit import audit
from otpgate.services.deps import Deps
from otpgate.services.email_storage import EmailLink, LinkPurpose
from otpgate.services.languages import account_language
from otpgate.services.limits import EMAIL_LINK_ACCOUNT
from otpgate.services.outbox import Draft, queue_message
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.storage import UnitOfWork

NOTICE_LIFETIME = timedelta(days=1)
LINK_GONE = N_("This link has expired or was already used.")
# What to do when a notice tells of something the reader didn't do.
NOT_YOU = N_("If this wasn't you, change your password and sign out everywhere right away.")
# A notice, written once its reader's language is known.
Letter = Callable[[Translator], Mail]


def token_hash(token: str) -> str:
    """How a link's token is stored and looked up (256 random bits: a plain hash will do)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class EmailConfirmed:
    account: Account
    changed: bool  # a new address replaced the old one (not a first confirmation)


class MailService:
    """Links, confirmation and notices by email."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # -- building blocks ---------------------------------------------------------------------

    def url(self, path: str, token: str | None = None) -> str:
        base = self.deps.config.base_url + path
        return base if token is None else f"{base}?token={token}"

    async def issue_link(
        self,
        uow: UnitOfWork,
        account_id: str,
        purpose: LinkPurpose,
        now: datetime,
        lifetime: timedelta,
        *,
        email: str | None = None,
        target_id: str | None = None,
        channel: str = "email",
    ) -> str:
        """A new single-use link token (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        await uow.email_links.add(
            EmailLink(
                id=new_id("lnk"),
                account_id=account_id,
                purpose=purpose,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + lifetime,
                email=email,
                target_id=target_id,
                channel=channel,
            )
        )
        return token

    async def send(
        self,
        uow: UnitOfWork,
        to: str,
        mail: Mail,
        now: datetime,
        *,
        account_id: str,
        purpose: str,
        lifetime: timedelta = NOTICE_LIFETIME,
    ) -> OutgoingMessage:
        """Queue ``mail`` in the outbox (the caller submits it after the commit)."""
        draft = Draft(
            channel=Channel.EMAIL,
            to=to,
            body=mail.encode(),
            # What people (operators, the ledger) see: the subject, never a link's token.
            body_redacted=mail.subject,
            purpose=purpose,
            expires_at=now + lifetime,
            account_id=account_id,
        )
        return await queue_message(self.deps, uow, draft, now)

    # -- proving an address ------------------------------------------------------------------

    async def confirmation(
        self, uow: UnitOfWork, account_id: str, address: str, now: datetime
    ) -> OutgoingMessage:
        """Mail a confirmation link to ``address`` (a newer link voids the older ones), in
        the account's language (a changed address too: it is the same owner's)."""
        config = self.deps.config
        lifetime = timedelta(seconds=config.mail.link_seconds)
        await uow.email_links.void(account_id, LinkPurpose.CONFIRM_EMAIL, now)
        token = await self.issue_link(
            uow, account_id, LinkPurpose.CONFIRM_EMAIL, now, lifetime, email=address
        )
        words = i18n.translator(account_language(await uow.accounts.get(account_id)))
        hours = config.mail.link_seconds // 3600
        brand = {"brand": config.brand}
        mail = compose(
            words.gettext("Confirm your email address for %(brand)s") % brand,
            [
                words.gettext(
                    "Open this link to confirm that this address belongs to your %(brand)s "
                    "account. Until you do, we send nothing else here."
                )
                % brand,
                words.ngettext(
                    "The link works once, for %(count)d hour. If you didn't ask for this, "
                    "ignore this email: nothing changes.",
                    "The link works once, for %(count)d hours. If you didn't ask for this, "
                    "ignore this email: nothing changes.",
                    hours,
                )
                % {"count": hours},
            ],
            [(words.gettext("Confirm this address"), self.url("/email/confirm", token))],
        )
        return await self.send(
            uow,
            address,
            mail,
            now,
            account_id=account_id,
            purpose="confirm_email",
            lifetime=lifetime,
        )

    async def pending_link(self, token: str) -> EmailLink:
        """The unused link behind ``token`` (for the page that asks to confirm), or NotFound."""
        async with self.deps.store.autocommit() as uow:
            link = await uow.email_links.find(
                token_hash(token), LinkPurpose.CONFIRM_EMAIL, self.deps.clock.now()
            )
        if link is None:
            raise NotFound(LINK_GONE)
        return link

    async def confirm(self, token: str, ctx: RequestContext) -> EmailConfirmed:
        """Spend the link: the address it was mailed to is proven, and (a change) becomes the
        account's address; the old address is told. A link to an address another account
        took in the meantime changes nothing (the mailbox owner alone sees that answer)."""
        deps = self.deps
        messages: list[OutgoingMessage] = []
        async with deps.store.transaction() as uow:
            now = deps.clock.now()
            link = await uow.email_links.take(token_hash(token), LinkPurpose.CONFIRM_EMAIL, now)
            account = await uow.accounts.get(link.account_id) if link is not None else None
            if link is None or account is None or link.email is None:
                raise NotFound(LINK_GONE)
            changed = link.email != account.email
            if changed and link.email != account.pending_email:
                raise NotFound(LINK_GONE)
            if changed:
                other = await uow.accounts.get_by_email(link.email)
                if other is not None and other.id != account.id:
                    raise Conflict(N_("This address can't be used for your account."))
                old, old_verified = account.email, account.email_verified
                await uow.accounts.update(
                    account.id,
                    {
                        "email": link.email,
                        "email_verified": True,
                        "email_verified_at": now,
                        "pending_email": None,
                    },
                )
                if old_verified:
                    messages.append(await self._told_old(uow, account, old, link.email, now))
            else:
                await uow.accounts.update(
                    account.id, {"email_verified": True, "email_verified_at": now}
                )
            await audit(
                uow,
                EventType.EMAIL_CONFIRMED,
                "ok",
                at=now,
                ctx=ctx,
                account_id=account.id,
                changed=changed,
            )
            confirmed = await uow.accounts.get(account.id)
            assert confirmed is not None
        for message in messages:
            deps.dispatcher.submit(message)
        return EmailConfirmed(confirmed, changed)

    async def _told_old(
        self, uow: UnitOfWork, account: Account, old: str, new: str, now: datetime
    ) -> OutgoingMessage:
        brand = self.deps.config.brand
        words = i18n.translator(account_language(account))
        mail = compose(
            words.gettext("Your %(brand)s email address was changed") % {"brand": brand},
            [
                words.gettext(
                    "The email address of your %(brand)s account is now %(email)s. We won't "
                    "send anything to this address any more."
                )
                % {"brand": brand, "email": new},
                words.gettext(NOT_YOU),
            ],
            [(words.gettext("Your security settings"), self.url("/account/security"))],
        )
        return await self.send(uow, old, mail, now, account_id=account.id, purpose="notice")

    async def resend_confirmation(self, account: Account) -> None:
        """Mail the link again (to the pending address, else the unproven one)."""
        address = account.pending_email or (None if account.email_verified else account.email)
        if address is None:
            return
        await self.deps.limiter.hit(EMAIL_LINK_ACCOUNT, account.id)
        async with self.deps.store.transaction() as uow:
            message = await self.confirmation(uow, account.id, address, self.deps.clock.now())
        self.deps.dispatcher.submit(message)

    # -- notices -------------------------------------------------------------------------------

    async def notice(
        self, uow: UnitOfWork, account_id: str, letter: Letter, now: datetime
    ) -> OutgoingMessage | None:
        """A notice to the account's confirmed address (None when it has none), ``letter``
        written in the account's language."""
        account = await uow.accounts.get(account_id)
        if account is None or not account.email_verified:
            return None
        mail = letter(i18n.translator(account_language(account)))
        return await self.send(
            uow, account.email, mail, now, account_id=account_id, purpose="notice"
        )

    async def change_applied(
        self,
        uow: UnitOfWork,
        account_id: str,
        summary: Callable[[Translator], str],
        now: datetime,
        *,
        factor: bool,
    ) -> OutgoingMessage | None:
        """``change_applied`` / ``factor_changed``: what was done, in the step-up's words
        (``summary`` names the change in the mail's language)."""
        mail_config = self.deps.config.mail
        if not (mail_config.notify_factor_changes if factor else mail_config.notify_changes):
            return None
        brand = {"brand": self.deps.config.brand}

        def letter(words: Translator) -> Mail:
            subject = (
                words.gettext("Your %(brand)s sign-in methods changed")
                if factor
                else words.gettext("Your %(brand)s account changed")
            )
            return compose(
                subject % brand,
                [
                    words.gettext("This change was made to your %(brand)s account: %(change)s.")
                    % {**brand, "change": summary(words)},
                    words.gettext(NOT_YOU),
                ],
                [
                    (
                        words.gettext("Review your security settings"),
                        self.url("/account/security"),
                    )
                ],
            )

        return await self.notice(uow, account_id, letter, now)

    async def new_sign_in(
        self, uow: UnitOfWork, account_id: str, ctx: RequestContext, now: datetime
    ) -> OutgoingMessage | None:
        """``new_sign_in``: a browser this account was never signed in from (by the
        user agent of its earlier sign-ins) was just signed in."""
        if not self.deps.config.mail.notify_new_sign_in:
            return None
        seen = await uow.audit.list(account_id, 200)
        signed_in = (EventType.SIGNIN_SUCCEEDED, EventType.SIGNIN_TRUSTED_DEVICE)
        agent = (ctx.user_agent or "")[:300] or None  # as the trail stores it
        if any(e.type in signed_in and e.user_agent == agent for e in seen):
            return None
        brand = self.deps.config.brand
        typed = " ".join((ctx.user_agent or "").split())[:120]

        def letter(words: Translator) -> Mail:
            browser = typed or words.gettext("an unknown browser")
            return compose(
                words.gettext("New sign-in to your %(brand)s account") % {"brand": brand},
                [
                    words.gettext(
                        "Your %(brand)s account was signed in from a browser we hadn't seen "
                        "before, on %(when)s: %(browser)s (address %(ip)s)."
                    )
                    % {
                        "brand": brand,
                        "when": i18n.format_moment(now, words.language),
                        "browser": browser,
                        "ip": ctx.ip,
                    },
                    words.gettext(
                        "Was this you? Then there is nothing to do. If it wasn't, sign out "
                        "everywhere and change your password right away."
                    ),
                ],
                [
                    (words.gettext("Sign out everywhere"), self.url("/account/devices")),
                    (words.gettext("Change your password"), self.url("/account/security")),
                ],
            )

        return await self.notice(uow, account_id, letter, now)
