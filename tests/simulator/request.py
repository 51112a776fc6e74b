"""PHP's view of an HTTP request: `$_REQUEST` (query and form merged, trimmed) and `$_POST`.

Like PHP, the query string and a POST body (urlencoded or multipart) are both read, the body
winning on clashes; `name[]=` fields become lists; JSON bodies are not parsed at all; uploaded
files are ignored; every value is trimmed except `message` and `response`
(`array_walk_recursive($_REQUEST, 'trimByReference')`). `$_POST` itself stays untrimmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import re

from aiohttp import web

from tests.simulator import php
from tests.simulator.errors import INVALID_REQUEST, ApiError

Fields = dict[str, str | list[str]]

_ARRAY_NAME = re.compile(r"([^\[\]]+)\[[^\]]*\]")
_UNTRIMMED = frozenset({"message", "response"})


@dataclass(frozen=True)
class PhpRequest:
    """The request fields a `services/*.php` script sees."""

    fields: Fields
    """`$_REQUEST`: GET and POST fields merged, trimmed."""
    post: Fields
    """`$_POST`: the form body only, untrimmed (cancel-campaign.php reads nothing else)."""

    def text(self, name: str) -> str | None:
        """A scalar field (None when absent); an array where a string is expected is refused."""
        value = self.fields.get(name)
        if isinstance(value, list):
            raise ApiError(400, INVALID_REQUEST)
        return value


async def read_request(request: web.Request) -> PhpRequest:
    """Build `$_REQUEST` and `$_POST` from an aiohttp request."""
    post = _parse((await request.post()).items()) if request.method == "POST" else {}
    merged = {**_parse(request.query.items()), **post}
    return PhpRequest(
        fields={name: _trim(name, value) for name, value in merged.items()}, post=post
    )


def _parse(items: Iterable[tuple[str, object]]) -> Fields:
    fields: Fields = {}
    for name, value in items:
        if not isinstance(value, str):
            continue  # an uploaded file goes to $_FILES, not $_REQUEST
        array = _ARRAY_NAME.fullmatch(name)
        if array is None:
            fields[name] = value
            continue
        values = fields.get(array[1])
        if not isinstance(values, list):
            values = fields[array[1]] = []
        values.append(value)
    return fields


def _trim(name: str, value: str | list[str]) -> str | list[str]:
    if isinstance(value, list):
        return [php.trim(item) for item in value]
    return value if name in _UNTRIMMED else php.trim(value)
