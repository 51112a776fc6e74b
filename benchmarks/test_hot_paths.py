"""Figures for the two hot paths, measured through Home Assistant's real paths.

Run with ``scripts/bench``: this module prints figures and adds them to the JSON written to
``$BENCH_JSON``. It asserts nothing about speed; it is not part of the test suite.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.api.rbsoft import sign
from custom_components.sms_bridge.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.simulator import GatewaySimulator
from tests.simulator.php import json_encode
from tests.simulator.state import utcnow, webhook_view

LATENCY = 0.020  # seconds the simulated gateway adds to every API call
RECIPIENTS = [f"+1555{n:07d}" for n in range(100)]
BATCH_RUNS = 30
SINGLE_RUNS = 300


async def _send(hass: HomeAssistant, recipients: list[str]) -> None:
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": recipients, "message": "Benchmark"},
        blocking=True,
        return_response=True,
    )


def _sends(simulator: GatewaySimulator) -> int:
    return sum(r.path.endswith("send.php") for r in simulator.requests)


async def _bulk_vs_single(hass: HomeAssistant, simulator: GatewaySimulator) -> dict[str, Any]:
    simulator.credits = None
    simulator.requests.clear()
    start = time.perf_counter()
    await _send(hass, RECIPIENTS)
    bulk = time.perf_counter() - start
    requests = _sends(simulator)

    start = time.perf_counter()
    for number in RECIPIENTS:
        await _send(hass, [number])
    single = time.perf_counter() - start
    print(f"send to 100 recipients: {requests} request(s), {bulk * 1000:.1f} ms")
    print(f"100 single sends, one per recipient: {single * 1000:.1f} ms")
    return {
        "send_100_requests": requests,
        "send_100_ms": round(bulk * 1000, 2),
        "send_100_single_sends_ms": round(single * 1000, 2),
        "send_100_speedup_vs_per_recipient": round(single / bulk, 1),
    }


async def _webhooks(
    hass: HomeAssistant, simulator: GatewaySimulator, client: Any
) -> dict[str, Any]:
    received: list[float] = []

    @callback
    def _on_event(_event: Event) -> None:
        received.append(time.perf_counter())

    hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, _on_event)
    path = f"/api/webhook/{WEBHOOK_ID}"

    async def post(count: int) -> float:
        rows = [
            simulator.add_received(f"+1555{n:07d}", f"Message {n}", 1, 0, utcnow())
            for n in range(count)
        ]
        payload = json_encode([webhook_view(row) for row in rows])
        received.clear()
        start = time.perf_counter()
        response = await client.post(
            path, data={"messages": payload}, headers={"X-SG-Signature": sign(API_KEY, payload)}
        )
        await hass.async_block_till_done()
        assert response.status == 200
        assert len(received) == count
        return (received[-1] - start) * 1000

    batch = [await post(100) for _ in range(BATCH_RUNS)]
    start = time.perf_counter()
    single = [await post(1) for _ in range(SINGLE_RUNS)]
    per_second = SINGLE_RUNS / (time.perf_counter() - start)
    figures = {
        "webhook_batch100_ms_p50": round(statistics.median(batch), 2),
        "webhook_single_ms_p50": round(statistics.median(single), 3),
        "webhook_single_per_s": round(per_second),
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
    return figures


async def _refresh(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry
) -> dict[str, Any]:
    while len(simulator.phones) < 10:
        simulator.add_phone()
    simulator.requests.clear()
    await entry.runtime_data.coordinator.async_refresh()
    requests = len(simulator.requests)
    print(f"coordinator refresh with {len(simulator.phones)} phones: {requests} request(s)")
    return {"refresh_requests_10_phones": requests}


async def test_hot_paths(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    figures: dict[str, Any],
) -> None:
    """Measure and report; see the module docstring."""
    client = await hass_client_no_auth()
    simulator.faults.latency = LATENCY
    figures |= await _bulk_vs_single(hass, simulator)
    figures |= await _refresh(hass, simulator, init_integration)
    simulator.faults.latency = 0
    figures |= await _webhooks(hass, simulator, client)
    init_integration.runtime_data.tracker.async_stop()
