"""What a recovery tells the customer, and where (services/recovery.py): the mails to the
confirmed address and the texts to the old number. None carries a code that signs in; the
cancel links are bearer links, so a text's stored copy (``body_redacted``) leaves them out."""

from __future__ import annotations

from datetime import datetime, timedelta

from otpgate.domain.accounts import Account
from otpgate.domain.channels import Channel
from otpgate.domain.mail import compose
from otpgate.domain.phones import mask
from otpgate.services.deps import Deps
from otpgate.services.email_storage import LinkPurpose, Recovery
from otpgate.services.mail import MailService
from otpgate.services.outbox import Draft, queue_message
from otpgate.services.ports import OutgoingMessage
from otpgate.services.storage import UnitOfWork


class RecoveryNotices:
    def __init__(self, deps: Deps, mail: MailService) -> None:
        self.deps = deps
        self.mail = mail

    @property
    def _config(self) -> tuple[timedelta, timedelta, timedelta]:
        mail = self.deps.config.mail
        return (
            timedelta(seconds=mail.recovery_link_seconds),
            timedelta(seconds=mail.recovery_wait_seconds),
            timedelta(seconds=mail.recovery_finish_seconds),
        )

    async def asked(
        self, uow: UnitOfWork, account: Account, recovery: Recovery, now: datetime
    ) -> OutgoingMessage:
        link_life, wait, finish = self._config
        brand = self.deps.config.brand
        start = await self.mail.issue_link(
            uow, account.id, LinkPurpose.START_RECOVERY, now, link_life, target_id=recovery.id
        )
        cancel = await self.mail.issue_link(
            uow,
            account.id,
            LinkPurpose.CANCEL_RECOVERY,
            now,
            link_life + wait + finish,
            target_id=recovery.id,
        )
        hours = _hours(wait)
        return await self.mail.send(
            uow,
            account.email,
            compose(
                f"Recover your {brand} account?",
                [
                    f"Someone who knows your {brand} password said they lost their phone and "
                    "asked to recover your account.",
                    f"If this was you, open the first link within {_minutes(link_life)} "
                    f"minutes. For your safety you can finish {hours} hours after that, and "
                    "we'll tell your current number too.",
                    "If this wasn't you, cancel, then change your password: someone knows it.",
                ],
                [
                    ("Start recovering my account", self.mail.url("/recovery/start", start)),
                    ("Cancel, this wasn't me", self.mail.url("/recovery/cancel", cancel)),
                ],
            ),
            now,
            account_id=account.id,
            purpose="recovery",
            lifetime=link_life,
        )

    async def started(
        self,
        uow: UnitOfWork,
        account: Account,
        recovery_id: str,
        now: datetime,
        ready_at: datetime,
        finish: timedelta,
    ) -> list[OutgoingMessage]:
        brand = self.deps.config.brand
        until = ready_at + finish
        finish_token = await self.mail.issue_link(
            uow, account.id, LinkPurpose.FINISH_RECOVERY, now, until - now, target_id=recovery_id
        )
        cancel_mail = await self.mail.issue_link(
            uow, account.id, LinkPurpose.CANCEL_RECOVERY, now, until - now, target_id=recovery_id
        )
        cancel_text = await self.mail.issue_link(
            uow,
            account.id,
            LinkPurpose.CANCEL_RECOVERY,
            now,
            until - now,
            target_id=recovery_id,
            channel="sms",
        )
        when = when_text(ready_at)
        mail = await self.mail.send(
            uow,
            account.email,
            compose(
                f"Recovery of your {brand} account has started",
                [
                    f"You can finish recovering your {brand} account from {when}, with your "
                    "password and a new mobile number. We told your current number too.",
                    "If this wasn't you, cancel now and change your password.",
                ],
                [
                    (
                        "Finish recovering (from " + when + ")",
                        self.mail.url("/recovery/finish", finish_token),
                    ),
                    ("Cancel, this wasn't me", self.mail.url("/recovery/cancel", cancel_mail)),
                ],
            ),
            now,
            account_id=account.id,
            purpose="recovery",
            lifetime=until - now,
        )
        body = (
            f"Someone asked to recover your {brand} account, as if this phone were lost. "
            f"If this wasn't you, cancel: {self.mail.url('/recovery/cancel', cancel_text)}"
        )
        text = await queue_message(
            self.deps,
            uow,
            Draft(
                channel=Channel.SMS,
                to=account.phone,
                body=body,
                # The cancel link only cancels, but it is a bearer link: kept sealed.
                body_redacted=f"Someone asked to recover your {brand} account. (cancel link)",
                purpose="notice",
                expires_at=now + timedelta(hours=1),
                account_id=account.id,
            ),
            now,
        )
        return [mail, text]

    async def recovered(
        self, uow: UnitOfWork, account_id: str, old: str, new: str, now: datetime
    ) -> list[OutgoingMessage]:
        brand = self.deps.config.brand
        out: list[OutgoingMessage] = []
        notice = await self.mail.notice(
            uow,
            account_id,
            f"Your {brand} account was recovered",
            [
                f"Your {brand} account was recovered with the new mobile number {mask(new)}. "
                "Every browser was signed out and your other sign-in methods were removed.",
                "If this wasn't you, contact us right away.",
            ],
            now,
        )
        if notice is not None:
            out.append(notice)
        body = (
            f"Your {brand} account was recovered and moved to the number {mask(new)}. "
            "If this wasn't you, contact us right away."
        )
        out.append(
            await queue_message(
                self.deps,
                uow,
                Draft(
                    channel=Channel.SMS,
                    to=old,
                    body=body,
                    body_redacted=body,
                    purpose="notice",
                    expires_at=now + timedelta(hours=1),
                    account_id=account_id,
                ),
                now,
            )
        )
        return out


def _hours(delta: timedelta) -> int:
    return max(1, round(delta.total_seconds() / 3600))


def _minutes(delta: timedelta) -> int:
    return max(1, round(delta.total_seconds() / 60))


def when_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
