"""The numbers a callback may dial (chalicelib/domain/callbacks/numbers.py): E.164 from what a visitor types and the
tenant's country, refusals by field (not a number, invalid, refused kind, refused country), an agent's own line, the
countries settings, and masking. Refused kinds are checked on libphonenumber's own example numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from chalicelib.domain.callbacks.numbers import (
    DIALLED_TYPES,
    REFUSED_TYPES,
    NumberRefused,
    NumberRules,
    Refusal,
    agent_line,
    countries,
    country,
    masked,
    visitor_number,
)
from chalicelib.domain.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
FRANCE = NumberRules("FR")


def example(region: str, kind: str) -> str:
    """libphonenumber's example number of `kind` in `region`, in E.164."""
    number = phonenumbers.example_number_for_type(region, getattr(PhoneNumberType, kind))
    assert number is not None, f"no example {kind} number for {region}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def refusal(value: object, rules: NumberRules = FRANCE) -> NumberRefused:
    with pytest.raises(NumberRefused) as refused:
        visitor_number(value, rules)
    assert refused.value.field == "phone"
    assert refused.value.code == "invalid_field"  # a 400 naming the field, as any InvalidInput
    return refused.value


@pytest.mark.parametrize(("typed", "home", "e164"), [
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("0612345678", "FR", "+33612345678"),
    ("06.12.34.56.78", "FR", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "FR", "+33612345678"),
    ("0033 6 12 34 56 78", "FR", "+33612345678"),
    ("  01 23 45 67 89 ", "FR", "+33123456789"),
    ("09 12 34 56 78", "FR", "+33912345678"),
    ("\uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", "FR", "+33612345678"),  # full-width digits
    ("(201) 555-0123", "US", "+12015550123"),
    ("201/555-0123", "US", "+12015550123"),
    ("07400 123456", "GB", "+447400123456"),
    ("030 123456", "DE", "+4930123456"),
    ("0450 00 12 34", "BE", "+32450001234"),
])
def test_a_national_number_is_read_in_the_tenants_country_and_given_in_e164(typed: str, home: str, e164: str) -> None:
    assert visitor_number(typed, NumberRules(home)) == e164


def test_the_same_digits_are_a_number_in_one_country_and_none_in_another() -> None:
    assert visitor_number("0612345678", NumberRules("FR")) == "+33612345678"
    assert refusal("0612345678", NumberRules("BE")).reason == Refusal.INVALID


@pytest.mark.parametrize(("typed", "reason"), [
    ("", Refusal.NOT_A_NUMBER),
    ("   ", Refusal.NOT_A_NUMBER),
    (None, Refusal.NOT_A_NUMBER),
    (612345678, Refusal.NOT_A_NUMBER),
    ("call me", Refusal.NOT_A_NUMBER),
    ("1-800-FLOWERS", Refusal.NOT_A_NUMBER),  # the parser would read the letters as digits
    ("+33 6 12 34 56 78 ext 12", Refusal.NOT_A_NUMBER),  # an extension cannot be dialled
    ("06 12 34 56 78; DROP", Refusal.NOT_A_NUMBER),
    ("0" * 41, Refusal.NOT_A_NUMBER),
    ("+", Refusal.NOT_A_NUMBER),
    ("06 12 34 56 7", Refusal.INVALID),  # a digit short
    ("06 12 34 56 78 9", Refusal.INVALID),  # a digit too many
    ("1234", Refusal.INVALID),
    ("+999 123 456 789", Refusal.NOT_A_NUMBER),  # no such country code
])
def test_what_is_not_a_valid_number_is_refused_naming_the_phone_field(typed: object, reason: Refusal) -> None:
    assert refusal(typed).reason == reason


def test_a_number_of_another_country_is_refused_unless_the_tenant_calls_that_country() -> None:
    uk_mobile = "+44 7400 123456"
    refused = refusal(uk_mobile)
    assert refused.reason == Refusal.COUNTRY
    assert refused.message == "'phone' is a number of a country we do not call; give a number of FR"

    both = NumberRules("FR", allowed_countries=("FR", "GB"))
    assert visitor_number(uk_mobile, both) == "+447400123456"
    assert visitor_number("06 12 34 56 78", both) == "+33612345678"


def test_the_allowed_countries_replace_the_tenants_own_when_set() -> None:
    belgium_only = NumberRules("FR", allowed_countries=("BE",))
    assert refusal("06 12 34 56 78", belgium_only).reason == Refusal.COUNTRY
    assert visitor_number("+32 450 00 12 34", belgium_only) == "+32450001234"


def test_a_country_sharing_the_tenants_country_code_is_still_another_country() -> None:
    canadian = example("CA", "MOBILE")
    assert canadian == "+15062345678"
    assert refusal(canadian, NumberRules("US")).reason == Refusal.COUNTRY
    assert visitor_number("(201) 555-0123", NumberRules("US")) == "+12015550123"


@pytest.mark.parametrize(("region", "kind", "words"), [
    ("FR", "PREMIUM_RATE", "a premium-rate number"),
    ("FR", "SHARED_COST", "a shared-cost number"),
    ("FR", "TOLL_FREE", "a toll-free number"),
    ("FR", "UAN", "a company's universal access number"),
    ("GB", "PREMIUM_RATE", "a premium-rate number"),
    ("GB", "TOLL_FREE", "a toll-free number"),
    ("GB", "PERSONAL_NUMBER", "a personal forwarding number"),
    ("GB", "PAGER", "a pager number"),
    ("GB", "UAN", "a company's universal access number"),
    ("US", "PREMIUM_RATE", "a premium-rate number"),
    ("US", "TOLL_FREE", "a toll-free number"),
    ("US", "PERSONAL_NUMBER", "a personal forwarding number"),
    ("DE", "SHARED_COST", "a shared-cost number"),
    ("DE", "VOICEMAIL", "a voicemail access number"),
    ("CH", "PREMIUM_RATE", "a premium-rate number"),
    ("CH", "VOICEMAIL", "a voicemail access number"),
])
def test_numbers_that_are_not_a_persons_phone_are_refused_whatever_the_country(region: str, kind: str,
                                                                               words: str) -> None:
    number = example(region, kind)
    parsed = phonenumbers.parse(number)
    assert phonenumbers.number_type(parsed) == getattr(PhoneNumberType, kind)  # the example is of that kind
    refused = refusal(number, NumberRules(region))
    assert refused.reason == Refusal.NUMBER_TYPE
    assert refused.message == f"'phone' is {words}; give a mobile or landline number"


def test_a_premium_rate_number_typed_nationally_is_refused() -> None:
    assert example("FR", "PREMIUM_RATE") == "+33891123456"
    assert refusal("0891 12 34 56").reason == Refusal.NUMBER_TYPE


@pytest.mark.parametrize(("region", "kind"), [
    ("FR", "MOBILE"), ("FR", "FIXED_LINE"), ("FR", "VOIP"), ("GB", "MOBILE"), ("GB", "FIXED_LINE"), ("GB", "VOIP"),
    ("US", "FIXED_LINE_OR_MOBILE"), ("DE", "MOBILE"), ("DE", "FIXED_LINE"), ("CH", "MOBILE"),
])
def test_mobile_fixed_line_and_voip_numbers_are_dialled(region: str, kind: str) -> None:
    number = example(region, kind)
    assert visitor_number(number, NumberRules(region)) == number


def test_every_kind_the_library_knows_is_either_dialled_or_refused_on_purpose() -> None:
    kinds = {name for name in dir(PhoneNumberType) if name.isupper()} - {"UNKNOWN"}
    assert kinds == DIALLED_TYPES | set(REFUSED_TYPES)
    assert not DIALLED_TYPES & set(REFUSED_TYPES)


def test_an_international_non_geographic_number_is_refused() -> None:
    freephone = "+800 1234 5678"  # the ITU's universal freephone, of no country
    assert refusal(freephone, NumberRules("FR", allowed_countries=("FR", "GB", "US"))).reason == Refusal.NUMBER_TYPE


def test_an_agents_own_line_is_written_internationally_and_may_be_of_any_country() -> None:
    assert agent_line("+33 6 12 34 56 78") == "+33612345678"
    assert agent_line("+44 7400 123456") == "+447400123456"
    assert agent_line("+12015550123") == "+12015550123"


@pytest.mark.parametrize(("typed", "reason"), [
    ("06 12 34 56 78", Refusal.NOT_INTERNATIONAL),  # no country is guessed for an agent
    ("+33 6 12 34", Refusal.INVALID),
    ("+33 891 12 34 56", Refusal.NUMBER_TYPE),  # an insider's premium-rate line costs the brand as much
    ("+1 800 234 5678", Refusal.NUMBER_TYPE),
    ("", Refusal.NOT_A_NUMBER),
    (None, Refusal.NOT_A_NUMBER),
])
def test_an_agents_own_line_is_refused_naming_its_field(typed: object, reason: Refusal) -> None:
    with pytest.raises(NumberRefused) as refused:
        agent_line(typed)
    assert (refused.value.field, refused.value.reason) == ("own_line", reason)


def test_the_country_settings_take_two_letter_codes_and_name_the_entry_at_fault() -> None:
    assert country("FR", field="country") == "FR"
    assert country(" be ", field="country") == "BE"
    assert countries([], field="allowed_countries") == ()
    assert countries(["FR", "gb"], field="allowed_countries") == ("FR", "GB")
    for bad, field in [(["FR", "XX"], "allowed_countries[1]"), (["001"], "allowed_countries[0]"),
                       ([7], "allowed_countries[0]"), (["FR", "fr"], "allowed_countries"),
                       ("FR", "allowed_countries"), (None, "allowed_countries")]:
        with pytest.raises(InvalidInput) as refused:
            countries(bad, field="allowed_countries")
        assert refused.value.field == field, bad
    with pytest.raises(InvalidInput) as refused:
        country("France", field="country")
    assert refused.value.field == "country"


@pytest.mark.parametrize(("e164", "shown"), [
    ("+33612345678", "+33 6 •• •• •• 78"),
    ("+33123456789", "+33 1 •• •• •• 89"),
    ("+12015550123", "+1 201-•••-••23"),
    ("+4930123456", "+49 30 ••••56"),
    ("+447400123456", "+44 •••• ••••56"),  # a 4-digit prefix would show too much: hidden
    ("+32450001234", "+32 450 •• •• 34"),
    ("not a number", "•••"),
    ("", "•••"),
])
def test_a_masked_number_shows_its_country_its_prefix_and_its_last_two_digits(e164: str, shown: str) -> None:
    assert masked(e164) == shown


def test_phonenumbers_is_not_imported_with_the_module() -> None:
    """The library costs about 45 ms to import: a cold start that reads no phone number must not pay it."""
    code = ("import sys, chalicelib.domain.callbacks.numbers as n; print('phonenumbers' in sys.modules); "
            "n.visitor_number('06 12 34 56 78', n.NumberRules('FR')); print('phonenumbers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
