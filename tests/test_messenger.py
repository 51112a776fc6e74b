"""The one send path: resends wait their phone's turn, the limits count what the gateway took.

Through Home Assistant's real actions against the simulators: a resend goes through the
per-phone queue like any send; the send guard settles on the messages the gateway accepted,
gives back what a kept send never sent, and counts a USSD request that the provider sends as an
SMS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_bridge.api import semysms
from custom_components.sms_bridge.api.semysms import CONF_USER_ID
from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_DEFAULT_PHONE,
    CONF_PROVIDER,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from custom_components.sms_bridge.outbox import RETRY_DELAYS
from tests.simulator import GatewaySimulator
from tests.simulator.semysms import SemySmsSimulator
from tests.test_send_reliability import next_retry, outage

TOKEN = "semy-token-0123456789abcdef"


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call send_message and return its response data."""
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def sent_today(entry: MockConfigEntry) -> int:
    """Return what the entry's send guard counted today."""
    return int(entry.runtime_data.guard.sent_today)


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1"}])
async def test_a_resend_waits_for_its_phones_turn(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A resend through a phone never overlaps a send through it at the gateway."""
    await send(hass, recipients=["+15550100"], message="First")
    failed = next(iter(simulator.messages))
    simulator.messages[failed]["status"] = "Failed"
    simulator.faults.latency = 0.2
    simulator.peak_in_flight = 0
    await asyncio.gather(
        send(hass, recipients=["+15550101"], message="Second"),
        hass.services.async_call(
            DOMAIN,
            "resend_messages",
            {"message_id": failed, "phone": "1"},
            blocking=True,
        ),
    )
    assert simulator.peak_in_flight == 1
    assert sent_today(integration) == 3


async def test_a_kept_send_given_up_gives_its_count_back(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Counted while it waits in the outbox; refused by the gateway later, counted no more."""
    restart_gateway = await outage(simulator)
    response = await send(hass, recipients=["+15550101", "+15550102"], message="Leak")
    assert response["queued"]
    assert sent_today(integration) == 2

    await restart_gateway()
    simulator.faults.reject_key = True
    await next_retry(hass, RETRY_DELAYS[0])
    assert len(integration.runtime_data.outbox) == 0
    assert simulator.messages == {}
    assert sent_today(integration) == 0


async def test_a_kept_send_counts_what_it_finally_sent(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A kept send that goes out later keeps counting: its messages went out."""
    restart_gateway = await outage(simulator)
    assert (await send(hass, recipients=["+15550101", "+15550102"], message="Leak"))["queued"]
    await restart_gateway()
    await next_retry(hass, RETRY_DELAYS[0])
    assert len(simulator.messages) == 2
    assert sent_today(integration) == 2


# -- SemySMS: spreading over phones, and USSD requests sent as SMS ------------------------------


@pytest.fixture
async def sim(monkeypatch: pytest.MonkeyPatch) -> AsyncGenerator[SemySmsSimulator]:
    """Run a SemySMS simulator (account 1, phones 351 and 352)."""
    simulator = SemySmsSimulator(token=TOKEN)
    await simulator.start()
    monkeypatch.setattr(semysms, "DEFAULT_URL", simulator.url)
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def semysms_entry(hass: HomeAssistant, sim: SemySmsSimulator) -> MockConfigEntry:
    """Set up a SemySMS entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SemySMS 1",
        unique_id=f"{sim.url}#user-1",
        data={
            CONF_PROVIDER: "semysms",
            CONF_API_KEY: TOKEN,
            CONF_USER_ID: "1",
            CONF_WEBHOOK_ID: "m" * 64,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_the_limits_count_the_messages_the_gateway_took(
    hass: HomeAssistant, semysms_entry: MockConfigEntry, sim: SemySmsSimulator
) -> None:
    """Spread over both phones: what is counted is what the service holds, not the recipients."""
    await send(hass, recipients=["+15550101", "+15550102"], message="Spread", routing="all_phones")
    assert len(sim.outbox) >= 2
    assert sent_today(semysms_entry) == len(sim.outbox)


async def test_a_ussd_request_sent_as_an_sms_counts(
    hass: HomeAssistant, semysms_entry: MockConfigEntry, sim: SemySmsSimulator
) -> None:
    """SemySMS dials a code by sending it an SMS, which costs one: the limits count it."""
    await hass.services.async_call(
        DOMAIN, "send_ussd", {"code": "*111#", "phone": "351"}, blocking=True
    )
    assert [row["msg"] for row in sim.outbox.values()] == ["[ussd]"]
    assert sent_today(semysms_entry) == 1
