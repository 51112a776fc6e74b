"""Repair issues: titles that fit the repairs list, and the fix flow of a changed API key.

The wrong-signature repair of a provider that signs nothing (SmsGateway24) is checked too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from http import HTTPStatus
import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_PREVIOUS_API_KEY,
    CONF_PROVIDER,
    CONF_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
)
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.simulator import GatewaySimulator
from tests.simulator.smsgateway24 import (
    EMAIL as SG24_EMAIL,
    PASSWORD as SG24_PASSWORD,
    SmsGateway24Simulator,
)

STRINGS = json.loads(
    (
        Path(__file__).resolve().parents[1] / "custom_components" / "sms_bridge" / "strings.json"
    ).read_text()
)
# About what the repairs list shows on one line of a phone's screen.
MAX_TITLE = 30
NEW_KEY = "the-new-key-on-the-gateway"
FIX = "/api/repairs/issues/fix"
SG24_NEW_PASSWORD = "sg24-New-Pass"


@pytest.mark.parametrize("issue", sorted(STRINGS["issues"]))
def test_titles_are_short(issue: str) -> None:
    """A title shows in full: short, and without an entry title of unknown length."""
    title = STRINGS["issues"][issue]["title"]
    assert len(title) <= MAX_TITLE
    assert "{" not in title


@pytest.fixture
async def repairs(hass: HomeAssistant) -> None:
    """Run the repairs integration, which serves the fix flows."""
    assert await async_setup_component(hass, "repairs", {})


async def key_changed_on_gateway(hass: HomeAssistant, gateway: GatewaySimulator) -> str:
    """Change the key on the gateway, let its webhooks be rejected; return the issue id."""
    gateway.api_key = NEW_KEY
    for _ in range(3):
        await gateway.receive_sms("+33612345678", "lost")
    await hass.async_block_till_done()
    issue_id = (
        f"webhook_bad_signature_{next(iter(hass.config_entries.async_entries(DOMAIN))).entry_id}"
    )
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    return issue_id


async def post(client: Any, path: str, data: dict[str, Any]) -> dict[str, Any]:
    """POST to HA's HTTP API as the logged-in user; return the flow result."""
    response = await client.post(path, json=data)
    assert response.status == HTTPStatus.OK, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def test_fix_flow_saves_the_new_key(
    repairs: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The fix flow takes the gateway's new key, tests it, saves it; SMS come in again."""
    issue_id = await key_changed_on_gateway(hass, gateway)
    client = await hass_client()

    result = await post(client, FIX, {"handler": DOMAIN, "issue_id": issue_id})
    assert result["type"] == "form"
    assert result["step_id"] == "new_key"
    assert result["description_placeholders"] == {"entry_title": "SMS Gateway"}
    flow = f"{FIX}/{result['flow_id']}"

    result = await post(client, flow, {CONF_API_KEY: "not-the-key"})
    assert result["type"] == "form"
    assert result["errors"] == {"base": "invalid_auth"}
    assert init_integration.data[CONF_API_KEY] == API_KEY
    assert not hass.config_entries.flow.async_progress()

    events: list[Event] = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    result = await post(client, flow, {CONF_API_KEY: NEW_KEY})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert init_integration.data[CONF_API_KEY] == NEW_KEY
    assert init_integration.data[CONF_PREVIOUS_API_KEY] == API_KEY
    assert init_integration.state is ConfigEntryState.LOADED

    # The reload reads back the messages whose webhooks were rejected: none is lost.
    assert [event.data["text"] for event in events] == ["lost"] * 3
    await gateway.receive_sms("+33612345678", "back")
    await hass.async_block_till_done()
    assert [event.data["text"] for event in events] == ["lost"] * 3 + ["back"]


async def test_fix_flow_of_a_removed_entry(
    repairs: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An issue whose entry was removed meanwhile ends the flow with an explanation."""
    issue_id = await key_changed_on_gateway(hass, gateway)
    client = await hass_client()
    result = await post(client, FIX, {"handler": DOMAIN, "issue_id": issue_id})
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    result = await post(client, f"{FIX}/{result['flow_id']}", {CONF_API_KEY: NEW_KEY})
    assert result["type"] == "abort"
    assert result["reason"] == "entry_removed"


@pytest.fixture
async def sg24(hass: HomeAssistant) -> AsyncGenerator[SmsGateway24Simulator]:
    """Run an SmsGateway24 simulator."""
    simulator = SmsGateway24Simulator()
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def test_smsgateway24_refused_webhooks_offer_no_api_key_fix(
    repairs: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    sg24: SmsGateway24Simulator,
) -> None:
    """Three refused SmsGateway24 webhooks (naming no phone of the account): no API-key fix.

    SmsGateway24 signs nothing: the issue names the unknown phone and offers nothing to type.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SG24",
        data={
            CONF_PROVIDER: "smsgateway24",
            CONF_URL: sg24.url,
            "email": SG24_EMAIL,
            "password": SG24_PASSWORD,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    http = await hass_client_no_auth()
    forged = {"address": "+4915752982212", "body": "forged", "sms_id": 1, "device_id": 999999}
    for _ in range(3):
        response = await http.post(f"/api/webhook/{WEBHOOK_ID}", json=forged)
        assert response.status == HTTPStatus.UNAUTHORIZED
    await hass.async_block_till_done()

    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, f"webhook_bad_signature_{entry.entry_id}") is None
    issue = registry.async_get_issue(DOMAIN, f"webhook_unknown_phone_{entry.entry_id}")
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "entry_title": "SG24",
        "count": "3",
        "phones": "'999999'",
    }
