"""The webhook: authentication, parsing, size and content type.

Requests come from the simulator (the gateway's own signing and PHP encoding) where it can
express the case, else from HA's test client with hand-built bodies, and for the cloudhook path
through `async_handle_webhook` with a `MockRequest`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import UTC, datetime, timedelta
import hmac
import json
import logging
import sys
from types import ModuleType
from unittest.mock import AsyncMock, MagicMock, patch

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant import components
from homeassistant.components.webhook import async_handle_webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.json import json_bytes
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient, sign
from custom_components.sms_bridge.const import (
    CONF_API_KEY,
    CONF_PREVIOUS_API_KEY,
    CONF_PREVIOUS_API_KEY_EXPIRES,
    CONF_PROVIDER,
    CONF_URL,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_USSD_RESPONSE,
)
from custom_components.sms_bridge.webhook_url import async_delete_cloudhook, async_webhook_url
from tests.conftest import API_KEY, WEBHOOK_ID
from tests.helpers import LOGGER_NAME, check_logs, received
from tests.simulator import GatewaySimulator, php

PATH = f"/api/webhook/{WEBHOOK_ID}"
FORM = "application/x-www-form-urlencoded"
OBSERVED_KEY = "testkey1234567890"


MESSAGES = php.json_encode([received()])
USSD = php.json_encode(
    {
        "ID": 7,
        "request": "*150#",
        "response": "Balance: 10.00",
        "userID": 1,
        "deviceID": 1,
        "simSlot": 0,
        "sentDate": "2025-05-01T10:00:00+0000",
        "responseDate": "2025-05-01T10:00:09+0000",
    }
)


def signed(value: str, key: str = API_KEY) -> dict[str, str]:
    """Headers of a gateway webhook carrying `value`."""
    return {"Content-Type": FORM, "X-SG-Signature": sign(key, value)}


@pytest.fixture(autouse=True)
def no_secrets_or_tracebacks(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Every test: our logs never show the API key or webhook id, and nothing raised."""
    yield from check_logs(caplog)


def logged_with_the_id(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Home Assistant's and our log lines at info or above that carry the webhook id.

    The test client's access log is left out: Home Assistant keeps none.
    """
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.INFO
        and record.name != "aiohttp.access"
        and WEBHOOK_ID in record.getMessage()
    ]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings our integration logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(LOGGER_NAME) and record.levelno == logging.WARNING
    ]


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Bus events of incoming messages."""
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED)


async def mock_post(hass: HomeAssistant, body: bytes, headers: dict[str, str]) -> int:
    """POST through HA's cloudhook path: `async_handle_webhook` with a `MockRequest`."""
    request = MockRequest(content=body, mock_source="test", method="POST", headers=headers)
    response = await async_handle_webhook(hass, WEBHOOK_ID, request)
    return response.status


# -- authentication ----------------------------------------------------------------------------


async def test_a1_valid_signature_fires_one_event(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    events: list[Event],
    init_integration: MockConfigEntry,
) -> None:
    """A message signed by the gateway fires exactly one event with its data."""
    sent = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    row = await gateway.receive_sms("+33612345678", "Hello", phone_id=1, sim_slot=1, sent_date=sent)
    await hass.async_block_till_done()

    assert gateway.webhook_results == [200]
    assert [event.data for event in events] == [
        {
            "config_entry_id": init_integration.entry_id,
            "message_id": str(row["ID"]),
            "number": "+33612345678",
            "number_e164": "+33612345678",
            "contact": None,
            "text": "Hello",
            "phone_id": "1",
            "phone_name": "Office phone",
            "sim": 2,
            "sent_at": "2025-05-01T10:00:00+00:00",
            "received_at": php.parse_iso8601(row["deliveredDate"]).isoformat(),
        }
    ]


async def test_a2_missing_signature(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No signature header: 401, no event, one warning without the payload."""
    assert await gateway.post_webhook("messages", MESSAGES, signature="") == 401
    await hass.async_block_till_done()

    assert events == []
    assert len(warnings(caplog)) == 1
    assert "Hello" not in warnings(caplog)[0]
    assert "+33612345678" not in warnings(caplog)[0]


@pytest.mark.parametrize("signature", ["", "   "])
async def test_a3_empty_signature(client: TestClient, events: list[Event], signature: str) -> None:
    """An empty or blank header is no signature."""
    response = await client.post(
        PATH,
        data=php.form_encode("messages", MESSAGES),
        headers={"Content-Type": FORM, "X-SG-Signature": signature},
    )
    assert response.status == 401
    assert events == []


async def test_a4_signature_of_another_key(gateway: GatewaySimulator, events: list[Event]) -> None:
    """A signature made with another key is refused."""
    forged = sign("another-key", MESSAGES)
    assert await gateway.post_webhook("messages", MESSAGES, signature=forged) == 401
    assert events == []


async def test_gateway_signing_with_another_key_raises_a_repair_issue(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    events: list[Event],
    init_integration: MockConfigEntry,
) -> None:
    """Requests in a row signed with another key (changed on the gateway) raise an issue.

    One stray request does not; the next valid webhook clears it, and so does unloading.
    """
    issue_id = f"webhook_bad_signature_{init_integration.entry_id}"
    registry = ir.async_get(hass)
    forged = sign("the-new-key-on-the-gateway", MESSAGES)
    for attempt in range(3):
        assert registry.async_get_issue(DOMAIN, issue_id) is None, attempt
        assert await gateway.post_webhook("messages", MESSAGES, signature=forged) == 401
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"entry_title": "SMS Gateway", "count": "3"}
    assert events == []

    await gateway.receive_sms("+33612345678", "Hello")
    await hass.async_block_till_done()
    assert len(events) == 1
    assert registry.async_get_issue(DOMAIN, issue_id) is None

    for _ in range(3):
        await gateway.post_webhook("messages", MESSAGES, signature=forged)
    assert registry.async_get_issue(DOMAIN, issue_id) is not None
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a5_tampered_value(gateway: GatewaySimulator, events: list[Event]) -> None:
    """The original signature on a changed value is refused."""
    tampered = php.json_encode([received(message="Send 100 EUR to Mallory")])
    assert (
        await gateway.post_webhook("messages", tampered, signature=sign(API_KEY, MESSAGES)) == 401
    )
    assert events == []


@pytest.mark.parametrize(
    "signature",
    [
        "!!!",
        sign(API_KEY, MESSAGES)[:24],  # valid base64 of 18 bytes, not 32
        hmac.new(API_KEY.encode(), MESSAGES.encode(), "sha256").hexdigest(),  # hex, not base64
    ],
    ids=["not_base64", "wrong_length", "hex_digest"],
)
async def test_a6_malformed_signature(
    gateway: GatewaySimulator, events: list[Event], signature: str
) -> None:
    """Malformed signatures are refused without a traceback."""
    assert await gateway.post_webhook("messages", MESSAGES, signature=signature) == 401
    assert events == []


async def test_a7_non_ascii_signature(client: TestClient, events: list[Event]) -> None:
    """A non-ASCII header is refused, not a TypeError from compare_digest."""
    response = await client.post(
        PATH,
        data=php.form_encode("messages", MESSAGES),
        headers={"Content-Type": FORM, "X-SG-Signature": "é"},
    )
    assert response.status == 401
    assert events == []


async def test_a8_lowercase_header_name(client: TestClient, events: list[Event]) -> None:
    """Header names are case-insensitive."""
    response = await client.post(
        PATH,
        data=php.form_encode("messages", MESSAGES),
        headers={"content-type": FORM, "x-sg-signature": sign(API_KEY, MESSAGES)},
    )
    assert response.status == 200
    assert len(events) == 1


async def test_a9_php_cgi_header_name(client: TestClient, events: list[Event]) -> None:
    """`HTTP_X_SG_SIGNATURE` is PHP's name for the header, not a header."""
    response = await client.post(
        PATH,
        data=php.form_encode("messages", MESSAGES),
        headers={"Content-Type": FORM, "HTTP_X_SG_SIGNATURE": sign(API_KEY, MESSAGES)},
    )
    assert response.status == 401
    assert events == []


async def test_a10_empty_api_key_fails_closed(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With an empty API key even a request "signed" with it is refused and logged."""
    sim = GatewaySimulator(api_key="")
    await sim.start()
    try:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Keyless",
            data={
                CONF_PROVIDER: "sms_gateway",
                CONF_URL: sim.url,
                CONF_API_KEY: "",
                CONF_WEBHOOK_ID: WEBHOOK_ID,
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        client = await hass_client_no_auth()
        response = await client.post(
            PATH, data=php.form_encode("messages", MESSAGES), headers=signed(MESSAGES, key="")
        )
        await hass.async_block_till_done()
    finally:
        await sim.stop()

    assert response.status == 401
    assert events == []
    assert len(warnings(caplog)) == 1
    assert "no API key configured" in warnings(caplog)[0]


@pytest.mark.parametrize(
    ("expires_in", "accepted"),
    [(timedelta(hours=1), True), (timedelta(hours=-1), False)],
    ids=["grace_period", "expired"],
)
async def test_a11_previous_key_during_rotation(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    expires_in: timedelta,
    accepted: bool,
) -> None:
    """The replaced key still verifies webhooks during its grace period only."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        data={
            **config_entry.data,
            CONF_PREVIOUS_API_KEY: "old-api-key",
            CONF_PREVIOUS_API_KEY_EXPIRES: (datetime.now(UTC) + expires_in).isoformat(),
        },
        options=config_entry.options,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    client = await hass_client_no_auth()

    response = await client.post(
        PATH, data=php.form_encode("messages", MESSAGES), headers=signed(MESSAGES, "old-api-key")
    )
    await hass.async_block_till_done()

    assert response.status == (200 if accepted else 401)
    assert len(events) == accepted


async def test_a12_messages_value_posted_as_ussd(
    gateway: GatewaySimulator, events: list[Event]
) -> None:
    """The field name is not signed; a message list posted as `ussdRequest` is refused."""
    assert await gateway.post_webhook("ussdRequest", MESSAGES) == 400
    assert events == []


async def test_a13_unknown_webhook_id(client: TestClient, events: list[Event]) -> None:
    """Home Assistant answers 200 for an unknown id and never calls our handler."""
    response = await client.post(
        "/api/webhook/not-our-id",
        data=php.form_encode("messages", MESSAGES),
        headers=signed(MESSAGES),
    )
    assert response.status == 200
    assert events == []


@pytest.mark.parametrize(("method", "status"), [("GET", 405), ("HEAD", 200), ("PUT", 405)])
async def test_a14_methods(
    client: TestClient,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
    method: str,
    status: int,
) -> None:
    """Only POST is taken; a HEAD gets 200 (the URL exists). Nothing is logged with the
    webhook id, which a user checking the URL in a browser would otherwise paste with the log."""
    response = await client.request(
        method, PATH, data=php.form_encode("messages", MESSAGES), headers=signed(MESSAGES)
    )
    assert response.status == status
    if status == 405:
        assert response.headers["Allow"] == "POST"
    assert events == []
    assert warnings(caplog) == []
    assert not logged_with_the_id(caplog)


@pytest.mark.parametrize("error", [RecursionError, ValueError, KeyError])
async def test_an_unexpected_error_of_the_client_is_answered_400_without_the_id(
    client: TestClient,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
    error: type[Exception],
) -> None:
    """A defect of the client a hostile body reaches (injected here) never reaches Home
    Assistant's logger, which would log a traceback with the webhook id."""
    with patch.object(SmsGatewayClient, "handle_webhook", side_effect=error("boom")):
        response = await client.post(
            PATH, data=php.form_encode("messages", MESSAGES), headers=signed(MESSAGES)
        )
    assert response.status == 400
    assert events == []
    assert not logged_with_the_id(caplog)
    assert not [r for r in caplog.records if r.exc_info and r.levelno > logging.DEBUG]


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (php.form_encode("messages", MESSAGES).encode(), signed(MESSAGES), 200),
        (php.form_encode("messages", MESSAGES).encode(), {"Content-Type": FORM}, 401),
        (
            php.form_encode("messages", MESSAGES).encode(),
            {"Content-Type": FORM, "X-SG-Signature": sign("another-key", MESSAGES)},
            401,
        ),
        (
            php.form_encode("messages", MESSAGES).encode(),
            signed(MESSAGES) | {"X-SG-Signature": "é"},
            401,
        ),
        (php.form_encode("messages", "not json").encode(), signed("not json"), 400),
        (php.form_encode("ussdRequest", MESSAGES).encode(), signed(MESSAGES), 400),
        (MESSAGES.encode(), signed(MESSAGES) | {"Content-Type": "application/json"}, 415),
        (
            php.form_encode("messages", MESSAGES).encode(),
            signed(MESSAGES) | {"Content-Length": str(300 * 1024)},
            413,
        ),
        (b"messages=" + b"x" * 300 * 1024, signed(MESSAGES), 413),
        (b"messages=\xff\xfe", signed(MESSAGES), 400),
    ],
    ids=[
        "valid",
        "missing_signature",
        "wrong_key",
        "non_ascii_signature",
        "not_json",
        "messages_as_ussd",
        "json_content_type",
        "content_length_too_large",
        "body_too_large",
        "invalid_utf8",
    ],
)
async def test_a15_cloudhook_mock_request(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    body: bytes,
    headers: dict[str, str],
    status: int,
) -> None:
    """The cloudhook path (a `MockRequest`) answers like the direct one."""
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    assert await mock_post(hass, body, headers) == status
    await hass.async_block_till_done()
    assert len(events) == (status == 200)


async def test_a15_cloudhook_ussd(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A USSD answer through the cloudhook path fires its event."""
    ussd_events = async_capture_events(hass, EVENT_USSD_RESPONSE)
    assert await mock_post(hass, php.form_encode("ussdRequest", USSD).encode(), signed(USSD)) == 200
    await hass.async_block_till_done()
    assert [event.data["response"] for event in ussd_events] == ["Balance: 10.00"]


async def test_a16_timing_safe_comparison(gateway: GatewaySimulator) -> None:
    """The signature is compared with `hmac.compare_digest`."""
    with patch("hmac.compare_digest", wraps=hmac.compare_digest) as compare:
        assert await gateway.post_webhook("messages", MESSAGES) == 200
    compare.assert_called()


async def test_rejections_are_logged_once_a_minute(
    gateway: GatewaySimulator,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A flood of forged requests gives one warning a minute, the rest at debug level."""
    for _ in range(5):
        assert await gateway.post_webhook("messages", MESSAGES, signature="forged") == 401
    assert len(warnings(caplog)) == 1

    freezer.tick(timedelta(seconds=61))
    assert await gateway.post_webhook("messages", MESSAGES, signature="forged") == 401
    assert len(warnings(caplog)) == 2
    assert sum("Rejected a webhook request" in record.message for record in caplog.records) == 6


# -- parsing, size and content type ------------------------------------------------------------


async def test_p1_not_json(
    gateway: GatewaySimulator, events: list[Event], caplog: pytest.LogCaptureFixture
) -> None:
    """A signed field that is not JSON: 400 with an "invalid JSON" warning."""
    assert await gateway.post_webhook("messages", "not json") == 400
    assert events == []
    assert "not valid JSON" in warnings(caplog)[0]
    assert "not json" not in warnings(caplog)[0]


WRONG_SHAPES = {
    "object": (json.dumps(received()), "'messages' must be a list of message objects"),
    "list_of_strings": (json.dumps(["hello"]), "Message 1 of the batch is not an object"),
    "no_id": (
        json.dumps([received(1), {k: v for k, v in received().items() if k != "ID"}]),
        "Message 2 has no valid 'ID'",
    ),
    "no_number": (
        json.dumps([{k: v for k, v in received().items() if k != "number"}]),
        "Message 1 lacks its 'number' or 'message' text",
    ),
    "no_message": (
        json.dumps([{k: v for k, v in received().items() if k != "message"}]),
        "Message 1 lacks its 'number' or 'message' text",
    ),
    "id_object": (json.dumps([received(ID={"id": 1})]), "Message 1 has no valid 'ID'"),
}


@pytest.mark.parametrize(("value", "reason"), WRONG_SHAPES.values(), ids=WRONG_SHAPES)
async def test_wrong_shape_is_refused(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
    *,
    value: str,
    reason: str,
) -> None:
    """JSON of the wrong shape is refused as a whole, saying which message and field.

    Through the direct path and the cloudhook path alike; the warning quotes no value.
    """
    assert await gateway.post_webhook("messages", value) == 400
    # Nothing in flight when the clock jumps: a request then would outlive its timeout.
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(seconds=61))  # past the once-a-minute warning limit
    body = php.form_encode("messages", value).encode()
    assert await mock_post(hass, body, signed(value)) == 400
    await hass.async_block_till_done()
    assert events == []
    assert len(warnings(caplog)) == 2
    for warning in warnings(caplog):
        assert f"(HTTP 400): {reason}" in warning
        assert "+33612345678" not in warning
        assert "Hello" not in warning


def no_error_with_webhook_id(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing logged a traceback, nor a warning or error with the webhook id in it.

    Home Assistant's "Error processing webhook <id>" is what an exception out of our handler
    gives. Its debug and access logs show the id on every request: that is not ours to change.
    """
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        if record.levelno >= logging.WARNING:
            assert WEBHOOK_ID not in record.getMessage()


NOT_AN_ID = {
    "above_64_bits": 2**64,
    "above_javascript_precision": 2**53,
    "true": True,
    "arabic_indic_digits": "\u0667\u0667",
    "full_width_digits": "\uff17\uff17",
    "negative": -1,
}


@pytest.mark.parametrize("message_id", NOT_AN_ID.values(), ids=NOT_AN_ID)
async def test_message_id_beyond_bounds_is_refused(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
    message_id: object,
) -> None:
    """A message ID that is not a whole number Home Assistant can store refuses the batch.

    `true` is not message 1, Arabic-Indic "77" is not message 77: the batch is refused.
    """
    value = json.dumps([received(1), received(ID=message_id)])
    assert await gateway.post_webhook("messages", value) == 400
    await hass.async_block_till_done()
    assert events == []
    assert "Message 2 has no valid 'ID'" in warnings(caplog)[0]
    no_error_with_webhook_id(caplog)


@pytest.mark.parametrize("ussd_id", [None, {"ID": 7}, 2**64, True], ids=str)
async def test_ussd_id_beyond_bounds_is_refused(
    hass: HomeAssistant, gateway: GatewaySimulator, ussd_id: object
) -> None:
    """A USSD answer whose ID is null, an object or out of range is refused like a message."""
    ussd_events = async_capture_events(hass, EVENT_USSD_RESPONSE)
    value = json.dumps(json.loads(USSD) | {"ID": ussd_id})
    assert await gateway.post_webhook("ussdRequest", value) == 400
    await hass.async_block_till_done()
    assert ussd_events == []


async def test_numbers_beyond_bounds_leave_fields_empty(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A SIM slot, a phone id or a schedule no gateway writes is dropped; the message fires.

    Before, one such number made the event impossible to store: the recorder, the websocket
    and the saving of every entity's restore state all failed on it.
    """
    value = json.dumps(
        [received(41, simSlot=10**30, schedule=10**20), received(42, deviceID=2**64)]
    )
    assert await gateway.post_webhook("messages", value) == 200
    await hass.async_block_till_done()
    assert [(e.data["message_id"], e.data["sim"], e.data["phone_id"]) for e in events] == [
        ("41", None, "1"),
        ("42", 1, None),
    ]
    for event in events:
        json_bytes(event.data)  # Home Assistant's own encoder: 64-bit integers at most
    for state in hass.states.async_all():
        json_bytes(state.as_dict())
    no_error_with_webhook_id(caplog)


DEEP = {
    "nested_20000_deep": "[" * 20_000 + "]" * 20_000,  # 120 KB form-encoded: under the cap
    "message_nested_deep": json.dumps([received()])[:-2]
    + ', "x": '
    + "[" * 5_000
    + "]" * 5_000
    + "}]",
}


@pytest.mark.parametrize("value", DEEP.values(), ids=DEEP)
async def test_deeply_nested_json_is_refused(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    events: list[Event],
    caplog: pytest.LogCaptureFixture,
    value: str,
) -> None:
    """JSON nested far deeper than the gateway writes: 400 on both paths, no traceback.

    Before, Python's RecursionError escaped: Home Assistant answered 200, logged a traceback
    with the webhook id, and the batch was lost.
    """
    assert await gateway.post_webhook("messages", value) == 400
    body = php.form_encode("messages", value).encode()
    assert await mock_post(hass, body, signed(value)) == 400
    await hass.async_block_till_done()
    assert events == []
    assert "nested over 32 levels" in warnings(caplog)[0]
    no_error_with_webhook_id(caplog)


@pytest.mark.parametrize(
    "body",
    [
        f"{php.form_encode('messages', MESSAGES)}&{php.form_encode('ussdRequest', USSD)}",
        "foo=bar",
    ],
    ids=["both_fields", "neither_field"],
)
async def test_p3_field_count(client: TestClient, events: list[Event], body: str) -> None:
    """Exactly one of `messages` and `ussdRequest` is required."""
    response = await client.post(PATH, data=body, headers=signed(MESSAGES))
    assert response.status == 400
    assert events == []


async def test_p4_duplicated_field(client: TestClient, events: list[Event]) -> None:
    """`messages=A&messages=B`: what is verified must be what is processed."""
    other = php.json_encode([received(42)])
    body = f"{php.form_encode('messages', MESSAGES)}&{php.form_encode('messages', other)}"
    response = await client.post(PATH, data=body, headers=signed(MESSAGES))
    assert response.status == 400
    assert events == []


async def test_p5_json_body(client: TestClient, events: list[Event]) -> None:
    """A JSON body would look like an empty form: 415."""
    response = await client.post(
        PATH, data=MESSAGES, headers=signed(MESSAGES) | {"Content-Type": "application/json"}
    )
    assert response.status == 415
    assert events == []


async def test_p6_multipart_direct(client: TestClient, events: list[Event]) -> None:
    """Multipart is refused on the direct path too (the gateway sends URL-encoded forms)."""
    form = FormData()
    form.add_field("messages", MESSAGES, content_type="text/plain")
    response = await client.post(
        PATH, data=form, headers={"X-SG-Signature": sign(API_KEY, MESSAGES)}
    )
    assert response.status == 415
    assert events == []


async def test_p6_multipart_cloudhook(
    hass: HomeAssistant, init_integration: MockConfigEntry, events: list[Event]
) -> None:
    """The cloud relay cannot parse multipart: refused the same way."""
    body = (
        f'--b\r\nContent-Disposition: form-data; name="messages"\r\n\r\n{MESSAGES}\r\n--b--\r\n'
    ).encode()
    headers = signed(MESSAGES) | {"Content-Type": "multipart/form-data; boundary=b"}
    assert await mock_post(hass, body, headers) == 415
    assert events == []


async def test_p7_content_length_above_cap(
    client: TestClient, events: list[Event], caplog: pytest.LogCaptureFixture
) -> None:
    """A declared body above 256 KiB is refused before it is read."""
    big = php.json_encode([received(message="x" * 9000) for _ in range(30)])
    response = await client.post(PATH, data=php.form_encode("messages", big), headers=signed(big))
    assert response.status == 413
    assert events == []
    assert "too large" in warnings(caplog)[0]


async def test_p7_chunked_body_above_cap(client: TestClient, events: list[Event]) -> None:
    """A body without Content-Length is read no further than the cap."""

    async def chunks() -> AsyncGenerator[bytes]:
        yield b"messages="
        for _ in range(300):
            yield b"x" * 1024

    response = await client.post(PATH, data=chunks(), headers=signed(MESSAGES))
    assert response.status == 413
    assert events == []


@pytest.mark.parametrize(
    "value",
    [
        php.json_encode([received(message="x" * 10_001)]),
        php.json_encode([received(message_id) for message_id in range(1, 502)]),
    ],
    ids=["text_too_long", "too_many_messages"],
)
async def test_p8_field_above_cap(
    gateway: GatewaySimulator, events: list[Event], value: str
) -> None:
    """A message over 10 000 characters or a batch over 500 messages: 413."""
    assert await gateway.post_webhook("messages", value) == 413
    assert events == []


async def test_p9_invalid_utf8(client: TestClient, events: list[Event]) -> None:
    """Raw invalid UTF-8 in the body: 400, no traceback."""
    response = await client.post(PATH, data=b"messages=\xff\xfe[]", headers=signed("[]"))
    assert response.status == 400
    assert events == []


async def test_p10_escaped_invalid_utf8(client: TestClient, events: list[Event]) -> None:
    """`%FF%FE` decodes to U+FFFD, so the signature over "\xff\xfe" no longer matches."""
    value = php.json_encode([received(message="ab")]).replace('"ab"', '"\xff\xfe"')
    body = php.form_encode("messages", value).replace("%C3%BF%C3%BE", "%FF%FE")
    assert "%FF%FE" in body
    response = await client.post(PATH, data=body, headers=signed(value))
    assert response.status == 401
    assert events == []


@pytest.mark.parametrize(
    "text",
    [
        "1+1=2 %2B %20 & done",
        'Ça va? 😀 a/b "q" <tag> & 100%',
        "שלום עולם",
        "nul\u0000byte",
        "line1\nline2",
    ],
    ids=["plus_percent_ampersand", "emoji_slash_quotes", "rtl", "nul", "newline"],
)
async def test_p11_text_round_trip(
    hass: HomeAssistant, gateway: GatewaySimulator, events: list[Event], text: str
) -> None:
    """The event text equals the text the phone received, exactly."""
    await gateway.receive_sms("+33612345678", text)
    await hass.async_block_till_done()
    assert gateway.webhook_results == [200]
    assert [event.data["text"] for event in events] == [text]


@pytest.fixture
async def observed(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> AsyncGenerator[TestClient]:
    """An entry with the API key of the captures below."""
    sim = GatewaySimulator(api_key=OBSERVED_KEY)
    await sim.start()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Observed",
        data={
            CONF_PROVIDER: "sms_gateway",
            CONF_URL: sim.url,
            CONF_API_KEY: OBSERVED_KEY,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    yield await hass_client_no_auth()
    await sim.stop()


# Captured from a real SMS Gateway 9.4.9 server (an incoming SMS and a USSD answer).
CAPTURED_MESSAGES = (
    "messages=%5B%7B%22ID%22%3A41%2C%22number%22%3A%22%2B33612345678%22%2C%22message%22%3A%22"
    "%5Cu00c7a+va%3F+%5Cud83d%5Cude00+a%5C%2Fb+%5C%22q%5C%22+%3Ctag%3E+%26+100%25%22%2C%22devic"
    "eID%22%3A1%2C%22simSlot%22%3Anull%2C%22schedule%22%3Anull%2C%22userID%22%3A2%2C%22groupID%2"
    "2%3Anull%2C%22status%22%3A%22Received%22%2C%22resultCode%22%3Anull%2C%22errorCode%22%3Anull"
    "%2C%22type%22%3Anull%2C%22attachments%22%3Anull%2C%22prioritize%22%3Anull%2C%22retries%22%3"
    "Anull%2C%22sentDate%22%3A%222026-11-22T02%3A17%3A10%2B0000%22%2C%22deliveredDate%22%3A%2220"
    "26-11-22T02%3A17%3A12%2B0000%22%2C%22expiryDate%22%3Anull%7D%2C%7B%22ID%22%3A42%2C%22number"
    "%22%3A%22InfoSMS%22%2C%22message%22%3A%22line1%5Cnline2%22%2C%22deviceID%22%3A1%2C%22simSlo"
    "t%22%3A1%2C%22schedule%22%3Anull%2C%22userID%22%3A2%2C%22groupID%22%3Anull%2C%22status%22%3"
    "A%22Received%22%2C%22resultCode%22%3Anull%2C%22errorCode%22%3Anull%2C%22type%22%3Anull%2C%2"
    "2attachments%22%3Anull%2C%22prioritize%22%3Anull%2C%22retries%22%3Anull%2C%22sentDate%22%3A"
    "%222026-11-22T02%3A17%3A11%2B0000%22%2C%22deliveredDate%22%3A%222026-11-22T02%3A17%3A13%2B00"
    "00%22%2C%22expiryDate%22%3Anull%7D%5D"
)
CAPTURED_MESSAGES_SIGNATURE = "T38TvcGA+BdSE9nnBHUp3EYI9t3u/aoP1WvIidnJRMs="
CAPTURED_USSD = (
    "ussdRequest=%7B%22ID%22%3A1%2C%22request%22%3A%22%2A150%23%22%2C%22response%22%3A%22Your+bal"
    "ance+is+12.50+EUR+%5C%2F+valid+till+31%5C%2F12+%5Cud83d%5Cude00%22%2C%22userID%22%3A2%2C%22d"
    "eviceID%22%3A1%2C%22simSlot%22%3A0%2C%22sentDate%22%3A%222026-11-22T02%3A16%3A48%2B0000%22%2"
    "C%22responseDate%22%3A%222026-11-22T02%3A17%3A26%2B0000%22%7D"
)
CAPTURED_USSD_SIGNATURE = "Oc2h0Kq/S6vAHViZSVIvhWcm7uRuwBPUnTaNMPiVvqI="


async def test_p12_captured_php_escaped_messages(
    hass: HomeAssistant, observed: TestClient, events: list[Event]
) -> None:
    """A real capture (`\\/`, `\\u00c7`, surrogate pairs, `+` for spaces) verifies."""
    response = await observed.post(
        PATH,
        data=CAPTURED_MESSAGES,
        headers={"Content-Type": FORM, "X-SG-Signature": CAPTURED_MESSAGES_SIGNATURE},
    )
    await hass.async_block_till_done()

    assert response.status == 200
    assert [(e.data["message_id"], e.data["number"], e.data["text"]) for e in events] == [
        ("41", "+33612345678", 'Ça va? 😀 a/b "q" <tag> & 100%'),
        ("42", "InfoSMS", "line1\nline2"),
    ]


async def test_p12_captured_ussd(hass: HomeAssistant, observed: TestClient) -> None:
    """The real USSD capture verifies and fires its answer."""
    ussd_events = async_capture_events(hass, EVENT_USSD_RESPONSE)
    response = await observed.post(
        PATH,
        data=CAPTURED_USSD,
        headers={"Content-Type": FORM, "X-SG-Signature": CAPTURED_USSD_SIGNATURE},
    )
    await hass.async_block_till_done()

    assert response.status == 200
    assert [event.data["response"] for event in ussd_events] == [
        "Your balance is 12.50 EUR / valid till 31/12 😀"
    ]


# -- lifecycle -------------------------------------------------------------------------------


async def test_unload_unregisters_the_webhook(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    events: list[Event],
) -> None:
    """After unload Home Assistant answers 200 for the id, and nothing fires."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED

    assert await gateway.post_webhook("messages", MESSAGES) == 200
    assert events == []


async def test_reload_registers_again(
    hass: HomeAssistant,
    gateway: GatewaySimulator,
    init_integration: MockConfigEntry,
    events: list[Event],
) -> None:
    """Reloading twice neither fails ("Handler is already defined") nor loses the webhook."""
    for _ in range(2):
        assert await hass.config_entries.async_reload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.LOADED

    assert await gateway.post_webhook("messages", MESSAGES) == 200
    assert len(events) == 1


# -- the URL to give the gateway --------------------------------------------------------------


@pytest.fixture
def cloud(hass: HomeAssistant) -> Generator[MagicMock]:
    """A loaded cloud component with an active subscription.

    The real module is only importable with every dependency of the cloud component, which
    the test environments lack, so a stand-in takes its place.
    """
    module = MagicMock(spec=ModuleType("homeassistant.components.cloud"))
    module.CloudNotAvailable = type("CloudNotAvailable", (HomeAssistantError,), {})
    module.async_active_subscription = MagicMock(return_value=True)
    module.async_get_or_create_cloudhook = AsyncMock(return_value="https://hooks.nabu.casa/abc")
    module.async_delete_cloudhook = AsyncMock()
    hass.config.components.add("cloud")
    with (
        patch.dict(sys.modules, {"homeassistant.components.cloud": module}),
        patch.object(components, "cloud", module, create=True),
    ):
        yield module


async def test_url_external(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Without Nabu Casa, the URL is built on Home Assistant's external URL."""
    hass.config.external_url = "https://ha.example.com"
    assert await async_webhook_url(hass, init_integration) == f"https://ha.example.com{PATH}"


async def test_url_unknown(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Without any URL of Home Assistant, the path comes with a hint instead of an error."""
    hass.config.api = None  # what the http component sets when it knows its own address
    url = await async_webhook_url(hass, init_integration)
    assert url.endswith(f"]{PATH}")
    assert "Settings > System > Network" in url


async def test_url_cloudhook(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: MagicMock
) -> None:
    """With an active Nabu Casa subscription, the cloudhook URL is used."""
    assert await async_webhook_url(hass, init_integration) == "https://hooks.nabu.casa/abc"
    cloud.async_get_or_create_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)


async def test_url_cloud_not_connected(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: MagicMock
) -> None:
    """A cloud that cannot create the hook falls back to the local URL."""
    hass.config.external_url = "https://ha.example.com"
    cloud.async_get_or_create_cloudhook.side_effect = cloud.CloudNotAvailable
    assert await async_webhook_url(hass, init_integration) == f"https://ha.example.com{PATH}"


async def test_url_cloud_without_subscription(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: MagicMock
) -> None:
    """A cloud component without subscription is not asked for a hook."""
    hass.config.external_url = "https://ha.example.com"
    cloud.async_active_subscription.return_value = False
    assert await async_webhook_url(hass, init_integration) == f"https://ha.example.com{PATH}"
    cloud.async_get_or_create_cloudhook.assert_not_called()


async def test_delete_cloudhook(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: MagicMock
) -> None:
    """Removing an entry deletes its cloudhook."""
    await async_delete_cloudhook(hass, init_integration)
    cloud.async_delete_cloudhook.assert_awaited_once_with(hass, WEBHOOK_ID)


@pytest.mark.parametrize("error", ["CloudNotAvailable", "ValueError"])
async def test_delete_cloudhook_fails_quietly(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: MagicMock, error: str
) -> None:
    """A cloud that is gone, or an entry that never had a cloudhook, is no error."""
    cloud.async_delete_cloudhook.side_effect = getattr(cloud, error, ValueError)
    await async_delete_cloudhook(hass, init_integration)
    cloud.async_delete_cloudhook.assert_awaited_once()


async def test_delete_cloudhook_without_cloud(
    hass: HomeAssistant, init_integration: MockConfigEntry, cloud: MagicMock
) -> None:
    """Without the cloud component loaded there is nothing to delete."""
    hass.config.components.remove("cloud")
    await async_delete_cloudhook(hass, init_integration)
    cloud.async_delete_cloudhook.assert_not_called()
