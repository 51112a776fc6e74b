"""The few PHP and MySQL behaviours the RBSoft server shows through its API.

The real server is PHP 8 on MySQL; its quirks leak into the wire format (JSON escaping, form
encoding, date formats) and into validation (PHP's int coercion and truthiness, MySQL's loose
comparisons). Each helper reproduces one of them, checked against PHP 8.2.
"""

from __future__ import annotations

from datetime import datetime
import json
import re
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

SERVER_ROOT = "/var/www/sms"
"""Installation path that PHP TypeError messages leak (as seen on the observed server)."""

_NUMERIC = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
_LEADING_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_URL_CHARS = re.compile(r"[A-Za-z0-9$\-_.+!*'(),{}|\\^~\[\]`<>#%\";/?:@&=]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HOSTNAME = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?"
)


def json_encode(value: Any) -> str:
    """Encode like PHP `json_encode`: compact, `/` as `\\/`, non-ASCII as `\\uXXXX`."""
    # "/" can only occur inside JSON strings, so a global replace is exact.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def form_encode(field: str, value: str) -> str:
    """Encode one field like Guzzle `form_params` (PHP `urlencode`: spaces as `+`, `~` escaped)."""
    return f"{_urlencode(field)}={_urlencode(value)}"


def _urlencode(text: str) -> str:
    return quote_plus(text, safe="").replace("~", "%7E")


def rawurlencode(text: str) -> str:
    """Encode like PHP `rawurlencode` (RFC 3986: spaces as `%20`)."""
    return quote(text, safe="")


def iso8601(moment: datetime) -> str:
    """Format like PHP `DATE_ISO8601`: `2024-05-01T10:00:00+0000` (offset without colon)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


def parse_iso8601(text: str) -> datetime:
    """Parse a `DATE_ISO8601` string produced by `iso8601`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def iso8601_colon(moment: datetime) -> str:
    """Format like PHP `DateTime::format("c")`: `2024-05-01T10:00:00+00:00`."""
    return moment.replace(microsecond=0).isoformat()


def numeric(value: object) -> float | None:
    """Value of a PHP numeric string (whitespace, sign, decimals, exponent); None otherwise."""
    if not isinstance(value, str) or not _NUMERIC.fullmatch(value):
        return None
    return float(value)


def to_int(value: object) -> int | None:
    """Coerce a request value to a PHP `int` parameter; None where PHP raises a TypeError.

    PHP 8 accepts numeric strings (decimals are truncated) and rejects everything else,
    including "12abc" and "".
    """
    number = numeric(value)
    return None if number is None else int(number)


def to_string(value: object) -> str | None:
    """PHP string conversion of a decoded JSON scalar; None for null, arrays and objects."""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    return None


def type_name(value: object) -> str:
    """Name PHP gives the type of a value in a TypeError message."""
    names = {type(None): "null", bool: "bool", int: "int", float: "float", str: "string"}
    return names.get(type(value), "array")


def type_error(
    function: str, position: int, name: str, expected: str, value: object, *, caller: str = ""
) -> str:
    """Text of a PHP TypeError; `caller` (user functions only): "services/send.php on line 128"."""
    text = (
        f"{function}(): Argument #{position} (${name}) must be of type {expected}, "
        f"{type_name(value)} given"
    )
    return f"{text}, called in {SERVER_ROOT}/{caller}" if caller else text


def is_empty(value: object) -> bool:
    """PHP `empty()`: null, false, 0, "", "0" and empty arrays."""
    if isinstance(value, list | dict):
        return not value
    return value is None or value in (False, "", "0")


def truthy(value: object) -> bool:
    """PHP truthiness (the string "false" is true)."""
    return not is_empty(value)


def trim(text: str) -> str:
    """PHP `trim()` (a narrower set of characters than `str.strip()`)."""
    return text.strip(" \t\n\r\0\x0b")


def is_digits(text: str) -> bool:
    """PHP `ctype_digit()` on a string: one or more ASCII digits."""
    return re.fullmatch(r"[0-9]+", text) is not None


def mysql_number(value: str) -> float:
    """Number MySQL compares a string with when the column is numeric ('12abc' → 12, 'x' → 0)."""
    match = _LEADING_NUMBER.match(value)
    return float(match.group(0)) if match else 0.0


def mysql_equal(column: Any, value: str) -> bool:
    """MySQL `column = value` for an int or a case-insensitive text column; NULL never matches."""
    if column is None:
        return False
    if isinstance(column, int):
        return column == mysql_number(value)
    return str(column).rstrip(" ").casefold() == value.rstrip(" ").casefold()


def is_valid_url(text: str) -> bool:
    """PHP `filter_var($url, FILTER_VALIDATE_URL)`, close enough for attachment lists."""
    if not _URL_CHARS.fullmatch(text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return False
    if not _SCHEME.fullmatch(parts.scheme):
        return False
    if not host:
        return parts.scheme.lower() in {"mailto", "news", "file"}
    if parts.scheme.lower() in {"http", "https"}:
        return _HOSTNAME.fullmatch(host) is not None
    return True
