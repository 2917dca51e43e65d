"""Opaque bearer tokens and public ids (S20)."""

from __future__ import annotations

import hashlib
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.tokens import TOKEN_BYTES, new_id, new_token, token_hash
from tests.unit.props import PROPS

URLSAFE = set(string.ascii_letters + string.digits + "-_")


@pytest.mark.parametrize("prefix", ["ses", "dev", "x"])
def test_new_token_has_prefix_and_at_least_256_bits(prefix: str) -> None:
    token = new_token(prefix)
    head, sep, secret = token.partition("_")
    assert (head, sep) == (prefix, "_")
    assert TOKEN_BYTES * 8 >= 256
    assert len(secret) >= 43  # ceil(256 / 6) url-safe base64 characters
    assert set(secret) <= URLSAFE


def test_new_tokens_are_unique() -> None:
    tokens = {new_token("ses") for _ in range(5000)}
    assert len(tokens) == 5000
    # And they do not share a long common prefix beyond the label.
    assert len({t[:12] for t in tokens}) == 5000


def test_token_hash_is_sha256_hex() -> None:
    token = new_token("ses")
    digest = token_hash(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")
    assert token not in digest
    assert token_hash(token) == digest


@PROPS
@given(a=st.text(), b=st.text())
def test_token_hash_is_deterministic_and_separates_tokens(a: str, b: str) -> None:
    assert token_hash(a) == token_hash(a)
    assert (token_hash(a) == token_hash(b)) is (a == b)


@pytest.mark.parametrize("prefix", ["acc", "evt", "sms"])
def test_new_id_prefix_and_uniqueness(prefix: str) -> None:
    ids = {new_id(prefix) for _ in range(2000)}
    assert len(ids) == 2000
    for value in ids:
        head, sep, rest = value.partition("_")
        assert (head, sep) == (prefix, "_")
        assert len(rest) == 16  # 12 random bytes
        assert set(rest) <= URLSAFE
