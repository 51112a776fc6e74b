"""Event entities: per phone, one for incoming SMS and USSD answers, one for delivery states."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sms_bridge.const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
    EVENT_USSD_RESPONSE,
)
from custom_components.sms_bridge.tracking import FIRST_POLL
from tests.simulator import GatewaySimulator

NOW = "2025-05-01T10:00:05+00:00"
INCOMING = "messages"  # the key of the single event entity of 0.1, kept for its entity id
DELIVERY = "delivery"


def event_entity_id(
    hass: HomeAssistant, entry: MockConfigEntry, phone_id: str, key: str = INCOMING
) -> str:
    """Entity id of one of a phone's event entities."""
    unique_id = f"{entry.entry_id}_{phone_id}_{key}"
    entity_id = er.async_get(hass).async_get_entity_id("event", DOMAIN, unique_id)
    assert entity_id is not None
    return entity_id


def event_state(
    hass: HomeAssistant, entry: MockConfigEntry, phone_id: str, key: str = INCOMING
) -> State:
    """State of one of a phone's event entities."""
    state = hass.states.get(event_entity_id(hass, entry, phone_id, key))
    assert state is not None
    return state


async def test_two_entities_per_phone(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each phone has an incoming messages and a delivery entity that have fired nothing yet."""
    for phone_id, slug in (("1", "office_phone"), ("2", "pixel_7")):
        incoming = event_state(hass, init_integration, phone_id)
        assert incoming.entity_id == f"event.{slug}_incoming_messages"
        assert incoming.state == STATE_UNKNOWN
        assert incoming.attributes["event_types"] == ["sms_received", "ussd_response"]
        assert incoming.attributes["event_type"] is None
        delivery = event_state(hass, init_integration, phone_id, DELIVERY)
        assert delivery.entity_id == f"event.{slug}_delivery"
        assert delivery.state == STATE_UNKNOWN
        assert delivery.attributes["event_types"] == ["message_status"]


async def test_status_of_the_reply_keeps_the_sms(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The states of a reply go to the delivery entity: the SMS it answers stays shown."""
    freezer.move_to(NOW)
    await gateway.receive_sms("+33612345678", "hi", phone_id=1)
    await hass.async_block_till_done()
    received = event_state(hass, init_integration, "1")
    assert received.attributes["text"] == "hi"

    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+33612345678"], "message": "hello back", "phone": "1"},
        blocking=True,
    )
    for _ in range(3):
        await gateway.advance()
        freezer.tick(timedelta(seconds=FIRST_POLL))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    assert [event.data["status"] for event in statuses] == ["queued", "sent", "delivered"]
    incoming = event_state(hass, init_integration, "1")
    assert incoming.state == received.state
    assert incoming.attributes["event_type"] == "sms_received"
    assert incoming.attributes["text"] == "hi"
    delivery = event_state(hass, init_integration, "1", DELIVERY)
    assert delivery.attributes["event_type"] == "message_status"
    assert delivery.attributes["status"] == "delivered"
    assert delivery.attributes["text"] == "hello back"


async def test_existing_entity_id_kept(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
) -> None:
    """An installation from before the split keeps `event.<phone>_messages` for incoming SMS."""
    config_entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "event",
        DOMAIN,
        f"{config_entry.entry_id}_1_messages",
        config_entry=config_entry,
        suggested_object_id="office_phone_messages",
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert event_entity_id(hass, config_entry, "1") == "event.office_phone_messages"
    assert event_entity_id(hass, config_entry, "1", DELIVERY) == "event.office_phone_delivery"
    state = hass.states.get("event.office_phone_messages")
    assert state is not None
    assert state.attributes["event_types"] == ["sms_received", "ussd_response"]


async def test_sms_received(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An SMS fires `sms_received` on its phone only, with the bus event's data."""
    bus_events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    freezer.move_to(NOW)
    await gateway.receive_sms("+33612345678", "Hello", phone_id=2)
    await hass.async_block_till_done()

    state = event_state(hass, init_integration, "2")
    assert state.state == "2025-05-01T10:00:05.000+00:00"
    expected = dict(bus_events[0].data)
    del expected["config_entry_id"]
    assert {key: value for key, value in state.attributes.items() if key in expected} == expected
    assert state.attributes["event_type"] == "sms_received"
    assert expected["phone_name"] == "Pixel 7"
    assert event_state(hass, init_integration, "1").state == STATE_UNKNOWN


async def test_ussd_response(
    hass: HomeAssistant, gateway: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """A USSD answer fires `ussd_response` on its phone."""
    bus_events = async_capture_events(hass, EVENT_USSD_RESPONSE)
    request = gateway.store_ussd("*150#", 1, 1)
    await gateway.answer_ussd(request["ID"], "Balance: 12.50 EUR")
    await hass.async_block_till_done()

    state = event_state(hass, init_integration, "1")
    assert state.attributes["event_type"] == "ussd_response"
    expected = dict(bus_events[0].data)
    del expected["config_entry_id"]
    assert {key: state.attributes[key] for key in expected} == expected


async def test_texts_are_not_recorded(
    hass: HomeAssistant, gateway: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """Texts, numbers and USSD answers stay out of the recorder."""
    await gateway.receive_sms("+33612345678", "Your code is 123456", phone_id=1)
    await hass.async_block_till_done()

    state = event_state(hass, init_integration, "1")
    assert state.attributes["text"] == "Your code is 123456"
    assert state.state_info is not None
    assert {"text", "number", "number_e164", "response"} <= state.state_info[
        "unrecorded_attributes"
    ]


async def test_available_while_gateway_unreachable(
    hass: HomeAssistant, gateway: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """Webhooks keep coming while polling fails, so the entity stays available."""
    gateway.faults.http_500 = True
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert not init_integration.runtime_data.coordinator.last_update_success
    gateway.faults.reset()

    await gateway.receive_sms("+33612345678", "Hello", phone_id=1)
    await hass.async_block_till_done()

    state = event_state(hass, init_integration, "1")
    assert state.attributes["event_type"] == "sms_received"


async def test_unavailable_when_phone_removed(
    hass: HomeAssistant, gateway: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """A phone the gateway no longer lists has an unavailable event entity."""
    gateway.remove_phone(2)
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    assert event_state(hass, init_integration, "2").state == STATE_UNAVAILABLE
    assert event_state(hass, init_integration, "1").state == STATE_UNKNOWN
