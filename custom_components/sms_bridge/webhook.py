"""The webhook through which the gateway pushes incoming SMS, USSD answers and delivery reports.

The same handler serves direct HTTP requests and Nabu Casa cloudhooks, which arrive as a
``MockRequest`` without ``read()``, ``content_type`` or ``content_length``: it only uses the
method, headers, query and ``request.content``. The provider authenticates and parses what it
reads (within the size cap), and chooses the reply. When the user chose to take incoming
messages by polling alone, the messages and USSD answers of an authentic request are ignored
(answered as usual, so that the provider does not retry); its delivery reports still count.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from http import HTTPStatus

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .api import (
    MAX_WEBHOOK_BODY,
    Gateway,
    InboundBatch,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookRequest,
    WebhookResult,
    WebhookSignatureError,
    WebhookUnknownPhoneError,
)
from .const import CONF_WEBHOOK_ID, DOMAIN, LOGGER
from .incoming_mode import incoming_mode, webhook_takes_messages
from .repairs import (
    MAX_PHONES_NAMED,
    async_clear_refused_webhooks,
    async_raise_refused_webhooks,
)

MAX_BODY = MAX_WEBHOOK_BODY
WARNING_INTERVAL = timedelta(minutes=1)
# Refused requests in a row before the repair issue: one could be a stray request.
REFUSED_THRESHOLD = 3


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
    process: Callable[[InboundBatch], Awaitable[None]],
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
        allowed_methods=sorted(gateway.webhook_methods),
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
        process: Callable[[InboundBatch], Awaitable[None]],
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._process = process
        self._takes_messages = webhook_takes_messages(
            incoming_mode(gateway.capabilities, entry.options)
        )
        self._last_warning: datetime | None = None
        self._refused = 0
        self._unknown_phones: list[str] = []  # named by the requests refused in a row

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer with an explicit status: anything raised would become a 200 and a traceback."""
        try:
            result = await self._async_parse(request)
        except _RejectedError as err:
            self._log_rejection(err)
            if err.status is HTTPStatus.UNAUTHORIZED:
                self._count_refused(err.phone_id)
            return web.Response(status=err.status)
        if self._refused:
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
        if not self._takes_messages and (batch.messages or batch.ussd_requests):
            LOGGER.debug("%s polls incoming messages: the webhook's are ignored", self._entry.title)
            batch = InboundBatch(delivery_reports=batch.delivery_reports)
        await self._process(batch)
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

    def _count_refused(self, phone_id: str | None) -> None:
        self._refused += 1
        phones = self._unknown_phones
        if phone_id is not None and phone_id not in phones and len(phones) < MAX_PHONES_NAMED:
            phones.append(phone_id)
        if self._refused == REFUSED_THRESHOLD:
            async_raise_refused_webhooks(
                self._hass, self._entry, REFUSED_THRESHOLD, self._unknown_phones
            )

    def _log_rejection(self, err: _RejectedError) -> None:
        """Warn once a minute at most: a flood of forged requests must not flood the log."""
        now = dt_util.utcnow()
        if self._last_warning and now - self._last_warning < WARNING_INTERVAL:
            LOGGER.debug("Rejected a webhook request for %s: %s", self._entry.title, err)
            return
        self._last_warning = now
        LOGGER.warning(
            "Rejected a webhook request for %s (HTTP %s): %s. "
            "Further rejections within a minute are logged at debug level",
            self._entry.title,
            int(err.status),
            err,
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
