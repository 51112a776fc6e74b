"""The inbox: what the entry received and sent, by thread, kept across restarts and bounded.

Messages come in through the real webhook from the simulator and go out through the
send_message action; delivery states come from the tracker reading the simulator back.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
import hashlib
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge import inbox_store
from custom_components.sms_bridge.api import Message, MessageStatus
from custom_components.sms_bridge.const import (
    CONF_DEFAULT_PHONE,
    CONF_INBOX_MAX_MESSAGES,
    CONF_INBOX_RETENTION_DAYS,
    DOMAIN,
)
from custom_components.sms_bridge.inbox_card import CARD_FILE, CARD_URL
from custom_components.sms_bridge.inbox_store import Direction, InboxStore, thread_key
from tests.helpers import LOGGER_NAME
from tests.simulator import GatewaySimulator
from tests.test_contacts import add_contact
from tests.test_send_reliability import next_retry, outage

SENDER = "+33612345678"
SECRET = "the door code is 4321"


def inbox(entry: MockConfigEntry) -> InboxStore:
    store: InboxStore = entry.runtime_data.inbox
    return store


async def text(hass: HomeAssistant, gateway: GatewaySimulator, number: str, body: str) -> None:
    """An SMS reaches the simulator's phone 1 and Home Assistant's webhook."""
    await gateway.receive_sms(number, body, phone_id=1, sim_slot=0)
    await hass.async_block_till_done()


async def send(hass: HomeAssistant, number: str, body: str) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": [number], "message": body},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


def texts(entry: MockConfigEntry, number: str) -> list[tuple[str, str, str]]:
    """Return (direction, text, status) of a thread, oldest first."""
    messages, _ = inbox(entry).thread(number, limit=500)
    return [(m.direction.value, m.text, m.status) for m in reversed(messages)]


def files(folder: Path, pattern: str = "*") -> list[Path]:
    """Return the inbox files in ``folder``."""
    return sorted(folder.glob(pattern))


def journal_lines(path: Path) -> int:
    return len(path.read_bytes().splitlines())


def tear(path: Path) -> None:
    """Leave a journal line cut short, as a crash in the middle of a write does."""
    with path.open("ab") as file:
        file.write(b'{"op": "add", "mess')


def snapshot_size(path: Path) -> int:
    return len(json.loads(path.read_text())["data"]["messages"])


@pytest.fixture
def no_text_in_logs(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Around a test: texts reach our log at debug level only."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    yield
    records = caplog.get_records("call")
    for record in records:
        if record.levelno > logging.DEBUG:
            assert SECRET not in record.getMessage(), record.getMessage()
    assert any(SECRET in record.getMessage() for record in records)  # at debug level


@pytest.mark.usefixtures("no_text_in_logs")
async def test_received_and_sent_messages_make_a_thread(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """An SMS in and the answer out land in one thread, the answer followed to delivered."""
    await text(hass, gateway, "+33 6 12 34 56 78", SECRET)
    await send(hass, SENDER, "Got it")

    assert texts(integration, SENDER) == [
        ("incoming", SECRET, "received"),
        ("outgoing", "Got it", "pending"),
    ]
    [summary] = inbox(integration).threads()
    assert (summary.number, summary.unread, summary.count) == (SENDER, 1, 2)
    assert summary.last.text == "Got it"
    incoming = inbox(integration).thread(SENDER, limit=500)[0][-1]
    assert (incoming.phone_id, incoming.sim, incoming.read) == ("1", 1, False)

    tracker = integration.runtime_data.tracker
    for _ in range(3):
        await gateway.advance()
        await tracker.async_poll()
    assert texts(integration, SENDER)[-1] == ("outgoing", "Got it", "delivered")
    tracker.async_stop()


async def test_a_message_fires_once_and_is_kept_once(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """The gateway posting the same message twice adds it to the inbox once."""
    row = gateway.add_received(SENDER, "twice", 1, 0, None)
    await gateway.notify("messages", [row])
    await gateway.notify("messages", [row])
    await hass.async_block_till_done()
    assert texts(integration, SENDER) == [("incoming", "twice", "received")]


async def test_a_kept_send_is_queued_then_sent(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """A send the gateway could not take shows as queued, then as the message the retry sent."""
    restart = await outage(simulator)
    response = await send(hass, "+15550123", "while down")
    assert response["queued"]
    assert texts(integration, "+15550123") == [("outgoing", "while down", "queued")]
    [queued] = inbox(integration).thread("+15550123")[0]
    assert queued.phone_id == "1"  # the entry's default phone

    await restart()
    await next_retry(hass, 30)
    [sent] = inbox(integration).thread("+15550123")[0]
    assert (sent.id, sent.status, sent.queued_id) == (queued.id, "pending", None)
    assert sent.message_id is not None


async def test_a_send_dropped_from_the_outbox_failed(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A kept send that expires shows as failed."""
    await outage(simulator)
    await send(hass, "+15550123", "never sent")
    freezer.tick(timedelta(hours=2))
    await next_retry(hass, 30)
    assert texts(integration, "+15550123") == [("outgoing", "never sent", "failed")]


async def test_a_contact_list_send_is_kept(
    hass: HomeAssistant, simulator: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """A send to a contacts list lands in the thread of each member the gateway sent to."""
    members = {row["number"] for row in simulator.contacts.values()}
    await hass.services.async_call(
        DOMAIN, "send_to_contact_list", {"list_id": 1, "message": "dinner at 8"}, blocking=True
    )
    assert {summary.number for summary in inbox(integration).threads()} == members


async def test_threads_are_keyed_in_e164(hass: HomeAssistant) -> None:
    """A national number is read in Home Assistant's country; a sender name stays as it is."""
    hass.config.country = "GB"
    assert thread_key("07700 900123", "GB") == "+447700900123"
    assert thread_key("+44 7700 900123", None) == "+447700900123"
    assert thread_key("MyBank", "GB") == "MyBank"
    assert thread_key("12345", None) == "12345"


async def test_kept_across_a_restart(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """Reloading the entry keeps the threads, what was read, and the delivery states."""
    await text(hass, gateway, SENDER, "first")
    await text(hass, gateway, SENDER, "second")
    inbox(integration).mark_read(SENDER)
    await text(hass, gateway, SENDER, "third")
    await send(hass, SENDER, "answer")

    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()
    assert texts(integration, SENDER) == [
        ("incoming", "first", "received"),
        ("incoming", "second", "received"),
        ("incoming", "third", "received"),
        ("outgoing", "answer", "pending"),
    ]
    assert inbox(integration).unread == {SENDER: 1}
    integration.runtime_data.tracker.async_stop()


async def test_nothing_acknowledged_is_lost_in_a_crash(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry, inbox_files: Path
) -> None:
    """Once the webhook answered, its message is on disk: a new store, without the old one
    closing (a crash), reads it; a line torn by the crash is skipped."""
    await text(hass, gateway, SENDER, "before the crash")
    [journal] = files(inbox_files, "*.journal")
    tear(journal)
    again = InboxStore(hass, integration.entry_id, retention=timedelta(days=90), max_messages=10)
    await again.async_load()
    assert [m.text for m in again.thread(SENDER)[0]] == ["before the crash"]
    await again.async_close()


async def test_one_message_does_not_rewrite_the_store(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    integration: MockConfigEntry,
    inbox_files: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each message appends a line to the journal; the snapshot is written again only once the
    journal is long, and then the journal starts over."""
    monkeypatch.setattr(inbox_store, "JOURNAL_COMPACT", 5)
    for n in range(4):
        await text(hass, gateway, SENDER, f"message {n}")
    [journal] = files(inbox_files, "*.journal")
    assert journal_lines(journal) == 4
    assert not files(inbox_files, "*.inbox")

    await text(hass, gateway, SENDER, "message 4")
    await inbox(integration).async_flush()
    [snapshot] = files(inbox_files, "*.inbox")
    assert snapshot_size(snapshot) == 5
    assert files(inbox_files, "*.journal") == []
    await text(hass, gateway, SENDER, "message 5")
    assert journal_lines(journal) == 1


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_INBOX_MAX_MESSAGES: 3}])
async def test_the_oldest_go_beyond_the_cap(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """Past the entry's cap the oldest messages are dropped, whatever their thread."""
    await text(hass, gateway, "+15550001", "one")
    for body in ("two", "three", "four"):
        await text(hass, gateway, SENDER, body)
    assert [summary.number for summary in inbox(integration).threads()] == [SENDER]
    assert [m.text for m in inbox(integration).thread(SENDER)[0]] == ["four", "three", "two"]
    assert inbox(integration).unread == {SENDER: 3}


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1", CONF_INBOX_RETENTION_DAYS: 2}])
async def test_messages_past_retention_go(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A message older than the retention is deleted, and stays deleted after a restart."""
    await text(hass, gateway, SENDER, "old")
    freezer.tick(timedelta(days=1))
    await text(hass, gateway, SENDER, "newer")
    freezer.tick(timedelta(days=1, hours=1))
    await next_retry(hass, 3600)  # the hourly clean-up
    assert [m.text for m in inbox(integration).thread(SENDER)[0]] == ["newer"]

    assert await hass.config_entries.async_reload(integration.entry_id)
    assert [m.text for m in inbox(integration).thread(SENDER)[0]] == ["newer"]


async def test_removing_the_entry_removes_the_inbox(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry, inbox_files: Path
) -> None:
    """The entry's inbox files go with the entry."""
    await text(hass, gateway, SENDER, "hello")
    assert files(inbox_files)
    assert await hass.config_entries.async_remove(integration.entry_id)
    await hass.async_block_till_done()
    assert files(inbox_files) == []


async def test_unread_sensor(
    hass: HomeAssistant, gateway: GatewaySimulator, integration: MockConfigEntry
) -> None:
    """The sensor counts the unread messages and names their threads, by contact name."""
    await add_contact(hass, integration, name="Mum", number="+15550303")
    await text(hass, gateway, "+15550303", "call me")
    await text(hass, gateway, "+15550303", "now")
    await text(hass, gateway, SENDER, "hi")
    state = hass.states.get("sensor.sms_gateway_unread_messages")
    assert state is not None
    assert state.state == "3"
    assert state.attributes["threads"] == [
        {"number": "+15550303", "name": "Mum", "unread": 2},
        {"number": SENDER, "name": None, "unread": 1},
    ]
    assert "call me" not in str(state.attributes)

    inbox(integration).mark_read("+15550303")
    state = hass.states.get("sensor.sms_gateway_unread_messages")
    assert state is not None
    assert state.state == "1"


async def test_the_card_is_served(
    hass: HomeAssistant, integration: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """The integration serves its card, the file committed with it."""
    client = await hass_client()
    response = await client.get(CARD_URL)
    assert response.status == 200
    assert await response.read() == CARD_FILE.read_bytes()
    assert "javascript" in response.headers["Content-Type"]


async def test_status_of_an_unknown_message_is_ignored(
    hass: HomeAssistant, integration: MockConfigEntry
) -> None:
    """A status for a message the inbox does not hold changes nothing."""
    store = inbox(integration)
    store.set_status("no-such-id", MessageStatus.DELIVERED)
    store.add_sent([Message("77", SENDER, "hello", MessageStatus.SENT)])
    store.add_sent([Message("77", SENDER, "hello", MessageStatus.SENT)])  # told twice
    store.set_status("77", MessageStatus.SENT)  # no change
    [message] = store.thread(SENDER)[0]
    assert (message.direction, message.status) == (Direction.OUTGOING, "sent")
    assert store.delete_thread(SENDER)
    assert not store.delete_thread(SENDER)
    assert store.thread(SENDER) == ([], False)


async def test_the_frontend_loads_the_card(hass: HomeAssistant) -> None:
    """Where the frontend runs, it is told to load the card, at a URL that changes with it."""
    hass.config.components.add("frontend")
    with patch("homeassistant.components.frontend.add_extra_js_url") as add_extra_js_url:
        assert await async_setup_component(hass, DOMAIN, {})
    [(_, url), _] = add_extra_js_url.call_args
    digest = hashlib.sha256(CARD_FILE.read_bytes()).hexdigest()[:12]
    assert url == f"{CARD_URL}?v={digest}"


async def test_no_text_in_diagnostics(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """The inbox's texts never reach diagnostics."""
    await text(hass, gateway, SENDER, SECRET)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, integration)
    assert SECRET not in json.dumps(diagnostics)
