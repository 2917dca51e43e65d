"""Backup codes (S54): the alphabet, the shape, normalising what people type, keyed digests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain import backup_codes
from tests.unit.props import PROPS

LOOK_ALIKES = set("01ilou")


def test_ten_distinct_codes_of_ten_unambiguous_characters() -> None:
    codes = backup_codes.new_codes()
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        assert len(code) == 10
        assert not set(code) & LOOK_ALIKES
        assert set(code) <= set(backup_codes.ALPHABET)
    assert not set(backup_codes.ALPHABET) & LOOK_ALIKES


def test_shown_as_two_groups_of_five() -> None:
    assert backup_codes.formatted("abcdefghjk") == "abcde-fghjk"


@PROPS
@given(st.text(alphabet=backup_codes.ALPHABET, min_size=10, max_size=10))
def test_typed_with_dashes_spaces_or_capitals_it_is_the_same_code(code: str) -> None:
    for typed in (code, backup_codes.formatted(code), f" {code[:5]} {code[5:]} ", code.upper()):
        assert backup_codes.normalize(typed) == code


def test_anything_else_is_not_a_code() -> None:
    for typed in ("", "abcde", "abcdefghjkm", "abcde-fghj1", "0000000000", "abcdefghj\u200b"):
        assert backup_codes.normalize(typed) is None


def test_the_digest_is_keyed_and_bound_to_the_account() -> None:
    key, other_key = b"k" * 32, b"o" * 32
    digest = backup_codes.digest(key, "acc_1", "abcdefghjk")
    assert len(digest) == 64 and "abcdefghjk" not in digest
    assert digest != backup_codes.digest(other_key, "acc_1", "abcdefghjk")
    assert digest != backup_codes.digest(key, "acc_2", "abcdefghjk")
    assert backup_codes.digests([key, other_key], "acc_1", "abcdefghjk")[0] == digest
