"""Figures under load: recorder writes of a large send, entry setup, webhook cost, bounds.

Run with ``scripts/bench``: each test prints its figures and adds them to the JSON written to
``$BENCH_JSON``. Nothing here asserts a speed; the asserts only check that the load went through.
"""

from __future__ import annotations

from collections import Counter
import statistics
import time
from typing import Any

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.api.rbsoft import sign
from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_PROVIDER,
    CONF_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sms_bridge.inbound_store import MAX_SEEN
from custom_components.sms_bridge.tracking import MAX_TRACKED
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.simulator import GatewaySimulator
from tests.simulator.php import json_encode
from tests.simulator.state import utcnow, webhook_view

LATENCY = 0.020  # seconds the simulated gateway adds to every API call
# None ends in 0000, the simulator's failing numbers: every message goes on to Delivered.
RECIPIENTS_1000 = [f"+1555{n:07d}" for n in range(1, 1001)]
SETUP_RUNS = 30
WEBHOOK_RUNS = 300
WARMUP_RUNS = 20
NOOP_WEBHOOK_ID = "f" * 64
ENTRIES = 10
PHONES = 50
LOAD_BATCH = 100  # messages per webhook request while loading the dedupe store


def _report(figures: dict[str, Any], name: str, value: Any, label: str) -> None:
    figures[name] = value
    print(f"{label} ({name}): {value}")


async def _send(
    hass: HomeAssistant, recipients: list[str], entry: MockConfigEntry | None = None
) -> None:
    data: dict[str, Any] = {"recipients": recipients, "message": "Benchmark"}
    if entry is not None:
        data["config_entry_id"] = entry.entry_id
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        data,
        blocking=True,
        return_response=True,
    )


def _entry(simulator: GatewaySimulator, number: int, options: dict[str, Any]) -> MockConfigEntry:
    """Return one more entry on the simulator, with its own webhook and the benchmarks' options."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Gateway {number}",
        unique_id=f"{simulator.url}#bench{number}",
        data={
            CONF_PROVIDER: "sms_gateway",
            CONF_URL: simulator.url,
            CONF_API_KEY: API_KEY,
            CONF_WEBHOOK_ID: f"{number:064x}",
        },
        options=options,
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_send_1000_state_writes(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    figures: dict[str, Any],
) -> None:
    """Count the state writes of the entry's entities while a 1000-recipient send is delivered."""
    simulator.credits = None
    simulator.faults.latency = LATENCY
    registry = er.async_get(hass)
    ours = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(registry, init_integration.entry_id)
    }
    writes: Counter[str] = Counter()
    status_events = 0

    @callback
    def _state_changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] in ours:
            writes[event.data["entity_id"]] += 1

    @callback
    def _status(_event: Event) -> None:
        nonlocal status_events
        status_events += 1

    hass.bus.async_listen(EVENT_STATE_CHANGED, _state_changed)
    hass.bus.async_listen(EVENT_MESSAGE_STATUS, _status)
    tracker = init_integration.runtime_data.tracker
    await _send(hass, RECIPIENTS_1000)
    assert tracker.tracked_count == len(RECIPIENTS_1000)

    polls = 0
    most_per_poll = 0
    polling = 0.0
    while tracker.tracked_count and polls < 10:
        await simulator.advance()
        before = writes.copy()
        start = time.perf_counter()
        await tracker.async_poll()
        await hass.async_block_till_done()
        polling += time.perf_counter() - start
        polls += 1
        most_per_poll = max(most_per_poll, *(writes - before).values(), 0)
    assert tracker.tracked_count == 0
    tracker.async_stop()

    _report(figures, "send_1000_state_writes", writes.total(), "state writes, send to delivered")
    _report(figures, "send_1000_polls", polls, "tracking polls until all were delivered")
    _report(
        figures,
        "send_1000_max_writes_per_entity_per_poll",
        most_per_poll,
        "most state writes of one entity in one poll",
    )
    _report(figures, "send_1000_status_events", status_events, "message status bus events")
    _report(figures, "send_1000_polls_ms", round(polling * 1000, 1), "time in those polls, ms")


async def test_setup_10_phones(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    figures: dict[str, Any],
) -> None:
    """Time the setup of an entry whose gateway lists 10 phones (no added latency).

    The first setup also sets up the integration and its dependencies and creates the registry
    entries; the figure is the median of the setups after it, as at a restart. The processor
    time (of the whole process, simulator included) is given too: on a machine shared with
    other work the elapsed time says more about the other work.
    """
    while len(simulator.phones) < 10:
        simulator.add_phone()
    elapsed = []
    processor = []
    for _ in range(SETUP_RUNS + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        await _setup(hass, config_entry)
        elapsed.append((time.perf_counter() - start) * 1000)
        processor.append((time.process_time() - start_cpu) * 1000)
        await _unload(hass, config_entry)
    _report(figures, "setup_ms_10_phones", round(statistics.median(elapsed[1:]), 1), "setup, ms")
    _report(
        figures,
        "setup_cpu_ms_10_phones",
        round(statistics.median(processor[1:]), 1),
        "processor time of a setup, ms",
    )
    _report(figures, "setup_ms_10_phones_first", round(elapsed[0], 1), "first setup, ms")


async def test_webhook_vs_noop(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    figures: dict[str, Any],
) -> None:
    """Compare our signed one-message webhook with a handler doing nothing, in turns."""

    async def _noop(_hass: HomeAssistant, _webhook_id: str, _request: web.Request) -> web.Response:
        return web.Response()

    webhook.async_register(
        hass, "bench", "No-op", NOOP_WEBHOOK_ID, _noop, allowed_methods=[hdrs.METH_POST]
    )
    client = await hass_client_no_auth()

    async def _post(webhook_id: str, payload: str) -> float:
        start = time.perf_counter()
        response = await client.post(
            f"/api/webhook/{webhook_id}",
            data={"messages": payload},
            headers={"X-SG-Signature": sign(API_KEY, payload)},
        )
        elapsed = time.perf_counter() - start
        assert response.status == 200
        return elapsed * 1000

    ours: list[float] = []
    floor: list[float] = []
    for _ in range(WARMUP_RUNS + WEBHOOK_RUNS):
        row = simulator.add_received("+15550123", "Benchmark", 1, 0, utcnow())
        payload = json_encode([webhook_view(row)])
        floor.append(await _post(NOOP_WEBHOOK_ID, payload))
        ours.append(await _post(WEBHOOK_ID, payload))
    await hass.async_block_till_done()
    webhook.async_unregister(hass, NOOP_WEBHOOK_ID)
    ours_p50 = statistics.median(ours[WARMUP_RUNS:])
    floor_p50 = statistics.median(floor[WARMUP_RUNS:])
    _report(figures, "webhook_single_response_ms_p50", round(ours_p50, 3), "our webhook, ms")
    _report(figures, "webhook_noop_response_ms_p50", round(floor_p50, 3), "no-op webhook, ms")
    _report(
        figures, "webhook_single_vs_noop_ratio", round(ours_p50 / floor_p50, 2), "ratio of both"
    )


async def test_bounds_with_50_phones_and_10_entries(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    *,
    hass_client_no_auth: ClientSessionGenerator,
    figures: dict[str, Any],
    entry_options: dict[str, Any],
    hass_storage: dict[str, Any],
) -> None:
    """Requests per refresh do not grow with phones; the dedupe and tracking stores are bounded."""
    simulator.credits = None
    entries = [_entry(simulator, number, entry_options) for number in range(ENTRIES)]
    await _setup(hass, entries[0])
    simulator.requests.clear()
    await entries[0].runtime_data.coordinator.async_refresh()
    few_phones = len(simulator.phones)
    requests_few = len(simulator.requests)

    for phone in simulator.phones.values():
        phone.sims = {0: "SIM #1", 1: "SIM #2"}
    while len(simulator.phones) < PHONES:
        simulator.add_phone(sims={0: "SIM #1", 1: "SIM #2"})
    for entry in entries[1:]:
        await _setup(hass, entry)
    requests = []
    for entry in entries:
        simulator.requests.clear()
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()
        requests.append(len(simulator.requests))
    assert all(len(entry.runtime_data.coordinator.data.phones) == PHONES for entry in entries)
    print(f"requests per refresh with {few_phones} phones: {requests_few}")
    print(f"requests per refresh of each of {ENTRIES} entries with {PHONES} phones: {requests}")
    _report(
        figures,
        "refresh_requests_per_entry_50_phones",
        max(requests),
        f"most requests per refresh of one entry, {PHONES} phones with 2 SIMs",
    )
    _report(
        figures,
        "refresh_requests_per_entry_2_phones",
        requests_few,
        f"requests per refresh, {few_phones} phones",
    )

    # Incoming: twice as many distinct messages as the dedupe store keeps, through the webhook.
    entry = entries[0]
    client = await hass_client_no_auth()
    received = 2 * MAX_SEEN + LOAD_BATCH
    for first in range(0, received, LOAD_BATCH):
        rows = [
            simulator.add_received(f"+1555{n:07d}", f"Load {n}", 1, 0, utcnow())
            for n in range(first, first + LOAD_BATCH)
        ]
        payload = json_encode([webhook_view(row) for row in rows])
        response = await client.post(
            f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}",
            data={"messages": payload},
            headers={"X-SG-Signature": sign(API_KEY, payload)},
        )
        assert response.status == 200
    # Written before the events fire, so complete once the webhook answered.
    seen = hass_storage[f"{DOMAIN}.{entry.entry_id}.inbound"]["data"]

    # Outgoing: three sends of the most recipients one send takes.
    tracker = entry.runtime_data.tracker
    sends = 3
    for _ in range(sends):
        await _send(hass, RECIPIENTS_1000, entry)
    print(f"after {received} incoming messages and {sends * len(RECIPIENTS_1000)} sent:")
    _report(
        figures,
        "dedupe_ids_after_load",
        len(seen["messages"]["ids"]) + len(seen["ussd"]["ids"]),
        "message ids in the dedupe store",
    )
    _report(figures, "dedupe_ids_bound", MAX_SEEN, "their bound")
    _report(figures, "tracked_after_load", tracker.tracked_count, "messages tracked")
    _report(figures, "tracked_bound", MAX_TRACKED, "their bound")

    for entry in entries:
        await _unload(hass, entry)
