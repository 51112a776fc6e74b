"""Lifecycle: unload, reload, removal, cloud reconnects and the plain-HTTP warning.

The Nabu Casa cloud component cannot be imported in every test environment (its requirements
are missing), so a stand-in module takes its place with the same API surface; its connection
changes travel on the dispatcher signal the real component uses.
"""

from __future__ import annotations

from collections.abc import Generator
from enum import Enum
import sys
from types import ModuleType
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant import components
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.backfill import BACKFILL_INTERVAL
from custom_components.sms_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from tests.conftest import WEBHOOK_ID
from tests.helpers import check_logs
from tests.simulator import GatewaySimulator, php
from tests.simulator.state import webhook_view

READ = "/services/read-messages.php"
CLOUD_SIGNAL = (
    "CLOUD_CONNECTION_STATE"  # homeassistant.components.cloud.SIGNAL_CLOUD_CONNECTION_STATE
)
CLOUDHOOK = "https://hooks.nabu.casa/abc"


class CloudConnectionState(Enum):
    """The cloud component's connection states."""

    CLOUD_CONNECTED = "cloud_connected"
    CLOUD_DISCONNECTED = "cloud_disconnected"


@pytest.fixture(autouse=True)
def no_secrets_or_tracebacks(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Every test: nothing raised, and our logs show neither the API key nor the webhook id."""
    yield from check_logs(caplog)


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Bus events of incoming messages."""
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED)


@pytest.fixture
async def gateway(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, simulator: GatewaySimulator
) -> GatewaySimulator:
    """The simulator, posting its webhooks to the entry's webhook."""
    assert await async_setup_component(hass, "webhook", {})
    client: TestClient = await hass_client_no_auth()
    simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))
    return simulator


@pytest.fixture
def cloud(hass: HomeAssistant) -> Generator[MagicMock]:
    """A loaded cloud component with an active subscription, connected."""
    module = MagicMock(spec=ModuleType("homeassistant.components.cloud"))
    module.CloudNotAvailable = type("CloudNotAvailable", (HomeAssistantError,), {})
    module.CloudConnectionState = CloudConnectionState
    module.async_active_subscription = MagicMock(return_value=True)
    module.async_get_or_create_cloudhook = AsyncMock(return_value=CLOUDHOOK)
    module.async_delete_cloudhook = AsyncMock()
    module.async_listen_connection_change = lambda hass, target: async_dispatcher_connect(
        hass, CLOUD_SIGNAL, target
    )
    hass.config.components.add("cloud")
    with (
        patch.dict(sys.modules, {"homeassistant.components.cloud": module}),
        patch.object(components, "cloud", module, create=True),
    ):
        yield module


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the entry and let its background tasks finish."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def reads(simulator: GatewaySimulator) -> int:
    """How many times the messages were read back."""
    return sum(request.path == READ for request in simulator.requests)


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """The entry's plain-HTTP webhook issue, if open."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"webhook_not_https_{entry.entry_id}")


# -- L1 unload ---------------------------------------------------------------------------------


async def test_l1_unload_stops_everything(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """L1: unloaded: no webhook handler, no backfill schedule, the ids stored."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await set_up(hass, config_entry)
    first = await gateway.receive_sms("+33612345678", "Hello")
    assert len(events) == 1

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{config_entry.entry_id}.inbound"]["data"]
    assert [item_id for item_id, _ in stored["messages"]["ids"]] == [str(first["ID"])]

    await gateway.receive_sms("+33612345678", "Hello")
    assert gateway.webhook_results == [200, 200]  # Home Assistant's answer to an unknown id
    freezer.tick(BACKFILL_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert reads(gateway) == 0
    assert len(events) == 1


async def test_l1_unload_cancels_a_running_backfill(
    hass: HomeAssistant,
    cloud: MagicMock,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """L1: a backfill waiting for the gateway is cancelled by the unload and fires nothing."""
    await set_up(hass, config_entry)
    simulator.faults.hang = True
    async_dispatcher_send(hass, CLOUD_SIGNAL, CloudConnectionState.CLOUD_CONNECTED)
    simulator.add_received("+33612345678", "Hello", 1, 0, None)

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    simulator.faults.reset()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []


# -- L2 reload ---------------------------------------------------------------------------------


async def test_l2_reload_twice(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """L2: two reloads leave one webhook handler and one backfill schedule."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await set_up(hass, config_entry)
    for _ in range(2):
        assert await hass.config_entries.async_reload(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.LOADED
    assert "already defined" not in caplog.text

    await gateway.receive_sms("+33612345678", "Hello")
    assert len(events) == 1
    read_count = reads(gateway)
    freezer.tick(BACKFILL_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert reads(gateway) == read_count + 1


# -- L3 removal --------------------------------------------------------------------------------


async def test_l3_remove_deletes_cloudhook_and_store(
    hass: HomeAssistant,
    cloud: MagicMock,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """L3: removing the entry deletes its cloudhook and its stored ids."""
    await set_up(hass, config_entry)
    await hass.config_entries.async_unload(config_entry.entry_id)
    assert f"{DOMAIN}.{config_entry.entry_id}.inbound" in hass_storage

    await hass.config_entries.async_remove(config_entry.entry_id)
    cloud.async_delete_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)
    assert f"{DOMAIN}.{config_entry.entry_id}.inbound" not in hass_storage


# -- L4 cloud reconnect ------------------------------------------------------------------------


async def test_l4_cloud_reconnect_backfills(
    hass: HomeAssistant,
    cloud: MagicMock,
    gateway: GatewaySimulator,
    config_entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """L4: a message missed while the cloud was down fires once on reconnect, not again later."""
    await set_up(hass, config_entry)
    webhook_url = gateway.webhook_url
    async_dispatcher_send(hass, CLOUD_SIGNAL, CloudConnectionState.CLOUD_DISCONNECTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    read_count = reads(gateway)

    gateway.webhook_url = None  # the relay is down: the gateway's webhook gets nowhere
    row = await gateway.receive_sms("+33612345678", "Hello")
    assert reads(gateway) == read_count  # disconnecting alone reads nothing
    assert events == []

    async_dispatcher_send(hass, CLOUD_SIGNAL, CloudConnectionState.CLOUD_CONNECTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["message_id"] for event in events] == [str(row["ID"])]

    gateway.webhook_url = webhook_url
    assert await gateway.post_webhook("messages", php.json_encode([webhook_view(row)])) == 200
    assert len(events) == 1
    await gateway.receive_sms("+33612345678", "Hello again")  # still registered
    assert len(events) == 2


async def test_l4_one_backfill_at_a_time(
    hass: HomeAssistant,
    cloud: MagicMock,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    events: list[Event],
) -> None:
    """L4: reconnects while a read hangs start no further reads."""
    await set_up(hass, config_entry)
    simulator.faults.hang = True
    simulator.add_received("+33612345678", "Hello", 1, 0, None)
    for _ in range(3):
        async_dispatcher_send(hass, CLOUD_SIGNAL, CloudConnectionState.CLOUD_CONNECTED)
        await hass.async_block_till_done()

    simulator.faults.reset()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert reads(simulator) == 1  # the first backfill at setup only set its mark
    assert len(events) == 1


# -- L5 plain-HTTP webhook URL -----------------------------------------------------------------


async def test_l5_http_url_raises_an_issue(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """L5: a plain-HTTP webhook URL opens a warning; an HTTPS one closes it."""
    await hass.config.async_update(external_url="http://ha.example.com:8123")
    await set_up(hass, config_entry)

    found = issue(hass, config_entry)
    assert found is not None
    assert (found.severity, found.is_fixable, found.translation_key) == (
        ir.IssueSeverity.WARNING,
        False,
        "webhook_not_https",
    )
    assert found.translation_placeholders == {
        "entry_title": "SMS Gateway",
        "base_url": "http://ha.example.com:8123",
    }

    await hass.config.async_update(external_url="https://ha.example.com")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue(hass, config_entry) is None


async def test_l5_issue_closed_on_unload(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """L5: the issue goes with the entry."""
    await hass.config.async_update(external_url="http://ha.example.com:8123")
    await set_up(hass, config_entry)
    assert issue(hass, config_entry) is not None

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert issue(hass, config_entry) is None


async def test_l5_no_issue_for_https(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """L5: an HTTPS URL raises no issue."""
    await hass.config.async_update(external_url="https://ha.example.com")
    await set_up(hass, config_entry)
    assert issue(hass, config_entry) is None


async def test_l5_no_issue_without_url(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """L5: without any URL of Home Assistant there is nothing to judge."""
    await set_up(hass, config_entry)
    assert issue(hass, config_entry) is not None  # the URL on the local IP address: plain HTTP

    hass.config.api = None  # what the http component sets when it knows its own address
    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue(hass, config_entry) is None


async def test_l5_cloudhook_once_connected(
    hass: HomeAssistant,
    cloud: MagicMock,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
) -> None:
    """L5: with the cloud not yet connected the local HTTP URL warns, until the cloudhook exists."""
    await hass.config.async_update(external_url="http://ha.example.com:8123")
    cloud.async_get_or_create_cloudhook.side_effect = cloud.CloudNotAvailable
    await set_up(hass, config_entry)
    assert issue(hass, config_entry) is not None

    cloud.async_get_or_create_cloudhook.side_effect = None
    async_dispatcher_send(hass, CLOUD_SIGNAL, CloudConnectionState.CLOUD_CONNECTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue(hass, config_entry) is None
