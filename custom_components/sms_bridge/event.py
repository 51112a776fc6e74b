"""Event entities: one per phone, firing incoming SMS, USSD answers and sent messages' states."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_TYPE_SMS_RECEIVED, EVENT_TYPE_USSD_RESPONSE
from .data import SmsBridgeConfigEntry
from .entity import SmsBridgePhoneEntity, async_add_phone_entities
from .inbound import inbound_signal
from .tracking import StatusChanges, signal_message_status

PARALLEL_UPDATES = 0

EVENT_TYPE_MESSAGE_STATUS = "message_status"
# How many of the phone's messages changed in the poll that the event reports the last of.
ATTR_STATUS_CHANGES = "status_changes"

MESSAGES = EventEntityDescription(
    key="messages",
    translation_key="messages",
    event_types=[EVENT_TYPE_SMS_RECEIVED, EVENT_TYPE_USSD_RESPONSE],
)
# When the tracker follows sent messages (the provider has Capability.STATUS_POLL).
MESSAGES_WITH_STATUS = replace(
    MESSAGES,
    event_types=[EVENT_TYPE_SMS_RECEIVED, EVENT_TYPE_USSD_RESPONSE, EVENT_TYPE_MESSAGE_STATUS],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the event entity of every phone, as it appears."""
    coordinator = entry.runtime_data.coordinator
    description = MESSAGES_WITH_STATUS if entry.runtime_data.tracker.enabled else MESSAGES
    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [SmsBridgeMessagesEvent(coordinator, phone, description)],
    )


class SmsBridgeMessagesEvent(SmsBridgePhoneEntity, EventEntity):
    """The messages and USSD answers a phone receives, and the states of those it sends.

    The same data goes out as bus events, which the recorder keeps in full; here the texts and
    numbers stay out of the recorded state history. A tracking poll that changes several of the
    phone's messages fires one ``message_status`` here, for the last of them, with their count:
    one recorded state per poll, where the bus has one event per message.
    """

    _unrecorded_attributes = frozenset({"number", "number_e164", "text", "response"})

    @property
    def available(self) -> bool:
        """Stay available while the gateway cannot be polled: its webhooks may still come."""
        return self.phone_id in self.coordinator.data.phones

    async def async_added_to_hass(self) -> None:
        """Listen for the entry's incoming messages and sent messages' states."""
        await super().async_added_to_hass()
        entry_id = self.coordinator.config_entry.entry_id
        self.async_on_remove(
            async_dispatcher_connect(self.hass, inbound_signal(entry_id), self._received)
        )
        self.async_on_remove(
            async_dispatcher_connect(self.hass, signal_message_status(entry_id), self._status)
        )

    @callback
    def _received(self, phone_id: str, event_type: str, attributes: dict[str, Any]) -> None:
        if phone_id == self.phone_id:
            self._trigger_event(event_type, attributes)
            self.async_write_ha_state()

    @callback
    def _status(self, changes: StatusChanges) -> None:
        if mine := changes.get(self.phone_id):
            attributes = {key: value for key, value in mine[-1].items() if key != "config_entry_id"}
            attributes[ATTR_STATUS_CHANGES] = len(mine)
            self._trigger_event(EVENT_TYPE_MESSAGE_STATUS, attributes)
            self.async_write_ha_state()
