"""Operators turn factors on and off; passkeys need a BASE_URL browsers accept."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from otpgate.bootstrap import factor_config
from otpgate.config import Settings, describe_error


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="k" * 40, **values)  # type: ignore[arg-type]


def test_passkeys_follow_the_base_url_unless_told(tmp_path: Path) -> None:
    assert not settings(tmp_path).passkeys_enabled  # make run's default: http://127.0.0.1:8000
    assert settings(tmp_path, base_url="http://localhost:8000").passkeys_enabled
    assert settings(tmp_path, base_url="https://shop.example").passkeys_enabled
    assert not settings(tmp_path, base_url="http://shop.example").passkeys_enabled
    assert not settings(tmp_path, base_url="https://shop.example", passkeys=False).passkeys_enabled
    rp = factor_config(settings(tmp_path, base_url="http://localhost:8000")).passkeys
    assert rp is not None and rp.id == "localhost"
    assert factor_config(settings(tmp_path)).passkeys is None


def test_s53_passkeys_on_an_ip_address_stop_start_up_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(tmp_path, passkeys=True)
    line = describe_error(caught.value)
    assert "\n" not in line
    assert line.startswith("invalid settings: OTPGATE_PASSKEYS: passkeys need a BASE_URL")
    assert "http://localhost:8000" in line


def test_calls_are_on_in_development_and_where_configured(tmp_path: Path) -> None:
    assert settings(tmp_path).voice_provider_order == ("voice-outbox",)
    assert settings(tmp_path, voice=False).voice_provider_order == ()
    assert settings(tmp_path, sms_provider="sns").voice_provider_order == ()
    chosen = settings(tmp_path, sms_provider="sns", voice_providers="twilio-voice")
    assert chosen.voice_provider_order == ("twilio-voice",)
    with pytest.raises(ValidationError, match="not one of voice-outbox, twilio-voice"):
        settings(tmp_path, voice_providers="twilio")
    with pytest.raises(ValidationError, match="OTPGATE_VOICE=true needs"):
        settings(tmp_path, sms_provider="sns", voice=True)


def test_apps_and_backup_codes_can_be_turned_off(tmp_path: Path) -> None:
    config = factor_config(settings(tmp_path, totp=False, backup_codes=False))
    assert (config.totp, config.backup_codes) == (False, False)
