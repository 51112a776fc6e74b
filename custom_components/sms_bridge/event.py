"""Event entities: per phone, one for what it receives and one for what becomes of its sends.

Incoming SMS and USSD answers go to the phone's incoming messages entity, the states of sent
messages to its delivery entity: a delivery report never replaces the SMS that was answered.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Phone
from .const import (
    EVENT_TYPE_MESSAGE_STATUS,
    EVENT_TYPE_SMS_RECEIVED,
    EVENT_TYPE_USSD_RESPONSE,
    KEY_DELIVERY,
    KEY_INCOMING_MESSAGES,
)
from .coordinator import SmsBridgeCoordinator
from .data import SmsBridgeConfigEntry
from .entity import SmsBridgePhoneEntity, async_add_phone_entities
from .inbound import inbound_signal
from .tracking import StatusChanges, signal_message_status

PARALLEL_UPDATES = 0

# How many of the phone's messages changed in the poll that the event reports the last of.
ATTR_STATUS_CHANGES = "status_changes"

INCOMING_MESSAGES = EventEntityDescription(
    key=KEY_INCOMING_MESSAGES,
    translation_key="incoming_messages",
    event_types=[EVENT_TYPE_SMS_RECEIVED, EVENT_TYPE_USSD_RESPONSE],
)
# Only when the tracker follows sent messages (the provider has Capability.STATUS_POLL).
DELIVERY = EventEntityDescription(
    key=KEY_DELIVERY,
    translation_key="delivery",
    event_types=[EVENT_TYPE_MESSAGE_STATUS],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the event entities of every phone, as it appears."""
    coordinator = entry.runtime_data.coordinator
    tracking = entry.runtime_data.tracker.enabled

    def create(phone: Phone) -> list[SmsBridgeEvent]:
        entities: list[SmsBridgeEvent] = [SmsBridgeIncomingEvent(coordinator, phone)]
        if tracking:
            entities.append(SmsBridgeDeliveryEvent(coordinator, phone))
        return entities

    async_add_phone_entities(entry, async_add_entities, create)


class SmsBridgeEvent(SmsBridgePhoneEntity, EventEntity):
    """An event entity of a phone.

    The same data goes out as bus events, which the recorder keeps in full; here the texts and
    numbers stay out of the recorded state history.
    """

    _unrecorded_attributes = frozenset({"number", "number_e164", "text", "response"})

    @property
    def available(self) -> bool:
        """Stay available while the gateway cannot be polled: its webhooks may still come."""
        return self.phone_id in self.coordinator.data.phones


class SmsBridgeIncomingEvent(SmsBridgeEvent):
    """The messages and USSD answers a phone receives.

    Its unique id is that of the single event entity of earlier versions, so the entity id of
    an existing installation (``event.<phone>_messages``) and its automations stay.
    """

    def __init__(self, coordinator: SmsBridgeCoordinator, phone: Phone) -> None:
        """Initialize the entity."""
        super().__init__(coordinator, phone, INCOMING_MESSAGES)

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


class SmsBridgeDeliveryEvent(SmsBridgeEvent):
    """The states of the messages a phone sends.

    A tracking poll that changes several of the phone's messages fires one ``message_status``
    here, for the last of them, with their count: one recorded state per poll, where the bus has
    one event per message.
    """

    def __init__(self, coordinator: SmsBridgeCoordinator, phone: Phone) -> None:
        """Initialize the entity."""
        super().__init__(coordinator, phone, DELIVERY)

    async def async_added_to_hass(self) -> None:
        """Listen for the states of the entry's sent messages."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_message_status(self.coordinator.config_entry.entry_id),
                self._status,
            )
        )

    @callback
    def _status(self, changes: StatusChanges) -> None:
        if mine := changes.get(self.phone_id):
            attributes = {key: value for key, value in mine[-1].items() if key != "config_entry_id"}
            attributes[ATTR_STATUS_CHANGES] = len(mine)
            self._trigger_event(EVENT_TYPE_MESSAGE_STATUS, attributes)
            self.async_write_ha_state()
