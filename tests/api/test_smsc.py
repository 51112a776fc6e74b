"""Tests of `SmscClient` over real HTTP against the SMSC simulator.

The parameters the simulator received are asserted exactly, so a renamed or missing field
fails; callbacks travel from the simulator to a real HTTP receiver that hands the raw request
to the client, as the integration's webhook does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import hashlib
import logging
import re
import socket
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
import pytest

from custom_components.sms_bridge.api import (
    Account,
    Capability,
    ConnectionErrorKind,
    DeliveryReport,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayInsufficientFundsError,
    GatewayRateLimitedError,
    GatewayRequestRefusedError,
    GatewayResponseError,
    GatewayUnavailableError,
    InboundBatch,
    InvalidQueryError,
    Message,
    MessageQuery,
    MessageStatus,
    MessageType,
    SendRequest,
    SmsBridgeError,
    TrackedMessage,
    WebhookMediaTypeError,
    WebhookPayloadError,
    WebhookRequest,
    WebhookSignatureError,
)
from custom_components.sms_bridge.api.smsc import (
    CONF_API_KEY,
    CONF_CALLBACK_SECRET,
    CONF_HOST,
    CONF_LOGIN,
    CONF_PASSWORD,
    CONF_PREVIOUS_CALLBACK_SECRET,
    CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES,
    CONF_SENDER_ID,
    MAX_SEND_ID,
    RATE_LIMIT_WAIT,
    SECRET_ROTATION_GRACE,
    SmscClient,
    callback_hash,
    callback_query,
    failure_reason,
    from_config,
    generate_callback_secret,
    prune_callback_secrets,
    rotate_callback_secret,
    send_id_of,
    service_url,
    status_from_code,
)
from tests.simulator.smsc import (
    API_KEY,
    CRC32_FORMATS,
    LOGIN,
    PASSWORD,
    RECEIVING_NUMBER,
    SmscSimulator,
)
from tests.simulator.tls import server_context, write_self_signed_certificate

SECRET = "cb-secret_0123456789"
NUMBERS = ("+79161234567", "+79161234568")


@dataclass
class Receiver:
    """A real HTTP server handing each request to the client, answering as the integration."""

    client: SmscClient
    url: str = ""
    results: list[Any] = field(default_factory=list)  # WebhookResult or the error raised
    statuses: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        received = WebhookRequest(
            method=request.method,
            headers=request.headers,
            query=request.query,
            body=await request.read(),
        )
        try:
            result = self.client.handle_webhook(received)
        except WebhookSignatureError as err:
            self.results.append(err)
            status = 401
        except WebhookMediaTypeError as err:
            self.results.append(err)
            status = 415
        except WebhookPayloadError as err:
            self.results.append(err)
            status = 400
        else:
            self.results.append(result)
            return web.Response(text=result.reply.text, status=result.reply.status)
        return web.Response(status=status)

    @property
    def batches(self) -> list[Any]:
        return [result.batch for result in self.results if not isinstance(result, Exception)]


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """Return a real HTTP session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sim() -> AsyncGenerator[SmscSimulator]:
    """Run the SMSC simulator."""
    simulator = SmscSimulator()
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
def client(session: aiohttp.ClientSession, sim: SmscSimulator) -> SmscClient:
    """Return a client of the simulator's account, by login and password."""
    return SmscClient(session, host=sim.url, login=LOGIN, password=PASSWORD, callback_secret=SECRET)


@pytest.fixture
async def receiver(client: SmscClient) -> AsyncGenerator[Receiver]:
    """Run the callback receiver of ``client``."""
    receiver = Receiver(client)
    app = web.Application()
    app.router.add_route("*", "/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@dataclass
class Canned:
    """A server answering every script with a fixed body (for answers the service rarely gives)."""

    body: str = "{}"
    status: int = 200
    url: str = ""


@pytest.fixture
async def canned() -> AsyncGenerator[Canned]:
    """Run a canned SMSC."""
    canned = Canned()

    async def handle(_request: web.Request) -> web.Response:
        return web.Response(text=canned.body, status=canned.status, content_type="text/plain")

    app = web.Application()
    app.router.add_route("*", "/sys/{script}.php", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    canned.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield canned
    finally:
        await runner.cleanup()


def params_of(sim: SmscSimulator, script: str, index: int = -1) -> dict[str, Any]:
    """Return a request's parameters without the credentials, checking them and the format."""
    request = sim.requests[index]
    assert request.path == f"/sys/{script}.php"
    assert request.method == "POST"
    params = dict(request.params)
    assert params.pop("login") == LOGIN
    assert params.pop("psw") == PASSWORD
    assert params.pop("fmt") == "3"
    assert params.pop("charset") == "utf-8"
    return params


# -- configuration ---------------------------------------------------------------------------


def test_capabilities() -> None:
    """An SMS centre without phones: balance, MMS, schedule, callbacks and status polling."""
    assert SmscClient.capabilities == {
        Capability.MMS,
        Capability.SCHEDULE,
        Capability.CREDITS,
        Capability.INBOUND_WEBHOOK,
        Capability.STATUS_WEBHOOK,
        Capability.STATUS_POLL,
        Capability.SENDER_ID,
    }
    assert Capability.PHONES not in SmscClient.capabilities
    assert SmscClient.webhook_methods == {"POST", "GET"}


async def test_no_phones(client: SmscClient, sim: SmscSimulator) -> None:
    """There are no phones, and asking costs no request."""
    assert await client.phones() == []
    assert sim.requests == []


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("smsc.kz", "https://smsc.kz"),
        (" SMSCentre.com ", "https://smscentre.com"),
        ("", "https://smsc.ru"),
        ("https://smsc.ru/sys/send.php", "https://smsc.ru"),
        ("http://sms.example.test:8080/", "http://sms.example.test:8080"),
        ("https://example.test/sms/sys/", "https://example.test/sms"),
    ],
)
def test_service_url(host: str, url: str) -> None:
    """A host name gets HTTPS; a typed URL keeps its scheme and port, not a script path."""
    assert service_url(host) == url


async def test_from_config(session: aiohttp.ClientSession, sim: SmscSimulator) -> None:
    """The factory reads the CONF_* keys; the API key wins over login and password."""
    by_login = from_config(
        session,
        {CONF_HOST: sim.url, CONF_LOGIN: LOGIN, CONF_PASSWORD: PASSWORD, CONF_SENDER_ID: "Home"},
    )
    await by_login.send(SendRequest(NUMBERS[:1], "hi"))
    assert params_of(sim, "send")["sender"] == "Home"
    by_key = from_config(
        session,
        {CONF_HOST: sim.url, CONF_API_KEY: API_KEY, CONF_LOGIN: "", CONF_CALLBACK_SECRET: SECRET},
    )
    assert (await by_key.account()).credits == pytest.approx(100 - 2.90)
    params = dict(sim.requests[-1].params)
    assert params["apikey"] == API_KEY
    assert "login" not in params
    assert "psw" not in params
    default_host = from_config(session, {CONF_API_KEY: API_KEY})
    assert default_host.account_id.startswith("https://smsc.ru#key-")


def test_credentials_required(session: aiohttp.ClientSession) -> None:
    """A login without its password, or nothing at all, is refused at once."""
    with pytest.raises(GatewayAuthenticationError):
        SmscClient(session, login=LOGIN)
    with pytest.raises(GatewayAuthenticationError):
        from_config(session, {CONF_PASSWORD: PASSWORD})


def test_account_id_and_repr(session: aiohttp.ClientSession) -> None:
    """The account id names the service and login, or a digest of the key: never a secret."""
    by_login = SmscClient(
        session, host="smsc.kz", login=LOGIN, password=PASSWORD, callback_secret=SECRET
    )
    assert by_login.account_id == f"https://smsc.kz#{LOGIN}"
    by_key = SmscClient(session, api_key=API_KEY, callback_secret=SECRET)
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()[:16]
    assert by_key.account_id == f"https://smsc.ru#key-{digest}"
    for client in (by_login, by_key):
        for text in (client.account_id, repr(client), str(client)):
            assert PASSWORD not in text
            assert API_KEY not in text
            assert SECRET not in text


# -- balance ---------------------------------------------------------------------------------


async def test_balance(client: SmscClient, sim: SmscSimulator) -> None:
    """balance.php with the currency asked: money in the account's currency."""
    assert client.latest_account is None
    assert await client.account() == Account(credits=100.0, currency="RUB")
    assert params_of(sim, "balance") == {"cur": "1"}
    assert client.latest_account == Account(credits=100.0, currency="RUB")


async def test_negative_balance(client: SmscClient, sim: SmscSimulator) -> None:
    """An account on credit has a negative balance."""
    sim.balance = Decimal("-12.50")
    assert (await client.account()).credits == -12.5


@pytest.mark.parametrize("body", ['{"currency": "RUB"}', '{"balance": "lots"}', '["250.80"]', "{}"])
async def test_balance_unreadable(
    session: aiohttp.ClientSession, canned: Canned, body: str
) -> None:
    """An answer without a readable balance is a response error."""
    canned.body = body
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    with pytest.raises(GatewayResponseError):
        await client.account()


async def test_balance_without_currency(session: aiohttp.ClientSession, canned: Canned) -> None:
    """A service that does not name its currency: money without a unit."""
    canned.body = '{"balance": 250.8}'
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    assert await client.account() == Account(credits=250.8, currency=None)


# -- sending ---------------------------------------------------------------------------------


async def test_send_to_many_in_one_request(client: SmscClient, sim: SmscSimulator) -> None:
    """All recipients in one send.php request, asked for cost and balance, one message each."""
    messages = await client.send(SendRequest(NUMBERS, "Door open"))
    assert len(sim.requests) == 1
    assert params_of(sim, "send") == {
        "phones": "+79161234567,+79161234568",
        "mes": "Door open",
        "cost": "3",
        "op": "1",
    }
    (send_id,) = {message.group_id for message in messages}
    assert send_id is not None
    assert send_id.isdecimal()
    assert messages == [
        Message(
            id=f"{send_id}:{number[1:]}",
            number=number,
            text="Door open",
            status=MessageStatus.PENDING,
            group_id=send_id,
            type=MessageType.SMS,
            cost=2.90,
            segments=1,
        )
        for number in NUMBERS
    ]
    assert sim.balance == Decimal("94.20")


async def test_send_updates_the_balance(client: SmscClient, sim: SmscSimulator) -> None:
    """The send's answer carries the balance left: no balance request is needed after it."""
    await client.account()
    await client.send(SendRequest(NUMBERS, "x" * 200))
    assert client.latest_account == Account(credits=100 - 4 * 2.90, currency="RUB")
    assert [request.path for request in sim.requests] == ["/sys/balance.php", "/sys/send.php"]


async def test_send_long_text(client: SmscClient, sim: SmscSimulator) -> None:
    """A text of two SMS parts is billed twice per recipient."""
    messages = await client.send(SendRequest(NUMBERS[:1], "Ж" * 100))
    assert (messages[0].segments, messages[0].cost) == (2, 5.80)
    assert client.latest_account == Account(credits=94.20)


async def test_send_national_number(client: SmscClient, sim: SmscSimulator) -> None:
    """The service corrects 8... to 7...: the message id uses the number it reports."""
    (message,) = await client.send(SendRequest(("8 916 123-45-67",), "hi"))
    assert message.id.endswith(":79161234567")
    assert message.number == "79161234567"
    assert (int(message.id.split(":")[0]), "79161234567") in sim.messages


async def test_send_with_sender_id(session: aiohttp.ClientSession, sim: SmscSimulator) -> None:
    """The request's sender name wins over the client's default one."""
    client = SmscClient(session, host=sim.url, login=LOGIN, password=PASSWORD, sender_id="Default")
    await client.send(SendRequest(NUMBERS[:1], "a", sender_id="Alarm"))
    await client.send(SendRequest(NUMBERS[:1], "b"))
    assert params_of(sim, "send", 0)["sender"] == "Alarm"
    assert params_of(sim, "send", 1)["sender"] == "Default"


async def test_send_scheduled(client: SmscClient, sim: SmscSimulator) -> None:
    """A schedule is sent as Unix seconds; the message waits for its time."""
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    (message,) = await client.send(SendRequest(NUMBERS[:1], "later", schedule=moment))
    assert params_of(sim, "send")["time"] == f"0{int(moment.timestamp())}"
    assert message.status is MessageStatus.SCHEDULED
    assert message.schedule == moment
    assert await sim.advance() == 0
    (read,) = await client.messages(MessageQuery(message_id=message.id))
    assert read.status is MessageStatus.PENDING


async def test_send_mms(client: SmscClient, sim: SmscSimulator) -> None:
    """An MMS is flagged, with its attachment's URL."""
    (message,) = await client.send(
        SendRequest(NUMBERS[:1], "look", mms=True, attachments=("https://example.test/a.jpg",))
    )
    params = params_of(sim, "send")
    assert (params["mms"], params["fileurl"]) == ("1", "https://example.test/a.jpg")
    assert message.type is MessageType.MMS
    assert message.attachments == ("https://example.test/a.jpg",)


async def test_send_mms_refused(client: SmscClient, sim: SmscSimulator) -> None:
    """An account without MMS refuses it (error 6); two attachments are refused before sending."""
    sim.mms_allowed = False
    with pytest.raises(GatewayRequestRefusedError) as err:
        await client.send(SendRequest(NUMBERS[:1], "look", mms=True))
    assert err.value.code == 6
    two = ("https://example.test/a.jpg", "https://example.test/b.jpg")
    with pytest.raises(InvalidQueryError):
        await client.send(SendRequest(NUMBERS[:1], "look", mms=True, attachments=two))
    assert len(sim.requests) == 1


@pytest.mark.parametrize("recipients", [(), ("+7916,+7917",), ("+7916;1",)])
async def test_send_refuses_recipients(
    client: SmscClient, sim: SmscSimulator, recipients: tuple[str, ...]
) -> None:
    """No recipient, or a number that would split into several, is refused before sending."""
    with pytest.raises(InvalidQueryError):
        await client.send(SendRequest(recipients, "x"))
    assert sim.requests == []


async def test_send_invalid_number(client: SmscClient, sim: SmscSimulator) -> None:
    """The service refuses a malformed number (error 7): the request itself is wrong."""
    with pytest.raises(GatewayRequestRefusedError, match=r"^SMSC error 7: invalid phone$") as err:
        await client.send(SendRequest(("12",), "x"))
    assert err.value.code == 7


async def test_send_without_money(client: SmscClient, sim: SmscSimulator) -> None:
    """Not enough money is error 3, kept with its code; nothing is charged."""
    sim.balance = Decimal("1.00")
    with pytest.raises(GatewayApiError) as err:
        await client.send(SendRequest(NUMBERS, "x"))
    assert err.value.code == 3
    assert not isinstance(err.value, GatewayRequestRefusedError)
    assert sim.balance == Decimal("1.00")
    assert sim.messages == {}


async def test_send_answer_without_numbers(session: aiohttp.ClientSession, canned: Canned) -> None:
    """Without the per-number list the numbers as given stand in; one number takes the cost."""
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    canned.body = '{"id": 77, "cnt": 4, "cost": "11.60", "balance": "88.4"}'
    many = await client.send(SendRequest(NUMBERS, "x"))
    assert [(m.id, m.segments, m.cost) for m in many] == [
        ("77:79161234567", 2, None),
        ("77:79161234568", 2, None),
    ]
    assert client.latest_account == Account(credits=88.4)
    canned.body = '{"id": 78, "cnt": 3, "cost": "8.70"}'
    (one,) = await client.send(SendRequest(NUMBERS[:1], "x"))
    assert (one.id, one.segments, one.cost) == ("78:79161234567", 3, 8.70)
    assert client.latest_account == Account(credits=88.4)
    canned.body = '{"id": 79, "cnt": 3}'
    assert [m.segments for m in await client.send(SendRequest(NUMBERS, "x"))] == [None, None]


@pytest.mark.parametrize("body", ['{"cnt": 1}', '{"id": "abc", "cnt": 1}', '{"id": 0}', "[]"])
async def test_send_answer_without_id(
    session: aiohttp.ClientSession, canned: Canned, body: str
) -> None:
    """A send answer without a valid message id cannot be tracked: a response error."""
    canned.body = body
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    with pytest.raises(GatewayResponseError):
        await client.send(SendRequest(NUMBERS, "x"))


# -- statuses --------------------------------------------------------------------------------


async def test_status_progression(client: SmscClient, sim: SmscSimulator) -> None:
    """status.php by id and number follows -1 → 0 → 1: pending, sent, delivered."""
    (message,) = await client.send(SendRequest(NUMBERS[:1], "Door open"))
    query = MessageQuery(message_id=message.id)
    (read,) = await client.messages(query)
    send_id, number = message.id.split(":")
    assert params_of(sim, "status") == {"id": send_id, "phone": number, "all": "1"}
    assert read.status is MessageStatus.PENDING
    assert (read.text, read.number, read.group_id, read.cost) == (
        "Door open",
        number,
        send_id,
        2.90,
    )
    assert read.sent_at is not None
    assert read.delivered_at is None
    await sim.advance()
    assert (await client.messages(query))[0].status is MessageStatus.SENT
    await sim.advance()
    (delivered,) = await client.messages(query)
    assert delivered.status is MessageStatus.DELIVERED
    assert delivered.delivered_at is not None
    assert (delivered.result_code, delivered.error_code, delivered.failure_reason) == (
        1,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("number", "outcome"),
    [
        ("+79160000000", (20, 6, "subscriber_offline")),
        ("+79160000022", (22, 1, "subscriber_not_found")),
        ("+79160000025", (25, None, "unavailable_number")),
    ],
)
async def test_status_failures(
    client: SmscClient, sim: SmscSimulator, number: str, *, outcome: tuple[int, int | None, str]
) -> None:
    """A failed message carries SMSC's status as result code and its err as the reason."""
    (message,) = await client.send(SendRequest((number,), "x"))
    await sim.advance()
    await sim.advance()
    (read,) = await client.messages(MessageQuery(message_id=message.id))
    assert read.status is MessageStatus.FAILED
    assert (read.result_code, read.error_code, read.failure_reason) == outcome


async def test_status_not_found(client: SmscClient, sim: SmscSimulator) -> None:
    """Status -3 (no such message) reads as no message."""
    assert await client.messages(MessageQuery(message_id="999:79161234567")) == []
    assert len(sim.requests) == 1


@pytest.mark.parametrize(
    "query",
    [
        MessageQuery(),
        MessageQuery(group_id="1001"),
        MessageQuery(message_id="1001"),
        MessageQuery(message_id="abc:79161234567"),
        MessageQuery(message_id="1001:+79161234567"),
        MessageQuery(message_id="1001:"),
    ],
)
async def test_messages_needs_a_message_id(
    client: SmscClient, sim: SmscSimulator, query: MessageQuery
) -> None:
    """The service reads messages back by id and number only; anything else is refused."""
    with pytest.raises(InvalidQueryError):
        await client.messages(query)
    assert sim.requests == []


async def test_status_answer_without_status(session: aiohttp.ClientSession, canned: Canned) -> None:
    """A status answer without a status is a response error."""
    canned.body = '{"last_date": "28.12.2019 19:20:22"}'
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    with pytest.raises(GatewayResponseError):
        await client.messages(MessageQuery(message_id="1:79161234567"))


async def test_status_answer_basic(session: aiohttp.ClientSession, canned: Canned) -> None:
    """The basic answer (no text, no send time) still gives the status; numbers may be JSON."""
    canned.body = (
        '{"status": 1, "last_date": "28.12.2019 19:20:22", "last_timestamp": 1577550022,'
        ' "flag": 0, "err": 0, "phone": 79161234567}'
    )
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    (read,) = await client.messages(MessageQuery(message_id="5:79161234567"))
    assert read == Message(
        id="5:79161234567",
        number="79161234567",
        text="",
        status=MessageStatus.DELIVERED,
        group_id="5",
        delivered_at=datetime.fromtimestamp(1577550022, UTC),
        result_code=1,
    )


def test_status_queries_one_per_message(client: SmscClient) -> None:
    """Each tracked number of a send is read back on its own (status.php takes id + number)."""
    tracked = [TrackedMessage("7:79161234567", "7"), TrackedMessage("7:79161234568", "7")]
    assert client.status_queries(tracked) == [
        MessageQuery(message_id="7:79161234567"),
        MessageQuery(message_id="7:79161234568"),
    ]
    assert client.sequence(Message("7:79161234567", "", "", MessageStatus.SENT)) is None


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        (-3, MessageStatus.UNKNOWN, None),
        (-2, MessageStatus.CANCELED, None),
        (-1, MessageStatus.PENDING, None),
        (0, MessageStatus.SENT, None),
        (1, MessageStatus.DELIVERED, None),
        (2, MessageStatus.DELIVERED, None),
        (3, MessageStatus.FAILED, "expired"),
        (4, MessageStatus.DELIVERED, None),
        (20, MessageStatus.FAILED, "undeliverable"),
        (22, MessageStatus.FAILED, "invalid_number"),
        (23, MessageStatus.FAILED, "prohibited"),
        (24, MessageStatus.FAILED, "insufficient_funds"),
        (25, MessageStatus.FAILED, "unavailable_number"),
        (21, MessageStatus.UNKNOWN, None),
        (99, MessageStatus.UNKNOWN, None),
    ],
)
def test_status_table(code: int, status: MessageStatus, reason: str | None) -> None:
    """Every SMSC status code maps onto ours; a failure without err is named by its status."""
    assert status_from_code(code) is status
    assert failure_reason(code, 0) == reason
    assert failure_reason(code, None) == reason


def test_failure_reason_from_err() -> None:
    """The err code names the reason of a failure; unknown codes keep their number."""
    assert failure_reason(20, 13) == "subscriber_blocked"
    assert failure_reason(20, 219) == "sim_replaced"
    assert failure_reason(20, 254) == "error_254"
    assert failure_reason(1, 13) is None


async def test_background_status_interval() -> None:
    """With a status interval the simulator moves the statuses by itself."""
    sim = SmscSimulator(status_interval=0.05)
    await sim.start()
    try:
        async with aiohttp.ClientSession() as session:
            client = SmscClient(session, host=sim.url, api_key=API_KEY)
            (message,) = await client.send(SendRequest(NUMBERS[:1], "x"))
            for _ in range(100):
                (read,) = await client.messages(MessageQuery(message_id=message.id))
                if read.status is MessageStatus.DELIVERED:
                    break
                await asyncio.sleep(0.02)
            assert read.status is MessageStatus.DELIVERED
    finally:
        await sim.stop()


# -- errors and faults -----------------------------------------------------------------------


def every_call(client: SmscClient) -> list[Callable[[], Awaitable[Any]]]:
    """One call of each script."""
    return [
        client.account,
        lambda: client.send(SendRequest(NUMBERS[:1], "x")),
        lambda: client.messages(MessageQuery(message_id="1:79161234567")),
    ]


async def test_wrong_password(session: aiohttp.ClientSession, sim: SmscSimulator) -> None:
    """Error 2 from every script is an authentication error that quotes no secret."""
    wrong = SmscClient(session, host=sim.url, login=LOGIN, password="wrong-password")
    for call in every_call(wrong):
        with pytest.raises(GatewayAuthenticationError, match=r"^SMSC error 2: authorise error$"):
            await call()
    assert len(sim.requests) == 3
    assert sim.messages == {}


async def test_wrong_api_key(session: aiohttp.ClientSession, sim: SmscSimulator) -> None:
    """A wrong API key is an authentication error too."""
    with pytest.raises(GatewayAuthenticationError):
        await SmscClient(session, host=sim.url, api_key="nope").account()


async def test_reject_key_fault(client: SmscClient, sim: SmscSimulator) -> None:
    """Credentials that stop working mid-life raise the authentication error."""
    await client.account()
    sim.faults.reject_key = True
    with pytest.raises(GatewayAuthenticationError):
        await client.account()


async def test_too_many_requests(client: SmscClient, sim: SmscSimulator) -> None:
    """Error 9 (HTTP 200) asks to wait: a rate limit with the service's one-minute window."""
    sim.faults.rate_limit = 1
    for call in every_call(client):
        with pytest.raises(GatewayRateLimitedError) as err:
            await call()
        assert err.value.retry_after == RATE_LIMIT_WAIT


async def test_http_429(client: SmscClient, sim: SmscSimulator) -> None:
    """A proxy's HTTP 429 is a rate limit honouring its Retry-After."""
    sim.faults.http_429 = 30
    with pytest.raises(GatewayRateLimitedError) as err:
        await client.account()
    assert err.value.retry_after == 30
    assert str(err.value) == "SMSC asks to slow down (HTTP 429)"


async def test_healthy_calls_then_fault(client: SmscClient, sim: SmscSimulator) -> None:
    """Faults apply once the healthy calls are used up."""
    sim.faults.http_500 = True
    sim.faults.healthy_calls = 1
    await client.account()
    with pytest.raises(GatewayResponseError, match=r"^SMSC answered HTTP 500$"):
        await client.account()


async def test_html_page(client: SmscClient, sim: SmscSimulator) -> None:
    """An HTML page with HTTP 200 is a response error that quotes nothing of it."""
    sim.faults.html_error = True
    with pytest.raises(GatewayResponseError) as err:
        await client.account()
    assert str(err.value) == "SMSC answered an HTML page"


async def test_latency(session: aiohttp.ClientSession, sim: SmscSimulator) -> None:
    """A slow answer within the timeout is an answer."""
    sim.faults.latency = 0.1
    client = SmscClient(session, host=sim.url, api_key=API_KEY, timeout=5)
    assert (await client.account()).credits == 100


async def test_timeout_after_sending(session: aiohttp.ClientSession, sim: SmscSimulator) -> None:
    """The service got the request but never answered: it may have been sent."""
    slow = SmscClient(session, host=sim.url, api_key=API_KEY, timeout=0.2)
    sim.faults.hang = True
    try:
        with pytest.raises(GatewayConnectionError) as err:
            await slow.send(SendRequest(NUMBERS[:1], "x"))
    finally:
        sim.faults.reset()
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.TIMEOUT


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """Nothing listening: a connection error that certainly sent nothing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SmscClient(session, host=f"http://127.0.0.1:{port}", api_key=API_KEY)
    with pytest.raises(GatewayConnectionError) as err:
        await client.send(SendRequest(NUMBERS[:1], "x"))
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.REFUSED
    assert str(err.value) == "Cannot connect to SMSC: connection refused"


class _NameNotFound(aiohttp.abc.AbstractResolver):
    """A resolver answering as the system's does for a name no DNS server knows."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        """Nothing to release."""


async def test_unknown_host() -> None:
    """A host name that does not resolve: a DNS failure, nothing sent."""
    connector = aiohttp.TCPConnector(resolver=_NameNotFound())
    async with aiohttp.ClientSession(connector=connector) as session:
        client = SmscClient(session, host="smsc.invalid", api_key=API_KEY)
        with pytest.raises(GatewayConnectionError) as err:
            await client.account()
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.DNS


async def test_https_to_plain_http(session: aiohttp.ClientSession, sim: SmscSimulator) -> None:
    """An https:// URL for a server that only speaks HTTP: the secure connection fails."""
    client = SmscClient(session, host=sim.url.replace("http://", "https://"), api_key=API_KEY)
    with pytest.raises(GatewayConnectionError) as err:
        await client.account()
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.TLS


async def test_untrusted_certificate(session: aiohttp.ClientSession, tmp_path: Any) -> None:
    """A white label with a self-signed certificate: a certificate error, nothing sent."""
    cert, key = write_self_signed_certificate(tmp_path)
    sim = SmscSimulator()
    await sim.start(ssl_context=server_context(cert, key))
    try:
        client = SmscClient(session, host=sim.url, api_key=API_KEY)
        with pytest.raises(GatewayCertificateError) as err:
            await client.account()
    finally:
        await sim.stop()
    assert err.value.request_sent is False
    assert "self-signed" in err.value.reason


async def test_connection_dropped(session: aiohttp.ClientSession) -> None:
    """A server closing the connection without answering: the request may have arrived."""

    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.close()

    server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = SmscClient(session, host=f"http://127.0.0.1:{port}", api_key=API_KEY)
        with pytest.raises(GatewayConnectionError) as err:
            await client.account()
    finally:
        server.close()
        await server.wait_closed()
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.DROPPED


@pytest.mark.parametrize(
    ("body", "error", "code"),
    [
        ('{"error": "parameters error", "error_code": 1}', GatewayRequestRefusedError, 1),
        ('{"error": "no money", "error_code": 3, "id": 12}', GatewayInsufficientFundsError, 3),
        ('{"error": "invalid date format", "error_code": 5}', GatewayRequestRefusedError, 5),
        ('{"error": "message is denied", "error_code": 6}', GatewayRequestRefusedError, 6),
        ('{"error": "can\'t deliver", "error_code": 8}', GatewayRequestRefusedError, 8),
        ('{"error": "something new", "error_code": "42"}', GatewayApiError, 42),
        ('{"error": "no code"}', GatewayApiError, None),
    ],
)
async def test_error_codes(
    session: aiohttp.ClientSession,
    canned: Canned,
    body: str,
    error: type[GatewayApiError],
    code: int | None,
) -> None:
    """Error answers with HTTP 200 become API errors keeping the service's code and text."""
    canned.body = body
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    with pytest.raises(error) as err:
        await client.send(SendRequest(NUMBERS[:1], "x"))
    assert type(err.value) is error
    assert err.value.code == code
    assert str(err.value).startswith(f"SMSC error {code}: ")


async def test_blocked_address(session: aiohttp.ClientSession, canned: Canned) -> None:
    """Error 4 (address blocked after errors) is waited out like a rate limit."""
    canned.body = '{"error": "IP is blocked", "error_code": 4}'
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    with pytest.raises(GatewayRateLimitedError) as err:
        await client.account()
    assert err.value.retry_after == RATE_LIMIT_WAIT


@pytest.mark.parametrize(("body", "status"), [("not json", 200), ("{}", 404), ("{}", 503)])
async def test_unreadable_answers(
    session: aiohttp.ClientSession, canned: Canned, body: str, status: int
) -> None:
    """Text that is not JSON, or an HTTP error status, is a response error."""
    canned.body, canned.status = body, status
    client = SmscClient(session, host=canned.url, api_key=API_KEY)
    with pytest.raises(GatewayResponseError):
        await client.account()


async def test_errors_never_contain_secrets(
    session: aiohttp.ClientSession, sim: SmscSimulator, canned: Canned
) -> None:
    """No error text, repr or argument carries the password, the API key or the secret."""
    errors: list[SmsBridgeError] = []
    cases: list[tuple[SmscClient, str | None]] = [
        (SmscClient(session, host=sim.url, login=LOGIN, password=PASSWORD + "x"), None),
        (SmscClient(session, host=sim.url, api_key=API_KEY + "x"), None),
        (SmscClient(session, host=sim.url, api_key=API_KEY), "http_500"),
        (SmscClient(session, host=sim.url, api_key=API_KEY), "html_error"),
        (SmscClient(session, host=sim.url, api_key=API_KEY, timeout=0.1), "hang"),
    ]
    for client, fault in cases:
        sim.faults.reset()
        if fault:
            setattr(sim.faults, fault, True)
        with pytest.raises(SmsBridgeError) as err:
            await client.send(SendRequest(NUMBERS[:1], "x"))
        errors.append(err.value)
    sim.faults.reset()
    # An error text quoting the client's own credentials is masked.
    for quoted, quoting in (
        (PASSWORD, SmscClient(session, host=canned.url, login=LOGIN, password=PASSWORD)),
        (API_KEY, SmscClient(session, host=canned.url, api_key=API_KEY)),
        (SECRET, SmscClient(session, host=canned.url, api_key="k", callback_secret=SECRET)),
    ):
        canned.body = f'{{"error": "bad value {quoted}", "error_code": 2}}'
        with pytest.raises(GatewayAuthenticationError, match=r"bad value \*\*\*$") as err:
            await quoting.account()
        errors.append(err.value)
    for error in errors:
        for text in (str(error), repr(error), *map(str, error.args)):
            for secret in (PASSWORD, API_KEY, SECRET):
                assert secret not in text


# -- callbacks -------------------------------------------------------------------------------


def test_hash_test_vector() -> None:
    """The published vector: sha1("123:text:234:zxc")."""
    assert (
        callback_hash("sha1", ["123", "text", "234"], "zxc")
        == "b6f768ce7614d7858cc4a6116f8ffd0dc236a3cd"
    )
    assert (
        callback_hash("md5", [b"123", b"text", b"234"], "zxc")
        == hashlib.md5(b"123:text:234:zxc", usedforsecurity=False).hexdigest()
    )


def test_callback_query() -> None:
    """The URL query shown to the user: UTF-8 and the hash with a fresh secret."""
    secret = generate_callback_secret()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", secret)
    assert generate_callback_secret() != secret
    assert callback_query(secret) == f"charset=utf-8&sha1={secret}"
    assert callback_query(secret, "md5") == f"charset=utf-8&md5={secret}"
    assert callback_query(secret, "crc32") == f"charset=utf-8&crc32={secret}"
    with pytest.raises(ValueError, match="one of"):
        callback_query(secret, "sha256")
    with pytest.raises(ValueError, match="letters"):
        callback_query("spaces are not allowed")
    with pytest.raises(ValueError, match="letters"):
        callback_query("")


async def test_incoming_sms_utf8(
    client: SmscClient, sim: SmscSimulator, receiver: Receiver
) -> None:
    """An incoming SMS with a SHA-1 hash, in UTF-8: one received message."""
    sim.callback_url = f"{receiver.url}?{callback_query(SECRET)}"
    sent = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    before = datetime.now(UTC)
    assert await sim.receive_sms("79161234567", "Привет: дверь?", sent=sent) == 200
    (batch,) = receiver.batches
    (message,) = batch.messages
    assert message.delivered_at is not None
    assert before <= message.delivered_at <= datetime.now(UTC)
    assert message.replay_key
    assert message == Message(
        id="5001",
        number="79161234567",
        text="Привет: дверь?",
        status=MessageStatus.RECEIVED,
        type=MessageType.SMS,
        sent_at=sent,
        delivered_at=message.delivered_at,
        replay_key=message.replay_key,
    )
    assert batch.delivery_reports == ()
    assert receiver.results[0].reply.text == "OK"


@pytest.mark.parametrize(("charset", "algorithm"), [(None, "md5"), ("koi8-r", "sha1")])
async def test_incoming_sms_other_charsets(
    client: SmscClient,
    sim: SmscSimulator,
    receiver: Receiver,
    charset: str | None,
    algorithm: str,
) -> None:
    """Without a charset the fields come in windows-1251; koi8-r is read too."""
    query = {"charset": charset} if charset else {}
    sim.callback_url = f"{receiver.url}?{urlencode(query | {algorithm: SECRET})}"
    assert await sim.receive_sms("79161234567", "Свет включён") == 200
    (batch,) = receiver.batches
    assert batch.messages[0].text == "Свет включён"


async def test_incoming_sms_by_get(
    client: SmscClient, sim: SmscSimulator, receiver: Receiver
) -> None:
    """A callback by GET carries everything in its query."""
    sim.callback_url = f"{receiver.url}?{callback_query(SECRET)}"
    sim.callback_method = "GET"
    assert await sim.receive_sms("79161234567", "по GET") == 200
    assert receiver.batches[0].messages[0].text == "по GET"


async def test_status_callbacks(client: SmscClient, sim: SmscSimulator, receiver: Receiver) -> None:
    """Each status change posts a report matching the sent message's id."""
    sim.callback_url = f"{receiver.url}?{callback_query(SECRET)}"
    ok, failing = await client.send(SendRequest(("+79161234567", "+79160000000"), "x"))
    await sim.advance()
    await sim.advance()
    assert sim.callback_results == [200] * 4
    reports = [report for batch in receiver.batches for report in batch.delivery_reports]
    assert [(r.message_id, r.status) for r in reports] == [
        (ok.id, MessageStatus.SENT),
        (failing.id, MessageStatus.SENT),
        (ok.id, MessageStatus.DELIVERED),
        (failing.id, MessageStatus.FAILED),
    ]
    assert reports[3] == DeliveryReport(
        message_id=failing.id,
        status=MessageStatus.FAILED,
        number="79160000000",
        at=reports[3].at,
        error_code=6,
        failure_reason="subscriber_offline",
    )
    assert reports[3].at is not None
    assert all(batch.messages == () for batch in receiver.batches)


async def test_status_set_directly(
    client: SmscClient, sim: SmscSimulator, receiver: Receiver
) -> None:
    """A message stopped by the service is reported canceled."""
    sim.callback_url = f"{receiver.url}?{callback_query(SECRET, 'md5')}"
    (message,) = await client.send(SendRequest(NUMBERS[:1], "x"))
    send_id, number = message.id.split(":")
    await sim.set_status(int(send_id), number, -2)
    assert receiver.batches[0].delivery_reports[0].status is MessageStatus.CANCELED


def request_of(
    fields: dict[str, str],
    *,
    query: dict[str, str] | None = None,
    method: str = "POST",
    charset: str = "utf-8",
    content_type: str = "application/x-www-form-urlencoded",
) -> WebhookRequest:
    """A callback request as the integration would pass it on."""
    body = urlencode(fields, encoding=charset).encode() if method == "POST" else b""
    return WebhookRequest(
        method=method,
        headers={"Content-Type": content_type} if body else {},
        query=query if query is not None else ({} if method == "POST" else fields),
        body=body,
    )


def status_fields(
    secret: str = SECRET,
    *,
    message_id: str = "1001",
    phone: str = "79161234567",
    status: str = "1",
    **extra: str,
) -> dict[str, str]:
    """Status callback fields hashed with ``secret``."""
    fields = {"id": message_id, "phone": phone, "status": status, "charset": "utf-8", **extra}
    fields["sha1"] = callback_hash("sha1", [message_id, phone, status], secret)
    return fields


def form_request(body: bytes) -> WebhookRequest:
    """A POSTed form callback."""
    return WebhookRequest("POST", {"Content-Type": "application/x-www-form-urlencoded"}, {}, body)


def test_status_callback_direct(client: SmscClient) -> None:
    """A valid status callback read from a raw request, the hash in capitals accepted."""
    fields = status_fields(ts="1700000000")
    fields["sha1"] = fields["sha1"].upper()
    result = client.handle_webhook(request_of(fields))
    assert result.batch.delivery_reports == (
        DeliveryReport(
            message_id="1001:79161234567",
            status=MessageStatus.DELIVERED,
            number="79161234567",
            at=datetime.fromtimestamp(1700000000, UTC),
        ),
    )


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "no hash", "crc32 only", "tampered status", "secret in the query only"],
)
def test_forged_callbacks_refused(client: SmscClient, case: str) -> None:
    """A callback without the hash of its own fields with our secret is refused."""
    fields = status_fields()
    query: dict[str, str] = {}
    if case == "wrong secret":
        fields = status_fields("guessed")
    elif case == "no hash":
        del fields["sha1"]
    elif case == "crc32 only":
        del fields["sha1"]
        fields["crc32"] = "123456"
    elif case == "tampered status":
        fields["status"] = "20"
    else:
        del fields["sha1"]
        query = {"charset": "utf-8", "sha1": SECRET}
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(request_of(fields, query=query))


def test_forged_body_over_query_secret(client: SmscClient) -> None:
    """The form's hash is checked even when the URL's query carries the secret itself."""
    fields = status_fields()
    fields["sha1"] = "0" * 40
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(request_of(fields, query={"sha1": SECRET, "charset": "utf-8"}))


def test_tampered_incoming_text_refused(client: SmscClient) -> None:
    """Changing the text of an incoming SMS breaks its hash."""
    fields = {"phone": "79161234567", "mes": "open", "to": RECEIVING_NUMBER, "charset": "utf-8"}
    fields["sha1"] = callback_hash("sha1", ["79161234567", "open", RECEIVING_NUMBER], SECRET)
    assert client.handle_webhook(request_of(fields)).batch.messages[0].text == "open"
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(request_of(fields | {"mes": "close"}))


def test_no_secret_configured(session: aiohttp.ClientSession) -> None:
    """Without a callback secret no callback is accepted."""
    client = SmscClient(session, api_key=API_KEY)
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(request_of(status_fields()))


def incoming_fields(text: bytes, charset: str | None, **extra: str) -> bytes:
    """A form body of an incoming SMS whose text is given as raw bytes, correctly hashed."""
    digest = callback_hash("sha1", [b"79161234567", text, RECEIVING_NUMBER.encode()], SECRET)
    pairs: list[tuple[str, bytes | str]] = [
        ("phone", "79161234567"),
        ("mes", text),
        ("to", RECEIVING_NUMBER),
        ("sha1", digest),
    ]
    if charset:
        pairs.append(("charset", charset))
    pairs += list(extra.items())
    return urlencode(pairs).encode()


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (incoming_fields(b"\xff\xfe", "utf-8"), "not utf-8"),
        (incoming_fields(b"x", "latin-9"), "charset"),
        (urlencode(status_fields(status="delivered")).encode(), "status"),
        (urlencode(status_fields(message_id="")).encode(), "id"),
        (urlencode(status_fields(phone="+")).encode(), "phone"),
    ],
)
def test_authentic_but_unreadable(client: SmscClient, body: bytes, match: str) -> None:
    """A correctly hashed callback that cannot be read is a payload error."""
    with pytest.raises(WebhookPayloadError, match=match):
        client.handle_webhook(form_request(body))


def test_incoming_without_sender(client: SmscClient) -> None:
    """An authentic incoming SMS without its sender number cannot be fired."""
    fields = {"phone": "", "mes": "x", "to": RECEIVING_NUMBER, "charset": "utf-8"}
    fields["sha1"] = callback_hash("sha1", ["", "x", RECEIVING_NUMBER], SECRET)
    with pytest.raises(WebhookPayloadError, match="phone"):
        client.handle_webhook(request_of(fields))


def test_incoming_without_id(client: SmscClient) -> None:
    """Without an id, the same callback gets the same id (fires once); another text another."""
    request = form_request(incoming_fields("да".encode(), "utf-8", sent="1700000000"))
    first = client.handle_webhook(request).batch.messages[0]
    again = client.handle_webhook(request).batch.messages[0]
    assert first.id == again.id
    assert first.id.startswith("h")
    assert first.sent_at == datetime.fromtimestamp(1700000000, UTC)
    other_request = form_request(incoming_fields("нет".encode(), "utf-8", sent="1700000000"))
    assert client.handle_webhook(other_request).batch.messages[0].id != first.id


def test_callback_media_type_and_method(client: SmscClient) -> None:
    """A JSON body is not what the service posts; neither is a PUT."""
    fields = status_fields()
    with pytest.raises(WebhookMediaTypeError):
        client.handle_webhook(request_of(fields, content_type="application/json"))
    with pytest.raises(WebhookPayloadError, match="PUT"):
        client.handle_webhook(WebhookRequest("PUT", {}, fields, b""))


def test_get_callback_direct(client: SmscClient) -> None:
    """A GET callback is read from its query alone."""
    result = client.handle_webhook(request_of(status_fields(), method="GET"))
    assert result.batch.delivery_reports[0].message_id == "1001:79161234567"


def test_form_wins_over_query(client: SmscClient) -> None:
    """A field in both the URL's query and the form is read from the form."""
    fields = status_fields()
    result = client.handle_webhook(request_of(fields, query={"id": "9", "charset": "utf-8"}))
    assert result.batch.delivery_reports[0].message_id == "1001:79161234567"


# -- callbacks: number confirmation, crc32, refusals --------------------------------------------


async def test_number_confirmation_is_acknowledged_and_ignored(
    client: SmscClient, sim: SmscSimulator, receiver: Receiver
) -> None:
    """A `waitcall` callback is neither a status nor an SMS: answered OK, it brings nothing."""
    sim.callback_url = f"{receiver.url}?{callback_query(SECRET)}"
    assert await sim.confirm_call("79161234567") == 200
    assert await sim.confirm_call("79161234567", hashed=()) == 200
    assert receiver.batches == [InboundBatch(), InboundBatch()]
    assert [result.reply.text for result in receiver.results] == ["OK", "OK"]


def test_crc32_test_vectors() -> None:
    """PHP's crc32() of "123:text:234:zxc", in decimal (computed with PHP 8)."""
    assert callback_hash("crc32", ["123", "text", "234"], "zxc") == "2071336081"


@pytest.mark.parametrize("written", ["2719853358", "a21dab2e", "A21DAB2E", "f03fe2a3"])
def test_crc32_in_each_way_php_writes_it(session: aiohttp.ClientSession, written: str) -> None:
    """crc32() in decimal, hash("crc32b") and hash("crc32") in hex, as PHP 8 gives them for
    "123:79161234567:1:zxc"; one bit off is refused."""
    client = SmscClient(session, api_key=API_KEY, callback_secret="zxc")
    fields = {"id": "123", "phone": "79161234567", "status": "1", "charset": "utf-8"}
    result = client.handle_webhook(request_of(fields | {"crc32": written}))
    assert result.batch.delivery_reports[0].message_id == "123:79161234567"
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(request_of(fields | {"crc32": written[:-1] + "9"}))


@pytest.mark.parametrize("crc32_format", CRC32_FORMATS)
async def test_crc32_callbacks(
    client: SmscClient,
    sim: SmscSimulator,
    receiver: Receiver,
    crc32_format: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whichever way the service writes its crc32, the callback is read; a warning says once
    that crc32 can be forged."""
    sim.crc32_format = crc32_format
    sim.callback_url = f"{receiver.url}?{callback_query(SECRET, 'crc32')}"
    assert await sim.receive_sms("79161234567", "один") == 200
    assert await sim.receive_sms("79161234567", "два") == 200
    assert [batch.messages[0].text for batch in receiver.batches] == ["один", "два"]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "crc32" in warning.getMessage()
    assert SECRET not in caplog.text


def test_a_refusal_names_the_hashed_fields_never_values(
    client: SmscClient, caplog: pytest.LogCaptureFixture
) -> None:
    """At debug level: the algorithm, the fields hashed and which are empty; no value."""
    caplog.set_level(logging.DEBUG)
    fields = {"phone": "79161234567", "mes": "secret text", "charset": "utf-8"}
    fields["md5"] = callback_hash("md5", ["79161234567", "secret text", ""], "guess")
    with pytest.raises(WebhookSignatureError):
        client.handle_webhook(request_of(fields))
    [line] = [r.getMessage() for r in caplog.records]
    assert "md5" in line
    assert "phone:mes:to" in line
    assert "empty: to" in line
    for value in (SECRET, "secret text", "79161234567", fields["md5"], fields["md5"][:8]):
        assert value not in line


# -- callbacks: replays and the kind of a callback ----------------------------------------------


def incoming(secret: str = SECRET, algorithm: str = "sha1", **values: str) -> dict[str, str]:
    """Incoming SMS fields hashed with ``secret`` (phone, mes and to, overridable)."""
    fields = {"phone": "79161234567", "mes": "open", "to": RECEIVING_NUMBER} | values
    fields["charset"] = "utf-8"
    fields[algorithm] = callback_hash(
        algorithm, [fields["phone"], fields["mes"], fields["to"]], secret
    )
    return fields


def test_the_replay_key_is_the_signed_digest(client: SmscClient) -> None:
    """A new id, a new `sent` or the hash in capitals make the same key; another text, or
    another algorithm, another key."""
    first = client.handle_webhook(request_of(incoming(id="1"))).batch.messages[0]
    again = incoming(id="2", sent="1700000000")
    again["sha1"] = again["sha1"].upper()
    replayed = client.handle_webhook(request_of(again)).batch.messages[0]
    assert replayed.id != first.id
    assert replayed.replay_key == first.replay_key
    other = client.handle_webhook(request_of(incoming(mes="close"))).batch.messages[0]
    md5 = client.handle_webhook(request_of(incoming(algorithm="md5"))).batch.messages[0]
    assert len({first.replay_key, other.replay_key, md5.replay_key}) == 3


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"phone": "1001", "mes": "79161234567", "to": "1"}, "'to'"),  # a status, as an SMS
        ({"to": "-3"}, "'to'"),
        ({"phone": "Sberbank"}, "'phone'"),
        ({"phone": "7916:1"}, "'phone'"),
        ({"mes": "a", "to": f"b:{RECEIVING_NUMBER}"}, "'to'"),
    ],
    ids=["status as sms", "status code", "not a number", "colon in phone", "colon in to"],
)
def test_an_sms_whose_fields_could_be_another_kind_is_refused(
    client: SmscClient, values: dict[str, str], match: str
) -> None:
    """Authentic, but the signed string could be a status's or another split of the same."""
    with pytest.raises(WebhookPayloadError, match=match):
        client.handle_webhook(request_of(incoming(**values)))


def test_a_text_may_hold_the_separator(client: SmscClient) -> None:
    """Only the sender and the receiving number must not: the text is what lies between."""
    message = client.handle_webhook(request_of(incoming(mes="a:b:c"))).batch.messages[0]
    assert message.text == "a:b:c"


def test_a_status_phone_must_be_a_number(client: SmscClient) -> None:
    """`id:phone:status` with a colon in the phone could be cut another way."""
    with pytest.raises(WebhookPayloadError, match="phone"):
        client.handle_webhook(request_of(status_fields(phone="7916:1")))


def test_an_sms_is_never_dated_after_its_arrival(client: SmscClient) -> None:
    """`sent` is not signed: a date in the future reads as the moment it was received."""
    future = str(int((datetime.now(UTC) + timedelta(days=2)).timestamp()))
    message = client.handle_webhook(request_of(incoming(sent=future))).batch.messages[0]
    assert message.delivered_at is not None
    assert message.sent_at == message.delivered_at
    past = client.handle_webhook(request_of(incoming(sent="1700000000"))).batch.messages[0]
    assert past.sent_at == datetime.fromtimestamp(1700000000, UTC)


# -- rotating the callback secret ---------------------------------------------------------------


def test_a_replaced_secret_authenticates_until_it_expires(session: aiohttp.ClientSession) -> None:
    """The service hashes with the old secret until its handler URL changes: honoured for a
    while, then refused; without an expiry it is not honoured at all."""
    data = {CONF_API_KEY: API_KEY, CONF_CALLBACK_SECRET: SECRET}
    now = datetime.now(UTC)
    rotated = rotate_callback_secret(data, now=now)
    new = rotated[CONF_CALLBACK_SECRET]
    assert new != SECRET
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", new)
    assert rotated[CONF_PREVIOUS_CALLBACK_SECRET] == SECRET
    expires = datetime.fromisoformat(rotated[CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES])
    assert expires == now + SECRET_ROTATION_GRACE

    client = from_config(session, rotated)
    assert client.handle_webhook(request_of(incoming(SECRET))).batch.messages
    assert client.handle_webhook(request_of(incoming(new))).batch.messages
    assert prune_callback_secrets(rotated) is None

    expired = rotated | {CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES: (now - timedelta(1)).isoformat()}
    with pytest.raises(WebhookSignatureError):
        from_config(session, expired).handle_webhook(request_of(incoming(SECRET)))
    assert prune_callback_secrets(expired) == {CONF_API_KEY: API_KEY, CONF_CALLBACK_SECRET: new}
    no_expiry = dict(rotated)
    del no_expiry[CONF_PREVIOUS_CALLBACK_SECRET_EXPIRES]
    with pytest.raises(WebhookSignatureError):
        from_config(session, no_expiry).handle_webhook(request_of(incoming(SECRET)))


def test_a_replaced_secret_is_masked_in_errors(session: aiohttp.ClientSession) -> None:
    """Like every secret, a replaced one never shows in an error text."""
    client = SmscClient(
        session, api_key=API_KEY, callback_secret="new", previous_callback_secrets=["old-one"]
    )
    assert client._scrub("quoted old-one here") == "quoted *** here"


# -- sends whose answer was lost ----------------------------------------------------------------


async def test_a_referenced_send_carries_our_id(client: SmscClient, sim: SmscSimulator) -> None:
    """The reference becomes the send's id (1 to 2147483647); the messages are named by it."""
    request = SendRequest(NUMBERS, "x", reference="ref-1")
    assert not client.can_find_sent(SendRequest(NUMBERS, "x"))
    assert client.can_find_sent(request)
    messages = await client.send(request)
    ours = send_id_of("ref-1")
    assert 1 <= int(ours) <= MAX_SEND_ID
    assert ours == send_id_of("ref-1") != send_id_of("ref-2")
    assert params_of(sim, "send")["id"] == ours
    assert [m.id for m in messages] == [f"{ours}:{n.lstrip('+')}" for n in NUMBERS]
    assert client.can_find_sent(request)


async def test_find_sent_reads_each_number_by_our_id(
    client: SmscClient, sim: SmscSimulator
) -> None:
    """Found: the messages as the service has them; not found: []; no reference: None."""
    sent = SendRequest(NUMBERS, "Water leak", reference="sent")
    await client.send(sent)
    found = await client.find_sent(sent)
    assert found is not None
    assert [(m.id, m.text, m.status) for m in found] == [
        (f"{send_id_of('sent')}:{n.lstrip('+')}", "Water leak", MessageStatus.PENDING)
        for n in NUMBERS
    ]
    assert [r.params["id"] for r in sim.requests[-2:]] == [send_id_of("sent")] * 2
    assert await client.find_sent(SendRequest(NUMBERS, "x", reference="never sent")) == []
    assert await client.find_sent(SendRequest(NUMBERS, "x")) is None


async def test_where_the_service_numbers_sends_itself_nothing_is_looked_up(
    client: SmscClient, sim: SmscSimulator
) -> None:
    """An answer with another id than ours: the service ignores our ids, so looking one up
    would find nothing even for a send that went out."""
    sim.keeps_client_ids = False
    request = SendRequest(NUMBERS[:1], "x", reference="ref")
    [message] = await client.send(request)
    assert message.id == "1001:79161234567"
    assert not client.can_find_sent(request)
    assert await client.find_sent(request) is None


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize("keeps_ids", [True, False])
async def test_a_proxy_outage_reads_as_not_taken_only_where_nothing_can_be_looked_up(
    client: SmscClient, sim: SmscSimulator, status: int, keeps_ids: bool
) -> None:
    """Where the send can be looked up, a 5xx is unclear (looked up later); where it cannot,
    a proxy's 502/503/504 is a send not taken, safe to send again. A 500 is always unclear."""
    sim.keeps_client_ids = keeps_ids
    await client.send(SendRequest(NUMBERS[:1], "learn", reference="first"))
    sim.faults.proxy_status = status
    request = SendRequest(NUMBERS[:1], "x", reference="second")
    with pytest.raises(GatewayResponseError) as err:
        await client.send(request)
    assert isinstance(err.value, GatewayUnavailableError) is not keeps_ids
    with pytest.raises(GatewayUnavailableError):
        await client.account()
    sim.faults.reset()
    sim.faults.http_500 = True
    with pytest.raises(GatewayResponseError) as err:
        await client.send(request)
    assert not isinstance(err.value, GatewayUnavailableError)
