"""Phone numbers through phonenumbers: E.164 forms, comparisons, regions and emergency numbers."""

from __future__ import annotations

import pytest

from custom_components.sms_bridge.api.numbers import (
    REGIONS,
    dialled_number,
    example_number,
    is_emergency_number,
    number_key,
    region_of,
    same_number,
    to_e164,
)


@pytest.mark.parametrize(
    ("number", "region", "e164"),
    [
        ("+44 7700 900123", None, "+447700900123"),
        ("0044 7700 900123", None, "+447700900123"),
        ("0044 7700 900123", "US", "+447700900123"),  # 00 is no international prefix there
        ("0011 44 7700 900123", "AU", "+447700900123"),  # Australia's international prefix
        ("+1 555 0100", None, "+15550100"),  # as long as a local number: phones take it
        ("07700 900123", "GB", "+447700900123"),
        ("07700 900123", "gb", "+447700900123"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("612 34 56 78", "ES", "+34612345678"),  # no trunk prefix
        ("06 1234 5678", "IT", "+390612345678"),  # Italy keeps its leading 0
        ("8 (912) 345-67-89", "RU", "+79123456789"),
        ("33 6 12 34 56 78", "FR", "+33612345678"),  # the country code without its +
        ("07700 900123", None, None),  # national, and no region to read it in
        ("07700 900123", "AQ", None),  # a region without a numbering plan
        ("11880", "DE", None),  # a short code as long as a German number
        ("112", "DE", None),
        ("7", "FR", None),  # too short to be read at all
        ("+44 7700 900123 4567", None, None),  # too long for a British number
        ("+999 123456", None, None),  # no such country code
        ("MyBank", "GB", None),
        ("+33 6 12 34 56 7A", None, None),
    ],
)
def test_to_e164(number: str, region: str | None, e164: str | None) -> None:
    """International numbers need no region; national ones are read in theirs; short codes none."""
    assert to_e164(number, region) == e164


@pytest.mark.parametrize(
    ("number", "region", "dialled"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("06 12 34 56 78", None, "0612345678"),  # no region: as dialled, for the phone to read
        ("43105", "FR", "43105"),
        ("+999 123456", None, "+999123456"),  # unknown to the plan, yet dialable as before
        ("MyBank", "FR", None),
        ("12", "FR", None),
    ],
)
def test_dialled_number(number: str, region: str | None, dialled: str | None) -> None:
    """A recipient goes out in E.164 form when it has one, else as dialled; letters never."""
    assert dialled_number(number, region) == dialled


def test_number_key_compares_any_writing_of_a_number() -> None:
    """One key for every writing of a number; a name in any case and spacing."""
    keys = {
        number_key(number, "FR")
        for number in ("+33 6 12-34-56-78", "0033612345678", "06 12 34 56 78", "+33612345678")
    }
    assert keys == {"+33612345678"}
    assert number_key("06 12 34 56 78", None) == "0612345678"
    assert number_key("  My  Bank ", "FR") == number_key("my bank", None) == "my bank"


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("+33600000002", "+33 6 00 00 00 02", True),
        ("+33600000002", "0600000002", True),  # read in the country of the other
        ("0600000002", "+33600000002", True),
        ("+33600000002", "33600000002", True),
        ("+33600000002", "+33600000003", False),
        ("+447700900123", "0600000002", False),
        ("43105", "43105", True),
        ("+999123456", "999123456", True),  # no E.164 form: the digits, with or without +
        ("Free", "Free", False),  # a name is no number
    ],
)
def test_same_number(first: str, second: str, same: bool) -> None:
    """SIM numbers match however the gateway and the user write them."""
    assert same_number(first, second) is same


def test_region_of() -> None:
    """The region a number is allocated in, else its country code's main region."""
    assert region_of("+33 6 12 34 56 78") == "FR"
    assert region_of("+447700900123") == "GB"  # a range kept for drama, in no region's plan
    assert region_of("+1 587 555 0100") == "CA"
    assert region_of("07700 900123") is None
    assert region_of("+999123456") is None


@pytest.mark.parametrize(
    ("number", "region", "emergency"),
    [
        ("911", "US", True),
        ("112", "DE", True),
        ("110", "DE", True),
        ("999", "GB", True),
        ("000", "AU", True),
        ("112", None, True),  # every GSM phone dials 112 and 911 to the emergency services
        ("911", "FR", True),
        ("911", None, True),
        ("999", None, False),  # only in the countries that have it
        ("1 1 2", "FR", True),
        ("+1 911", "US", False),  # an international number is no emergency code
        ("43105", "FR", False),
        ("+33612345678", "FR", False),
        ("MyBank", "FR", False),
    ],
)
def test_emergency_numbers(number: str, region: str | None, emergency: bool) -> None:
    """112 and 911 anywhere, and each region's own emergency numbers there."""
    assert is_emergency_number(number, region) is emergency


def test_example_numbers_are_of_their_region() -> None:
    """The contact form's example is a mobile number of the region, as dialled there and abroad."""
    assert example_number("US") == ("(201) 555-0123", "+1 201-555-0123")
    national, international = example_number("DE") or ("", "")
    assert to_e164(national, "DE") == to_e164(international) is not None
    assert example_number("AQ") is None
    assert example_number(None) is None
    assert all(example_number(region) for region in REGIONS)
