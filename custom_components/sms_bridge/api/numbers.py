"""Phone numbers, read with the phonenumbers library: E.164 forms, regions, emergency numbers.

Numbers are compared in E.164 form (``+447700900123``). A number written internationally
(``+44 7700 900123``, ``0044 7700 900123``) has one whatever the region; a national number
(``07700 900123``) is read in a region, an ISO 3166 country code such as ``GB``, and has none
without one. What has no E.164 form is compared as written without its separators (a short
code such as ``43105``, a national number without a region), and a sender name (``MyBank``)
in any case and spacing.

Pure Python: nothing here imports Home Assistant.
"""

from __future__ import annotations

from functools import lru_cache
import re
from typing import Final

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
    shortnumberinfo,
)

_SEPARATORS: Final = re.compile(r"[\s\-().]")
_DIALLABLE: Final = re.compile(r"\+?\d{3,15}")
_DIGITS: Final = re.compile(r"\+?\d+")

# Every GSM phone dials these to the emergency services, in any country and even without a SIM.
ANYWHERE_EMERGENCY_NUMBERS: Final = frozenset({"112", "911"})

# The regions phonenumbers has a numbering plan for (ISO 3166 codes).
REGIONS: Final[frozenset[str]] = frozenset(phonenumbers.SUPPORTED_REGIONS)


def clean_number(number: str) -> str | None:
    """Return ``number`` without separators if a gateway can dial it, else None.

    Accepts international (``+33 6 12 34 56 78``, ``0033…`` read as ``+33…``), national
    (``0612345678``) and short codes (``43105``): the gateways accept ``^\\+?\\d+$``. Letters
    (``MyBank``) are refused.
    """
    cleaned = _SEPARATORS.sub("", number)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    return cleaned if _DIALLABLE.fullmatch(cleaned) else None


def known_region(region: str | None) -> str | None:
    """Return ``region`` in capitals when phonenumbers has its numbering plan, else None."""
    code = (region or "").upper()
    return code if code in REGIONS else None


# Reading a number takes about 50 µs; the same few numbers (contacts, allowed recipients, trigger
# filters) are compared again for every message.
@lru_cache(maxsize=4096)
def to_e164(number: str, region: str | None = None) -> str | None:
    """Return the E.164 form of ``number``, or None when it has none.

    An international number (``+``, or ``00`` where the region's own international prefix does
    not read it) needs only a length its country's numbers can have. A national number is read
    in ``region``; a short code of the region (``112``, ``3665``) has no E.164 form, nor has
    anything with letters.
    """
    digits = _SEPARATORS.sub("", number)
    if not _DIGITS.fullmatch(digits):
        return None
    if digits.startswith("+"):
        return _international(digits)
    if (code := known_region(region)) is not None and (national := _national(digits, code)):
        return national
    if digits.startswith("00"):
        return _international("+" + digits[2:])
    return None


def number_key(number: str, region: str | None = None) -> str:
    """Return ``number`` as numbers are compared: E.164, else as dialled, else a folded name."""
    return to_e164(number, region) or clean_number(number) or " ".join(number.split()).casefold()


def dialled_number(number: str, region: str | None = None) -> str | None:
    """Return the number to send to: its E.164 form, else as dialled; None when not dialable."""
    if (cleaned := clean_number(number)) is None:
        return None
    return to_e164(number, region) or cleaned


def same_number(first: str, second: str, region: str | None = None) -> bool:
    """Return True when two numbers are the same, however each is written.

    Where one is international and the other is not, the other is read in the first one's
    country (a SIM's ``0600000002`` is the ``+33600000002`` it is asked for by); numbers with
    no E.164 form are compared by their digits, with or without ``+``.
    """
    one, other = to_e164(first, region), to_e164(second, region)
    if one is None and other is not None:
        one = to_e164(first, region_of(other))
    elif other is None and one is not None:
        other = to_e164(second, region_of(one))
    if one is not None and one == other:
        return True
    first_digits, second_digits = clean_number(first), clean_number(second)
    return (
        first_digits is not None
        and second_digits is not None
        and first_digits.lstrip("+") == second_digits.lstrip("+")
    )


def region_of(number: str) -> str | None:
    """Return the region of an international number: where it is allocated, else its country
    code's main region (``GB`` for any ``+44``); None when it is not international."""
    if (e164 := to_e164(number)) is None or (parsed := _parse(e164, None)) is None:
        return None
    return known_region(
        phonenumbers.region_code_for_number(parsed)
        or phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    )


def is_emergency_number(number: str, region: str | None) -> bool:
    """Return True for an emergency number: 112 and 911 anywhere, the region's own in it.

    Only a number dialled as a short code is one: ``+1 911`` is not.
    """
    digits = _SEPARATORS.sub("", number)
    if not digits.isascii() or not digits.isdecimal():
        return False
    if digits in ANYWHERE_EMERGENCY_NUMBERS:
        return True
    code = known_region(region)
    return code is not None and shortnumberinfo.is_emergency_number(digits, code)


def example_number(region: str | None) -> tuple[str, str] | None:
    """Return a mobile number of the region, as dialled there and internationally.

    ``("07400 123456", "+44 7400 123456")`` for ``GB``; None for an unknown region.
    """
    if (code := known_region(region)) is None:
        return None
    example = phonenumbers.example_number_for_type(
        code, PhoneNumberType.MOBILE
    ) or phonenumbers.example_number(code)
    if example is None:
        return None
    return (
        phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL),
    )


def _parse(number: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(number, region)
    except NumberParseException:
        return None


def _international(number: str) -> str | None:
    """Return the E.164 form of a ``+`` number whose country's numbers can have its length.

    A number too short for the country's national numbers but as long as its local ones
    (``+1 555 0100``) is taken, as phones and gateways take it.
    """
    if (parsed := _parse(number, None)) is None:
        return None
    if phonenumbers.is_possible_number_with_reason(parsed) not in (
        ValidationResult.IS_POSSIBLE,
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ):
        return None
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def _national(number: str, region: str) -> str | None:
    """Return the E.164 form of a number as dialled in ``region``, when it is a full number."""
    if (parsed := _parse(number, region)) is None:
        return None
    if phonenumbers.is_possible_number_with_reason(parsed) != ValidationResult.IS_POSSIBLE:
        return None
    # A short code of the region as long as its national numbers (11880 in Germany).
    if shortnumberinfo.is_possible_short_number_for_region(
        parsed, region
    ) and not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
