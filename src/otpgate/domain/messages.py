"""The SMS text, with the origin-bound last line of WICG's "origin-bound one-time codes"."""

from __future__ import annotations

from otpgate.domain.durations import duration_text


def code_message(*, code: str, brand: str, purpose_text: str, ttl_seconds: int, host: str) -> str:
    """``123456 is your Shop code to sign in. It expires in 5 minutes. Never share it.``

    then a blank line and ``@host #123456`` as the very last line (S7): browsers autofill the
    code only on ``host``, which defeats a phishing page on another origin.
    """
    lifetime = duration_text(ttl_seconds, exact=True)
    return (
        f"{code} is your {brand} code to {purpose_text}. "
        f"It expires in {lifetime}. Never share it.\n\n@{host} #{code}"
    )


def redact(body: str, code: str) -> str:
    """The message with its code blanked out: what may be stored and shown to operators."""
    return body.replace(code, "•" * len(code))
