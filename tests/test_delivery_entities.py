"""Delivery figures in the UI: per-phone daily counters, the outbox sensor, status events."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    EntityCategory,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_mock_restore_state_shutdown_restart,
    mock_restore_cache_with_extra_data,
)
from yarl import URL

from custom_components.sms_bridge.api import Capability
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.const import DOMAIN, EVENT_MESSAGE_STATUS
from custom_components.sms_bridge.outbox import RETRY_DELAYS
from custom_components.sms_bridge.sensor import DELIVERY_SENSORS, FAILURE_REASONS
from custom_components.sms_bridge.tracking import FIRST_POLL, MAX_POLL_INTERVAL, PhoneCounters
from tests.simulator import GatewaySimulator

SENT = "messages_sent"
FAILED = "messages_failed"
LAST_FAILURE = "last_failure"
NO_FAILURE = "none"
DELIVERY = "delivery"
INCOMING = "messages"  # the incoming messages entity keeps the key of 0.1


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Return a moment of May 2025 in Home Assistant's time zone."""
    return datetime(2025, 5, day, hour, minute, second, tzinfo=dt_util.get_default_time_zone())


@pytest.fixture(autouse=True)
def noon(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Start every test at noon, far from midnight."""
    freezer.move_to(local(1, 12))


def entity_id(hass: HomeAssistant, entry: MockConfigEntry, key: str, phone: str | None) -> str:
    """Return the entity id of a sensor or event entity from its unique id."""
    platform = "event" if key in (DELIVERY, INCOMING) else "sensor"
    unique_id = f"{entry.entry_id}_{phone}_{key}" if phone else f"{entry.entry_id}_{key}"
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None
    return found


def state(hass: HomeAssistant, entry: MockConfigEntry, key: str, phone: str | None = "1") -> State:
    """Return the state of one of the entry's entities."""
    found = hass.states.get(entity_id(hass, entry, key, phone))
    assert found is not None
    return found


def figures(hass: HomeAssistant, entry: MockConfigEntry, phone: str = "1") -> tuple[str, ...]:
    """Return the states of a phone's sent, failed and last failure sensors."""
    return tuple(state(hass, entry, key, phone).state for key in (SENT, FAILED, LAST_FAILURE))


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the entry."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def send(hass: HomeAssistant, *numbers: str, phone: str = "1") -> dict[str, Any]:
    """Send through the action; return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": list(numbers), "message": "delivery test", "phone": phone},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response


async def step(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: GatewaySimulator | None = None,
    seconds: float = FIRST_POLL,
) -> None:
    """Move the simulator's messages one step (if given), then let the tracker poll."""
    if simulator is not None:
        await simulator.advance()
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, init_integration: MockConfigEntry
) -> None:
    """Each phone gets daily counters and a last failure; the account gets the outbox."""
    for phone in ("1", "2"):
        assert figures(hass, init_integration, phone) == ("0", "0", NO_FAILURE)
        for key in (SENT, FAILED):
            attributes = state(hass, init_integration, key, phone).attributes
            assert attributes["state_class"] == SensorStateClass.TOTAL
            assert attributes["unit_of_measurement"] == "SMS"
            assert attributes["last_reset"] == local(1, 0).isoformat()
        last_failure = state(hass, init_integration, LAST_FAILURE, phone).attributes
        assert last_failure["device_class"] == SensorDeviceClass.ENUM
        assert last_failure["options"] == [NO_FAILURE, *FAILURE_REASONS, "unknown_reason", "other"]
        events = state(hass, init_integration, DELIVERY, phone).attributes["event_types"]
        assert events == ["message_status"]
        incoming = state(hass, init_integration, INCOMING, phone).attributes["event_types"]
        assert incoming == ["sms_received", "ussd_response"]
    outbox = state(hass, init_integration, "outbox", None)
    assert outbox.state == "0"
    assert outbox.attributes["state_class"] == SensorStateClass.MEASUREMENT

    def category(key: str, phone: str | None = "1") -> EntityCategory | None:
        entry = entity_registry.async_get(entity_id(hass, init_integration, key, phone))
        assert entry is not None
        return entry.entity_category

    assert category(SENT) is None
    assert category(FAILED) is None
    assert category(LAST_FAILURE) is EntityCategory.DIAGNOSTIC
    assert category("outbox", None) is EntityCategory.DIAGNOSTIC


async def test_full_progression(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pending → Queued → Sent → Delivered: counted once as sent, each change an event."""
    bus_events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    [message] = (await send(hass, "+15550001"))["messages"]

    seen = []
    for expected in (("0", "0"), ("1", "0"), ("1", "0")):
        await step(hass, freezer, simulator)
        assert figures(hass, init_integration)[:2] == expected
        event = state(hass, init_integration, DELIVERY)
        assert event.attributes["event_type"] == "message_status"
        seen.append((event.attributes["previous_status"], event.attributes["status"]))

    assert seen == [("pending", "queued"), ("queued", "sent"), ("sent", "delivered")]
    expected_attributes = dict(bus_events[-1].data)
    del expected_attributes["config_entry_id"]
    attributes = state(hass, init_integration, DELIVERY).attributes
    assert {key: attributes[key] for key in expected_attributes} == expected_attributes
    assert "config_entry_id" not in attributes
    assert attributes["message_id"] == message["message_id"]
    assert attributes["text"] == "delivery test"
    assert len(bus_events) == 3
    # Numbers and texts stay out of the recorder, as for received messages.
    event = state(hass, init_integration, DELIVERY)
    assert event.state_info is not None
    assert {"number", "text"} <= event.state_info["unrecorded_attributes"]
    # The other phone saw nothing.
    assert figures(hass, init_integration, "2") == ("0", "0", NO_FAILURE)
    assert state(hass, init_integration, DELIVERY, "2").state == STATE_UNKNOWN


async def test_one_state_write_per_entity_per_poll(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A poll changing many messages writes each entity's state once; the bus gets them all."""
    numbers = {"1": [f"+1555010{n:04d}" for n in range(1, 21)], "2": ["+15550201", "+15550202"]}
    sent = {}
    for phone, to in numbers.items():
        sent[phone] = (await send(hass, *to, phone=phone))["messages"]
    ours = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    }
    writes: Counter[str] = Counter()

    @callback
    def _state_changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] in ours:
            writes[event.data["entity_id"]] += 1

    hass.bus.async_listen(EVENT_STATE_CHANGED, _state_changed)
    bus_events = async_capture_events(hass, EVENT_MESSAGE_STATUS)

    for expected_sent in ("0", "20"):  # Pending → Queued, then Queued → Sent
        writes.clear()
        bus_events.clear()
        await step(hass, freezer, simulator)
        assert len(bus_events) == 22  # one per message, as documented
        assert max(writes.values()) == 1
        for phone, messages in sent.items():
            event = state(hass, init_integration, DELIVERY, phone)
            assert writes[event.entity_id] == 1
            assert event.attributes["status_changes"] == len(messages)
            assert event.attributes["message_id"] == messages[-1]["message_id"]
        assert figures(hass, init_integration)[0] == expected_sent
    assert figures(hass, init_integration, "2")[0] == "2"


async def test_failure_with_its_reason(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The simulator fails numbers ending in 0000: counted as failed, with the reason."""
    await send(hass, "+15550000", phone="2")
    for _ in range(2):
        await step(hass, freezer, simulator)

    assert figures(hass, init_integration, "2") == ("0", "1", "generic_failure")
    event = state(hass, init_integration, DELIVERY, "2")
    assert (event.attributes["status"], event.attributes["failure_reason"]) == (
        "failed",
        "generic_failure",
    )
    await step(hass, freezer, simulator, seconds=MAX_POLL_INTERVAL)  # final: nothing moves
    assert figures(hass, init_integration, "2") == ("0", "1", "generic_failure")
    assert figures(hass, init_integration, "1") == ("0", "0", NO_FAILURE)


@pytest.mark.parametrize(
    ("result_code", "expected"),
    [
        # The reason "unknown" must not read as the unknown state ("nothing failed").
        (-1, "unknown_reason"),
        # The sensor's states are a fixed list: a code the integration does not name is "other".
        (42, "other"),
    ],
)
async def test_failure_reasons_outside_the_known_codes(
    hass: HomeAssistant,
    *,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    result_code: int,
    expected: str,
) -> None:
    """A failure without a known result code still shows that something failed, and why."""
    [message] = (await send(hass, "+15550001"))["messages"]
    simulator.set_status(message["message_id"], "Failed", result_code, 0)
    await step(hass, freezer)
    assert figures(hass, init_integration) == ("0", "1", expected)


async def test_late_reports_change_nothing(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A late or repeated state moves no counter and fires no event."""
    bus_events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    [message] = (await send(hass, "+15550001"))["messages"]
    message_id = message["message_id"]
    simulator.set_status(message_id, "Sent")
    await step(hass, freezer)
    assert figures(hass, init_integration)[:2] == ("1", "0")
    fired = state(hass, init_integration, DELIVERY)

    for late in ("Queued", "Pending", "Sent"):
        simulator.set_status(message_id, late)
        await step(hass, freezer, seconds=MAX_POLL_INTERVAL)
    assert figures(hass, init_integration)[:2] == ("1", "0")
    assert state(hass, init_integration, DELIVERY).state == fired.state
    assert len(bus_events) == 1

    simulator.set_status(message_id, "Delivered")  # Sent → Delivered is not a second send
    await step(hass, freezer, seconds=MAX_POLL_INTERVAL)
    assert figures(hass, init_integration)[:2] == ("1", "0")
    assert state(hass, init_integration, DELIVERY).attributes["status"] == "delivered"
    assert len(bus_events) == 2


async def test_delivered_without_sent_counts_once(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A message first seen Delivered (its Sent was missed) is counted as sent once."""
    [message] = (await send(hass, "+15550001"))["messages"]
    simulator.set_status(message["message_id"], "Delivered")
    await step(hass, freezer)
    assert figures(hass, init_integration)[:2] == ("1", "0")


async def test_midnight_reset_without_sends(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """At local midnight the figures start again from nothing, with no send and no refresh."""
    freezer.move_to(local(1, 23, 57))
    await setup(hass, config_entry)
    await send(hass, "+15550001", "+15550000")
    for _ in range(3):  # until both are final: no poll is due any more
        await step(hass, freezer, simulator)
    assert figures(hass, config_entry) == ("1", "1", "generic_failure")
    assert state(hass, config_entry, SENT).attributes["last_reset"] == local(1, 0).isoformat()

    requests = len(simulator.requests)
    freezer.move_to(local(2, 0, 0, 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert figures(hass, config_entry) == ("0", "0", NO_FAILURE)
    assert len(simulator.requests) == requests  # no refresh or poll caused the change
    for key in (SENT, FAILED):  # statistics see the drop to 0 as a new day, not as a decrease
        assert state(hass, config_entry, key).attributes["last_reset"] == local(2, 0).isoformat()

    await send(hass, "+15550002")  # the new day counts from zero
    for _ in range(2):
        await step(hass, freezer, simulator)
    assert figures(hass, config_entry) == ("1", "0", NO_FAILURE)


async def _count_one_of_each(
    hass: HomeAssistant, simulator: GatewaySimulator, freezer: FrozenDateTimeFactory
) -> None:
    await send(hass, "+15550001", "+15550000")
    for _ in range(2):
        await step(hass, freezer, simulator)


async def test_restored_after_a_restart_on_the_same_day(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After a restart today's figures come back, and counting goes on from them."""
    await _count_one_of_each(hass, simulator, freezer)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await async_mock_restore_state_shutdown_restart(hass)
    freezer.tick(timedelta(hours=1))

    await setup(hass, init_integration)
    assert figures(hass, init_integration) == ("1", "1", "generic_failure")
    assert figures(hass, init_integration, "2") == ("0", "0", NO_FAILURE)

    await _count_one_of_each(hass, simulator, freezer)
    assert figures(hass, init_integration) == ("2", "2", "generic_failure")


async def test_not_restored_on_another_day(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Figures kept from yesterday are not today's."""
    await _count_one_of_each(hass, simulator, freezer)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await async_mock_restore_state_shutdown_restart(hass)
    freezer.move_to(local(2, 8))

    await setup(hass, init_integration)
    assert figures(hass, init_integration) == ("0", "0", NO_FAILURE)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({"day": "2025-05-01", "value": 3}, "3"),
        ({"day": "2025-05-01", "value": "3"}, "0"),
        ({"day": "2025-05-01", "value": -3}, "0"),
        ({"day": "2025-05-01", "value": True}, "0"),
        ({"day": "2025-05-01"}, "0"),
        ({"value": 3}, "0"),
        ({}, "0"),
    ],
)
async def test_restore_ignores_what_is_not_a_count_of_today(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    stored: dict[str, Any],
    expected: str,
) -> None:
    """Only a count of today is restored; anything else in the stored data is ignored."""
    config_entry.add_to_hass(hass)
    unique_id = f"{config_entry.entry_id}_1_{SENT}"
    entity = er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, unique_id, config_entry=config_entry
    )
    mock_restore_cache_with_extra_data(hass, [(State(entity.entity_id, "3"), stored)])
    await setup(hass, config_entry)
    assert hass.states.get(entity.entity_id).state == expected


def test_restore_keeps_what_was_counted_since_the_start() -> None:
    """Restored counts add to those counted before the entity came; a newer failure stays."""
    counters = PhoneCounters(day=date(2025, 5, 1), sent=1, failed=1, last_failure="no_service")
    for description in DELIVERY_SENSORS:
        description.restore_fn(
            counters, {SENT: 2, FAILED: 3, LAST_FAILURE: "radio_off"}[description.key]
        )
    assert (counters.sent, counters.failed, counters.last_failure) == (3, 4, "no_service")


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (NO_FAILURE, NO_FAILURE),  # "nothing failed" is not restored as a failure named "none"
        ("radio_off", "radio_off"),
        ("result_code_42", "other"),  # as stored by earlier versions
        (None, NO_FAILURE),
    ],
)
def test_restored_last_failure(stored: object, expected: str) -> None:
    """The restored last failure reads as one of the sensor's states."""
    [description] = [d for d in DELIVERY_SENSORS if d.key == LAST_FAILURE]
    counters = PhoneCounters(day=date(2025, 5, 1))
    description.restore_fn(counters, stored)
    assert description.value_fn(counters) == expected
    assert expected in (description.options or [])


async def test_renamed_entity_does_not_count_twice(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An entity re-added under an earlier entity id keeps its value, not adds the stored one."""
    await _count_one_of_each(hass, simulator, freezer)
    original = entity_id(hass, init_integration, SENT, "1")
    entity_registry.async_update_entity(original, new_entity_id="sensor.office_sent")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.office_sent").state == "1"
    # The state kept when it left its first entity id is there to restore: it must not be.
    entity_registry.async_update_entity("sensor.office_sent", new_entity_id=original)
    await hass.async_block_till_done()
    assert hass.states.get(original).state == "1"


async def test_outbox_across_an_outage(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The outbox sensor goes 1 → 0 across an outage, and stays available through it."""
    port = URL(simulator.url).port
    await simulator.stop()
    response = await send(hass, "+15550001")
    assert response["queued"]
    assert state(hass, init_integration, "outbox", None).state == "1"

    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state(hass, init_integration, "credits", None).state == STATE_UNAVAILABLE
    assert state(hass, init_integration, "outbox", None).state == "1"
    assert figures(hass, init_integration) == ("0", "0", NO_FAILURE)  # still ours to tell

    await simulator.start(port=port or 0)
    await step(hass, freezer, seconds=RETRY_DELAYS[0])
    assert state(hass, init_integration, "outbox", None).state == "0"
    assert [row["message"] for row in simulator.messages.values()] == ["delivery test"]

    # What the retry sent is followed like any other send.
    for _ in range(2):
        await step(hass, freezer, simulator)
    assert figures(hass, init_integration)[:2] == ("1", "0")


async def test_unavailable_when_the_phone_is_gone(
    hass: HomeAssistant, simulator: GatewaySimulator, init_integration: MockConfigEntry
) -> None:
    """A phone the gateway no longer lists has unavailable figures."""
    simulator.remove_phone(2)
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert figures(hass, init_integration, "2") == (STATE_UNAVAILABLE,) * 3
    assert figures(hass, init_integration, "1") == ("0", "0", NO_FAILURE)


async def test_without_status_polling(
    hass: HomeAssistant, simulator: GatewaySimulator, config_entry: MockConfigEntry
) -> None:
    """A provider that cannot read states back gets no figures and no status events."""
    with patch.object(
        SmsGatewayClient,
        "capabilities",
        SmsGatewayClient.capabilities - {Capability.STATUS_POLL},
    ):
        await setup(hass, config_entry)
    registry = er.async_get(hass)
    for key in (SENT, FAILED, LAST_FAILURE):
        unique_id = f"{config_entry.entry_id}_1_{key}"
        assert registry.async_get_entity_id("sensor", DOMAIN, unique_id) is None
    delivery = f"{config_entry.entry_id}_1_{DELIVERY}"
    assert registry.async_get_entity_id("event", DOMAIN, delivery) is None
    events = state(hass, config_entry, INCOMING).attributes["event_types"]
    assert events == ["sms_received", "ussd_response"]
    assert state(hass, config_entry, "outbox", None).state == "0"
