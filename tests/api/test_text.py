"""Tests of the number and segment helpers."""

from __future__ import annotations

import pytest

from custom_components.sms_bridge.api.numbers import clean_number, to_e164
from custom_components.sms_bridge.api.rbsoft import may_be_sent_as
from custom_components.sms_bridge.api.text import is_gsm7, segment_count, sms_encoding


@pytest.mark.parametrize(
    ("number", "cleaned", "e164"),
    [
        ("+33 6 12 34 56 78", "+33612345678", "+33612345678"),
        ("+1 (555) 010-0100", "+15550100100", "+15550100100"),
        ("0033 6.12.34.56.78", "+33612345678", "+33612345678"),
        ("0612345678", "0612345678", None),
        ("(555) 010-0100", "5550100100", None),
        ("43105", "43105", None),
        ("112", "112", None),
        ("+12345", "+12345", None),  # dialable, but too short for E.164
        ("+0123456789", "+0123456789", None),  # no country code starts with 0
        ("MyBank", None, None),
        ("+33 6 12 34 56 7A", None, None),
        ("12", None, None),
        ("1234567890123456", None, None),
        ("+1234567890123456", None, None),
        ("", None, None),
        ("+", None, None),
        ("+33612345678,+33612345679", None, None),
    ],
)
def test_clean_number_and_e164(number: str, cleaned: str | None, e164: str | None) -> None:
    """International, 00-prefixed, national and short numbers are kept; letters are refused."""
    assert clean_number(number) == cleaned
    assert to_e164(number) == e164


def test_is_gsm7() -> None:
    """The GSM 03.38 alphabet and its extension table are GSM-7; anything else is not."""
    assert is_gsm7("Hello @£$¥ èé ÄÖÑÜ§¿ äöñüà\n")
    assert is_gsm7("{[~]}|^€\\")
    assert not is_gsm7("ç")
    assert not is_gsm7("Привет")
    assert not is_gsm7("ok 😀")


def test_gsm7_tables_complete() -> None:
    """All 127 characters of the default alphabet and the 10 of the extension table count."""
    basic = (
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    extension = "\f^{}\\[~]|€"
    assert len(set(basic)) == 127
    assert all(segment_count(char * 160) == 1 for char in basic)
    assert all(segment_count(char * 80) == 1 for char in extension)
    assert all(segment_count(char * 81) == 2 for char in extension)
    # Look-alikes outside the alphabet switch the text to UCS-2.
    for char in ("`", "Ã", "á", "ê", "â", "ç", "\u2019", "\u201c", "\u2026", "\t"):
        assert sms_encoding(char) == "ucs2", repr(char)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("", "gsm7"),
        ("Door open at 10:15 {garage} €5", "gsm7"),
        ("Tür offen", "gsm7"),
        ("Porte ouverte à l'étage, ça va", "ucs2"),
        ("Дверь открыта", "ucs2"),
        ("门开了", "ucs2"),
        ("Door 🚪", "ucs2"),
    ],
)
def test_sms_encoding(text: str, encoding: str) -> None:
    """A text that fits GSM-7 is sent in it; one other character makes it UCS-2."""
    assert sms_encoding(text) == encoding


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        # Extension characters take two septets.
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("a" * 159 + "{", 2),
        ("a" * 158 + "^", 1),
        # One non-GSM character switches the whole text to UCS-2 (70 / 67).
        ("д" * 70, 1),
        ("д" * 71, 2),
        ("д" * 134, 2),
        ("д" * 135, 3),
        ("a" * 69 + "ç", 1),
        ("a" * 70 + "ç", 2),
        # Emoji are outside the BMP: two UTF-16 code units each.
        ("😀" * 35, 1),
        ("😀" * 36, 2),
        ("a" * 68 + "😀", 1),
        ("a" * 69 + "😀", 2),
        ("😀" * 66, 2),  # 33 emoji a part: an odd 67th unit is never half of one
        ("😀" * 67, 3),  # 134 units, yet three parts
        # A part never ends with half a character: an extension character (or an emoji) that
        # would need the last free septet (or UTF-16 unit) of a part starts the next one.
        ("a" * 152 + "€" + "a" * 152, 3),
        ("a" * 151 + "€" + "a" * 153, 2),
        ("€" * 152, 2),  # 76 a part
        ("€" * 153, 3),  # 306 septets, yet three parts
        ("a" * 66 + "😀" + "a" * 66, 3),
        ("a" * 65 + "😀" + "a" * 67, 2),
        ("ä" * 66 + "😀" + "ä" * 66, 3),
    ],
)
def test_segment_count(text: str, segments: int) -> None:
    """Texts are split at 160/153 septets (GSM-7) or 70/67 UTF-16 units (UCS-2)."""
    assert segment_count(text) == segments


@pytest.mark.parametrize(
    ("text", "sent", "matches"),
    [
        ("Alarm", "Alarm", True),
        ("Alarm", "Alarm armed", False),  # another message: taking it for ours would lose ours
        ("Alarm armed", "Alarm", False),
        ("{Hi|Hello} code %random-4%", "Hi code 9779", True),
        ("{Hi|Hello} code %random-4%", "Hello code ab12", True),
        ("{Hi|Hello} code %random-4%", "Hey code 9779", False),
        ("{Hi|Hello} code %random-4%", "Hi code 97", False),
        ("Price: 3.50 (a+b)*", "Price: 3.50 (a+b)*", True),  # regex characters are literal
        ("Price: 3.50", "Price: 3750", False),
        ("line 1\nline 2", "line 1\nline 2", True),
        ("{}", "", True),
    ],
)
def test_may_be_sent_as(text: str, sent: str, matches: bool) -> None:
    """A stored text is recognised through the gateway's spintax and random codes only."""
    assert may_be_sent_as(text, sent) is matches
