"""Login & security: name, email, password and mobile number, each behind a step-up code.

``ProfileService`` asks for the changes; the handlers below say and apply them once a code
approves (they are registered in the action registry by ``bootstrap``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from otpgate import i18n
from otpgate.domain.accounts import Account, EventType
from otpgate.domain.actions import ActionType, phone_change_text
from otpgate.domain.challenges import Challenge, Purpose
from otpgate.domain.channels import Channel
from otpgate.domain.emails import normalize_email
from otpgate.domain.errors import Conflict, InvalidInput
from otpgate.domain.language import ENGLISH, N_, Translator, supported
from otpgate.domain.passwords import check_password, normalize_password
from otpgate.domain.phones import mask, parse_mobile
from otpgate.domain.text import quote
from otpgate.services.actions import Approving
from otpgate.services.approvals import AccountChanged, Approval, FollowUp, PasswordChanged
from otpgate.services.audit import audit
from otpgate.services.deps import Deps
from otpgate.services.languages import account_language
from otpgate.services.limits import PASSWORD_CHANGE
from otpgate.services.mail import MailService
from otpgate.services.outbox import Draft, queue_message
from otpgate.services.ports import OutgoingMessage, RequestContext
from otpgate.services.principal import Customer
from otpgate.services.registration import clean_name
from otpgate.services.sessions import SessionService, SignedInSession
from otpgate.services.stepup import StepUpService
from otpgate.services.storage import AccountChanges, UnitOfWork


class ProfileService:
    def __init__(self, deps: Deps, stepup: StepUpService) -> None:
        self.deps = deps
        self.stepup = stepup

    async def set_language(self, customer: Customer, language: str) -> str:
        """The language of the account's SMS and email (the picker's choice when signed in);
        returns the one chosen ("de-AT" is "de").

        Not a step-up change: it shows nothing and moves nothing, and every code message
        still names its whole purpose in that language."""
        chosen = supported(language)
        if chosen is None:
            raise InvalidInput("language", "Choose one of the languages on the list.")
        if customer.account.language != chosen:
            async with self.deps.store.autocommit() as uow:
                await uow.accounts.update(customer.account.id, AccountChanges(language=chosen))
        return chosen

    async def request_profile_change(
        self, customer: Customer, ctx: RequestContext, name: str | None, email: str | None
    ) -> Challenge:
        """Ask for a code to change the name and/or email.

        A taken email is not refused here (that would reveal someone else's account to anyone
        with a session); it is refused, generically, when the change is applied.
        """
        account = customer.account
        changes: dict[str, str] = {}
        if name is not None and clean_name(name) != account.name:
            changes["name"] = clean_name(name)
        if email is not None and normalize_email(email) != account.email:
            changes["email"] = normalize_email(email)
        if not changes:
            raise InvalidInput("name", "Nothing would change: enter a new name or email.")
        return await self.stepup.request(customer, ActionType.UPDATE_PROFILE, changes, ctx)

    async def request_password_change(
        self, customer: Customer, ctx: RequestContext, current: str, new: str
    ) -> Challenge:
        """Check the current password, vet the new one, and ask for a code (S26)."""
        deps = self.deps
        account = customer.account
        await deps.limiter.hit(PASSWORD_CHANGE, account.id)
        if not await deps.hasher.verify(account.password_hash, normalize_password(current)):
            async with deps.store.transaction() as uow:
                await audit(
                    uow,
                    EventType.PASSWORD_CHANGE_FAILED,
                    "wrong_current_password",
                    at=deps.clock.now(),
                    ctx=ctx,
                    account_id=account.id,
                    session_id=customer.session.id,
                )
            raise InvalidInput("current_password", "Your current password is not right.")
        context = [deps.config.brand, account.email.split("@")[0], *account.name.split()]
        normalized = check_password(new, context=context, field="new_password")
        if await deps.hasher.verify(account.password_hash, normalized):
            raise InvalidInput("new_password", "That is your current password; choose a new one.")
        payload = {"password_hash": await deps.hasher.hash(normalized)}
        return await self.stepup.request(customer, ActionType.CHANGE_PASSWORD, payload, ctx)

    async def request_phone_change(
        self, customer: Customer, ctx: RequestContext, phone: str
    ) -> Challenge:
        """First code: to the CURRENT number, to authorise the change (S25)."""
        config = self.deps.config
        number = parse_mobile(
            phone, default_region=config.default_region, allowed_countries=config.allowed_countries
        )
        if number == customer.account.phone:
            raise InvalidInput("phone", "That is already your mobile number.")
        payload = {"phone": number, "old": customer.account.phone}
        return await self.stepup.request(customer, ActionType.CHANGE_PHONE, payload, ctx)


# -- the handlers ------------------------------------------------------------------------------


class UpdateProfile:
    """A new name applies at once; a new email waits in ``pending_email`` until the link
    mailed to it is opened (DESIGN §5.7). Whether the address is taken changes nothing in the
    answer (no probing for accounts from a session): a taken address simply never gets a
    link, and a link opened after someone else took it changes nothing."""

    def __init__(self, mail: MailService | None = None) -> None:
        self.mail = mail

    def describe(self, payload: Mapping[str, Any], words: Translator = ENGLISH) -> str:
        # The new values in full and quoted: the code approves exactly these (S24, S41).
        values = {key: quote(payload[key]) for key in ("name", "email") if key in payload}
        if len(values) == 2:
            text = words.gettext("Change your name to %(name)s and your email to %(email)s")
        elif "name" in values:
            text = words.gettext("Change your name to %(name)s")
        else:
            text = words.gettext("Change your email to %(email)s")
        return text % values

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id = approving.account_id
        changes: AccountChanges = {}
        messages: list[OutgoingMessage] = []
        if "name" in payload:
            changes["name"] = payload["name"]
        if "email" in payload and self.mail is None:
            other = await uow.accounts.get_by_email(payload["email"])
            if other is not None and other.id != account_id:
                raise Conflict(N_("That email address can't be used. Choose another one."))
            changes["email"] = payload["email"]
        elif "email" in payload and self.mail is not None:
            address = payload["email"]
            changes["pending_email"] = address
            other = await uow.accounts.get_by_email(address)
            if other is None:
                messages.append(
                    await self.mail.confirmation(uow, account_id, address, approving.now)
                )
            await audit(
                uow,
                EventType.EMAIL_CHANGE_PENDING,
                "pending",
                at=approving.now,
                ctx=approving.request.ctx,
                account_id=account_id,
            )
        if changes:
            await uow.accounts.update(account_id, changes)
        account = await uow.accounts.get(account_id)
        assert account is not None
        return Approval(result=AccountChanged(account), messages=tuple(messages))


class ChangePassword:
    def __init__(self, sessions: SessionService) -> None:
        self.sessions = sessions

    def describe(self, payload: Mapping[str, Any], words: Translator = ENGLISH) -> str:
        return words.gettext("Change your password")

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        account_id, now, ctx = approving.account_id, approving.now, approving.request.ctx
        await uow.accounts.update(account_id, {"password_hash": payload["password_hash"]})
        # Everyone else is signed out and every trusted browser forgotten (S26); this browser
        # gets a new session id, since its privilege just changed (ASVS 7.2.4).
        await cancel_pending_codes(uow, account_id, now)
        signed_out = await uow.sessions.revoke_sessions(account_id, now)
        forgotten = await uow.sessions.revoke_devices(account_id, now)
        # An app's refresh token is a session too: whoever signed in before the change loses
        # the apps as well.
        await uow.oauth.revoke_account(account_id, now)
        issued = await self.sessions.issue(uow, account_id, ctx, now)
        await _changed(uow, approving, signed_out=signed_out, devices=forgotten)
        return Approval(
            signed_in=SignedInSession(issued),
            result=PasswordChanged(signed_out - 1, forgotten),
        )


class ChangePhone:
    """Step one of a new number: the old number said yes; the new one must prove itself."""

    def describe(self, payload: Mapping[str, Any], words: Translator = ENGLISH) -> str:
        # In full (E.164, digits only): a masked number would let a look-alike pass (S24).
        return phone_change_text(payload["phone"], words)

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        follow_up = FollowUp(
            action_type=ActionType.CONFIRM_NEW_PHONE,
            payload={"phone": payload["phone"], "old": payload["old"]},
            destination=payload["phone"],
        )
        return Approval(follow_up=follow_up)


class ConfirmNewPhone:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def describe(self, payload: Mapping[str, Any], words: Translator = ENGLISH) -> str:
        return words.gettext("Confirm your new mobile number")

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        now = approving.now
        account = await uow.accounts.get(approving.account_id)
        if account is None or account.phone != payload["old"]:
            raise Conflict(N_("Your mobile number changed in the meantime. Start again."))
        await uow.accounts.update(
            account.id,
            {"phone": payload["phone"], "phone_verified": True, "phone_verified_at": now},
        )
        forgotten = await uow.sessions.revoke_devices(account.id, now)
        await cancel_pending_codes(uow, account.id, now)
        # A verification texted to the old number must not approve anything any more.
        await uow.challenges.cancel_pending(account.id, Purpose.VERIFY, now)
        notice = await self._notice(uow, account, payload["old"], payload["phone"], now)
        await _changed(uow, approving, devices=forgotten, phone=mask(payload["phone"]))
        changed = await uow.accounts.get(account.id)
        assert changed is not None
        return Approval(result=AccountChanged(changed), messages=(notice,))

    async def _notice(
        self, uow: UnitOfWork, account: Account, old: str, new: str, now: datetime
    ) -> OutgoingMessage:
        """Tell the old number that it no longer receives this account's codes (S25), in
        the account's language."""
        words = i18n.translator(account_language(account))
        body = words.gettext(
            "Your %(brand)s mobile number was changed to %(phone)s. If this wasn't you, "
            "contact us right away."
        ) % {"brand": self.deps.config.brand, "phone": mask(new)}
        draft = Draft(
            channel=Channel.SMS,
            to=old,
            body=body,
            body_redacted=body,  # no code in a notice: nothing to blank out
            purpose="notice",
            expires_at=now + timedelta(hours=1),
            account_id=account.id,
        )
        return await queue_message(self.deps, uow, draft, now)


async def cancel_pending_codes(uow: UnitOfWork, account_id: str, now: datetime) -> None:
    """A sign-in begun with the old password or number must not finish after the change."""
    await uow.challenges.cancel_pending(account_id, Purpose.SIGN_IN, now)
    await uow.challenges.cancel_pending(account_id, Purpose.VERIFY_PHONE, now)


async def _changed(uow: UnitOfWork, approving: Approving, **details: object) -> None:
    await audit(
        uow,
        EventType.CHANGE_APPLIED,
        "ok",
        at=approving.now,
        ctx=approving.request.ctx,
        account_id=approving.account_id,
        **details,
    )
