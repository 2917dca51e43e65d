"""The voice call: the code read twice, digit by digit, so it can be written down."""

from __future__ import annotations

from dataclasses import dataclass

from otpgate.domain.language import ENGLISH, Translator

# A full stop after each digit makes text-to-speech engines pause between them.
DIGIT_PAUSE = ". "


@dataclass(frozen=True, slots=True)
class Call:
    """What the call says, and the same words with the code blanked out (for storage)."""

    text: str
    redacted: str


def spoken(code: str) -> str:
    """``123`` -> ``1. 2. 3.``"""
    return DIGIT_PAUSE.join(code) + "."


def code_call(*, code: str, brand: str, purpose_text: str, words: Translator = ENGLISH) -> Call:
    """``This is Shop. Your code to sign in is 1. 2. 3. 4. 5. 6. Again, your code is ...``
    (in ``words``' language: the account's)."""
    said = words.gettext(
        "This is %(brand)s. Your code to %(purpose)s is: %(digits)s Again, your code is: "
        "%(digits)s Never share this code with anyone."
    )

    def say(digits: str) -> str:
        return said % {"brand": brand, "purpose": purpose_text, "digits": digits}

    return Call(text=say(spoken(code)), redacted=say(spoken("•" * len(code))))
