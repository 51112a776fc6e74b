"""SmsGateway24 webhooks: the simulator posts them over HTTP, the client reads the raw request.

Nothing signs these webhooks: the URL is the secret, and a request must name one of the
account's phones. Every refusal is checked, with the error the integration turns into 401,
400, 413 or 415.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, tzinfo
import json
import threading
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import aiohttp
import pytest

from custom_components.sms_bridge.api import (
    DeliveryReport,
    MessageQuery,
    MessageStatus,
    MessageType,
    SendRequest,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookReply,
    WebhookRequest,
    WebhookSignatureError,
    zones,
)
from custom_components.sms_bridge.api.smsgateway24 import MAX_BATCH, MAX_TEXT, SmsGateway24Client
from tests.api.webhook_catcher import WebhookCatcher
from tests.simulator.smsgateway24 import (
    EMAIL,
    FAILING_SUFFIX,
    PASSWORD,
    SmsGateway24Simulator,
)

OFFICE = "1297"
EMULATOR = "1576"
# The webhooks as the service documents them now, and in their older shape.
BOTH_SHAPES = pytest.mark.parametrize(
    "sim", [False, True], ids=["current", "legacy"], indirect=True
)


@pytest.fixture
async def sim(
    request: pytest.FixtureRequest, catcher: WebhookCatcher
) -> AsyncGenerator[SmsGateway24Simulator]:
    """Run a simulator posting webhooks to the catcher (in the older shape with param True)."""
    legacy = getattr(request, "param", False)
    simulator = SmsGateway24Simulator(webhook_url=catcher.url, legacy_webhooks=legacy)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def client(session: aiohttp.ClientSession, sim: SmsGateway24Simulator) -> SmsGateway24Client:
    """Return a client that has read the account's phones."""
    client = SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url)
    await client.phones()
    return client


def json_request(payload: Any, content_type: str = "application/json") -> WebhookRequest:
    """A webhook request carrying ``payload`` as JSON."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return WebhookRequest("POST", {"Content-Type": content_type}, {}, body)


def incoming(**changes: Any) -> dict[str, Any]:
    """An incoming-message webhook body, with ``changes``."""
    payload = {
        "address": "+4915752982212",
        "date": "2024-05-01 10:00:00",
        "date_sent": "2024-05-01 09:59:58",
        "body": "Hello",
        "internal_id": 55,
        "channel_id": 0,
        "sms_id": 22074999,
        "device_id": 1297,
        "device_name": "Office Pixel",
        "type": "text",
    }
    return {**payload, **changes}


@BOTH_SHAPES
async def test_incoming_message(
    client: SmsGateway24Client, sim: SmsGateway24Simulator, catcher: WebhookCatcher
) -> None:
    """The simulator's incoming webhook, as posted, is one received message."""
    row = await sim.receive_sms("+4917611111", "Hi there", phone_id=1297, sim=1)
    (request,) = catcher.caught
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    result = client.handle_webhook(request)
    assert result.reply == WebhookReply()
    assert result.batch.delivery_reports == ()
    (message,) = result.batch.messages
    assert message.id == str(row["id"])
    assert message.number in ("+4917611111", "4917611111")  # the older shape sends a number
    assert message.text == "Hi there"
    assert message.status is MessageStatus.RECEIVED
    assert (message.phone_id, message.sim_slot) == (OFFICE, 1)
    assert message.type is MessageType.SMS
    assert message.sent_at == row["created"]


async def test_incoming_image(
    client: SmsGateway24Client, sim: SmsGateway24Simulator, catcher: WebhookCatcher
) -> None:
    """An image (type "img") comes as a message carrying the image's URL."""
    url = "https://smsgateway24.s3.eu-central-1.amazonaws.com/img/1.jpg"
    payload = await sim.receive_image("+4917611111", url, phone_id=1576)
    (message,) = client.handle_webhook(catcher.caught[0]).batch.messages
    assert message.id == str(payload["sms_id"])
    assert message.type is MessageType.MMS
    assert message.attachments == (url,)
    assert message.text == ""
    assert message.phone_id == EMULATOR
    body_less = incoming(type="img", img_url=url, body=None)
    (message,) = client.handle_webhook(json_request(body_less)).batch.messages
    assert message.attachments == (url,)


@BOTH_SHAPES
async def test_delivery_reports(
    client: SmsGateway24Client, sim: SmsGateway24Simulator, catcher: WebhookCatcher
) -> None:
    """Each status change posts a report: 3, 2, 6, 7, or a failure with the service's text."""
    ok, bad = await client.send(SendRequest(("+491501234", f"+49150{FAILING_SUFFIX}"), "x"))
    for _ in range(4):
        await sim.advance()
    reports = [
        report
        for request in catcher.caught
        for report in client.handle_webhook(request).batch.delivery_reports
    ]
    mine = [(r.status, r.failure_reason) for r in reports if r.message_id == ok.id]
    assert mine == [
        (MessageStatus.QUEUED, None),
        (MessageStatus.QUEUED, None),
        (MessageStatus.SENT, None),
        (MessageStatus.DELIVERED, None),
    ]
    failed = [r for r in reports if r.message_id == bad.id][-1]
    assert failed == DeliveryReport(
        message_id=bad.id,
        status=MessageStatus.FAILED,
        phone_id=OFFICE,
        number=f"+49150{FAILING_SUFFIX}",
        at=sim.sms[int(bad.id)]["senttime"],
        error_code=9,
        failure_reason="SMS has not been sent: Generic failure",
    )


@BOTH_SHAPES
async def test_phones_handed_over_accept_webhooks(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator, catcher: WebhookCatcher
) -> None:
    """Before the phones are read, only the phones handed to the client are accepted."""
    await sim.receive_sms("+491", "x", phone_id=1576)
    fresh = SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url)
    with pytest.raises(WebhookSignatureError):
        fresh.handle_webhook(catcher.caught[0])
    known = SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url, phone_ids=[EMULATOR])
    assert len(known.handle_webhook(catcher.caught[0]).batch.messages) == 1


async def test_phone_removed_is_refused(
    client: SmsGateway24Client, sim: SmsGateway24Simulator, catcher: WebhookCatcher
) -> None:
    """A phone gone from the account is refused once the phones are read again."""
    await sim.receive_sms("+491", "x", phone_id=1576)
    del sim.phones[1576]
    await client.phones()
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(catcher.caught[0])


@pytest.mark.parametrize(
    "payload",
    [
        incoming(device_id=999),
        incoming(device_id=None),
        {key: value for key, value in incoming().items() if key != "device_id"},
        incoming(device_id="1297abc"),
        [incoming(), incoming(device_id=4)],
        {"sms_id": 1, "status_id": 7, "device_id": 31337},
    ],
    ids=["other phone", "null", "missing", "not a number", "one forged of two", "report"],
)
async def test_forged_requests_refused(client: SmsGateway24Client, payload: Any) -> None:
    """A request naming no phone of the account is refused as unauthenticated."""
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(json_request(payload))


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"{not json", WebhookPayloadError),
        (b"\xff\xfe", WebhookPayloadError),
        (b"[]", WebhookPayloadError),
        (b'"text"', WebhookPayloadError),
        (b'[{"device_id": 1297}, 3]', WebhookPayloadError),
        (b"[" * 50 + b"]" * 50, WebhookPayloadError),
        (incoming(sms_id=None), WebhookPayloadError),
        (incoming(sms_id=-4), WebhookPayloadError),
        (incoming(address=None), WebhookPayloadError),
        (incoming(body=None), WebhookPayloadError),
        (incoming(body=["x"]), WebhookPayloadError),
        ({"sms_id": 1, "status_id": "seven", "device_id": 1297}, WebhookPayloadError),
        ({"sms_id": None, "status_id": 7, "device_id": 1297}, WebhookPayloadError),
        (incoming(body="x" * (MAX_TEXT + 1)), WebhookPayloadTooLargeError),
        ([incoming(sms_id=n) for n in range(MAX_BATCH + 1)], WebhookPayloadTooLargeError),
    ],
)
async def test_malformed_requests_refused(
    client: SmsGateway24Client, payload: Any, error: type[Exception]
) -> None:
    """An authentic-looking request that cannot be read is refused whole."""
    with pytest.raises(error):
        client.handle_webhook(json_request(payload))


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=x", "application/xml", "image/png"]
)
async def test_body_types_refused(client: SmsGateway24Client, content_type: str) -> None:
    """Bodies of a type the service never posts are refused as such."""
    with pytest.raises(WebhookMediaTypeError):
        client.handle_webhook(json_request(incoming(), content_type))


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "text/plain", "", "application/vnd+json"]
)
async def test_json_body_types_read(client: SmsGateway24Client, content_type: str) -> None:
    """JSON is read under its own type, as plain text or without a type."""
    (message,) = client.handle_webhook(json_request(incoming(), content_type)).batch.messages
    assert message.id == "22074999"


async def test_form_body_read(client: SmsGateway24Client) -> None:
    """The same fields posted as a URL-encoded form are read too."""
    body = "address=%2B491&body=Hi&sms_id=7&device_id=1576&sim=1&date=1714557600000"
    request = WebhookRequest(
        "POST", {"content-type": "application/x-www-form-urlencoded"}, {}, body.encode()
    )
    (message,) = client.handle_webhook(request).batch.messages
    assert (message.id, message.number, message.text) == ("7", "+491", "Hi")
    assert (message.phone_id, message.sim_slot) == (EMULATOR, 1)
    assert message.sent_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2024-05-01 10:00:00", datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        (1714557600, datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        (1714557600000, datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        (
            {"date": "2024-05-01 12:00:00.000000", "timezone_type": 1, "timezone": "+02:00"},
            datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        ),
        (
            {"date": "2024-05-01 10:00:00.000000", "timezone": "UTC"},
            datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        ),
        ("yesterday", None),
        (10**17, None),
        (True, None),
        ("", None),
        ("10000-01-01 00:00:00", None),
    ],
)
async def test_webhook_dates(client: SmsGateway24Client, date: Any, expected: Any) -> None:
    """Dates as text (naive ones in the client's zone), Unix times or PHP date objects."""
    payload = incoming(date=date, date_sent=None)
    (message,) = client.handle_webhook(json_request(payload)).batch.messages
    assert message.sent_at == expected


BAD_ZONES = [
    "America",  # a directory of the zone database
    "a" * 300,  # longer than a file name may be
    "../../../../etc/passwd",
    "Europe/Paris\x00",
    "Nowhere/Land",
    "",
    "+99:99",
]


@pytest.mark.parametrize("zone", BAD_ZONES, ids=range(len(BAD_ZONES)))
async def test_webhook_zone_names_are_never_opened(client: SmsGateway24Client, zone: str) -> None:
    """A PHP date naming no zone of the system: the message is read, its date unknown."""
    date = {"date": "2024-05-01 12:00:00.000000", "timezone_type": 3, "timezone": zone}
    (message,) = client.handle_webhook(
        json_request(incoming(date=date, date_sent=date))
    ).batch.messages
    assert (message.id, message.text, message.sent_at) == ("22074999", "Hello", None)


async def test_zones_are_read_off_the_loop(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list of zones and each zone are read once, in a worker thread, never by a bad name.

    A webhook cannot wait: its first date in a zone not loaded yet is unknown, and the zone is
    loaded in the background for the next one. A read's answer has its zones loaded first.
    """
    opened: list[tuple[str, bool]] = []
    listed: list[bool] = []

    def zone_info(name: str) -> tzinfo:
        opened.append((name, threading.current_thread() is threading.main_thread()))
        return ZoneInfo(name)

    def available() -> set[str]:
        listed.append(threading.current_thread() is threading.main_thread())
        return available_timezones()

    monkeypatch.setattr(zones, "ZoneInfo", zone_info)
    monkeypatch.setattr(zones, "available_timezones", available)
    table = zones.ZoneTable()
    client = SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url, zones=table)
    await client.phones()
    paris = {"date": "2024-05-01 12:00:00.000000", "timezone_type": 3, "timezone": "Europe/Paris"}
    bad = [{"date": "2024-05-01 12:00:00.000000", "timezone": name} for name in BAD_ZONES]
    payload = [incoming(sms_id=1, date=paris, date_sent=None)] + [
        incoming(sms_id=n, date=date, date_sent=None) for n, date in enumerate(bad, 2)
    ]
    first = client.handle_webhook(json_request(payload)).batch.messages
    assert {m.sent_at for m in first} == {None}
    await table.async_load(["Europe/Paris"])  # waits for the background load
    again = client.handle_webhook(json_request(payload)).batch.messages
    assert [m.sent_at for m in again if m.id == "1"] == [datetime(2024, 5, 1, 10, 0, tzinfo=UTC)]
    assert {m.sent_at for m in again if m.id != "1"} == {None}

    row = sim.store_sms("+491", "x", 1297)
    sim.canned["getallsms"] = (
        200,
        json.dumps(
            {
                "error": 0,
                "smss": [
                    {"id": row["id"], "created": paris | {"timezone": "Asia/Tokyo"}},
                    *({"id": n, "created": date} for n, date in enumerate(bad, 100)),
                ],
            }
        ),
    )
    read = await client.messages(MessageQuery())
    assert read[0].sent_at == datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
    assert {m.sent_at for m in read[1:]} == {None}
    assert listed == [False]
    assert opened == [("Europe/Paris", False), ("Asia/Tokyo", False)]


async def test_batch_in_the_order_received(client: SmsGateway24Client) -> None:
    """A list of items is read whole, messages in the order they were received, reports too."""
    payload = [
        incoming(sms_id=2, date="2024-05-01 10:00:05"),
        {"sms_id": 9, "status_id": 6, "status_message": "Sent", "device_id": 1576, "sim": 1},
        incoming(sms_id=1, date="2024-05-01 10:00:01"),
        incoming(sms_id=3, date=None, date_sent=None),
        {"sms_id": 10, "status_id": 4, "device_id": "1297"},
    ]
    batch = client.handle_webhook(json_request(payload)).batch
    assert [m.id for m in batch.messages] == ["1", "2", "3"]
    assert [(r.message_id, r.status, r.failure_reason) for r in batch.delivery_reports] == [
        ("9", MessageStatus.SENT, None),
        ("10", MessageStatus.UNKNOWN, None),
    ]
