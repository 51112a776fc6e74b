"""SMS text: its encoding and how many parts it takes; quoting for log lines."""

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
QUOTED_LENGTH: Final = 60  # characters of an untrusted value shown in a log line or an error


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


def quoted(value: object, limit: int = QUOTED_LENGTH) -> str:
    """Return ``value`` quoted, its control characters escaped, cut after ``limit`` characters.

    For what a request or an answer wrote, in a log line or an error that ends up in one: a
    newline in it cannot start a forged line, and a long value cannot flood the log.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return repr(text[:limit]) + "..."
    return repr(text)


def printable(value: object, limit: int) -> str:
    """Return ``value`` as text, its control characters escaped, cut after ``limit`` characters.

    For a message of ours that may quote what a request wrote (an error's reason): it stays
    readable, and cannot break the log line either.
    """
    text = str(value)
    escaped = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[:limit])
    return escaped + ("..." if len(text) > limit else "")
