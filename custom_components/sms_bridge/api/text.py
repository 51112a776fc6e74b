"""SMS text: its encoding and how many parts it takes."""

from __future__ import annotations

from typing import Final

# GSM 03.38 default alphabet, and the extension table whose characters take two septets.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7: Final = "gsm7"
UCS2: Final = "ucs2"


def is_gsm7(text: str) -> bool:
    """Return True when ``text`` fits the GSM 7-bit alphabet."""
    return all(char in _GSM7_BASIC or char in _GSM7_EXTENDED for char in text)


def sms_encoding(text: str) -> str:
    """Return the encoding an SMS of ``text`` is sent in: ``gsm7``, or ``ucs2`` for any other."""
    return GSM7 if is_gsm7(text) else UCS2


def segment_count(text: str) -> int:
    """Return how many SMS parts ``text`` takes (GSM-7: 160/153 septets, else UCS-2: 70/67).

    A long text is cut between characters, never inside one: a part that has a single septet
    left does not take an extension character (two septets), nor one UTF-16 unit the first
    half of a character outside the BMP (an emoji); that character starts the next part.
    """
    if is_gsm7(text):
        sizes = [2 if char in _GSM7_EXTENDED else 1 for char in text]
        single, multi = 160, 153
    else:
        sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
        single, multi = 70, 67
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return parts
