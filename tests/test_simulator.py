"""Protocol fidelity of the gateway simulator, checked over real HTTP on 127.0.0.1.

Expected values are literals of what a real v9.4.9 server answers, never the
simulator's own constants, so that a drift in the simulator fails here. Under the Home Assistant
pytest plugin sockets are blocked, so every fixture that listens or connects asks pytest-socket's
`socket_enabled` (connections stay limited to 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import hmac
import json
from pathlib import Path
import re
import signal
import sys
import time
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from multidict import CIMultiDictProxy
import pytest

from tests.simulator import GatewaySimulator
from tests.simulator.tls import client_context

KEY = "sim-test-key"
CONTENT_TYPE = "text/html; charset=UTF-8"
MESSAGE_KEYS = [
    "ID", "number", "message", "deviceID", "simSlot", "schedule", "userID", "groupID", "status",
    "resultCode", "errorCode", "type", "attachments", "prioritize", "retries", "sentDate",
    "deliveredDate", "expiryDate",
]  # fmt: skip
ISO8601 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000")
Fields = Mapping[str, str] | list[tuple[str, str]]


class Api:
    """A thin client of the simulator's `services/*.php` API."""

    def __init__(self, http: aiohttp.ClientSession, sim: GatewaySimulator) -> None:
        """Talk to `sim` through `http`."""
        self.http = http
        self.sim = sim

    async def raw(
        self, script: str, fields: Fields | None = None, *, method: str = "POST", **kwargs: Any
    ) -> str:
        """Call a script; check the HTTP status and content type; return the body text."""
        url = f"{self.sim.url}/services/{script}"
        async with self.http.request(method, url, data=fields, **kwargs) as reply:
            assert reply.status == 200
            assert reply.headers["Content-Type"] == CONTENT_TYPE
            return await reply.text()

    async def call(self, script: str, fields: Fields | None = None, **kwargs: Any) -> Any:
        """Call a script with the API key added; return the decoded envelope."""
        keyed: Fields = (
            [("key", KEY), *fields] if isinstance(fields, list) else {"key": KEY, **(fields or {})}
        )
        return json.loads(await self.raw(script, keyed, **kwargs))

    async def ok(self, script: str, fields: Fields | None = None, **kwargs: Any) -> Any:
        """A successful call's `data`."""
        body = await self.call(script, fields, **kwargs)
        assert body["success"] is True, body
        assert body["error"] is None
        return body["data"]

    async def send(self, fields: Fields) -> list[dict[str, Any]]:
        """The messages a successful send.php call created."""
        messages: list[dict[str, Any]] = (await self.ok("send.php", fields))["messages"]
        return messages

    async def error(self, script: str, fields: Fields | None = None, **kwargs: Any) -> list[Any]:
        """A failed call's `[code, message]`."""
        body = await self.call(script, fields, **kwargs)
        assert body["success"] is False, body
        assert body["data"] is None
        return [body["error"]["code"], body["error"]["message"]]


@dataclass
class Hook:
    """A webhook receiver recording the raw requests."""

    url: str
    received: list[tuple[CIMultiDictProxy[str], bytes]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[GatewaySimulator]:
    """A started simulator with the default state (real sockets, loopback only)."""
    simulator = GatewaySimulator(api_key=KEY)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(http: aiohttp.ClientSession, sim: GatewaySimulator) -> Api:
    """A client of the simulator's PHP API."""
    return Api(http, sim)


@pytest.fixture
async def hook(socket_enabled: None) -> AsyncIterator[Hook]:
    """A webhook receiver on a free port."""
    receiver = Hook(url="")

    async def handle(request: web.Request) -> web.Response:
        receiver.received.append((request.headers, await request.read()))
        return web.Response(status=receiver.status)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield receiver
    await runner.cleanup()


def sign(payload: str, key: str = KEY) -> str:
    """The expected X-SG-Signature."""
    return base64.b64encode(
        hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest()
    ).decode()


# Transport, envelope, authentication


async def test_envelope_is_php_json_in_text_html(api: Api) -> None:
    """Exact bytes of the credits answer; GET works like POST."""
    assert await api.raw("send.php", {"key": KEY}) == (
        '{"success":true,"data":{"credits":100},"error":null}'
    )
    assert await api.raw("send.php", method="GET", params={"key": KEY}) == (
        '{"success":true,"data":{"credits":100},"error":null}'
    )


async def test_query_string_merged_with_multipart_body(api: Api) -> None:
    """`$_REQUEST` merges the query string and a (multipart) body; values are trimmed."""
    form = aiohttp.FormData()
    form.add_field("number", " +11234567891 ")
    form.add_field("message", " multi ")
    form.add_field("file", b"ignored", filename="a.png")
    async with api.http.post(f"{api.sim.url}/services/send.php?key={KEY}", data=form) as reply:
        message = json.loads(await reply.text())["data"]["messages"][0]
    assert message["number"] == "+11234567891"
    assert message["message"] == " multi "  # `message` is the one field PHP leaves untrimmed


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"number": "+11234567890", "message": "hi"}, [400, "Invalid request format."]),
        ({"key": ""}, [401, "This API key is invalid."]),
        ({"key": "wrong"}, [401, "This API key is invalid."]),
        (
            {"email": "test@example.test", "password": "nope"},
            [401, "This email or password is incorrect."],
        ),
    ],
)
async def test_authentication_errors(api: Api, fields: dict[str, str], expected: list[Any]) -> None:
    """400 without credentials, 401 with wrong ones (text depends on `key` being sent)."""
    body = json.loads(await api.raw("get-devices.php", fields))
    assert body == {
        "success": False,
        "data": None,
        "error": {"code": expected[0], "message": expected[1]},
    }


async def test_email_password_and_json_body(api: Api) -> None:
    """E-mail + password authenticate; a JSON body is not parsed at all."""
    fields = {"email": "test@example.test", "password": "testpass123"}
    assert json.loads(await api.raw("send.php", fields))["data"] == {"credits": 100}
    async with api.http.post(f"{api.sim.url}/services/send.php", json={"key": KEY}) as reply:
        assert json.loads(await reply.text())["error"] == {
            "code": 400,
            "message": "Invalid request format.",
        }


async def test_unknown_script_and_path_prefix(api: Api) -> None:
    """An installation in a sub-folder works; unknown scripts are 404."""
    async with api.http.post(f"{api.sim.url}/sms/services/send.php", data={"key": KEY}) as reply:
        assert json.loads(await reply.text())["data"] == {"credits": 100}
    async with api.http.post(f"{api.sim.url}/services/nope.php", data={"key": KEY}) as reply:
        assert reply.status == 404


# send.php


async def test_send_single_shapes_and_read_back(api: Api) -> None:
    """send.php: native ints, prioritize bool, retries null; read-back: 0/1 and 0."""
    sent = await api.send({"number": "+11234567890", "message": "Hello single"})
    message = sent[0]
    assert list(message) == MESSAGE_KEYS
    assert message["deviceID"] == 1
    assert message["simSlot"] is None
    assert message["status"] == "Pending"
    assert message["type"] == "sms"
    assert message["prioritize"] is False
    assert message["retries"] is None
    assert ISO8601.fullmatch(message["sentDate"])
    assert re.fullmatch(r"[A-Za-z0-9]{18}[0-9a-f]{13}\d\.\d{8}", message["groupID"])
    read = (await api.ok("read-messages.php", {"id": str(message["ID"])}))["messages"][0]
    assert list(read) == MESSAGE_KEYS
    assert read["prioritize"] == 0
    assert type(read["prioritize"]) is int
    assert read["retries"] == 0
    assert {**read, "prioritize": False, "retries": None} == message


async def test_send_escapes_like_php_json_encode(api: Api) -> None:
    """`/` → `\\/`, non-ASCII → `\\uXXXX` (surrogate pairs for emoji)."""
    body = await api.raw(
        "send.php", {"key": KEY, "number": "+11234567890", "message": "a/b ü € 😀"}
    )
    assert '"message":"a\\/b \\u00fc \\u20ac \\ud83d\\ude00"' in body


async def test_spintax_and_random_digits(api: Api) -> None:
    """`{a|b}` picks one option, `%random-4%` becomes four digits."""
    data = await api.ok("send.php", {"number": "+11234567890", "message": "{Hi|Hello} %random-4%"})
    assert re.fullmatch(r"(Hi|Hello) \d{4}", data["messages"][0]["message"])


async def test_comma_separated_and_array_numbers(api: Api) -> None:
    """One message per number, all in one group on the primary device."""
    comma = await api.send({"number": "+11234567801,+11234567802", "message": "c"})
    array = await api.send(
        [("number[]", "+11234567803"), ("number[]", "+11234567804"), ("message", "a")]
    )
    for messages, numbers in (
        (comma, ["+11234567801", "+11234567802"]),
        (array, ["+11234567803", "+11234567804"]),
    ):
        assert [m["number"] for m in messages] == numbers
        assert len({m["groupID"] for m in messages}) == 1
        assert {m["deviceID"] for m in messages} == {1}


BULK3 = json.dumps([{"number": f"+1123456789{i}", "message": f"bulk {i}"} for i in range(3)])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"devices": "1|0"}, [(1, 0), (1, 0), (1, 0)]),
        ({"devices": "0"}, [(1, None), (1, None), (1, None)]),
        ({"devices": "2"}, [(2, None), (2, None), (2, None)]),
        ({"devices": '["1|0","1|1"]'}, [(1, 0), (1, 0), (1, 1)]),
        ({"devices": "[1,2]"}, [(1, None), (1, None), (2, None)]),
        ({"option": "1", "devices": "2"}, [(1, None), (1, None), (2, None)]),
        ({"option": "2"}, [(1, 0), (1, 1), (2, 0)]),
        ({"option": "0", "devices": "2|0"}, [(2, 0), (2, 0), (2, 0)]),
    ],
)
async def test_distribution_over_devices(
    api: Api, fields: dict[str, str], expected: list[tuple[int, int | None]]
) -> None:
    """Contiguous chunks (first ones longer), one groupID per device."""
    messages = await api.send({"messages": BULK3, **fields})
    assert [(m["deviceID"], m["simSlot"]) for m in messages] == expected
    assert [m["message"] for m in messages] == ["bulk 0", "bulk 1", "bulk 2"]
    groups = {m["deviceID"]: m["groupID"] for m in messages}
    assert len(set(groups.values())) == len(groups)


@pytest.mark.parametrize("flag", ["1", "false", "yes"])
async def test_use_random_device_is_php_truthy(api: Api, flag: str) -> None:
    """Any non-empty value but "0" picks ONE entry of the list, even "false"."""
    messages = await api.send({"messages": BULK3, "option": "2", "useRandomDevice": flag})
    assert len({(m["deviceID"], m["simSlot"]) for m in messages}) == 1


async def test_use_random_device_zero_keeps_all(api: Api) -> None:
    """useRandomDevice=0 is false."""
    messages = await api.send({"messages": BULK3, "option": "2", "useRandomDevice": "0"})
    assert len({(m["deviceID"], m["simSlot"]) for m in messages}) == 3


async def test_bulk_per_message_sim_slot(api: Api) -> None:
    """A bulk entry's own simSlot is used when `devices` names no SIM."""
    messages = json.dumps([{"number": "+11234567894", "message": "m", "simSlot": 1}])
    assert (await api.send({"messages": messages}))[0]["simSlot"] == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"devices": "abc"}, [500, "Invalid request format."]),
        ({"devices": "1|2|3"}, [500, "Invalid request format."]),
        ({"devices": "99"}, [500, "This device doesn't exist in database."]),
        (
            {"devices": "1|5"},
            [
                500,
                "There is no SIM card present on slot index 5. Please restart the SMS Gateway "
                "app on your Android device if you recently inserted the SIM.",
            ],
        ),
        ({"schedule": "1000"}, [500, "Schedule time should be greater than current time."]),
        (
            {"schedule": "abc"},
            [
                500,
                "Message::sendMessages(): Argument #4 ($schedule) must be of type ?int, string "
                "given, called in /var/www/sms/services/send.php on line 128",
            ],
        ),
        (
            {"prioritize": "true"},
            [
                500,
                "Message::sendMessages(): Argument #5 ($prioritize) must be of type int, string "
                "given, called in /var/www/sms/services/send.php on line 128",
            ],
        ),
        ({"number": "abc123"}, [500, "Please use a valid Mobile Number."]),
        ({"message": " "}, [500, "Invalid request format."]),
        (
            {"type": "mms", "attachments": "not a url"},
            [500, "Image attachments you have provided are invalid."],
        ),
        ({"type": "mms", "number": "abc"}, [500, "There are no messages to send."]),
    ],
)
async def test_send_errors(api: Api, fields: dict[str, str], expected: list[Any]) -> None:
    """The catalogue texts, in the real server's order of checks; nothing is stored or charged."""
    request = {"number": "+11234567890", "message": "x", **fields}
    assert await api.error("send.php", request) == expected
    assert api.sim.messages == {}
    assert api.sim.credits == 100


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"messages": "notjson"},
            "count(): Argument #1 ($value) must be of type Countable|array, null given",
        ),
        (
            {
                "messages": '[{"number":"+11234567891","message":"m","type":"mms",'
                '"attachments":"https://example.com/x.png"}]'
            },
            "Message::isValidAttachments(): Argument #1 ($attachments) must be of type string, "
            "null given, called in /var/www/sms/services/send.php on line 86",
        ),
        ({"messages": '[{"message":"no number"}]'}, "Invalid request format."),
        (
            {"listID": "abc", "message": "x"},
            "ContactsList::getContactsList(): Argument #1 ($listID) must be of type int, "
            "string given, called in /var/www/sms/services/send.php on line 91",
        ),
    ],
)
async def test_bulk_and_list_errors(api: Api, fields: dict[str, str], expected: str) -> None:
    """PHP errors leak through as code 500 with the exception text."""
    assert await api.error("send.php", fields) == [500, expected]


async def test_types_and_attachments(api: Api) -> None:
    """type=foo is sms; MMS with/without attachments; bulk MMS takes the top-level list."""
    base = {"number": "+11234567890", "message": "m"}
    foo = (await api.send({**base, "type": "foo"}))[0]
    assert (foo["type"], foo["attachments"]) == ("sms", None)
    bare = (await api.send({**base, "type": "mms"}))[0]
    assert (bare["type"], bare["attachments"]) == ("mms", None)
    sms_with_urls = (await api.send({**base, "attachments": "https://e.com/a.png"}))[0]
    assert sms_with_urls["attachments"] is None
    mms = (
        await api.send(
            {**base, "type": "mms", "attachments": " https://e.com/a.png , https://e.com/b.jpg "}
        )
    )[0]
    assert mms["attachments"] == "https://e.com/a.png,https://e.com/b.jpg"
    bulk = json.dumps(
        [
            {
                "number": "+11234567891",
                "message": "b",
                "type": "mms",
                "attachments": "https://e.com/x.png",
            }
        ]
    )
    top = (await api.send({"messages": bulk, "attachments": "https://e.com/TOP.png"}))[0]
    assert top["attachments"] == "https://e.com/TOP.png"


async def test_credits(api: Api, sim: GatewaySimulator) -> None:
    """1 per SMS, 1 per MMS recipient, scheduled charged at once; shortfall refused whole."""
    await api.ok("send.php", {"number": "+11234567801,+11234567802", "message": "a"})
    await api.ok("send.php", {"number": "+11234567891|+11234567892", "message": "g", "type": "mms"})
    await api.ok(
        "send.php",
        {"number": "+11234567890", "message": "later", "schedule": str(int(time.time()) + 3600)},
    )
    assert await api.ok("send.php") == {"credits": 95}
    sim.credits = 1
    assert await api.error("send.php", {"number": "+11234567801,+11234567802", "message": "x"}) == [
        500,
        "You have insufficient credits to complete this operation. Please get more credits to "
        "continue.",
    ]
    assert len(sim.messages) == 4
    sim.credits = None
    assert await api.ok("send.php") == {"credits": None}
    await api.ok("send.php", {"number": "+11234567890", "message": "free"})
    assert sim.credits is None


async def test_scheduled_message(api: Api) -> None:
    """A future integer schedule creates a Scheduled message carrying it."""
    when = int(time.time()) + 3600
    message = (await api.send({"number": "+11234567890", "message": "s", "schedule": str(when)}))[0]
    assert (message["status"], message["schedule"]) == ("Scheduled", when)


async def test_send_to_contacts_list(api: Api) -> None:
    """Subscribed contacts only; %name% %number% %listID% case-insensitive, number URL-encoded."""
    messages = await api.send({"listID": "1", "message": "Hi %NAME% (%number%) list %listid%"})
    assert [m["message"] for m in messages] == [
        "Hi Alice (%2B33600000101) list 1",
        "Hi Bob (%2B33600000102) list 1",
    ]
    assert await api.error("send.php", {"listID": "7", "message": "x"}) == [
        400,
        "Invalid List ID! Unable to find the contacts list.",
    ]
    for number in ("+33600000101", "+33600000102"):
        await api.ok("manage-contacts.php", {"listID": "1", "number": number, "unsubscribe": "1"})
    assert await api.error("send.php", {"listID": "1", "message": "x"}) == [
        204,
        "There are no subscribers present in the contacts list.",
    ]


async def test_disabled_and_missing_devices(api: Api, sim: GatewaySimulator) -> None:
    """A disabled phone is named in the error; with no usable phone there is no primary."""
    sim.phones[1].enabled = False
    assert await api.error("send.php", {"number": "+1", "message": "x", "devices": "1"}) == [
        500,
        "Unable to connect to the device. Make sure you are logged in to the application on "
        "Office phone [1].",
    ]
    assert (await api.send({"number": "+1", "message": "x"}))[0]["deviceID"] == 2
    sim.remove_phone(2)
    assert await api.error("send.php", {"number": "+1", "message": "x"}) == [
        500,
        "No active device found associated with this user account.",
    ]


# read-messages.php, resend.php, cancel-campaign.php


async def test_read_messages_filters(api: Api, sim: GatewaySimulator) -> None:
    """Filters are ANDed; `groupId` is case-sensitive as a name; empty result is 404."""
    first = (await api.send({"number": "+11234567890", "message": "a", "devices": "1|1"}))[0]
    await api.ok("send.php", {"number": "+11234567891", "message": "b", "devices": "2"})

    async def ids(fields: dict[str, str]) -> list[int]:
        return [m["ID"] for m in (await api.ok("read-messages.php", fields))["messages"]]

    assert await ids({}) == [1, 2]
    assert await ids({"groupId": first["groupID"]}) == [1]
    assert await ids({"groupID": first["groupID"]}) == [1, 2]
    assert await ids({"deviceID": "1", "simSlot": "1", "status": "pending"}) == [1]
    now = int(time.time())
    assert await ids({"startTimestamp": str(now - 60), "endTimestamp": str(now + 60)}) == [1, 2]
    assert await api.error("read-messages.php", {"startTimestamp": str(now + 60)}) == [
        404,
        "No messages found.",
    ]
    assert await api.error("read-messages.php", {"status": "Received"}) == [
        404,
        "No messages found.",
    ]
    assert await api.error("read-messages.php", {"startTimestamp": "abc"}) == [
        500,
        "date(): Argument #2 ($timestamp) must be of type ?int, string given",
    ]
    await sim.receive_sms("+15550001111", "hi")
    received = (await api.ok("read-messages.php", {"status": "Received"}))["messages"][0]
    assert (received["type"], received["groupID"], received["deviceID"]) == ("sms", None, 1)


async def test_resend(api: Api, sim: GatewaySimulator) -> None:
    """Back to Pending with retries+1, codes cleared, a new groupID — and free of charge."""
    message = (await api.send({"number": "+11234560000", "message": "r"}))[0]
    for _ in range(3):
        await sim.advance()
    assert sim.messages[1]["status"] == "Failed"
    await sim.receive_sms("+15550001111", "in")
    credits = sim.credits
    resent = (await api.ok("resend.php", {}))["messages"]
    assert [m["status"] for m in resent] == ["Pending", "Pending"]
    assert [m["retries"] for m in resent] == [1, 1]
    assert resent[0]["resultCode"] is None
    assert resent[0]["deliveredDate"] is None
    assert resent[0]["groupID"] != message["groupID"]
    assert resent[0]["groupID"] == resent[1]["groupID"]  # one group per device per call
    assert sim.credits == credits
    assert await api.error("resend.php", {"id": "999"}) == [404, "No messages found."]


async def test_cancel_campaign(api: Api, sim: GatewaySimulator) -> None:
    """POST groupId, no authentication; only Pending/Queued become Canceled; GET is ignored."""
    messages = await api.send({"messages": BULK3})
    sim.set_status(3, "Sent")
    group = messages[0]["groupID"]
    get = await api.raw("cancel-campaign.php", method="GET", params={"groupId": group})
    assert json.loads(get)["error"] == {"code": 400, "message": "Invalid request format."}
    assert await api.raw("cancel-campaign.php", {"groupId": group}) == (
        '{"success":true,"data":null,"error":null}'
    )
    assert [row["status"] for row in sim.messages.values()] == ["Canceled", "Canceled", "Sent"]
    assert sim.messages[1]["deliveredDate"] is not None


# manage-contacts.php


async def test_manage_contacts(api: Api) -> None:
    """Add, duplicate, unsubscribe, resubscribe; the nested list is filled only from the DB."""
    added = (await api.ok("manage-contacts.php", {"listID": "1", "number": "hello", "name": "Z"}))[
        "contact"
    ]
    assert added == {
        "ID": 3,
        "name": "Z",
        "number": "hello",
        "subscribed": True,
        "contactsListID": 1,
        "contactsList": {"ID": None, "name": None, "userID": None},
    }
    fields = {"listID": "1", "number": "+33600000101"}
    assert await api.error("manage-contacts.php", fields) == [
        400,
        "This mobile number already exists in the contacts list.",
    ]
    gone = (await api.ok("manage-contacts.php", {**fields, "unsubscribe": "1"}))["contact"]
    assert (gone["subscribed"], gone["contactsList"]) == (
        False,
        {"ID": 1, "name": "Customers", "userID": 1},
    )
    assert await api.error("manage-contacts.php", {**fields, "unsubscribe": "1"}) == [
        400,
        "This number is already unsubscribed from the list.",
    ]
    back = (await api.ok("manage-contacts.php", {**fields, "resubscribe": "1", "name": "A2"}))[
        "contact"
    ]
    assert (back["subscribed"], back["name"]) == (True, "A2")
    assert await api.error(
        "manage-contacts.php", {"listID": "1", "number": "+1999", "unsubscribe": "1"}
    ) == [400, "This number is not present in the subscribers list."]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"listID": "2", "number": "+1"},
            [403, "Invalid List ID! Unable to find the contacts list."],
        ),
        ({"listID": "1"}, [400, "Invalid request format."]),
        (
            {"listID": "abc", "number": "+1"},
            [
                500,
                "ContactsList::getContactsList(): Argument #1 ($listID) must be of type int, "
                "string given, called in /var/www/sms/services/manage-contacts.php on line 14",
            ],
        ),
    ],
)
async def test_manage_contacts_errors(
    api: Api, fields: dict[str, str], expected: list[Any]
) -> None:
    """Other lists are 403, missing parameters 400, a non-numeric list id a TypeError."""
    assert await api.error("manage-contacts.php", fields) == expected


# USSD


async def test_ussd_requests(api: Api, sim: GatewaySimulator) -> None:
    """Queue, read back with filters, 1 credit each, 404 texts."""
    first = (
        await api.ok("send-ussd-request.php", {"request": "*150#", "device": "1", "sim": "1"})
    )["request"]
    assert list(first) == [
        "ID",
        "request",
        "response",
        "userID",
        "deviceID",
        "simSlot",
        "sentDate",
        "responseDate",
    ]
    assert (first["simSlot"], first["response"], first["responseDate"]) == (1, None, None)
    other = (
        await api.ok("send-ussd-request.php", {"request": "*100#", "device": "1", "sim": "x"})
    )["request"]
    assert other["simSlot"] is None
    assert sim.credits == 98
    found = (await api.ok("read-ussd-requests.php", {"request": "*150#", "simSlot": "1"}))[
        "requests"
    ]
    assert [r["ID"] for r in found] == [first["ID"]]
    assert await api.error("read-ussd-requests.php", {"id": "99"}) == [
        404,
        "No USSD requests found.",
    ]


async def test_ussd_errors(api: Api, sim: GatewaySimulator) -> None:
    """Missing parameters beat bad credentials; the SIM text quotes `$_POST` (blank on GET)."""
    assert await api.error("send-ussd-request.php", {"key": "bad", "request": "*1#"}) == [
        400,
        "Invalid request format.",
    ]
    assert await api.error("send-ussd-request.php", {"request": "*1#", "device": "99"}) == [
        500,
        "This device doesn't exist in database.",
    ]
    text = (
        "Make sure you are logged in to app on the device #{} and there is sim present in slot {}. "
        "If you inserted it recently, then open the app on the phone to add it to the database."
    )
    fields = {"request": "*1#", "device": "1", "sim": "5"}
    assert await api.error("send-ussd-request.php", fields) == [404, text.format(1, 5)]
    query = {"key": KEY, **fields}
    body = json.loads(await api.raw("send-ussd-request.php", method="GET", params=query))
    assert body["error"] == {"code": 404, "message": text.format("", "")}
    sim.phones[2].sims = {1: "SIM #2"}
    assert (await api.ok("send-ussd-request.php", {"request": "*1#", "device": "2", "sim": "0"}))[
        "request"
    ]["simSlot"] == 0  # PHP never checks slot 0 (`0 != null` is false)


async def test_ussd_zero_credit_quirk(api: Api, sim: GatewaySimulator) -> None:
    """`credits != null && credits < 1` lets a zero balance through once (0 == null in PHP)."""
    sim.credits = 0
    await api.ok("send-ussd-request.php", {"request": "*1#", "device": "1"})
    assert sim.credits == -1
    assert (await api.error("send-ussd-request.php", {"request": "*1#", "device": "1"}))[1] == (
        "You have insufficient credits to complete this operation. Please get more credits to "
        "continue."
    )


# get-devices.php


async def test_get_devices(api: Api, sim: GatewaySimulator) -> None:
    """Enabled phones only; `sims` a list for slots 0..n-1, else an object; `c` dates."""
    sim.phones[1].last_seen = datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)
    devices = (await api.ok("get-devices.php"))["devices"]
    assert devices[0] == {
        "id": 1,
        "name": "Office phone",
        "model": "SM-A600FN",
        "androidVersion": "10",
        "appVersion": "9.4.9",
        "lastSeenAt": "2024-05-01T10:11:12+00:00",
        "sims": ["SIM #1 [Free]", "SIM #2 [+33600000002]"],
    }
    assert devices[1]["sims"] == ["SIM #1 [Orange F]"]
    sim.phones[1].sims = {1: "SIM #2 [+33600000002]"}
    sim.phones[2].enabled = False
    sim.add_phone("Spare", sims={}).last_seen = None
    devices = (await api.ok("get-devices.php"))["devices"]
    assert [d["id"] for d in devices] == [1, 3]
    assert devices[0]["sims"] == {"1": "SIM #2 [+33600000002]"}
    assert (devices[1]["sims"], devices[1]["lastSeenAt"]) == ([], None)
    raw = await api.raw("get-devices.php", {"key": KEY})
    assert '"sims":{"1":"SIM #2 [+33600000002]"}' in raw


# Status progression


async def test_status_progression(api: Api, sim: GatewaySimulator) -> None:
    """Pending → Queued → Sent → Delivered, or Failed for numbers ending in 0000."""
    await api.ok("send.php", {"number": "+11234567890,+15550000000", "message": "p"})
    steps = []
    for _ in range(4):
        moved = await sim.advance()
        steps.append([(row["ID"], row["status"]) for row in moved])
    assert steps == [
        [(1, "Queued"), (2, "Queued")],
        [(1, "Sent"), (2, "Failed")],
        [(1, "Delivered")],
        [],
    ]
    ok, failed = sim.messages[1], sim.messages[2]
    assert (ok["resultCode"], ok["errorCode"], ok["simSlot"]) == (-1, -1, 0)
    assert (failed["resultCode"], failed["errorCode"]) == (1, 0)
    assert ISO8601.fullmatch(ok["deliveredDate"])
    read = (await api.ok("read-messages.php", {"status": "Failed"}))["messages"]
    assert [m["ID"] for m in read] == [2]


async def test_offline_phone_and_schedule(api: Api, sim: GatewaySimulator) -> None:
    """A disabled phone does not fetch; a Scheduled message becomes Pending once due."""
    await api.ok("send.php", {"number": "+11234567890", "message": "x", "devices": "2"})
    later = str(int(time.time()) + 100)
    await api.ok("send.php", {"number": "+11234567890", "message": "y", "schedule": later})
    sim.phones[2].enabled = False
    assert await sim.advance() == []
    sim.messages[2]["schedule"] = int(time.time()) - 1
    assert [(r["ID"], r["status"]) for r in await sim.advance()] == [(2, "Pending")]


async def test_set_status(api: Api, sim: GatewaySimulator) -> None:
    """set_status forces a status and codes; other fields follow."""
    await api.ok("send.php", {"number": "+11234567890", "message": "x"})
    row = sim.set_status(1, "Failed", result_code=5, error_code=42)
    assert (row["status"], row["resultCode"], row["errorCode"]) == ("Failed", 5, 42)
    assert row["deliveredDate"] is not None
    assert (await api.ok("read-messages.php", {"id": "1"}))["messages"][0]["resultCode"] == 5


# Webhooks


async def test_incoming_sms_webhook(sim: GatewaySimulator, hook: Hook) -> None:
    """Form field `messages`, spaces as `+`, PHP JSON, HMAC over the form-decoded value."""
    sim.webhook_url = hook.url
    sent = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    row = await sim.receive_sms("+33612345678", "Ça va? 😀 a/b", sim_slot=None, sent_date=sent)
    headers, body = hook.received[0]
    expected = (
        f'[{{"ID":{row["ID"]},"number":"+33612345678","message":"\\u00c7a va? \\ud83d\\ude00 '
        'a\\/b","deviceID":1,"simSlot":null,"schedule":null,"userID":1,"groupID":null,'
        '"status":"Received","resultCode":null,"errorCode":null,"type":null,"attachments":null,'
        '"prioritize":null,"retries":null,"sentDate":"2024-05-01T10:00:00+0000",'
        f'"deliveredDate":"{row["deliveredDate"]}","expiryDate":null}}]'
    )
    assert body.startswith(b"messages=%5B%7B%22ID%22%3A")
    assert b"+va%3F+" in body
    assert parse_qs(body.decode()) == {"messages": [expected]}
    assert headers["X-SG-Signature"] == sign(expected)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["User-Agent"] == "GuzzleHttp/7"
    assert "Accept" not in headers
    assert sim.webhook_results == [200]


async def test_ussd_answer_webhook(api: Api, sim: GatewaySimulator, hook: Hook) -> None:
    """`ussdRequest` carries the Ussd object; the signature follows a rotated key."""
    ussd = (await api.ok("send-ussd-request.php", {"request": "*150#", "device": "1", "sim": "0"}))[
        "request"
    ]
    sim.webhook_url = hook.url
    sim.api_key = "rotated"
    answered = await sim.answer_ussd(ussd["ID"], "Your balance is 12.50 EUR / 31/12")
    headers, body = hook.received[0]
    value = parse_qs(body.decode())["ussdRequest"][0]
    assert value == (
        f'{{"ID":{ussd["ID"]},"request":"*150#","response":"Your balance is 12.50 EUR \\/ '
        f'31\\/12","userID":1,"deviceID":1,"simSlot":0,"sentDate":"{ussd["sentDate"]}",'
        f'"responseDate":"{answered["responseDate"]}"}}'
    )
    assert b"ussdRequest=%7B%22ID%22" in body
    assert b"Your+balance+is+12.50+EUR" in body
    assert headers["X-SG-Signature"] == sign(value, "rotated")


async def test_forged_and_failed_webhooks(sim: GatewaySimulator, hook: Hook) -> None:
    """post_webhook can forge or omit the signature; statuses and failures are recorded."""
    sim.webhook_url = hook.url
    hook.status = 401
    assert (
        await sim.post_webhook("messages", "[]", signature="forged", extra_headers={"X-A": "1"})
        == 401
    )
    assert await sim.post_webhook("messages", "[]", signature="") == 401
    assert hook.received[0][0]["X-SG-Signature"] == "forged"
    assert hook.received[0][0]["X-A"] == "1"
    assert "X-SG-Signature" not in hook.received[1][0]
    sim.webhook_url = "http://127.0.0.1:1/hook"
    await sim.receive_sms("+1", "lost")
    assert sim.webhook_results == [401, 401, 0]
    assert len(sim.messages) == 1


# Faults and recording


async def test_faults(api: Api, sim: GatewaySimulator) -> None:
    """Latency, HTTP 500, HTML page, forced 401, hang; a spoilt answer changes nothing."""
    sim.faults.latency = 0.2
    started = time.monotonic()
    await api.ok("send.php")
    assert time.monotonic() - started >= 0.2
    sim.faults.reset()
    sim.faults.http_500 = True
    url = f"{sim.url}/services/send.php"
    fields = {"key": KEY, "number": "+11234567890", "message": "x"}
    async with api.http.post(url, data=fields) as reply:
        assert reply.status == 500
        assert "<title>500 Internal Server Error</title>" in await reply.text()
    sim.faults.reset()
    sim.faults.html_error = True
    async with api.http.post(url, data=fields) as reply:
        assert reply.status == 200
        assert (await reply.text()).startswith("<br />\n<b>Warning</b>")
    sim.faults.reset()
    sim.faults.reject_key = True
    assert await api.error("send.php") == [401, "This API key is invalid."]
    sim.faults.reset()
    sim.faults.hang = True
    with pytest.raises(TimeoutError):
        async with api.http.post(url, data={"key": KEY}, timeout=aiohttp.ClientTimeout(total=0.2)):
            pass
    sim.faults.reset()
    assert await api.ok("send.php") == {"credits": 100}
    assert sim.messages == {}
    assert [r.path for r in sim.requests].count("/services/send.php") == 6
    assert sim.requests[1].params == {"key": KEY, "number": "+11234567890", "message": "x"}
    assert sim.requests[1].method == "POST"


async def test_healthy_calls_and_peak_in_flight(api: Api, sim: GatewaySimulator) -> None:
    """Faults spare the next `healthy_calls` calls; overlapping calls are counted."""
    sim.faults.http_500 = True
    sim.faults.healthy_calls = 1
    assert await api.ok("send.php") == {"credits": 100}
    async with api.http.post(f"{sim.url}/services/send.php", data={"key": KEY}) as reply:
        assert reply.status == 500
    assert sim.faults.healthy_calls == 0
    assert sim.peak_in_flight == 1

    sim.faults.reset()
    sim.faults.latency = 0.1
    await asyncio.gather(api.ok("send.php"), api.ok("send.php"), api.ok("send.php"))
    assert sim.peak_in_flight == 3
    assert sim.in_flight == 0


async def test_stop_releases_hung_request(http: aiohttp.ClientSession) -> None:
    """stop() answers a hung request with HTTP 503 instead of waiting for it."""
    sim = GatewaySimulator(api_key=KEY)
    await sim.start()
    sim.faults.hang = True
    pending = asyncio.ensure_future(http.post(f"{sim.url}/services/send.php", data={"key": KEY}))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await sim.stop()
    assert time.monotonic() - started < 1
    reply = await pending
    assert reply.status == 503
    reply.release()


# Control API, automatic mode, command line


async def test_control_api(sim: GatewaySimulator, http: aiohttp.ClientSession, hook: Hook) -> None:
    """The /_sim/ endpoints drive the same state as the Python API."""

    async def control(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with http.request(method, f"{sim.url}/_sim/{path}", json=body) as reply:
            return reply.status, await reply.json()

    status, answer = await control("POST", "incoming", {"number": "+1555", "message": "hi"})
    assert status == 200
    assert answer["webhook_status"] is None
    assert (answer["message"]["status"], answer["message"]["simSlot"]) == ("Received", 0)
    assert (await control("POST", "webhook", {"url": hook.url}))[1] == {"url": hook.url}
    answer = (await control("POST", "incoming", {"number": "+1", "message": "x", "phone_id": 2}))[1]
    assert (answer["webhook_status"], answer["message"]["deviceID"]) == (200, 2)
    assert len(hook.received) == 1
    assert (await control("POST", "incoming", {"number": "+1", "message": "x", "phone_id": 9}))[
        0
    ] == 404
    assert (await control("POST", "incoming", {"number": 1}))[0] == 400
    faults = (await control("POST", "faults", {"latency": 0.01, "reject_key": True}))[1]
    assert faults == {
        "latency": 0.01,
        "http_500": False,
        "html_error": False,
        "reject_key": True,
        "hang": False,
        "rate_limit": 0,
        "healthy_calls": 0,
    }
    assert sim.faults.reject_key is True
    assert (await control("POST", "faults", {"bogus": True}))[0] == 400
    assert (await control("POST", "faults", {"hang": "yes"}))[0] == 400
    assert (await control("POST", "faults", {"healthy_calls": True}))[0] == 400
    assert (await control("POST", "faults", {"healthy_calls": -1}))[0] == 400
    await control("POST", "faults", {"latency": 0, "reject_key": False})
    async with http.post(
        f"{sim.url}/services/send-ussd-request.php",
        data={"key": KEY, "request": "*1#", "device": "1"},
    ):
        pass
    requests = (await control("GET", "requests"))[1]
    assert requests == [
        {
            "path": "/services/send-ussd-request.php",
            "params": {"key": "***", "request": "*1#", "device": "1"},
        }
    ]
    answer = (await control("POST", "ussd/1/answer", {"response": "42 EUR"}))[1]
    assert (answer["request"]["response"], answer["webhook_status"]) == ("42 EUR", 200)
    assert (await control("POST", "ussd/7/answer", {"response": "x"}))[0] == 404
    sim.set_status(1, "Pending")
    assert [row["status"] for row in (await control("POST", "advance"))[1]] == ["Queued"]
    assert [row["ID"] for row in (await control("GET", "messages"))[1]] == [1, 2]


async def test_automatic_mode(http: aiohttp.ClientSession) -> None:
    """With status_interval the phones deliver by themselves and answer USSD requests."""
    sim = GatewaySimulator(api_key=KEY, status_interval=0.05)
    await sim.start()
    try:
        api = Api(http, sim)
        await api.ok("send.php", {"number": "+11234567890", "message": "auto"})
        await api.ok("send-ussd-request.php", {"request": "*150#", "device": "1"})
        for _ in range(60):
            if sim.messages[1]["status"] == "Delivered" and sim.ussd_requests[1]["response"]:
                break
            await asyncio.sleep(0.05)
        assert sim.messages[1]["status"] == "Delivered"
        assert sim.ussd_requests[1]["response"] == "Your balance is 12.50 EUR."
    finally:
        await sim.stop()


async def test_command_line(http: aiohttp.ClientSession) -> None:
    """`python -m tests.simulator` prints the URL, serves, and exits cleanly on SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        *("--port", "0", "--api-key", "cli-key", "--credits", "unlimited", "--step", "0"),
        cwd=Path(__file__).parents[1],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        url = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        async with http.get(f"{url}/services/send.php", params={"key": "cli-key"}) as reply:
            assert json.loads(await reply.text())["data"] == {"credits": None}
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_command_line_tls(http: aiohttp.ClientSession) -> None:
    """`--tls` serves HTTPS with a self-signed certificate for 127.0.0.1, logged on stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        *("--port", "0", "--api-key", "cli-key", "--step", "0", "--tls"),
        cwd=Path(__file__).parents[1],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        url = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", url)
        log = (await asyncio.wait_for(process.stderr.readline(), 10)).decode()
        match = re.search(r"Self-signed certificate for 127\.0\.0\.1, localhost: (\S+)$", log)
        assert match is not None, log
        cert = Path(match[1])
        # A verifying client refuses it; one that trusts the certificate gets the API.
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await http.get(f"{url}/services/send.php", params={"key": "cli-key"})
        trusted = client_context(cert)
        async with http.get(
            f"{url}/services/send.php", params={"key": "cli-key"}, ssl=trusted
        ) as reply:
            assert json.loads(await reply.text())["data"] == {"credits": 100}
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    assert not await asyncio.to_thread(cert.exists)  # deleted on exit
