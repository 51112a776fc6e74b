"""sms_bridge.send_message with dry_run, and the per-recipient part of every send's response.

Through Home Assistant's real service path against the gateway simulator: a dry run checks what a
send checks and answers what it would send, yet no request reaches the gateway, nothing waits in
the outbox and nothing counts against the limits.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
import re
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.sms_bridge.api import SendRequest
from custom_components.sms_bridge.api.smsc import SmscClient
from custom_components.sms_bridge.const import (
    CONF_ALLOWED_RECIPIENTS,
    CONF_DEFAULT_PHONE,
    CONF_DEFAULT_RECIPIENTS,
    CONF_MAX_PER_DAY,
    CONF_MAX_PER_MINUTE,
    DOMAIN,
)
from custom_components.sms_bridge.serialize import send_response
from tests.simulator import GatewaySimulator
from tests.simulator.smsc import LOGIN, PASSWORD, SmscSimulator

SENT_TODAY = "sensor.sms_gateway_messages_sent_today"
README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


async def call(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call send_message and return its response data."""
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def refusal(hass: HomeAssistant, **data: Any) -> ServiceValidationError:
    """Call send_message, expect it refused, and return the error."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, **data)
    return err.value


def recipient(
    number: str, encoding: str | None = "gsm7", segments: int | None = 1, cost: float | None = None
) -> dict[str, Any]:
    """Return the response data of a recipient a message goes (or would go) to."""
    return {
        "number": number,
        "error": None,
        "encoding": encoding,
        "segments": segments,
        "cost": cost,
    }


def refused(number: str, error: str) -> dict[str, Any]:
    """Return the response data of a recipient nothing would be sent to."""
    return {"number": number, "error": error, "encoding": None, "segments": None, "cost": None}


def nothing_happened(hass: HomeAssistant, entry: MockConfigEntry, sim: GatewaySimulator) -> None:
    """Assert that no request reached the gateway, the outbox is empty and nothing was counted."""
    assert sim.requests == []
    assert sim.messages == {}
    assert len(entry.runtime_data.outbox) == 0
    assert entry.runtime_data.guard.sent_today == 0
    state = hass.states.get(SENT_TODAY)
    assert state is not None
    assert state.state == "0"


async def test_dry_run_sends_nothing(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Each recipient with its number as it would be sent, or why it cannot be; nothing sent."""
    response = await call(
        hass,
        recipients=["+1 (555) 0100", "0612 345 678", "MyBank", "0044 7700 900123", "+15550100"],
        message="Garage {open} since 10:15",
        dry_run=True,
    )
    await hass.async_block_till_done()

    assert response == {
        "messages": [],
        "group_ids": [],
        "segments": 1,
        "encoding": "gsm7",
        "cost": None,
        "queued": None,
        "would_send": False,
        "recipients": [
            recipient("+15550100"),
            recipient("0612345678"),
            refused("MyBank", "unknown_contact"),
            recipient("+447700900123"),
        ],
    }
    nothing_happened(hass, integration, simulator)


async def test_dry_run_refuses_emergency_numbers(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """An emergency number is listed as refused, with why; a short code would be sent."""
    hass.config.country = "US"
    response = await call(
        hass, recipients=["911", "+1 555 0100", "43105", "112"], message="Hi", dry_run=True
    )
    assert response["would_send"] is False
    assert response["recipients"] == [
        refused("911", "emergency_number"),
        recipient("+15550100"),
        recipient("43105"),
        refused("112", "emergency_number"),
    ]
    nothing_happened(hass, integration, simulator)


@pytest.mark.usefixtures("integration")
async def test_readme_example(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """The README's "Check before you send" call answers the response the README shows."""
    section = re.split(r"\n#{2,} ", README.split("#### Check before you send", 1)[1], maxsplit=1)[0]
    call_block, response_block = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    example = yaml.safe_load(call_block)
    assert example["action"] == f"{DOMAIN}.send_message"
    assert example["data"]["dry_run"] is True

    response = await call(hass, **example["data"])
    assert response == yaml.safe_load(response_block)
    assert simulator.requests == []


@pytest.mark.usefixtures("integration")
async def test_dry_run_of_the_default_recipients(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Without recipients the default ones are checked, as a send would use them."""
    response = await call(hass, message="Hi", dry_run=True)
    assert response["recipients"] == [recipient("+15550100")]
    assert response["would_send"] is True
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("€" * 80, "gsm7", 1),  # extension characters count double
        ("€" * 81, "gsm7", 2),
        ("a" * 152 + "€" + "a" * 152, "gsm7", 3),  # the € does not fit the last septet of a part
        ("Дверь открыта", "ucs2", 1),
        ("Д" * 71, "ucs2", 2),
        ("Door 🚪" + "a" * 63, "ucs2", 1),  # the emoji takes two of the 70 units
        ("Door 🚪" + "a" * 64, "ucs2", 2),
    ],
)
@pytest.mark.usefixtures("integration")
async def test_dry_run_encoding_and_segments(
    hass: HomeAssistant, simulator: GatewaySimulator, text: str, encoding: str, segments: int
) -> None:
    """GSM-7 texts take 160 septets (153 a part), others 70 UTF-16 units (67 a part)."""
    response = await call(hass, recipients=["+15550101", "+15550102"], message=text, dry_run=True)
    assert (response["encoding"], response["segments"]) == (encoding, segments)
    assert response["recipients"] == [
        recipient("+15550101", encoding, segments),
        recipient("+15550102", encoding, segments),
    ]
    assert simulator.requests == []


@pytest.mark.usefixtures("integration")
async def test_dry_run_of_an_mms(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """An MMS is one message whatever its text, and has no SMS encoding."""
    response = await call(
        hass,
        recipients="+15550101",
        message="Дверь " * 40,
        type="mms",
        attachments="https://example.com/door.jpg",
        dry_run=True,
    )
    assert response["recipients"] == [recipient("+15550101", None, 1)]
    assert (response["encoding"], response["segments"]) == (None, 1)
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"recipients": "+15550101", "message": "  "}, "empty_message"),
        ({"recipients": "+15550101", "message": "a" * 1531}, "message_too_long"),
        ({"recipients": "+15550101", "message": "Hi", "phone": "9"}, "unknown_phone"),
        (
            {"recipients": "+15550101", "message": "Hi", "attachments": "https://example.com/a"},
            "attachments_need_mms",
        ),
        (
            {
                "recipients": "+15550101",
                "message": "Hi",
                "schedule": (dt_util.now() - timedelta(hours=1)).isoformat(),
            },
            "schedule_in_past",
        ),
        (
            {"recipients": [f"+1555{index:07d}" for index in range(1001)], "message": "Hi"},
            "too_many_recipients",
        ),
    ],
)
async def test_dry_run_refuses_what_a_send_refuses(
    hass: HomeAssistant,
    integration: MockConfigEntry,
    simulator: GatewaySimulator,
    data: dict[str, Any],
    key: str,
) -> None:
    """A mistake that refuses the send as a whole raises the same translated error."""
    dry = await refusal(hass, **data, dry_run=True)
    nothing_happened(hass, integration, simulator)
    real = await refusal(hass, **data)
    assert (dry.translation_domain, dry.translation_key) == (DOMAIN, key)
    assert (real.translation_key, real.translation_placeholders) == (
        dry.translation_key,
        dry.translation_placeholders,
    )


@pytest.mark.parametrize("entry_options", [{CONF_DEFAULT_PHONE: "1"}])
@pytest.mark.usefixtures("integration")
async def test_dry_run_without_any_recipient(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """No recipients and no default ones: refused as the send is."""
    err = await refusal(hass, message="Hi", dry_run=True)
    assert err.translation_key == "no_default_recipients"
    assert simulator.requests == []


@pytest.mark.parametrize(
    "entry_options",
    [
        {
            CONF_DEFAULT_PHONE: "1",
            CONF_DEFAULT_RECIPIENTS: ["+15550100"],
            CONF_ALLOWED_RECIPIENTS: ["+15550100", "+15550101"],
        }
    ],
)
async def test_dry_run_lists_recipients_not_allowed(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A number outside the allowed recipients is listed with its reason; the send is refused."""
    numbers = ["+1 555 0101", "+15550199", "12"]
    response = await call(hass, recipients=numbers, message="Hi", dry_run=True)
    assert response["recipients"] == [
        recipient("+15550101"),
        refused("+15550199", "recipient_not_allowed"),
        refused("12", "invalid_number"),
    ]
    assert response["would_send"] is False
    nothing_happened(hass, integration, simulator)

    err = await refusal(hass, recipients=numbers[:2], message="Hi")
    assert err.translation_key == "recipient_not_allowed"
    response = await call(hass, recipients=numbers[:1], message="Hi", dry_run=True)
    assert response["would_send"] is True


@pytest.mark.parametrize(
    "entry_options",
    [{CONF_DEFAULT_PHONE: "1", CONF_MAX_PER_MINUTE: 2, CONF_MAX_PER_DAY: 5}],
)
async def test_dry_run_spends_no_limit(
    hass: HomeAssistant, integration: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Dry runs count nothing; one over a limit is refused as the send would be, and no more."""
    for _ in range(3):
        await call(hass, recipients=["+15550101", "+15550102"], message="Hi", dry_run=True)
    nothing_happened(hass, integration, simulator)

    err = await refusal(
        hass, recipients=["+15550101", "+15550102", "+15550103"], message="Hi", dry_run=True
    )
    assert err.translation_key == "minute_limit"

    # The dry runs left the whole minute's budget: the real send of two goes through.
    response = await call(hass, recipients=["+15550101", "+15550102"], message="Hi")
    assert len(response["messages"]) == 2
    assert integration.runtime_data.guard.sent_today == 2

    # Over the daily limit: refused, yet the repair issue of a reached limit stays closed.
    err = await refusal(
        hass,
        recipients=[f"+1555010{index}" for index in range(4)],
        message="Hi",
        dry_run=True,
    )
    assert err.translation_key == "daily_limit"
    issue_id = f"daily_limit_reached_{integration.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert integration.runtime_data.guard.sent_today == 2


@pytest.mark.usefixtures("integration")
async def test_send_lists_each_recipient(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """A real send answers the same per-recipient fields, next to the keys it always had."""
    response = await call(hass, recipients=["+1 555 0101", "0612345678"], message="Ж" * 71)

    assert {"messages", "group_ids", "segments", "queued"} <= response.keys()
    assert [message["number"] for message in response["messages"]] == ["+15550101", "0612345678"]
    assert len(response["group_ids"]) == 1
    assert (response["segments"], response["encoding"], response["queued"]) == (2, "ucs2", None)
    assert response["recipients"] == [
        recipient("+15550101", "ucs2", 2),
        recipient("0612345678", "ucs2", 2),
    ]
    assert "would_send" not in response
    assert len(simulator.messages) == 2


@pytest.mark.usefixtures("integration")
async def test_queued_send_lists_each_recipient(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """A send kept in the outbox (gateway down) still lists its recipients."""
    await simulator.stop()
    response = await call(hass, recipients=["+15550101"], message="Hi")
    assert response["queued"]
    assert response["recipients"] == [recipient("+15550101")]


@pytest.fixture
async def smsc() -> AsyncGenerator[SmscSimulator]:
    """Run the SMSC simulator, whose send answer carries each number's cost."""
    simulator = SmscSimulator()
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def test_send_response_carries_the_providers_cost(smsc: SmscSimulator) -> None:
    """Where the provider's send answer has the cost and billed parts, each recipient has them."""
    async with aiohttp.ClientSession() as session:
        client = SmscClient(session, host=smsc.url, login=LOGIN, password=PASSWORD)
        request = SendRequest(("+79161234567", "+79161234568"), "Ж" * 100)
        messages = await client.send(request)

    response = send_response(request, messages)
    assert response["recipients"] == [
        recipient("+79161234567", "ucs2", 2, 5.80),
        recipient("+79161234568", "ucs2", 2, 5.80),
    ]
