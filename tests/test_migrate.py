"""Entries stored by older releases are migrated by Home Assistant's setup, before they load."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_bridge.config_flow import SmsBridgeConfigFlow
from custom_components.sms_bridge.const import (
    CONF_ALLOWED_RECIPIENTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_PROVIDER,
    CONF_URL,
    DOMAIN,
)
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.simulator import GatewaySimulator

# Options as release 0.2 stored them: numbers without separators, national ones as written.
OLD_OPTIONS = {
    CONF_DEFAULT_PHONE: "1",
    CONF_DEFAULT_RECIPIENTS: ["0612345678", "43105", "+15550100"],
    CONF_ALLOWED_RECIPIENTS: ["0612345678", "+33612345678", "43105", "+15550100"],
}


def old_entry(simulator: GatewaySimulator, version: int = 1) -> MockConfigEntry:
    """Return an entry as release 0.2 stored it (version 1.1), with two contacts."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="SMS Gateway",
        version=version,
        minor_version=1,
        data={
            CONF_PROVIDER: "sms_gateway",
            CONF_URL: simulator.url,
            "api_key": API_KEY,
            "webhook_id": WEBHOOK_ID,
        },
        options=OLD_OPTIONS,
        subentries_data=[
            ConfigSubentryData(
                data={"number": "+4407700900123"},  # its trunk 0 kept after the country code
                subentry_type="contact",
                title="Mum",
                unique_id=None,
            ),
            ConfigSubentryData(
                data={"number": "+33698765432"},
                subentry_type="contact",
                title="Dad",
                unique_id=None,
            ),
        ],
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and let Home Assistant set it up, migrating it first."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_numbers_move_to_e164_form(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Stored numbers are rewritten in E.164 form, national ones read in Home Assistant's
    country, once each; short codes stay; the entry is of the current version and loads."""
    hass.config.country = "FR"
    entry = old_entry(simulator)
    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (
        SmsBridgeConfigFlow.VERSION,
        SmsBridgeConfigFlow.MINOR_VERSION,
    )
    assert entry.options == {
        CONF_DEFAULT_PHONE: "1",
        CONF_DEFAULT_RECIPIENTS: ["+33612345678", "43105", "+15550100"],
        CONF_ALLOWED_RECIPIENTS: ["+33612345678", "43105", "+15550100"],
    }
    numbers = {sub.title: sub.data["number"] for sub in entry.subentries.values()}
    assert numbers == {"Mum": "+447700900123", "Dad": "+33698765432"}


async def test_without_a_country_national_numbers_stay(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Without a country, a national number has no E.164 form: it is kept as it was."""
    hass.config.country = None
    entry = old_entry(simulator)
    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == SmsBridgeConfigFlow.MINOR_VERSION
    assert entry.options[CONF_DEFAULT_RECIPIENTS] == ["0612345678", "43105", "+15550100"]
    assert entry.options[CONF_ALLOWED_RECIPIENTS] == [
        "0612345678",
        "+33612345678",
        "43105",
        "+15550100",
    ]


@pytest.mark.parametrize("version", [SmsBridgeConfigFlow.VERSION + 1])
async def test_an_entry_of_a_newer_release_is_not_loaded(
    hass: HomeAssistant, simulator: GatewaySimulator, version: int
) -> None:
    """An entry a newer release stored (after a downgrade) is left alone, not misread."""
    entry = old_entry(simulator, version=version)
    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.options == OLD_OPTIONS
