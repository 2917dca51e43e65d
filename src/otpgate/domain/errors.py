"""One error tree for otpgate. Every error carries a stable machine ``code``.

The web layer maps these to RFC 9457 problems in one place (``web/problems.py``);
nothing below the web layer knows about HTTP status codes.

    OtpgateError
    ├── InvalidInput                      validation_error
    │   └── ChangeTooLong                 change_too_long
    ├── InvalidCredentials                invalid_credentials
    ├── NotAuthenticated                  not_authenticated
    │   └── InvalidApiKey                 invalid_api_key
    ├── Forbidden                         forbidden
    │   ├── ApiKeyRequired                api_key_required      (a session on the key API)
    │   ├── SessionRequired               session_required      (a key on the customer API)
    │   ├── AccountDisabled               account_disabled      (an operator disabled it)
    │   └── InsufficientScope             insufficient_scope
    ├── NotFound                          not_found
    │   ├── ChallengeNotFound             challenge_not_found
    │   ├── VerificationNotFound          verification_not_found
    │   ├── AccountNotFound               account_not_found
    │   └── ApiKeyNotFound                api_key_not_found
    ├── Conflict                          conflict
    │   ├── EmailUnavailable              email_unavailable
    │   ├── PhoneUnconfirmed              phone_unconfirmed
    │   ├── DetailsMismatch               details_mismatch
    │   ├── IdempotencyKeyReused          idempotency_key_reused
    │   └── IdempotencyKeyInUse           idempotency_key_in_use
    ├── ChallengeError
    │   ├── InvalidCode                   invalid_code
    │   ├── ChallengeExpired              challenge_expired
    │   ├── ChallengeFailed               challenge_failed
    │   ├── ChallengeUsed                 challenge_used
    │   ├── ChallengeCanceled             challenge_canceled
    │   └── ResendLimitReached            resend_limit_reached
    ├── Throttled                         (carries retry_after seconds)
    │   ├── RateLimited                   rate_limited
    │   ├── ResendTooSoon                 resend_too_soon
    │   └── CodeLockout                   code_lockout
    ├── Unavailable                       unavailable
    └── DeliveryError                     delivery_failed
        └── PermanentDeliveryError        delivery_rejected
"""

from __future__ import annotations

from otpgate.domain.language import ENGLISH, N_, Translator


class OtpgateError(Exception):
    """Base of every error otpgate raises on purpose."""

    code = "error"
    title = N_("Request failed")

    def __init__(self, detail: str | None = None, **params: object) -> None:
        # ``message`` is the English message id (``%(name)s`` placeholders), ``params`` what
        # fills them: the API answers ``detail`` in English, a page shows the message in the
        # reader's language (``web/pages/common.shown``).
        self.message = detail or self.title
        self.params = params
        self.detail = self.message % params if params else self.message
        super().__init__(self.detail)

    def said(self, words: Translator = ENGLISH) -> str:
        """The message in ``words``' language (its parameters as they are)."""
        text = words.gettext(self.message)
        return text % self.params if self.params else text


class InvalidInput(OtpgateError):
    """A field's value breaks a rule; ``field`` names it for forms and problem details."""

    code = "validation_error"
    title = N_("Invalid input")

    def __init__(self, field: str, detail: str, **params: object) -> None:
        self.field = field
        super().__init__(detail, **params)


class ChangeTooLong(InvalidInput):
    """A step-up change whose words would not fit in its text message: refused, never cut
    (S42: a code approves only what was shown in full)."""

    code = "change_too_long"
    title = N_("This change is too long to confirm by text")

    def __init__(self, field: str = "body", detail: str | None = None) -> None:
        super().__init__(
            field,
            detail
            or N_(
                "This change is too long to describe in full in a text message. Make it in "
                "smaller steps."
            ),
        )


class InvalidCredentials(OtpgateError):
    code = "invalid_credentials"
    title = N_("Your email or password is incorrect")


class NotAuthenticated(OtpgateError):
    code = "not_authenticated"
    title = N_("Sign in to continue")


class InvalidApiKey(NotAuthenticated):
    code = "invalid_api_key"
    title = N_("A valid API key is needed")

    def __init__(self) -> None:
        super().__init__("Send an active API key as 'Authorization: Bearer otk_...'.")


class Forbidden(OtpgateError):
    """The caller is known, but this is not for it."""

    code = "forbidden"
    title = N_("Not allowed")


class ApiKeyRequired(Forbidden):
    code = "api_key_required"
    title = N_("This API takes an API key, not a session")

    def __init__(self) -> None:
        super().__init__("The verification API takes an API key (otk_...), never a session token.")


class SessionRequired(Forbidden):
    code = "session_required"
    title = N_("This API takes a customer session, not an API key")

    def __init__(self) -> None:
        super().__init__("The customer API takes a signed-in session token, never an API key.")


class AccountDisabled(Forbidden):
    """Told only after the right password (or to the account's own session), never to a
    guess: an operator disabled the account."""

    code = "account_disabled"
    title = N_("This account is disabled")

    def __init__(self) -> None:
        super().__init__(N_("This account has been disabled. Contact customer support."))


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    title = N_("This API key lacks the scope")

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(f"This API key does not have the '{scope}' scope.")


class NotFound(OtpgateError):
    code = "not_found"
    title = N_("Not found")


class ChallengeNotFound(NotFound):
    code = "challenge_not_found"
    title = N_("No such challenge")


class VerificationNotFound(NotFound):
    code = "verification_not_found"
    title = N_("No such verification")


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = N_("No such account")


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    title = N_("No such API key")


class Conflict(OtpgateError):
    code = "conflict"
    title = N_("Conflict")


class PhoneUnconfirmed(Conflict):
    code = "phone_unconfirmed"
    title = N_("The account's mobile number is not confirmed")

    def __init__(self) -> None:
        super().__init__(
            N_("This account has not confirmed its mobile number; no code can go to it.")
        )


class DetailsMismatch(Conflict):
    code = "details_mismatch"
    title = N_("The details are not the ones the code was sent for")

    def __init__(self) -> None:
        super().__init__(
            "The details differ from those the verification was created with; it is canceled."
        )


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = N_("This Idempotency-Key was used for another request")

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used with a different body in the last 24 hours."
        )


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    title = N_("A request with this Idempotency-Key is still in progress")

    def __init__(self) -> None:
        super().__init__("A request with this Idempotency-Key is still in progress; retry shortly.")


class EmailUnavailable(Conflict):
    code = "email_unavailable"
    title = N_("This email address can't be used for a new account")

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail
            or N_(
                "This email address can't be used for a new account. If it is yours, sign in "
                "instead."
            )
        )


class ChallengeError(OtpgateError):
    code = "challenge_error"


class InvalidCode(ChallengeError):
    code = "invalid_code"
    title = N_("That code is not right")

    def __init__(self, attempts_remaining: int) -> None:
        self.attempts_remaining = attempts_remaining
        # Two messages rather than a plural: an error carries one message id.
        message = (
            N_("That code is not right. %(count)d try left.")
            if attempts_remaining == 1
            else N_("That code is not right. %(count)d tries left.")
        )
        super().__init__(message, count=attempts_remaining)


class ChallengeExpired(ChallengeError):
    code = "challenge_expired"
    title = N_("This code has expired")

    def __init__(self) -> None:
        super().__init__(N_("This code has expired. Start again to get a new one."))


class ChallengeFailed(ChallengeError):
    code = "challenge_failed"
    title = N_("Too many wrong codes")

    def __init__(self) -> None:
        super().__init__(N_("Too many wrong codes were entered. Start again to get a new code."))


class ChallengeUsed(ChallengeError):
    code = "challenge_used"
    title = N_("This code was already used")

    def __init__(self) -> None:
        super().__init__(N_("This challenge is already complete; a code works only once."))


class ChallengeCanceled(ChallengeError):
    code = "challenge_canceled"
    title = N_("This challenge was canceled")

    def __init__(self) -> None:
        super().__init__(N_("This challenge was canceled. Start again to get a new code."))


class ResendLimitReached(ChallengeError):
    code = "resend_limit_reached"
    title = N_("No more codes for this challenge")

    def __init__(self) -> None:
        super().__init__(N_("No more codes can be sent for this challenge. Start again later."))


class Throttled(OtpgateError):
    """Refused for now; ``retry_after`` says in how many whole seconds to try again."""

    code = "throttled"
    title = N_("Too many requests")

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail)


class RateLimited(Throttled):
    """A rate limit refused the request. ``rule`` names the limit (safe to show); ``key`` is
    what it counted (a number, an IP, an email: for the audit trail only, never an answer)."""

    code = "rate_limited"
    title = N_("Too many requests")

    def __init__(
        self,
        retry_after: int,
        detail: str | None = None,
        *,
        rule: str | None = None,
        key: str | None = None,
    ) -> None:
        self.rule = rule
        self.key = key
        super().__init__(retry_after, detail)


class ResendTooSoon(Throttled):
    code = "resend_too_soon"
    title = N_("Wait before asking for a new code")


class CodeLockout(Throttled):
    code = "code_lockout"
    title = N_("Too many wrong codes on this account")


class Unavailable(OtpgateError):
    """A backing service (database, Redis) does not answer; nothing was changed."""

    code = "unavailable"
    title = N_("Temporarily unavailable")


class DeliveryError(OtpgateError):
    """A message could not be handed to a provider; temporary unless a subclass says otherwise."""

    code = "delivery_failed"
    title = N_("The message could not be sent")


class PermanentDeliveryError(DeliveryError):
    """The provider refused the message for good (invalid or unreachable number)."""

    code = "delivery_rejected"
    title = N_("The message was refused for this number")
