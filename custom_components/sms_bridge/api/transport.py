"""One HTTP request to a provider, its failures turned into the library's typed errors.

Every client posts to its provider the same way: a request with an explicit timeout, the whole
answer read as text, and each way the request can fail told apart, because a caller acts
differently on each. A connection that could not be opened sent nothing and is safe to retry;
one that timed out or dropped after sending may have delivered the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import ssl
from typing import Any, Final

import aiohttp

from .errors import (
    ConnectionErrorKind,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayRateLimitedError,
    GatewayResponseError,
)
from .values import as_float

CONNECT_TIMEOUT: Final = 10.0  # seconds to open a connection, within the whole request's timeout
MAX_RETRY_AFTER: Final = 86_400.0  # seconds; a longer wait is not an answer we can act on
TOO_MANY_REQUESTS: Final = 429

KIND_WORDS: Final = {
    ConnectionErrorKind.REFUSED: "connection refused",
    ConnectionErrorKind.DNS: "host name not found",
    ConnectionErrorKind.TLS: "secure connection failed",
    ConnectionErrorKind.TIMEOUT: "timed out",
    ConnectionErrorKind.UNREACHABLE: "host unreachable",
    ConnectionErrorKind.DROPPED: "connection closed before the answer",
}


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A complete HTTP answer: its status, its body as text and its headers."""

    status: int
    body: str
    headers: Mapping[str, str]


class Transport:
    """Posts to one provider with a fixed timeout; every error names the provider.

    ``peer`` is who is asked, as it reads inside a sentence ("the gateway", "SMSC"): the
    messages say "Cannot connect to SMSC" or "The gateway answered HTTP 500". ``timeout``
    bounds the whole request, ``connect_timeout`` the opening of the connection within it.
    ``encoding`` decodes every answer, whatever charset it declares (None: the declared one).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        peer: str,
        *,
        timeout: float,
        connect_timeout: float = CONNECT_TIMEOUT,
        encoding: str | None = None,
    ) -> None:
        """Create the transport of one client."""
        self._session = session
        self._peer = peer
        self._timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=min(timeout, connect_timeout)
        )
        self._encoding = encoding

    async def post(
        self,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        json: Any = None,
        any_status: bool = False,
    ) -> HttpAnswer:
        """POST ``form`` (URL-encoded) or ``json`` and return the whole answer.

        Raises ``GatewayCertificateError`` or ``GatewayConnectionError`` (with ``kind`` and
        ``request_sent``) when no complete answer came, ``GatewayRateLimitedError`` on HTTP 429,
        and ``GatewayResponseError`` on any status but 200 unless ``any_status`` is set.
        """
        payload: dict[str, Any] = {"json": json} if form is None else {"data": dict(form)}
        return await self._request("POST", url, payload, any_status=any_status)

    async def get(
        self, url: str, *, query: Mapping[str, str], any_status: bool = False
    ) -> HttpAnswer:
        """GET with ``query`` in the URL and return the whole answer; fails as ``post`` does.

        What the query holds ends up in the server's logs: post secrets where the API takes it.
        """
        return await self._request("GET", url, {"params": dict(query)}, any_status=any_status)

    async def _request(
        self, method: str, url: str, payload: Mapping[str, Any], *, any_status: bool
    ) -> HttpAnswer:
        try:
            async with self._session.request(
                method, url, timeout=self._timeout, **payload
            ) as response:
                body = await response.text(encoding=self._encoding, errors="replace")
                status = response.status
                headers = response.headers
        except aiohttp.ClientConnectorCertificateError as err:
            raise GatewayCertificateError(certificate_reason(err)) from err
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as err:
            kind = connect_failure(err)
            raise GatewayConnectionError(
                f"Cannot connect to {self._peer}: {KIND_WORDS[kind]}", request_sent=False, kind=kind
            ) from err
        except TimeoutError as err:
            raise GatewayConnectionError(
                f"No answer from {self._peer} in time",
                request_sent=True,
                kind=ConnectionErrorKind.TIMEOUT,
            ) from err
        except aiohttp.ClientError as err:
            dropped = ConnectionErrorKind.DROPPED
            raise GatewayConnectionError(
                f"No complete answer from {self._peer}: {KIND_WORDS[dropped]}",
                request_sent=True,
                kind=dropped,
            ) from err
        if status == TOO_MANY_REQUESTS:
            raise GatewayRateLimitedError(
                f"{self._subject} asks to slow down (HTTP 429)",
                retry_after=retry_after_seconds(headers.get("Retry-After")),
            )
        if status != 200 and not any_status:
            raise self.status_error(status)
        return HttpAnswer(status, body, headers)

    def status_error(self, status: int) -> GatewayResponseError:
        """Return the error of an answer whose HTTP status is not the API's."""
        return GatewayResponseError(f"{self._subject} answered HTTP {status}")

    @property
    def _subject(self) -> str:
        """Return ``peer`` as the subject of a sentence: "the gateway" becomes "The gateway"."""
        return self._peer[:1].upper() + self._peer[1:]


def connect_failure(
    err: aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError,
) -> ConnectionErrorKind:
    """Return why a connection could not be opened; nothing was sent."""
    if isinstance(err, aiohttp.ConnectionTimeoutError):
        return ConnectionErrorKind.TIMEOUT
    if isinstance(err, aiohttp.ClientConnectorDNSError):
        return ConnectionErrorKind.DNS
    if isinstance(err, aiohttp.ClientSSLError) or isinstance(err.os_error, ssl.SSLError):
        return ConnectionErrorKind.TLS
    if isinstance(err.os_error, ConnectionRefusedError):
        return ConnectionErrorKind.REFUSED
    if isinstance(err.os_error, TimeoutError):
        return ConnectionErrorKind.TIMEOUT
    return ConnectionErrorKind.UNREACHABLE


def certificate_reason(err: aiohttp.ClientConnectorCertificateError) -> str:
    """Return why the certificate was refused, e.g. "self-signed certificate"."""
    cause = err.certificate_error
    return getattr(cause, "verify_message", None) or str(cause)


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a ``Retry-After`` header given in seconds, from 0 to a day; None otherwise.

    The HTTP-date form is ignored.
    """
    seconds = as_float(value, MAX_RETRY_AFTER)
    return seconds if seconds is not None and seconds >= 0 else None
