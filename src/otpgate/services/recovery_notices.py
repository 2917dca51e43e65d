"""What a recovery tells the customer, and where (services/recovery.py): the mails to the
confirmed address and the texts to the old number, in the account's language. None carries a
code that signs in; the cancel links are bearer links, so a text's stored copy
(``body_redacted``) leaves them out."""

from __future__ import annotations

from datetime import datetime, timedelta

from otpgate import i18n
from otpgate.domain.accounts import Account
from otpgate.domain.channels import Channel
from otpgate.domain.language import N_, Translator
from otpgate.domain.mail import Mail, compose
from otpgate.domain.phones import mask
from otpgate.services.deps import Deps
from otpgate.services.email_storage import LinkPurpose, Recovery
from otpgate.services.languages import account_language
from otpgate.services.mail import MailService
from otpgate.services.outbox import Draft, queue_message
from otpgate.services.ports import OutgoingMessage
from otpgate.services.storage import UnitOfWork

CANCEL = N_("Cancel, this wasn't me")
CONTACT_US = N_("If this wasn't you, contact us right away.")


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
        words = i18n.translator(account_language(account))
        minutes, hours = _minutes(link_life), _hours(wait)
        return await self.mail.send(
            uow,
            account.email,
            compose(
                words.gettext("Recover your %(brand)s account?") % {"brand": brand},
                [
                    words.gettext(
                        "Someone who knows your %(brand)s password said they lost their phone "
                        "and asked to recover your account."
                    )
                    % {"brand": brand},
                    " ".join(
                        (
                            words.ngettext(
                                "If this was you, open the first link within %(count)d minute.",
                                "If this was you, open the first link within %(count)d minutes.",
                                minutes,
                            )
                            % {"count": minutes},
                            words.ngettext(
                                "For your safety you can finish %(count)d hour after that, and "
                                "we'll tell your current number too.",
                                "For your safety you can finish %(count)d hours after that, and "
                                "we'll tell your current number too.",
                                hours,
                            )
                            % {"count": hours},
                        )
                    ),
                    words.gettext(
                        "If this wasn't you, cancel, then change your password: someone knows it."
                    ),
                ],
                [
                    (
                        words.gettext("Start recovering my account"),
                        self.mail.url("/recovery/start", start),
                    ),
                    (words.gettext(CANCEL), self.mail.url("/recovery/cancel", cancel)),
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
        words = i18n.translator(account_language(account))
        when = {"brand": brand, "when": i18n.format_moment(ready_at, words.language)}
        mail = await self.mail.send(
            uow,
            account.email,
            compose(
                words.gettext("Recovery of your %(brand)s account has started") % when,
                [
                    words.gettext(
                        "You can finish recovering your %(brand)s account from %(when)s, with "
                        "your password and a new mobile number. We told your current number too."
                    )
                    % when,
                    words.gettext("If this wasn't you, cancel now and change your password."),
                ],
                [
                    (
                        words.gettext("Finish recovering (from %(when)s)") % when,
                        self.mail.url("/recovery/finish", finish_token),
                    ),
                    (words.gettext(CANCEL), self.mail.url("/recovery/cancel", cancel_mail)),
                ],
            ),
            now,
            account_id=account.id,
            purpose="recovery",
            lifetime=until - now,
        )
        body = words.gettext(
            "Someone asked to recover your %(brand)s account, as if this phone were lost. If "
            "this wasn't you, cancel: %(link)s"
        ) % {"brand": brand, "link": self.mail.url("/recovery/cancel", cancel_text)}
        redacted = words.gettext(
            "Someone asked to recover your %(brand)s account. (cancel link)"
        ) % {"brand": brand}
        text = await queue_message(
            self.deps,
            uow,
            Draft(
                channel=Channel.SMS,
                to=account.phone,
                body=body,
                # The cancel link only cancels, but it is a bearer link: kept sealed.
                body_redacted=redacted,
                purpose="notice",
                expires_at=now + timedelta(hours=1),
                account_id=account.id,
            ),
            now,
        )
        return [mail, text]

    async def canceled(
        self, uow: UnitOfWork, account_id: str, now: datetime
    ) -> OutgoingMessage | None:
        brand = {"brand": self.deps.config.brand}

        def letter(words: Translator) -> Mail:
            return compose(
                words.gettext("Recovery of your %(brand)s account was canceled") % brand,
                [
                    words.gettext(
                        "The request to recover your account was canceled; nothing changed."
                    ),
                    words.gettext(
                        "If you didn't ask for it, change your password: someone knows it."
                    ),
                ],
                [(words.gettext("Your security settings"), self.mail.url("/account/security"))],
            )

        return await self.mail.notice(uow, account_id, letter, now)

    async def recovered(
        self, uow: UnitOfWork, account_id: str, old: str, new: str, now: datetime
    ) -> list[OutgoingMessage]:
        said = {"brand": self.deps.config.brand, "phone": mask(new)}
        out: list[OutgoingMessage] = []

        def letter(words: Translator) -> Mail:
            return compose(
                words.gettext("Your %(brand)s account was recovered") % said,
                [
                    words.gettext(
                        "Your %(brand)s account was recovered with the new mobile number "
                        "%(phone)s. Every browser was signed out and your other sign-in methods "
                        "were removed."
                    )
                    % said,
                    words.gettext(CONTACT_US),
                ],
            )

        notice = await self.mail.notice(uow, account_id, letter, now)
        if notice is not None:
            out.append(notice)
        account = await uow.accounts.get(account_id)
        words = i18n.translator(account_language(account))
        body = (
            words.gettext(
                "Your %(brand)s account was recovered and moved to the number %(phone)s. If this "
                "wasn't you, contact us right away."
            )
            % said
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
