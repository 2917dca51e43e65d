"""High-risk actions: what a step-up code authorises, bound to its exact values (RTS 5).

A pending action is a type plus a canonical JSON payload. Its hash binds the code's challenge
to those exact values; approving applies exactly that payload, once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from otpgate.domain.language import DEFAULT_LANGUAGE, ENGLISH, Translator

# Languages whose code text keeps a change's first capital: German capitalises nouns
# ("Passwort ändern"), and its text reads "... Code für: Passwort ändern".
KEEPS_FIRST_CAPITAL = frozenset({"de"})


class ActionType(StrEnum):
    UPDATE_PROFILE = "update_profile"
    CHANGE_PASSWORD = "change_password"
    CHANGE_PHONE = "change_phone"
    CONFIRM_NEW_PHONE = "confirm_new_phone"
    ADD_ADDRESS = "add_address"
    UPDATE_ADDRESS = "update_address"
    DELETE_ADDRESS = "delete_address"
    ADD_PAYMENT_METHOD = "add_payment_method"
    UPDATE_PAYMENT_METHOD = "update_payment_method"
    DELETE_PAYMENT_METHOD = "delete_payment_method"
    ADD_FACTOR = "add_factor"
    REMOVE_FACTOR = "remove_factor"


@dataclass(frozen=True, slots=True)
class PendingAction:
    type: ActionType
    payload: dict[str, Any]
    summary: str

    @property
    def canonical(self) -> str:
        return canonical_json(self.payload)

    def digest(self, account_id: str, session_id: str) -> str:
        return action_hash(self.type, self.canonical, account_id, session_id)

    def bind(self, account_id: str, session_id: str) -> BoundAction:
        """The action as a step-up challenge holds it: tied to this account and session."""
        return BoundAction(
            type=self.type,
            summary=self.summary,
            payload=self.canonical,
            hash=self.digest(account_id, session_id),
        )


@dataclass(frozen=True, slots=True)
class BoundAction:
    """A pending action as stored on its challenge: the canonical payload and its hash."""

    type: ActionType
    summary: str
    payload: str
    hash: str

    def intact(self, account_id: str, session_id: str) -> bool:
        """Whether the stored action is still exactly the one its code was issued for."""
        return hmac.compare_digest(
            self.hash, action_hash(self.type, self.payload, account_id, session_id)
        )

    def values(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.payload)
        return loaded


def canonical_json(payload: dict[str, Any]) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def action_hash(action_type: str, canonical: str, account_id: str, session_id: str) -> str:
    """SHA-256 over everything the code authorises: who, from which session, what, which values."""
    material = "\x1f".join(("otpgate.action.v1", account_id, session_id, action_type, canonical))
    return hashlib.sha256(material.encode()).hexdigest()


def sms_purpose(summary: str, language: str = DEFAULT_LANGUAGE) -> str:
    """ "Add Visa ending 4242" -> "add Visa ending 4242" for "... code to <purpose>."; a
    German summary stays as it is (see ``KEEPS_FIRST_CAPITAL``)."""
    if language in KEEPS_FIRST_CAPITAL:
        return summary
    return summary[:1].lower() + summary[1:]


def phone_change_text(phone: str, words: Translator = ENGLISH) -> str:
    """ "Change your mobile number to +4915112345678" (the step-up) or to a masked number (the
    notice that it was done), in ``words``' language."""
    return words.gettext("Change your mobile number to %(phone)s") % {"phone": phone}
