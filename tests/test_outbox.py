"""The durable outbox against the simulator: outages, restarts, ambiguous timeouts, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)
from yarl import URL

from custom_components.sms_bridge.api import (
    Capability,
    GatewayConnectionError,
    GatewayResponseError,
    Message,
    Sender,
    SendRequest,
)
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.const import DOMAIN, EVENT_MESSAGE_EXPIRED
from custom_components.sms_bridge.outbox import PENDING, RETRY_DELAYS, UNKNOWN, Outbox, OutboxRecord
from tests.conftest import API_KEY
from tests.simulator import GatewaySimulator

REQUEST = SendRequest(recipients=("+15550001",), text="outbox test", senders=(Sender("1", 1),))
TTL = timedelta(hours=1)


class _NoReadClient(SmsGatewayClient):
    """A gateway that cannot read its messages back (another provider)."""

    capabilities = SmsGatewayClient.capabilities - {Capability.READ}


def _outbox(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sent: list[Message],
    timeout: float = 5.0,
    client_class: type[SmsGatewayClient] = SmsGatewayClient,
) -> Outbox:
    client = client_class(async_get_clientsession(hass), simulator.url, API_KEY, timeout=timeout)
    return Outbox(hass, "entry", client, TTL, lambda _record, messages: sent.extend(messages))


async def _stored_late(simulator: GatewaySimulator, count: int) -> None:
    """Wait until the gateway, answering after our timeout, has stored ``count`` messages."""
    for _ in range(100):
        if len(simulator.messages) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the gateway holds {len(simulator.messages)} messages, not {count}")


def _texts(simulator: GatewaySimulator) -> list[str]:
    return [row["message"] for row in simulator.messages.values()]


async def _outage(simulator: GatewaySimulator) -> Callable[[], object]:
    """Stop the simulator; return a coroutine function that starts it on the same port."""
    port = URL(simulator.url).port
    await simulator.stop()

    async def restore() -> None:
        await simulator.start(port=port or 0)

    return restore


async def test_sent_at_once_when_the_gateway_answers(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """The normal path returns the created messages and keeps nothing."""
    outbox = _outbox(hass, simulator, [])
    result = await outbox.async_send(REQUEST)
    assert isinstance(result, list)
    assert [m.text for m in result] == ["outbox test"]
    assert len(outbox) == 0


async def test_outage_is_kept_retried_and_sent_once(
    hass: HomeAssistant, simulator: GatewaySimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Connection refused → kept (pending), retried with backoff, sent once when back."""
    sent: list[Message] = []
    outbox = _outbox(hass, simulator, sent)
    restore = await _outage(simulator)

    record = await outbox.async_send(REQUEST)
    assert isinstance(record, OutboxRecord)
    assert record.state == PENDING
    assert len(outbox) == 1

    freezer.tick(timedelta(seconds=RETRY_DELAYS[0]))  # first retry: still down
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert record.attempts == 2
    assert len(outbox) == 1

    await restore()
    freezer.tick(timedelta(seconds=RETRY_DELAYS[0]))  # the delay grew: not due yet
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _texts(simulator) == []

    freezer.tick(timedelta(seconds=RETRY_DELAYS[1]))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _texts(simulator) == ["outbox test"]
    assert [m.number for m in sent] == ["+15550001"]
    assert len(outbox) == 0
    row = next(iter(simulator.messages.values()))
    assert (row["deviceID"], row["simSlot"]) == (1, 1)
    outbox.async_stop()


async def test_survives_a_restart(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A kept send is stored and resumed by a new outbox (Home Assistant restarted)."""
    first = _outbox(hass, simulator, [])
    restore = await _outage(simulator)
    await first.async_send(REQUEST)
    first.async_stop()
    await restore()

    sent: list[Message] = []
    second = _outbox(hass, simulator, sent)
    await second.async_load()
    assert len(second) == 1
    async_fire_time_changed(hass)  # the resume is due at once
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _texts(simulator) == ["outbox test"]
    assert len(sent) == 1
    assert len(second) == 0

    third = _outbox(hass, simulator, [])
    await third.async_load()
    assert len(third) == 0  # the store was emptied


@pytest.mark.parametrize(
    "text",
    ["outbox test", "{Hi|Hello}, code %random-4%"],
    ids=["plain", "rewritten by the gateway"],
)
async def test_timeout_after_sending_is_not_resent_when_found(
    hass: HomeAssistant, simulator: GatewaySimulator, text: str
) -> None:
    """The answer was lost but the gateway has the message: found, never sent twice.

    Also when the gateway stored another text than the one sent (spintax, random codes).
    """
    sent: list[Message] = []
    outbox = _outbox(hass, simulator, sent, timeout=0.2)
    simulator.faults.latency = 0.5  # the gateway stores the message, the answer comes too late
    record = await outbox.async_send(replace(REQUEST, text=text))
    assert isinstance(record, OutboxRecord)
    assert record.state == UNKNOWN
    await hass.async_block_till_done()
    simulator.faults.reset()
    await _stored_late(simulator, 1)

    await outbox.async_retry()
    assert len(simulator.messages) == 1
    assert [m.text for m in sent] == _texts(simulator)
    assert len(outbox) == 0
    outbox.async_stop()


async def test_timeout_without_effect_is_sent_once(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """The gateway never took the request: the search finds nothing, one send follows."""
    outbox = _outbox(hass, simulator, [], timeout=0.2)
    simulator.faults.hang = True
    record = await outbox.async_send(REQUEST)
    assert isinstance(record, OutboxRecord)
    assert record.state == UNKNOWN
    restore = await _outage(simulator)  # the hung request is dropped, never processed
    simulator.faults.reset()
    await restore()

    await outbox.async_retry()
    await outbox.async_retry()
    assert _texts(simulator) == ["outbox test"]
    assert len(outbox) == 0
    outbox.async_stop()


async def test_expired_send_fires_an_event_and_is_not_sent(
    hass: HomeAssistant, simulator: GatewaySimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Past its time to live a kept send is dropped with an event, never sent."""
    events = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    outbox = _outbox(hass, simulator, [])
    restore = await _outage(simulator)
    await outbox.async_send(REQUEST)
    await restore()

    freezer.tick(TTL + timedelta(seconds=1))
    await outbox.async_retry()
    await hass.async_block_till_done()
    assert _texts(simulator) == []
    assert len(outbox) == 0
    assert len(events) == 1
    assert events[0].data["reason"] == "expired"
    assert events[0].data["recipients"] == ["+15550001"]
    assert events[0].data["config_entry_id"] == "entry"
    outbox.async_stop()


async def test_refused_on_retry_is_dropped(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """A retry the gateway refuses (no credits left) is dropped with an event, not retried."""
    events = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    outbox = _outbox(hass, simulator, [])
    restore = await _outage(simulator)
    await outbox.async_send(REQUEST)
    await restore()
    simulator.credits = 0

    await outbox.async_retry()
    await hass.async_block_till_done()
    assert len(outbox) == 0
    assert [e.data["reason"] for e in events] == ["rejected"]
    outbox.async_stop()


async def test_http_500_counts_as_maybe_sent(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """An HTTP 500 may come after the gateway stored the message: reconcile before resending."""
    outbox = _outbox(hass, simulator, [])
    simulator.faults.http_500 = True
    record = await outbox.async_send(REQUEST)
    assert isinstance(record, OutboxRecord)
    assert record.state == UNKNOWN
    simulator.faults.reset()
    simulator.requests.clear()
    await outbox.async_retry()
    assert [r.path for r in simulator.requests] == [
        "/services/read-messages.php",
        "/services/send.php",
    ]
    outbox.async_stop()


async def test_two_kept_identical_sends_take_one_message_each(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Two identical sends both stored after their timeout: each is credited its own message."""
    sent: list[Message] = []
    outbox = _outbox(hass, simulator, sent, timeout=0.2)
    simulator.faults.latency = 0.5
    first = await outbox.async_send(REQUEST)
    second = await outbox.async_send(REQUEST)
    assert isinstance(first, OutboxRecord)
    assert isinstance(second, OutboxRecord)
    simulator.faults.reset()
    await _stored_late(simulator, 2)

    await outbox.async_retry()
    assert len(simulator.messages) == 2
    assert sorted(int(m.id) for m in sent) == sorted(simulator.messages)
    assert len(outbox) == 0
    outbox.async_stop()


async def test_an_incoming_message_is_not_taken_for_a_send(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """The recipient texting back the same words is no proof that the send reached the gateway."""
    outbox = _outbox(hass, simulator, [])
    simulator.faults.http_500 = True
    assert isinstance(await outbox.async_send(REQUEST), OutboxRecord)
    simulator.faults.reset()
    await simulator.receive_sms("+15550001", "outbox test")

    await outbox.async_retry()
    assert [(row["status"], row["message"]) for row in simulator.messages.values()] == [
        ("Received", "outbox test"),
        ("Pending", "outbox test"),
    ]
    outbox.async_stop()


@pytest.mark.parametrize(("stored", "events"), [(True, []), (False, ["expired"])])
async def test_maybe_sent_past_its_time_to_live(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    stored: bool,
    events: list[str],
) -> None:
    """Past its time to live a send that may have reached the gateway is looked for, never sent.

    Found, it counts as sent; not found, it expires.
    """
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    sent: list[Message] = []
    outbox = _outbox(hass, simulator, sent)
    simulator.faults.http_500 = True
    assert isinstance(await outbox.async_send(REQUEST), OutboxRecord)
    simulator.faults.reset()
    if stored:  # as if the gateway had stored it before failing
        await SmsGatewayClient(async_get_clientsession(hass), simulator.url, API_KEY).send(REQUEST)

    freezer.tick(TTL + timedelta(seconds=1))
    await outbox.async_retry()
    await hass.async_block_till_done()
    assert [event.data["reason"] for event in expired] == events
    assert len(simulator.messages) == int(stored)
    assert len(sent) == int(stored)
    assert len(outbox) == 0
    outbox.async_stop()


@pytest.mark.parametrize(("late", "events"), [(False, []), (True, ["expired"])])
async def test_search_failing(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    late: bool,
    events: list[str],
) -> None:
    """The gateway cannot be searched: the send waits for the next try, or expires if too old."""
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    outbox = _outbox(hass, simulator, [])
    simulator.faults.http_500 = True
    record = await outbox.async_send(REQUEST)
    assert isinstance(record, OutboxRecord)
    if late:
        freezer.tick(TTL + timedelta(seconds=1))

    await outbox.async_retry()
    await hass.async_block_till_done()
    assert [event.data["reason"] for event in expired] == events
    assert len(outbox) == int(not late)
    assert record.attempts == 1 + int(not late)
    assert simulator.messages == {}
    outbox.async_stop()


async def test_unconfirmed_without_reading_back(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """A gateway that cannot be searched: a send that may have reached it is not kept (its
    error is raised, a retry could only drop it); one kept as unsent that then may have reached
    it on a retry is dropped with an event, never sent a second time."""
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    outbox = _outbox(hass, simulator, [], client_class=_NoReadClient)
    restore = await _outage(simulator)
    assert isinstance(await outbox.async_send(REQUEST), OutboxRecord)
    await restore()
    simulator.faults.http_500 = True
    await outbox.async_retry()
    simulator.faults.reset()
    await outbox.async_retry()
    await hass.async_block_till_done()
    assert [event.data["reason"] for event in expired] == ["unconfirmed"]
    assert len(outbox) == 0

    simulator.faults.http_500 = True
    # A 500 page, or the connection closed with it: either way the send may have got there.
    with pytest.raises((GatewayResponseError, GatewayConnectionError)):
        await outbox.async_send(REQUEST)
    assert len(outbox) == 0
    assert simulator.messages == {}
    outbox.async_stop()


async def test_one_retry_round_at_a_time(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A retry asked for while one runs does nothing: the send goes out once."""
    outbox = _outbox(hass, simulator, [])
    restore = await _outage(simulator)
    assert isinstance(await outbox.async_send(REQUEST), OutboxRecord)
    await restore()
    simulator.faults.latency = 0.1

    await asyncio.gather(outbox.async_retry(), outbox.async_retry())
    assert _texts(simulator) == ["outbox test"]
    outbox.async_stop()


async def test_records_of_an_older_version_are_resumed(
    hass: HomeAssistant, simulator: GatewaySimulator, hass_storage: dict[str, Any]
) -> None:
    """A record stored before the outbox kept its search bounds is still resumed and sent."""
    record = OutboxRecord("old", REQUEST, dt_util.utcnow(), PENDING).as_dict()
    del record["since"], record["after_id"]
    hass_storage[f"{DOMAIN}.entry.outbox"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.entry.outbox",
        "data": {"records": [record]},
    }
    outbox = _outbox(hass, simulator, [])
    await outbox.async_load()
    assert len(outbox) == 1

    await outbox.async_retry()
    assert _texts(simulator) == ["outbox test"]
    assert len(outbox) == 0
    outbox.async_stop()


async def test_claims_stored_as_numbers_by_older_versions_still_hold(
    hass: HomeAssistant, simulator: GatewaySimulator, hass_storage: dict[str, Any]
) -> None:
    """A gateway message credited to a send, stored as a number, is not credited again."""
    client = SmsGatewayClient(async_get_clientsession(hass), simulator.url, API_KEY)
    [taken] = await client.send(REQUEST)
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    record = OutboxRecord(
        "unknown", REQUEST, dt_util.utcnow(), UNKNOWN, since=dt_util.utcnow() - TTL / 2
    ).as_dict()
    hass_storage[f"{DOMAIN}.entry.outbox"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.entry.outbox",
        "data": {"records": [record], "highest_id": 0, "claimed": [int(taken.id)]},
    }
    sent: list[Message] = []
    outbox = _outbox(hass, simulator, sent)
    await outbox.async_load()

    await outbox.async_retry()
    assert [message.id for message in sent] != [taken.id]  # sent again, not credited
    assert _texts(simulator) == ["outbox test", "outbox test"]
    assert expired == []
    outbox.async_stop()
