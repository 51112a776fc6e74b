"""Logbook lines: what arrived, what a USSD code answered and how a send went, per phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_component,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sms_bridge.const import DOMAIN
from custom_components.sms_bridge.tracking import FIRST_POLL
from tests.simulator import GatewaySimulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """Start the recorder before Home Assistant, as it must be; then allow our integration."""


@pytest.fixture
async def logbook(hass: HomeAssistant) -> None:
    """Run the logbook and its API, before the HTTP server starts (without the frontend's files)."""
    mock_component(hass, "frontend")
    assert await async_setup_component(hass, "websocket_api", {})
    assert await async_setup_component(hass, "logbook", {})


async def ours(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, client: Any = None
) -> list[dict[str, Any]]:
    """Return the logbook lines of SMS Bridge's bus events, oldest first."""
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    client = client or await hass_ws_client()
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": (dt_util.utcnow() - timedelta(hours=1)).isoformat(),
            "end_time": (dt_util.utcnow() + timedelta(hours=1)).isoformat(),
        }
    )
    response = await client.receive_json()
    assert response["success"]
    return [line for line in response["result"] if line.get("domain") == DOMAIN]


async def test_incoming_sms_and_ussd(
    logbook: None,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An SMS shows its sender and the start of its text; a USSD answer its code and answer."""
    text = "Your parcel is waiting at the post office since this morning, code 4411"
    await gateway.receive_sms("+33612345678", text, phone_id=2)
    request = gateway.store_ussd("*150#", 1, 0)
    await gateway.answer_ussd(request["ID"], "Balance: 12.50 EUR")

    lines = await ours(hass, hass_ws_client)
    assert [(line["name"], line["message"], line["entity_id"]) for line in lines] == [
        (
            "Pixel 7",
            "received an SMS from +33612345678: “Your parcel is waiting at the post…”",
            "event.pixel_7_incoming_messages",
        ),
        (
            "Office phone",
            "got the answer to *150#: “Balance: 12.50 EUR”",
            "event.office_phone_incoming_messages",
        ),
    ]


async def test_delivery_states(
    logbook: None,
    hass: HomeAssistant,
    *,
    hass_ws_client: WebSocketGenerator,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each state of a sent message is a line of the phone's delivery entity; a failure says why."""
    for number in ("+15550001", "+15550000"):  # the simulator fails numbers ending in 0000
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"recipients": [number], "message": "test", "phone": "1"},
            blocking=True,
        )
    for _ in range(3):
        await simulator.advance()
        freezer.tick(timedelta(seconds=FIRST_POLL))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    lines = await ours(hass, hass_ws_client)
    assert {line["entity_id"] for line in lines} == {"event.office_phone_delivery"}
    assert {line["name"] for line in lines} == {"Office phone"}
    messages = [line["message"] for line in lines]
    assert "message to +15550001 was delivered" in messages
    assert "message to +15550001 was sent" in messages
    failed = [message for message in messages if message.startswith("message to +15550000 failed")]
    assert failed == ["message to +15550000 failed (generic failure)"]


async def test_ussd_without_answer_and_expired_send(
    logbook: None,
    hass: HomeAssistant,
    *,
    hass_ws_client: WebSocketGenerator,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A USSD code left unanswered is a line of its phone; a send given up, one of the entry."""
    client = await hass_ws_client()  # logged in before the clock jumps past the token's life
    await hass.services.async_call(DOMAIN, "send_ussd", {"code": "*100#", "phone": "1"})
    await hass.async_block_till_done()
    await simulator.stop()  # the gateway goes away: the next send waits in the outbox
    await hass.services.async_call(
        DOMAIN, "send_message", {"recipients": ["+15550100"], "message": "test"}, blocking=True
    )
    freezer.tick(timedelta(hours=2))  # past the USSD timeout and the outbox's time to live
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    lines = await ours(hass, hass_ws_client, client)
    assert [(line["name"], line["message"], line.get("entity_id")) for line in lines] == [
        ("Office phone", "got no answer to *100#", "event.office_phone_incoming_messages"),
        (
            "SMS Gateway",
            "gave up sending a message to +15550100: the gateway could not be reached in time",
            None,
        ),
    ]
