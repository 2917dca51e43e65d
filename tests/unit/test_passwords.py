"""Password rules: length after NFKC, no trimming, blocklists, context words (S27-S29)."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.errors import InvalidInput
from otpgate.domain.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
    normalize_password,
)
from tests.unit.props import PROPS, SLOW_PROPS

STRONG = "lantern quietly orbit marmalade tundra"
# Unrelated words, long enough to cut any length from 9 to 130 out of it.
WORDS = (
    "lantern quietly orbit marmalade tundra velvet hinge saffron pylon drizzle crater "
    "wombat ledger quince arbor kestrel mosaic fjord"
)
CONTEXT = ["Shop", "otpgate", "alice.smith", "Alice", "Smith"]
LENGTH_ERRORS = ("at least", "at most")


def full_width(text: str) -> str:
    """The full-width form a CJK keyboard produces for printable ASCII."""
    return "".join(
        "\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text
    )


def refusal(password: str, context: list[str] | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_password(password, context=context or [])
    assert caught.value.field == "password"
    assert caught.value.detail
    return caught.value


# --- length, measured after NFKC (S27) -----------------------------------------------------


def test_limits() -> None:
    assert MIN_PASSWORD_LENGTH == 8
    assert MAX_PASSWORD_LENGTH >= 64


@pytest.mark.parametrize("password", ["", "a", "Ab1!xyz", "日本語のパス", "🔐🦄🌈🍕🎸🚀🐙"])
def test_too_short(password: str) -> None:
    assert "at least 8 characters" in refusal(password).detail


def test_length_is_counted_after_nfkc() -> None:
    # Four "ﬀ" ligatures are 8 characters once normalised: not refused for length.
    expanded = "\ufb00" * 4
    assert len(normalize_password(expanded)) == 8
    assert not refusal(expanded).detail.startswith("Use at least")
    # Eight code points that compose to four characters are too short.
    composed = "e\u0301" * 4
    assert len(composed) == 8
    assert "at least 8" in refusal(composed).detail
    # 65 ligatures are 130 characters: too long, though only 65 were typed.
    assert "at most 128" in refusal("\ufb00" * 65).detail


def test_too_long() -> None:
    assert "at most 128 characters" in refusal((WORDS * 2)[:129]).detail
    assert "at most 128 characters" in refusal("x" * 10_000).detail


@pytest.mark.parametrize("password", ["x9#Lq2!vZ", "x9#Lq2!vZ7@k", WORDS[:40], WORDS[:72]])
def test_strong_passwords_up_to_72_characters_are_accepted(password: str) -> None:
    assert check_password(password) == password


@pytest.mark.parametrize(
    "password",
    [
        pytest.param(WORDS[:73], id="73"),
        pytest.param(WORDS[:100], id="100"),
        pytest.param((WORDS * 2)[:128], id="128"),
        # 129 code points typed, 128 characters after NFKC: allowed.
        pytest.param((WORDS * 2)[:127] + "e\u0301", id="129-composes-to-128"),
    ],
)
def test_long_passwords_up_to_128_characters_are_accepted(password: str) -> None:
    normalized = normalize_password(password)
    assert len(normalized) <= MAX_PASSWORD_LENGTH
    assert check_password(password) == normalized


def test_a_long_password_is_strong_enough() -> None:
    assert check_password(WORDS[:100]) == WORDS[:100]


# --- normalisation, no trimming (S27, S29) -------------------------------------------------


def test_full_width_letters_equal_their_ascii_form() -> None:
    assert full_width("Password123") == "Ｐａｓｓｗｏｒｄ１２３"
    assert normalize_password(full_width(STRONG)) == STRONG
    assert check_password(full_width(STRONG)) == check_password(STRONG) == STRONG


@PROPS
@given(text=st.text(alphabet=string.printable.strip() + " ", max_size=60))
def test_nfkc_folds_full_width_ascii(text: str) -> None:
    assert normalize_password(full_width(text)) == text


@PROPS
@given(text=st.text(max_size=60))
def test_normalize_is_nfkc_and_idempotent(text: str) -> None:
    normalized = normalize_password(text)
    assert unicodedata.is_normalized("NFKC", normalized)
    assert normalize_password(normalized) == normalized


def test_spaces_are_kept() -> None:
    assert check_password("Secret phrase  x") == "Secret phrase  x"
    assert check_password(f" {STRONG} ") == f" {STRONG} "
    assert check_password(STRONG + "\t") == STRONG + "\t"


def test_trailing_space_makes_another_password() -> None:
    assert normalize_password("secret") != normalize_password("secret ")
    assert normalize_password("Secret") != normalize_password("secret")
    assert check_password(STRONG) != check_password(STRONG + " ")


@SLOW_PROPS
@given(
    before=st.text(alphabet=" \t\u3000", max_size=3),
    after=st.text(alphabet=" \t\u3000\u00a0", max_size=3),
    middle=st.text(max_size=8),
)
def test_accepted_passwords_are_returned_nfkc_and_untrimmed(
    before: str, after: str, middle: str
) -> None:
    password = before + STRONG + middle + after
    try:
        result = check_password(password)
    except InvalidInput as exc:
        assert exc.field == "password"
        return
    assert result == unicodedata.normalize("NFKC", password)
    assert len(result) >= len(STRONG)


# --- blocklists and context (S28) ----------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["password123", "qwertyuiop", "Password1!", "iloveyou12", "12345678", "aaaaaaaaaa"]
)
def test_common_and_guessable_passwords_are_refused_with_a_reason(password: str) -> None:
    detail = refusal(password).detail
    assert not detail.startswith(LENGTH_ERRORS)
    assert detail.endswith("Try a longer phrase of unrelated words.")


@pytest.mark.parametrize("password", ["password123", "qwertyuiop", full_width("password123")])
def test_the_reason_says_the_password_is_common(password: str) -> None:
    assert "common" in refusal(password).detail


@pytest.mark.parametrize(
    "password",
    [
        "otpgate2024!",
        "OtpGate-OtpGate",
        full_width("OtpGate2024!"),
        "alice.smith99",
        "Alice.Smith!!",
        "AliceSmith1990",
        "shopshopshop",
    ],
)
def test_context_words_are_refused(password: str) -> None:
    detail = refusal(password, CONTEXT).detail
    assert "name, email or our name" in detail


def test_context_words_inside_a_long_phrase_are_fine() -> None:
    phrase = "otpgate lantern quietly marmalade tundra"
    assert check_password(phrase, context=CONTEXT) == phrase


def test_short_and_empty_context_words_are_ignored() -> None:
    assert check_password(STRONG, context=["", "a", "an", "or"]) == STRONG


@pytest.mark.parametrize(
    "password",
    [
        STRONG,
        "Secret phrase  x",
        "x9#Lq2!vZ",
        "🔐🦄🌈🍕🎸🚀🐙🌵🔐🦄🌈🍕",
        "🦄 rides a purple tram at dawn",
        "我的密码是秘密的花园啊",
        "Кошка спит на тёплом окне",
        "ÄÖÜ straße fährt über Brücken",
    ],
)
def test_strong_passwords_in_any_script_are_accepted(password: str) -> None:
    # No composition rules: lower-case words, emoji or CJK are all fine when long enough.
    assert check_password(password, context=CONTEXT) == normalize_password(password)


# --- strength (zxcvbn) --------------------------------------------------------------------


def test_strength_decides_examples() -> None:
    with pytest.raises(InvalidInput):
        check_password("password")
    assert check_password(STRONG) == normalize_password(STRONG)
    # Context words make a password weaker, never stronger.
    with pytest.raises(InvalidInput):
        check_password("otpgate2024", context=["otpgate"])


@SLOW_PROPS
@given(
    password=st.text(min_size=1, max_size=40), context=st.lists(st.text(max_size=10), max_size=3)
)
def test_any_password_is_accepted_or_refused_with_a_reason(
    password: str, context: list[str]
) -> None:
    try:
        assert check_password(password, context=context) == normalize_password(password)
    except InvalidInput as exc:
        assert exc.field == "password" and exc.detail


def test_an_empty_password_is_refused() -> None:
    with pytest.raises(InvalidInput):
        check_password("")
