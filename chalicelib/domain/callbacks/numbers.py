"""The numbers a callback may dial (issue 13: the callbox of CB-1 and CB-2, the agent's own line of CB-6, and the
issue's "Abuse" section): a visitor's number in E.164 from what they typed and the tenant's country, refused by field
when it is not a phone number, is of a country the tenant does not call, or is of a kind that is not a person's phone;
an agent's own line; the countries settings; and a number masked for logs and screens.

A callback costs the brand the minutes it dials, and the visitor chooses the number: the rules keep the dialled
numbers to people's phones (mobile, fixed line, and the VoIP lines of home internet boxes) in the countries the brand
chose, so that nobody can make the brand call a premium-rate line they earn from, or flood a company's hotline.

`phonenumbers` (libphonenumber's metadata) is imported inside the functions: importing it takes about 45 ms, which
every cold start of the API would pay otherwise, and most requests never read a phone number.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.errors import InvalidInput

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

#: Longer than any formatted number a person types ("+33 (0)6 12 34 56 78" is 20 characters); a longer value is
#: refused before the parser reads it.
MAX_TYPED_CHARS = 40
#: What a typed number may hold: digits (of any script: the parser folds them to ASCII), one leading "+", and the
#: separators people type. Letters are refused, so a vanity number ("1-800-FLOWERS") or an extension is not a number.
_TYPED = re.compile(r"\+?[\d ()./\-\u00a0]+")

#: The number kinds (`phonenumbers.PhoneNumberType` names) a callback dials: a person answers them, at the price of a
#: call to a landline or a mobile. VOIP is dialled: in France (09) and the United Kingdom (056) these are the home
#: lines of internet boxes, priced as landlines. FIXED_LINE_OR_MOBILE is what the metadata says where both share a
#: range (all of North America).
DIALLED_TYPES = frozenset({"FIXED_LINE", "MOBILE", "FIXED_LINE_OR_MOBILE", "VOIP"})

#: Every other kind is refused, with the words the visitor reads, and why:
REFUSED_TYPES: Mapping[str, str] = {
    # the brand would pay a surcharge that goes to the line's owner: the classic fraud of making a service dial it
    "PREMIUM_RATE": "a premium-rate number",
    # the brand would pay more than a call, and these are companies' lines, not the visitor's phone
    "SHARED_COST": "a shared-cost number",
    "UAN": "a company's universal access number",
    # free to the caller but paid by its owner: a company's inbound line, the target of toll-free traffic pumping
    "TOLL_FREE": "a toll-free number",
    # forwarded anywhere (abroad too) at a price above a call (UK 070, US 500)
    "PERSONAL_NUMBER": "a personal forwarding number",
    # nobody answers with a voice
    "PAGER": "a pager number",
    "VOICEMAIL": "a voicemail access number",
}


class Refusal(enum.StrEnum):
    """Why a number was refused, for a caller that words it in the visitor's language."""

    NOT_A_NUMBER = "not_a_number"  # letters, an empty value, nothing the parser can read
    INVALID = "invalid"  # read, but no such number exists in its country's numbering plan
    NOT_INTERNATIONAL = "not_international"  # an agent's line must start with + and its country code
    NUMBER_TYPE = "number_type"  # premium-rate, toll-free ... (REFUSED_TYPES)
    COUNTRY = "country"  # a country the tenant does not call


class NumberRefused(InvalidInput):
    """A number Guichet will not dial; nothing is dialled. A 400 naming the field, as every InvalidInput."""

    def __init__(self, message: str, *, field: str, reason: Refusal) -> None:
        super().__init__(message, field=field)
        self.reason = reason


@dataclass(frozen=True)
class NumberRules:
    """A tenant's settings for the numbers its visitors leave.

    `country` is the tenant's own country (ISO 3166-1 alpha-2, as `phonenumbers` names regions): a number typed
    without its country code is read as one of its numbers. `allowed_countries` lists the countries that may be
    called; empty (the default) means only `country`.
    """

    country: str
    allowed_countries: tuple[str, ...] = ()

    @property
    def called_countries(self) -> frozenset[str]:
        return frozenset(self.allowed_countries or (self.country,))


def visitor_number(value: object, rules: NumberRules, *, field: str = "phone") -> str:
    """The visitor's number in E.164 ("+33612345678"), from what they typed ("06 12 34 56 78", "+33 (0)6 ...",
    "0033 6 ..."). NumberRefused naming `field` when it is not a number, not a valid one, of a refused kind, or of a
    country outside `rules.called_countries`."""
    import phonenumbers

    number = _parsed(value, rules.country, field)
    _check_kind(number, field)
    if phonenumbers.region_code_for_number(number) not in rules.called_countries:
        allowed = ", ".join(sorted(rules.called_countries))
        raise NumberRefused(f"'{field}' is a number of a country we do not call; give a number of {allowed}",
                            field=field, reason=Refusal.COUNTRY)
    return _e164(number)


def agent_line(value: object, *, field: str = "own_line") -> str:
    """An agent's own line (CB-6) in E.164. It must be written internationally (+ and the country code: an agent's
    line may be in any country, so no default country is guessed), be a valid number and a person's phone, as a
    visitor's; the tenant's countries do not apply. NumberRefused naming `field` otherwise."""
    if isinstance(value, str) and value.strip() and not value.strip().startswith("+"):
        raise NumberRefused(f"'{field}' must be written with + and the country code, e.g. +33 6 12 34 56 78",
                            field=field, reason=Refusal.NOT_INTERNATIONAL)
    number = _parsed(value, None, field)
    _check_kind(number, field)
    return _e164(number)


#: An ACD number (CB-5) is the brand's own inbound line, chosen by its admin: a company's line kinds are dialled too.
ACD_TYPES = DIALLED_TYPES | {"TOLL_FREE", "SHARED_COST", "UAN"}


def acd_line(value: object, *, field: str) -> str:
    """The brand's ACD number (CB-5) in E.164: written internationally, valid, and not premium-rate (nor a pager or
    voicemail access); a toll-free or shared-cost company line is accepted. NumberRefused naming `field` otherwise."""
    import phonenumbers

    if isinstance(value, str) and value.strip() and not value.strip().startswith("+"):
        raise NumberRefused(f"'{field}' must be written with + and the country code, e.g. +33 1 23 45 67 89",
                            field=field, reason=Refusal.NOT_INTERNATIONAL)
    number = _parsed(value, None, field)
    kind = phonenumbers.PhoneNumberType.to_string(phonenumbers.number_type(number))
    if kind not in ACD_TYPES:
        words = REFUSED_TYPES.get(kind, "not a number we can call")
        raise NumberRefused(f"'{field}' is {words}; give the ACD's number", field=field, reason=Refusal.NUMBER_TYPE)
    return _e164(number)


def country(value: object, *, field: str) -> str:
    """A country setting: an ISO 3166-1 alpha-2 code that `phonenumbers` knows ("FR"), upper-cased; InvalidInput
    naming `field` otherwise."""
    import phonenumbers

    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"'{field}' must be a two-letter country code, such as FR or US", field=field)
    return code


def countries(value: object, *, field: str) -> tuple[str, ...]:
    """The allowed countries setting: a list of country codes, each once; empty means only the tenant's own
    country. InvalidInput naming the entry at fault (`field[i]`) otherwise."""
    if not isinstance(value, list) or len(value) > 250:
        raise InvalidInput(f"'{field}' must be a list of two-letter country codes", field=field)
    codes = tuple(country(code, field=f"{field}[{i}]") for i, code in enumerate(value))
    if len(set(codes)) != len(codes):
        raise InvalidInput(f"'{field}' lists a country twice", field=field)
    return codes


MASK = "•"


def masked(e164: str) -> str:
    """A number for logs and screens that must not show it whole: its country code, the first group of its national
    number when that group is short (an area code or a mobile prefix, at most 3 digits) and at least 4 digits stay
    hidden, and its last 2 digits: "+33 6 •• •• •• 78", "+1 201-•••-••23". Never raises, and never returns more of a
    value it cannot read than a mask."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return MASK * 3
    prefix = f"+{number.country_code}"
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if not formatted.startswith(prefix):  # not expected from the library; masks everything rather than guess
        return prefix + " " + MASK * 3
    national = formatted[len(prefix):]
    groups = re.findall(r"\d+", national)
    digits = sum(len(g) for g in groups)
    shown_head = len(groups[0]) if groups and len(groups[0]) <= 3 and digits - len(groups[0]) - 2 >= 4 else 0
    out: list[str] = []
    seen = 0
    for char in national:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= shown_head or seen > digits - 2 else MASK)
        else:
            out.append(char)
    return prefix + "".join(out)


def _parsed(value: object, default_country: str | None, field: str) -> PhoneNumber:
    import phonenumbers

    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_TYPED_CHARS or not _TYPED.fullmatch(text):
        raise NumberRefused(f"'{field}' must be a phone number: digits, spaces and a leading + only",
                            field=field, reason=Refusal.NOT_A_NUMBER)
    try:
        number = phonenumbers.parse(text, default_country)
    except phonenumbers.NumberParseException as exc:
        raise NumberRefused(f"'{field}' must be a phone number, with its country code if it is from abroad",
                            field=field, reason=Refusal.NOT_A_NUMBER) from exc
    if not phonenumbers.is_valid_number(number):
        raise NumberRefused(f"'{field}' is not a valid phone number; check its digits", field=field,
                            reason=Refusal.INVALID)
    return number


def _check_kind(number: PhoneNumber, field: str) -> None:
    import phonenumbers

    kind = phonenumbers.PhoneNumberType.to_string(phonenumbers.number_type(number))
    if kind not in DIALLED_TYPES:
        words = REFUSED_TYPES.get(kind, "not a number we can call")
        raise NumberRefused(f"'{field}' is {words}; give a mobile or landline number", field=field,
                            reason=Refusal.NUMBER_TYPE)


def _e164(number: PhoneNumber) -> str:
    import phonenumbers

    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
