"""The "Reply to an incoming SMS keyword" blueprint, loaded and run by Home Assistant."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_bridge.compat import async_get_entry_device
from custom_components.sms_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from tests.simulator import GatewaySimulator

BLUEPRINT = Path(__file__).parent.parent / "blueprints/automation/sms_bridge/reply_to_keyword.yaml"


async def _install(hass: HomeAssistant, tmp_path: Path, **extra: str) -> None:
    """Install the blueprint and an automation using it, with ``extra`` inputs."""
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
                        **extra,
                    },
                }
            }
        },
    )
    await hass.async_block_till_done()


@pytest.fixture
async def automation(
    hass: HomeAssistant, tmp_path: Path, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Install the blueprint for every phone; return the SMS Bridge entry."""
    await _install(hass, tmp_path)
    return init_integration


def _incoming(
    entry: MockConfigEntry, number: str, text: str, phone_id: str = "2"
) -> dict[str, Any]:
    return {
        "config_entry_id": entry.entry_id,
        "message_id": 1,
        "number": number,
        "number_e164": number,
        "text": text,
        "phone_id": phone_id,
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


async def test_only_one_phone(
    hass: HomeAssistant,
    tmp_path: Path,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Limited to phone 1: the keyword on phone 2 gets no reply, on phone 1 a reply from it."""
    device = async_get_entry_device(
        dr.async_get(hass), (DOMAIN, f"{init_integration.entry_id}_1"), init_integration.entry_id
    )
    assert device is not None
    await _install(hass, tmp_path, only_phone=device.id)

    hass.bus.async_fire(
        EVENT_MESSAGE_RECEIVED, _incoming(init_integration, "+15550123", "status", phone_id="2")
    )
    await hass.async_block_till_done()
    assert _replies(simulator) == []

    hass.bus.async_fire(
        EVENT_MESSAGE_RECEIVED, _incoming(init_integration, "+15550123", "status", phone_id="1")
    )
    await hass.async_block_till_done()
    assert _replies(simulator) == [("+15550123", "All good at home.", "1")]


@pytest.mark.parametrize("own", [True, False], ids=["this gateway", "another gateway"])
async def test_only_one_gateway(
    hass: HomeAssistant,
    tmp_path: Path,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    own: bool,
) -> None:
    """Limited to one gateway: only the messages of that gateway's phones get a reply."""
    other = MockConfigEntry(domain=DOMAIN, title="Other gateway")
    other.add_to_hass(hass)
    await _install(
        hass, tmp_path, only_gateway=init_integration.entry_id if own else other.entry_id
    )

    hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, _incoming(init_integration, "+15550123", "status"))
    await hass.async_block_till_done()
    assert _replies(simulator) == ([("+15550123", "All good at home.", "2")] if own else [])
