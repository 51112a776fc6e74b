"""Event entities: one per phone, firing on every incoming SMS and USSD answer."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_TYPE_SMS_RECEIVED, EVENT_TYPE_USSD_RESPONSE
from .data import SmsBridgeConfigEntry
from .entity import SmsBridgePhoneEntity, async_add_phone_entities
from .inbound import inbound_signal

PARALLEL_UPDATES = 0

MESSAGES = EventEntityDescription(
    key="messages",
    translation_key="messages",
    event_types=[EVENT_TYPE_SMS_RECEIVED, EVENT_TYPE_USSD_RESPONSE],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the event entity of every phone, as it appears."""
    coordinator = entry.runtime_data.coordinator
    async_add_phone_entities(
        entry,
        async_add_entities,
        lambda phone: [SmsBridgeMessagesEvent(coordinator, phone, MESSAGES)],
    )


class SmsBridgeMessagesEvent(SmsBridgePhoneEntity, EventEntity):
    """The messages and USSD answers a phone receives.

    The same data goes out as bus events, which the recorder keeps in full; here the texts and
    numbers stay out of the recorded state history.
    """

    _unrecorded_attributes = frozenset({"number", "number_e164", "text", "response"})

    @property
    def available(self) -> bool:
        """Stay available while the gateway cannot be polled: its webhooks may still come."""
        return self.phone_id in self.coordinator.data.phones

    async def async_added_to_hass(self) -> None:
        """Listen for the entry's incoming messages."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, inbound_signal(self.coordinator.config_entry.entry_id), self._received
            )
        )

    @callback
    def _received(self, phone_id: str, event_type: str, attributes: dict[str, Any]) -> None:
        if phone_id == self.phone_id:
            self._trigger_event(event_type, attributes)
            self.async_write_ha_state()
