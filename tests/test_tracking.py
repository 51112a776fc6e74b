"""Delivery tracking against the simulator: full progressions, failures, late reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sms_bridge.api import Capability, MessageStatus, Sender, SendRequest
from custom_components.sms_bridge.api.sms_gateway import SmsGatewayClient
from custom_components.sms_bridge.const import DOMAIN, EVENT_MESSAGE_STATUS
from custom_components.sms_bridge.tracking import (
    FIRST_POLL,
    MAX_QUERIES_PER_POLL,
    MAX_TRACK_AGE,
    MAX_TRACKED,
    DeliveryTracker,
)
from tests.conftest import API_KEY
from tests.simulator import GatewaySimulator


def _tracker(hass: HomeAssistant, simulator: GatewaySimulator) -> DeliveryTracker:
    client = SmsGatewayClient(async_get_clientsession(hass), simulator.url, API_KEY)
    return DeliveryTracker(hass, "entry", client)


async def _send(tracker: DeliveryTracker, *numbers: str) -> list[int]:
    messages = await tracker._gateway.send(
        SendRequest(recipients=numbers, text="hello", senders=(Sender("1", 0),))
    )
    tracker.track(messages)
    return [message.id for message in messages]


async def test_full_progression_fires_each_change_once(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Pending → Queued → Sent → Delivered: one event per change, then tracking stops."""
    tracker = _tracker(hass, simulator)
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    [message_id] = await _send(tracker, "+15550001")

    for _ in range(3):
        await simulator.advance()
        await tracker.async_poll()
    await tracker.async_poll()  # nothing new: no event
    tracker.async_stop()

    assert [(e.data["previous_status"], e.data["status"]) for e in events] == [
        ("pending", "queued"),
        ("queued", "sent"),
        ("sent", "delivered"),
    ]
    assert {e.data["message_id"] for e in events} == {message_id}
    assert events[0].data["config_entry_id"] == "entry"
    assert tracker.tracked_count == 0
    counters = tracker.counters("1")
    assert (counters.sent, counters.failed, counters.last_failure) == (1, 0, None)


async def test_failure_is_counted_with_its_reason(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """A number ending in 0000 fails at the simulator: counted as failed with the reason."""
    tracker = _tracker(hass, simulator)
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await _send(tracker, "+15550000", "+15550001")
    for _ in range(3):
        await simulator.advance()
        await tracker.async_poll()
    tracker.async_stop()

    final = {
        e.data["number"]: e.data for e in events if e.data["status"] in ("failed", "delivered")
    }
    assert final["+15550000"]["status"] == "failed"
    assert final["+15550000"]["failure_reason"] == "generic_failure"
    assert final["+15550001"]["status"] == "delivered"
    counters = tracker.counters("1")
    assert (counters.sent, counters.failed, counters.last_failure) == (1, 1, "generic_failure")


async def test_one_read_per_group(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Twenty messages of one send are read back with one request, not twenty."""
    tracker = _tracker(hass, simulator)
    await _send(tracker, *(f"+1555{n:07d}" for n in range(1, 21)))
    simulator.requests.clear()
    await simulator.advance()
    await tracker.async_poll()
    tracker.async_stop()
    assert [r.path for r in simulator.requests] == ["/services/read-messages.php"]


async def test_many_sends_are_all_read_in_turn(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """More sends than one poll reads: the next poll reads the others, none is starved."""
    tracker = _tracker(hass, simulator)
    sends = MAX_QUERIES_PER_POLL + 5
    for n in range(sends):
        await _send(tracker, f"+1555{n:07d}")
    simulator.requests.clear()

    await tracker.async_poll()
    first = {r.params["groupId"] for r in simulator.requests}
    simulator.requests.clear()
    await tracker.async_poll()
    second = {r.params["groupId"] for r in simulator.requests}
    tracker.async_stop()

    assert len(first) == len(second) == MAX_QUERIES_PER_POLL
    assert len(first | second) == sends


async def test_late_report_never_moves_backwards(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Delivered, then a late Sent for the same message: it stays Delivered, no event."""
    tracker = _tracker(hass, simulator)
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    [message_id] = await _send(tracker, "+15550001")
    await simulator.advance()  # Queued
    await tracker.async_poll()
    simulator.set_status(message_id, "Sent")
    await tracker.async_poll()
    simulator.set_status(message_id, "Queued")  # out of order
    await tracker.async_poll()
    tracker.async_stop()
    assert [e.data["status"] for e in events] == ["queued", "sent"]


async def test_polls_back_off_and_reset(
    hass: HomeAssistant, simulator: GatewaySimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Polls run on their own, ever further apart while nothing changes; they stop when final."""
    tracker = _tracker(hass, simulator)
    [message_id] = await _send(tracker, "+15550001")

    def reads() -> int:
        return sum(r.path.endswith("read-messages.php") for r in simulator.requests)

    delay = FIRST_POLL
    for expected in range(1, 4):
        freezer.tick(timedelta(seconds=delay))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert reads() == expected
        delay *= 2
    freezer.tick(timedelta(seconds=delay / 2))  # not due yet: the interval doubled
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert reads() == 3

    simulator.set_status(message_id, "Delivered")
    freezer.tick(timedelta(seconds=delay))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert reads() == 4
    assert tracker.tracked_count == 0
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert reads() == 4  # nothing left to follow


async def test_bounded_in_count_and_time(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """At most MAX_TRACKED messages are followed and stored, none longer than MAX_TRACK_AGE."""
    simulator.credits = None
    tracker = _tracker(hass, simulator)
    await _send(tracker, *(f"+1555{n:07d}" for n in range(1, MAX_TRACKED + 6)))
    assert tracker.tracked_count == MAX_TRACKED
    await tracker.async_flush()
    assert len(hass_storage["sms_bridge.entry.tracking"]["data"]["messages"]) == MAX_TRACKED
    freezer.tick(MAX_TRACK_AGE + timedelta(seconds=1))
    await tracker.async_poll()
    tracker.async_stop()
    assert tracker.tracked_count == 0


async def test_stored_messages_are_resumed(
    hass: HomeAssistant, simulator: GatewaySimulator, hass_storage: dict[str, Any]
) -> None:
    """What a previous run followed is polled on resume, except what it followed too long."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    sender = _tracker(hass, simulator)
    [fresh, stale] = await _send(sender, "+15550001", "+15550002")
    sender.async_stop()
    since = dt_util.utcnow()
    hass_storage["sms_bridge.entry.tracking"] = {
        "version": 1,
        "data": {
            "messages": [
                {"id": fresh, "status": "pending", "group_id": None, "since": since.isoformat()},
                {
                    "id": stale,
                    "status": "pending",
                    "group_id": None,
                    "since": (since - MAX_TRACK_AGE - timedelta(minutes=1)).isoformat(),
                },
            ]
        },
    }
    await simulator.advance()

    tracker = _tracker(hass, simulator)
    await tracker.async_load()
    assert tracker.tracked_count == 1
    tracker.async_resume(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    tracker.async_stop()
    assert [(e.data["message_id"], e.data["status"]) for e in events] == [(fresh, "queued")]


async def test_nothing_to_resume(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Without stored messages, resuming reads nothing."""
    tracker = _tracker(hass, simulator)
    await tracker.async_load()
    tracker.async_resume(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert simulator.requests == []


async def test_read_errors_keep_tracking(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A failed read changes nothing; the next poll picks the state up."""
    tracker = _tracker(hass, simulator)
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await _send(tracker, "+15550001")
    await simulator.advance()
    simulator.faults.http_500 = True
    await tracker.async_poll()
    assert events == []
    simulator.faults.reset()
    await tracker.async_poll()
    tracker.async_stop()
    assert [e.data["status"] for e in events] == ["queued"]
    assert tracker.tracked_count == 1


async def test_disabled_without_status_polling(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """A provider without STATUS_POLL is never polled."""
    client = SmsGatewayClient(async_get_clientsession(hass), simulator.url, API_KEY)
    client.capabilities = client.capabilities - {Capability.STATUS_POLL}  # type: ignore[misc]
    tracker = DeliveryTracker(hass, "entry", client)
    messages = await client.send(SendRequest(recipients=("+15550001",), text="x"))
    tracker.track(messages)
    assert tracker.tracked_count == 0
    assert messages[0].status is MessageStatus.PENDING


async def test_action_sends_are_tracked(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A message sent by the action is followed on its own until delivered."""
    events = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+15550001"], "message": "tracked"},
        blocking=True,
        return_response=True,
    )
    for _ in range(3):
        await simulator.advance()
        freezer.tick(timedelta(seconds=FIRST_POLL))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["status"] for e in events] == ["queued", "sent", "delivered"]
    assert events[-1].data["config_entry_id"] == init_integration.entry_id
