"""Incoming messages: event data, duplicates, order and unknown phones.

A late "Sent" after "Delivered" is about delivery tracking and is tested there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import logging
from typing import Any
from unittest.mock import ANY

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.api import InboundBatch, Message, MessageStatus
from custom_components.sms_bridge.const import (
    BACKFILL_MARGIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_USSD_RESPONSE,
)
from custom_components.sms_bridge.inbound import InboundDispatcher
from custom_components.sms_bridge.inbound_store import (
    MAX_SEEN,
    SAVE_DELAY,
    InboundStore,
    async_remove_inbound_store,
)
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.helpers import LOGGER_NAME, received
from tests.simulator import GatewaySimulator, php


def batch(*messages: dict[str, Any]) -> str:
    """The `messages` field of a webhook, encoded like PHP."""
    return php.json_encode(list(messages))


def message(message_id: int) -> Message:
    """A parsed incoming message."""
    return Message(id=str(message_id), number="+15550100", text="hi", status=MessageStatus.RECEIVED)


async def new_dispatcher(
    hass: HomeAssistant, entry: MockConfigEntry
) -> tuple[InboundStore, InboundDispatcher]:
    """Return a dispatcher of ``entry`` on the entry's storage, as after a restart."""
    store = InboundStore(hass, entry.entry_id, entry.title)
    await store.async_load()
    data = entry.runtime_data
    return store, InboundDispatcher(hass, entry, data.coordinator, store, data.tracker.apply)


def event_entity_id(hass: HomeAssistant, entry: MockConfigEntry, phone_id: str) -> str | None:
    """Entity id of a phone's event entity."""
    unique_id = f"{entry.entry_id}_{phone_id}_messages"
    return er.async_get(hass).async_get_entity_id("event", "sms_bridge", unique_id)


def storage_key(entry: MockConfigEntry) -> str:
    """Key of the entry's dedupe store."""
    return f"sms_bridge.{entry.entry_id}.inbound"


async def delayed_saves_done(hass: HomeAssistant) -> None:
    """Let the stores' delayed saves due by now run."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SAVE_DELAY))
    await hass.async_block_till_done()


@pytest.fixture(autouse=True)
def no_secrets_in_logs(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Every test: our logs never show the API key or the webhook id, nor message texts."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    yield
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        if record.name.startswith(LOGGER_NAME):
            for secret in (API_KEY, WEBHOOK_ID, "Hello"):
                assert secret not in record.getMessage()


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Bus events of incoming messages."""
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED)


@pytest.fixture
def ussd_events(hass: HomeAssistant) -> list[Event]:
    """Bus events of USSD answers."""
    return async_capture_events(hass, EVENT_USSD_RESPONSE)


# -- event data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"groupID": None, "simSlot": None, "sentDate": "1795313833000", "deliveredDate": None},
        {"sentDate": "yesterday", "deliveredDate": ""},
    ],
    ids=["nulls_and_epoch_ms", "unparseable_dates"],
)
async def test_p13_missing_and_unparseable_fields(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    events: list[Event],
    changes: dict[str, Any],
) -> None:
    """Null slot and unreadable dates give None in the event, not an error."""
    assert await gateway.post_webhook("messages", batch(received(5, **changes))) == 200
    assert [event.data for event in events] == [
        {
            "config_entry_id": init_integration.entry_id,
            "message_id": "5",
            "number": "+33612345678",
            "number_e164": "+33612345678",
            "contact": None,
            "text": "Hello",
            "phone_id": "1",
            "phone_name": "Office phone",
            "sim": None if "simSlot" in changes else 1,
            "sent_at": None,
            "received_at": None,
        }
    ]


async def test_p13_sim_slot_missing(gateway: GatewaySimulator, events: list[Event]) -> None:
    """A message without `simSlot` has no SIM."""
    item = received(5)
    del item["simSlot"]
    assert await gateway.post_webhook("messages", batch(item)) == 200
    assert events[0].data["sim"] is None


async def test_p14_long_text(
    hass: HomeAssistant, gateway: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """A 1000-character text reaches the event entity whole; its state stays a timestamp."""
    text = "Long message. " * 72
    await gateway.receive_sms("+33612345678", text, phone_id=2)
    await hass.async_block_till_done()

    state = hass.states.get(event_entity_id(hass, init_integration, "2"))
    assert state is not None
    assert state.attributes["text"] == text
    assert dt_util.parse_datetime(state.state) is not None


@pytest.mark.parametrize(
    ("number", "e164"),
    [
        ("MyBank", None),
        ("43105", None),
        ("0612345678", None),
        ("+33 6 12-34-56-78", "+33612345678"),
        ("0033612345678", "+33612345678"),
    ],
)
async def test_p15_sender_numbers(
    gateway: GatewaySimulator, events: list[Event], number: str, e164: str | None
) -> None:
    """The sender is kept as sent; the E.164 form only for international numbers."""
    await gateway.receive_sms(number, "Hello")
    assert [(event.data["number"], event.data["number_e164"]) for event in events] == [
        (number, e164)
    ]


# -- replays and duplicates ------------------------------------------------------------------


async def test_r1_same_request_twice(gateway: GatewaySimulator, events: list[Event]) -> None:
    """A replayed request is acknowledged and fires nothing."""
    value = batch(received(5))
    assert await gateway.post_webhook("messages", value) == 200
    assert await gateway.post_webhook("messages", value) == 200
    assert [event.data["message_id"] for event in events] == ["5"]


async def test_r2_replay_after_reload(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    events: list[Event],
) -> None:
    """The ids are written on unload and still known after a reload."""
    value = batch(received(5))
    assert await gateway.post_webhook("messages", value) == 200

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert hass_storage[storage_key(init_integration)]["data"] == {
        "messages": {"ids": [["5", ANY]], "horizon": None},
        "ussd": {"ids": [], "horizon": None},
        "read_until": ANY,
    }
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()

    assert await gateway.post_webhook("messages", value) == 200
    assert len(events) == 1


async def test_r2_new_dispatcher_on_same_storage(
    hass: HomeAssistant, init_integration: MockConfigEntry, events: list[Event]
) -> None:
    """A dispatcher built on the stored ids (as after a restart) drops what was seen."""
    await delayed_saves_done(hass)  # the entry's own dispatcher saved its backfill mark
    _, first = await new_dispatcher(hass, init_integration)
    await first.async_process(InboundBatch(messages=(message(5),)))
    await delayed_saves_done(hass)

    _, second = await new_dispatcher(hass, init_integration)
    await second.async_process(InboundBatch(messages=(message(5), message(6))))
    assert [event.data["message_id"] for event in events] == ["5", "6"]


async def test_ids_are_stored_before_they_fire(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """When an event fires, its id is in storage already: a crash right after cannot lose it."""
    stored_when_fired: list[list[int]] = []

    @callback
    def _on_fire(event: Event) -> None:
        data = hass_storage[storage_key(init_integration)]["data"]
        stored_when_fired.append([item_id for item_id, _ in data[kind(event)]["ids"]])

    def kind(event: Event) -> str:
        return "messages" if event.event_type == EVENT_MESSAGE_RECEIVED else "ussd"

    hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, _on_fire)
    hass.bus.async_listen(EVENT_USSD_RESPONSE, _on_fire)
    assert await gateway.post_webhook("messages", batch(received(5), received(6))) == 200
    value = php.json_encode({"ID": 7, "request": "*100#", "response": "Hi", "deviceID": 1})
    assert await gateway.post_webhook("ussdRequest", value) == 200
    assert stored_when_fired == [["5", "6"], ["5", "6"], ["7"]]


async def test_r3_batch_with_seen_id(gateway: GatewaySimulator, events: list[Event]) -> None:
    """Only the unseen messages of a batch fire."""
    assert await gateway.post_webhook("messages", batch(received(5))) == 200
    assert await gateway.post_webhook("messages", batch(*map(received, (4, 5, 6)))) == 200
    assert [event.data["message_id"] for event in events] == ["5", "4", "6"]


async def test_r4_identical_texts(gateway: GatewaySimulator, events: list[Event]) -> None:
    """The same text twice from the same sender is two messages."""
    first = await gateway.receive_sms("+33612345678", "Hello")
    second = await gateway.receive_sms("+33612345678", "Hello")
    assert [event.data["message_id"] for event in events] == [str(first["ID"]), str(second["ID"])]


async def test_r5_batch_out_of_order(gateway: GatewaySimulator, events: list[Event]) -> None:
    """A batch fires in (sent date, id) order; undated messages last."""
    value = batch(
        received(3, sentDate="2025-05-01T10:02:00+0000"),
        received(9, sentDate=None),
        received(2, sentDate="2025-05-01T12:01:00+0200"),  # 10:01 UTC
        received(1, sentDate="2025-05-01T10:01:00+0000"),
    )
    assert await gateway.post_webhook("messages", value) == 200
    assert [event.data["message_id"] for event in events] == ["1", "2", "3", "9"]


async def test_r7_bounded_store(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    events: list[Event],
) -> None:
    """Past MAX_SEEN ids the oldest is forgotten; the store stays that size."""
    store, dispatcher = await new_dispatcher(hass, init_integration)
    await dispatcher.async_process(
        InboundBatch(messages=tuple(message(i) for i in range(1, MAX_SEEN + 2)))
    )
    assert store.seen_count == MAX_SEEN

    stored = hass_storage[storage_key(init_integration)]["data"]["messages"]["ids"]
    assert len(stored) == MAX_SEEN
    assert stored[0][0] == "2"
    assert stored[-1][0] == str(MAX_SEEN + 1)

    restarted_store, restarted = await new_dispatcher(hass, init_integration)
    assert restarted_store.seen_count == MAX_SEEN
    await restarted.async_process(InboundBatch(messages=(message(MAX_SEEN + 1),)))
    assert len(events) == MAX_SEEN + 1


def signed(message_id: int, replay_key: str) -> Message:
    """A parsed incoming message of a provider that signs what ``replay_key`` stands for."""
    return replace(message(message_id), replay_key=replay_key)


async def test_a_seen_replay_key_fires_nothing_under_a_new_id(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same signed request under another id is a replay: dropped, also after a restart,
    the first one said at info level.

    The key is in storage when the event fires, as the ids are.
    """
    stored_when_fired: list[list[str]] = []

    @callback
    def _on_fire(_event: Event) -> None:
        data = hass_storage[storage_key(init_integration)]["data"]
        stored_when_fired.append([key for key, _ in data["replays"]["ids"]])

    hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, _on_fire)
    store, dispatcher = await new_dispatcher(hass, init_integration)
    await dispatcher.async_process(InboundBatch(messages=(signed(1, "k1"),)))
    await dispatcher.async_process(InboundBatch(messages=(signed(2, "k1"), signed(3, "k2"))))
    assert [event.data["message_id"] for event in events] == ["1", "3"]
    assert stored_when_fired == [["k1"], ["k1", "k2"]]
    assert not store.fired(signed(2, "k1"))  # a replay leaves no id behind

    _, restarted = await new_dispatcher(hass, init_integration)
    await restarted.async_process(InboundBatch(messages=(signed(4, "k2"), signed(2, "k3"))))
    assert [event.data["message_id"] for event in events] == ["1", "3", "2"]
    infos = [r for r in caplog.records if r.levelno == logging.INFO and "replay" in r.message]
    assert len(infos) == 2  # once per store: the restarted one says it again


async def test_replay_keys_are_bounded(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Past MAX_SEEN keys the oldest is forgotten, as ids are."""
    _, dispatcher = await new_dispatcher(hass, init_integration)
    keyed = tuple(signed(i, f"k{i}") for i in range(1, MAX_SEEN + 2))
    await dispatcher.async_process(InboundBatch(messages=keyed))
    stored = hass_storage[storage_key(init_integration)]["data"]["replays"]["ids"]
    assert len(stored) == MAX_SEEN
    assert stored[0][0] == "k2"


def dated(message_id: int, delivered: datetime) -> dict[str, Any]:
    """A received message as the webhook carries it, received by its phone at ``delivered``."""
    return received(message_id, sentDate=None, deliveredDate=php.iso8601(delivered))


async def fill_the_store(gateway: GatewaySimulator, start: datetime) -> str:
    """Post one more message than the store keeps, one second apart from ``start`` on.

    Return the first request, whose message is the one forgotten.
    """
    batches = [
        batch(*(dated(n, start + timedelta(seconds=n)) for n in range(first, first + 100)))
        for first in range(1, MAX_SEEN + 2, 100)
    ]
    for value in batches:
        assert await gateway.post_webhook("messages", value) == 200
    return batches[0]


async def test_replay_of_a_forgotten_id_fires_nothing(
    gateway: GatewaySimulator, events: list[Event]
) -> None:
    """A request replayed once its ids are forgotten fires nothing: they are too old."""
    first = await fill_the_store(gateway, dt_util.utcnow() - timedelta(days=1))
    assert len(events) == MAX_SEEN + 100  # the last batch made the store forget ids 1 to 100

    assert await gateway.post_webhook("messages", first) == 200
    assert len(events) == MAX_SEEN + 100


async def test_message_older_than_the_store_covers_is_dropped(
    gateway: GatewaySimulator, events: list[Event], caplog: pytest.LogCaptureFixture
) -> None:
    """A new id dated before what the store still covers is dropped, logged once at info."""
    now = dt_util.utcnow()
    await fill_the_store(gateway, now - timedelta(days=1))
    count = len(events)

    very_old = batch(dated(9001, datetime(2019, 3, 1, tzinfo=UTC)))
    assert await gateway.post_webhook("messages", very_old) == 200
    assert (
        await gateway.post_webhook("messages", batch(dated(9002, now - timedelta(days=2)))) == 200
    )
    assert len(events) == count
    infos = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(LOGGER_NAME) and record.levelno == logging.INFO
    ]
    assert len(infos) == 1
    assert "Dropped message '9001' of SMS Gateway, dated 2019-03-01" in infos[0]
    assert "Further ones are logged at debug level" in infos[0]

    # Anything after the last forgotten message still fires.
    assert await gateway.post_webhook("messages", batch(dated(9003, now))) == 200
    assert [event.data["message_id"] for event in events[count:]] == ["9003"]


@pytest.fixture
def set_up_on_storage(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> Callable[[], Awaitable[GatewaySimulator]]:
    """Return a setup of the entry on the storage in place; it returns the simulator, posting
    its webhooks to the entry."""

    async def _set_up() -> GatewaySimulator:
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        client = await hass_client_no_auth()
        simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))
        return simulator

    return _set_up


async def test_ids_of_the_first_store_version_are_kept(
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    set_up_on_storage: Callable[[], Awaitable[GatewaySimulator]],
    events: list[Event],
    ussd_events: list[Event],
) -> None:
    """After an upgrade, the ids stored without dates still drop their messages."""
    hass_storage[storage_key(config_entry)] = {
        "version": 1,
        "data": {"messages": [5], "ussd": [7], "read_until": None},
    }
    simulator = await set_up_on_storage()

    assert await simulator.post_webhook("messages", batch(received(5), received(6))) == 200
    value = php.json_encode({"ID": 7, "request": "*100#", "response": "Hi", "deviceID": 1})
    assert await simulator.post_webhook("ussdRequest", value) == 200
    assert [event.data["message_id"] for event in events] == ["6"]
    assert ussd_events == []


async def test_numeric_ids_of_the_second_store_version_are_kept(
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    set_up_on_storage: Callable[[], Awaitable[GatewaySimulator]],
    events: list[Event],
    ussd_events: list[Event],
) -> None:
    """Ids stored as numbers by the versions with numeric ids still drop their messages."""
    now = int(dt_util.utcnow().timestamp())
    hass_storage[storage_key(config_entry)] = {
        "version": 2,
        "data": {
            "messages": {"ids": [[5, now]], "horizon": None},
            "ussd": {"ids": [[7, now]], "horizon": None},
            "read_until": None,
        },
    }
    simulator = await set_up_on_storage()

    assert await simulator.post_webhook("messages", batch(received(5), received(6))) == 200
    value = php.json_encode({"ID": 7, "request": "*100#", "response": "Hi", "deviceID": 1})
    assert await simulator.post_webhook("ussdRequest", value) == 200
    assert [event.data["message_id"] for event in events] == ["6"]
    assert ussd_events == []


async def test_full_store_of_the_first_version_covers_from_the_backfill_on(
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    set_up_on_storage: Callable[[], Awaitable[GatewaySimulator]],
    events: list[Event],
) -> None:
    """A full store of the first version may have forgotten ids, of unknown dates.

    It covers what the next backfill reads (from its mark minus the margin), not before.
    """
    now = dt_util.utcnow()
    mark = now - timedelta(minutes=30)
    hass_storage[storage_key(config_entry)] = {
        "version": 1,
        "data": {
            "messages": list(range(1, MAX_SEEN + 1)),
            "ussd": [],
            "read_until": mark.isoformat(),
        },
    }
    simulator = await set_up_on_storage()
    events.clear()  # the backfill at setup

    before_mark = mark - BACKFILL_MARGIN - timedelta(minutes=1)
    after_mark = mark - BACKFILL_MARGIN + timedelta(minutes=1)
    value = batch(dated(9001, before_mark), dated(9002, after_mark))
    assert await simulator.post_webhook("messages", value) == 200
    assert [event.data["message_id"] for event in events] == ["9002"]


async def test_store_removed_with_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """The ids are written when the entry unloads, and deleted with the entry."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert storage_key(init_integration) in hass_storage

    await async_remove_inbound_store(hass, init_integration.entry_id)
    assert storage_key(init_integration) not in hass_storage


# -- phones and SIMs -------------------------------------------------------------------------


async def test_s1_unknown_phone(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    events: list[Event],
) -> None:
    """A phone added since the last poll: the event fires and the phone list is read again."""
    phone = gateway.add_phone("Kitchen phone")
    gateway.requests.clear()

    await gateway.receive_sms("+33612345678", "Hello", phone_id=phone.id)
    await hass.async_block_till_done()

    assert gateway.webhook_results == [200]
    assert [(e.data["phone_id"], e.data["phone_name"]) for e in events] == [(str(phone.id), None)]
    assert any(request.path == "/services/get-devices.php" for request in gateway.requests)
    assert event_entity_id(hass, init_integration, str(phone.id))


async def test_message_without_phone(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    events: list[Event],
) -> None:
    """A message naming no phone fires on the bus only, without asking for the phone list."""
    item = received(5)
    del item["deviceID"]
    gateway.requests.clear()

    assert await gateway.post_webhook("messages", batch(item)) == 200
    await hass.async_block_till_done()

    assert [(e.data["phone_id"], e.data["phone_name"]) for e in events] == [(None, None)]
    assert gateway.requests == []
    assert hass.states.get(event_entity_id(hass, init_integration, "1")).state == "unknown"


async def test_s2_unknown_sim_slot(gateway: GatewaySimulator, events: list[Event]) -> None:
    """A SIM slot the phone does not list is still reported (slot 5 is SIM 6)."""
    await gateway.receive_sms("+33612345678", "Hello", sim_slot=5)
    assert events[0].data["sim"] == 6


# -- USSD ------------------------------------------------------------------------------------


async def test_ussd_answer(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    ussd_events: list[Event],
) -> None:
    """The answer to a USSD request fires once with its data, even when posted again."""
    request = gateway.store_ussd("*150#", 2, 0)
    row = await gateway.answer_ussd(request["ID"], "Balance: 12.50 EUR")
    await gateway.answer_ussd(request["ID"], "Balance: 12.50 EUR")

    assert [event.data for event in ussd_events] == [
        {
            "config_entry_id": init_integration.entry_id,
            "ussd_id": str(request["ID"]),
            "request": "*150#",
            "response": "Balance: 12.50 EUR",
            "phone_id": "2",
            "sim": 1,
            "sent_at": php.parse_iso8601(row["sentDate"]).isoformat(),
            "responded_at": php.parse_iso8601(row["responseDate"]).isoformat(),
        }
    ]


async def test_s3_unsolicited_ussd_answer(
    gateway: GatewaySimulator, ussd_events: list[Event]
) -> None:
    """A USSD answer to no request we know of still fires."""
    value = php.json_encode(
        {"ID": 99, "request": "*100#", "response": "Hi", "deviceID": 1, "simSlot": None}
    )
    assert await gateway.post_webhook("ussdRequest", value) == 200
    assert [(e.data["ussd_id"], e.data["sim"], e.data["sent_at"]) for e in ussd_events] == [
        ("99", None, None)
    ]


async def test_ussd_and_message_ids_are_separate(
    gateway: GatewaySimulator, events: list[Event], ussd_events: list[Event]
) -> None:
    """Message 5 and USSD request 5 are different things."""
    assert await gateway.post_webhook("messages", batch(received(5))) == 200
    value = php.json_encode({"ID": 5, "request": "*100#", "response": "Hi", "deviceID": 1})
    assert await gateway.post_webhook("ussdRequest", value) == 200
    assert (len(events), len(ussd_events)) == (1, 1)


async def test_nothing_waits_for_the_gateway(
    hass: HomeAssistant, gateway: GatewaySimulator, events: list[Event]
) -> None:
    """A webhook is answered while the gateway's API hangs."""
    gateway.faults.hang = True
    phone = gateway.add_phone("Kitchen phone")  # makes the dispatcher ask for the phone list
    await gateway.receive_sms("+33612345678", "Hello", phone_id=phone.id)
    assert gateway.webhook_results == [200]
    assert len(events) == 1
    gateway.faults.reset()
    await hass.async_block_till_done()


async def test_sent_at_keeps_the_offset(gateway: GatewaySimulator, events: list[Event]) -> None:
    """Dates keep the offset the gateway sent."""
    sent = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    await gateway.receive_sms("+33612345678", "Hello", sent_date=sent)
    assert events[0].data["sent_at"] == "2025-05-01T10:00:00+00:00"
