"""The webhook through which the gateway pushes incoming SMS and USSD answers.

The same handler serves direct HTTP requests and Nabu Casa cloudhooks, which arrive as a
``MockRequest`` without ``read()``, ``content_type`` or ``content_length``: it only uses the
method, headers, query and ``request.content``. The provider authenticates and parses what it
reads (within the size cap), and chooses the reply.

The Nabu Casa cloud component is imported inside functions, and only once it is loaded: the
module cannot even be imported where the cloud's requirements are missing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .api import (
    MAX_WEBHOOK_BODY,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookRequest,
    WebhookResult,
    WebhookSignatureError,
)
from .const import CONF_WEBHOOK_ID, DOMAIN, LOGGER
from .data import SmsBridgeConfigEntry

MAX_BODY = MAX_WEBHOOK_BODY
WARNING_INTERVAL = timedelta(minutes=1)
ISSUE_NOT_HTTPS = "webhook_not_https"
ISSUE_BAD_SIGNATURE = "webhook_bad_signature"
# Wrongly signed requests in a row before the repair issue: one could be a stray request.
BAD_SIGNATURE_THRESHOLD = 3


class _RejectedError(Exception):
    """A request answered with an error status."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@callback
def async_register_webhook(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
    """Register the entry's webhook, and warn while its URL is not HTTPS, until unload."""
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        _WebhookHandler(hass, entry).async_handle,
        local_only=False,  # gateways are often hosted on the internet
        allowed_methods=[hdrs.METH_POST],
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))
    entry.async_on_unload(
        lambda: ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_BAD_SIGNATURE}_{entry.entry_id}")
    )
    _async_watch_https(hass, entry)


@callback
def async_listen_cloud_connected(hass: HomeAssistant, action: Callable[[], None]) -> CALLBACK_TYPE:
    """Call ``action`` each time the Nabu Casa cloud connects; return the unsubscribe callable."""
    if "cloud" not in hass.config.components:
        return lambda: None
    from homeassistant.components import cloud

    @callback
    def _changed(state: cloud.CloudConnectionState) -> None:
        if state is cloud.CloudConnectionState.CLOUD_CONNECTED:
            action()

    return cloud.async_listen_connection_change(hass, _changed)


async def async_webhook_url(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> str:
    """Return the URL to enter as WebHook URL on the gateway."""
    if url := await _async_url(hass, entry):
        return url
    path = webhook.async_generate_path(entry.data[CONF_WEBHOOK_ID])
    translations = await async_get_translations(hass, hass.config.language, "exceptions", {DOMAIN})
    # The hint stands in for the address, so the id stays the last segment of the URL.
    hint = translations.get(f"component.{DOMAIN}.exceptions.no_webhook_url.message", "")
    return f"{hint}{path}"


async def _async_url(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> str | None:
    """Return the cloudhook URL, else the URL on Home Assistant's own address, if it has one."""
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    if "cloud" in hass.config.components:
        from homeassistant.components import cloud

        if cloud.async_active_subscription(hass):
            with suppress(cloud.CloudNotAvailable):
                return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return None


@callback
def _async_watch_https(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
    """Keep a repair issue open while the webhook URL is plain HTTP.

    Checked again when Home Assistant's URLs change and when the cloud connects (a cloudhook is
    HTTPS). Plain HTTP is common and fine on a local network, so the issue is only advice.
    """
    issue_id = f"{ISSUE_NOT_HTTPS}_{entry.entry_id}"

    async def _async_check() -> None:
        url = await _async_url(hass, entry)
        if url is None or (parts := urlsplit(url)).scheme == "https":
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_NOT_HTTPS,
            translation_placeholders={
                "entry_title": entry.title,
                "base_url": f"{parts.scheme}://{parts.netloc}",
            },
        )

    @callback
    def _async_schedule_check(*_: object) -> None:
        entry.async_create_background_task(hass, _async_check(), f"{DOMAIN} webhook URL check")

    _async_schedule_check()
    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, _async_schedule_check))
    entry.async_on_unload(async_listen_cloud_connected(hass, _async_schedule_check))
    entry.async_on_unload(lambda: ir.async_delete_issue(hass, DOMAIN, issue_id))


async def async_delete_cloudhook(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
    """Delete the cloudhook of a removed entry, if it has one."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud

    # ValueError: this entry never had a cloudhook.
    with suppress(cloud.CloudNotAvailable, ValueError):
        await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])


class _WebhookHandler:
    """Authenticate, parse and dispatch the webhook requests of one entry.

    Wrongly signed requests in a row most likely mean the gateway signs with another API key
    (it was changed there, not here): every incoming SMS is then lost, so a repair issue asks
    the user to act. Forged requests raise it too, which is why its text names both causes.
    """

    def __init__(self, hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
        self._hass = hass
        self._entry = entry
        self._last_warning: datetime | None = None
        self._bad_signatures = 0
        self._issue_id = f"{ISSUE_BAD_SIGNATURE}_{entry.entry_id}"

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer with an explicit status: anything raised would become a 200 and a traceback."""
        try:
            result = await self._async_parse(request)
        except _RejectedError as err:
            self._log_rejection(err)
            if err.status is HTTPStatus.UNAUTHORIZED:
                self._count_bad_signature()
            return web.Response(status=err.status)
        if self._bad_signatures:
            self._bad_signatures = 0
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
        batch = result.batch
        LOGGER.debug(
            "Webhook of %s: %s messages, %s USSD answers, %s delivery reports",
            self._entry.title,
            len(batch.messages),
            len(batch.ussd_requests),
            len(batch.delivery_reports),
        )
        await self._entry.runtime_data.inbound.async_process(batch)
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
            return self._entry.runtime_data.gateway.handle_webhook(received)
        except WebhookSignatureError as err:
            raise _RejectedError(HTTPStatus.UNAUTHORIZED, str(err)) from None
        except WebhookMediaTypeError as err:
            raise _RejectedError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, str(err)) from None
        except WebhookPayloadTooLargeError as err:
            raise _RejectedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, str(err)) from None
        except WebhookPayloadError as err:
            raise _RejectedError(HTTPStatus.BAD_REQUEST, str(err)) from None

    def _count_bad_signature(self) -> None:
        self._bad_signatures += 1
        if self._bad_signatures == BAD_SIGNATURE_THRESHOLD:
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id,
                is_fixable=True,  # repairs.py asks for the new key
                data={"entry_id": self._entry.entry_id},
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_BAD_SIGNATURE,
                translation_placeholders={
                    "entry_title": self._entry.title,
                    "count": str(BAD_SIGNATURE_THRESHOLD),
                },
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
