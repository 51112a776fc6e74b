"""Typed errors raised by the gateway clients."""

from __future__ import annotations

from enum import StrEnum


class SmsBridgeError(Exception):
    """Base class of every error raised by this library."""


class ConnectionErrorKind(StrEnum):
    """Why the gateway could not be reached, for a message that tells the user what to check."""

    REFUSED = "refused"  # nothing listens on that port
    DNS = "dns"  # the host name does not resolve
    TLS = "tls"  # the secure connection failed (certificate, or no HTTPS on that port)
    TIMEOUT = "timeout"  # no connection, or no answer, in time
    UNREACHABLE = "unreachable"  # no route to the host, network down
    DROPPED = "dropped"  # the connection closed before the answer was complete


class GatewayConnectionError(SmsBridgeError):
    """The gateway could not be reached, or did not answer in time.

    ``request_sent`` tells whether the request may have reached the gateway: a refused
    connection or a failed DNS lookup never sent anything (safe to retry), while a
    timeout or a dropped connection after sending may have (reconcile before resending).
    ``kind`` tells why.
    """

    def __init__(
        self,
        message: str,
        *,
        request_sent: bool,
        kind: ConnectionErrorKind = ConnectionErrorKind.UNREACHABLE,
    ) -> None:
        super().__init__(message)
        self.request_sent = request_sent
        self.kind = kind


class GatewayCertificateError(GatewayConnectionError):
    """The gateway's TLS certificate could not be verified: self-signed, expired, another name.

    The handshake failed, so nothing was sent. ``reason`` is the verifier's explanation.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"Certificate verification failed: {reason}",
            request_sent=False,
            kind=ConnectionErrorKind.TLS,
        )
        self.reason = reason


class GatewayAuthenticationError(SmsBridgeError):
    """The gateway rejected the credentials."""


class GatewayResponseError(SmsBridgeError):
    """The gateway answered something that is not its API: an HTML page, non-JSON, HTTP error."""


class GatewayRateLimitedError(GatewayResponseError):
    """The gateway (or a proxy in front of it) asks us to slow down."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GatewayUnavailableError(GatewayResponseError):
    """The service, or a proxy in front of it, answered that it is unavailable: not taken.

    A provider raises it where such an answer (HTTP 502, 503, 504 from a proxy) is best read as
    a request that was not carried out, so that sending it again is safe.
    """


class GatewayApiError(SmsBridgeError):
    """The gateway understood the request and refused it; its own message is kept."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class GatewayInsufficientFundsError(GatewayApiError):
    """The account has not enough money or credits left for the request."""


class GatewayRequestRefusedError(GatewayApiError):
    """The gateway refused what the request asks for, not because it failed.

    An unknown contacts list, a number already in the list or not in it: the caller's input
    is wrong, and the same request will be refused again.
    """


class InvalidQueryError(SmsBridgeError):
    """The caller asked for something the library refuses to send, such as an unbounded resend."""


class CapabilityNotSupportedError(SmsBridgeError):
    """The provider does not offer the requested operation."""


class CancelNotExactError(CapabilityNotSupportedError):
    """The provider would withdraw other messages with the one asked for: nothing is withdrawn.

    A provider that can only withdraw every waiting message of a phone raises it when others
    wait there too. ``others`` is how many.
    """

    def __init__(self, phone_id: str, others: int) -> None:
        super().__init__(
            f"{others} other messages wait on phone {phone_id}: "
            "the provider would withdraw them too"
        )
        self.phone_id = phone_id
        self.others = others


class WebhookSignatureError(SmsBridgeError):
    """A webhook request carries no valid signature."""


class WebhookUnknownPhoneError(WebhookSignatureError):
    """An unsigned webhook request names no phone of the account (``phone_id``: the one named).

    For a provider that signs nothing this is the only proof a request is not the account's.
    """

    def __init__(self, message: str, phone_id: str | None) -> None:
        """Initialize with the phone id the request named, if it named one."""
        super().__init__(message)
        self.phone_id = phone_id


class WebhookPayloadError(SmsBridgeError):
    """A correctly signed webhook request carries a payload we cannot read."""


class WebhookPayloadTooLargeError(WebhookPayloadError):
    """A webhook request carries more than we accept in one go."""


class WebhookMediaTypeError(WebhookPayloadError):
    """A webhook request carries a body of a type the provider never posts."""
