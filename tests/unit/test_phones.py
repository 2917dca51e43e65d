"""Mobile numbers: E.164, what may get an SMS, allowed countries, masking (S35, S38, S39)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from otpgate.domain.errors import InvalidInput
from otpgate.domain.phones import MAX_PHONE_INPUT, country_of, mask, parse_mobile
from tests.unit.props import PROPS


@pytest.mark.parametrize(
    "raw",
    [
        "+1 (415) 555-2671",
        "+14155552671",
        "+1 415 555 2671",
        "+1-415-555-2671",
        "  +1 415.555.2671  ",
    ],
)
def test_us_number_becomes_e164(raw: str) -> None:
    assert parse_mobile(raw) == "+14155552671"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 7400 123456", "+447400123456"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+49 1512 3456789", "+4915123456789"),
        ("+61 412 345 678", "+61412345678"),
        ("+81 90-1234-5678", "+819012345678"),
    ],
)
def test_mobile_numbers_of_several_countries(raw: str, expected: str) -> None:
    assert parse_mobile(raw) == expected


def test_national_form_uses_the_default_region() -> None:
    assert parse_mobile("07400 123456", default_region="GB") == "+447400123456"
    assert parse_mobile("(415) 555-2671", default_region="US") == "+14155552671"


def test_national_form_without_default_region_asks_for_international_form() -> None:
    with pytest.raises(InvalidInput, match="international form") as caught:
        parse_mobile("07400 123456")
    assert caught.value.field == "phone"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a mobile number"),
        ("   ", "Enter a mobile number"),
        ("hello", "international form"),
        ("+", "international form"),
        ("+1 415 555 267", "not a valid phone number"),
        ("+1 415 555 26711", "not a valid phone number"),
        ("+999 1234 5678", "international form"),
        ("+44 1632 960000", "not a valid phone number"),
    ],
)
def test_invalid_numbers_are_refused_with_a_clear_message(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_mobile(raw)
    assert caught.value.field == "phone"
    assert caught.value.detail.endswith(".")


def test_field_name_is_passed_through() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_mobile("nonsense", field="new_phone")
    assert caught.value.field == "new_phone"


@pytest.mark.parametrize(
    "raw",
    [
        "+442079460000",  # London fixed line
        "+49 30 123456",  # Berlin fixed line
        "+18005551234",  # US toll-free
        "+445612345678",  # UK VoIP
    ],
)
def test_numbers_that_cannot_take_sms_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput, match="can't receive text messages") as caught:
        parse_mobile(raw)
    assert caught.value.field == "phone"


@pytest.mark.parametrize(
    "raw",
    [
        "+19005551234",  # US premium rate
        "+448431234567",  # UK shared cost
    ],
)
def test_premium_rate_and_shared_cost_are_refused(raw: str) -> None:
    # S39: where SMS-pumping fraud sends its traffic.
    with pytest.raises(InvalidInput, match="Premium-rate and shared-cost"):
        parse_mobile(raw)


def test_allowed_countries_refuse_others() -> None:
    assert parse_mobile("+14155552671", allowed_countries=["US", "GB"]) == "+14155552671"
    assert parse_mobile("+447400123456", allowed_countries={"US", "GB"}) == "+447400123456"
    with pytest.raises(InvalidInput, match="that country") as caught:
        parse_mobile("+33612345678", allowed_countries=["US", "GB"])
    assert caught.value.field == "phone"


def test_empty_allowed_countries_means_all() -> None:
    assert parse_mobile("+33612345678", allowed_countries=()) == "+33612345678"


def test_nanp_countries_are_told_apart() -> None:
    # Canada shares +1 with the US; the allow list is by region, not calling code.
    canadian = phonenumbers.example_number_for_type("CA", phonenumbers.PhoneNumberType.MOBILE)
    assert canadian is not None
    e164 = phonenumbers.format_number(canadian, phonenumbers.PhoneNumberFormat.E164)
    with pytest.raises(InvalidInput, match="that country"):
        parse_mobile(e164, allowed_countries=["US"])


def test_too_long_input_is_refused_before_parsing() -> None:
    raw = "+1 (415) 555-2671" + " ext. 1234567890123456"
    assert len(raw) > MAX_PHONE_INPUT
    with pytest.raises(InvalidInput, match="too long"):
        parse_mobile(raw)
    with pytest.raises(InvalidInput, match="too long"):
        parse_mobile("+1" + "4" * 1000)


def test_surrounding_whitespace_does_not_count_towards_length() -> None:
    assert parse_mobile(" " * 40 + "+14155552671" + " " * 40) == "+14155552671"


@PROPS
@given(raw=st.text(max_size=40))
def test_parse_mobile_only_ever_returns_e164_or_invalid_input(raw: str) -> None:
    try:
        result = parse_mobile(raw)
    except InvalidInput as exc:
        assert exc.field == "phone"
        assert exc.detail
    else:
        assert result.startswith("+")
        assert result[1:].isascii() and result[1:].isdigit()
        assert parse_mobile(result) == result


def test_country_of() -> None:
    assert country_of("+14155552671") == "US"
    assert country_of("+447400123456") == "GB"
    assert country_of("+33612345678") == "FR"
    assert country_of("nonsense") == "ZZ"


# --- masking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+14155552671", "+1 ••• ••• ••71"),
        ("+447400123456", "+44 •••• ••••56"),
        ("+33612345678", "+33 • •• •• •• 78"),
        ("+4915123456789", "+49 •••• •••••89"),
        ("+61412345678", "+61 ••• ••• •78"),
    ],
)
def test_mask_examples(e164: str, expected: str) -> None:
    assert mask(e164) == expected


def _mobile_examples() -> list[str]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            numbers.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return numbers


MOBILE_EXAMPLES = _mobile_examples()


def test_every_region_s_example_mobile_is_accepted_and_masked() -> None:
    assert len(MOBILE_EXAMPLES) > 200
    for e164 in MOBILE_EXAMPLES:
        assert parse_mobile(e164) == e164
        masked = mask(e164)
        calling_code = "+" + str(phonenumbers.parse(e164).country_code)
        assert masked.startswith(calling_code + " "), (e164, masked)
        rest = masked[len(calling_code) :]
        # Only the last two digits of the national number are visible.
        assert "".join(ch for ch in rest if ch.isdigit()) == e164[-2:], (e164, masked)
        assert masked.endswith(e164[-2:])


@pytest.mark.parametrize("garbage", ["", "x", "12", "+12", "garbage12", "+99912345678"])
def test_mask_never_fails_and_shows_at_most_two_trailing_digits(garbage: str) -> None:
    masked = mask(garbage)
    assert masked.endswith(garbage[-2:])
    # At most a calling code (up to 3 digits) and the last two digits.
    assert sum(ch.isdigit() for ch in masked) <= 5
