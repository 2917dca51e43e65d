"""Authenticator-app codes (S52): RFC 6238 Appendix B, the ±1 step window, each step once."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.totp import (
    TotpParams,
    accepts,
    code_at,
    grouped,
    matching_step,
    new_secret,
    provisioning_uri,
    step_of,
)
from tests.unit.props import PROPS

# RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890", 8 digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("moment", "expected"), RFC_VECTORS)
def test_s52_rfc_6238_appendix_b_sha1_vectors(moment: int, expected: str) -> None:
    """S52: TOTP per RFC 6238 (the SHA-1 test vectors of Appendix B)."""
    assert code_at(RFC_SECRET, moment, TotpParams(digits=8)) == expected
    # The same arithmetic at our 6 digits is the vector's last six.
    assert code_at(RFC_SECRET, moment) == expected[-6:]


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_s52_the_window_is_one_step_either_side() -> None:
    now = 1_700_000_015
    step = now // 30
    for offset in (-1, 0, 1):
        code = code_at(RFC_SECRET, now + 30 * offset)
        assert matching_step(RFC_SECRET, code, at(now)) == step + offset
    for offset in (-2, 2):
        assert matching_step(RFC_SECRET, code_at(RFC_SECRET, now + 30 * offset), at(now)) is None


def test_s52_each_step_is_accepted_once_and_never_an_older_one() -> None:
    assert accepts(10, None) and accepts(11, 10)
    assert not accepts(10, 10)  # the same step again: a replay
    assert not accepts(9, 10)  # an older code after a newer one
    assert not accepts(None, None)


def test_malformed_codes_never_match() -> None:
    now = at(1_700_000_015)
    code = code_at(RFC_SECRET, now.timestamp())
    for bad in ("", code[:-1], code + "0", "abcdef", "１２３４５６"):
        assert matching_step(RFC_SECRET, bad, now) is None


@PROPS
@given(st.integers(min_value=0, max_value=2**33))
def test_pyotp_and_our_step_agree(moment: int) -> None:
    assert step_of(at(moment)) == pyotp.TOTP(RFC_SECRET).timecode(at(moment))


def test_secrets_are_160_bits_and_fresh() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(base64.b32decode(s)) == 20 for s in secrets)


def test_the_uri_names_issuer_and_account_with_default_parameters() -> None:
    uri = provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", account="a@b.example", issuer="Shop")
    assert uri == (
        "otpauth://totp/Shop:a%40b.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Shop"
    )


def test_the_secret_is_grouped_for_typing() -> None:
    assert grouped("ABCDEFGHIJKL") == "ABCD EFGH IJKL"
