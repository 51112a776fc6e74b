"""Figures of the inbox: recording one message in a full store, opening a large thread over the
websocket, and the webhook's time with the inbox on and off.

Run with ``scripts/bench``: it prints figures and adds them to the JSON written to
``$BENCH_JSON``. Nothing here asserts a speed.
"""

from __future__ import annotations

from datetime import timedelta
import statistics
import time
from typing import Any
from unittest.mock import patch

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.sms_bridge.api import Message, MessageStatus
from custom_components.sms_bridge.api.rbsoft import sign
from custom_components.sms_bridge.const import EVENT_MESSAGE_RECEIVED
from custom_components.sms_bridge.inbox_store import InboxStore
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.simulator import GatewaySimulator
from tests.simulator.php import json_encode
from tests.simulator.state import utcnow, webhook_view

STORED = 10_000
THREAD = 500  # messages of the thread opened, among the STORED
WRITE_RUNS = 2000  # one more message each: past the journal's length that writes a snapshot
OPEN_RUNS = 50
WEBHOOK_ROUNDS = 6  # alternating rounds of single webhooks, inbox on and off
WEBHOOK_RUNS = 50  # single webhooks per round


def _incoming(n: int, number: str) -> Message:
    return Message(
        id=f"b{n}",
        number=number,
        text=f"Benchmark message number {n}, about as long as an SMS is.",
        status=MessageStatus.RECEIVED,
        phone_id="1",
        sim_slot=0,
        delivered_at=utcnow(),
    )


async def _full_store(hass: HomeAssistant) -> InboxStore:
    """Return a store holding STORED messages, THREAD of them in one thread, written."""
    store = InboxStore(hass, "bench", retention=timedelta(days=90), max_messages=STORED)
    await store.async_load()
    for n in range(STORED):
        number = "+15550100" if n % (STORED // THREAD) == 0 else f"+1555{n % 997:07d}"
        store.add_incoming([_incoming(n, number)])
    await store.async_flush()
    return store


async def test_inbox_write(hass: HomeAssistant, figures: dict[str, Any]) -> None:
    """The event loop's time to record one message in a full store (the oldest goes)."""
    store = await _full_store(hass)
    times = []
    flushes = []
    for n in range(WRITE_RUNS):
        message = _incoming(STORED + n, f"+1555{n % 997:07d}")
        start = time.perf_counter()
        store.add_incoming([message])
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        await store.async_flush()
        flushes.append(time.perf_counter() - start)
    assert len(store) == STORED
    result = {
        "inbox_store_write_us_per_message": round(statistics.median(times) * 1e6, 1),
        "inbox_store_write_us_mean_incl_snapshots": round(statistics.mean(times) * 1e6, 1),
        "inbox_store_write_us_p99": round(sorted(times)[int(len(times) * 0.99)] * 1e6, 1),
        "inbox_store_flush_ms_p50": round(statistics.median(flushes) * 1000, 3),
    }
    for name, value in result.items():
        print(f"{name}: {value}")
    figures |= result
    await store.async_close()


async def test_inbox_open_thread(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    figures: dict[str, Any],
) -> None:
    """A websocket round trip reading a thread of THREAD messages in a store of STORED."""
    assert await async_setup_component(hass, "websocket_api", {})
    store = await _full_store(hass)
    init_integration.runtime_data.inbox = store
    client = await hass_ws_client()

    async def open_thread(limit: int) -> float:
        start = time.perf_counter()
        await client.send_json_auto_id(
            {
                "type": "sms_bridge/inbox/thread",
                "entry_id": init_integration.entry_id,
                "number": "+15550100",
                "limit": limit,
            }
        )
        response = await client.receive_json()
        elapsed = time.perf_counter() - start
        assert response["success"]
        assert len(response["result"]["messages"]) == min(limit, THREAD)
        return elapsed

    whole = [await open_thread(THREAD) for _ in range(OPEN_RUNS)]
    page = [await open_thread(50) for _ in range(OPEN_RUNS)]
    result = {
        "inbox_open_thread_ms": round(statistics.median(whole) * 1000, 2),
        "inbox_open_thread_page50_ms": round(statistics.median(page) * 1000, 2),
    }
    for name, value in result.items():
        print(f"{name}: {value}")
    figures |= result
    await store.async_close()
    init_integration.runtime_data.tracker.async_stop()


async def test_inbox_webhook_cost(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    figures: dict[str, Any],
) -> None:
    """The single-message webhook's time to its event, the inbox on and off, in turns."""
    client = await hass_client_no_auth()
    received: list[float] = []

    @callback
    def _on_event(_event: Event) -> None:
        received.append(time.perf_counter())

    hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, _on_event)

    async def post() -> float:
        row = simulator.add_received("+15550123", "Benchmark", 1, 0, utcnow())
        payload = json_encode([webhook_view(row)])
        received.clear()
        start = time.perf_counter()
        response = await client.post(
            f"/api/webhook/{WEBHOOK_ID}",
            data={"messages": payload},
            headers={"X-SG-Signature": sign(API_KEY, payload)},
        )
        await hass.async_block_till_done()
        assert response.status == 200
        assert len(received) == 1
        return (received[-1] - start) * 1000

    async def noop_flush(_self: InboxStore) -> None:
        return None

    on: list[float] = []
    off: list[float] = []
    for _ in range(WEBHOOK_ROUNDS):
        on += [await post() for _ in range(WEBHOOK_RUNS)]
        with (
            patch.object(InboxStore, "add_incoming", lambda _self, _messages: None),
            patch.object(InboxStore, "async_flush", noop_flush),
        ):
            off += [await post() for _ in range(WEBHOOK_RUNS)]
    result = {
        "webhook_single_ms_p50_inbox_on": round(statistics.median(on), 3),
        "webhook_single_ms_p50_inbox_off": round(statistics.median(off), 3),
    }
    result["webhook_single_inbox_cost_percent"] = round(
        (result["webhook_single_ms_p50_inbox_on"] / result["webhook_single_ms_p50_inbox_off"] - 1)
        * 100,
        1,
    )
    for name, value in result.items():
        print(f"{name}: {value}")
    figures |= result
    init_integration.runtime_data.tracker.async_stop()
