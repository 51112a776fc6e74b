"""Phone numbers to E.164 with a small table of national numbering plans.

Not a full numbering library (Home Assistant does not ship one): a national number is read by
dropping the country's trunk prefix (the ``0`` of ``07700 900123`` in the UK) and putting the
country calling code in front, when what remains has a length the country's numbers have. Only
the countries of the table are known; a number in international form (``+`` or ``00``) needs
none and is taken whatever its country.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .api.text import clean_number, to_e164


@dataclass(frozen=True, slots=True)
class NumberingPlan:
    """How a country writes its numbers nationally."""

    calling_code: str
    trunk_prefix: str  # dialled before a national number; "" when there is none
    lengths: range  # digits of a number without the trunk prefix and the calling code


def _plan(calling_code: str, trunk_prefix: str, shortest: int, longest: int) -> NumberingPlan:
    return NumberingPlan(calling_code, trunk_prefix, range(shortest, longest + 1))


# Countries whose plan is simple enough to read national numbers safely. Italy keeps the
# leading 0 of its landline numbers in international form, so it has no trunk prefix here.
NUMBERING_PLANS: Final[dict[str, NumberingPlan]] = {
    "AE": _plan("971", "0", 8, 9),
    "AT": _plan("43", "0", 6, 13),
    "AU": _plan("61", "0", 9, 9),
    "BE": _plan("32", "0", 8, 9),
    "BG": _plan("359", "0", 7, 9),
    "CA": _plan("1", "1", 10, 10),
    "CH": _plan("41", "0", 9, 9),
    "CN": _plan("86", "0", 9, 11),
    "CZ": _plan("420", "", 9, 9),
    "DE": _plan("49", "0", 6, 13),
    "DK": _plan("45", "", 8, 8),
    "EE": _plan("372", "", 7, 8),
    "EG": _plan("20", "0", 9, 10),
    "ES": _plan("34", "", 9, 9),
    "FI": _plan("358", "0", 6, 11),
    "FR": _plan("33", "0", 9, 9),
    "GB": _plan("44", "0", 7, 10),
    "GR": _plan("30", "", 10, 10),
    "HK": _plan("852", "", 8, 8),
    "HR": _plan("385", "0", 8, 9),
    "HU": _plan("36", "06", 8, 9),
    "ID": _plan("62", "0", 8, 12),
    "IE": _plan("353", "0", 7, 9),
    "IL": _plan("972", "0", 8, 9),
    "IN": _plan("91", "0", 10, 10),
    "IT": _plan("39", "", 6, 11),
    "JP": _plan("81", "0", 9, 10),
    "KE": _plan("254", "0", 9, 9),
    "KR": _plan("82", "0", 8, 10),
    "KZ": _plan("7", "8", 10, 10),
    "LU": _plan("352", "", 6, 11),
    "LV": _plan("371", "", 8, 8),
    "MX": _plan("52", "", 10, 10),
    "MY": _plan("60", "0", 8, 10),
    "NG": _plan("234", "0", 8, 10),
    "NL": _plan("31", "0", 9, 9),
    "NO": _plan("47", "", 8, 8),
    "NZ": _plan("64", "0", 8, 10),
    "PH": _plan("63", "0", 8, 10),
    "PK": _plan("92", "0", 9, 10),
    "PL": _plan("48", "", 9, 9),
    "PT": _plan("351", "", 9, 9),
    "RO": _plan("40", "0", 9, 9),
    "RU": _plan("7", "8", 10, 10),
    "SA": _plan("966", "0", 8, 9),
    "SE": _plan("46", "0", 7, 10),
    "SG": _plan("65", "", 8, 8),
    "SI": _plan("386", "0", 8, 8),
    "SK": _plan("421", "0", 9, 9),
    "TH": _plan("66", "0", 8, 9),
    "TR": _plan("90", "0", 10, 10),
    "TW": _plan("886", "0", 8, 9),
    "UA": _plan("380", "0", 9, 9),
    "US": _plan("1", "1", 10, 10),
    "VN": _plan("84", "0", 9, 10),
    "ZA": _plan("27", "0", 9, 9),
}


def normalize_number(number: str, country: str | None) -> str | None:
    """Return ``number`` in E.164 form, or None when it cannot be read as a phone number.

    A national number is read in ``country`` (ISO 3166 code); without a known country, only an
    international number is read.
    """
    if (cleaned := clean_number(number)) is None:
        return None
    if cleaned.startswith("+"):
        return to_e164(cleaned)
    if (plan := NUMBERING_PLANS.get((country or "").upper())) is None:
        return None
    national = cleaned
    trunk = plan.trunk_prefix
    if trunk and cleaned.startswith(trunk) and len(cleaned) - len(trunk) in plan.lengths:
        national = cleaned.removeprefix(trunk)
    if len(national) not in plan.lengths:
        return None
    return to_e164(f"+{plan.calling_code}{national}")
