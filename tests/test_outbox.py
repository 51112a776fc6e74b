"""The durable outbox against the simulator: outages, restarts, ambiguous timeouts, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)
from yarl import URL

from custom_components.sms_bridge.api import Message, Sender, SendRequest
from custom_components.sms_bridge.api.sms_gateway import SmsGatewayClient
from custom_components.sms_bridge.const import EVENT_MESSAGE_EXPIRED
from custom_components.sms_bridge.outbox import PENDING, RETRY_DELAYS, UNKNOWN, Outbox, OutboxRecord
from tests.conftest import API_KEY
from tests.simulator import GatewaySimulator

REQUEST = SendRequest(recipients=("+15550001",), text="outbox test", senders=(Sender("1", 1),))
TTL = timedelta(hours=1)


def _outbox(
    hass: HomeAssistant, simulator: GatewaySimulator, sent: list[Message], timeout: float = 5.0
) -> Outbox:
    client = SmsGatewayClient(
        async_get_clientsession(hass), simulator.url, API_KEY, timeout=timeout
    )
    return Outbox(hass, "entry", client, TTL, sent.extend)


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
    """O13: connection refused → kept (pending), retried with backoff, sent once when back."""
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
    """O18: a kept send is stored and resumed by a new outbox (Home Assistant restarted)."""
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
    """O14: the answer was lost but the gateway has the message: found, never sent twice.

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
    for _ in range(100):  # the simulator finishes the request after our timeout
        if simulator.messages:
            break
        await asyncio.sleep(0.05)

    await outbox.async_retry()
    assert len(simulator.messages) == 1
    assert [m.text for m in sent] == _texts(simulator)
    assert len(outbox) == 0
    outbox.async_stop()


async def test_timeout_without_effect_is_sent_once(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """O14: the gateway never took the request: the search finds nothing, one send follows."""
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
    """O18: past its time to live a kept send is dropped with an event, never sent."""
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
