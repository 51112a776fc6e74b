"""Sensor platform: the account's credits; last seen, battery and SIM cards of each phone.

The outbox and the delivery figures are tested in test_delivery_entities.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_bridge.api import Capability, Phone
from custom_components.sms_bridge.api.sms_gateway import SmsGatewayClient
from custom_components.sms_bridge.compat import async_get_entry_device
from custom_components.sms_bridge.const import DOMAIN
from tests.helpers import poll
from tests.simulator import GatewaySimulator
from tests.simulator.services import SCRIPTS

LAST_SEEN = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_last_seen(socket_enabled: None, simulator: GatewaySimulator) -> None:
    """Give the phones a fixed last-seen time, so that states are stable."""
    for phone in simulator.phones.values():
        phone.last_seen = LAST_SEEN


def sensor_states(hass: HomeAssistant) -> dict[str, Any]:
    """Return the state and attributes of every sensor.

    Attribute names as plain strings: newer Home Assistant keys them with a string enum, which
    snapshots would print differently on each version.
    """
    return {
        state.entity_id: {
            "state": state.state,
            "attributes": {str(key): value for key, value in state.attributes.items()},
        }
        for state in hass.states.async_all("sensor")
    }


# Frozen: the count of messages sent today states the midnight it counts from.
@pytest.mark.freeze_time("2025-05-01 12:00:00+00:00")
@pytest.mark.usefixtures("init_integration")
async def test_sensors(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """Credits, outbox and today's count for the account; last seen, SIMs, figures per phone."""
    assert sensor_states(hass) == snapshot
    last_seen = entity_registry.async_get("sensor.office_phone_last_seen")
    assert last_seen is not None
    assert last_seen.entity_category is EntityCategory.DIAGNOSTIC
    assert last_seen.original_device_class is SensorDeviceClass.TIMESTAMP
    sims = entity_registry.async_get("sensor.pixel_7_sim_cards")
    assert sims is not None
    assert sims.entity_category is EntityCategory.DIAGNOSTIC
    assert not [
        entry for entry in entity_registry.entities.values() if "battery" in entry.entity_id
    ]


@pytest.mark.parametrize(
    ("credits", "expected"),
    [(100, "100"), ("12.5", "12.5"), (-3, "-3"), (None, "unlimited")],
)
async def test_credits(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    credits: Any,
    expected: str,
) -> None:
    """Credits read as a number, also sent as a string; null reads "unlimited"."""
    simulator.credits = credits
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.sms_gateway_credits").state == expected


@pytest.mark.usefixtures("init_integration")
async def test_credits_follow_the_account(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Credits follow the balance, a balance turning unlimited, and a reply without credits."""
    simulator.credits = 7
    await poll(hass)
    assert hass.states.get("sensor.sms_gateway_credits").state == "7"

    simulator.credits = None
    await poll(hass)
    assert hass.states.get("sensor.sms_gateway_credits").state == "unlimited"

    # A server that leaves the field out: unknown, not an error.
    with patch.dict(SCRIPTS, {"send.php": lambda state, request: {}}):
        await poll(hass)
    assert hass.states.get("sensor.sms_gateway_credits").state == STATE_UNKNOWN
    assert hass.states.get("sensor.office_phone_sim_cards").state == "2"


@pytest.mark.usefixtures("init_integration")
async def test_phone_sensors_follow_the_phone(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """SIM cards and last seen follow the gateway; a phone it no longer lists is unavailable."""
    simulator.phones[1].sims = {1: "SIM #2 [Orange]"}
    simulator.phones[1].last_seen = None
    await poll(hass)
    sims = hass.states.get("sensor.office_phone_sim_cards")
    assert sims.state == "1"
    assert sims.attributes["sims"] == ["SIM #2 [Orange]"]
    assert hass.states.get("sensor.office_phone_last_seen").state == STATE_UNKNOWN

    simulator.remove_phone(2)
    await poll(hass)
    assert hass.states.get("sensor.pixel_7_sim_cards").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.pixel_7_last_seen").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.office_phone_sim_cards").state == "1"


async def test_battery(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A provider reporting batteries gets a battery sensor for each phone that reports one.

    The RBSoft gateway has no battery level, so the client is made to report one.
    """
    phones = SmsGatewayClient.phones

    async def phones_with_battery(client: SmsGatewayClient) -> list[Phone]:
        return [
            replace(phone, battery=80) if phone.id == "1" else phone
            for phone in await phones(client)
        ]

    with (
        patch.object(
            SmsGatewayClient,
            "capabilities",
            SmsGatewayClient.capabilities | {Capability.BATTERY},
        ),
        patch.object(SmsGatewayClient, "phones", phones_with_battery),
    ):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()

    battery = hass.states.get("sensor.office_phone_battery")
    assert battery.state == "80"
    assert battery.attributes["unit_of_measurement"] == "%"
    assert battery.attributes["device_class"] == "battery"
    assert battery.attributes["state_class"] == "measurement"
    assert hass.states.get("sensor.pixel_7_battery") is None


async def test_without_capabilities(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A provider without credits or last seen gets neither sensor, and is not asked for credits."""
    with patch.object(
        SmsGatewayClient,
        "capabilities",
        SmsGatewayClient.capabilities - {Capability.CREDITS, Capability.LAST_SEEN},
    ):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()

    assert set(sensor_states(hass)) == {
        "sensor.sms_gateway_outbox",
        "sensor.sms_gateway_messages_sent_today",
        *(
            f"sensor.{phone}_{sensor}"
            for phone in ("office_phone", "pixel_7")
            for sensor in (
                "sim_cards",
                "messages_sent_today",
                "messages_failed_today",
                "last_send_failure",
            )
        ),
    }
    assert all(request.path != "/services/send.php" for request in simulator.requests)
    # The account device has no entity now, but the phones still hang off it.
    devices = dr.async_get(hass)
    account = async_get_entry_device(
        devices, (DOMAIN, config_entry.entry_id), config_entry.entry_id
    )
    phone = async_get_entry_device(
        devices, (DOMAIN, f"{config_entry.entry_id}_1"), config_entry.entry_id
    )
    assert account is not None
    assert phone is not None
    assert phone.via_device_id == account.id
