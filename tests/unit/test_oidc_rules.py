"""The pure OpenID Connect rules: amr/acr (RFC 8176, S49), what a request demands, local paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.oidc import (
    ACR_MFA,
    ACR_TRUSTED_DEVICE,
    Demand,
    acr_for,
    amr_for,
    local_path,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_s49_amr_and_acr_name_the_factor_that_answered() -> None:
    assert amr_for("sms_code") == ("pwd", "sms", "mfa")
    assert amr_for("totp") == ("pwd", "otp", "mfa")
    assert amr_for("passkey") == ("pwd", "hwk", "mfa")
    assert amr_for("voice_code") == ("pwd", "tel", "mfa")
    assert amr_for(None) == ("pwd",) and acr_for(None) == ACR_TRUSTED_DEVICE
    assert acr_for("backup_code") == ACR_MFA


def test_s49_what_a_request_demands() -> None:
    an_hour_ago = NOW - timedelta(hours=1)
    assert Demand.of({}).satisfied_by(an_hour_ago, ACR_MFA, NOW, None)
    assert not Demand.of({"prompt": "login"}).satisfied_by(NOW, ACR_MFA, NOW, None)
    assert Demand.of({"prompt": "login"}).satisfied_by(NOW, ACR_MFA, NOW, an_hour_ago)
    assert not Demand.of({"max_age": "600"}).satisfied_by(an_hour_ago, ACR_MFA, NOW, None)
    assert Demand.of({"max_age": "7200"}).satisfied_by(an_hour_ago, ACR_MFA, NOW, None)
    assert Demand.of({"max_age": "0"}).satisfied_by(NOW, ACR_MFA, NOW, NOW)
    wants = Demand.of({"acr_values": f"x {ACR_MFA}"})
    assert wants.wants_code
    assert not wants.satisfied_by(NOW, ACR_TRUSTED_DEVICE, NOW, NOW)
    assert wants.satisfied_by(an_hour_ago, ACR_MFA, NOW, None)
    assert Demand.of({"max_age": "-5"}).max_age is None


def test_s48_only_local_account_paths_are_destinations() -> None:
    for good in ("/account", "/account/payments", "/account/activity?before=ev_1"):
        assert local_path(good) == good
    for bad in (
        "//evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
        "/%252F%252Fevil.example",
        "https://evil.example/account",
        "/account/../signout",
        "/account/%2e%2e/x",
        "/accountx",
        "/signin",
        " /account",
        "/account\n",
        "",
        None,
    ):
        assert local_path(bad) is None, bad


@given(st.text(max_size=60))
def test_s48_no_destination_ever_leaves_the_site(candidate: str) -> None:
    path = local_path(candidate)
    if path is not None:
        assert path.startswith("/account") and not path.startswith("//")
        assert "\\" not in path and "://" not in path
