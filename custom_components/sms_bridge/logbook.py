"""Logbook lines for the bus events: who wrote what, what a USSD code answered, how a send went.

The bus events are recorded in full anyway; the logbook shows the start of a text only. The
lines are linked to the phone's event entity, so they also appear on the phone's page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .const import (
    DOMAIN,
    EVENT_MESSAGE_EXPIRED,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    EVENT_USSD_RESPONSE,
    EVENT_USSD_TIMEOUT,
    KEY_DELIVERY,
    KEY_INCOMING_MESSAGES,
)
from .devices import phone_entity_unique_id

# Characters of a text or USSD answer shown in the logbook.
PREVIEW_LENGTH = 40

STATUS_WORDS = {
    "scheduled": "is scheduled",
    "pending": "is pending",
    "queued": "is queued on the phone",
    "sent": "was sent",
    "delivered": "was delivered",
    "failed": "failed",
    "canceled": "was canceled",
}

EXPIRED_REASONS = {
    "expired": "the gateway could not be reached in time",
    "unconfirmed": "the gateway did not confirm it in time",
    "rejected": "the gateway rejected it",
}


def preview(text: object) -> str:
    """Return the start of a text, on one line, in quotes."""
    flat = " ".join(str(text or "").split())
    if len(flat) > PREVIEW_LENGTH:
        cut = flat[:PREVIEW_LENGTH]
        # End on a whole word, unless the text has no space to cut at.
        flat = (cut.rsplit(" ", 1)[0] if " " in cut[1:] else cut).rstrip() + "…"
    return f"“{flat}”"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe the bus events of SMS Bridge."""

    @callback
    def describe(event: Event, key: str | None, message: str) -> dict[str, Any]:
        """Name the line after the phone (or the entry) and link it to the phone's entity."""
        data = event.data
        entry: ConfigEntry[Any] | None = hass.config_entries.async_get_entry(
            str(data.get("config_entry_id"))
        )
        name = data.get("phone_name") or (entry.title if entry else "SMS Bridge")
        description = {LOGBOOK_ENTRY_NAME: name, LOGBOOK_ENTRY_MESSAGE: message}
        phone_id = data.get("phone_id")
        if entry is None or key is None or phone_id is None:
            return description
        registry = er.async_get(hass)
        unique_id = phone_entity_unique_id(entry.entry_id, phone_id, key)
        if not (entity_id := registry.async_get_entity_id("event", DOMAIN, unique_id)):
            return description
        description[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
        entity = registry.async_get(entity_id)
        if (
            entity
            and entity.device_id
            and (device := dr.async_get(hass).async_get(entity.device_id))
        ):
            description[LOGBOOK_ENTRY_NAME] = device.name_by_user or device.name or name
        return description

    @callback
    def received(event: Event) -> dict[str, Any]:
        data = event.data
        sender = data.get("number") or "an unknown number"
        if contact := data.get("contact"):
            sender = f"{contact} ({sender})"
        message = f"received an SMS from {sender}: {preview(data.get('text'))}"
        return describe(event, KEY_INCOMING_MESSAGES, message)

    @callback
    def ussd_response(event: Event) -> dict[str, Any]:
        data = event.data
        message = f"got the answer to {data.get('request')}: {preview(data.get('response'))}"
        return describe(event, KEY_INCOMING_MESSAGES, message)

    @callback
    def ussd_timeout(event: Event) -> dict[str, Any]:
        return describe(
            event, KEY_INCOMING_MESSAGES, f"got no answer to {event.data.get('request')}"
        )

    @callback
    def status(event: Event) -> dict[str, Any]:
        data = event.data
        state = str(data.get("status"))
        target = f"message to {number}" if (number := data.get("number")) else "a message"
        message = f"{target} {STATUS_WORDS.get(state, f'is {state}')}"
        if state == "failed" and data.get("failure_reason"):
            message += f" ({str(data['failure_reason']).replace('_', ' ')})"
        return describe(event, KEY_DELIVERY, message)

    @callback
    def expired(event: Event) -> dict[str, Any]:
        data = event.data
        recipients = ", ".join(str(number) for number in data.get("recipients") or ())
        reason = EXPIRED_REASONS.get(str(data.get("reason")), str(data.get("reason")))
        return describe(event, None, f"gave up sending a message to {recipients}: {reason}")

    async_describe_event(DOMAIN, EVENT_MESSAGE_RECEIVED, received)
    async_describe_event(DOMAIN, EVENT_USSD_RESPONSE, ussd_response)
    async_describe_event(DOMAIN, EVENT_USSD_TIMEOUT, ussd_timeout)
    async_describe_event(DOMAIN, EVENT_MESSAGE_STATUS, status)
    async_describe_event(DOMAIN, EVENT_MESSAGE_EXPIRED, expired)
