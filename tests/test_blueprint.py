"""The "Reply to an incoming SMS keyword" blueprint, loaded and run by Home Assistant."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_bridge.const import EVENT_MESSAGE_RECEIVED
from tests.simulator import GatewaySimulator

BLUEPRINT = Path(__file__).parent.parent / "blueprints/automation/sms_bridge/reply_to_keyword.yaml"


@pytest.fixture
async def automation(
    hass: HomeAssistant, tmp_path: Path, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Install the blueprint and an automation using it; return the SMS Bridge entry."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/sms_bridge"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "sms_bridge/reply_to_keyword.yaml",
                    "input": {
                        "keyword": "Status",
                        "reply": "All good at home.",
                        "allowed_senders": ["+15550123", "+15550124"],
                    },
                }
            }
        },
    )
    await hass.async_block_till_done()
    return init_integration


def _incoming(entry: MockConfigEntry, number: str, text: str) -> dict[str, Any]:
    return {
        "config_entry_id": entry.entry_id,
        "message_id": 1,
        "number": number,
        "number_e164": number,
        "text": text,
        "phone_id": "2",
        "sim": 1,
    }


def _replies(simulator: GatewaySimulator) -> list[tuple[str, str, str]]:
    return [
        (r.params["number"], r.params["message"], r.params["devices"])
        for r in simulator.requests
        if r.path.endswith("send.php") and "number" in r.params
    ]


async def test_keyword_reply(
    hass: HomeAssistant, simulator: GatewaySimulator, automation: MockConfigEntry
) -> None:
    """The keyword matches whatever its case and surrounding spaces; the reply goes back."""
    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _incoming(automation, "+15550123", "  sTaTuS "))
    await hass.async_block_till_done()
    assert _replies(simulator) == [("+15550123", "All good at home.", "2")]


@pytest.mark.parametrize(
    ("number", "text"),
    [("+15550123", "status please"), ("+15550999", "status")],
    ids=["other text", "sender not allowed"],
)
async def test_no_reply(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    automation: MockConfigEntry,
    number: str,
    text: str,
) -> None:
    """Other texts, and senders outside the allowed list, get no answer."""
    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _incoming(automation, number, text))
    await hass.async_block_till_done()
    assert _replies(simulator) == []
