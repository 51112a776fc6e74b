"""The inbox's actions: sms_bridge.mark_read and sms_bridge.get_conversation.

A user who calls them from the UI needs what the inbox's websocket commands need (an
administrator, unless the entry's options let every user read the inbox); automations and
scripts run without a user and may.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import config_validation as cv

from .compat import vol
from .const import DOMAIN
from .contacts import ContactBook
from .data import SmsBridgeConfigEntry
from .device_choice import ATTR_CONFIG_ENTRY_ID
from .inbox_store import thread_key
from .inbox_websocket import may_read
from .services import async_get_entry

SERVICE_MARK_READ: Final = "mark_read"
SERVICE_GET_CONVERSATION: Final = "get_conversation"
ATTR_NUMBER: Final = "number"
ATTR_LIMIT: Final = "limit"
DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 500

_NUMBER: Final = vol.All(cv.string, vol.Strip, vol.Length(min=1))
MARK_READ_SCHEMA: Final = vol.Schema(
    {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Optional(ATTR_NUMBER): _NUMBER}
)
GET_CONVERSATION_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_NUMBER): _NUMBER,
        vol.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_LIMIT)
        ),
    }
)


@callback
def async_setup_inbox_services(hass: HomeAssistant) -> None:
    """Register the inbox's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_MARK_READ,
        _async_mark_read,
        schema=MARK_READ_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CONVERSATION,
        _async_get_conversation,
        schema=GET_CONVERSATION_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


async def _async_readable_entry(call: ServiceCall) -> SmsBridgeConfigEntry:
    """Return the entry of the call, if the calling user (if any) may read its inbox."""
    entry = async_get_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    if (user_id := call.context.user_id) is not None:
        user = await call.hass.auth.async_get_user(user_id)
        if user is None or not may_read(entry, user.is_admin):
            raise Unauthorized(context=call.context, permission="inbox")
    return entry


def _thread(
    hass: HomeAssistant, entry: SmsBridgeConfigEntry, number: str
) -> tuple[str, str | None]:
    """Return the thread of a contact's name or a number, and the contact's name."""
    contacts = ContactBook.of(hass, entry)
    if (contact := contacts.by_name(number) or contacts.by_number(number)) is not None:
        return contact.number, contact.name
    return thread_key(number, contacts.country), None


async def _async_mark_read(call: ServiceCall) -> ServiceResponse:
    entry = await _async_readable_entry(call)
    number = call.data.get(ATTR_NUMBER)
    thread = None if number is None else _thread(call.hass, entry, number)[0]
    marked = entry.runtime_data.inbox.mark_read(thread)
    return {"marked": marked} if call.return_response else None


async def _async_get_conversation(call: ServiceCall) -> ServiceResponse:
    entry = await _async_readable_entry(call)
    number, name = _thread(call.hass, entry, call.data[ATTR_NUMBER])
    inbox = entry.runtime_data.inbox
    messages, more = inbox.thread(number, limit=call.data[ATTR_LIMIT])
    summary = inbox.summary(number)
    return {
        "number": number,
        "name": name,
        "unread": summary.unread if summary else 0,
        "count": summary.count if summary else 0,
        "more": more,
        # Oldest first, as a conversation reads.
        "messages": [_message(message.as_dict()) for message in reversed(messages)],
    }


def _message(data: dict[str, Any]) -> dict[str, Any]:
    """Return a message as the response shows it: without the inbox's bookkeeping."""
    data.pop("queued_id")
    return data
