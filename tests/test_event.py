"""Event entities: one per phone, firing incoming SMS and USSD answers."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_bridge.const import EVENT_MESSAGE_RECEIVED, EVENT_USSD_RESPONSE
from tests.simulator import GatewaySimulator

NOW = "2025-05-01T10:00:05+00:00"


def event_state(hass: HomeAssistant, entry: MockConfigEntry, phone_id: str) -> State:
    """State of a phone's event entity."""
    unique_id = f"{entry.entry_id}_{phone_id}_messages"
    entity_id = er.async_get(hass).async_get_entity_id("event", "sms_bridge", unique_id)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def test_one_entity_per_phone(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Each phone has an event entity that has fired nothing yet."""
    for phone_id in ("1", "2"):
        state = event_state(hass, init_integration, phone_id)
        assert state.state == STATE_UNKNOWN
        assert state.attributes["event_types"] == [
            "sms_received",
            "ussd_response",
            "message_status",
        ]
        assert state.attributes["event_type"] is None


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
