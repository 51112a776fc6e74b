"""Tests of `SmsGateway24Client` over real HTTP against the SmsGateway24 simulator.

The parameters the simulator received are asserted exactly, so a renamed or missing field
fails; webhooks are tested in test_smsgateway24_webhook.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import socket
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.sms_bridge.api import (
    Capability,
    CapabilityNotSupportedError,
    ConnectionErrorKind,
    Contact,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayRateLimitedError,
    GatewayResponseError,
    InvalidQueryError,
    MessageQuery,
    MessageStatus,
    MessageType,
    Routing,
    Sender,
    SendRequest,
    Sim,
    SmsBridgeError,
    TrackedMessage,
)
from custom_components.sms_bridge.api.smsgateway24 import (
    CONF_DEVICE_ID,
    CONF_EMAIL,
    CONF_PASSWORD,
    CONF_PHONE_IDS,
    CONF_TIME_ZONE,
    CONF_TOKEN,
    CONF_URL,
    CUSTOMER_ID_HIGH,
    CUSTOMER_ID_LOW,
    DEFAULT_URL,
    SmsGateway24Client,
    from_config,
    message_status,
    new_customer_id,
    normalize_url,
    status_description,
)
from tests.simulator.smsgateway24 import (
    EMAIL,
    FAILING_SUFFIX,
    FIRST_SMS_ID,
    PASSWORD,
    UNDELIVERED_SUFFIX,
    DeviceStatus,
    SmsGateway24Simulator,
)
from tests.simulator.tls import server_context, write_self_signed_certificate

OFFICE = "1297"  # the simulator's phone with the lower id: the default sender
EMULATOR = "1576"


@pytest.fixture
async def sim() -> AsyncGenerator[SmsGateway24Simulator]:
    """Run an SmsGateway24 simulator on a free loopback port."""
    simulator = SmsGateway24Simulator()
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
def tokens() -> list[str]:
    """Collect the tokens the client reports."""
    return []


@pytest.fixture
def client(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator, tokens: list[str]
) -> SmsGateway24Client:
    """Return a client of the simulated account."""
    return SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url, on_token=tokens.append)


def calls(sim: SmsGateway24Simulator) -> list[str]:
    """Return the methods the simulator was called with, in order."""
    return [request.path.removeprefix("/getdata/") for request in sim.requests]


def params(sim: SmsGateway24Simulator, method: str) -> dict[str, Any]:
    """Return the parameters of the last call of ``method``, checked to carry the token."""
    request = [r for r in sim.requests if r.path == f"/getdata/{method}"][-1]
    assert request.method == "POST"
    fields = dict(request.params)
    assert fields.pop("token") in sim.tokens
    return fields


def assert_secret_free(error: BaseException, *secrets: str | None) -> None:
    """Check that neither the password nor a token appears in an error."""
    for secret in (PASSWORD, *secrets):
        assert secret
        assert secret not in str(error)
        assert secret not in repr(error)


# -- the token -------------------------------------------------------------------------------


async def test_login_once_then_reuse_the_token(
    client: SmsGateway24Client, sim: SmsGateway24Simulator, tokens: list[str]
) -> None:
    """The first call gets a token with the e-mail and password; later calls reuse it."""
    assert client.token is None
    await client.phones()
    await client.messages(MessageQuery(group_id="123456789"))
    assert calls(sim) == [
        "gettoken",
        "getalldevices",
        "getdevicestatus",
        "getdevicestatus",
        "getallsms",
    ]
    login = sim.requests[0]
    assert login.method == "POST"
    assert login.params == {"email": EMAIL, "pass": PASSWORD}
    assert client.token in sim.tokens
    assert tokens == [client.token]


async def test_stored_token_is_used_without_login(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator, tokens: list[str]
) -> None:
    """A token handed over from storage spares the login."""
    stored = sim.issue_token()
    client = SmsGateway24Client(
        session, EMAIL, PASSWORD, token=stored, url=sim.url, on_token=tokens.append
    )
    await client.messages(MessageQuery(group_id="123456789"))
    assert calls(sim) == ["getallsms"]
    assert client.token == stored
    assert tokens == []


async def test_expired_token_is_renewed_once_and_the_call_repeated(
    client: SmsGateway24Client, sim: SmsGateway24Simulator, tokens: list[str]
) -> None:
    """A refused token: one new login, then the same call again, and the new token kept."""
    await client.messages(MessageQuery(group_id="123456789"))
    first = client.token
    sim.expire_tokens()
    sim.requests.clear()
    await client.messages(MessageQuery(group_id="123456789"))
    assert calls(sim) == ["getallsms", "gettoken", "getallsms"]
    assert client.token != first
    assert client.token in sim.tokens
    assert tokens == [first, client.token]


@pytest.mark.parametrize(
    "wording",
    [
        "Token is expired",
        "Invalid token",
        "Wrong token!",
        "token not found",
        "Token has expired",
        "No token",
        "Unauthorized",
        "LOGIN OR PASSWORD INCORRECT.",
    ],
)
async def test_refusal_naming_the_token_renews_it(
    client: SmsGateway24Client, sim: SmsGateway24Simulator, wording: str
) -> None:
    """Other wordings that refuse the token itself are recognised too."""
    sim.token_error = wording
    await client.phones()
    sim.expire_tokens()
    sim.requests.clear()
    await client.create_tag("Staff")
    assert calls(sim) == ["savetag", "gettoken", "savetag"]


@pytest.mark.parametrize(
    "text",
    [
        "Device is not authorized to send SMS",
        "Your password expires in 3 days",
        "Sms saved, login to the app to send it",
        "Token is valid but the device is offline",
    ],
)
@pytest.mark.parametrize("recipients", [("+4915750001",), ("+4915750001", "+4915750002")])
async def test_a_send_refused_with_another_text_is_never_repeated(
    client: SmsGateway24Client,
    sim: SmsGateway24Simulator,
    text: str,
    recipients: tuple[str, ...],
) -> None:
    """An error that does not refuse the token may follow a message saved: sent once, no login.

    Its text is the service's error; nothing asks to re-authenticate.
    """
    await client.phones()
    sim.requests.clear()
    method = "addsms" if len(recipients) == 1 else "addalotofsms"
    sim.canned[method] = (200, json.dumps({"error": 1, "message": text}))
    with pytest.raises(GatewayApiError) as err:
        await client.send(SendRequest(recipients, "Alarm"))
    assert not isinstance(err.value, GatewayAuthenticationError)
    assert str(err.value) == text
    assert calls(sim) == [method]


async def test_new_token_refused_too_gives_up(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """When the new token is refused as well: an authentication error, and no third login."""
    sim.token_lifetime = 0  # every token has already expired when it is used
    with pytest.raises(GatewayAuthenticationError) as err:
        await client.create_tag("Staff")
    assert calls(sim) == ["gettoken", "savetag", "gettoken", "savetag"]
    assert_secret_free(err.value, *sim.tokens, client.token)


async def test_wrong_password(session: aiohttp.ClientSession, sim: SmsGateway24Simulator) -> None:
    """The login refused: an authentication error naming neither credential."""
    client = SmsGateway24Client(session, EMAIL, "not-the-password", url=sim.url)
    with pytest.raises(GatewayAuthenticationError) as err:
        await client.phones()
    assert str(err.value) == "The service refused the e-mail address or the password"
    assert "not-the-password" not in str(err.value)
    assert calls(sim) == ["gettoken"]
    assert client.token is None


async def test_credentials_revoked(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """Every call refused (the account's password changed): authentication error after one retry."""
    await client.phones()
    sim.faults.reject_key = True
    sim.requests.clear()
    with pytest.raises(GatewayAuthenticationError):
        await client.phones()
    assert calls(sim) == ["getalldevices", "gettoken"]


async def test_concurrent_refusals_share_one_login(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """Calls refused together renew the token once between them."""
    await client.phones()
    sim.expire_tokens()
    sim.requests.clear()
    sim.faults.latency = 0.05
    await asyncio.gather(*(client.messages(MessageQuery(group_id=str(n))) for n in range(4)))
    assert calls(sim).count("gettoken") == 1
    assert calls(sim).count("getallsms") == 8


async def test_login_falls_back_to_the_documented_get(
    client: SmsGateway24Client, sim: SmsGateway24Simulator, tokens: list[str]
) -> None:
    """A server taking gettoken by GET only (as its page says) answers the POST 405: GET then.

    The password, with characters a query string must encode, comes through; later logins
    go straight to GET, and the other methods are still posted.
    """
    sim.token_methods = frozenset({"GET"})
    sim.password = "p+ss wörd&=%2B"
    client = SmsGateway24Client(
        client._session, EMAIL, sim.password, url=sim.url, on_token=tokens.append
    )
    await client.create_tag("Staff")
    assert [(r.path, r.method) for r in sim.requests] == [
        ("/getdata/gettoken", "POST"),
        ("/getdata/gettoken", "GET"),
        ("/getdata/savetag", "POST"),
    ]
    assert sim.requests[1].params == {"email": EMAIL, "pass": sim.password}
    assert tokens == [client.token]
    sim.expire_tokens()
    sim.requests.clear()
    await client.create_tag("Other")
    assert [(r.path, r.method) for r in sim.requests] == [
        ("/getdata/savetag", "POST"),
        ("/getdata/gettoken", "GET"),
        ("/getdata/savetag", "POST"),
    ]
    sim.password = "changed"
    sim.expire_tokens()
    with pytest.raises(GatewayAuthenticationError, match="e-mail address or the password") as err:
        await client.create_tag("Third")
    assert_secret_free(err.value)


async def test_login_by_post_only(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """A server taking gettoken by POST only (as public clients call it) never sees a GET."""
    sim.token_methods = frozenset({"POST"})
    await client.create_tag("Staff")
    assert [(r.path, r.method) for r in sim.requests] == [
        ("/getdata/gettoken", "POST"),
        ("/getdata/savetag", "POST"),
    ]


async def test_login_answer_without_token(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """A login answered without a token is an unreadable answer."""
    sim.canned["gettoken"] = (200, '{"error":0,"message":"OK"}')
    with pytest.raises(GatewayResponseError, match="no token"):
        await client.phones()


async def test_http_401_renews_the_token(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """HTTP 401 or 403 without the API's object counts as a refused token."""
    sim.canned["savetag"] = (401, "Unauthorized")
    with pytest.raises(GatewayAuthenticationError):
        await client.create_tag("Staff")
    assert calls(sim) == ["gettoken", "savetag", "gettoken", "savetag"]
    sim.canned["gettoken"] = (403, "<html>Forbidden</html>")
    client = SmsGateway24Client(client._session, EMAIL, PASSWORD, url=sim.url)
    with pytest.raises(GatewayAuthenticationError, match="e-mail address or the password"):
        await client.create_tag("Staff")


async def test_provider_text_never_echoes_credentials(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """An error text quoting the password or token is masked before it is raised."""
    stored = sim.issue_token()
    client = SmsGateway24Client(session, EMAIL, PASSWORD, token=stored, url=sim.url)
    text = f"Bad request {stored} from {PASSWORD}"
    sim.canned["savetag"] = (200, json.dumps({"error": 1, "message": text}))
    with pytest.raises(GatewayApiError) as err:
        await client.create_tag("Staff")
    assert str(err.value) == "Bad request *** from ***"
    assert err.value.code == 1
    assert_secret_free(err.value, stored)


async def test_repr_and_account_id_are_secret_free(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """Neither the e-mail, the password nor the token shows in the client's repr or id."""
    await client.phones()
    for text in (repr(client), client.account_id):
        assert EMAIL not in text
        assert PASSWORD not in text
        assert client.token is not None
        assert client.token not in text
    assert client.account_id.startswith(f"{sim.url}#")
    other = SmsGateway24Client(client._session, EMAIL.upper(), "x", url=sim.url + "/")
    assert other.account_id == client.account_id  # same account whatever the case
    assert SmsGateway24Client(client._session, "b@x.test", "x").account_id != client.account_id


# -- phones ----------------------------------------------------------------------------------


async def test_phones(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """Phones in id order with name, SIMs, app version, subscription, online and last seen."""
    sim.device_status = DeviceStatus.PRESENT
    sim.phones[1576].online = False
    office, emulator = await client.phones()
    assert params(sim, "getalldevices") == {}
    assert sorted(r.params["device_id"] for r in sim.requests[2:]) == [OFFICE, EMULATOR]
    assert office.id == OFFICE
    assert office.name == "Office Pixel"
    assert office.app_version == "12.1.21"
    assert office.subscription is False
    assert office.online is True
    assert office.last_seen == sim.phones[1297].last_seen
    assert office.sims == (
        Sim(slot=0, label="SIM #1 [+4915752982212]", detail="+4915752982212"),
        Sim(slot=1, label="SIM #2 [Vodafone.de]", detail="Vodafone.de"),
    )
    assert office.battery is None
    assert emulator.id == EMULATOR
    assert emulator.subscription is True
    assert emulator.online is False
    assert emulator.sims == (Sim(slot=0, label="SIM #1 [15555215554]", detail="15555215554"),)
    assert client.phone_ids == {OFFICE, EMULATOR}


async def test_phone_status_refused_leaves_online_unknown(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """A phone whose status the service will not tell is listed, its online state unknown."""
    sim.canned["getdevicestatus"] = (200, '{"error":1,"message":"No subscription"}')
    phones = await client.phones()
    assert [phone.online for phone in phones] == [None, None]
    assert phones[0].last_seen == sim.phones[1297].last_seen


@pytest.mark.parametrize(
    "answer",
    [DeviceStatus.ABSENT, DeviceStatus.HTTP_500, DeviceStatus.HTML_PAGE, DeviceStatus.API_ERROR],
)
async def test_phone_status_is_optional(
    client: SmsGateway24Client,
    sim: SmsGateway24Simulator,
    caplog: pytest.LogCaptureFixture,
    answer: DeviceStatus,
) -> None:
    """getdevicestatus is not on the service's page: whatever it answers, the phones are
    listed as getalldevices describes them, with one warning; once absent, it is not asked.
    """
    sim.device_status = answer
    for _ in range(2):
        office, emulator = await client.phones()
        assert (office.id, emulator.id) == (OFFICE, EMULATOR)
        assert (office.online, emulator.online) == (None, None)
        assert office.last_seen == sim.phones[1297].last_seen
        assert office.sims[1].detail == "Vodafone.de"
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "getdevicestatus" in warnings[0].getMessage()
    assert PASSWORD not in caplog.text
    assert client.token is not None
    assert client.token not in caplog.text
    asked = calls(sim).count("getdevicestatus")
    assert asked == (2 if answer is DeviceStatus.ABSENT else 4)
    assert calls(sim).count("gettoken") == 1


async def test_phone_status_refusing_the_token_renews_nothing(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """getdevicestatus answering 401, or the token's refusal, right after getalldevices took
    that token: the phones are listed, no new login, no re-authentication."""
    for answer in ((401, "Unauthorized"), (200, '{"error":1,"message":"Invalid token"}')):
        sim.canned["getdevicestatus"] = answer
        phones = await client.phones()
        assert [phone.online for phone in phones] == [None, None]
    assert calls(sim).count("gettoken") == 1


async def test_phone_status_timing_out_keeps_the_phones(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """A status that does not come in time: the phones are listed all the same."""
    client = SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url, timeout=0.3)
    sim.device_status = DeviceStatus.PRESENT
    sim.faults.healthy_calls = 2  # gettoken and getalldevices
    sim.faults.hang = True
    phones = await client.phones()
    assert [phone.id for phone in phones] == [OFFICE, EMULATOR]
    assert [phone.online for phone in phones] == [None, None]


async def test_phone_list_shapes(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """A list of phones, SIM info as JSON text, repeated or broken SIM slots, phones without id."""
    devices = [
        {"id": 7, "title": "A", "siminfo": json.dumps([{"Slot": "1", "CarrierName": "Orange"}])},
        {
            "id": "8",
            "title": None,
            "siminfo": [{"Slot": "0"}, {"Slot": "0", "CarrierName": "dup"}, {"Slot": "x"}, 3],
            "lastseen": {"date": "2020-04-23 17:02:21.000000", "timezone": "+02:00"},
            "subscription": 1,
        },
        {"id": 9, "siminfo": "not json"},
        {"title": "no id"},
        "not a phone",
    ]
    sim.canned["getalldevices"] = (200, json.dumps({"count": 4, "device": devices}))
    sim.canned["getdevicestatus"] = (200, '{"error":0,"online":"1","lastseen":null}')
    a, b, c = await client.phones()
    assert a.sims == (Sim(slot=1, label="SIM #2 [Orange]", detail="Orange"),)
    assert a.online is True
    assert b.display_name == "Phone 8"
    assert b.sims == (Sim(slot=0, label="SIM #1", detail=None),)
    assert b.last_seen == datetime(2020, 4, 23, 15, 2, 21, tzinfo=UTC)
    assert b.subscription is True
    assert c.sims == ()
    assert client.phone_ids == {"7", "8", "9"}


async def test_no_phones(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """An account without phones has none, and nothing to send from."""
    sim.phones.clear()
    assert await client.phones() == []
    with pytest.raises(GatewayApiError, match="no phone"):
        await client.send(SendRequest(("+4915750001",), "x"))
    with pytest.raises(GatewayApiError, match="no phone"):
        await client.send(SendRequest(("+4915750001",), "x", routing=Routing.ALL_PHONES))


# -- sending ---------------------------------------------------------------------------------


async def test_send_one(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """One recipient: addsms from the first phone, with a fresh customerid as the group."""
    (message,) = await client.send(SendRequest(("+4915750001",), "Hello"))
    sent = params(sim, "addsms")
    customer = sent.pop("customerid")
    assert sent == {"sendto": "+4915750001", "body": "Hello", "device_id": OFFICE}
    assert CUSTOMER_ID_LOW <= int(customer) <= CUSTOMER_ID_HIGH
    row = sim.sms[int(message.id)]
    assert message.id == str(FIRST_SMS_ID)
    assert message.number == row["sendto"] == "+4915750001"
    assert message.text == "Hello"
    assert message.status is MessageStatus.PENDING
    assert message.phone_id == OFFICE
    assert message.sim_slot is None
    assert message.group_id == customer == str(row["customerid"])
    assert message.type is MessageType.SMS
    assert message.prioritize is False


async def test_send_one_with_options(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """SIM, schedule (in the configured zone), priority and the configured default phone."""
    client = from_config(
        session,
        {
            CONF_EMAIL: EMAIL,
            CONF_PASSWORD: PASSWORD,
            CONF_URL: sim.url,
            CONF_DEVICE_ID: EMULATOR,
            CONF_TIME_ZONE: "Europe/Paris",
        },
    )
    when = datetime(2030, 7, 1, 10, 30, tzinfo=UTC)
    (message,) = await client.send(
        SendRequest(("+4915750001",), "Later", schedule=when, prioritize=True)
    )
    sent = params(sim, "addsms")
    assert sent["device_id"] == EMULATOR
    assert sent["timetosend"] == "2030-07-01 12:30:00"  # Paris summer time
    assert sent["urgent"] == "1"
    assert message.status is MessageStatus.SCHEDULED
    assert message.schedule == when
    assert message.prioritize is True
    (pinned,) = await client.send(
        SendRequest(("+4915750002",), "SIM 2", senders=(Sender(OFFICE, 1),))
    )
    assert params(sim, "addsms")["sim"] == "1"
    assert params(sim, "addsms")["device_id"] == OFFICE
    assert pinned.sim_slot == 1
    assert sim.sms[int(pinned.id)]["sim"] == 1


async def test_send_many(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """Several recipients: one addalotofsms (token in datajson), read back by customerid."""
    numbers = ("+4915750001", "+4915750002", "+4915750003")
    messages = await client.send(SendRequest(numbers, "Bulk", prioritize=True))
    # The first phone sends; the phone list is read once, not before every send.
    assert calls(sim) == ["gettoken", "getalldevices", "addalotofsms", "getallsms"]
    bulk = sim.requests[2].params
    assert set(bulk) == {"datajson"}
    data = json.loads(bulk["datajson"])
    assert data["token"] == client.token
    customer = data["smsdata"][0]["customerid"]
    assert data["smsdata"] == [
        {"sendto": n, "body": "Bulk", "device_id": 1297, "customerid": customer, "urgent": 1}
        for n in numbers
    ]
    assert params(sim, "getallsms") == {"customerid": str(customer), "timezone": "UTC"}
    assert [m.number for m in messages] == list(numbers)
    assert [m.id for m in messages] == [str(FIRST_SMS_ID + n) for n in range(3)]
    assert {m.group_id for m in messages} == {str(customer)}
    assert {m.status for m in messages} == {MessageStatus.PENDING}
    assert all(m.prioritize for m in messages)
    await client.send(SendRequest(numbers, "Again"))
    assert calls(sim)[4:] == ["addalotofsms", "getallsms"]


async def test_send_many_scheduled_on_sims(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """Several senders take the recipients in turn; the schedule goes to every entry."""
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    senders = (Sender(OFFICE, 1), Sender(EMULATOR))
    messages = await client.send(
        SendRequest(("+491", "+492", "+493"), "x", senders=senders, schedule=when)
    )
    entries = json.loads(sim.requests[1].params["datajson"])["smsdata"]
    assert [(e["device_id"], e.get("sim")) for e in entries] == [
        (1297, 1),
        (1576, None),
        (1297, 1),
    ]
    assert {e["timetosend"] for e in entries} == {when.strftime("%Y-%m-%d %H:%M:%S")}
    assert {e["urgent"] for e in entries} == {0}
    assert {m.status for m in messages} == {MessageStatus.SCHEDULED}
    assert {m.schedule for m in messages} == {when}
    # The rows read back carry no SIM: each message is on the SIM it was sent from.
    assert [(m.phone_id, m.sim_slot) for m in messages] == [
        (OFFICE, 1),
        (EMULATOR, None),
        (OFFICE, 1),
    ]


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        (Routing.ALL_PHONES, [(1297, None), (1576, None), (1297, None), (1576, None)]),
        (Routing.ALL_SIMS, [(1297, 0), (1297, 1), (1576, 0), (1297, 0)]),
    ],
)
async def test_spread_over_phones(
    client: SmsGateway24Client,
    sim: SmsGateway24Simulator,
    routing: Routing,
    expected: list[tuple[int, int | None]],
) -> None:
    """All phones, or all SIMs of all phones, take the recipients in turn."""
    await client.send(SendRequest(("+491", "+492", "+493", "+494"), "x", routing=routing))
    entries = json.loads(sim.requests[2].params["datajson"])["smsdata"]
    assert calls(sim)[:2] == ["gettoken", "getalldevices"]
    assert [(e["device_id"], e.get("sim")) for e in entries] == expected


async def test_random_sender(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """A random phone sends every message, among the given ones or all of them."""
    await client.send(SendRequest(("+491", "+492"), "x", random_sender=True))
    entries = json.loads(sim.requests[2].params["datajson"])["smsdata"]
    assert len({e["device_id"] for e in entries}) == 1
    assert entries[0]["device_id"] in (1297, 1576)
    (message,) = await client.send(
        SendRequest(("+493",), "x", senders=(Sender(EMULATOR, 0),), random_sender=True)
    )
    assert (message.phone_id, message.sim_slot) == (EMULATOR, 0)


async def test_send_refusals(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """No MMS, no send without recipients; an unknown phone is the service's refusal."""
    with pytest.raises(CapabilityNotSupportedError):
        await client.send(SendRequest(("+491",), "x", mms=True, attachments=("https://a/b",)))
    with pytest.raises(InvalidQueryError):
        await client.send(SendRequest((), "x"))
    assert sim.requests == []
    with pytest.raises(GatewayApiError) as err:
        await client.send(SendRequest(("+491",), "x", senders=(Sender("999"),)))
    assert str(err.value) == "Device not found"
    assert err.value.code == 1
    assert sim.sms == {}


async def test_send_answer_without_id(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """A save answered without sms_id: an unreadable answer (the caller looks before resending)."""
    sim.canned["addsms"] = (200, '{"error":0,"message":"Sms has been saved successfully"}')
    with pytest.raises(GatewayResponseError, match="no sms_id"):
        await client.send(SendRequest(("+491",), "x"))


async def test_send_many_not_read_back(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """Saved but not (all) read back: never reported as a send that did not happen."""
    sim.canned["getallsms"] = (200, '{"error":0,"smss":[],"count":0,"message":"Ok"}')
    with pytest.raises(GatewayResponseError, match="saved 2 messages but lists 0"):
        await client.send(SendRequest(("+491", "+492"), "x"))
    sim.canned["getallsms"] = (200, '{"error":1,"message":"Database busy"}')
    with pytest.raises(GatewayResponseError, match="could not be read back"):
        await client.send(SendRequest(("+491", "+492"), "x"))
    assert len(sim.sms) == 4


async def test_send_many_read_back_times_out(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """A read-back that times out: a connection error saying the request got through."""
    client = SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url, timeout=0.3)
    await client.phones()
    sim.faults.healthy_calls = 1  # addalotofsms
    sim.faults.hang = True
    with pytest.raises(GatewayConnectionError) as err:
        await client.send(SendRequest(("+491", "+492"), "x"))
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.TIMEOUT
    assert len(sim.sms) == 2


# -- reading messages ------------------------------------------------------------------------


async def test_status_table() -> None:
    """Every documented status number maps on its own; numbers outside the table are unknown."""
    expected = {
        1: MessageStatus.PENDING,
        2: MessageStatus.QUEUED,
        3: MessageStatus.QUEUED,
        5: MessageStatus.RECEIVED,
        6: MessageStatus.SENT,
        7: MessageStatus.DELIVERED,
        8: MessageStatus.FAILED,
        9: MessageStatus.FAILED,
        10: MessageStatus.FAILED,
        11: MessageStatus.FAILED,
        12: MessageStatus.FAILED,
        100: MessageStatus.FAILED,
        101: MessageStatus.FAILED,
        4: MessageStatus.UNKNOWN,
        0: MessageStatus.UNKNOWN,
        None: MessageStatus.UNKNOWN,
    }
    assert {code: message_status(code) for code in expected} == expected
    assert status_description(10) == "Not sent: no service"
    assert status_description(4) is None


async def test_tracking_follows_the_documented_order(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """1, 3, 2, 6, 7: the states read back by customerid never go backwards."""
    messages = await client.send(SendRequest(("+491", "+492"), "x"))
    queries = client.status_queries(TrackedMessage(m.id, m.group_id) for m in messages)
    assert queries == [MessageQuery(group_id=messages[0].group_id)]
    seen = []
    for _ in range(5):
        (query,) = queries
        states = {m.status for m in await client.messages(query)}
        assert len(states) == 1
        seen.append((sim.sms[int(messages[0].id)]["status"], states.pop()))
        await sim.advance()
    assert seen == [
        (1, MessageStatus.PENDING),
        (3, MessageStatus.QUEUED),
        (2, MessageStatus.QUEUED),
        (6, MessageStatus.SENT),
        (7, MessageStatus.DELIVERED),
    ]
    assert [status.rank for _, status in seen] == sorted(status.rank for _, status in seen)


async def test_failures_keep_the_service_text(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """Failed states carry the status number and the service's own text."""
    numbers = (f"+49150{FAILING_SUFFIX}", f"+49150{UNDELIVERED_SUFFIX}", "+491501234")
    messages = await client.send(SendRequest(numbers, "x"))
    for _ in range(4):
        await sim.advance()
    failed, undelivered, delivered = await client.messages(
        MessageQuery(group_id=messages[0].group_id)
    )
    assert (failed.status, failed.error_code, failed.failure_reason) == (
        MessageStatus.FAILED,
        9,
        "Generic failure",
    )
    assert (undelivered.status, undelivered.error_code) == (MessageStatus.FAILED, 8)
    assert undelivered.failure_reason == "not delivered"
    assert (delivered.status, delivered.failure_reason) == (MessageStatus.DELIVERED, None)
    assert delivered.sent_at is not None
    (by_id,) = await client.messages(MessageQuery(message_id=failed.id))
    assert params(sim, "getsmsstatus") == {"sms_id": failed.id}
    assert (by_id.id, by_id.status, by_id.failure_reason) == (
        failed.id,
        MessageStatus.FAILED,
        "Generic failure",
    )


async def test_read_by_id(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """A message id alone reads getsmsstatus; with other filters, getallsms."""
    (message,) = await client.send(SendRequest(("+491",), "x"))
    (state,) = await client.messages(MessageQuery(message_id=message.id))
    assert (state.id, state.status, state.failure_reason) == (
        message.id,
        MessageStatus.PENDING,
        None,
    )
    assert (
        await client.messages(MessageQuery(message_id=message.id, status=MessageStatus.SENT)) == []
    )
    (found,) = await client.messages(MessageQuery(message_id=message.id, phone_id=OFFICE))
    assert found.text == "x"
    assert params(sim, "getallsms")["device_id"] == OFFICE
    sim.requests.clear()
    assert await client.messages(MessageQuery(message_id="not-ours")) == []
    assert await client.messages(MessageQuery(group_id="abc")) == []
    assert sim.requests == []
    with pytest.raises(GatewayApiError, match=r"^Sms not found$"):
        await client.messages(MessageQuery(message_id="1"))


async def test_status_poll_of_messages_without_group(client: SmsGateway24Client) -> None:
    """A message tracked without a group is read back by its id."""
    tracked = [TrackedMessage("5", "77"), TrackedMessage("6"), TrackedMessage("7", "77")]
    assert client.status_queries(tracked) == [
        MessageQuery(group_id="77"),
        MessageQuery(message_id="6"),
    ]


async def test_read_filters(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """Filters go to getallsms (dates widened by a day) and are applied again to the answer."""
    old = sim.store_sms("+491", "old", 1297, sim=1)
    old["created"] -= timedelta(hours=5)
    recent = sim.store_sms("+492", "recent", 1297, sim=1)
    sim.store_sms("+493", "other SIM", 1297, sim=0)
    start = datetime.now(UTC) - timedelta(hours=1)
    end = datetime.now(UTC) + timedelta(hours=1)
    found = await client.messages(
        MessageQuery(
            phone_id=OFFICE, sim_slot=1, start=start, end=end, status=MessageStatus.PENDING
        )
    )
    assert [m.id for m in found] == [str(recent["id"])]
    assert params(sim, "getallsms") == {
        "device_id": OFFICE,
        "sim": "1",
        "status": "1",
        "begindate": (start - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "enddate": (end + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "timezone": "UTC",
    }
    early = await client.messages(MessageQuery(end=start))
    assert [m.id for m in early] == [str(old["id"])]


async def test_rows_without_sim(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """The page's rows carry no SIM: the service filters by SIM, and nothing is dropped here.

    A message read by SIM is on that SIM; read without, its SIM is unknown; a row that does
    carry a SIM is read, and dropped when it contradicts the filter.
    """
    second = sim.store_sms("+491", "second SIM", 1297, sim=1)
    first = sim.store_sms("+492", "first SIM", 1297, sim=0)
    (found,) = await client.messages(MessageQuery(phone_id=OFFICE, sim_slot=1))
    assert params(sim, "getallsms")["sim"] == "1"
    assert (found.id, found.sim_slot) == (str(second["id"]), 1)
    everything = await client.messages(MessageQuery(phone_id=OFFICE))
    assert [(m.id, m.sim_slot) for m in everything] == [
        (str(second["id"]), None),
        (str(first["id"]), None),
    ]
    sim.rows_with_sim = True
    assert [m.sim_slot for m in await client.messages(MessageQuery())] == [1, 0]
    sim.canned["getallsms"] = (
        200,
        json.dumps({"error": 0, "smss": [{"id": 1, "sim": 0}, {"id": 2, "sim": 1}, {"id": 3}]}),
    )
    assert [m.id for m in await client.messages(MessageQuery(sim_slot=1))] == ["2", "3"]


async def test_read_statuses_of_several_numbers(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """A state of several status numbers is filtered here; a scheduled one is a future new one."""
    rows = [sim.store_sms(f"+49{n}", "x", 1297, status=n) for n in (2, 3, 9, 12, 7)]
    later = sim.store_sms("+4999", "later", 1297, timetosend=datetime.now(UTC) + timedelta(days=1))
    queued = await client.messages(MessageQuery(status=MessageStatus.QUEUED))
    assert "status" not in params(sim, "getallsms")
    assert [m.id for m in queued] == [str(rows[0]["id"]), str(rows[1]["id"])]
    failed = await client.messages(MessageQuery(status=MessageStatus.FAILED))
    assert [m.failure_reason for m in failed] == ["Generic failure", "Radio off"]
    (scheduled,) = await client.messages(MessageQuery(status=MessageStatus.SCHEDULED))
    assert scheduled.id == str(later["id"])
    assert params(sim, "getallsms")["status"] == "1"
    assert await client.messages(MessageQuery(status=MessageStatus.CANCELED)) == []


async def test_read_answers_shapes_and_dates(
    client: SmsGateway24Client, sim: SmsGateway24Simulator
) -> None:
    """A list under `sms`, dates with an offset, a zone name or an abbreviation; bad ones unread."""
    rows = [
        {
            "id": 1,
            "sendto": 4915750001,
            "body": None,
            "status": "7",
            "statustitle": "delivered",
            "deviceid": "1297",
            "urgent": None,
            "created": {
                "date": "2021-07-11 13:04:46.000000",
                "timezone_type": 1,
                "timezone": "+02:00",
            },
            "senttime": {
                "date": "2021-07-11 13:05:00.000000",
                "timezone_type": 3,
                "timezone": "Europe/Paris",
            },
            "customerid": 19921,
            "sim": 0,
        },
        {
            "id": 2,
            "sendto": "+491",
            "body": "b",
            "status": 4,
            "created": {
                "date": "2021-07-11 13:04:46.000000",
                "timezone_type": 2,
                "timezone": "GMT",
            },
            "senttime": {"date": "2021-07-11", "timezone": "Nowhere/Land"},
            "timetosend": "2021-08-01 14:00:00",
        },
        {"id": 3, "created": {"date": "garbage", "timezone": "UTC"}, "senttime": 12},
        {"id": 4, "created": {"date": None}, "senttime": "not a date"},
        {"id": -1},
    ]
    sim.canned["getallsms"] = (200, json.dumps({"error": 0, "sms": rows, "message": "Ok"}))
    first, second, third, fourth = await client.messages(MessageQuery())
    assert first.number == "4915750001"
    assert first.text == ""
    assert first.status is MessageStatus.DELIVERED
    assert first.phone_id == OFFICE
    assert first.group_id == "19921"
    assert first.sent_at == datetime(2021, 7, 11, 11, 5, tzinfo=UTC)
    assert second.status is MessageStatus.UNKNOWN
    assert second.sent_at == datetime(2021, 7, 11, 13, 4, 46, tzinfo=UTC)  # created, GMT
    assert second.schedule == datetime(2021, 8, 1, 14, 0, tzinfo=UTC)
    assert third.sent_at == datetime.fromtimestamp(12, UTC)
    assert fourth.sent_at is None
    start = datetime(2021, 7, 11, 11, 4, 46, tzinfo=UTC)
    # Rows with an unreadable creation time are kept by date filters.
    assert [m.id for m in await client.messages(MessageQuery(start=start))] == ["1", "2", "3", "4"]
    later = start + timedelta(seconds=1)
    assert [m.id for m in await client.messages(MessageQuery(start=later))] == ["2", "3", "4"]


async def test_poll_inbound(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """Polling reads the incoming status since the mark, oldest first."""
    old = await sim.receive_sms("+4917600000", "before", phone_id=1576)
    sim.sms[old["id"]]["created"] -= timedelta(minutes=10)
    mark = datetime.now(UTC) - timedelta(minutes=1)
    first = await sim.receive_sms("+4917611111", "first", phone_id=1297, sim=1)
    second = await sim.receive_sms("+4917622222", "second", phone_id=1576)
    sim.sms[first["id"]]["created"] -= timedelta(seconds=5)
    await client.send(SendRequest(("+491",), "outgoing"))
    batch = await client.poll_inbound(mark)
    assert params(sim, "getallsms")["status"] == "5"
    assert [m.id for m in batch.messages] == [str(first["id"]), str(second["id"])]
    message = batch.messages[0]
    assert (message.number, message.text, message.status) == (
        "+4917611111",
        "first",
        MessageStatus.RECEIVED,
    )
    assert (message.phone_id, message.sim_slot) == (OFFICE, None)  # rows carry no SIM
    assert batch.delivery_reports == ()


# -- contacts and newsletters ----------------------------------------------------------------


async def test_tags_and_contacts(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """A tag is created; a contact goes into it, named by its number when it has no name."""
    tag = await client.create_tag("Staff")
    assert params(sim, "savetag") == {"title": "Staff"}
    assert sim.tags == {tag: "Staff"}
    contact = await client.subscribe_contact(tag, "+4917633333", name="Ann")
    assert params(sim, "savecontact") == {
        "phone": "+4917633333",
        "ctag_id": str(tag),
        "tag_id": str(tag),
        "fullname": "Ann",
    }
    assert contact == Contact(
        id=max(sim.contacts), number="+4917633333", name="Ann", subscribed=True, list_id=tag
    )
    nameless = await client.subscribe_contact(tag, "+4917644444", resubscribe=True)
    assert sim.contacts[int(str(nameless.id))]["fullname"] == "+4917644444"
    assert nameless.name is None
    with pytest.raises(GatewayApiError, match=r"^Tag not found$"):
        await client.subscribe_contact(tag + 1, "+4917655555")
    with pytest.raises(CapabilityNotSupportedError):
        await client.unsubscribe_contact(tag, "+4917633333")
    sim.canned["savetag"] = (200, '{"error":0,"message":"OK"}')
    with pytest.raises(GatewayResponseError, match="no tag_id"):
        await client.create_tag("Other")


async def test_send_to_list(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """A newsletter to a tag from one phone and SIM; the service answers no message ids."""
    tag = await client.create_tag("Staff")
    await client.subscribe_contact(tag, "+4917633333", name="Ann")
    await client.subscribe_contact(tag, "+4917644444", name="Bob")
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    request = SendRequest((), "News", senders=(Sender(EMULATOR, 1),), schedule=when)
    assert await client.send_to_list(tag, request) == []
    sent = params(sim, "savepaket")
    assert sent.pop("title").startswith("SMS Bridge ")
    assert sent == {
        "device_id": EMULATOR,
        "body": "News",
        "tags": str(tag),
        "sim": "1",
        "time_to_send": "02.01.2030 03:04:05",
    }
    assert sorted(row["sendto"] for row in sim.sms.values()) == ["+4917633333", "+4917644444"]
    await client.send_to_list(tag, SendRequest((), "Now"))
    assert params(sim, "savepaket")["device_id"] == OFFICE
    assert params(sim, "savepaket")["sim"] == "0"
    with pytest.raises(InvalidQueryError):
        await client.send_to_list(tag, SendRequest((), "x", routing=Routing.ALL_PHONES))
    with pytest.raises(CapabilityNotSupportedError):
        await client.send_to_list(tag, SendRequest((), "x", mms=True))
    sim.canned["savepaket"] = (200, '{"error":0,"message":"OK","paket":12}')
    assert await client.send_to_list(tag, SendRequest((), "x")) == []
    sim.canned["savepaket"] = (200, '{"error":0,"message":"OK"}')
    with pytest.raises(GatewayResponseError, match="no newsletter id"):
        await client.send_to_list(tag, SendRequest((), "x"))


# -- provider rules and configuration ---------------------------------------------------------


async def test_sequence(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """The service numbers messages in the order it makes them."""
    first, second = await client.send(SendRequest(("+491", "+492"), "x"))
    assert client.sequence(first) == FIRST_SMS_ID
    assert client.sequence(first) < client.sequence(second)  # type: ignore[operator]
    assert (
        client.sequence(first.__class__(id="x1", number="", text="", status=first.status)) is None
    )


def test_capabilities() -> None:
    """What the client declares: no credits, MMS, resend nor USSD."""
    assert SmsGateway24Client.capabilities == {
        Capability.PHONES,
        Capability.SCHEDULE,
        Capability.PRIORITY,
        Capability.SIM_SELECT,
        Capability.SPREAD,
        Capability.LAST_SEEN,
        Capability.READ,
        Capability.CONTACTS,
        Capability.LIST_SEND,
        Capability.INBOUND_WEBHOOK,
        Capability.INBOUND_POLL,
        Capability.STATUS_WEBHOOK,
        Capability.STATUS_POLL,
    }
    assert SmsGateway24Client.webhook_methods == {"POST"}


async def test_from_config(session: aiohttp.ClientSession, sim: SmsGateway24Simulator) -> None:
    """The config keys: credentials, token, URL, default phone, zone and known phones."""
    stored = sim.issue_token()
    client = from_config(
        session,
        {
            CONF_EMAIL: EMAIL,
            CONF_PASSWORD: PASSWORD,
            CONF_TOKEN: stored,
            CONF_URL: f"{sim.url}/getdata/addsms",
            CONF_PHONE_IDS: [1297, "1576"],
        },
    )
    assert client.token == stored
    assert client.phone_ids == {OFFICE, EMULATOR}
    await client.send(SendRequest(("+491",), "x"))
    assert calls(sim) == ["getalldevices", "addsms"]  # the stored token serves
    default = from_config(session, {CONF_EMAIL: EMAIL, CONF_PASSWORD: PASSWORD})
    assert default.account_id.startswith(f"{DEFAULT_URL}#")
    assert default.token is None
    assert default.phone_ids == frozenset()
    # A name the system lacks is found out off the loop: the first call refuses, sending nothing.
    sim.requests.clear()
    mars = from_config(
        session,
        {
            CONF_EMAIL: EMAIL,
            CONF_PASSWORD: PASSWORD,
            CONF_URL: sim.url,
            CONF_TIME_ZONE: "Mars/Base",
        },
    )
    with pytest.raises(InvalidQueryError, match="Unknown time zone 'Mars/Base'"):
        await mars.phones()
    with pytest.raises(InvalidQueryError, match="Unknown time zone"):
        await mars.send(SendRequest(("+491",), "x"))
    assert sim.requests == []
    for malformed in ("America/../../etc/passwd", "a" * 300, "Europe/Paris\x00"):
        with pytest.raises(ValueError, match="Unknown time zone"):
            from_config(
                session, {CONF_EMAIL: EMAIL, CONF_PASSWORD: PASSWORD, CONF_TIME_ZONE: malformed}
            )


def test_normalize_url() -> None:
    """A pasted method URL, a trailing slash and upper case come down to the base URL."""
    assert normalize_url(" HTTPS://SmsGateway24.com/getdata/addsms ") == "https://smsgateway24.com"
    assert normalize_url("https://example.test/sg24/") == "https://example.test/sg24"


def test_customer_ids_are_fresh() -> None:
    """Customer ids fit the service's integer field and differ between sends."""
    drawn = {new_customer_id() for _ in range(50)}
    assert len(drawn) > 45
    assert all(CUSTOMER_ID_LOW <= value <= CUSTOMER_ID_HIGH for value in drawn)


async def test_zone_names(session: aiohttp.ClientSession, sim: SmsGateway24Simulator) -> None:
    """The configured zone is asked of getallsms and reads the dates it answers."""
    client = SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url, time_zone="Asia/Tokyo")
    row = sim.store_sms("+491", "x", 1297)
    (message,) = await client.messages(MessageQuery())
    assert params(sim, "getallsms") == {"timezone": "Asia/Tokyo"}
    assert message.sent_at == row["created"]
    assert message.sent_at is not None
    assert message.sent_at.utcoffset() == ZoneInfo("Asia/Tokyo").utcoffset(row["created"])


# -- transport failures ----------------------------------------------------------------------


async def test_latency(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """A slow answer is still an answer."""
    sim.faults.latency = 0.05
    assert len(await client.phones()) == 2


async def test_http_500(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """An HTTP error page is an unreadable answer naming the status."""
    sim.faults.http_500 = True
    with pytest.raises(GatewayResponseError, match=r"^The service answered HTTP 500$") as err:
        await client.phones()
    assert_secret_free(err.value)


async def test_html_page(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """An HTML page with status 200 is an unreadable answer, not quoted."""
    sim.faults.html_error = True
    with pytest.raises(GatewayResponseError, match=r"^The service answered an HTML page$"):
        await client.phones()


async def test_rate_limited(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """HTTP 429 tells how long to wait."""
    sim.faults.rate_limit = 7
    with pytest.raises(GatewayRateLimitedError) as err:
        await client.phones()
    assert err.value.retry_after == 7.0
    sim.canned["gettoken"] = (429, "slow down")
    sim.faults.rate_limit = 0
    with pytest.raises(GatewayRateLimitedError) as err:
        await client.phones()
    assert err.value.retry_after is None


async def test_hang(session: aiohttp.ClientSession, sim: SmsGateway24Simulator) -> None:
    """No answer in time: a timeout that may have sent the request."""
    client = SmsGateway24Client(session, EMAIL, PASSWORD, url=sim.url, timeout=0.2)
    sim.faults.hang = True
    with pytest.raises(GatewayConnectionError) as err:
        await client.phones()
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.TIMEOUT
    assert_secret_free(err.value)


async def test_dropped_connection(client: SmsGateway24Client, sim: SmsGateway24Simulator) -> None:
    """A connection closed before the answer: the request may have been sent."""
    sim.canned["gettoken"] = (0, "")
    with pytest.raises(GatewayConnectionError) as err:
        await client.phones()
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.DROPPED


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """Nothing listening: nothing was sent."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SmsGateway24Client(session, EMAIL, PASSWORD, url=f"http://127.0.0.1:{port}")
    with pytest.raises(GatewayConnectionError) as err:
        await client.phones()
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.REFUSED
    assert str(err.value) == "Cannot connect to the service: connection refused"


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
        client = SmsGateway24Client(session, EMAIL, PASSWORD)
        with pytest.raises(GatewayConnectionError) as err:
            await client.phones()
    assert err.value.kind is ConnectionErrorKind.DNS
    assert err.value.request_sent is False


async def test_https_to_plain_http(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """An https:// URL for a server speaking HTTP: the secure connection fails, nothing sent."""
    client = SmsGateway24Client(
        session, EMAIL, PASSWORD, url=sim.url.replace("http://", "https://")
    )
    with pytest.raises(GatewayConnectionError) as err:
        await client.phones()
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.TLS


async def test_self_signed_certificate(session: aiohttp.ClientSession, tmp_path: Path) -> None:
    """A certificate nobody signed: a certificate error with the verifier's reason."""
    simulator = SmsGateway24Simulator()
    await simulator.start(ssl_context=server_context(*write_self_signed_certificate(tmp_path)))
    try:
        client = SmsGateway24Client(session, EMAIL, PASSWORD, url=simulator.url)
        with pytest.raises(GatewayCertificateError) as err:
            await client.phones()
    finally:
        await simulator.stop()
    assert "self-signed" in err.value.reason
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        ((200, "not json"), GatewayResponseError, "that is not JSON$"),
        ((200, "[1, 2]"), GatewayResponseError, "not an API object"),
        ((200, "[" * 40 + "]" * 40), GatewayResponseError, "nested over 32 levels"),
        ((200, "[" * 100_000 + "]" * 100_000), GatewayResponseError, "nested over 32 levels"),
        ((500, '{"error":1,"message":"Internal"}'), GatewayApiError, r"^Internal$"),
        ((404, '{"error":0,"message":"OK"}'), GatewayResponseError, r"answered HTTP 404$"),
        ((200, '{"error":"1"}'), GatewayApiError, r"^Unknown error$"),
    ],
)
async def test_unreadable_answers(
    client: SmsGateway24Client,
    sim: SmsGateway24Simulator,
    answer: tuple[int, str],
    error: type[SmsBridgeError],
    text: str,
) -> None:
    """Answers that are not the API's, or its error object under another HTTP status."""
    await client.phones()
    sim.canned["getalldevices"] = answer
    with pytest.raises(error, match=text) as err:
        await client.phones()
    assert_secret_free(err.value, client.token)
