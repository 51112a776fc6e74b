"""Small helpers shared by the integration tests."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.sms_bridge.const import DEFAULT_UPDATE_INTERVAL


async def poll(hass: HomeAssistant) -> None:
    """Let the next scheduled coordinator refresh run, background tasks included."""
    async_fire_time_changed(hass, dt_util.utcnow() + DEFAULT_UPDATE_INTERVAL)
    await hass.async_block_till_done(wait_background_tasks=True)
