"""Deduplicate incoming messages and USSD answers, then fire each one once.

The gateway signs no timestamp or nonce, so a captured webhook can be replayed at will and a
retried one arrives twice: the message and USSD ids already seen are kept, across restarts.
"""

from __future__ import annotations

from typing import Any, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util.signal_type import SignalType

from .api import InboundBatch, Message, UssdRequest
from .api.sms import to_e164
from .const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_TYPE_SMS_RECEIVED,
    EVENT_TYPE_USSD_RESPONSE,
    EVENT_USSD_RESPONSE,
    LOGGER,
)
from .data import SmsBridgeConfigEntry

STORAGE_VERSION = 1
MAX_SEEN = 5000  # ids kept per kind; a gateway never resends anything that old
SAVE_DELAY = 10  # seconds

type InboundSignal = SignalType[str, str, dict[str, Any]]


class _StoredIds(TypedDict):
    messages: list[int]
    ussd: list[int]


def inbound_signal(entry_id: str) -> InboundSignal:
    """Return the signal carrying (phone id, event type, event attributes) of an entry."""
    return SignalType(f"{DOMAIN}_inbound_{entry_id}")


def _store(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> Store[_StoredIds]:
    # Private: the ids say when the household received messages.
    return Store(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry.entry_id}.inbound",
        private=True,
        atomic_writes=True,
    )


async def async_remove_inbound_store(hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
    """Delete the ids kept for a removed entry."""
    await _store(hass, entry).async_remove()


class InboundDispatcher:
    """Deduplicate incoming messages (persisted, bounded) and fire them once."""

    def __init__(self, hass: HomeAssistant, entry: SmsBridgeConfigEntry) -> None:
        """Initialize."""
        self.hass = hass
        self.entry = entry
        self._store = _store(hass, entry)
        # Dicts keep insertion order: the first key is the oldest id.
        self._messages: dict[int, None] = {}
        self._ussd: dict[int, None] = {}

    async def async_load(self) -> None:
        """Load the ids already seen."""
        if stored := await self._store.async_load():
            self._messages = dict.fromkeys(stored["messages"])
            self._ussd = dict.fromkeys(stored["ussd"])

    async def async_flush(self) -> None:
        """Write pending state to storage."""
        await self._store.async_save(self._stored_ids())

    async def async_process(self, batch: InboundBatch) -> None:
        """Fire events for what is new in ``batch`` (already in the order to fire)."""
        messages = [m for m in batch.messages if self._remember(self._messages, m.id)]
        answers = [u for u in batch.ussd_requests if self._remember(self._ussd, u.id)]
        if messages or answers:
            self._store.async_delay_save(self._stored_ids, SAVE_DELAY)
        for message in messages:
            self._fire_message(message)
        for ussd in answers:
            self._fire_ussd(ussd)

    def _remember(self, seen: dict[int, None], item_id: int) -> bool:
        """Record ``item_id``; return False when it was seen before."""
        if item_id in seen:
            LOGGER.debug("Dropped id %s of %s: already received", item_id, self.entry.title)
            return False
        seen[item_id] = None
        if len(seen) > MAX_SEEN:
            del seen[next(iter(seen))]
        return True

    def _stored_ids(self) -> _StoredIds:
        return {"messages": list(self._messages), "ussd": list(self._ussd)}

    @callback
    def _fire_message(self, message: Message) -> None:
        attributes = {
            "message_id": message.id,
            "number": message.number,
            "number_e164": to_e164(message.number),
            "text": message.text,
            "phone_id": message.phone_id,
            "phone_name": self._phone_name(message.phone_id),
            "sim": None if message.sim_slot is None else message.sim_slot + 1,
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "received_at": message.delivered_at.isoformat() if message.delivered_at else None,
        }
        self._fire(EVENT_MESSAGE_RECEIVED, EVENT_TYPE_SMS_RECEIVED, message.phone_id, attributes)

    @callback
    def _fire_ussd(self, ussd: UssdRequest) -> None:
        self._fire(EVENT_USSD_RESPONSE, EVENT_TYPE_USSD_RESPONSE, ussd.phone_id, ussd.as_dict())

    @callback
    def _fire(
        self, bus_event: str, event_type: str, phone_id: str | None, attributes: dict[str, Any]
    ) -> None:
        self.hass.bus.async_fire(bus_event, {"config_entry_id": self.entry.entry_id, **attributes})
        if phone_id is not None:
            async_dispatcher_send(
                self.hass, inbound_signal(self.entry.entry_id), phone_id, event_type, attributes
            )

    def _phone_name(self, phone_id: str | None) -> str | None:
        """Return the phone's name; ask for the phone list again when the phone is new to us."""
        if phone_id is None:
            return None
        coordinator = self.entry.runtime_data.coordinator
        if phone := coordinator.data.phones.get(phone_id):
            return phone.display_name
        LOGGER.debug("A message arrived through phone %s, unknown so far", phone_id)
        # In the background: the webhook answers without waiting for the gateway.
        self.entry.async_create_background_task(
            self.hass, coordinator.async_request_refresh(), f"{DOMAIN} phone list refresh"
        )
        return None
