"""Small helpers shared by the integration tests."""

from __future__ import annotations

from collections.abc import Generator
import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.sms_bridge.const import DEFAULT_UPDATE_INTERVAL
from tests.conftest import API_KEY, WEBHOOK_ID

LOGGER_NAME = "custom_components.sms_bridge"


async def poll(hass: HomeAssistant) -> None:
    """Let the next scheduled coordinator refresh run, background tasks included."""
    async_fire_time_changed(hass, dt_util.utcnow() + DEFAULT_UPDATE_INTERVAL)
    await hass.async_block_till_done(wait_background_tasks=True)


def received(message_id: int = 41, **changes: Any) -> dict[str, Any]:
    """A received message exactly as the gateway's `messages` webhook carries it."""
    return {
        "ID": message_id,
        "number": "+33612345678",
        "message": "Hello",
        "deviceID": 1,
        "simSlot": 0,
        "schedule": None,
        "userID": 1,
        "groupID": None,
        "status": "Received",
        "resultCode": None,
        "errorCode": None,
        "type": None,
        "attachments": None,
        "prioritize": None,
        "retries": None,
        "sentDate": "2025-05-01T10:00:00+0000",
        "deliveredDate": "2025-05-01T10:00:02+0000",
        "expiryDate": None,
    } | changes


def logged_tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the messages logged with a traceback at a level a user sees (info and above).

    Home Assistant itself logs the full exception of a setup retry at debug level.
    """
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.INFO
        and (record.exc_info is not None or "Traceback" in record.getMessage())
    ]


def check_logs(caplog: pytest.LogCaptureFixture, *secrets: str) -> Generator[None]:
    """Around a test: nothing logs a traceback, and our debug log shows no secret.

    Neither the API key nor the webhook id, nor any of ``secrets`` (such as message texts).
    """
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    yield
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        if record.name.startswith(LOGGER_NAME):
            for secret in (API_KEY, WEBHOOK_ID, *secrets):
                assert secret not in record.getMessage()
