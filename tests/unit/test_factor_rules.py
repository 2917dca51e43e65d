"""Which factors answer which challenge; factor names; the passkey and call rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otpgate.domain.actions import ActionType, PendingAction
from otpgate.domain.calls import code_call
from otpgate.domain.challenges import (
    Challenge,
    ConfirmPhone,
    Decoy,
    ForAccount,
    Intent,
    SignIn,
    Status,
    StepUp,
    Subject,
)
from otpgate.domain.errors import InvalidInput
from otpgate.domain.factors import (
    EnrolledFactor,
    FactorKind,
    FactorStatus,
    FactorType,
    answerable_with,
    clean_label,
)
from otpgate.domain.passkeys import (
    b64url,
    client_challenge,
    host_is_name,
    relying_party,
    sign_count_regressed,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALL = {FactorType.TOTP, FactorType.PASSKEY, FactorType.BACKUP_CODE}


def challenge(intent: Intent, subject: Subject | None = None) -> Challenge:
    return Challenge(
        id="ch_x",
        subject=subject or ForAccount("acc_1"),
        intent=intent,
        status=Status.PENDING,
        destination="+14155552671",
        code_digest="",
        attempts=0,
        max_attempts=5,
        sends=1,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=5),
        last_sent_at=T0,
    )


def step_up(action: ActionType) -> Challenge:
    bound = PendingAction(action, {"phone": "+14155550000"}, "x").bind("acc_1", "se_1")
    return challenge(StepUp(session_id="se_1", action=bound))


def test_sign_in_and_step_up_take_every_enrolled_factor_sms_first() -> None:
    for target in (challenge(SignIn()), step_up(ActionType.UPDATE_PROFILE)):
        assert answerable_with(target, ALL, voice=True) == (
            FactorType.SMS_CODE,
            FactorType.VOICE_CODE,
            FactorType.TOTP,
            FactorType.PASSKEY,
            FactorType.BACKUP_CODE,
        )
        assert answerable_with(target, set(), voice=False) == (FactorType.SMS_CODE,)


def test_a_number_being_proven_takes_only_its_own_text() -> None:
    for target in (
        challenge(ConfirmPhone()),
        challenge(ConfirmPhone(), Decoy()),
        step_up(ActionType.CONFIRM_NEW_PHONE),
    ):
        assert answerable_with(target, ALL, voice=True) == (FactorType.SMS_CODE,)
    # The current number approving a change of number may be answered by the app.
    assert FactorType.TOTP in answerable_with(step_up(ActionType.CHANGE_PHONE), ALL, voice=True)


def test_an_enrolment_answers_only_when_active_and_with_codes_left() -> None:
    def factor(
        kind: FactorKind, status: FactorStatus, remaining: int | None = None
    ) -> EnrolledFactor:
        return EnrolledFactor("fac_1", "acc_1", kind, "x", status, T0, remaining=remaining)

    assert factor(FactorKind.TOTP, FactorStatus.ACTIVE).answers_with is FactorType.TOTP
    assert factor(FactorKind.TOTP, FactorStatus.PENDING).answers_with is None
    assert factor(FactorKind.BACKUP_CODES, FactorStatus.ACTIVE, 3).answers_with is (
        FactorType.BACKUP_CODE
    )
    assert factor(FactorKind.BACKUP_CODES, FactorStatus.ACTIVE, 0).answers_with is None
    pending = factor(FactorKind.PASSKEY, FactorStatus.PENDING)
    assert not pending.pending_expired(T0 + timedelta(minutes=9))
    assert pending.pending_expired(T0 + timedelta(minutes=10))


def test_labels_are_one_printable_line() -> None:
    assert clean_label("  My   phone ", FactorKind.TOTP) == "My phone"
    assert clean_label("", FactorKind.PASSKEY) == "Passkey"
    assert clean_label(None, FactorKind.TOTP) == "Authenticator app"
    # Line breaks of any kind become spaces: the name stays on one line (S41).
    assert clean_label("a\u2028b\nc", FactorKind.TOTP) == "a b c"
    for bad in ("a\u202eb", "x" * 61, "tab\x07", "zero\u200bwidth"):
        with pytest.raises(InvalidInput):
            clean_label(bad, FactorKind.TOTP)


def test_s53_the_relying_party_is_the_base_url_and_never_an_ip() -> None:
    """S53: RP ID bound to the origin; browsers refuse IP addresses as RP IDs."""
    rp = relying_party("http://localhost:8000", "Shop")
    assert (rp.id, rp.origin, rp.name) == ("localhost", "http://localhost:8000", "Shop")
    assert relying_party("https://shop.example/app", "Shop").origin == "https://shop.example"
    for ip in ("http://127.0.0.1:8000", "http://[::1]:8000", "https://10.0.0.1"):
        assert not host_is_name(ip)
        with pytest.raises(ValueError, match="http://localhost:8000"):
            relying_party(ip, "Shop")


def test_s53_a_counter_that_does_not_grow_is_a_regression_unless_both_are_zero() -> None:
    """S53: sign-count regression refused; synced passkeys (always 0) are fine."""
    assert sign_count_regressed(5, 5) and sign_count_regressed(5, 3)
    assert sign_count_regressed(0, 0) is False
    assert sign_count_regressed(5, 6) is False and sign_count_regressed(0, 1) is False
    assert sign_count_regressed(3, 0)


def test_the_signed_challenge_is_read_from_client_data() -> None:
    data = b64url(b'{"type":"webauthn.get","challenge":"abc","origin":"https://x"}')
    assert client_challenge(data) == "abc"
    for junk in ("", "!!!", b64url(b"[1]"), b64url(b'{"challenge":1}'), b64url(b"\xff")):
        assert client_challenge(junk) is None


def test_a_call_reads_the_code_twice_digit_by_digit_and_stores_no_code() -> None:
    call = code_call(code="402917", brand="Shop", purpose_text="sign in")
    assert call.text == (
        "This is Shop. Your code to sign in is: 4. 0. 2. 9. 1. 7. "
        "Again, your code is: 4. 0. 2. 9. 1. 7. Never share this code with anyone."
    )
    assert "4. 0. 2" not in call.redacted and call.redacted.count("•") == 12
