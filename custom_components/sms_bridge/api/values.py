"""Lenient readers of the values providers write: anything unexpected reads as None.

Every number is bounded: Home Assistant stores events and states as JSON with 64-bit integers
at most, and one value beyond that breaks far more than one entry. A value out of range is not
one a provider writes; the caller drops it, or refuses the answer where it is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
import re
from typing import Any, Final

MAX_ID: Final = 2**53 - 1  # database keys; exact in JavaScript too, so the frontend shows them
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9999, 1, 1, tzinfo=UTC)  # a year of margin for date arithmetic

# ASCII digits only: int() also reads Arabic-Indic and full-width digits, and "1_000",
# none of which a provider writes.
_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")
_DECIMAL = re.compile(
    r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?"
)
_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON escapes can carry halves of a pair alone
_LAST_SECOND = int(LATEST.timestamp()) - 1


def as_int(value: Any, low: int, high: int) -> int | None:
    """Return a whole number in ``low..high`` given as a JSON number or ASCII digits, else None.

    JSON ``true`` is not the number 1.
    """
    if isinstance(value, str) and _INTEGER.fullmatch(text := value.strip()):
        value = int(text)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if low <= value <= high else None


def as_float(value: Any, limit: float) -> float | None:
    """Return a number within ``-limit..limit``, given as a JSON number or ASCII text, else None."""
    if isinstance(value, str) and _DECIMAL.fullmatch(text := value.strip()):
        value = float(text)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    # Compared before float(): a huge int cannot become one. NaN compares false.
    return float(value) if -limit <= value <= limit else None


def as_flag(value: Any) -> bool | None:
    """Return a JSON boolean, or 0/1 as a number or text, as a bool; None otherwise."""
    if isinstance(value, bool):
        return value
    number = as_int(value, 0, 1)
    return None if number is None else bool(number)


def as_text(value: Any) -> str | None:
    """Return text, or a number written as text; None when empty or anything else.

    Lone halves of surrogate pairs become U+FFFD: they cannot be stored or encoded.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) or None
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= MAX_ID:
        return str(value)
    return None


def as_id(value: Any, *, low: int = 0) -> str | None:
    """Return a numeric id from ``low`` to ``MAX_ID`` as decimal text, else None."""
    number = as_int(value, low, MAX_ID)
    return None if number is None else str(number)


def as_dicts(value: Any) -> list[dict[str, Any]]:
    """Return the objects of a JSON list (other items skipped); [] for anything but a list."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def as_unix_time(value: Any, *, low: int = 0) -> datetime | None:
    """Return the moment of a Unix time in whole seconds from ``low``, else None."""
    seconds = as_int(value, low, _LAST_SECOND)
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def as_datetime(value: Any, zone: tzinfo | None = None) -> datetime | None:
    """Return the moment of an ISO 8601 text, else None.

    A text without an offset is read in ``zone``; without a zone its moment is unknown, and
    it reads as None.
    """
    if not isinstance(value, str) or not (text := value.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if zone is None:
            return None
        parsed = parsed.replace(tzinfo=zone)
    return parsed if EARLIEST <= parsed < LATEST else None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Return a header's value, its name matched in any case (a plain dict does not)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)
