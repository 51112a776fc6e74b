"""Backfill: received messages whose webhook never arrived still fire, once.

The simulator stores a received message without posting its webhook (`add_received`, or
`receive_sms` with no webhook URL); the backfill reads it back through read-messages.php.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from datetime import UTC, datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, Event, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.api import Capability
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.backfill import BACKFILL_CAP, BACKFILL_INTERVAL
from custom_components.sms_bridge.const import BACKFILL_MARGIN, EVENT_MESSAGE_RECEIVED
from tests.conftest import WEBHOOK_ID
from tests.helpers import LOGGER_NAME, check_logs
from tests.simulator import GatewaySimulator, php
from tests.simulator.state import webhook_view

READ = "/services/read-messages.php"
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Every test starts at NOW; the simulator's dates follow the frozen clock."""
    freezer.move_to(NOW)
    return freezer


@pytest.fixture(autouse=True)
def no_secrets_or_tracebacks(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Every test: nothing raised, and our logs show no API key, webhook id or message text."""
    yield from check_logs(caplog, "Missed")


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Bus events of incoming messages."""
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED)


def storage_key(entry: MockConfigEntry) -> str:
    """Key of the entry's inbound store."""
    return f"sms_bridge.{entry.entry_id}.inbound"


@pytest.fixture
async def webhooks(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, simulator: GatewaySimulator
) -> None:
    """Let the simulator post its webhooks to the entry's webhook."""
    assert await async_setup_component(hass, "webhook", {})
    client: TestClient = await hass_client_no_auth()
    simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))


@pytest.fixture
def read_until() -> datetime | None:
    """The backfill mark stored before setup (None: a new entry)."""
    return NOW - timedelta(minutes=30)


@pytest.fixture(autouse=True)
def stored(
    hass_storage: dict[str, Any], config_entry: MockConfigEntry, read_until: datetime | None
) -> None:
    """The inbound store as a previous run of Home Assistant left it."""
    data = {"messages": [], "ussd": [], "read_until": read_until and read_until.isoformat()}
    hass_storage[storage_key(config_entry)] = {"version": 1, "key": "", "data": data}


type SetUp = Callable[[], Awaitable[MockConfigEntry]]
type RunBackfill = Callable[[], Awaitable[None]]


@pytest.fixture
def set_up(hass: HomeAssistant, config_entry: MockConfigEntry) -> SetUp:
    """Set up the entry and let its first backfill finish."""
    config_entry.add_to_hass(hass)

    async def _set_up() -> MockConfigEntry:
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        return config_entry

    return _set_up


@pytest.fixture
def run_backfill(hass: HomeAssistant, frozen: FrozenDateTimeFactory) -> RunBackfill:
    """Let the periodic backfill run once."""

    async def _run() -> None:
        frozen.tick(BACKFILL_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    return _run


def reads(simulator: GatewaySimulator) -> list[dict[str, Any]]:
    """Parameters of the read-messages.php calls, without the key."""
    return [
        {name: value for name, value in request.params.items() if name != "key"}
        for request in simulator.requests
        if request.path == READ
    ]


def start(moment: datetime) -> str:
    """The startTimestamp a backfill sends for a mark at ``moment``."""
    return str(int((moment - BACKFILL_MARGIN).timestamp()))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings our integration logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(LOGGER_NAME) and record.levelno == logging.WARNING
    ]


@pytest.mark.parametrize("read_until", [None])
async def test_first_run_only_sets_the_mark(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    set_up: SetUp,
    hass_storage: dict[str, Any],
    events: list[Event],
) -> None:
    """A new entry does not fire the gateway's history: the first backfill marks "now"."""
    simulator.add_received("+33612345678", "Missed", 1, 0, NOW - timedelta(minutes=5))
    entry = await set_up()

    assert reads(simulator) == []
    assert events == []
    await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[storage_key(entry)]["data"]["read_until"] == NOW.isoformat()


async def test_missed_message_fires_like_a_webhook(
    simulator: GatewaySimulator, set_up: SetUp, events: list[Event]
) -> None:
    """A message received while Home Assistant was down fires at setup, with the webhook's data."""
    row = simulator.add_received("+33612345678", "Missed", 2, 0, NOW - timedelta(minutes=10))
    entry = await set_up()

    assert reads(simulator) == [
        {"status": "Received", "startTimestamp": start(NOW - timedelta(minutes=30))}
    ]
    assert [event.data for event in events] == [
        {
            "config_entry_id": entry.entry_id,
            "message_id": str(row["ID"]),
            "number": "+33612345678",
            "number_e164": "+33612345678",
            "contact": None,
            "text": "Missed",
            "phone_id": "2",
            "phone_name": "Pixel 7",
            "sim": 1,
            "sent_at": "2025-05-01T11:50:00+00:00",
            "received_at": NOW.isoformat(),
        }
    ]


async def test_periodic_backfill(
    simulator: GatewaySimulator, set_up: SetUp, run_backfill: RunBackfill, events: list[Event]
) -> None:
    """Every interval the backfill reads from its previous run minus the margin."""
    await set_up()
    assert events == []

    row = simulator.add_received("+33612345678", "Missed", 1, 1, None)
    await run_backfill()
    assert [event.data["message_id"] for event in events] == [str(row["ID"])]
    assert reads(simulator)[-1]["startTimestamp"] == start(NOW)

    await run_backfill()
    assert len(events) == 1
    assert reads(simulator)[-1]["startTimestamp"] == start(NOW + BACKFILL_INTERVAL)


async def test_mark_survives_a_restart(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    set_up: SetUp,
    run_backfill: RunBackfill,
    events: list[Event],
) -> None:
    """The mark and the ids are stored: after a restart the backfill goes on where it was."""
    entry = await set_up()
    await run_backfill()
    before = simulator.add_received("+33612345678", "Missed", 1, 0, None)
    await run_backfill()
    assert await hass.config_entries.async_unload(entry.entry_id)

    during = simulator.add_received("+33612345678", "Missed", 1, 0, None)
    await set_up()
    assert reads(simulator)[-1]["startTimestamp"] == start(NOW + 2 * BACKFILL_INTERVAL)
    assert [event.data["message_id"] for event in events] == [str(before["ID"]), str(during["ID"])]


async def test_webhook_then_backfill_fires_once(
    simulator: GatewaySimulator,
    webhooks: None,
    set_up: SetUp,
    run_backfill: RunBackfill,
    events: list[Event],
) -> None:
    """A message the webhook brought is read back by the backfill but not fired again."""
    await set_up()
    await simulator.receive_sms("+33612345678", "Hello")
    assert len(events) == 1

    await run_backfill()
    assert len(reads(simulator)) == 2
    assert len(events) == 1


async def test_backfill_then_webhook_fires_once(
    simulator: GatewaySimulator, webhooks: None, set_up: SetUp, events: list[Event]
) -> None:
    """A webhook arriving late for a message the backfill fired does not fire it again."""
    row = simulator.add_received("+33612345678", "Missed", 1, 0, NOW - timedelta(minutes=1))
    await set_up()
    assert len(events) == 1

    assert await simulator.post_webhook("messages", php.json_encode([webhook_view(row)])) == 200
    assert len(events) == 1


async def test_order_and_cap(
    simulator: GatewaySimulator, set_up: SetUp, run_backfill: RunBackfill, events: list[Event]
) -> None:
    """A long outage: the oldest messages fire first, at most the cap per run, each once."""
    count = BACKFILL_CAP + 20
    # Stored newest first, so the gateway's (id) order is the reverse of the sent order.
    rows = [
        simulator.add_received("+33612345678", f"n{n}", 1, 0, NOW - timedelta(seconds=n + 1))
        for n in range(count)
    ]
    oldest_first = [str(row["ID"]) for row in reversed(rows)]

    await set_up()
    assert [event.data["message_id"] for event in events] == oldest_first[:BACKFILL_CAP]

    await run_backfill()
    assert [event.data["message_id"] for event in events] == oldest_first
    # The second run went on from the last message fired, not from the time of the first run.
    assert reads(simulator)[-1]["startTimestamp"] == start(
        NOW - timedelta(seconds=count - BACKFILL_CAP + 1)
    )

    await run_backfill()
    assert len(events) == count


async def test_gateway_errors_are_logged_once_and_retried(
    simulator: GatewaySimulator,
    set_up: SetUp,
    run_backfill: RunBackfill,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing gateway: one warning, no exception, the entry stays loaded; then it catches up."""
    entry = await set_up()
    simulator.faults.html_error = True
    row = simulator.add_received("+33612345678", "Missed", 1, 0, None)

    await run_backfill()
    await run_backfill()
    assert len(reads(simulator)) == 3
    assert events == []
    assert entry.state is ConfigEntryState.LOADED
    assert len(warnings(caplog)) == 1
    assert "Retrying every 15 minutes" in warnings(caplog)[0]

    simulator.faults.reset()
    await run_backfill()
    assert [event.data["message_id"] for event in events] == [str(row["ID"])]
    assert "works again" in caplog.text


async def test_waits_for_home_assistant_to_start(
    hass: HomeAssistant, simulator: GatewaySimulator, set_up: SetUp, events: list[Event]
) -> None:
    """During startup nothing fires: automations only listen once Home Assistant has started."""
    simulator.add_received("+33612345678", "Missed", 1, 0, None)
    hass.set_state(CoreState.starting)
    await set_up()
    assert reads(simulator) == []

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1


async def test_no_backfill_without_read(
    simulator: GatewaySimulator, set_up: SetUp, run_backfill: RunBackfill, events: list[Event]
) -> None:
    """A provider that cannot read messages back is never asked to."""
    capabilities = SmsGatewayClient.capabilities - {Capability.READ}
    simulator.add_received("+33612345678", "Missed", 1, 0, None)
    with patch.object(SmsGatewayClient, "capabilities", capabilities):
        await set_up()
        await run_backfill()
    assert reads(simulator) == []
    assert events == []
