"""A gateway (or its proxy) answering 429 with Retry-After is waited for."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sms_bridge.api import GatewayRateLimitedError
from custom_components.sms_bridge.api.sms_gateway import SmsGatewayClient
from custom_components.sms_bridge.const import DEFAULT_UPDATE_INTERVAL
from tests.conftest import API_KEY
from tests.simulator import GatewaySimulator


async def test_client_reads_retry_after(simulator: GatewaySimulator) -> None:
    """The client reports the wait the gateway asked for."""
    simulator.faults.rate_limit = 120
    async with aiohttp.ClientSession() as session:
        client = SmsGatewayClient(session, simulator.url, API_KEY)
        with pytest.raises(GatewayRateLimitedError) as err:
            await client.phones()
    assert err.value.retry_after == 120


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _reads(simulator: GatewaySimulator) -> int:
    return sum(r.path.endswith("get-devices.php") for r in simulator.requests)


async def test_refresh_waits_for_retry_after(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The next refresh comes after Retry-After, then the normal interval resumes."""
    wait = DEFAULT_UPDATE_INTERVAL * 3
    simulator.faults.rate_limit = int(wait.total_seconds())
    await _tick(hass, freezer, DEFAULT_UPDATE_INTERVAL)
    assert _reads(simulator) == 2  # setup + the rate-limited poll
    assert hass.states.get("sensor.sms_gateway_credits").state == "unavailable"

    simulator.faults.reset()
    await _tick(hass, freezer, DEFAULT_UPDATE_INTERVAL)
    assert _reads(simulator) == 2  # still waiting
    await _tick(hass, freezer, wait - DEFAULT_UPDATE_INTERVAL)
    assert _reads(simulator) == 3
    assert hass.states.get("sensor.sms_gateway_credits").state == "100"
    await _tick(hass, freezer, DEFAULT_UPDATE_INTERVAL)
    assert _reads(simulator) == 4  # back to the configured interval
