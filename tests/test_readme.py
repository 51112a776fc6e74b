"""The README's examples stay true: they parse, and the dashboard names the demo's entities."""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from tests.simulator import GatewaySimulator

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)
# The demo's entry, seeded by scripts/develop: its title names the account's entities.
DEMO_TITLE = re.findall(
    r'"title": "([^"]+)",\s*"source"', (ROOT / "scripts" / "develop").read_text()
)


def _entity_ids(card: dict[str, Any]) -> list[str]:
    ids = [row["entity"] for row in card.get("entities", [])]
    for child in card.get("cards", []):
        ids += _entity_ids(child)
    return ids


@pytest.fixture
def config_entry(config_entry: MockConfigEntry) -> MockConfigEntry:
    """The test entry, titled as the demo's."""
    assert len(DEMO_TITLE) == 1
    return MockConfigEntry(
        domain=config_entry.domain,
        title=DEMO_TITLE[0],
        unique_id=config_entry.unique_id,
        data=config_entry.data,
        options=config_entry.options,
    )


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=[b.split("\n")[0] for b in YAML_BLOCKS])
def test_yaml_examples_parse(block: str) -> None:
    """Each YAML example is valid YAML."""
    assert yaml.safe_load(block)


async def test_dashboard_example_names_real_entities(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The dashboard's entities exist in the demo (phone 'Office phone'), battery aside.

    The SMS Gateway reports no battery nor charging, as the example's comments say.
    """
    dashboards = [block for block in YAML_BLOCKS if "type: vertical-stack" in block]
    assert len(dashboards) == 1
    wanted = _entity_ids(yaml.safe_load(dashboards[0]))
    registry = er.async_get(hass)
    missing = [entity_id for entity_id in wanted if registry.async_get(entity_id) is None]
    assert missing == ["sensor.office_phone_battery", "binary_sensor.office_phone_charging"]
    assert len(wanted) > len(missing)


def _migration_example(label: str) -> list[dict[str, Any]]:
    [block] = [block for block in YAML_BLOCKS if block.startswith(f"# {label}")]
    automations: list[dict[str, Any]] = yaml.safe_load(block)
    return automations


async def test_migration_example_forwards_an_sms(
    hass: HomeAssistant, gateway: GatewaySimulator
) -> None:
    """The "after" automation of the core SMS section, loaded as it is, forwards a real SMS.

    The "before" one names what core `sms` fired and called; the "after" one runs here: an SMS
    arriving through the signed webhook reaches the gateway again, to the forward number.
    """
    before = _migration_example("Before: core sms")
    assert before[0]["triggers"][0]["event_type"] == "sms.incoming_sms"
    assert before[0]["actions"][0]["action"] == "notify.sms"

    after = _migration_example("After: SMS Bridge")
    assert await async_setup_component(hass, "automation", {"automation": after})
    await gateway.receive_sms("+33612345678", "Door open")
    await hass.async_block_till_done(wait_background_tasks=True)

    forwarded = [row for row in gateway.messages.values() if row["number"] == "+15550100"]
    assert [row["message"] for row in forwarded] == ["+33612345678: Door open"]
