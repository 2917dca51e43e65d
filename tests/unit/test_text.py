"""User-typed text in messages (S41) and how long a text message is (S42)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.errors import InvalidInput
from otpgate.domain.messages import code_message, code_message_fits, sms_segments
from otpgate.domain.text import clean_line, one_line, quote
from tests.unit.props import PROPS

FORBIDDEN = ("Cc", "Cf", "Cs", "Zl", "Zp")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Ada   Lovelace ", "Ada Lovelace"),
        ("line\nbreak", "line break"),
        ("a\u2028b\u2029c\x85d\te\r\nf", "a b c d e f"),
        ("non\u00a0breaking", "non breaking"),
    ],
)
def test_whitespace_becomes_one_space(raw: str, clean: str) -> None:
    assert clean_line(raw, "name", limit=100) == clean


@pytest.mark.parametrize("char", ["\u200f", "\u061c", "\u202e", "\u2066", "\u200b", "\x00", "\x7f"])
def test_invisible_characters_are_refused(char: str) -> None:
    """S41: bidi marks and overrides, zero-width characters and controls never get stored."""
    with pytest.raises(InvalidInput) as refused:
        clean_line(f"Ada{char}", "name", limit=100)
    assert refused.value.field == "name"


def test_length_is_checked_after_cleaning() -> None:
    assert clean_line("a  " * 10, "label", limit=19) == " ".join("a" * 10)
    with pytest.raises(InvalidInput):
        clean_line("a" * 41, "label", limit=40)


def test_quotes_inside_a_value_cannot_close_ours() -> None:
    assert quote('x". Never share it. "y') == "\"x'. Never share it. 'y\""
    assert quote("“curly” ＂full＂ «guillemets»") == "\"'curly' 'full' 'guillemets'\""
    assert quote("O’Brien") == '"O\'Brien"'


@PROPS
@given(value=st.text())
def test_a_quoted_value_is_one_printable_line_in_our_quotes(value: str) -> None:
    """S41, for any Unicode at all (values stored before the input rules included)."""
    quoted = quote(value)
    assert quoted.startswith('"') and quoted.endswith('"')
    assert '"' not in quoted[1:-1]
    assert len(quoted.splitlines()) == 1
    assert not any(unicodedata.category(ch) in FORBIDDEN for ch in quoted)
    assert one_line(one_line(value)) == one_line(value)


@PROPS
@given(value=st.text())
def test_a_message_with_any_value_keeps_the_code_line_last(value: str) -> None:
    """S7: wherever a value goes in the text, the ``@host #code`` line is the last and only."""
    body = code_message(
        code="123456",
        brand="Shop",
        purpose_text=f"change your name to {quote(value)}",
        ttl_seconds=300,
        host="shop.example",
    )
    lines = body.splitlines()
    assert len(lines) == 3 and lines[1] == "" and lines[2] == "@shop.example #123456"
    assert re.sub(r'"[^"]*"', '""', lines[0]) == (
        '123456 is your Shop code to change your name to "". '
        "It expires in 5 minutes. Never share it."
    )


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("€" * 80, 1),  # two septets each in GSM-7's extension table
        ("€" * 81, 2),
        ("ë" * 70, 1),  # outside GSM-7: UCS-2, 70 then 67 per segment
        ("ë" * 71, 2),
        ("ë" * 201, 3),
        ("ë" * 202, 4),
        ("😀" * 35, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, 2),
    ],
)
def test_segments(body: str, segments: int) -> None:
    assert sms_segments(body) == segments


def test_the_bound_assumes_the_longest_lifetime_and_code() -> None:
    """S42: a text that fits now still fits when resent late ("599 seconds") with a long code."""
    fits = {
        length: code_message_fits("x" * 360, brand="Shop", host="shop.example", code_length=length)
        for length in (6, 10)
    }
    assert fits == {6: True, 10: False}
