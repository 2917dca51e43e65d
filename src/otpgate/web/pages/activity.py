"""Security activity: every event of the account in words, with the changes codes were for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from starlette.responses import Response

from otpgate import i18n
from otpgate.domain.accounts import EventType, SecurityEvent
from otpgate.domain.challenges import Purpose
from otpgate.domain.language import N_
from otpgate.web.pages.common import member

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 30
Tone = Literal["neutral", "good", "warning"]

# What each security event means to the customer, and whether it deserves their attention.
# Message ids: translated when a page describes an event (``describe``), never here.
EVENT_TEXT: dict[EventType, tuple[str, Tone]] = {
    EventType.ACCOUNT_REGISTERED: (N_("Account created"), "neutral"),
    EventType.PHONE_VERIFIED: (N_("Mobile number confirmed"), "neutral"),
    EventType.SIGNIN_PASSWORD_FAILED: (N_("Sign-in refused: wrong password"), "warning"),
    EventType.SIGNIN_PASSWORD_OK: (N_("Password accepted, code sent"), "neutral"),
    EventType.SIGNIN_SUCCEEDED: (N_("Signed in"), "neutral"),
    EventType.SIGNIN_TRUSTED_DEVICE: (N_("Signed in on a trusted browser"), "neutral"),
    EventType.CODE_SENT: (N_("Code sent by text message"), "neutral"),
    EventType.CODE_FAILED: (N_("Wrong code entered"), "warning"),
    EventType.CODE_APPROVED: (N_("Code accepted"), "neutral"),
    EventType.CHALLENGE_FAILED: (N_("Too many wrong codes"), "warning"),
    EventType.CHALLENGE_EXPIRED: (N_("Code expired unused"), "neutral"),
    EventType.LOCKOUT_CODES: (N_("Codes paused after many wrong attempts"), "warning"),
    EventType.RATE_LIMITED: (N_("Too many attempts"), "warning"),
    EventType.SESSION_SIGNED_OUT: (N_("Signed out"), "neutral"),
    EventType.SMS_FAILED: (N_("A text message could not be delivered"), "warning"),
    EventType.STEP_UP_REQUESTED: (N_("Change requested, code sent"), "neutral"),
    EventType.STEP_UP_APPLIED: (N_("Change made"), "good"),
    EventType.STEP_UP_REFUSED: (N_("Change refused, nothing changed"), "warning"),
    EventType.CHANGE_APPLIED: (N_("Account changed"), "good"),
    EventType.SESSION_REVOKED: (N_("Another browser signed out"), "neutral"),
    EventType.DEVICE_FORGOTTEN: (N_("Trusted browser forgotten"), "neutral"),
    # Codes the shop's own applications asked for (the verification API).
    EventType.VERIFICATION_CREATED: (N_("Code sent to confirm an action"), "neutral"),
    EventType.VERIFICATION_APPROVED: (N_("Action confirmed with a code"), "good"),
    EventType.VERIFICATION_FAILED: (N_("A code for an action was refused"), "warning"),
    EventType.VERIFICATION_CANCELED: (N_("Code for an action canceled"), "neutral"),
    EventType.FACTOR_ADDED: (N_("Sign-in method added"), "good"),
    EventType.FACTOR_CONFIRMED: (N_("Sign-in method set up"), "good"),
    EventType.FACTOR_REMOVED: (N_("Sign-in method removed"), "warning"),
    EventType.PASSKEY_REFUSED: (N_("A passkey was refused: it may have been copied"), "warning"),
    EventType.EMAIL_CONFIRMED: (N_("Email address confirmed"), "good"),
    EventType.EMAIL_CHANGE_PENDING: (N_("New email address waiting for its link"), "neutral"),
    EventType.RECOVERY_REQUESTED: (N_("Account recovery asked for (phone lost)"), "warning"),
    EventType.RECOVERY_STARTED: (N_("Account recovery started: waiting period running"), "warning"),
    EventType.RECOVERY_CANCELED: (N_("Account recovery canceled"), "neutral"),
    EventType.RECOVERY_COMPLETED: (N_("Account recovered with a new number"), "warning"),
    # What customer support did for the account.
    EventType.ACCOUNT_UNLOCKED: (N_("Pauses lifted by customer support"), "neutral"),
    EventType.ACCOUNT_SIGNED_OUT: (N_("Signed out everywhere by customer support"), "warning"),
    EventType.ACCOUNT_DISABLED: (N_("Account disabled by customer support"), "warning"),
    EventType.ACCOUNT_ENABLED: (N_("Account enabled by customer support"), "good"),
}
# Which factor answered, for "Code accepted" (the SMS wording stays the default).
ANSWERED_TEXT = {
    "voice_code": N_("Code from a phone call accepted"),
    "totp": N_("Authenticator app code accepted"),
    "passkey": N_("Passkey accepted"),
    "backup_code": N_("Backup code used"),
}
FACTOR_WORDS = {
    "totp": N_("Authenticator app"),
    "passkey": N_("Passkey"),
    "backup_codes": N_("Backup codes"),
}
# Events about a code that, for a step-up, say what happened to the change it was for.
STEP_UP_ENDINGS: dict[EventType, tuple[str, Tone]] = {
    EventType.CHALLENGE_EXPIRED: (N_("Change expired unused, nothing changed"), "neutral"),
    EventType.CHALLENGE_FAILED: (N_("Too many wrong codes, nothing changed"), "warning"),
    EventType.CODE_FAILED: (N_("Wrong code entered for a change"), "warning"),
}


@dataclass(frozen=True, slots=True)
class Activity:
    text: str
    detail: str | None
    tone: Tone
    at: datetime | None
    ip: str | None


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the activity list: a change (or a sign-in) with the steps it took, the
    code sent, asked for, refused, accepted, applied, shown on demand; or a lone event."""

    head: Activity
    steps: tuple[Activity, ...] = ()


# A change's outcome, strongest first: the line says how it ended.
OUTCOMES: tuple[tuple[EventType, str, Tone], ...] = (
    (EventType.STEP_UP_APPLIED, N_("Change made"), "good"),
    (EventType.STEP_UP_REFUSED, N_("Change refused, nothing changed"), "warning"),
    (EventType.CHALLENGE_FAILED, N_("Too many wrong codes, nothing changed"), "warning"),
    (EventType.CHALLENGE_EXPIRED, N_("Change expired unused, nothing changed"), "neutral"),
    (EventType.CODE_FAILED, N_("Wrong code entered for a change"), "warning"),
)
PENDING_CHANGE: tuple[str, Tone] = (N_("Change requested, waiting for its code"), "neutral")


def rows_of(events: Sequence[SecurityEvent]) -> list[Row]:
    """Events (newest first) as rows: those of one challenge together, at the place of its
    newest event, in the order they happened underneath."""
    described = describe_all(events)
    groups: dict[str, list[tuple[SecurityEvent, Activity]]] = {}
    order: list[str | int] = []
    for index, (event, activity) in enumerate(zip(events, described, strict=True)):
        key = event.details.get("challenge_id")
        if isinstance(key, str):
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append((event, activity))
        else:
            order.append(index)
    rows: list[Row] = []
    for key in order:
        if isinstance(key, int):
            rows.append(Row(described[key]))
            continue
        members = groups[key]
        if len(members) == 1:
            rows.append(Row(members[0][1]))
            continue
        rows.append(Row(_head(members), tuple(a for _, a in reversed(members))))
    return rows


def _head(members: list[tuple[SecurityEvent, Activity]]) -> Activity:
    """The line for a challenge's events: for a change, how it ended; else its newest
    event, or its most worrying one."""
    newest = members[0][1]
    types = {event.type for event, _ in members}
    detail = next((a.detail for _, a in members if a.detail), None)
    if EventType.STEP_UP_REQUESTED in types or any(
        e.details.get("purpose") == Purpose.STEP_UP.value for e, _ in members
    ):
        text, tone = next(((t, tone) for ty, t, tone in OUTCOMES if ty in types), PENDING_CHANGE)
        return Activity(
            text=i18n.gettext(text), detail=detail, tone=tone, at=newest.at, ip=newest.ip
        )
    worst = next((a for _, a in members if a.tone == "warning"), newest)
    return Activity(text=worst.text, detail=detail, tone=worst.tone, at=newest.at, ip=newest.ip)


def describe_all(events: Sequence[SecurityEvent]) -> list[Activity]:
    """The events in words. Step-up events name their change; the request event names it
    for the later events of the same challenge (a refusal or an expiry) that don't."""
    summaries: dict[str, str] = {}
    for event in events:
        summary = event.details.get("summary")
        challenge_id = event.details.get("challenge_id")
        if isinstance(summary, str) and isinstance(challenge_id, str):
            summaries[challenge_id] = summary
    return [describe(event, summaries) for event in events]


def describe(event: SecurityEvent, summaries: dict[str, str] | None = None) -> Activity:
    """One event in the page's language. A change's own summary ("Add Visa ending 4242") is
    kept as the event recorded it."""
    _ = i18n.gettext
    details = event.details
    message, tone = EVENT_TEXT.get(event.type, (event.type.value.replace("_", " "), "neutral"))
    text = _(message)
    detail: str | None = None
    step_up = details.get("purpose") == Purpose.STEP_UP.value or "action" in details
    if step_up:
        if event.type in STEP_UP_ENDINGS:
            message, tone = STEP_UP_ENDINGS[event.type]
            text = _(message)
        summary = details.get("summary")
        if not isinstance(summary, str):
            summary = (summaries or {}).get(str(details.get("challenge_id")))
        detail = summary
    elif event.type is EventType.CHANGE_APPLIED:
        if "phone" in details:
            text = _("Mobile number changed to %(phone)s") % {"phone": details["phone"]}
        elif "signed_out" in details:
            text = _("Password changed, other browsers signed out")
    elif "verification_id" in details:
        detail = details.get("summary") or None
    elif event.type is EventType.SESSION_REVOKED and "others" in details:
        text = _("Signed out everywhere else")
    elif event.type in (
        EventType.FACTOR_ADDED,
        EventType.FACTOR_CONFIRMED,
        EventType.FACTOR_REMOVED,
    ):
        kind = str(details.get("factor_kind", ""))
        label = details.get("label")
        detail = _(FACTOR_WORDS[kind]) if kind in FACTOR_WORDS else kind
        if kind != "backup_codes" and isinstance(label, str):
            detail = _("%(factor)s “%(label)s”") % {"factor": detail, "label": label}
    if event.type is EventType.CODE_APPROVED and details.get("factor") in ANSWERED_TEXT:
        text = _(ANSWERED_TEXT[str(details["factor"])])
    elif event.type is EventType.CODE_SENT and details.get("channel") == "voice":
        text = _("Code read out by phone call")
    return Activity(text=text, detail=detail, tone=tone, at=event.created_at, ip=event.ip)


@router.get("/account/activity")
async def activity(request: Request, before: int | None = None) -> Response:
    visit, auth = await member(request)
    if before is not None and not 1 <= before < 2**63:
        before = None  # a hand-edited link: show the newest page rather than fail
    events = await visit.services.account.events(auth.account.id, PAGE_SIZE + 1, before)
    shown = list(events[:PAGE_SIZE])
    older = shown[-1].id if len(events) > PAGE_SIZE and shown else None
    return visit.render(
        "activity.html",
        section="activity",
        activity=rows_of(shown),
        older=older,
        paged=before is not None,
    )
