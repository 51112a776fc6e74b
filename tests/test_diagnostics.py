"""Diagnostics: useful to debug, free of secrets."""

from __future__ import annotations

from datetime import UTC, datetime
import json

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_bridge.const import (
    CONF_ALLOWED_RECIPIENTS,
    CONF_MAX_PER_DAY,
    CONF_PREVIOUS_API_KEY,
    CONF_PREVIOUS_API_KEY_EXPIRES,
)
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.simulator import GatewaySimulator

OLD_KEY = "old-api-key-9876543210"


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics show settings, capabilities and the last snapshot, with secrets redacted."""
    for phone in simulator.phones.values():
        phone.last_seen = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    simulator.credits = "12.5"  # type: ignore[assignment]
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry,
        data={
            **config_entry.data,
            CONF_PREVIOUS_API_KEY: OLD_KEY,
            CONF_PREVIOUS_API_KEY_EXPIRES: "2099-01-01T00:00:00+00:00",
        },
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)

    assert diagnostics == snapshot
    text = json.dumps(diagnostics)
    for secret in (API_KEY, WEBHOOK_ID, OLD_KEY, simulator.url, "+33600000002", "+15550100"):
        assert secret not in text


@pytest.mark.parametrize(
    "entry_options", [{CONF_ALLOWED_RECIPIENTS: ["+15550177", "+15550178"], CONF_MAX_PER_DAY: 50}]
)
async def test_allowed_recipients_are_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, init_integration: MockConfigEntry
) -> None:
    """The allowed recipients are private numbers: only how many there are shows."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    options = diagnostics["entry"]["options"]
    assert options[CONF_ALLOWED_RECIPIENTS] == [REDACTED, REDACTED]
    assert options[CONF_MAX_PER_DAY] == 50
    assert "+1555017" not in json.dumps(diagnostics)
