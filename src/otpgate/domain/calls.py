"""The voice call: the code read twice, digit by digit, so it can be written down."""

from __future__ import annotations

from dataclasses import dataclass

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


def code_call(*, code: str, brand: str, purpose_text: str) -> Call:
    """``This is Shop. Your code to sign in is 1. 2. 3. 4. 5. 6. Again, your code is ...``"""

    def say(digits: str) -> str:
        return (
            f"This is {brand}. Your code to {purpose_text} is: {digits} "
            f"Again, your code is: {digits} Never share this code with anyone."
        )

    return Call(text=say(spoken(code)), redacted=say(spoken("•" * len(code))))
