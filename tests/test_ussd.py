"""The sms_bridge.send_ussd action: validation, waiting for the answer, timeouts, one per SIM.

The answer is awaited by webhook (HA's real webhook over HTTP) or by reading it back; timers are
moved with async_fire_time_changed, never waited for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.compat import vol
from custom_components.sms_bridge.const import (
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_SIM,
    DOMAIN,
    EVENT_USSD_RESPONSE,
    EVENT_USSD_TIMEOUT,
)
from tests.conftest import WEBHOOK_ID
from tests.simulator import GatewaySimulator, errors

SEND_USSD = "/services/send-ussd-request.php"
READ_USSD = "/services/read-ussd-requests.php"
BALANCE = "Balance 12.50"


def ussd(hass: HomeAssistant, **data: Any) -> Coroutine[Any, Any, ServiceResponse]:
    """Return the action call (to await, or to run as a task while the test acts)."""
    return hass.services.async_call(DOMAIN, "send_ussd", data, blocking=True, return_response=True)


def calls(simulator: GatewaySimulator, path: str) -> list[dict[str, Any]]:
    """Return the parameters of every call to ``path``, the API key left out."""
    return [
        {name: value for name, value in request.params.items() if name != "key"}
        for request in simulator.requests
        if request.path == path
    ]


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run (real HTTP included) until ``condition`` holds."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never met")


async def settle() -> None:
    """Let started calls run up to their first real wait (no I/O happens before the lock)."""
    for _ in range(20):
        await asyncio.sleep(0)


def skip_time(hass: HomeAssistant, seconds: float) -> None:
    """Run the timers due within ``seconds``."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))


@pytest.fixture
async def gateway(
    hass_client_no_auth: ClientSessionGenerator,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
) -> GatewaySimulator:
    """The simulator, posting its webhooks to the entry's webhook on HA's test server."""
    client: TestClient = await hass_client_no_auth()
    simulator.webhook_url = str(client.make_url(f"/api/webhook/{WEBHOOK_ID}"))
    return simulator


@pytest.mark.usefixtures("gateway")
async def test_without_wait(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The request returns at once; its answer comes as an event, once."""
    answers = async_capture_events(hass, EVENT_USSD_RESPONSE)
    response = await ussd(hass, code="*100#")

    assert calls(simulator, SEND_USSD) == [{"request": "*100#", "device": "1"}]
    row = simulator.ussd_requests[1]
    assert response == {
        "request": {
            "ussd_id": "1",
            "request": "*100#",
            "response": None,
            "phone_id": "1",
            "sim": None,
            "sent_at": dt_util.parse_datetime(row["sentDate"]).isoformat(),
            "responded_at": None,
        },
        "timed_out": False,
    }

    await simulator.answer_ussd(1, BALANCE)
    await hass.async_block_till_done()
    assert [event.data["response"] for event in answers] == [BALANCE]
    # The SIM is free again: the next request goes out at once.
    await ussd(hass, code="*101#")
    assert len(calls(simulator, SEND_USSD)) == 2


@pytest.mark.usefixtures("gateway")
async def test_wait_answered_by_webhook(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """With wait, the call returns the answer the webhook brings; nothing is read back."""
    call = asyncio.create_task(ussd(hass, code="*100#", phone="2", sim=1, wait=True))
    await until(lambda: bool(simulator.ussd_requests))

    row = await simulator.answer_ussd(1, BALANCE)
    response = await call

    assert calls(simulator, SEND_USSD) == [{"request": "*100#", "device": "2", "sim": "0"}]
    assert response is not None
    assert response["timed_out"] is False
    assert response["request"] | {"sent_at": None} == {
        "ussd_id": "1",
        "request": "*100#",
        "response": BALANCE,
        "phone_id": "2",
        "sim": 1,
        "sent_at": None,
        "responded_at": dt_util.parse_datetime(row["responseDate"]).isoformat(),
    }
    assert calls(simulator, READ_USSD) == []


@pytest.mark.usefixtures("integration")
async def test_wait_answered_by_polling(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Without webhooks the answer is read back; its event still fires, once."""
    answers = async_capture_events(hass, EVENT_USSD_RESPONSE)
    call = asyncio.create_task(ussd(hass, code="*100#", wait=True))
    await until(lambda: bool(simulator.ussd_requests))

    skip_time(hass, 5)
    await until(lambda: len(calls(simulator, READ_USSD)) == 1)

    simulator.set_ussd_response(1, BALANCE)
    skip_time(hass, 5)
    response = await call

    assert response is not None
    assert (response["request"]["response"], response["timed_out"]) == (BALANCE, False)
    assert calls(simulator, READ_USSD) == [{"id": "1"}, {"id": "1"}]
    await hass.async_block_till_done()
    assert [(event.data["ussd_id"], event.data["response"]) for event in answers] == [
        ("1", BALANCE)
    ]


@pytest.mark.usefixtures("integration")
async def test_polling_survives_errors(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A failed read is retried at the next poll."""
    call = asyncio.create_task(ussd(hass, code="*100#", wait=True))
    await until(lambda: bool(simulator.ussd_requests))
    simulator.set_ussd_response(1, BALANCE)
    simulator.faults.http_500 = True

    skip_time(hass, 5)
    await until(lambda: len(calls(simulator, READ_USSD)) == 1)
    simulator.faults.reset()
    skip_time(hass, 5)
    response = await call

    assert response is not None
    assert response["request"]["response"] == BALANCE
    assert len(calls(simulator, READ_USSD)) == 2


async def test_wait_times_out(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """No answer within the timeout: timed_out, an event, and the SIM is free again."""
    timeouts = async_capture_events(hass, EVENT_USSD_TIMEOUT)
    call = asyncio.create_task(ussd(hass, code="*100#", sim=2, wait=True, timeout=5))
    await until(lambda: bool(simulator.ussd_requests))

    skip_time(hass, 5)
    response = await call

    assert response is not None
    assert response["timed_out"] is True
    assert (response["request"]["ussd_id"], response["request"]["response"]) == ("1", None)
    assert [event.data for event in timeouts] == [
        {
            "config_entry_id": integration.entry_id,
            "ussd_id": "1",
            "request": "*100#",
            "phone_id": "1",
            "sim": 2,
        }
    ]
    await ussd(hass, code="*101#", sim=2)
    assert len(calls(simulator, SEND_USSD)) == 2


async def test_a_bus_event_is_not_an_answer(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Anything can fire the public bus event: the wait takes only what the gateway answered."""
    call = asyncio.create_task(ussd(hass, code="*100#", wait=True, timeout=5))
    await until(lambda: bool(simulator.ussd_requests))
    for _ in range(50):  # over the time the action takes to start waiting
        hass.bus.async_fire(
            EVENT_USSD_RESPONSE,
            {"config_entry_id": integration.entry_id, "ussd_id": "1", "response": "forged"},
        )
        await asyncio.sleep(0.01)

    skip_time(hass, 5)
    response = await call
    assert response is not None
    assert (response["timed_out"], response["request"]["response"]) == (True, None)


@pytest.mark.usefixtures("integration")
async def test_timeout_without_wait(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A request nobody waits for is still watched: its timeout fires the event too."""
    timeouts = async_capture_events(hass, EVENT_USSD_TIMEOUT)
    await ussd(hass, code="*100#")

    skip_time(hass, 59)
    await hass.async_block_till_done()
    assert timeouts == []
    skip_time(hass, 60)
    await until(lambda: bool(timeouts))
    assert timeouts[0].data["ussd_id"] == "1"


@pytest.mark.usefixtures("gateway")
async def test_one_request_per_sim(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A second code for the same SIM reaches the gateway only once the first is answered."""
    sent_when_first_done: list[int] = []
    first = asyncio.create_task(ussd(hass, code="*100#", wait=True))
    first.add_done_callback(lambda _: sent_when_first_done.append(len(calls(simulator, SEND_USSD))))
    await until(lambda: bool(simulator.ussd_requests))
    second = asyncio.create_task(ussd(hass, code="*101#", wait=True))
    await settle()
    assert len(calls(simulator, SEND_USSD)) == 1

    await simulator.answer_ussd(1, BALANCE)
    await first
    await until(lambda: 2 in simulator.ussd_requests)
    await simulator.answer_ussd(2, "Data 1 GB")
    response = await second

    assert sent_when_first_done == [1]
    assert [c["request"] for c in calls(simulator, SEND_USSD)] == ["*100#", "*101#"]
    assert response is not None
    assert response["request"]["response"] == "Data 1 GB"


@pytest.mark.usefixtures("gateway")
async def test_other_sim_not_blocked(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Another SIM of the same phone does not wait."""
    first = asyncio.create_task(ussd(hass, code="*100#", sim=1, wait=True))
    await until(lambda: bool(simulator.ussd_requests))
    await ussd(hass, code="*100#", sim=2)
    assert [c.get("sim") for c in calls(simulator, SEND_USSD)] == ["0", "1"]
    await simulator.answer_ussd(1, BALANCE)
    await first


@pytest.mark.usefixtures("integration")
async def test_busy_sim(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A second request gives up when the SIM stays busy for its whole timeout."""
    await ussd(hass, code="*100#")
    second = asyncio.create_task(ussd(hass, code="*101#", timeout=5))
    await settle()
    assert not second.done()
    skip_time(hass, 5)
    with pytest.raises(HomeAssistantError) as err:
        await second
    assert err.value.translation_key == "ussd_busy"
    assert err.value.translation_placeholders == {"phone": "Office phone"}
    assert len(calls(simulator, SEND_USSD)) == 1


async def test_unload_frees_the_sim(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Unloading stops the watch without a timeout event; after reload the SIM is free."""
    timeouts = async_capture_events(hass, EVENT_USSD_TIMEOUT)
    await ussd(hass, code="*100#")
    assert await hass.config_entries.async_reload(integration.entry_id)
    await hass.async_block_till_done()

    await ussd(hass, code="*101#")
    assert [c["request"] for c in calls(simulator, SEND_USSD)] == ["*100#", "*101#"]
    assert timeouts == []


@pytest.mark.parametrize(
    ("entry_options", "data", "sent"),
    [
        ({CONF_DEFAULT_PHONE: "1", CONF_DEFAULT_SIM: 2}, {}, {"device": "1", "sim": "1"}),
        ({CONF_DEFAULT_PHONE: "1", CONF_DEFAULT_SIM: 2}, {"phone": "2"}, {"device": "2"}),
        ({CONF_DEFAULT_PHONE: "1", CONF_DEFAULT_SIM: 2}, {"sim": 1}, {"device": "1", "sim": "0"}),
        ({}, {"phone": "2"}, {"device": "2"}),
    ],
    ids=["default_sim", "other_phone", "explicit_sim", "no_default"],
)
@pytest.mark.usefixtures("integration")
async def test_phone_and_sim(
    hass: HomeAssistant, simulator: GatewaySimulator, data: dict[str, Any], sent: dict[str, str]
) -> None:
    """The default SIM belongs to the default phone; the SIM number is 1-based."""
    await ussd(hass, code=" *100# ", **data)
    assert calls(simulator, SEND_USSD) == [{"request": "*100#", **sent}]


@pytest.mark.parametrize(
    "code", ["100", "*100", "100#", "*1 00#", "*abc#", "*#", "*+33#", "*" + "1" * 29 + "#"]
)
@pytest.mark.usefixtures("integration")
async def test_invalid_code(hass: HomeAssistant, simulator: GatewaySimulator, code: str) -> None:
    """Only USSD codes are dialled."""
    with pytest.raises(ServiceValidationError) as err:
        await ussd(hass, code=code)
    assert err.value.translation_key == "invalid_ussd_code"
    assert err.value.translation_placeholders == {"code": code}
    assert simulator.requests == []


@pytest.mark.parametrize("code", ["*123*1#", "#123#", "*" + "1" * 28 + "#"])
@pytest.mark.usefixtures("integration")
async def test_valid_codes(hass: HomeAssistant, simulator: GatewaySimulator, code: str) -> None:
    """Menu codes, # codes and codes of 30 characters are dialled."""
    await ussd(hass, code=code)
    assert calls(simulator, SEND_USSD)[0]["request"] == code


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({"phone": "9"}, "unknown_phone", {"phone": "9"}),
        (
            {"phone": "1", "sim": 3},
            "unknown_sim",
            {"phone": "Office phone", "sim": "3", "sims": "1 (Free), 2 (+33600000002)"},
        ),
        (
            {"phone": "2", "sim": 2},
            "unknown_sim",
            {"phone": "Pixel 7", "sim": "2", "sims": "1 (Orange F)"},
        ),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_invalid_phone(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """An unknown phone or SIM is refused before any request."""
    with pytest.raises(ServiceValidationError) as err:
        await ussd(hass, code="*100#", **data)
    assert err.value.translation_key == key
    assert err.value.translation_placeholders == placeholders
    assert simulator.requests == []


@pytest.mark.parametrize("entry_options", [{}], ids=["no_default_phone"])
@pytest.mark.usefixtures("integration")
async def test_phone_required(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Without a default phone the phone must be given."""
    with pytest.raises(ServiceValidationError) as err:
        await ussd(hass, code="*100#")
    assert err.value.translation_key == "ussd_needs_phone"
    assert simulator.requests == []


@pytest.mark.parametrize("seconds", [4, 301])
@pytest.mark.usefixtures("integration")
async def test_timeout_range(
    hass: HomeAssistant, simulator: GatewaySimulator, seconds: int
) -> None:
    """The timeout stays between 5 seconds and 5 minutes."""
    with pytest.raises(vol.Invalid):
        await ussd(hass, code="*100#", timeout=seconds)
    assert simulator.requests == []


@pytest.mark.usefixtures("integration")
async def test_gateway_refuses(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The gateway's reasons reach the user; a refused request leaves the SIM free."""
    simulator.phones[1].sims.pop(1)  # the coordinator still lists SIM 2
    with pytest.raises(HomeAssistantError) as err:
        await ussd(hass, code="*100#", sim=2, wait=True)
    assert err.value.translation_key == "gateway_error"
    assert err.value.translation_placeholders == {"error": errors.ussd_sim_missing("1", "1")}

    simulator.phones[2].enabled = False
    with pytest.raises(HomeAssistantError) as err:
        await ussd(hass, code="*100#", phone="2")
    assert err.value.translation_placeholders == {"error": errors.unable_to_connect("Pixel 7 [2]")}

    simulator.phones[1].sims[1] = "SIM #2"
    await ussd(hass, code="*100#", sim=2)
    assert len(calls(simulator, SEND_USSD)) == 3


@pytest.mark.usefixtures("integration")
async def test_without_response(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Called without asking for a response, the code is still dialled."""
    result = await hass.services.async_call(DOMAIN, "send_ussd", {"code": "*100#"}, blocking=True)
    assert result is None
    assert len(calls(simulator, SEND_USSD)) == 1
