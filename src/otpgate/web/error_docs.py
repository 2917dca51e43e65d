"""The error documentation page, ``GET /docs/errors``: every problem ``code`` otpgate can
answer, what it means and what to do. Every problem's ``type`` links here
(``<BASE_URL>/docs/errors#<code>``).

The list is generated, never written by hand: the codes come from the error tree itself
(every subclass of ``OtpgateError``, services' own included), the web layer's HTTP problems
and its few literal ones; only the words live in ``HELP``. ``tests/api/test_error_docs.py``
fails when a code has no words, or words outlive their code.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from otpgate.domain import errors as e
from otpgate.web.context import ERRORS_PATH
from otpgate.web.problems import HTTP_CODES, STATUS

router = APIRouter(include_in_schema=False)

# Problems the web layer answers with no error class behind them.
LITERAL: dict[str, tuple[int, str]] = {
    "malformed_json": (400, "Malformed JSON"),
    "internal_error": (500, "Something went wrong"),
    "http_error": (400, "Request failed"),
}

# code -> (what it means, what to do)
HELP: dict[str, tuple[str, str]] = {
    "error": ("A request failed for a reason no more precise code names.", "Read `detail`."),
    "validation_error": (
        "A field's value breaks a rule; `errors` names each field and why.",
        "Fix the named fields and send the request again.",
    ),
    "change_too_long": (
        "The change can't be described in full in one text message, and a code only ever "
        "approves words the customer was shown whole.",
        "Make the change in smaller steps (a shorter name, label or instruction).",
    ),
    "invalid_credentials": (
        "The email address or the password is wrong (the answer never says which).",
        "Ask the customer to check both; repeated tries are slowed down (see `rate_limited`).",
    ),
    "not_authenticated": (
        "No session token was sent, or it is unknown, expired or signed out.",
        "Sign in again (`POST /api/v1/sessions`) and send `Authorization: Bearer ses_...`.",
    ),
    "invalid_api_key": (
        "The verification API got no API key, or one that is unknown or revoked.",
        "Send an active key as `Authorization: Bearer otk_...` (`otpgate api-keys create`).",
    ),
    "forbidden": ("The caller is known, but this is not for it.", "Use an allowed principal."),
    "api_key_required": (
        "A customer session token was sent to the verification API.",
        "Call it with the application's API key (`otk_...`), never a customer's session.",
    ),
    "session_required": (
        "An API key was sent to the customer API.",
        "Call the customer API with a signed-in customer's session token.",
    ),
    "account_disabled": (
        "An operator disabled this account: it can't sign in or receive codes.",
        "The customer should contact support; an operator can run `otpgate accounts enable`.",
    ),
    "insufficient_scope": (
        "The API key lacks the scope this endpoint needs.",
        "Create a key with the scope (`otpgate api-keys create --scope ...`).",
    ),
    "not_found": ("Nothing is at this address, or it is not yours.", "Check the path and id."),
    "challenge_not_found": (
        "No challenge has this id (or it belongs to another caller).",
        "Use the `challenge.id` the answer that started it gave you.",
    ),
    "verification_not_found": (
        "No verification of this API key has this id.",
        "Use the id `POST /api/v1/verifications` answered; keys see only their own.",
    ),
    "account_not_found": ("No account has this id.", "Check the `account_id` you sent."),
    "api_key_not_found": ("No active API key has this id.", "List keys: `otpgate api-keys list`."),
    "address_not_found": ("No such address in this account.", "List the account's addresses."),
    "payment_method_not_found": (
        "No such payment method in this account.",
        "List the account's payment methods.",
    ),
    "conflict": (
        "The request conflicts with the current state (a change already made or superseded).",
        "Read the resource again and retry from there.",
    ),
    "email_unavailable": (
        "This email address can't be used for a new account.",
        "If it is the customer's, they sign in instead.",
    ),
    "phone_unconfirmed": (
        "The account has not confirmed its mobile number, so no code can go to it.",
        "The customer confirms the number first (sign in, then the code texted to it).",
    ),
    "details_mismatch": (
        "A check carried other details than the verification was created with; it is canceled.",
        "Start a new verification for the transaction the customer is really approving.",
    ),
    "idempotency_key_reused": (
        "This Idempotency-Key was used in the last 24 hours with a different body.",
        "Use a new key for a new request; repeat a key only to retry the same request.",
    ),
    "idempotency_key_in_use": (
        "A request with this Idempotency-Key is still being processed.",
        "Retry the same request in a moment; it will answer what the first one did.",
    ),
    "challenge_error": ("The challenge can't take this answer.", "Read `detail`."),
    "invalid_code": (
        "The code is wrong; `attempts_remaining` says how many tries are left.",
        "Let the customer type it again, or ask for a new code (resend).",
    ),
    "challenge_expired": (
        "The code's time ran out before it was used.",
        "Start again: sign in again, or ask for the change again, for a new code.",
    ),
    "challenge_failed": (
        "Too many wrong codes ended this challenge.",
        "Start again for a new challenge (within the limits).",
    ),
    "challenge_used": (
        "This challenge was already answered; a code works only once.",
        "Nothing to do: the first answer took effect.",
    ),
    "challenge_canceled": (
        "The challenge was canceled (a newer one replaced it, its target is gone, or the "
        "account was disabled).",
        "Start again for a new code.",
    ),
    "resend_limit_reached": (
        "No more codes can be sent for this challenge.",
        "Start again later for a new challenge.",
    ),
    "throttled": ("Refused for now.", "Wait `Retry-After` seconds, then try again."),
    "rate_limited": (
        "A rate limit refused the request; `limit` names the rule (never whose number).",
        "Wait `Retry-After` seconds. Don't retry in a loop: waits grow with persistence.",
    ),
    "resend_too_soon": (
        "A new code was asked for before the resend cooldown ended.",
        "Wait `Retry-After` seconds (the challenge's `resend_available_at`).",
    ),
    "code_lockout": (
        "Too many wrong codes in a row paused this account's codes.",
        "Wait `Retry-After` seconds; support can lift it with `otpgate accounts unlock`.",
    ),
    "unavailable": (
        "A backing service (database, Redis) does not answer; nothing was changed.",
        "Retry after `Retry-After` seconds; the same request is safe to send again.",
    ),
    "delivery_failed": (
        "The message could not be handed to any SMS or voice provider.",
        "Ask for a new code in a moment.",
    ),
    "delivery_rejected": (
        "The provider refused the message for good (an invalid or unreachable number).",
        "Check the number; a landline can take a call instead of a text.",
    ),
    "bad_request": ("The request could not be understood.", "Check the method, path and body."),
    "method_not_allowed": (
        "This path does not take this method; `Allow` lists those it takes.",
        "Use one of the methods in `Allow`.",
    ),
    "payload_too_large": ("The request body is larger than 64 KiB.", "Send a smaller body."),
    "unsupported_media_type": (
        "The body's content type is not one this endpoint reads.",
        "Send `Content-Type: application/json`.",
    ),
    "malformed_json": ("The request body is not valid JSON.", "Send a JSON object."),
    "internal_error": (
        "Something went wrong on our side; nothing was changed.",
        "Retry; if it persists, give support the `request_id`.",
    ),
    "http_error": ("The request failed at the HTTP level.", "Read `detail`."),
}


@dataclass(frozen=True, slots=True)
class ErrorDoc:
    code: str
    status: int
    title: str
    meaning: str
    action: str


def _subclasses(cls: type[e.OtpgateError]) -> list[type[e.OtpgateError]]:
    found: list[type[e.OtpgateError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _status(cls: type[e.OtpgateError]) -> int:
    return next((status for base, status in STATUS if issubclass(cls, base)), 400)


def error_codes() -> dict[str, tuple[int, str]]:
    """Every code otpgate can answer -> (HTTP status, title)."""
    codes: dict[str, tuple[int, str]] = {}
    classes: list[type[e.OtpgateError]] = [e.OtpgateError, *_subclasses(e.OtpgateError)]
    for cls in classes:
        codes.setdefault(cls.code, (_status(cls), cls.title))
    for status, (code, title) in HTTP_CODES.items():
        codes.setdefault(code, (status, title))
    for code, pair in LITERAL.items():
        codes.setdefault(code, pair)
    return codes


def catalog() -> list[ErrorDoc]:
    """The page's entries, by status then code; a code without words says so (and a test
    fails on it)."""
    entries = [
        ErrorDoc(code, status, title, *HELP.get(code, ("(not yet described)", "Read `detail`.")))
        for code, (status, title) in error_codes().items()
    ]
    return sorted(entries, key=lambda doc: (doc.status, doc.code))


def _inline(text: str) -> str:
    """`code` spans in the words, everything else escaped."""
    parts = escape(text).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))


@router.get(ERRORS_PATH, response_class=HTMLResponse)
async def error_docs() -> HTMLResponse:
    rows = "\n".join(
        f'<tr id="{doc.code}"><td><a href="#{doc.code}"><code>{doc.code}</code></a></td>'
        f"<td>{doc.status}</td><td>{escape(doc.title)}</td><td>{_inline(doc.meaning)}</td>"
        f"<td>{_inline(doc.action)}</td></tr>"
        for doc in catalog()
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Errors · otpgate API</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="docs">
<h1>Errors</h1>
<p>Every error is an RFC 9457 problem (<code>application/problem+json</code>) whose
<code>type</code> links to its row here and whose <code>code</code> is stable: programs branch on
<code>code</code>, people read <code>detail</code>. Each carries the <code>request_id</code> of
the <code>X-Request-Id</code> header; quote it to support. See also the
<a href="/docs">API reference</a>.</p>
<table><thead><tr><th scope="col">code</th><th scope="col">status</th><th scope="col">title</th>
<th scope="col">what it means</th><th scope="col">what to do</th></tr></thead>
<tbody>
{rows}
</tbody></table></main></body></html>
"""
    return HTMLResponse(page)
