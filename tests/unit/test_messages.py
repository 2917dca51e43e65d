"""The SMS text and its origin-bound last line (S6, S7)."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.durations import duration_text
from otpgate.domain.messages import code_message, redact
from tests.unit.props import PROPS


def test_code_message_exact_text() -> None:
    body = code_message(
        code="123456", brand="Shop", purpose_text="sign in", ttl_seconds=300, host="shop.example"
    )
    assert body == (
        "123456 is your Shop code to sign in. It expires in 5 minutes. Never share it."
        "\n\n@shop.example #123456"
    )


def test_code_message_names_the_action_for_step_up() -> None:
    body = code_message(
        code="0042137",
        brand="Shop",
        purpose_text="add Visa ending 4242",
        ttl_seconds=60,
        host="shop.example",
    )
    assert body.startswith("0042137 is your Shop code to add Visa ending 4242. ")
    assert "It expires in 1 minute." in body


hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6}){1,3}", fullmatch=True)
codes = st.text(alphabet=string.digits, min_size=6, max_size=10)
brands = st.text(
    alphabet=st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20
).filter(lambda s: s.strip() == s and s != "")


@PROPS
@given(code=codes, host=hosts, brand=brands, ttl=st.integers(1, 600))
def test_last_line_is_exactly_host_and_code(code: str, host: str, brand: str, ttl: int) -> None:
    body = code_message(code=code, brand=brand, purpose_text="sign in", ttl_seconds=ttl, host=host)
    lines = body.split("\n")
    assert lines[-1] == f"@{host} #{code}"
    assert lines[-2] == ""
    assert len(lines) == 3
    assert lines[0].startswith(f"{code} is your {brand} code to sign in. It expires in ")
    assert lines[0].endswith(f"{duration_text(ttl, exact=True)}. Never share it.")
    assert not body.endswith("\n")


@PROPS
@given(code=codes, host=hosts, brand=brands, purpose=st.text(max_size=40))
def test_redact_removes_every_occurrence_of_the_code(
    code: str, host: str, brand: str, purpose: str
) -> None:
    body = code_message(
        code=code, brand=brand + code, purpose_text=purpose + code, ttl_seconds=300, host=host
    )
    assert body.count(code) >= 4
    redacted = redact(body, code)
    assert code not in redacted
    assert "•" * len(code) in redacted
    assert len(redacted) == len(body)


def test_redact_example() -> None:
    body = code_message(
        code="123456", brand="Shop", purpose_text="sign in", ttl_seconds=300, host="shop.example"
    )
    assert redact(body, "123456") == (
        "•••••• is your Shop code to sign in. It expires in 5 minutes. Never share it."
        "\n\n@shop.example #••••••"
    )


def test_redact_handles_overlapping_repeats() -> None:
    assert "1212" not in redact("x 121212 y", "1212")
    assert "111111" not in redact("1111111111111", "111111")
