"""Tolerant parsing of answers the simulator does not give, served by a canned HTTP server.

Older builds and resellers send numbers as strings, other date formats and extra fields; a
broken installation answers HTML or a bare error. Each test serves one hand-made body.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest

from custom_components.sms_bridge.api import (
    ConnectionErrorKind,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayConnectionError,
    GatewayRateLimitedError,
    GatewayResponseError,
    MessageQuery,
    MessageStatus,
    MessageType,
    SendRequest,
    Sim,
    UssdQuery,
)
from custom_components.sms_bridge.api.rbsoft import SmsGatewayClient
from tests.api.canned import DROP, CannedGateway

KEY = "canned-secret-key"


@pytest.fixture
def client(session: aiohttp.ClientSession, canned: CannedGateway) -> SmsGatewayClient:
    """Return a client of the canned gateway."""
    return SmsGatewayClient(session, canned.url, KEY)


def row(**fields: Any) -> dict[str, Any]:
    """Return a message the way an older build writes it: every number a string."""
    return {
        "ID": "12",
        "number": "+11234567890",
        "message": "hello",
        "deviceID": "1",
        "simSlot": "0",
        "userID": "2",
        "groupID": "UOcj3cW3dyDjgNeyVh6b02505cdba388.45053616",
        "status": "Pending",
        "resultCode": None,
        "errorCode": None,
        "type": "sms",
        "attachments": None,
        "prioritize": "0",
        "retries": "0",
        "schedule": None,
        "sentDate": "2018-10-20T00:00:00+02:00",
        "deliveredDate": None,
        "expiryDate": None,
    } | fields


# -- credits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "credits", "unlimited"),
    [
        ({"credits": 100}, 100.0, False),
        ({"credits": None}, None, True),
        ({"credits": "12.5"}, 12.5, False),
        ({"credits": " 7 "}, 7.0, False),
        ({"credits": -3}, -3.0, False),
        ({"credits": 2.25}, 2.25, False),
        ({"credits": "Unlimited"}, None, False),
        ({"credits": True}, None, False),
        ({"credits": 10**15}, 1e15, False),
        ({"credits": 10**15 + 1}, None, False),
        ({"credits": 10**400}, None, False),  # float() of it would overflow
        ({"credits": "1e400"}, None, False),
        ({"credits": "NaN"}, None, False),
        ({"credits": "Infinity"}, None, False),
        ({"credits": "\u0667"}, None, False),  # float() reads Arabic-Indic digits
        ({"credits": "1_000"}, None, False),
        ({"credits": float("nan")}, None, False),  # Python's JSON reader takes NaN
        ({"credits": float("-inf")}, None, False),
        ({"credits": []}, None, False),
        ({}, None, False),  # missing: unknown, not unlimited
        (None, None, False),
        ([], None, False),
    ],
)
async def test_credits(
    client: SmsGatewayClient,
    canned: CannedGateway,
    data: Any,
    credits: float | None,
    unlimited: bool,
) -> None:
    """Numbers, numeric strings and `null` (unlimited) parse; anything else is unknown."""
    canned.succeed("send.php", data)
    account = await client.account()
    assert account.credits == credits
    assert account.unlimited is unlimited


# -- phones ----------------------------------------------------------------------------------


async def test_phones_tolerant(client: SmsGatewayClient, canned: CannedGateway) -> None:
    """SIMs as list or object, both date formats, string ids, odd entries skipped."""
    canned.succeed(
        "get-devices.php",
        {
            "devices": [
                {
                    "id": 1,
                    "name": None,
                    "model": "SM-A600FN",
                    "androidVersion": "10",
                    "appVersion": "9.4.9",
                    "lastSeenAt": "2026-11-22T02:16:55+00:00",
                    "sims": ["SIM #1 [Free]", "SIM #2 [+33600000002]"],
                    "battery": 80,
                },
                {
                    "id": "2",
                    "name": "Pixel",
                    "lastSeenAt": "2026-11-22T04:16:55+0200",
                    "sims": {"3": "SIM #4", "1": None, "x": "ignored", "2": "SIM #3 []"},
                },
                {"id": 3, "name": "", "lastSeenAt": "yesterday", "sims": "SIM #1"},
                {"id": 4, "lastSeenAt": 1795313833, "sims": None},
                "not a phone",
                None,
            ]
        },
    )
    office, pixel, third, fourth = await client.phones()
    assert office.id == "1"
    assert office.name is None
    assert office.model == "SM-A600FN"
    assert office.android_version == "10"
    assert office.app_version == "9.4.9"
    assert office.last_seen == datetime(2026, 11, 22, 2, 16, 55, tzinfo=UTC)
    assert office.sims == (
        Sim(slot=0, label="SIM #1 [Free]", detail="Free"),
        Sim(slot=1, label="SIM #2 [+33600000002]", detail="+33600000002"),
    )
    assert office.battery is None  # the gateway reports no battery
    assert office.charging is None
    assert pixel.id == "2"
    assert pixel.last_seen == datetime(2026, 11, 22, 2, 16, 55, tzinfo=UTC)
    assert pixel.sims == (
        Sim(slot=1, label="SIM #2"),
        Sim(slot=2, label="SIM #3 []"),
        Sim(slot=3, label="SIM #4"),
    )
    assert third.name is None
    assert third.last_seen is None
    assert third.sims == ()
    assert fourth.last_seen is None
    assert fourth.sims == ()


@pytest.mark.parametrize("data", [{}, {"devices": None}, {"devices": {"1": {"id": 1}}}, None])
async def test_no_phones(client: SmsGatewayClient, canned: CannedGateway, data: Any) -> None:
    """A missing or malformed device list is an empty one."""
    canned.succeed("get-devices.php", data)
    assert await client.phones() == []


# -- messages --------------------------------------------------------------------------------


async def test_message_with_string_numbers(client: SmsGatewayClient, canned: CannedGateway) -> None:
    """The documented (older) shape: numbers as strings, `+02:00` offsets, unknown fields."""
    canned.succeed("read-messages.php", {"messages": [row(extra={"nested": [1]})]})
    (message,) = await client.messages(MessageQuery(message_id="12"))
    assert message.id == "12"
    assert message.phone_id == "1"
    assert message.sim_slot == 0
    assert message.retries == 0
    assert message.prioritize is False
    assert message.status is MessageStatus.PENDING
    assert message.type is MessageType.SMS
    assert message.sent_at == datetime(2018, 10, 20, tzinfo=timezone(timedelta(hours=2)))
    assert message.delivered_at is None
    assert message.schedule is None
    assert message.failure_reason is None


@pytest.mark.parametrize(
    ("wire", "status"),
    [
        ("Pending", MessageStatus.PENDING),
        ("Queued", MessageStatus.QUEUED),
        ("Sent", MessageStatus.SENT),
        ("Delivered", MessageStatus.DELIVERED),
        ("Failed", MessageStatus.FAILED),
        ("Received", MessageStatus.RECEIVED),
        ("Scheduled", MessageStatus.SCHEDULED),
        ("Canceled", MessageStatus.CANCELED),
        ("Whatever", MessageStatus.UNKNOWN),  # report-status.php accepts any string
        ("pending", MessageStatus.UNKNOWN),
        (None, MessageStatus.UNKNOWN),
    ],
)
async def test_statuses(
    client: SmsGatewayClient, canned: CannedGateway, wire: str | None, status: MessageStatus
) -> None:
    """Every status the gateway writes maps to ours; anything else is unknown."""
    canned.succeed("read-messages.php", {"messages": [row(status=wire)]})
    (message,) = await client.messages(MessageQuery(message_id="12"))
    assert message.status is status


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"prioritize": True}, {"prioritize": True}),  # send.php: JSON booleans
        ({"prioritize": False}, {"prioritize": False}),
        ({"prioritize": 1}, {"prioritize": True}),  # read-messages.php: ints
        ({"prioritize": "1"}, {"prioritize": True}),
        ({"prioritize": None}, {"prioritize": None}),  # webhook: null
        ({"type": "mms"}, {"type": MessageType.MMS}),
        ({"type": None}, {"type": None}),
        ({"type": "fax"}, {"type": None}),
        (
            {"attachments": "https://a/1.png,https://a/2.png"},
            {"attachments": ("https://a/1.png", "https://a/2.png")},
        ),
        ({"attachments": "https://a/1.png,,"}, {"attachments": ("https://a/1.png",)}),
        ({"attachments": ""}, {"attachments": ()}),
        ({"schedule": 1795317357}, {"schedule": datetime(2026, 11, 22, 3, 15, 57, tzinfo=UTC)}),
        ({"schedule": "1795317357"}, {"schedule": datetime(2026, 11, 22, 3, 15, 57, tzinfo=UTC)}),
        ({"schedule": "soon"}, {"schedule": None}),
        (
            {"sentDate": "2026-11-22T02:17:00+0000"},
            {"sent_at": datetime(2026, 11, 22, 2, 17, tzinfo=UTC)},
        ),
        (
            {"sentDate": "2026-11-22T02:17:00Z"},
            {"sent_at": datetime(2026, 11, 22, 2, 17, tzinfo=UTC)},
        ),
        ({"sentDate": "2026-11-22 02:17:00"}, {"sent_at": None}),  # no offset: unknown moment
        ({"sentDate": "1795313833000"}, {"sent_at": None}),
        ({"sentDate": ""}, {"sent_at": None}),
        ({"sentDate": 1795313833}, {"sent_at": None}),
        (
            {"deliveredDate": "2026-11-22T04:17:30+02:00"},
            {"delivered_at": datetime(2026, 11, 22, 2, 17, 30, tzinfo=UTC)},
        ),
        ({"simSlot": None, "deviceID": None}, {"sim_slot": None, "phone_id": None}),
        ({"simSlot": -1, "deviceID": " 3 "}, {"sim_slot": None, "phone_id": "3"}),
        ({"simSlot": 1.0, "deviceID": 1.5}, {"sim_slot": None, "phone_id": None}),
        ({"groupID": ""}, {"group_id": None}),
        (
            {"resultCode": -1, "errorCode": "-1", "retries": None},
            {"result_code": -1, "error_code": -1, "retries": None},
        ),
        ({"number": None, "message": None}, {"number": "", "text": ""}),
    ],
)
async def test_message_fields(
    client: SmsGatewayClient,
    canned: CannedGateway,
    fields: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    """Each field accepts the shapes seen on the wire and falls back to None, never fails."""
    canned.succeed("read-messages.php", {"messages": [row(**fields)]})
    (message,) = await client.messages(MessageQuery(message_id="12"))
    assert {name: getattr(message, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": "Failed", "resultCode": 1, "errorCode": 0}, "generic_failure"),
        ({"status": "Failed", "resultCode": "2"}, "radio_off"),
        ({"status": "Failed", "resultCode": 26012019}, "app_error"),
        ({"status": "Failed", "resultCode": 99}, "result_code_99"),
        ({"status": "Failed", "resultCode": -1}, "unknown"),
        ({"status": "Failed", "resultCode": None}, "unknown"),
        ({"status": "Sent", "resultCode": 1}, None),
    ],
)
async def test_failure_reason(
    client: SmsGatewayClient, canned: CannedGateway, fields: dict[str, Any], reason: str | None
) -> None:
    """A failed message names its Android result code; other messages have no reason."""
    canned.succeed("read-messages.php", {"messages": [row(**fields)]})
    (message,) = await client.messages(MessageQuery(message_id="12"))
    assert message.failure_reason == reason


@pytest.mark.parametrize(
    "data", [{}, None, {"messages": None}, {"messages": {"0": {}}}, {"messages": ["x", 5]}]
)
async def test_malformed_message_lists(
    client: SmsGatewayClient, canned: CannedGateway, data: Any
) -> None:
    """A message list that is missing or not a list of objects yields nothing."""
    canned.succeed("read-messages.php", data)
    canned.succeed("resend.php", data)
    canned.succeed("send.php", data)
    assert await client.messages(MessageQuery(message_id="1")) == []
    assert await client.resend(MessageQuery(message_id="1")) == []
    assert await client.send(SendRequest(recipients=("+1555",), text="x")) == []


@pytest.mark.parametrize(
    ("script", "call"),
    [
        ("read-messages.php", lambda c: c.messages(MessageQuery(status=MessageStatus.RECEIVED))),
        ("resend.php", lambda c: c.resend(MessageQuery(message_id="999999"))),
        ("read-ussd-requests.php", lambda c: c.ussd_requests(UssdQuery(ussd_id="999"))),
    ],
)
async def test_not_found_is_empty(
    client: SmsGatewayClient, canned: CannedGateway, script: str, call: Any
) -> None:
    """Reads report "nothing found" as error 404 (also as a string code): an empty list."""
    canned.fail(script, 404, "No messages found.")
    assert await call(client) == []
    canned.fail(script, "404", "No USSD requests found.")
    assert await call(client) == []
    canned.fail(script, 500, "date(): Argument #2 ($timestamp) must be of type ?int")
    with pytest.raises(GatewayApiError) as err:
        await call(client)
    assert err.value.code == 500


# -- USSD and contacts -------------------------------------------------------------------------


async def test_ussd_with_strings(client: SmsGatewayClient, canned: CannedGateway) -> None:
    """USSD rows with string numbers and both date formats parse."""
    canned.succeed(
        "read-ussd-requests.php",
        {
            "requests": [
                {
                    "ID": "1",
                    "request": "*150#",
                    "response": "Your balance is 12.50 EUR / valid till 31/12",
                    "userID": "2",
                    "deviceID": "1",
                    "simSlot": "0",
                    "sentDate": "2026-11-22T02:16:48+0000",
                    "responseDate": "2026-11-22T04:17:26+02:00",
                },
                {"ID": 2, "request": "*100#", "response": "", "simSlot": None, "sentDate": "x"},
            ]
        },
    )
    first, second = await client.ussd_requests(UssdQuery(request="*150#"))
    assert (first.id, first.phone_id, first.sim_slot) == ("1", "1", 0)
    assert first.responded_at == datetime(2026, 11, 22, 2, 17, 26, tzinfo=UTC)
    assert second.response is None
    assert second.phone_id is None
    assert second.sent_at is None


@pytest.mark.parametrize("data", [{}, None, {"request": None}, {"request": ["*150#"]}])
async def test_ussd_answer_without_request(
    client: SmsGatewayClient, canned: CannedGateway, data: Any
) -> None:
    """A USSD send whose answer lacks the request object is a response error."""
    canned.succeed("send-ussd-request.php", data)
    with pytest.raises(GatewayResponseError):
        await client.send_ussd("1", "*150#")


@pytest.mark.parametrize(
    ("subscribed", "expected"),
    [
        (True, True),
        (1, True),
        ("1", True),
        ("true", True),
        (False, False),
        (0, False),
        ("0", False),
        (None, False),
    ],
)
async def test_contact_subscribed(
    client: SmsGatewayClient, canned: CannedGateway, subscribed: Any, expected: bool
) -> None:
    """`subscribed` is a JSON boolean on v9.4.9, an int or string on older builds."""
    contact = {
        "ID": "5",
        "name": "Probe",
        "number": "+11234567899",
        "subscribed": subscribed,
        "contactsListID": "1",
        "contactsList": {"ID": None, "name": None, "userID": None},
    }
    canned.succeed("manage-contacts.php", {"contact": contact})
    result = await client.subscribe_contact(1, "+11234567899")
    assert result.subscribed is expected
    assert (result.id, result.list_id, result.name) == (5, 1, "Probe")


@pytest.mark.parametrize("data", [{}, None, {"contact": None}, {"contact": "x"}])
async def test_contact_answer_without_contact(
    client: SmsGatewayClient, canned: CannedGateway, data: Any
) -> None:
    """A contacts answer without a contact object is a response error."""
    canned.succeed("manage-contacts.php", data)
    with pytest.raises(GatewayResponseError):
        await client.unsubscribe_contact(1, "+11234567899")


# -- envelope and transport ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "text"),
    [
        (200, "<br />\n<b>Warning</b>: mysqli::__construct()", "an HTML page"),
        (200, "  <!DOCTYPE html><html></html>", "an HTML page"),
        (200, "Fatal error: Allowed memory size exhausted", "not JSON"),
        (200, "", "not JSON"),
        (200, "[1, 2]", "not an API envelope"),
        (200, '"ok"', "not an API envelope"),
        (200, '{"data": {"credits": 1}}', "not an API envelope"),
        (500, '{"success": true, "data": {"credits": 1}}', "HTTP 500"),
        (502, "<html>Bad gateway</html>", "HTTP 502"),
        (404, "Not Found", "HTTP 404"),
        (401, "Unauthorized", "HTTP 401"),
    ],
)
async def test_not_the_api(
    client: SmsGatewayClient, canned: CannedGateway, status: int, body: str, text: str
) -> None:
    """HTML, non-JSON, a non-envelope or an HTTP error is a response error."""
    canned.answer("send.php", body, status=status)
    with pytest.raises(GatewayResponseError) as err:
        await client.account()
    assert text in str(err.value)
    assert body.strip() not in str(err.value) or not body.strip()


@pytest.mark.parametrize(
    ("error", "message", "code"),
    [
        (
            {"code": 500, "message": "Please use a valid Mobile Number."},
            "Please use a valid Mobile Number.",
            500,
        ),
        ({"code": "204", "message": "There are no subscribers"}, "There are no subscribers", 204),
        ({"code": None, "message": "Oops"}, "Oops", None),
        ({"message": ""}, "Unknown gateway error", None),
        (None, "Unknown gateway error", None),
        ("broken", "Unknown gateway error", None),
    ],
)
async def test_api_errors(
    client: SmsGatewayClient, canned: CannedGateway, error: Any, message: str, code: int | None
) -> None:
    """A refusal keeps the gateway's message and code, whatever shape the error has."""
    canned.answer("send.php", {"success": False, "data": None, "error": error})
    with pytest.raises(GatewayApiError) as err:
        await client.account()
    assert str(err.value) == message
    assert err.value.code == code


@pytest.mark.parametrize("code", [401, "401"])
async def test_auth_error_code(client: SmsGatewayClient, canned: CannedGateway, code: Any) -> None:
    """Error 401, as int or string, is an authentication error."""
    canned.fail("get-devices.php", code, "This API key is invalid.")
    with pytest.raises(GatewayAuthenticationError, match=r"^This API key is invalid\.$"):
        await client.phones()


async def test_success_without_data(client: SmsGatewayClient, canned: CannedGateway) -> None:
    """`success` with `data: null` is an empty answer."""
    canned.answer("send.php", {"success": True, "data": None, "error": None})
    account = await client.account()
    assert account.credits is None
    assert account.unlimited is False


async def test_answer_with_bad_utf8(client: SmsGatewayClient, canned: CannedGateway) -> None:
    """Invalid UTF-8 in an answer is replaced, not a crash."""
    canned.answer(
        "get-devices.php",
        b'{"success":true,"data":{"devices":[{"id":1,"name":"Caf\xe9"}]},"error":null}',
    )
    (phone,) = await client.phones()
    assert phone.name == "Caf\ufffd"


async def test_connection_dropped(client: SmsGatewayClient, canned: CannedGateway) -> None:
    """A connection closed before the answer may have delivered the request."""
    canned.answer("send.php", "", status=DROP)
    with pytest.raises(GatewayConnectionError) as err:
        await client.send(SendRequest(("+15550100",), "x"))
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.DROPPED
    assert (
        str(err.value) == "No complete answer from the gateway: connection closed before the answer"
    )
    assert KEY not in str(err.value)


# -- values no gateway writes ------------------------------------------------------------------

NOT_AN_ID = [None, True, False, -1, 2**53, 2**64, 10**30, "\u0667", "\uff11", "1_000", 1.0, {}]


async def test_rows_without_a_valid_id_are_dropped(
    client: SmsGatewayClient, canned: CannedGateway
) -> None:
    """A message or USSD row without a valid ID is left out; the valid rows are kept.

    Such a row could be neither tracked nor deduplicated, nor told apart from another.
    """
    rows = [row(ID=value) for value in NOT_AN_ID]
    canned.succeed("read-messages.php", {"messages": [row(ID="7"), *rows, row(ID=2**53 - 1)]})
    assert [m.id for m in await client.messages(MessageQuery(status=MessageStatus.RECEIVED))] == [
        "7",
        str(2**53 - 1),
    ]
    requests = [{"ID": value, "request": "*150#"} for value in NOT_AN_ID]
    canned.succeed("read-ussd-requests.php", {"requests": [*requests, {"ID": 3, "request": "*1#"}]})
    assert [ussd.id for ussd in await client.ussd_requests(UssdQuery(request="*1#"))] == ["3"]


async def test_phones_without_a_valid_id_are_dropped(
    client: SmsGatewayClient, canned: CannedGateway
) -> None:
    """A phone whose id is not a whole number in range is left out; SIM slots are bounded too."""
    devices = [{"id": value, "name": "ghost"} for value in NOT_AN_ID]
    sims = {"0": "SIM #1", " 0": "again", "255": "last", "256": "x", "\u0661": "x", "-1": "x"}
    canned.succeed("get-devices.php", {"devices": [*devices, {"id": 1, "sims": sims}]})
    (phone,) = await client.phones()
    assert phone.id == "1"
    assert phone.sims == (Sim(slot=0, label="SIM #1"), Sim(slot=255, label="last"))


@pytest.mark.parametrize("ussd_id", [None, {"ID": 1}, True, 2**64, "\u0667"])
async def test_ussd_answer_without_a_valid_id(
    client: SmsGatewayClient, canned: CannedGateway, ussd_id: Any
) -> None:
    """A USSD send whose answer has no usable ID cannot be matched to its answer: response error."""
    canned.succeed("send-ussd-request.php", {"request": {"ID": ussd_id, "request": "*150#"}})
    with pytest.raises(GatewayResponseError, match="no valid request object"):
        await client.send_ussd("1", "*150#")


async def test_out_of_range_numbers_in_answers_are_dropped(
    client: SmsGatewayClient, canned: CannedGateway
) -> None:
    """Backfill, tracking and reconciliation read the same fields the webhook does, as safely."""
    huge = 10**30
    fields = {
        "deviceID": 2**64,
        "simSlot": huge,
        "schedule": 10**20,  # datetime.fromtimestamp raised OverflowError
        "resultCode": huge,
        "errorCode": huge,
        "retries": huge,
        "prioritize": huge,
        "sentDate": "0001-01-01T00:00:00+01:00",
        "message": ["not", "text"],
        "number": {"not": "text"},
        "status": ["Sent"],
        "attachments": ["https://a/1.png"],
        "groupID": huge,
    }
    canned.succeed("read-messages.php", {"messages": [row(**fields)]})
    (message,) = await client.messages(MessageQuery(message_id="12"))
    assert dataclasses.asdict(message) == {
        "id": "12",
        "group_id": None,
        "number": "",
        "text": "",
        "status": MessageStatus.UNKNOWN,
        "type": MessageType.SMS,
        "phone_id": None,
        "sim_slot": None,
        "attachments": (),
        "sent_at": None,
        "delivered_at": None,
        "schedule": None,
        "result_code": None,
        "error_code": None,
        "failure_reason": None,
        "retries": None,
        "prioritize": None,
        "cost": None,
        "segments": None,
        "replay_key": None,
    }
    canned.succeed(
        "manage-contacts.php",
        {"contact": {"ID": 2**64, "number": "+1", "subscribed": huge, "contactsListID": True}},
    )
    contact = await client.subscribe_contact(1, "+1")
    assert (contact.id, contact.list_id, contact.subscribed) == (None, None, False)


@pytest.mark.parametrize(
    ("call", "script"),
    [
        (lambda c: c.account(), "send.php"),
        (lambda c: c.phones(), "get-devices.php"),
        (lambda c: c.send(SendRequest(("+15550100",), "x")), "send.php"),
        (lambda c: c.messages(MessageQuery(message_id="1")), "read-messages.php"),
        (lambda c: c.ussd_requests(UssdQuery(ussd_id="1")), "read-ussd-requests.php"),
    ],
)
async def test_deeply_nested_answer(
    client: SmsGatewayClient, canned: CannedGateway, call: Any, script: str
) -> None:
    """An answer nested far deeper than any gateway writes is a response error, not a crash."""
    canned.answer(script, '{"success": true, "data": ' + "[" * 20_000 + "]" * 20_000 + "}")
    with pytest.raises(GatewayResponseError, match="nested over 32 levels"):
        await call(client)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ({"code": True, "message": "x"}, None),  # not code 1
        ({"code": 2**64, "message": "x"}, None),
        ({"code": "\u0664\u0660\u0664", "message": "x"}, None),  # not 404: Arabic-Indic digits
        ({"code": -(2**31), "message": "x"}, -(2**31)),
    ],
)
async def test_error_codes_are_bounded(
    client: SmsGatewayClient, canned: CannedGateway, error: Any, code: int | None
) -> None:
    """An error code out of range or not in ASCII digits is no code at all."""
    canned.answer("read-messages.php", {"success": False, "data": None, "error": error})
    with pytest.raises(GatewayApiError) as err:
        await client.messages(MessageQuery(message_id="1"))
    assert err.value.code == code


async def test_error_message_that_is_not_text(
    client: SmsGatewayClient, canned: CannedGateway
) -> None:
    """An error message that is an object or a list is not shown."""
    canned.fail("send.php", 500, {"nested": ["x"]})
    with pytest.raises(GatewayApiError, match=r"^Unknown gateway error$"):
        await client.account()


@pytest.mark.parametrize(
    ("header", "retry_after"),
    [
        ("120", 120.0),
        ("86400", 86400.0),
        ("86401", None),  # longer than a day: not a wait to act on
        ("1e308", None),  # a timedelta of it overflows
        ("1e400", None),
        ("nan", None),
        ("inf", None),
        ("-5", None),
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),
    ],
)
async def test_retry_after_is_bounded(
    client: SmsGatewayClient, canned: CannedGateway, header: str, retry_after: float | None
) -> None:
    """`Retry-After` is read in seconds, from 0 to a day; anything else is no hint."""
    canned.answer("send.php", "Too Many Requests", status=429, headers={"Retry-After": header})
    with pytest.raises(GatewayRateLimitedError) as err:
        await client.account()
    assert err.value.retry_after == retry_after
