"""The webhook through which the gateway pushes incoming SMS, USSD answers and delivery reports.

The same handler serves direct HTTP requests and Nabu Casa cloudhooks, which arrive as a
``MockRequest`` without ``read()``, ``content_type`` or ``content_length``: it only uses the
method, headers, query and ``request.content``. The provider authenticates and parses what it
reads (within the size cap), and chooses the reply. When the user chose to take incoming
messages by polling alone, an authentic request is answered as usual (so that the provider does
not retry) and what it brings is ignored, delivery reports included: nothing a request posted
changes anything, since polling reads it all from the provider. With both ways, what a request
brings is unconfirmed: polling may find it was not the provider's (``inbound_store.py``).

Refused requests are rate limited per entry: past REFUSALS_BEFORE_LOCKOUT unauthenticated ones
within REFUSAL_WINDOW, every request is answered 429 unread for LOCKOUT, with one warning, so
that the phone ids an unsigned provider is authenticated by cannot be guessed at speed. Only
where the messages can be had another way meanwhile (polled, or read back): elsewhere a lockout
would lose them, and the provider's signature cannot be guessed anyway.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from http import HTTPStatus

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .api import (
    MAX_WEBHOOK_BODY,
    Capability,
    Gateway,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookRequest,
    WebhookResult,
    WebhookSignatureError,
    WebhookUnknownPhoneError,
    printable,
)
from .const import CONF_WEBHOOK_ID, DOMAIN, LOGGER
from .inbound import ProcessInbound
from .incoming_mode import incoming_mode, polls, webhook_takes_messages
from .repairs import (
    MAX_PHONES_NAMED,
    async_clear_refused_webhooks,
    async_raise_refused_webhooks,
)

MAX_BODY = MAX_WEBHOOK_BODY
WARNING_INTERVAL = timedelta(minutes=1)
# Refused requests in a row before the repair issue: one could be a stray request.
REFUSED_THRESHOLD = 3
REFUSALS_BEFORE_LOCKOUT = 10  # unauthenticated requests within REFUSAL_WINDOW
REFUSAL_WINDOW = timedelta(minutes=1)
LOCKOUT = timedelta(minutes=10)
REASON_LENGTH = 200  # characters of a refusal's reason in the log


class _RejectedError(Exception):
    """A request answered with an error status; ``phone_id``: the unknown phone it named."""

    def __init__(self, status: HTTPStatus, reason: str, phone_id: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.phone_id = phone_id


@callback
def async_register_webhook(
    hass: HomeAssistant,
    entry: ConfigEntry,
    gateway: Gateway,
    process: ProcessInbound,
) -> None:
    """Register the entry's webhook until unload; ``process`` dedupes and fires what it brings."""
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        _WebhookHandler(hass, entry, gateway, process).async_handle,
        local_only=False,  # gateways are often hosted on the internet
        # Every method reaches the handler, which refuses those the provider never uses: Home
        # Assistant's own refusal would write the webhook id to the log at WARNING.
        allowed_methods=sorted(webhook.SUPPORTED_METHODS),
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))
    entry.async_on_unload(lambda: async_clear_refused_webhooks(hass, entry))


class _WebhookHandler:
    """Authenticate, parse and dispatch the webhook requests of one entry.

    Requests refused as not authentic, in a row, raise a repair issue: incoming SMS may be
    being lost.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: Gateway,
        process: ProcessInbound,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._process = process
        mode = incoming_mode(gateway.capabilities, entry.options)
        self._takes_messages = webhook_takes_messages(mode)
        self._unconfirmed = self._takes_messages and polls(mode)
        self._last_warning: datetime | None = None
        self._refused = 0
        self._unknown_phones: list[str] = []  # named by the requests refused in a row
        self._refusals: deque[datetime] = deque()
        self._locked_until: datetime | None = None
        self._may_lock = bool({Capability.INBOUND_POLL, Capability.READ} & gateway.capabilities)

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer with an explicit status: anything raised would become a 200 and a traceback.

        Home Assistant logs such a traceback with the webhook id, which for an unsigned provider
        is the only secret: nothing may escape. A method the provider never uses gets 405 (a
        HEAD 200, as Home Assistant answers it, for whoever checks that the URL exists).
        """
        if request.method not in self._gateway.webhook_methods:
            LOGGER.debug(
                "Refused a %s request to the webhook of %s", request.method, self._entry.title
            )
            if request.method == hdrs.METH_HEAD:
                return web.Response(status=HTTPStatus.OK)
            return web.Response(
                status=HTTPStatus.METHOD_NOT_ALLOWED,
                headers={hdrs.ALLOW: ", ".join(sorted(self._gateway.webhook_methods))},
            )
        try:
            return await self._async_handle(request)
        except Exception as err:  # the backstop: see the docstring
            LOGGER.error(
                "Unexpected error handling a webhook request for %s (%s); answered 500, so "
                "that the provider sends it again",
                self._entry.title,
                type(err).__name__,
            )
            LOGGER.debug("The error", exc_info=True)
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)

    async def _async_handle(self, request: web.Request) -> web.Response:
        now = dt_util.utcnow()
        if self._locked_until is not None and now < self._locked_until:
            LOGGER.debug("Refused a webhook request for %s: locked out", self._entry.title)
            retry_after = int((self._locked_until - now).total_seconds()) + 1
            return web.Response(
                status=HTTPStatus.TOO_MANY_REQUESTS, headers={hdrs.RETRY_AFTER: str(retry_after)}
            )
        try:
            result = await self._async_parse(request)
        except _RejectedError as err:
            self._log_rejection(err)
            if err.status is HTTPStatus.UNAUTHORIZED:
                self._count_refused(err.phone_id)
                if self._may_lock:
                    self._count_refusal(now)
            return web.Response(status=err.status)
        if self._refused and result.authentic:
            self._refused = 0
            self._unknown_phones.clear()
            async_clear_refused_webhooks(self._hass, self._entry)
        batch = result.batch
        LOGGER.debug(
            "Webhook of %s: %s messages, %s USSD answers, %s delivery reports",
            self._entry.title,
            len(batch.messages),
            len(batch.ussd_requests),
            len(batch.delivery_reports),
        )
        if self._takes_messages:
            await self._process(batch, unconfirmed=self._unconfirmed)
        else:
            LOGGER.debug("%s polls: what its webhook brings is ignored", self._entry.title)
        reply = result.reply
        return web.Response(status=reply.status, text=reply.text, content_type=reply.content_type)

    async def _async_parse(self, request: web.Request) -> WebhookResult:
        length = request.headers.get(hdrs.CONTENT_LENGTH, "")
        if length.isdigit() and int(length) > MAX_BODY:
            raise _RejectedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        received = WebhookRequest(
            method=request.method,
            headers=request.headers,
            query=request.query,
            body=await _async_read(request),
        )
        try:
            return self._gateway.handle_webhook(received)
        except WebhookUnknownPhoneError as err:
            raise _RejectedError(HTTPStatus.UNAUTHORIZED, str(err), err.phone_id) from None
        except WebhookSignatureError as err:
            raise _RejectedError(HTTPStatus.UNAUTHORIZED, str(err)) from None
        except WebhookMediaTypeError as err:
            raise _RejectedError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(err)) from None
        except WebhookPayloadTooLargeError as err:
            raise _RejectedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, str(err)) from None
        except WebhookPayloadError as err:
            raise _RejectedError(HTTPStatus.BAD_REQUEST, str(err)) from None
        except Exception as err:  # a defect of the client, which a hostile body may reach
            LOGGER.debug("The provider could not read a webhook request", exc_info=True)
            raise _RejectedError(
                HTTPStatus.BAD_REQUEST, f"unreadable ({type(err).__name__})"
            ) from None

    def _count_refused(self, phone_id: str | None) -> None:
        self._refused += 1
        phones = self._unknown_phones
        if phone_id is not None and phone_id not in phones and len(phones) < MAX_PHONES_NAMED:
            phones.append(phone_id)
        if self._refused == REFUSED_THRESHOLD:
            async_raise_refused_webhooks(
                self._hass, self._entry, REFUSED_THRESHOLD, self._unknown_phones
            )

    def _count_refusal(self, now: datetime) -> None:
        """Lock the webhook out for a while past too many unauthenticated requests."""
        self._refusals.append(now)
        while self._refusals[0] <= now - REFUSAL_WINDOW:
            self._refusals.popleft()
        if len(self._refusals) < REFUSALS_BEFORE_LOCKOUT:
            return
        self._refusals.clear()
        self._locked_until = now + LOCKOUT
        LOGGER.warning(
            "Refused %s unauthenticated webhook requests for %s within %s seconds: every "
            "request is refused for the next %s minutes. Someone may be guessing what "
            "authenticates them; incoming messages the provider can be asked for are read "
            "back meanwhile",
            REFUSALS_BEFORE_LOCKOUT,
            self._entry.title,
            int(REFUSAL_WINDOW.total_seconds()),
            int(LOCKOUT.total_seconds() // 60),
        )

    def _log_rejection(self, err: _RejectedError) -> None:
        """Warn once a minute at most: a flood of forged requests must not flood the log."""
        now = dt_util.utcnow()
        if self._last_warning and now - self._last_warning < WARNING_INTERVAL:
            LOGGER.debug(
                "Rejected a webhook request for %s: %s",
                self._entry.title,
                printable(err, REASON_LENGTH),
            )
            return
        self._last_warning = now
        LOGGER.warning(
            "Rejected a webhook request for %s (HTTP %s): %s. "
            "Further rejections within a minute are logged at debug level",
            self._entry.title,
            int(err.status),
            printable(err, REASON_LENGTH),
        )


async def _async_read(request: web.Request) -> bytes:
    """Read the body, stopping past MAX_BODY (a chunked body has no Content-Length)."""
    stream = request.content  # a MockRequest makes a new reader on each access
    body = b""
    while chunk := await stream.read(MAX_BODY + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY:
            raise _RejectedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
    return body
