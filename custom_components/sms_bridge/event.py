"""Event entities: per phone, one for what it receives and one for what becomes of its sends.

Incoming SMS and USSD answers go to the phone's incoming messages entity, the states of sent
messages to its delivery entity: a delivery report never replaces the SMS that was answered.
A provider without phones has the same two entities on its account device, for all messages.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Capability, Phone
from .const import (
    EVENT_TYPE_MESSAGE_STATUS,
    EVENT_TYPE_SMS_RECEIVED,
    EVENT_TYPE_USSD_RESPONSE,
    KEY_DELIVERY,
    KEY_INCOMING_MESSAGES,
)
from .coordinator import SmsBridgeCoordinator
from .data import SmsBridgeConfigEntry
from .entity import SmsBridgeAccountEntity, SmsBridgePhoneEntity, async_add_phone_entities
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
    """Set up the event entities of every phone as it appears, or of the account."""
    coordinator = entry.runtime_data.coordinator
    tracking = entry.runtime_data.tracker.enabled
    if Capability.PHONES not in coordinator.gateway.capabilities:
        account: list[EventEntity] = [SmsBridgeAccountIncomingEvent(coordinator, INCOMING_MESSAGES)]
        if tracking:
            account.append(SmsBridgeAccountDeliveryEvent(coordinator, DELIVERY))
        async_add_entities(account)
        return

    def create(phone: Phone) -> list[EventEntity]:
        entities: list[EventEntity] = [SmsBridgeIncomingEvent(coordinator, phone)]
        if tracking:
            entities.append(SmsBridgeDeliveryEvent(coordinator, phone))
        return entities

    async_add_phone_entities(entry, async_add_entities, create)


class _MessagesEvent(EventEntity):
    """An event entity of messages: of one phone, or of an account without phones.

    The same data goes out as bus events, which the recorder keeps in full; here the texts and
    numbers stay out of the recorded state history.
    """

    _unrecorded_attributes = frozenset({"number", "number_e164", "contact", "text", "response"})
    coordinator: SmsBridgeCoordinator

    def _takes(self, phone_id: str | None) -> bool:
        """Return True for the messages of this entity's phone (None: no phone)."""
        raise NotImplementedError


class _IncomingMixin(_MessagesEvent):
    """Fire the incoming messages and USSD answers that are this entity's."""

    async def async_added_to_hass(self) -> None:
        """Listen for the entry's incoming messages."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, inbound_signal(self.coordinator.config_entry.entry_id), self._received
            )
        )

    @callback
    def _received(self, phone_id: str | None, event_type: str, attributes: dict[str, Any]) -> None:
        if self._takes(phone_id):
            self._trigger_event(event_type, attributes)
            self.async_write_ha_state()


class _DeliveryMixin(_MessagesEvent):
    """Fire the states of the sent messages that are this entity's.

    A tracking poll that changes several of them fires one ``message_status`` here, for the last
    of them, with their count: one recorded state per poll, where the bus has one event per
    message.
    """

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
        mine = [
            data for phone_id, datas in changes.items() if self._takes(phone_id) for data in datas
        ]
        if mine:
            attributes = {key: value for key, value in mine[-1].items() if key != "config_entry_id"}
            attributes[ATTR_STATUS_CHANGES] = len(mine)
            self._trigger_event(EVENT_TYPE_MESSAGE_STATUS, attributes)
            self.async_write_ha_state()


class SmsBridgePhoneEvent(SmsBridgePhoneEntity):
    """An event entity of a phone: it takes that phone's messages."""

    @property
    def available(self) -> bool:
        """Stay available while the gateway cannot be polled: its webhooks may still come."""
        return self.phone_id in self.coordinator.data.phones

    def _takes(self, phone_id: str | None) -> bool:
        return phone_id == self.phone_id


class SmsBridgeIncomingEvent(SmsBridgePhoneEvent, _IncomingMixin):
    """The messages and USSD answers a phone receives.

    Its unique id is that of the single event entity of earlier versions, so the entity id of
    an existing installation (``event.<phone>_messages``) and its automations stay.
    """

    def __init__(self, coordinator: SmsBridgeCoordinator, phone: Phone) -> None:
        """Initialize the entity."""
        super().__init__(coordinator, phone, INCOMING_MESSAGES)


class SmsBridgeDeliveryEvent(SmsBridgePhoneEvent, _DeliveryMixin):
    """The states of the messages a phone sends."""

    def __init__(self, coordinator: SmsBridgeCoordinator, phone: Phone) -> None:
        """Initialize the entity."""
        super().__init__(coordinator, phone, DELIVERY)


class SmsBridgeAccountEvent(SmsBridgeAccountEntity):
    """An event entity of an account without phones: it takes every message."""

    @property
    def available(self) -> bool:
        """Stay available while the gateway cannot be polled: its webhooks may still come."""
        return True

    def _takes(self, phone_id: str | None) -> bool:
        return True


class SmsBridgeAccountIncomingEvent(SmsBridgeAccountEvent, _IncomingMixin):
    """The messages and USSD answers the account receives."""


class SmsBridgeAccountDeliveryEvent(SmsBridgeAccountEvent, _DeliveryMixin):
    """The states of the messages the account sends."""
