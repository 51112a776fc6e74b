"""The inbox's websocket API, for the inbox card.

SMS are private: every command needs an administrator, unless the entry's options let every
user read its inbox. Sending is not here: the card sends with the send_message action, the one
send path of the integration (limits, outbox, tracking).
"""

from __future__ import annotations

from typing import Any, Final, cast

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import ERR_NOT_FOUND, ERR_UNAUTHORIZED
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback

from .compat import vol
from .const import DOMAIN
from .contacts import ContactBook
from .data import SmsBridgeConfigEntry
from .inbox_store import InboxChange, InboxMessage, InboxSettings, InboxStore, ThreadSummary

PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 500
_ENTRY_ID: Final = "entry_id"
_NUMBER: Final = "number"


@callback
def async_register_inbox_commands(hass: HomeAssistant) -> None:
    """Register the inbox's commands (once, when the integration is set up)."""
    for command in (
        _entries,
        _threads,
        _thread,
        _mark_read,
        _delete_thread,
        _subscribe,
    ):
        async_register_command(hass, command)


def may_read(entry: SmsBridgeConfigEntry, is_admin: bool) -> bool:
    """Return True when a user may read the entry's inbox."""
    return is_admin or InboxSettings.from_options(entry.options).all_users


def _loaded_entries(hass: HomeAssistant) -> list[SmsBridgeConfigEntry]:
    return [
        cast(SmsBridgeConfigEntry, entry)
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
    ]


def _inbox(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> tuple[SmsBridgeConfigEntry, InboxStore] | None:
    """Return the entry and inbox a command is for, or send the error and return None."""
    entry = hass.config_entries.async_get_entry(msg[_ENTRY_ID])
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        connection.send_error(msg["id"], ERR_NOT_FOUND, "No such loaded entry")
        return None
    sms_entry = cast(SmsBridgeConfigEntry, entry)
    if not may_read(sms_entry, connection.user.is_admin):
        connection.send_error(msg["id"], ERR_UNAUTHORIZED, "The inbox is for administrators")
        return None
    return sms_entry, sms_entry.runtime_data.inbox


def _names(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> dict[str, str]:
    """Return the contacts' names by number (E.164, as threads are keyed)."""
    return {contact.number: contact.name for contact in ContactBook.of(hass, entry).contacts}


def _summary(summary: ThreadSummary, names: dict[str, str]) -> dict[str, Any]:
    return {
        "number": summary.number,
        "name": names.get(summary.number),
        "unread": summary.unread,
        "count": summary.count,
        "last": summary.last.as_dict(),
    }


@websocket_command({vol.Required("type"): f"{DOMAIN}/inbox/entries"})
@callback
def _entries(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """List the entries whose inbox the user may read, with their phones."""
    loaded = _loaded_entries(hass)
    allowed = [entry for entry in loaded if may_read(entry, connection.user.is_admin)]
    if loaded and not allowed:
        connection.send_error(msg["id"], ERR_UNAUTHORIZED, "The inbox is for administrators")
        return
    connection.send_result(
        msg["id"],
        [
            {
                "entry_id": entry.entry_id,
                "title": entry.title,
                "unread": sum(entry.runtime_data.inbox.unread.values()),
                "phones": [
                    {"id": phone.id, "name": phone.display_name}
                    for phone in entry.runtime_data.coordinator.data.phones.values()
                ],
            }
            for entry in allowed
        ],
    )


@websocket_command({vol.Required("type"): f"{DOMAIN}/inbox/threads", vol.Required(_ENTRY_ID): str})
@callback
def _threads(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """List the threads of an entry, the newest first."""
    if (found := _inbox(hass, connection, msg)) is None:
        return
    entry, inbox = found
    names = _names(hass, entry)
    connection.send_result(msg["id"], [_summary(summary, names) for summary in inbox.threads()])


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/inbox/thread",
        vol.Required(_ENTRY_ID): str,
        vol.Required(_NUMBER): str,
        vol.Optional("before"): str,
        vol.Optional("limit", default=PAGE_SIZE): vol.All(int, vol.Range(min=1, max=MAX_PAGE_SIZE)),
    }
)
@callback
def _thread(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Return a page of a thread, newest first; ``before`` is the oldest message seen."""
    if (found := _inbox(hass, connection, msg)) is None:
        return
    entry, inbox = found
    number = msg[_NUMBER]
    messages, more = inbox.thread(number, before=msg.get("before"), limit=msg["limit"])
    connection.send_result(
        msg["id"],
        {
            "number": number,
            "name": _names(hass, entry).get(number),
            "messages": [message.as_dict() for message in messages],
            "more": more,
        },
    )


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/inbox/mark_read",
        vol.Required(_ENTRY_ID): str,
        vol.Optional(_NUMBER): str,
    }
)
@callback
def _mark_read(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Mark a thread read, or every thread without a number."""
    if (found := _inbox(hass, connection, msg)) is None:
        return
    _, inbox = found
    connection.send_result(msg["id"], {"marked": inbox.mark_read(msg.get(_NUMBER))})


@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/inbox/delete_thread",
        vol.Required(_ENTRY_ID): str,
        vol.Required(_NUMBER): str,
    }
)
@callback
def _delete_thread(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Delete a thread from the inbox (the gateway keeps its own copy)."""
    if (found := _inbox(hass, connection, msg)) is None:
        return
    _, inbox = found
    if not inbox.delete_thread(msg[_NUMBER]):
        connection.send_error(msg["id"], ERR_NOT_FOUND, "No such thread")
        return
    connection.send_result(msg["id"])


@websocket_command(
    {vol.Required("type"): f"{DOMAIN}/inbox/subscribe", vol.Required(_ENTRY_ID): str}
)
@callback
def _subscribe(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Push each change of the inbox: new messages, status changes, reads, deletions.

    When the entry unloads (a reload after its options changed), a ``closed`` event ends the
    subscription: the card subscribes again.
    """
    if (found := _inbox(hass, connection, msg)) is None:
        return
    entry, inbox = found
    msg_id = msg["id"]

    @callback
    def forward(change: InboxChange) -> None:
        data = dict(change)
        message = data.get("message")
        if isinstance(message, InboxMessage):
            data["message"] = message.as_dict()
            if (summary := inbox.summary(message.number)) is not None:
                data["thread"] = _summary(summary, _names(hass, entry))
        connection.send_message(event_message(msg_id, data))
        if change["event"] == "closed":
            connection.subscriptions.pop(msg_id, None)

    connection.subscriptions[msg_id] = inbox.async_add_listener(forward)
    connection.send_result(msg_id)
