"""The action seam: what each kind of step-up change says (``describe``) and does (``apply``).

One explicit registry, ``ActionType -> ActionHandler``, built by ``bootstrap`` and checked for
completeness at start-up (``check_actions``): a change type without a handler can't be
requested, and never fails at verify time. ``describe`` is a pure function of the payload, so
the words on the code page and in the message are derived from exactly the values the code
approves (RTS 5 dynamic linking), in whichever language they are written: the stored summary
is the English one, the SMS names the change in the account's language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from otpgate.domain.actions import ActionType
from otpgate.domain.challenges import Challenge
from otpgate.domain.errors import Conflict, NotFound
from otpgate.domain.language import ENGLISH, Translator
from otpgate.services.approvals import Approval, VerifyRequest
from otpgate.services.storage import UnitOfWork


@dataclass(frozen=True, slots=True)
class Approving:
    """The approving moment an action is applied in: its challenge, its time, its request."""

    challenge: Challenge
    account_id: str
    session_id: str
    now: datetime
    request: VerifyRequest


class ActionHandler(Protocol):
    def describe(self, payload: Mapping[str, Any], words: Translator = ENGLISH) -> str:
        """The change in words, e.g. "Add Visa ending 4242" (page and message), in ``words``'
        language; every value of ``payload`` the change applies is named, in full."""
        ...

    async def apply(
        self, uow: UnitOfWork, approving: Approving, payload: Mapping[str, Any]
    ) -> Approval:
        """Apply exactly ``payload`` inside the approving transaction."""
        ...


Actions = Mapping[ActionType, ActionHandler]


def check_actions(actions: Actions) -> None:
    """Refuse to start unless every action type has its handler."""
    missing = [action.value for action in ActionType if action not in actions]
    if missing:
        raise ValueError(f"no step-up handler for {', '.join(missing)}")


async def ensure_applied(
    applied: bool,
    current: Callable[[], Awaitable[object | None]],
    *,
    gone: NotFound,
    moved: str,
) -> None:
    """After a write conditional on a row's version: nothing to do when it applied; else say
    whether the row is gone (``gone``) or moved on since the code was sent (``Conflict``)."""
    if applied:
        return
    if await current() is None:
        raise gone
    raise Conflict(moved)
