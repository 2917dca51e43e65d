"""Step-up from the pages: a change waits on the code page, then returns where it came from.

Nothing about the change travels in the browser: the signed pre-session cookie names the
challenge, and the challenge itself says which action it holds. From the action we know which
page the change came from, what the code page should call it, and which confirmation to show.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from starlette.responses import Response

from otpgate import i18n
from otpgate.domain.actions import ActionType
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import InvalidInput, OtpgateError, Throttled
from otpgate.domain.language import N_
from otpgate.web.pages.common import Visit, shown
from otpgate.web.pages.public import wait_text
from otpgate.web.problems import status_for

SECURITY = "/account/security"
ADDRESSES = "/account/addresses"
PAYMENTS = "/account/payments"
# Marked here, translated where the code page names them.
SECTIONS = {
    SECURITY: N_("Login & security"),
    ADDRESSES: N_("Your addresses"),
    PAYMENTS: N_("Your payments"),
}

# Where each approved change returns to, and the confirmation shown there.
AFTER: dict[ActionType, tuple[str, str]] = {
    ActionType.UPDATE_PROFILE: (SECURITY, "profile_changed"),
    ActionType.CHANGE_PASSWORD: (SECURITY, "password_changed"),
    ActionType.CHANGE_PHONE: (SECURITY, "phone_changed"),  # continues with a second code
    ActionType.CONFIRM_NEW_PHONE: (SECURITY, "phone_changed"),
    ActionType.ADD_ADDRESS: (ADDRESSES, "address_added"),
    ActionType.UPDATE_ADDRESS: (ADDRESSES, "address_updated"),
    ActionType.DELETE_ADDRESS: (ADDRESSES, "address_removed"),
    ActionType.ADD_PAYMENT_METHOD: (PAYMENTS, "card_added"),
    ActionType.UPDATE_PAYMENT_METHOD: (PAYMENTS, "card_updated"),
    ActionType.DELETE_PAYMENT_METHOD: (PAYMENTS, "card_removed"),
    # Adding a factor goes on to its setup (``other_ways.after_factor_added``).
    ActionType.ADD_FACTOR: (SECURITY, "profile_changed"),
    ActionType.REMOVE_FACTOR: (SECURITY, "factor_removed"),
}


@dataclass(frozen=True, slots=True)
class Origin:
    """The account page a change came from."""

    path: str
    label: str
    flash: str


def action_of(challenge: Challenge | None) -> ActionType | None:
    if challenge is None or challenge.action is None:
        return None
    return challenge.action.type


def origin_of(challenge: Challenge | None) -> Origin | None:
    """Where a step-up challenge's change came from (None for sign-in codes)."""
    action = action_of(challenge)
    if action is None:
        return None
    path, flash = AFTER.get(action, ("/account", "profile_changed"))
    label = i18n.gettext(SECTIONS.get(path, N_("Your account")))
    return Origin(path=path, label=label, flash=flash)


def change_text(visit: Visit, challenge: Challenge) -> str | None:
    """What the code is for, to follow "… to": "add Visa ending 4242", in the page's language:
    described again from the payload the code approves, as the text describes it in the
    account's (the stored summary is the English one)."""
    if challenge.action is None or not challenge.action.summary:
        return None
    return visit.services.challenges.purpose_text(challenge, i18n.current())


def ask_for_code(visit: Visit, challenge: Challenge) -> Response:
    """Send the browser to the code page for ``challenge`` (its id stays in the cookie)."""
    visit.remember_challenge(challenge.id)
    return visit.redirect("/verify")


def refusal(
    exc: OtpgateError, fields: Collection[str], now: datetime
) -> tuple[dict[str, str], int]:
    """A refused request as form errors: next to its field when it names one, else on top
    (key ``form``), with the status the page answers."""
    if isinstance(exc, InvalidInput) and exc.field in fields:
        return {exc.field: shown(exc)}, 422
    if isinstance(exc, Throttled):
        return {"form": wait_text(exc, now)}, 429
    return {"form": shown(exc)}, status_for(exc)
