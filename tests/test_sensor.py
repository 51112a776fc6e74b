"""Sensor platform: the account's credits; last seen, battery and SIM cards of each phone.

The outbox and the delivery figures are tested in test_delivery_entities.py.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity import Entity
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_bridge.api import Capability, Phone
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.compat import async_get_entry_device
from custom_components.sms_bridge.const import DOMAIN, ONLINE_WINDOW
from tests.helpers import poll
from tests.simulator import GatewaySimulator
from tests.simulator.services import SCRIPTS

LAST_SEEN = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
NOON = datetime(2025, 3, 1, 20, tzinfo=UTC)  # noon in the tests' time zone (US/Pacific)
CREDITS = "sensor.sms_gateway_credits"
UNLIMITED = "binary_sensor.sms_gateway_unlimited_credits"


@pytest.fixture(autouse=True)
def fixed_last_seen(socket_enabled: None, simulator: GatewaySimulator) -> None:
    """Give the phones a fixed last-seen time, so that states are stable."""
    for phone in simulator.phones.values():
        phone.last_seen = LAST_SEEN


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create the entities a user has to enable (last seen) enabled."""
    with patch.object(
        Entity, "entity_registry_enabled_default", new_callable=PropertyMock, return_value=True
    ):
        yield


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


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Credits, outbox and today's count for the account; last seen, SIMs, figures per phone."""
    freezer.move_to(NOON)  # the daily totals' last_reset is today's midnight
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

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
    ("credits", "expected", "unlimited"),
    [
        (100, "100", STATE_OFF),
        ("12.5", "12.5", STATE_OFF),
        (-3, "-3", STATE_OFF),
        # No balance to graph: the number is unknown, and the binary sensor says why.
        (None, STATE_UNKNOWN, STATE_ON),
    ],
)
async def test_credits(
    hass: HomeAssistant,
    *,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    credits: Any,
    expected: str,
    unlimited: str,
) -> None:
    """Credits are a graphable number, also when sent as a string; null means unlimited."""
    simulator.credits = credits
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(CREDITS)
    assert state.state == expected
    assert state.attributes["state_class"] == SensorStateClass.MEASUREMENT
    assert state.attributes["unit_of_measurement"] == "credits"
    assert hass.states.get(UNLIMITED).state == unlimited
    registered = entity_registry.async_get(UNLIMITED)
    assert registered is not None
    assert registered.entity_category is EntityCategory.DIAGNOSTIC
    assert hass.states.get(UNLIMITED).attributes["friendly_name"] == "SMS Gateway Unlimited credits"


@pytest.mark.usefixtures("init_integration")
async def test_credits_follow_the_account(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Credits follow the balance, a balance turning unlimited, and a reply without credits."""
    simulator.credits = 7
    await poll(hass)
    assert hass.states.get(CREDITS).state == "7"
    assert hass.states.get(UNLIMITED).state == STATE_OFF

    simulator.credits = None
    await poll(hass)
    assert hass.states.get(CREDITS).state == STATE_UNKNOWN
    assert hass.states.get(UNLIMITED).state == STATE_ON

    # A server that leaves the field out: unknown, not an error, and not "unlimited" either.
    with patch.dict(SCRIPTS, {"send.php": lambda state, request: {}}):
        await poll(hass)
    assert hass.states.get(CREDITS).state == STATE_UNKNOWN
    assert hass.states.get(UNLIMITED).state == STATE_UNKNOWN
    assert hass.states.get("sensor.office_phone_sim_cards").state == "2"

    simulator.credits = 3
    await poll(hass)
    assert hass.states.get(CREDITS).state == "3"
    assert hass.states.get(UNLIMITED).state == STATE_OFF


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_phone_sensors_follow_the_phone(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """SIM cards and last seen follow the gateway; a phone it no longer lists is unavailable."""
    simulator.phones[1].sims = {1: "SIM #2 [Orange]", 2: "SIM #3"}
    simulator.phones[1].last_seen = None
    await poll(hass)
    sims = hass.states.get("sensor.office_phone_sim_cards")
    assert sims.state == "2"
    assert sims.attributes["sims"] == [
        {"sim": 2, "number": None, "operator": "Orange"},
        {"sim": 3, "number": None, "operator": None},
    ]
    assert hass.states.get("sensor.office_phone_last_seen").state == STATE_UNKNOWN

    simulator.remove_phone(2)
    await poll(hass)
    assert hass.states.get("sensor.pixel_7_sim_cards").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.pixel_7_last_seen").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.office_phone_sim_cards").state == "2"


@pytest.mark.usefixtures("init_integration")
async def test_sims_attribute_is_structured(hass: HomeAssistant) -> None:
    """Each SIM is its number with the phone number or operator the gateway tells, not its label."""
    assert hass.states.get("sensor.office_phone_sim_cards").attributes["sims"] == [
        {"sim": 1, "number": None, "operator": "Free"},
        {"sim": 2, "number": "+33600000002", "operator": None},
    ]


@pytest.mark.usefixtures("init_integration")
async def test_last_seen_is_disabled_by_default(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    """Last seen is a diagnostic the user enables; "Online" tells whether the phone is there."""
    registered = entity_registry.async_get("sensor.office_phone_last_seen")
    assert registered is not None
    assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.office_phone_last_seen") is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_last_seen_writes_no_state_per_poll(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """A phone seen again at every poll adds no state; a phone back after a long absence does.

    The phone polls the gateway all the time, so its last-seen time moves at every update:
    writing it each time would put a logbook line and a recorder row per phone and poll.
    """
    entity_id = "sensor.office_phone_last_seen"
    changes = []
    hass.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda event: changes.append(event) if event.data["entity_id"] == entity_id else None,
    )
    seen = LAST_SEEN
    for _ in range(6):  # the phone seen 30 s later at each poll
        seen += timedelta(seconds=30)
        simulator.phones[1].last_seen = seen
        await poll(hass)
    assert changes == []
    assert hass.states.get(entity_id).state == LAST_SEEN.isoformat()

    # Never more than the online window behind: it moves once the gap reaches the window.
    seen = LAST_SEEN + ONLINE_WINDOW
    simulator.phones[1].last_seen = seen
    await poll(hass)
    assert [event.data["new_state"].state for event in changes] == [seen.isoformat()]

    # Back after being offline for hours: shown at once.
    back = seen + timedelta(hours=3)
    simulator.phones[1].last_seen = back
    await poll(hass)
    assert hass.states.get(entity_id).state == back.isoformat()
    assert len(changes) == 2

    simulator.phones[1].last_seen = None  # the gateway lost it: no time to show
    await poll(hass)
    assert hass.states.get(entity_id).state == STATE_UNKNOWN


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
        "sensor.sms_gateway_unread_messages",
        "sensor.sms_gateway_messages_sent_today",
        *(
            f"sensor.{phone}_{sensor}"
            for phone in ("office_phone", "pixel_7")
            for sensor in (
                "app_version",
                "sim_cards",
                "messages_sent_today",
                "messages_failed_today",
                "last_send_failure",
            )
        ),
        # The Pixel 7 has one SIM, whose name the gateway gives.
        "sensor.pixel_7_operator",
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
