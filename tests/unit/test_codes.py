"""One-time codes: generation, keyed digests bound to a challenge, input clean-up (S1, S4)."""

from __future__ import annotations

import string
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.codes import (
    MAX_CODE_LENGTH,
    MIN_CODE_LENGTH,
    code_digest,
    code_matches,
    generate_code,
    is_well_formed,
    normalize_code_input,
)
from tests.unit.props import PROPS

KEY = b"k" * 32
OLD_KEY = b"o" * 32
OTHER_KEY = b"x" * 32
CHALLENGE = "ch_abc"

digits = st.text(alphabet=string.digits, min_size=MIN_CODE_LENGTH, max_size=MAX_CODE_LENGTH)
challenge_ids = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1).map(
    lambda s: "ch_" + s
)


# --- generation (S1) -----------------------------------------------------------------------


@pytest.mark.parametrize("length", range(MIN_CODE_LENGTH, MAX_CODE_LENGTH + 1))
def test_generated_code_has_exactly_length_ascii_digits(length: int) -> None:
    for _ in range(200):
        code = generate_code(length)
        assert len(code) == length
        assert set(code) <= set(string.digits)
        assert is_well_formed(code, length)


@pytest.mark.parametrize("length", [-1, 0, 1, 4, 5, 11, 12, 100])
def test_generate_code_refuses_lengths_outside_6_to_10(length: int) -> None:
    with pytest.raises(ValueError, match=r"6\.\.10"):
        generate_code(length)


def test_generated_codes_look_uniform() -> None:
    # 3,000 six-digit codes: a digit missing from one position has odds ~0.9**3000 (never).
    codes = [generate_code(6) for _ in range(3000)]
    for position in range(6):
        assert {code[position] for code in codes} == set(string.digits)
    # Leading zeros are possible: the code is zero-padded, not drawn from 100000..999999.
    assert any(code.startswith("0") for code in codes)
    # Each digit should appear ~1,800 times in 18,000; 1,500..2,100 is about 7 sigma wide.
    counts = Counter("".join(codes))
    assert all(1500 <= counts[d] <= 2100 for d in string.digits), counts
    # Codes are drawn afresh: almost no repeats among 3,000 draws from a million.
    assert len(set(codes)) > 2950


# --- digests (S4) --------------------------------------------------------------------------


def test_code_digest_is_hex_sha256_sized_and_deterministic() -> None:
    digest = code_digest(KEY, CHALLENGE, "123456")
    assert len(digest) == 64
    assert set(digest) <= set(string.hexdigits.lower())
    assert code_digest(KEY, CHALLENGE, "123456") == digest


def test_digest_never_equals_the_code() -> None:
    assert "123456" not in code_digest(KEY, CHALLENGE, "123456")


@PROPS
@given(code=digits, first=challenge_ids, second=challenge_ids)
def test_same_code_on_another_challenge_has_another_digest(
    code: str, first: str, second: str
) -> None:
    if first == second:
        return
    assert code_digest(KEY, first, code) != code_digest(KEY, second, code)
    assert not code_matches([KEY], second, code, code_digest(KEY, first, code))


@PROPS
@given(challenge=challenge_ids, code=digits, other=digits)
def test_digest_depends_on_code(challenge: str, code: str, other: str) -> None:
    if code == other:
        return
    assert code_digest(KEY, challenge, code) != code_digest(KEY, challenge, other)


def test_digest_depends_on_key() -> None:
    assert code_digest(KEY, CHALLENGE, "123456") != code_digest(OTHER_KEY, CHALLENGE, "123456")


# --- matching and key rotation -------------------------------------------------------------


@PROPS
@given(challenge=challenge_ids, code=digits)
def test_right_code_matches_under_its_key(challenge: str, code: str) -> None:
    stored = code_digest(KEY, challenge, code)
    assert code_matches([KEY], challenge, code, stored)


def test_wrong_code_does_not_match() -> None:
    stored = code_digest(KEY, CHALLENGE, "123456")
    assert not code_matches([KEY], CHALLENGE, "123457", stored)
    assert not code_matches([KEY], CHALLENGE, "", stored)
    assert not code_matches([KEY], CHALLENGE, "1234560", stored)


def test_old_key_accepted_while_listed_in_any_position() -> None:
    stored = code_digest(OLD_KEY, CHALLENGE, "123456")
    assert code_matches([KEY, OLD_KEY], CHALLENGE, "123456", stored)
    assert code_matches([OLD_KEY, KEY], CHALLENGE, "123456", stored)
    assert code_matches([KEY, OTHER_KEY, OLD_KEY], CHALLENGE, "123456", stored)


def test_old_key_refused_once_dropped() -> None:
    stored = code_digest(OLD_KEY, CHALLENGE, "123456")
    assert not code_matches([KEY], CHALLENGE, "123456", stored)
    assert not code_matches([KEY, OTHER_KEY], CHALLENGE, "123456", stored)


def test_no_keys_matches_nothing() -> None:
    stored = code_digest(KEY, CHALLENGE, "123456")
    assert not code_matches([], CHALLENGE, "123456", stored)


@pytest.mark.parametrize("stored", ["", "00", "z" * 64, "0" * 64, "A" * 128])
def test_garbage_stored_digest_is_refused_without_error(stored: str) -> None:
    assert not code_matches([KEY, OLD_KEY], CHALLENGE, "123456", stored)


def test_a_code_with_non_ascii_characters_is_refused_without_error() -> None:
    stored = code_digest(KEY, CHALLENGE, "123456")
    assert not code_matches([KEY], CHALLENGE, "١٢٣٤٥٦", stored)


# --- input clean-up and format -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456", "123456"),
        (" 123456 ", "123456"),
        ("123 456", "123456"),
        ("123-456", "123456"),
        ("123\u00a0456", "123456"),
        ("\u00a0123456\u00a0", "123456"),
        ("#123456", "123456"),
        ("# 123 456", "123456"),
        ("  #123-456\t", "123456"),
        ("12.34.56", "123456"),
        ("1 2 3 4 5 6", "123456"),
        ("", ""),
    ],
)
def test_normalize_code_input(raw: str, expected: str) -> None:
    assert normalize_code_input(raw) == expected


fillers = st.sampled_from([" ", "\u00a0", "-", "\t"])


@PROPS
@given(
    code=digits,
    data=st.data(),
    hash_prefix=st.booleans(),
    before=st.text(alphabet=" \t\u00a0", max_size=3),
    after=st.text(alphabet=" \t\u00a0", max_size=3),
)
def test_normalize_recovers_code_from_any_padding(
    code: str, data: st.DataObject, hash_prefix: bool, before: str, after: str
) -> None:
    pieces = [ch + data.draw(st.text(alphabet=" \u00a0-\t", max_size=2)) for ch in code]
    raw = before + ("#" if hash_prefix else "") + "".join(pieces) + after
    assert normalize_code_input(raw) == code
    assert is_well_formed(normalize_code_input(raw), len(code))


@PROPS
@given(code=digits)
def test_normalize_is_idempotent_on_clean_codes(code: str) -> None:
    assert normalize_code_input(code) == code
    assert normalize_code_input(normalize_code_input("# " + code)) == code


def test_normalize_keeps_an_embedded_hash_so_the_code_is_refused() -> None:
    # Only a *leading* '#' is autofill decoration; one in the middle makes the input malformed.
    assert not is_well_formed(normalize_code_input("123#456"), 6)


@pytest.mark.parametrize(
    "code",
    [
        "١٢٣٤٥٦",  # Arabic-Indic digits
        "۱۲۳۴۵۶",  # Extended Arabic-Indic (Persian) digits
        "१२३४५६",  # Devanagari digits
        "１２３４５６",  # full-width digits
        "¹²³⁴⁵⁶",  # superscripts: str.isdigit() is True for these
        "①②③④⑤⑥",  # circled digits
        "12345a",
        "12345 ",
        "-12345",
        "+12345",
        "1234.5",
        "",
    ],
)
def test_is_well_formed_refuses_non_ascii_digits_and_other_characters(code: str) -> None:
    assert not is_well_formed(code, 6)


@pytest.mark.parametrize("length", range(MIN_CODE_LENGTH, MAX_CODE_LENGTH + 1))
def test_is_well_formed_requires_exact_length(length: int) -> None:
    assert is_well_formed("7" * length, length)
    assert not is_well_formed("7" * (length - 1), length)
    assert not is_well_formed("7" * (length + 1), length)


@PROPS
@given(text=st.text(max_size=12), length=st.integers(MIN_CODE_LENGTH, MAX_CODE_LENGTH))
def test_is_well_formed_means_exactly_length_ascii_digits(text: str, length: int) -> None:
    expected = len(text) == length and all(ch in string.digits for ch in text)
    assert is_well_formed(text, length) is expected


@PROPS
@given(
    code=st.text(
        alphabet=st.characters(categories=["Nd"], exclude_characters=string.digits),
        min_size=6,
        max_size=6,
    )
)
def test_is_well_formed_refuses_every_non_ascii_decimal_digit(code: str) -> None:
    assert not is_well_formed(code, 6)
    assert not is_well_formed(normalize_code_input(code), 6)
