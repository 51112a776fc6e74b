"""Tests of what comes in from SemySMS: webhooks, polling, USSD answers.

The simulator's phones post their webhooks to a real HTTP catcher; each caught request is
handed to the client exactly as it arrived.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from urllib.parse import urlencode

import aiohttp
from freezegun import freeze_time
import pytest

from custom_components.sms_bridge.api import (
    CapabilityNotSupportedError,
    DeliveryReport,
    GatewayApiError,
    GatewayResponseError,
    InboundBatch,
    MessageStatus,
    MessageType,
    Sender,
    SendRequest,
    UssdQuery,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookRequest,
    WebhookSignatureError,
)
from custom_components.sms_bridge.api.semysms import (
    MAX_REMEMBERED,
    USSD_TEXT,
    SemySmsClient,
    is_ussd_code,
)
from tests.api.semysms_helpers import TOKEN, CannedSemySms, params_of
from tests.api.webhook_catcher import WebhookCatcher
from tests.simulator.semysms import (
    FIRST_INBOX_ID,
    SMS,
    USSD_ANSWER,
    WHATSAPP,
    WHATSAPP_BUSINESS,
    SemySmsSimulator,
)

NUMBER = "+380671112233"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form_request(fields: dict[str, str], headers: dict[str, str] | None = None) -> WebhookRequest:
    """A webhook request carrying ``fields`` as a form."""
    return WebhookRequest(
        "POST", FORM if headers is None else headers, {}, urlencode(fields).encode()
    )


def incoming(**overrides: str) -> dict[str, str]:
    """The fields of an incoming-message webhook from phone 351."""
    return {"id": "77", "id_device": "351", "phone": NUMBER, "msg": "Hello"} | overrides


@pytest.fixture
async def known(semy: SemySmsClient) -> SemySmsClient:
    """The client once it has read the account's phones."""
    await semy.phones()
    return semy


# -- webhooks posted by the simulator --------------------------------------------------------


async def test_incoming_webhook(
    known: SemySmsClient, semysms: SemySmsSimulator, catcher: WebhookCatcher
) -> None:
    """The phone's form of text fields becomes one received message."""
    semysms.webhook_url = catcher.url
    await semysms.receive_sms("+380509998877", "Привіт, світ", phone_id=352)
    (request,) = catcher.caught
    assert request.method == "POST"
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    result = known.handle_webhook(request)
    (message,) = result.batch.messages
    assert message.id == str(FIRST_INBOX_ID)
    assert message.type is MessageType.SMS
    assert (message.number, message.text, message.phone_id) == (
        "+380509998877",
        "Привіт, світ",
        "352",
    )
    assert message.status is MessageStatus.RECEIVED
    assert message.sent_at is not None
    assert abs(message.sent_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert result.batch.ussd_requests == ()
    assert result.reply.status == 200
    assert result.reply.text == ""
    assert semysms.webhook_results == [("incoming", 200)]


@pytest.mark.parametrize("dates", ["outbox", "blog"])
async def test_status_webhooks(
    known: SemySmsClient, semysms: SemySmsSimulator, catcher: WebhookCatcher, dates: str
) -> None:
    """Sent, then delivered: one delivery report each, dated, whichever names the dates take."""
    semysms.status_dates = dates
    semysms.webhook_url = catcher.url
    (message,) = await known.send(SendRequest((NUMBER,), "x", senders=(Sender("351"),)))
    for _ in range(3):
        await semysms.advance()
    assert len(catcher.caught) == 2
    reports = [known.handle_webhook(request).batch.delivery_reports for request in catcher.caught]
    (sent,), (delivered,) = reports
    assert sent == DeliveryReport(
        message_id=message.id, status=MessageStatus.SENT, phone_id="351", number=NUMBER, at=sent.at
    )
    assert delivered.status is MessageStatus.DELIVERED
    assert delivered.at is not None
    assert sent.at is not None
    assert delivered.at >= sent.at
    assert abs(delivered.at - datetime.now(UTC)) < timedelta(seconds=5)
    assert semysms.webhook_results == [("status", 200), ("status", 200)]


async def test_only_the_delivered_state_when_asked(
    known: SemySmsClient, semysms: SemySmsSimulator, catcher: WebhookCatcher
) -> None:
    """With only the delivered toggle on, one request reports the delivery."""
    semysms.webhook_url = catcher.url
    semysms.phones[351].webhook_sent = False
    await known.send(SendRequest((NUMBER,), "x", senders=(Sender("351"),)))
    for _ in range(3):
        await semysms.advance()
    (request,) = catcher.caught
    (report,) = known.handle_webhook(request).batch.delivery_reports
    assert report.status is MessageStatus.DELIVERED


async def test_unreachable_webhook_is_recorded(semysms: SemySmsSimulator) -> None:
    """A webhook nobody takes is recorded as status 0; without a URL nothing is posted."""
    assert await semysms.receive_sms(NUMBER, "x") is not None
    semysms.webhook_url = "http://127.0.0.1:9/hook"
    await semysms.receive_sms(NUMBER, "y")
    assert semysms.webhook_results == [("incoming", 0)]
    semysms.phones[351].webhook_url = None
    assert semysms.webhook_url is None  # the phones now differ
    with pytest.raises(ValueError, match="no phone"):
        await semysms.receive_sms(NUMBER, "z", phone_id=1)


# -- webhook authentication and parsing ----------------------------------------------------


def test_webhook_from_an_unknown_phone_is_refused(session: aiohttp.ClientSession) -> None:
    """The URL is the only secret: a phone outside the account is not one of ours."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    for fields in (incoming(id_device="999"), incoming(id_device="x"), {"id": "1"}):
        with pytest.raises(WebhookSignatureError):
            client.handle_webhook(form_request(fields))
    assert client.handle_webhook(form_request(incoming(id_device="0351"))).batch.messages


def test_webhook_before_the_phones_are_known_is_refused(session: aiohttp.ClientSession) -> None:
    """Knowing no phone, the client accepts none (fail closed)."""
    client = SemySmsClient(session, TOKEN)
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(form_request(incoming()))


async def test_phones_read_replace_the_known_ones(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """A phone archived since is no longer accepted once the phones are read again."""
    client = SemySmsClient(session, TOKEN, url=semysms.url, phone_ids=("351", "999"))
    assert client.handle_webhook(form_request(incoming(id_device="999"))).batch.messages
    semysms.phones[351].archived = True
    await client.phones()
    for phone_id in ("999", "351"):
        with pytest.raises(WebhookSignatureError):
            client.handle_webhook(form_request(incoming(id_device=phone_id)))
    assert client.handle_webhook(form_request(incoming(id_device="352"))).batch.messages


@pytest.mark.parametrize(
    ("fields", "error", "text"),
    [
        (incoming(id="x"), WebhookPayloadError, "no valid 'id'"),
        ({"id_device": "351", "phone": NUMBER, "msg": "x"}, WebhookPayloadError, "'id'"),
        (incoming(phone=""), WebhookPayloadError, "lacks its 'phone' or 'msg'"),
        ({"id": "1", "id_device": "351", "phone": NUMBER}, WebhookPayloadError, "'msg'"),
        (incoming(msg="x" * 10_001), WebhookPayloadTooLargeError, "longer than"),
    ],
)
def test_malformed_webhooks(
    session: aiohttp.ClientSession,
    fields: dict[str, str],
    error: type[WebhookPayloadError],
    text: str,
) -> None:
    """An authentic request that cannot be read is refused with a payload error."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    with pytest.raises(error, match=text):
        client.handle_webhook(form_request(fields))


def test_webhook_body_kinds(session: aiohttp.ClientSession) -> None:
    """A form (also untyped), JSON or a multipart form is read; other types are refused."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    untyped = WebhookRequest("POST", {}, {}, urlencode(incoming()).encode())
    as_json = WebhookRequest(
        "POST",
        {"content-type": "application/json; charset=utf-8"},
        {},
        json.dumps(
            {"id": 77, "id_device": 351, "phone": NUMBER, "msg": "Hello", "x": None}
        ).encode(),
    )
    boundary = "XyZ"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in incoming().items()
    )
    multipart = WebhookRequest(
        "POST",
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        {},
        f"{parts}--{boundary}--\r\n".encode(),
    )
    for request in (untyped, as_json, multipart):
        (message,) = client.handle_webhook(request).batch.messages
        assert (message.id, message.phone_id, message.number, message.text) == (
            "77",
            "351",
            NUMBER,
            "Hello",
        )
    with pytest.raises(WebhookMediaTypeError):
        client.handle_webhook(WebhookRequest("POST", {"Content-Type": "text/xml"}, {}, b"<x/>"))


@pytest.mark.parametrize(
    ("headers", "body", "text"),
    [
        (FORM, b"id_device=351&msg=\xff\xfe", "not UTF-8"),
        (FORM, b"id=1&id=2&id_device=351", "given twice"),
        ({"Content-Type": "application/json"}, b"{", "not valid JSON"),
        ({"Content-Type": "application/json"}, b"[1]", "not a JSON object"),
        (
            {"Content-Type": "application/json"},
            b'{"id_device": 351, "id": [1]}',
            "'id' is not text",
        ),
        ({"Content-Type": "multipart/form-data; boundary=b"}, b"plain", "no parts"),
        (
            {"Content-Type": "multipart/form-data; boundary=b"},
            b'--b\r\nContent-Disposition: form-data; name="id_device"\r\n\r\n351\r\n'
            b'--b\r\nContent-Disposition: form-data; name="msg"\r\n\r\n\xff\r\n--b--\r\n',
            "not UTF-8",
        ),
    ],
)
def test_unreadable_webhook_bodies(
    session: aiohttp.ClientSession, headers: dict[str, str], body: bytes, text: str
) -> None:
    """Bodies that cannot be read are payload errors, before anything is trusted."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    with pytest.raises(WebhookPayloadError, match=text):
        client.handle_webhook(WebhookRequest("POST", headers, {}, body))


def test_multipart_parts_without_a_name_are_ignored(session: aiohttp.ClientSession) -> None:
    """A part that names no field is skipped; the named ones are read."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    body = "".join(
        f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in incoming().items()
    )
    body += "--b\r\nContent-Disposition: form-data\r\n\r\nstray\r\n--b--\r\n"
    request = WebhookRequest(
        "POST", {"Content-Type": "multipart/form-data; boundary=b"}, {}, body.encode()
    )
    assert len(client.handle_webhook(request).batch.messages) == 1


@pytest.mark.parametrize(
    ("flags", "status", "date_field"),
    [
        ({"is_send": "1", "is_delivered": "0"}, MessageStatus.SENT, "send_date"),
        ({"is_send": "1", "is_delivered": "0"}, MessageStatus.SENT, "send"),
        ({"is_send": "1", "is_delivered": "1"}, MessageStatus.DELIVERED, "delivered"),
        ({"is_error": "1"}, MessageStatus.FAILED, "error_date"),
        ({"is_send": "1", "is_delivered": "1"}, MessageStatus.DELIVERED, "delivered_date"),
        ({"is_delivered": "1"}, MessageStatus.DELIVERED, "delivered_date"),
        ({"is_send": "0", "is_error_send": "1"}, MessageStatus.FAILED, "error_date"),
        ({"is_send": "1", "is_error": "1"}, MessageStatus.FAILED, "error_date"),
        ({"is_delivered": "1", "is_error": "1"}, MessageStatus.DELIVERED, "delivered_date"),
    ],
)
def test_status_mapping(
    session: aiohttp.ClientSession,
    flags: dict[str, str],
    status: MessageStatus,
    date_field: str,
) -> None:
    """The flags map to a status; its date is the matching field, in the service's zone."""
    client = SemySmsClient(session, TOKEN, phone_ids=("6350",))
    fields = {"id": "822182788", "id_device": "6350", "phone": NUMBER, "msg": "Test"} | flags
    fields[date_field] = "2020-04-06 17:03:44"
    (report,) = client.handle_webhook(form_request(fields)).batch.delivery_reports
    assert report.message_id == "822182788"
    assert report.status is status
    assert report.at == datetime(2020, 4, 6, 17, 3, 44, tzinfo=UTC)
    assert report.failure_reason == ("error" if status is MessageStatus.FAILED else None)


def test_status_with_nothing_to_report(session: aiohttp.ClientSession) -> None:
    """Neither sent nor delivered: accepted, nothing reported; odd dates are no dates."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    fields = incoming(is_send="0", is_delivered="0", send_date="")
    assert client.handle_webhook(form_request(fields)).batch == InboundBatch()
    fields = incoming(is_send="1", send_date="yesterday")
    (report,) = client.handle_webhook(form_request(fields)).batch.delivery_reports
    assert report.at is None
    fields = incoming(is_send="1", send_date="0001-01-01 00:00:00+05:00")
    (report,) = client.handle_webhook(form_request(fields)).batch.delivery_reports
    assert report.at is None


# -- polling --------------------------------------------------------------------------------


async def test_poll_inbound(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """The first poll asks by date, later ones for the ids after the last one seen."""
    await semysms.receive_sms("+1", "before")
    semysms.inbox[FIRST_INBOX_ID]["date"] = "2020-01-01 00:00:00"
    await semysms.receive_sms("+2", "first")
    since = datetime.now(UTC) - timedelta(minutes=5)
    batch = await semy.poll_inbound(since)
    assert [message.text for message in batch.messages] == ["first"]
    assert params_of(semysms, "inbox_sms.php") == [
        {"date_start": since.strftime("%Y-%m-%d %H:%M:%S")}
    ]
    await semysms.receive_sms("+3", "second", phone_id=352)
    await semysms.receive_sms("+4", "third")
    batch = await semy.poll_inbound(since)
    assert [message.text for message in batch.messages] == ["second", "third"]
    assert params_of(semysms, "inbox_sms.php")[1] == {"start_id": str(FIRST_INBOX_ID + 2)}
    assert (await semy.poll_inbound(since)) == InboundBatch()
    assert params_of(semysms, "inbox_sms.php")[2] == {"start_id": str(FIRST_INBOX_ID + 4)}


async def test_poll_without_messages_keeps_asking_by_date(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """Until a message is seen, every poll asks by date."""
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert await semy.poll_inbound(since) == InboundBatch()
    await semysms.receive_sms("+1", "x")
    (message,) = (await semy.poll_inbound(since)).messages
    assert message.text == "x"
    assert all("date_start" in params for params in params_of(semysms, "inbox_sms.php"))


async def test_poll_skips_unusable_rows(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """Rows without an id or a sender are skipped; the rest arrive in id order."""
    canned_semysms.answer(
        "inbox_sms.php",
        {
            "count": 4,
            "data": [
                {"id": 9, "phone": "+9", "msg": "nine", "id_device": 1, "date": 5},
                {"id": 8, "phone": "+8", "msg": "eight", "type": 1},
                {"id": None, "phone": "+7"},
                {"id": 6},
            ],
        },
    )
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    batch = await client.poll_inbound(datetime.now(UTC))
    # Row 8 is a WhatsApp message (type 1): not an SMS.
    assert [(m.id, m.text, m.type) for m in batch.messages] == [("9", "nine", MessageType.SMS)]
    assert batch.messages[0].sent_at is None


# -- USSD -----------------------------------------------------------------------------------


def test_ussd_codes() -> None:
    """Codes dial as phones take them; numbers and names are not codes."""
    assert all(is_ussd_code(code) for code in ("*100#", "*123*1#", "#123#"))
    assert not any(is_ussd_code(text) for text in ("+380671112233", "Kyivstar", "*#", "100#"))


async def test_ussd_by_webhook(
    known: SemySmsClient, semysms: SemySmsSimulator, catcher: WebhookCatcher
) -> None:
    """The code is sent as an SMS; the answer, from the code, is the request's answer."""
    semysms.webhook_url = catcher.url
    request = await known.send_ussd("351", "*100#")
    assert params_of(semysms, "sms.php") == [{"device": "351", "phone": "*100#", "msg": USSD_TEXT}]
    (earlier,) = params_of(semysms, "inbox_sms.php")
    assert (earlier["device"], earlier["phone"]) == ("351", "*100#")
    assert request.request == "*100#"
    assert request.phone_id == "351"
    assert request.response is None
    for _ in range(3):
        await semysms.advance()
    kinds = [kind for kind, _ in semysms.webhook_results]
    assert kinds == ["status", "incoming"]
    batch = known.handle_webhook(catcher.caught[1]).batch
    assert batch.messages == ()
    (answer,) = batch.ussd_requests
    assert answer.id == request.id
    assert answer.response == USSD_ANSWER
    assert answer.sent_at == request.sent_at
    assert answer.responded_at is not None
    # The same answer read again (a poll, a retried webhook) is the same request.
    assert known.handle_webhook(catcher.caught[1]).batch.ussd_requests == (answer,)
    (polled,) = await known.ussd_requests(UssdQuery(ussd_id=request.id))
    assert polled == answer


async def test_ussd_read_back(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """Without a webhook, the answer is found by reading the inbox after the request."""
    await semysms.receive_sms("*100#", "An old answer", phone_id=352)
    request = await semy.send_ussd("352", "*100#")
    (waiting,) = await semy.ussd_requests(UssdQuery(ussd_id=request.id))
    assert waiting == request
    assert params_of(semysms, "inbox_sms.php")[-1] == {
        "device": "352",
        "phone": "*100#",
        "start_id": str(FIRST_INBOX_ID + 1),
    }
    await semysms.advance()
    await semysms.advance()
    (answered,) = await semy.ussd_requests(UssdQuery(request="*100#", phone_id="352"))
    assert answered.id == request.id
    assert answered.response == USSD_ANSWER
    assert await semy.ussd_requests(UssdQuery(ussd_id="404")) == []
    assert await semy.ussd_requests(UssdQuery(phone_id="351")) == []
    assert await semy.ussd_requests(UssdQuery(request="*101#")) == []
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await semy.ussd_requests(UssdQuery(start=later)) == []
    assert await semy.ussd_requests(UssdQuery(end=later - timedelta(hours=1))) == []


async def test_ussd_by_poll_is_not_a_message(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """A polled answer is the request's answer; an answer nobody asked for keeps its own id."""
    since = datetime.now(UTC) - timedelta(minutes=1)
    request = await semy.send_ussd("351", "*111#")
    await semysms.advance()
    await semysms.advance()
    await semysms.receive_sms("*222#", "Unasked", phone_id=351)
    batch = await semy.poll_inbound(since)
    assert batch.messages == ()
    first, second = batch.ussd_requests
    assert (first.id, first.response) == (request.id, USSD_ANSWER)
    assert second.id == f"answer-{FIRST_INBOX_ID + 1}"
    assert (second.request, second.response, second.phone_id) == ("*222#", "Unasked", "351")


async def test_old_ussd_requests_are_not_read_back(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """A request past the answer window is returned as it is, without asking the service."""
    request = await semy.send_ussd("351", "*100#")
    calls = len(semysms.requests)
    with freeze_time(datetime.now(UTC) + timedelta(hours=1), tick=True):
        (found,) = await semy.ussd_requests(UssdQuery())
    assert found == request
    assert len(semysms.requests) == calls


async def test_ussd_refusals(
    session: aiohttp.ClientSession, semy: SemySmsClient, canned_semysms: CannedSemySms
) -> None:
    """No SIM choice; an unknown phone is the service's error; an answer without id is refused."""
    with pytest.raises(CapabilityNotSupportedError):
        await semy.send_ussd("351", "*100#", sim_slot=1)
    with pytest.raises(GatewayApiError, match="Device not found"):
        await semy.send_ussd("999", "*100#")
    canned_semysms.answer("inbox_sms.php", {"count": 0, "data": []})
    canned_semysms.answer("sms.php", {"code": "0"})
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    with pytest.raises(GatewayResponseError):
        await client.send_ussd("351", "*100#")


async def test_remembered_requests_are_bounded(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """Only the latest requests are kept to match answers."""
    semysms.messages_premium = None
    first = await semy.send_ussd("351", "*100#")
    for _ in range(MAX_REMEMBERED):
        await semy.send_ussd("351", "*100#")
    assert await semy.ussd_requests(UssdQuery(ussd_id=first.id)) == []


# -- WhatsApp, and what was not made through the service ------------------------------------


async def test_whatsapp_messages_are_not_sms(
    known: SemySmsClient, semysms: SemySmsSimulator, catcher: WebhookCatcher
) -> None:
    """WhatsApp rows (type 1 and 2) come neither by webhook nor by polling; SMS do."""
    semysms.webhook_url = catcher.url
    since = datetime.now(UTC) - timedelta(minutes=5)
    await semysms.receive_sms("+2", "on WhatsApp", kind=WHATSAPP)
    await semysms.receive_sms("+2", "on WhatsApp Business", kind=WHATSAPP_BUSINESS)
    await semysms.receive_sms("+2", "an SMS", kind=SMS)
    batches = [known.handle_webhook(request).batch for request in catcher.caught]
    assert [[message.text for message in batch.messages] for batch in batches] == [
        [],
        [],
        ["an SMS"],
    ]
    assert all(batch.ussd_requests == () for batch in batches)
    polled = await known.poll_inbound(since)
    assert [message.text for message in polled.messages] == ["an SMS"]


async def test_an_incoming_webhook_without_type_is_an_sms(
    known: SemySmsClient, semysms: SemySmsSimulator, catcher: WebhookCatcher
) -> None:
    """The vendor does not show the webhook's fields: without a `type`, it is an SMS."""
    semysms.webhook_url = catcher.url
    semysms.incoming_type = False
    await semysms.receive_sms("+2", "no type said")
    (request,) = catcher.caught
    assert b"&type=" not in request.body
    (message,) = known.handle_webhook(request).batch.messages
    assert (message.text, message.type) == ("no type said", MessageType.SMS)


# -- bodies built to hurt ---------------------------------------------------------------------


def multipart(boundary: str, parts: list[tuple[str, str]], *, head: str = "") -> bytes:
    """A multipart body of named text parts; ``head`` adds headers to each part."""
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n{head}\r\n{value}\r\n'
        for name, value in parts
    )
    return f"{body}--{boundary}--\r\n".encode()


def multipart_request(boundary: str, body: bytes) -> WebhookRequest:
    """A webhook request carrying a multipart body."""
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return WebhookRequest("POST", headers, {}, body)


def test_nested_multipart_is_refused_before_it_is_parsed(session: aiohttp.ClientSession) -> None:
    """A part that is itself multipart is no form field: refused, however deep (no recursion)."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    body = b"x"
    for depth in range(2000):  # about 140 kB
        inner = f"b{depth}"
        head = f"Content-Type: multipart/form-data; boundary=b{depth + 1}"
        body = f"--{inner}\r\n{head}\r\n\r\n".encode() + body + f"\r\n--{inner}--\r\n".encode()
    assert len(body) > 100_000
    with pytest.raises(WebhookPayloadError, match="nested"):
        client.handle_webhook(multipart_request("b0", body))
    one_level = multipart(
        "o", [*incoming().items()], head="Content-Type: multipart/mixed; boundary=i\r\n"
    )
    with pytest.raises(WebhookPayloadError, match="nested"):
        client.handle_webhook(multipart_request("o", one_level))


def test_a_body_of_many_fields_is_refused_before_it_is_parsed(
    session: aiohttp.ClientSession,
) -> None:
    """More fields than the service ever posts: refused by a count, not read."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    filler = [(f"f{n}", "x") for n in range(4000)]
    body = multipart("b", [*incoming().items(), *filler])
    with pytest.raises(WebhookPayloadTooLargeError, match="fields"):
        client.handle_webhook(multipart_request("b", body))
    form = urlencode({**incoming(), **dict(filler)}).encode()
    with pytest.raises(WebhookPayloadTooLargeError, match="fields"):
        client.handle_webhook(WebhookRequest("POST", FORM, {}, form))
    as_json = json.dumps({**incoming(), **dict(filler)}).encode()
    with pytest.raises(WebhookPayloadTooLargeError, match="fields"):
        client.handle_webhook(
            WebhookRequest("POST", {"Content-Type": "application/json"}, {}, as_json)
        )
    # As many as the service may post is fine.
    few = multipart("b", [*incoming().items(), *filler[:20]])
    assert client.handle_webhook(multipart_request("b", few)).batch.messages


@pytest.mark.parametrize(
    "body",
    [
        multipart("b", [*incoming(id_device="999").items(), ("msg", "twice")]),
        multipart("b", [*incoming(id_device="999", id="x").items()]),
        urlencode(incoming(id_device="999")).encode() + b"&msg=%ff",
    ],
)
def test_the_phone_is_checked_before_the_rest(session: aiohttp.ClientSession, body: bytes) -> None:
    """A request naming no phone of ours is refused as such, whatever else is wrong with it."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    headers = (
        {"Content-Type": "multipart/form-data; boundary=b"} if body.startswith(b"--") else FORM
    )
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(WebhookRequest("POST", headers, {}, body))


def test_errors_quote_what_the_request_wrote(session: aiohttp.ClientSession) -> None:
    """A field name or value is quoted and cut short in an error: no line of its own in a log."""
    client = SemySmsClient(session, TOKEN, phone_ids=("351",))
    forged = "x\nWARNING Forged log line " + "y" * 500
    body = json.dumps({**incoming(), forged: [1]}).encode()
    with pytest.raises(WebhookPayloadError) as caught:
        client.handle_webhook(
            WebhookRequest("POST", {"Content-Type": "application/json"}, {}, body)
        )
    text = str(caught.value)
    assert "\n" not in text
    assert "'x\\nWARNING Forged log line" in text
    assert len(text) < 200


# -- USSD answers: what a webhook may and may not change -----------------------------------------


async def test_a_webhook_changes_nothing_in_the_client(
    known: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """A posted answer to a request is read, but not kept: reading the request back still
    finds the service's own answer (a forged one, discarded by the caller, leaves no trace)."""
    request = await known.send_ussd("351", "*100#")
    forged_id = str(FIRST_INBOX_ID + 5)
    forged = {"id": forged_id, "id_device": "351", "phone": "*100#", "msg": "Forged balance"}
    (claimed,) = known.handle_webhook(form_request(forged)).batch.ussd_requests
    assert (claimed.id, claimed.response, claimed.response_id) == (
        request.id,
        "Forged balance",
        forged_id,
    )
    await semysms.advance()
    await semysms.advance()
    (answer,) = await known.ussd_requests(UssdQuery(ussd_id=request.id))
    assert answer.response == USSD_ANSWER
    assert answer.response_id == str(FIRST_INBOX_ID)


async def test_an_answer_keeps_its_identity_after_a_restart(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """The answer's own id is the inbox row's: a new client (a restart) that no longer knows
    the request reads the same answer with the same response id."""
    since = datetime.now(UTC) - timedelta(minutes=5)
    before = SemySmsClient(session, TOKEN, url=semysms.url)
    request = await before.send_ussd("351", "*100#")
    await semysms.advance()
    await semysms.advance()
    (answer,) = (await before.poll_inbound(since)).ussd_requests
    assert answer.id == request.id
    after = SemySmsClient(session, TOKEN, url=semysms.url)
    (again,) = (await after.poll_inbound(since)).ussd_requests
    assert again.id != request.id  # the request is not known any more
    assert again.response_id == answer.response_id == str(FIRST_INBOX_ID)
    assert again.response == answer.response


async def test_a_later_request_takes_the_later_answer(
    known: SemySmsClient, semysms: SemySmsSimulator, catcher: WebhookCatcher
) -> None:
    """Two requests of a code in turn: each answer, posted, goes to the request just before it."""
    semysms.webhook_url = catcher.url
    first = await known.send_ussd("351", "*100#")
    await semysms.advance()
    await semysms.advance()
    second = await known.send_ussd("351", "*100#")
    await semysms.advance()
    await semysms.advance()
    answers = [
        answer.id
        for request in catcher.caught
        for answer in known.handle_webhook(request).batch.ussd_requests
    ]
    assert answers == [first.id, second.id]
