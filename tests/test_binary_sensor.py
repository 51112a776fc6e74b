"""Binary sensor platform: a phone is online while the gateway saw it recently.

The account's "Unlimited credits" is tested with the credits in test_sensor.py.
"""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sms_bridge.api import Capability
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.const import (
    CONF_UPDATE_INTERVAL,
    DEFAULT_UPDATE_INTERVAL,
    ONLINE_WINDOW,
)
from tests.helpers import poll
from tests.simulator import GatewaySimulator

OFFICE = "binary_sensor.office_phone_online"
PIXEL = "binary_sensor.pixel_7_online"
UNLIMITED = "binary_sensor.sms_gateway_unlimited_credits"


def get_devices_calls(simulator: GatewaySimulator) -> int:
    """Return how often the phones were read."""
    return sum(request.path == "/services/get-devices.php" for request in simulator.requests)


async def test_online(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A phone seen within the window is online, one seen before it is offline."""
    simulator.phones[1].last_seen = dt_util.utcnow() - ONLINE_WINDOW + timedelta(minutes=1)
    simulator.phones[2].last_seen = dt_util.utcnow() - ONLINE_WINDOW - timedelta(minutes=1)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    office = hass.states.get(OFFICE)
    assert office.state == STATE_ON
    assert office.attributes["device_class"] == "connectivity"
    assert office.attributes["friendly_name"] == "Office phone Online"
    assert hass.states.get(PIXEL).state == STATE_OFF
    entry = entity_registry.async_get(OFFICE)
    assert entry is not None
    assert entry.entity_category is None
    assert entry.unique_id == f"{config_entry.entry_id}_1_online"


@pytest.mark.usefixtures("init_integration")
async def test_off_without_last_seen(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A phone that never polled the gateway (lastSeenAt null) is offline, not unknown."""
    simulator.phones[2].last_seen = None
    await poll(hass)
    assert hass.states.get(PIXEL).state == STATE_OFF
    assert hass.states.get(OFFICE).state == STATE_ON


@pytest.mark.parametrize("entry_options", [{CONF_UPDATE_INTERVAL: 3600}])
async def test_goes_offline_when_the_window_passes(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without any new data, the phone turns offline once its last sighting is too old."""
    simulator.phones[1].last_seen = dt_util.utcnow().replace(microsecond=0)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(OFFICE).state == STATE_ON
    calls = get_devices_calls(simulator)

    freezer.tick(ONLINE_WINDOW - timedelta(seconds=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(OFFICE).state == STATE_ON

    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(OFFICE).state == STATE_OFF
    assert get_devices_calls(simulator) == calls


async def test_back_online_after_a_refresh(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new sighting turns the phone online again, and restarts the window."""
    simulator.phones[1].last_seen = dt_util.utcnow() - ONLINE_WINDOW * 2
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(OFFICE).state == STATE_OFF

    for _ in range(2):  # the second sighting replaces the first one's timer
        simulator.phones[1].last_seen = dt_util.utcnow().replace(microsecond=0)
        freezer.tick(DEFAULT_UPDATE_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get(OFFICE).state == STATE_ON
    seen = simulator.phones[1].last_seen

    freezer.move_to(seen + ONLINE_WINDOW - timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(OFFICE).state == STATE_ON
    freezer.move_to(seen + ONLINE_WINDOW)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(OFFICE).state == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_unavailable(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Unavailable while the gateway fails, and for a phone the gateway no longer lists."""
    simulator.faults.http_500 = True
    await poll(hass)
    assert hass.states.get(OFFICE).state == STATE_UNAVAILABLE

    simulator.faults.reset()
    simulator.remove_phone(2)
    await poll(hass)
    assert hass.states.get(OFFICE).state == STATE_ON
    assert hass.states.get(PIXEL).state == STATE_UNAVAILABLE


async def test_not_created_without_last_seen(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A provider that does not report last seen gets no online sensor."""
    with patch.object(
        SmsGatewayClient, "capabilities", SmsGatewayClient.capabilities - {Capability.LAST_SEEN}
    ):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert [state.entity_id for state in hass.states.async_all("binary_sensor")] == [UNLIMITED]


async def test_unlimited_credits_only_with_credits(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """A provider that reports no credits gets no "Unlimited credits" sensor."""
    with patch.object(
        SmsGatewayClient, "capabilities", SmsGatewayClient.capabilities - {Capability.CREDITS}
    ):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    assert hass.states.get(UNLIMITED) is None
    assert hass.states.get(OFFICE) is not None
