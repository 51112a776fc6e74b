"""The send path through Home Assistant's actions against the simulator.

Nothing accepted is lost, nothing is sent twice, a phone gets one request at a time, and the
outbox carries on across a real stop of Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_test_home_assistant,
)
from yarl import URL

from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from custom_components.sms_bridge.const import (
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_MAX_PER_MINUTE,
    DEFAULT_OUTBOX_TTL,
    DOMAIN,
    EVENT_MESSAGE_EXPIRED,
)
from custom_components.sms_bridge.outbox import RETRY_DELAYS
from tests.simulator import GatewaySimulator

SEND = "/services/send.php"
RECIPIENT = "+15550100"  # the entry's default recipient
CLIENT_TIMEOUT = 0.3  # seconds; the gateway answers later than this with LATE
LATE = 0.8


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call send_message and return its response data."""
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def stored(simulator: GatewaySimulator) -> list[tuple[str, str]]:
    """Return (number, text) of every message the gateway holds, in the order it took them."""
    return [(row["number"], row["message"]) for row in simulator.messages.values()]


def sends(simulator: GatewaySimulator) -> int:
    """Return how many send.php calls tried to send something (not the credits query)."""
    return sum(
        1
        for request in simulator.requests
        if request.path == SEND and ("number" in request.params or "messages" in request.params)
    )


async def next_retry(hass: HomeAssistant, seconds: float) -> None:
    """Run the timers due within ``seconds``, the outbox's retry among them."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)


async def outage(simulator: GatewaySimulator) -> Callable[[], Awaitable[None]]:
    """Stop the gateway (a hung request is dropped unprocessed); return how to start it again."""
    port = URL(simulator.url).port or 0
    await simulator.stop()
    simulator.faults.reset()
    for _ in range(5):  # the client sees its kept-alive connections close
        await asyncio.sleep(0)
    return partial(simulator.start, port=port)


async def gateway_catches_up(simulator: GatewaySimulator, count: int) -> None:
    """Wait until the gateway, answering late, has stored ``count`` messages."""
    for _ in range(100):
        if len(simulator.messages) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the gateway holds {len(simulator.messages)} messages, not {count}")


@pytest.fixture
async def impatient(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: GatewaySimulator
) -> MockConfigEntry:
    """The entry, its client giving up after CLIENT_TIMEOUT (the gateway can answer later)."""
    short = partial(SmsGatewayClient, timeout=CLIENT_TIMEOUT)
    with patch("custom_components.sms_bridge.providers.SmsGatewayClient", short):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    simulator.requests.clear()
    return config_entry


async def stop(hass: HomeAssistant) -> None:
    """Stop Home Assistant for good: nothing of this instance runs afterwards.

    The entry is not unloaded, as in a real stop. Both instances share the test's event loop,
    so the stopped one's remaining timers are cancelled, as if its process had ended (the
    simulator's own timers are left running).
    """
    await hass.async_stop()
    for handle in get_scheduled_timer_handles(hass.loop):
        arguments = handle._args or ()
        owner = getattr(handle._callback, "__self__", None)
        if getattr(owner, "hass", None) is hass or any(
            argument is hass or isinstance(argument, HassJob) for argument in arguments
        ):
            handle.cancel()


@asynccontextmanager
async def restarted(config_entry: MockConfigEntry) -> AsyncIterator[HomeAssistant]:
    """Yield a new Home Assistant on the same storage, ``config_entry`` not yet set up."""
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        MockConfigEntry(
            domain=DOMAIN,
            entry_id=config_entry.entry_id,
            title=config_entry.title,
            unique_id=config_entry.unique_id,
            data=dict(config_entry.data),
            options=dict(config_entry.options),
        ).add_to_hass(hass)
        try:
            yield hass
        finally:
            await hass.config_entries.async_unload(config_entry.entry_id)
            await stop(hass)


async def set_up(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    """Set the entry up in a restarted Home Assistant and let the outbox's resume run."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


# -- a repeated alert is one more message --------------------------------------------------


@pytest.mark.usefixtures("integration")
async def test_repeated_alert_after_a_failed_attempt_is_sent(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """The same text again, kept after an HTTP 500, is sent: the first one is not taken for it."""
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    assert (await send(hass, message="Door open"))["queued"] is None
    simulator.faults.http_500 = True  # the gateway stores nothing
    assert (await send(hass, message="Door open"))["queued"]
    simulator.faults.reset()

    await next_retry(hass, RETRY_DELAYS[0])
    assert stored(simulator) == [(RECIPIENT, "Door open")] * 2
    await next_retry(hass, RETRY_DELAYS[-1])
    assert stored(simulator) == [(RECIPIENT, "Door open")] * 2
    assert expired == []


async def test_concurrent_identical_sends_one_lost_in_flight(
    hass: HomeAssistant,
    impatient: MockConfigEntry,
    simulator: GatewaySimulator,
) -> None:
    """Two identical sends at once; the second request times out and never reaches the gateway.

    The message the first one created is not credited to the second, which is sent on retry.
    """
    expired = async_capture_events(hass, EVENT_MESSAGE_EXPIRED)
    simulator.faults.hang = True
    simulator.faults.healthy_calls = 1
    answers = await asyncio.gather(send(hass, message="Door open"), send(hass, message="Door open"))
    assert sorted(answer["queued"] is None for answer in answers) == [False, True]
    restart_gateway = await outage(simulator)
    await restart_gateway()
    assert stored(simulator) == [(RECIPIENT, "Door open")]

    await next_retry(hass, RETRY_DELAYS[0])
    assert stored(simulator) == [(RECIPIENT, "Door open")] * 2
    assert len(impatient.runtime_data.outbox) == 0
    assert expired == []


# -- a timeout after the request was sent ---------------------------------------------------


async def test_timeout_after_sending_is_found_not_resent(
    hass: HomeAssistant,
    impatient: MockConfigEntry,
    simulator: GatewaySimulator,
) -> None:
    """The gateway stored the message but answered too late: found on retry, never resent.

    An identical message sent just before is not mistaken for it either.
    """
    assert (await send(hass, message="Door open"))["queued"] is None
    simulator.faults.latency = LATE
    assert (await send(hass, message="Door open"))["queued"]
    await gateway_catches_up(simulator, 2)
    simulator.faults.reset()

    for delay in RETRY_DELAYS[:3]:
        await next_retry(hass, delay)
    assert stored(simulator) == [(RECIPIENT, "Door open")] * 2
    assert sends(simulator) == 2
    assert len(impatient.runtime_data.outbox) == 0
    # The message found is followed like any other sent one.
    assert impatient.runtime_data.tracker.tracked_count == 2


async def test_timeout_after_sending_not_found_is_resent_once(
    hass: HomeAssistant,
    impatient: MockConfigEntry,
    simulator: GatewaySimulator,
) -> None:
    """The request timed out and the gateway never stored it: one resend, not more."""
    simulator.faults.hang = True
    assert (await send(hass, message="Door open"))["queued"]
    restart_gateway = await outage(simulator)
    await restart_gateway()
    assert stored(simulator) == []

    for delay in RETRY_DELAYS:
        await next_retry(hass, delay)
    assert stored(simulator) == [(RECIPIENT, "Door open")]
    assert sends(simulator) == 2  # the lost one and the resend
    assert len(impatient.runtime_data.outbox) == 0


# -- one request at a time per phone --------------------------------------------------------


@pytest.mark.parametrize(
    "entry_options",
    [{CONF_DEFAULT_PHONE: "1", CONF_DEFAULT_RECIPIENTS: [RECIPIENT], CONF_MAX_PER_MINUTE: 100}],
)
@pytest.mark.usefixtures("integration")
async def test_burst_is_throttled_per_phone_and_kept_in_order(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Fifty sends at once reach the gateway one by one, in call order for each recipient.

    The send guard's limit is raised above the burst: this is about order, not the limit.
    """
    simulator.faults.latency = 0.01  # concurrent requests would overlap at the gateway
    simulator.peak_in_flight = 0
    recipients = ["+15550101", "+15550102", "+15550103"]
    answers = await asyncio.gather(
        *(send(hass, recipients=[recipients[i % 3]], message=f"Alert {i}") for i in range(50))
    )
    assert all(answer["queued"] is None for answer in answers)
    assert simulator.peak_in_flight == 1
    for index, recipient in enumerate(recipients):
        assert [text for number, text in stored(simulator) if number == recipient] == [
            f"Alert {i}" for i in range(index, 50, 3)
        ]


@pytest.mark.parametrize(
    ("phones", "peak"),
    [(("1", "1"), 1), (("1", "2"), 2)],
    ids=["same phone", "two phones"],
)
@pytest.mark.usefixtures("integration")
async def test_sends_to_one_phone_wait_for_each_other(
    hass: HomeAssistant, simulator: GatewaySimulator, phones: tuple[str, str], peak: int
) -> None:
    """Two sends through the same phone are serialised; two phones work side by side."""
    simulator.faults.latency = 0.2
    simulator.peak_in_flight = 0
    await asyncio.gather(
        send(hass, message="first", phone=phones[0]), send(hass, message="second", phone=phones[1])
    )
    assert simulator.peak_in_flight == peak
    assert sorted(text for _, text in stored(simulator)) == ["first", "second"]


# -- across a stop of Home Assistant -----------------------------------------------------------


async def test_restart_resumes_a_kept_send_once(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
) -> None:
    """A send kept while the gateway was down goes out once after Home Assistant restarts."""
    restart_gateway = await outage(simulator)
    assert (await send(hass, message="Door open"))["queued"]
    await stop(hass)
    await restart_gateway()

    async with restarted(integration) as new_hass:
        expired = async_capture_events(new_hass, EVENT_MESSAGE_EXPIRED)
        await set_up(new_hass, integration)
        assert stored(simulator) == [(RECIPIENT, "Door open")]
        for delay in RETRY_DELAYS:
            await next_retry(new_hass, delay)
        assert stored(simulator) == [(RECIPIENT, "Door open")]
        assert sends(simulator) == 1
        assert expired == []
        entry = new_hass.config_entries.async_get_entry(integration.entry_id)
        assert entry is not None
        assert len(entry.runtime_data.outbox) == 0


async def test_stop_during_a_retry_does_not_send_twice(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Home Assistant stops while a retry waits for the gateway's answer; the gateway stores it.

    After the restart the outbox looks for it first, finds it and does not send it again.
    """
    restart_gateway = await outage(simulator)
    assert (await send(hass, message="Door open"))["queued"]
    await restart_gateway()
    simulator.faults.latency = LATE
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=RETRY_DELAYS[0]))
    for _ in range(100):  # the retry's request is at the gateway
        if sends(simulator):
            break
        await asyncio.sleep(0.02)
    await stop(hass)  # cancels the retry still waiting for the answer
    await gateway_catches_up(simulator, 1)
    simulator.faults.reset()

    async with restarted(integration) as new_hass:
        await set_up(new_hass, integration)
        for delay in RETRY_DELAYS[:3]:
            await next_retry(new_hass, delay)
        assert stored(simulator) == [(RECIPIENT, "Door open")]
        assert sends(simulator) == 1


async def test_restart_keeps_a_repeated_alert_apart(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
) -> None:
    """After a restart, a kept repeat of an alert is still not taken for the one sent before."""
    assert (await send(hass, message="Door open"))["queued"] is None
    simulator.faults.http_500 = True
    assert (await send(hass, message="Door open"))["queued"]
    simulator.faults.reset()
    await stop(hass)

    async with restarted(integration) as new_hass:
        await set_up(new_hass, integration)
        for delay in RETRY_DELAYS[:2]:
            await next_retry(new_hass, delay)
        assert stored(simulator) == [(RECIPIENT, "Door open")] * 2


async def test_restart_after_the_time_to_live_expires_unsent(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Home Assistant back after the kept send's time to live: the event fires, nothing is sent."""
    restart_gateway = await outage(simulator)
    assert (await send(hass, message="Door open"))["queued"]
    await stop(hass)
    await restart_gateway()
    freezer.tick(DEFAULT_OUTBOX_TTL + timedelta(minutes=1))

    async with restarted(integration) as new_hass:
        expired = async_capture_events(new_hass, EVENT_MESSAGE_EXPIRED)
        await set_up(new_hass, integration)
        for delay in RETRY_DELAYS[:2]:
            await next_retry(new_hass, delay)
        assert [(e.data["reason"], e.data["recipients"], e.data["text"]) for e in expired] == [
            ("expired", [RECIPIENT], "Door open")
        ]
        assert expired[0].data["config_entry_id"] == integration.entry_id
        assert stored(simulator) == []
        assert sends(simulator) == 0
