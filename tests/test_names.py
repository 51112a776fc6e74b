"""The names a user sees: two accounts set up through the config flow, each on its own gateway.

Both simulated gateways have the same phones ("Office phone" and "Pixel 7"), as two accounts
of one household often do.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.sms_bridge.const import CONF_API_KEY, CONF_PROVIDER, CONF_URL, DOMAIN
from tests.conftest import API_KEY
from tests.helpers import poll
from tests.simulator import GatewaySimulator


@pytest.fixture
async def second_simulator() -> AsyncGenerator[GatewaySimulator]:
    """Run a second gateway, with the same phones as the first."""
    sim = GatewaySimulator(api_key=API_KEY)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def add_account(hass: HomeAssistant, url: str, name: str | None = None) -> ConfigEntry:
    """Go through the config flow as a user does, and wait for the entry to be set up."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: "sms_gateway"}
    )
    typed = {CONF_URL: url, CONF_API_KEY: API_KEY}
    if name is not None:
        typed[CONF_NAME] = name
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def device_names(hass: HomeAssistant, entry: ConfigEntry) -> set[str]:
    """Return the names of the entry's devices."""
    return {
        device.name or ""
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    }


def entity_ids(hass: HomeAssistant, entry: ConfigEntry, platform: str) -> set[str]:
    """Return the entity ids of one platform of the entry."""
    return {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if entity.domain == platform
    }


async def test_the_default_name_reads_well(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """An account on an IP address is "SMS Bridge": its entities do not carry the address."""
    entry = await add_account(hass, simulator.url)
    assert entry.title == "SMS Bridge"
    assert "sensor.sms_bridge_credits" in entity_ids(hass, entry, "sensor")
    state = hass.states.get("sensor.sms_bridge_credits")
    assert state is not None
    assert state.attributes["friendly_name"] == "SMS Bridge Credits"


async def test_phones_of_two_accounts_are_told_apart(
    hass: HomeAssistant, simulator: GatewaySimulator, second_simulator: GatewaySimulator
) -> None:
    """The second account's phones are named after it, and none of its entity ids gets "_2"."""
    home = await add_account(hass, simulator.url, "Home")
    office = await add_account(hass, second_simulator.url, "Office")

    assert device_names(hass, home) == {"Home", "Office phone", "Pixel 7"}
    assert device_names(hass, office) == {"Office", "Office phone (Office)", "Pixel 7 (Office)"}

    home_ids = entity_ids(hass, home, "binary_sensor") | entity_ids(hass, home, "sensor")
    office_ids = entity_ids(hass, office, "binary_sensor") | entity_ids(hass, office, "sensor")
    assert "sensor.home_credits" in home_ids
    assert "sensor.office_credits" in office_ids
    assert not [entity_id for entity_id in home_ids | office_ids if entity_id.endswith("_2")]
    pixel_online = {
        entity_id
        for entity_id in home_ids | office_ids
        if "pixel_7" in entity_id and "_online" in entity_id
    }
    assert pixel_online == {"binary_sensor.pixel_7_online", "binary_sensor.pixel_7_office_online"}
    office_state = hass.states.get("binary_sensor.pixel_7_office_online")
    assert office_state is not None
    assert office_state.attributes["friendly_name"] == "Pixel 7 (Office) Online"

    # Polls and a restart of both entries keep each name: none flips back to the other's.
    await poll(hass)
    for entry in (office, home):
        assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await poll(hass)
    assert device_names(hass, home) == {"Home", "Office phone", "Pixel 7"}
    assert device_names(hass, office) == {"Office", "Office phone (Office)", "Pixel 7 (Office)"}


async def test_a_phone_alone_keeps_its_name(
    hass: HomeAssistant, simulator: GatewaySimulator, second_simulator: GatewaySimulator
) -> None:
    """Only a name another account already has is qualified; a renamed phone follows."""
    await add_account(hass, simulator.url, "Home")
    second_simulator.phones[2].name = "Hall phone"
    office = await add_account(hass, second_simulator.url, "Office")
    assert device_names(hass, office) == {"Office", "Office phone (Office)", "Hall phone"}

    # Renamed on the gateway to a name the first account has: now it says which account.
    second_simulator.phones[2].name = "Pixel 7"
    await poll(hass)
    assert device_names(hass, office) == {"Office", "Office phone (Office)", "Pixel 7 (Office)"}
