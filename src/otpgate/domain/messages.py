"""The SMS text, with the origin-bound last line of WICG's "origin-bound one-time codes"."""

from __future__ import annotations

from otpgate.domain.durations import duration_text
from otpgate.domain.language import ENGLISH, Translator


def code_message(
    *,
    code: str,
    brand: str,
    purpose_text: str,
    ttl_seconds: int,
    host: str,
    words: Translator = ENGLISH,
) -> str:
    """``123456 is your Shop code to sign in. It expires in 5 minutes. Never share it.``

    then a blank line and ``@host #123456`` as the very last line (S7): browsers autofill the
    code only on ``host``, which defeats a phishing page on another origin. The sentence is
    in ``words``' language (the account's); the last line is the same in every language.
    """
    lifetime = duration_text(ttl_seconds, words=words, exact=True)
    sentence = words.gettext(
        "%(code)s is your %(brand)s code to %(purpose)s. It expires in %(lifetime)s. "
        "Never share it."
    ) % {"code": code, "brand": brand, "purpose": purpose_text, "lifetime": lifetime}
    return f"{sentence}\n\n@{host} #{code}"


def redact(body: str, code: str) -> str:
    """The message with its code blanked out: what may be stored and shown to operators."""
    return body.replace(code, "•" * len(code))


# -- how many SMS a text takes (3GPP TS 23.038) ------------------------------------------------

# GSM 03.38's default alphabet; the extension table's characters take two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# A step-up text must name the whole change (S42); longer than this, the change is refused
# instead. Three segments: 459 characters of GSM-7, or 201 UTF-16 units once any character
# outside GSM-7 makes the whole message UCS-2.
MAX_SEGMENTS = 3
# The longest lifetime text a code can be sent with ("599 seconds", on a late resend).
LONGEST_LIFETIME = 599


def sms_segments(body: str) -> int:
    """How many concatenated SMS segments ``body`` takes: 160/153 septets in GSM-7, else
    70/67 UTF-16 units in UCS-2 (a character outside the BMP counts twice)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in body):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)


def code_message_fits(
    purpose_text: str,
    *,
    brand: str,
    host: str,
    code_length: int,
    max_segments: int = MAX_SEGMENTS,
    words: Translator = ENGLISH,
) -> bool:
    """Whether a code text for ``purpose_text`` stays within ``max_segments`` however its code
    is resent (the longest lifetime text is assumed), in the language it is sent in
    (``words``: a German text is longer than the English one)."""
    body = code_message(
        code="0" * code_length,
        brand=brand,
        purpose_text=purpose_text,
        ttl_seconds=LONGEST_LIFETIME,
        host=host,
        words=words,
    )
    return sms_segments(body) <= max_segments
