"""Incoming messages and delivery tracking across a real stop, and across a crash.

Home Assistant before the restart is a second instance built on the same (mocked) storage; the
``hass`` fixture plays Home Assistant after the restart. A crash is a stop whose writes never
reach the disk: the storage is put back as it was at the moment of the crash.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
import copy
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.core import CoreState, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_test_home_assistant,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.const import (
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_STATUS,
)
from custom_components.sms_bridge.tracking import FIRST_POLL
from tests.conftest import WEBHOOK_ID
from tests.helpers import check_logs
from tests.simulator import GatewaySimulator, php
from tests.simulator.state import webhook_view

READ = "/services/read-messages.php"


@pytest.fixture(autouse=True)
def no_secrets_or_tracebacks(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Every test: nothing raised, and our logs show no API key, webhook id or message text."""
    yield from check_logs(caplog, "Hello")


type StartFirstRun = Callable[[], AbstractAsyncContextManager["FirstRun"]]


class FirstRun:
    """Home Assistant before the restart, and what its storage held when it ended."""

    def __init__(self, hass: HomeAssistant, storage: dict[str, Any]) -> None:
        """Initialize."""
        self.hass = hass
        self._storage = storage
        self.disk: dict[str, Any] | None = None

    async def stop(self) -> None:
        """Stop Home Assistant for real: what it writes on its way out is kept."""
        await self.hass.async_stop()
        self.disk = copy.deepcopy(self._storage)

    def crash(self) -> None:
        """Kill Home Assistant now (SIGKILL, power cut): nothing more reaches the disk."""
        self.disk = copy.deepcopy(self._storage)


@pytest.fixture
def first_run(
    simulator: GatewaySimulator,
    config_entry: MockConfigEntry,
    aiohttp_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
) -> StartFirstRun:
    """Return a context manager: Home Assistant before the restart, with the entry set up.

    The simulator posts its webhooks there. The test ends it with ``stop()`` or ``crash()``;
    leaving the context then tears it down and leaves the storage as it was at that moment.
    """

    @asynccontextmanager
    async def _first_run() -> AsyncGenerator[FirstRun]:
        async with async_test_home_assistant() as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # let it load custom integrations
            entry = MockConfigEntry(
                domain=DOMAIN,
                entry_id=config_entry.entry_id,
                title=config_entry.title,
                unique_id=config_entry.unique_id,
                data=dict(config_entry.data),
                options=dict(config_entry.options),
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
            client = await aiohttp_client(hass.http.app)
            simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))
            run = FirstRun(hass, hass_storage)
            yield run
            assert run.disk is not None, "end the first run with stop() or crash()"
            # Tear down what a real process exit would end; its writes do not count.
            await hass.config_entries.async_unload(entry.entry_id)
            if hass.state is not CoreState.not_running:
                await hass.async_stop(force=True)
            hass_storage.clear()
            hass_storage.update(run.disk)

    return _first_run


@pytest.fixture
def start_again(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> Callable[[], Awaitable[None]]:
    """Return Home Assistant's start after the restart: the entry is set up in ``hass`` again."""

    async def _start_again() -> None:
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        client = await hass_client_no_auth()
        simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))

    return _start_again


def reads(simulator: GatewaySimulator) -> int:
    """How many times the received messages were read back."""
    return sum(
        request.path == READ and request.params.get("status") == "Received"
        for request in simulator.requests
    )


async def test_crash_after_a_message_does_not_fire_it_again(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    first_run: StartFirstRun,
    start_again: Callable[[], Awaitable[None]],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Killed right after a message fired: the backfill at start reads it back, fires nothing."""
    async with first_run() as before:
        freezer.tick(timedelta(minutes=5))  # Home Assistant ran a while: the mark is written
        async_fire_time_changed(before.hass)
        await before.hass.async_block_till_done()
        fired = async_capture_events(before.hass, EVENT_MESSAGE_RECEIVED)
        row = await simulator.receive_sms("+33612345678", "Hello")
        assert [event.data["message_id"] for event in fired] == [str(row["ID"])]
        before.crash()

    refired = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    simulator.requests.clear()
    await start_again()
    assert reads(simulator) == 1  # the message was read back from the gateway...
    assert refired == []  # ...and known as fired


async def test_same_webhook_after_a_stop_fires_nothing(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    first_run: StartFirstRun,
    start_again: Callable[[], Awaitable[None]],
) -> None:
    """The webhook request that fired before a stop is answered 200 after it and fires nothing."""
    async with first_run() as before:
        fired = async_capture_events(before.hass, EVENT_MESSAGE_RECEIVED)
        row = await simulator.receive_sms("+33612345678", "Hello")
        assert len(fired) == 1
        await before.stop()

    refired = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await start_again()
    replay = php.json_encode([webhook_view(row)])
    assert await simulator.post_webhook("messages", replay) == 200
    assert simulator.webhook_results == [200, 200]
    assert refired == []

    await simulator.receive_sms("+33612345678", "Hello again")  # a new message still fires
    assert len(refired) == 1


async def test_tracking_resumes_after_a_stop(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    first_run: StartFirstRun,
    start_again: Callable[[], Awaitable[None]],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A message sent before a stop gets its status events after the restart, to the end."""
    async with first_run() as before:
        response = await before.hass.services.async_call(
            DOMAIN,
            "send_message",
            {"recipients": ["+15550001"], "message": "tracked"},
            blocking=True,
            return_response=True,
        )
        [sent] = response["messages"]
        assert sent["status"] == "pending"
        await before.stop()
    await simulator.advance()  # the phone fetched it while Home Assistant was down

    statuses = async_capture_events(hass, EVENT_MESSAGE_STATUS)
    await start_again()
    assert [(e.data["previous_status"], e.data["status"]) for e in statuses] == [
        ("pending", "queued")
    ]
    for _ in range(2):
        await simulator.advance()
        freezer.tick(timedelta(seconds=FIRST_POLL))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["status"] for e in statuses] == ["queued", "sent", "delivered"]
    assert {e.data["message_id"] for e in statuses} == {sent["message_id"]}
    assert hass.config_entries.async_entries(DOMAIN)[0].runtime_data.tracker.tracked_count == 0


async def test_removing_the_entry_deletes_what_it_tracked(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The messages followed by a removed entry are deleted with it."""
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"recipients": ["+15550001"], "message": "tracked"},
        blocking=True,
        return_response=True,
    )
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    key = f"{DOMAIN}.{init_integration.entry_id}.tracking"
    assert len(hass_storage[key]["data"]["messages"]) == 1

    await hass.config_entries.async_remove(init_integration.entry_id)
    assert key not in hass_storage
