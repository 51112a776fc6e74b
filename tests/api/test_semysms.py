"""Tests of `SemySmsClient` over real HTTP against the SemySMS simulator.

Account, phones, sending, reading back, cancelling and the typed errors; webhooks, polling and
USSD are in test_semysms_inbound.py. The parameters the simulator received are asserted
exactly, so a renamed or missing field fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
import json
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.sms_bridge.api import (
    Account,
    CancelNotExactError,
    Capability,
    CapabilityNotSupportedError,
    ConnectionErrorKind,
    Gateway,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayRateLimitedError,
    GatewayResponseError,
    MessageQuery,
    MessageStatus,
    MessageType,
    Phone,
    Routing,
    Sender,
    SendRequest,
    Sim,
    SmsBridgeError,
    UssdQuery,
)
from custom_components.sms_bridge.api.semysms import (
    CONF_API_KEY,
    CONF_PHONE_IDS,
    CONF_TIMEZONE,
    CONF_URL,
    CONF_USER_ID,
    DEFAULT_URL,
    SemySmsClient,
    from_config,
    normalize_url,
)
from tests.api.semysms_helpers import TOKEN, CannedSemySms, params_of
from tests.api.webhook_catcher import WebhookCatcher
from tests.simulator.semysms import (
    FAILING_SUFFIX,
    FIRST_INBOX_ID,
    FIRST_OUTBOX_ID,
    PREMIUM_END,
    SMS,
    WHATSAPP,
    WHATSAPP_BUSINESS,
    SemySmsSimulator,
)
from tests.simulator.tls import server_context

NUMBER = "+380671112233"


async def raw(session: aiohttp.ClientSession, url: str, **fields: str) -> dict[str, Any]:
    """Return a script's JSON answer to a GET, as the service's own examples call it."""
    async with session.get(url, params=fields) as response:
        assert response.status == 200
        document = json.loads(await response.text())
    assert isinstance(document, dict)
    return document


# -- the simulator's wire format ------------------------------------------------------------


async def test_code_is_written_as_the_vendor_does(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """`code` 0 is a number for user/devices, a text for sms/sms_more, absent on lists."""
    base = semysms.url
    user = await raw(session, f"{base}/user.php", token=TOKEN)
    assert user == {
        "code": 0,
        "id_user": 1,
        "is_pay": 1,
        "type_premium": 1,
        "date_end_premium": None,
        "messages_premium": 4998,
    }
    devices = await raw(session, f"{base}/devices.php", token=TOKEN)
    assert devices["code"] == 0
    assert devices["count"] == 2
    assert devices["data"][0]["bat"] == "58"
    sms = await raw(session, f"{base}/sms.php", token=TOKEN, device="351", phone=NUMBER, msg="Hi")
    assert sms == {"code": "0", "id": FIRST_OUTBOX_ID}
    async with session.post(
        f"{base}/sms_more.php",
        json={
            "token": TOKEN,
            "data": [{"my_id": "a", "device": "352", "phone": NUMBER, "msg": "x"}],
        },
    ) as response:
        more = await response.text()
    # As the vendor's sample writes it: `data` without quotes, which is not strict JSON.
    assert more == f'{{"code": "0", data: [{{"my_id": "a", "id": {FIRST_OUTBOX_ID + 1}}}]}}'
    outbox = await raw(session, f"{base}/outbox_sms.php", token=TOKEN)
    assert "code" not in outbox
    assert outbox["count"] == 2
    assert await raw(session, f"{base}/inbox_sms.php", token=TOKEN) == {"count": 0, "data": []}
    error = await raw(session, f"{base}/sms.php", token=TOKEN, device="9", phone=NUMBER, msg="x")
    assert error == {"code": "2", "error": "Device not found: 9"}
    assert await raw(session, f"{base}/user.php", token="wrong") == {
        "code": 1,
        "error": "Invalid token",
    }


async def test_deleting_lists_the_deleted_messages(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """The delete scripts answer what they removed, as the list scripts list it."""
    await semysms.receive_sms(NUMBER, "hello")
    inbox = await raw(session, f"{semysms.url}/inbox_sms.php", token=TOKEN)
    deleted = await raw(session, f"{semysms.url}/del_inbox_sms.php", token=TOKEN, start_id="1")
    assert deleted == inbox
    assert semysms.inbox == {}
    assert await raw(session, f"{semysms.url}/del_outbox_sms.php", token=TOKEN) == {
        "count": 0,
        "data": [],
    }


# -- account and phones ---------------------------------------------------------------------


async def test_account(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """The paid messages left are the credits; the account's id becomes the account id."""
    before = semy.account_id
    assert TOKEN not in before
    assert semy.user_id is None
    assert await semy.account() == Account(credits=4998)
    assert semy.user_id == "1"
    assert semy.account_id == f"{semysms.url}#user-1"
    assert before != semy.account_id
    assert params_of(semysms, "user.php") == [{}]
    assert TOKEN not in repr(semy)


async def test_account_paid_by_time_is_unlimited(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """A plan with an end date and no message count is unlimited."""
    semysms.messages_premium = None
    assert await semy.account() == Account(credits=None, unlimited=True)
    assert PREMIUM_END


async def test_account_without_figures(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """An answer without a count nor an end date is unknown credits."""
    canned_semysms.answer("user.php", {"code": 0, "id_user": "x"})
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    assert await client.account() == Account(credits=None)
    assert client.user_id is None


async def test_phones(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """Battery, charging, last seen, sending enabled and operator of every phone kept."""
    semysms.add_phone("Archived", archived=True)
    seen = semysms.phones[351].last_active.replace(microsecond=0)
    phones = await semy.phones()
    assert params_of(semysms, "devices.php") == [{"is_arhive": "0"}]
    assert [phone.id for phone in phones] == ["351", "352"]
    first = phones[0]
    assert first.last_seen is not None
    assert first.last_seen.replace(microsecond=0) == seen
    assert first == Phone(
        id="351",
        name="+380501234567",
        model="HUAWEI U8186",
        android_version="2.3.6",
        app_version="60",
        last_seen=first.last_seen,
        sims=(Sim(slot=0, label="SIM #1 [Kyivstar]", detail="Kyivstar"),),
        battery=58,
        charging=True,
        sending_enabled=True,
    )
    assert first.sims[0].operator == "Kyivstar"
    assert phones[1].name == "Office"
    assert phones[1].model == "Google Pixel 7"
    assert phones[1].charging is False
    assert semy.phone_ids == frozenset({"351", "352"})


async def test_phone_without_operator_nor_name(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """A phone that names no operator has no SIM; an empty label is no name."""
    semysms.add_phone("Galaxy A52", working=False)
    phones = await semy.phones()
    added = phones[-1]
    assert added.sims == ()
    assert added.name is None
    assert added.model == "samsung Galaxy A52"
    assert added.display_name == "samsung Galaxy A52"
    assert added.sending_enabled is False


async def test_batteries_change_over_time(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """A charging phone fills up and is unplugged; an unplugged one drains and is plugged in."""
    levels: list[tuple[int | None, bool | None]] = []
    for _ in range(30):
        phone = (await semy.phones())[1]
        levels.append((phone.battery, phone.charging))
        await semysms.advance()
    batteries = [battery for battery, _ in levels]
    assert batteries[0] == 90
    assert batteries[1] < batteries[0]  # unplugged: draining
    assert any(charging for _, charging in levels)  # plugged in once low
    assert max(batteries[batteries.index(min(batteries)) :]) > min(batteries)  # charging again
    assert all(0 <= battery <= 100 for battery in batteries if battery is not None)


async def test_phone_model_when_the_name_holds_the_maker(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """The maker is not repeated; odd rows are skipped; a date with an offset keeps it."""
    canned_semysms.answer(
        "devices.php",
        {
            "code": "0",
            "data": [
                {"id": 1, "manufacturer": "Xiaomi", "device_name": "Xiaomi Redmi 9"},
                {"id": 2, "manufacturer": "Nokia", "date_last_active": "2024-05-01 10:00:00+03"},
                {"id": "x"},
                "not a phone",
            ],
        },
    )
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    phones = await client.phones()
    assert [phone.model for phone in phones] == ["Xiaomi Redmi 9", "Nokia"]
    assert phones[1].last_seen == datetime(2024, 5, 1, 7, tzinfo=UTC)
    assert phones[0].last_seen is None


async def test_dates_are_read_in_the_configured_zone(
    session: aiohttp.ClientSession,
) -> None:
    """The service writes dates without an offset: they are read in its zone."""
    kyiv = timezone(timedelta(hours=3))
    sim = SemySmsSimulator(token=TOKEN, timezone=kyiv)
    await sim.start()
    try:
        client = SemySmsClient(session, TOKEN, url=sim.url, server_timezone=kyiv)
        (phone, _) = await client.phones()
        assert phone.last_seen is not None
        assert abs(phone.last_seen - datetime.now(UTC)) < timedelta(seconds=5)
        in_utc = SemySmsClient(session, TOKEN, url=sim.url)
        (phone, _) = await in_utc.phones()
        assert phone.last_seen is not None
        assert abs(phone.last_seen - datetime.now(UTC) - timedelta(hours=3)) < timedelta(seconds=5)
    finally:
        await sim.stop()


# -- sending ---------------------------------------------------------------------------------


async def test_send_one(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """One recipient and one phone: sms.php, the phone given as `device`."""
    request = SendRequest((NUMBER,), "Привіт", senders=(Sender("352"),), prioritize=True)
    (message,) = await semy.send(request)
    assert params_of(semysms, "sms.php") == [
        {"device": "352", "phone": NUMBER, "msg": "Привіт", "priority": "1"}
    ]
    assert len(semysms.requests) == 1
    assert message.id == str(FIRST_OUTBOX_ID)
    assert message.number == NUMBER
    assert message.text == "Привіт"
    assert message.status is MessageStatus.PENDING
    assert message.phone_id == "352"
    assert message.prioritize is True
    assert message.type is MessageType.SMS
    assert semysms.outbox[FIRST_OUTBOX_ID]["msg"] == "Привіт"
    assert semysms.priorities == {FIRST_OUTBOX_ID: 1}
    assert semysms.messages_premium == 4997


async def test_send_without_a_phone_lets_the_service_pick(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """No phone named (or a random one asked for): `device=active`."""
    (message,) = await semy.send(SendRequest((NUMBER,), "x"))
    (other,) = await semy.send(SendRequest((NUMBER,), "y", random_sender=True))
    assert [params["device"] for params in params_of(semysms, "sms.php")] == ["active", "active"]
    assert "priority" not in params_of(semysms, "sms.php")[0]
    assert message.phone_id is None
    assert other.phone_id is None
    assert {semysms.outbox[int(m.id)]["id_device"] for m in (message, other)} == {351, 352}


async def test_send_one_through_several_phones(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """Several phones for one recipient: one sms.php call with a comma list to spread over."""
    request = SendRequest((NUMBER,), "x", senders=(Sender("351"), Sender("352")))
    (message,) = await semy.send(request)
    assert params_of(semysms, "sms.php")[0]["device"] == "351,352"
    assert message.phone_id is None


async def test_send_answer_naming_the_phone(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """A send answer that names the phone used (as live answers do) fills the phone in."""
    canned_semysms.answer("sms.php", {"code": "0", "id_device": 353889, "id": 132906790})
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    (message,) = await client.send(SendRequest((NUMBER,), "x"))
    assert (message.id, message.phone_id) == ("132906790", "353889")


async def test_send_many_in_one_request(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """Several recipients: one sms_more.php call with a JSON body, each entry referenced."""
    numbers = (NUMBER, "+380671112244", "+380671112255")
    request = SendRequest(numbers, "x", senders=(Sender("351"),), prioritize=True)
    messages = await semy.send(request)
    assert len(semysms.requests) == 1
    (params,) = params_of(semysms, "sms_more.php")
    assert json.loads(params["data"]) == [
        {"my_id": str(n), "device": "351", "phone": number, "msg": "x", "priority": "1"}
        for n, number in enumerate(numbers)
    ]
    assert [message.number for message in messages] == list(numbers)
    assert [message.id for message in messages] == [str(FIRST_OUTBOX_ID + n) for n in range(3)]
    assert all(message.phone_id == "351" for message in messages)
    assert all(message.prioritize for message in messages)


async def test_send_many_matches_answers_by_reference(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """Answers in another order are matched by the echoed `my_id`, else by position."""
    canned_semysms.answer(
        "sms_more.php",
        {"code": "0", "data": [{"my_id": "1", "id": 11}, {"my_id": "0", "id": 10}, {"id": 12}]},
    )
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    messages = await client.send(SendRequest(("+1", "+2", "+3"), "x"))
    assert [(m.id, m.number) for m in messages] == [("11", "+2"), ("10", "+1"), ("12", "+3")]


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ({"code": "0", "data": [{"id": 1}]}, "answered 1 message ids for 2 messages"),
        ({"code": "0", "data": [{"id": 1}, {"id": "x"}]}, "lacks a message id"),
        ({"code": "0"}, "answered 0 message ids for 2 messages"),
    ],
)
async def test_send_many_unreadable_answer(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms, answer: Any, text: str
) -> None:
    """A bulk answer that does not account for every message is a response error."""
    canned_semysms.answer("sms_more.php", answer)
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    with pytest.raises(GatewayResponseError, match=text):
        await client.send(SendRequest(("+1", "+2"), "x"))


async def test_send_one_without_an_id(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """A send answer without a message id is a response error, not a lost message."""
    canned_semysms.answer("sms.php", {"code": "0"})
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    with pytest.raises(GatewayResponseError, match="no message id"):
        await client.send(SendRequest(("+1",), "x"))


async def test_send_through_every_phone(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """Every phone: one message per recipient, the phones taken in turn, the phones read first."""
    messages = await semy.send(SendRequest((NUMBER,), "x", routing=Routing.ALL_PHONES))
    assert [request.path.rsplit("/", 1)[1] for request in semysms.requests] == [
        "devices.php",
        "sms.php",
    ]
    assert [(message.number, message.phone_id) for message in messages] == [(NUMBER, "351")]
    semysms.requests.clear()
    numbers = (NUMBER, "+2", "+3", "+4", "+5")
    messages = await semy.send(SendRequest(numbers, "x", routing=Routing.ALL_PHONES))
    (params,) = params_of(semysms, "sms_more.php")
    # The next send goes on from the phone after the last one used.
    assert [(entry["phone"], entry["device"]) for entry in json.loads(params["data"])] == [
        (NUMBER, "352"),
        ("+2", "351"),
        ("+3", "352"),
        ("+4", "351"),
        ("+5", "352"),
    ]
    assert [message.number for message in messages] == list(numbers)
    assert len(semysms.requests) == 1  # the phones were known
    rows = [semysms.outbox[int(message.id)] for message in messages]
    assert sorted(row["phone"] for row in rows) == sorted(numbers)  # one message each
    assert len(semysms.outbox) == 1 + len(numbers)


async def test_send_through_every_phone_that_may_send(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """Phones whose owner disabled sending are left out; with none left, nothing is sent."""
    semysms.phones[351].working = False
    messages = await semy.send(SendRequest((NUMBER, "+2"), "x", routing=Routing.ALL_PHONES))
    assert [message.phone_id for message in messages] == ["352", "352"]
    semysms.phones[352].working = False
    await semy.phones()
    with pytest.raises(GatewayApiError, match="No phone of the account may send"):
        await semy.send(SendRequest((NUMBER,), "x", routing=Routing.ALL_PHONES))
    assert len(semysms.outbox) == 2


async def test_send_many_reads_the_answer_in_either_shape(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """The vendor's sample answer (`data` unquoted) and strict JSON are both read: a send that
    went out is never reported as failed."""
    for strict in (False, True):
        semysms.strict_json = strict
        messages = await semy.send(SendRequest((NUMBER, "+2"), "x"))
        assert [message.number for message in messages] == [NUMBER, "+2"]
        assert all(int(message.id) in semysms.outbox for message in messages)


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        ('{"code":"0", data:[{"my_id":"0", "id":7}, {"my_id":"1", "id":8}]}', ["7", "8"]),
        ('{code:"0",data :[{my_id:"1",id:8},{ $my_id:"x", id:7}]}', ["8", "7"]),
        # Only names are quoted: a text that looks like one is left as it is.
        ('{"code":"0", data:[{"my_id":"0", "id":7, "x":"a, b: {c:"}, {"id":8}]}', ["7", "8"]),
    ],
)
async def test_loose_answers_are_read(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms, body: str, ids: list[str]
) -> None:
    """Names written without quotes are read as names, and nothing else is changed."""
    canned_semysms.answer("sms_more.php", body)
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    messages = await client.send(SendRequest(("+1", "+2"), "x"))
    assert [message.id for message in messages] == ids


async def test_an_answer_that_is_not_json_even_loosely_is_refused(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """Names without quotes are all that is forgiven: other broken JSON is a response error."""
    canned_semysms.answer("sms_more.php", '{"code":"0", data:[{"id":7},]}')
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    with pytest.raises(GatewayResponseError, match="not JSON"):
        await client.send(SendRequest(("+1", "+2"), "x"))


@pytest.mark.parametrize(
    "request_",
    [
        SendRequest((NUMBER,), "x", mms=True),
        SendRequest((NUMBER,), "x", schedule=datetime(2030, 1, 1, tzinfo=UTC)),
        SendRequest((NUMBER,), "x", senders=(Sender("351", 1),)),
        SendRequest((NUMBER,), "x", routing=Routing.ALL_SIMS),
    ],
)
async def test_send_what_the_service_cannot(
    semy: SemySmsClient, semysms: SemySmsSimulator, request_: SendRequest
) -> None:
    """MMS, a schedule, a SIM or every SIM are refused before anything is sent."""
    with pytest.raises(CapabilityNotSupportedError):
        await semy.send(request_)
    assert semysms.requests == []


async def test_send_refused(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """The service's refusal is an API error with its code and text."""
    with pytest.raises(GatewayApiError) as err:
        await semy.send(SendRequest((NUMBER,), "x", senders=(Sender("999"),)))
    assert err.value.code == 2
    assert str(err.value) == "Device not found: 999"
    semysms.messages_premium = 0
    with pytest.raises(GatewayApiError) as err:
        await semy.send(SendRequest((NUMBER, "+2"), "x"))
    assert (err.value.code, str(err.value)) == (5, "No paid messages left")
    for phone in semysms.phones.values():
        phone.working = False
    semysms.messages_premium = None
    with pytest.raises(GatewayApiError, match="No active devices"):
        await semy.send(SendRequest((NUMBER,), "x"))
    assert semysms.outbox == {}


# -- reading back and cancelling ----------------------------------------------------------------


async def test_read_follows_the_lifecycle(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """Pending, handed to the phone, sent, delivered: read back by id from the outbox."""
    (sent,) = await semy.send(SendRequest((NUMBER,), "x", senders=(Sender("351"),)))
    statuses = []
    for _ in range(4):
        (message,) = await semy.messages(MessageQuery(message_id=sent.id))
        statuses.append(message.status)
        await semysms.advance()
    assert statuses == [
        MessageStatus.PENDING,
        MessageStatus.QUEUED,
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
    ]
    assert params_of(semysms, "outbox_sms.php")[0] == {"list_id": sent.id}
    assert message.sent_at is not None
    assert message.delivered_at is not None
    assert message.phone_id == "351"
    assert message.number == NUMBER
    assert message.type is MessageType.SMS
    assert semy.sequence(message) == int(sent.id)


async def test_read_failed_and_canceled(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """A number the phone cannot send to fails; a cancelled message is cancelled."""
    failing = "+38067111" + FAILING_SUFFIX
    (doomed,) = await semy.send(SendRequest((failing,), "x", senders=(Sender("351"),)))
    await semysms.advance()
    await semysms.advance()
    (kept,) = await semy.send(SendRequest((NUMBER,), "y", senders=(Sender("351"),)))
    await semy.cancel(kept.id)
    # What the vendor documents: the phone whose waiting messages are withdrawn.
    assert params_of(semysms, "cancel_sms.php") == [{"device": "351"}]
    await semysms.advance()
    (failed,) = await semy.messages(MessageQuery(message_id=doomed.id))
    assert failed.status is MessageStatus.FAILED
    assert failed.failure_reason == "error"
    (canceled,) = await semy.messages(MessageQuery(message_id=kept.id))
    assert canceled.status is MessageStatus.CANCELED
    assert canceled.failure_reason is None


async def test_cancel_comes_too_late_once_on_the_phone(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """A message the phone already has is not cancelled: nothing is asked of the service."""
    (sent,) = await semy.send(SendRequest((NUMBER,), "x", senders=(Sender("352"),)))
    await semysms.advance()
    await semy.cancel(sent.id)
    (message,) = await semy.messages(MessageQuery(message_id=sent.id))
    assert message.status is MessageStatus.QUEUED
    assert params_of(semysms, "cancel_sms.php") == []


@pytest.mark.parametrize("cancel_by_id", [False, True])
async def test_cancel_never_withdraws_more_than_asked(
    semy: SemySmsClient, semysms: SemySmsSimulator, *, cancel_by_id: bool
) -> None:
    """The service cancels every waiting message of a phone: with others waiting there too,
    the cancel is refused and nothing is withdrawn; messages of other phones do not matter."""
    semysms.cancel_by_id = cancel_by_id
    (first,) = await semy.send(SendRequest((NUMBER,), "a", senders=(Sender("351"),)))
    await semy.send(SendRequest(("+2",), "b", senders=(Sender("351"),)))
    (elsewhere,) = await semy.send(SendRequest(("+3",), "c", senders=(Sender("352"),)))
    with pytest.raises(CancelNotExactError) as caught:
        await semy.cancel(first.id)
    assert (caught.value.phone_id, caught.value.others) == ("351", 1)
    assert params_of(semysms, "cancel_sms.php") == []
    assert not any(row["is_cancel"] for row in semysms.outbox.values())
    assert isinstance(caught.value, CapabilityNotSupportedError)

    await semy.cancel(elsewhere.id)
    assert params_of(semysms, "cancel_sms.php") == [{"device": "352"}]
    assert [row["id"] for row in semysms.outbox.values() if row["is_cancel"]] == [int(elsewhere.id)]


async def test_cancel_of_a_message_the_service_does_not_list(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """An id the outbox does not have: nothing is cancelled."""
    await semy.send(SendRequest((NUMBER,), "a", senders=(Sender("351"),)))
    await semy.cancel("42")
    assert params_of(semysms, "cancel_sms.php") == []
    assert not any(row["is_cancel"] for row in semysms.outbox.values())


async def test_messages_leave_out_whatsapp_and_what_was_made_elsewhere(
    semy: SemySmsClient, semysms: SemySmsSimulator
) -> None:
    """WhatsApp rows and rows created outside the service are not SMS of ours: never listed."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    (sent,) = await semy.send(SendRequest((NUMBER,), "ours", senders=(Sender("351"),)))
    semysms.add_outside_message(NUMBER, "ours", kind=WHATSAPP)
    semysms.add_outside_message(NUMBER, "ours", kind=SMS)  # typed on the phone
    await semysms.receive_sms("+2", "via WhatsApp", kind=WHATSAPP)
    await semysms.receive_sms("+2", "via WhatsApp Business", kind=WHATSAPP_BUSINESS)
    await semysms.receive_sms("+2", "an SMS")
    found = await semy.messages(MessageQuery(start=start))
    assert sorted((message.id, message.text) for message in found) == sorted(
        [(sent.id, "ours"), (str(FIRST_INBOX_ID + 2), "an SMS")]
    )
    assert all(message.type is MessageType.SMS for message in found)


async def test_read_received_and_all(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """Received messages come from the inbox; without a status, both boxes are read."""
    await semysms.receive_sms("+380509998877", "hello", phone_id=352)
    await semysms.receive_sms("*100#", "Balance 5 UAH", phone_id=352)  # a USSD answer
    (sent,) = await semy.send(SendRequest((NUMBER,), "x"))
    start = datetime.now(UTC) - timedelta(minutes=5)
    (received,) = await semy.messages(MessageQuery(status=MessageStatus.RECEIVED, start=start))
    assert received.status is MessageStatus.RECEIVED
    assert (received.number, received.text, received.phone_id) == ("+380509998877", "hello", "352")
    assert received.sent_at is not None
    assert abs(received.sent_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert semy.sequence(received) is None
    both = await semy.messages(MessageQuery())
    assert [message.id for message in both] == [received.id, sent.id]
    (params,) = params_of(semysms, "inbox_sms.php")[:1]
    assert set(params) == {"date_start"}
    assert params_of(semysms, "outbox_sms.php") == [{}]


async def test_read_filters(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """Phone, dates and status filter; groups and SIM slots match nothing here."""
    (one,) = await semy.send(SendRequest((NUMBER,), "x", senders=(Sender("351"),)))
    await semy.send(SendRequest((NUMBER,), "y", senders=(Sender("352"),)))
    now = datetime.now(UTC)
    found = await semy.messages(
        MessageQuery(
            phone_id="351",
            status=MessageStatus.PENDING,
            start=now - timedelta(minutes=1),
            end=now + timedelta(minutes=1),
        )
    )
    assert [message.id for message in found] == [one.id]
    params = params_of(semysms, "outbox_sms.php")[0]
    assert params["device"] == "351"
    assert set(params) == {"device", "date_start", "date_end"}
    assert await semy.messages(MessageQuery(status=MessageStatus.SENT)) == []
    semysms.requests.clear()
    assert await semy.messages(MessageQuery(group_id="1")) == []
    assert await semy.messages(MessageQuery(sim_slot=0)) == []
    assert semysms.requests == []


async def test_read_skips_rows_without_an_id(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """Rows without an id cannot be tracked: skipped; a row without a type is an SMS."""
    canned_semysms.answer(
        "outbox_sms.php",
        {"count": 3, "data": [{"id": None}, {"id": 5, "is_send": "1"}, {"id": 6, "type": "x"}]},
    )
    canned_semysms.answer("inbox_sms.php", {"count": 1, "data": [{"phone": "+1"}]})
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    (message,) = await client.messages(MessageQuery())
    assert (message.id, message.type, message.status) == ("5", MessageType.SMS, MessageStatus.SENT)
    assert message.sent_at is None


# -- typed errors ---------------------------------------------------------------------------


async def test_invalid_token(session: aiohttp.ClientSession, semysms: SemySmsSimulator) -> None:
    """An invalid token is an authentication error, for every operation."""
    wrong = SemySmsClient(session, "wrong-token", url=semysms.url, phone_ids=("351",))
    calls: list[Callable[[], Awaitable[object]]] = [
        wrong.account,
        wrong.phones,
        lambda: wrong.send(SendRequest((NUMBER,), "x")),
        lambda: wrong.send(SendRequest((NUMBER, "+2"), "x")),
        lambda: wrong.messages(MessageQuery()),
        lambda: wrong.cancel("1"),
        lambda: wrong.send_ussd("351", "*100#"),
        lambda: wrong.poll_inbound(datetime.now(UTC)),
    ]
    for call in calls:
        with pytest.raises(GatewayAuthenticationError, match=r"^Invalid token$"):
            await call()
    assert semysms.outbox == {}


async def test_token_revoked(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """A token that stops working mid-life is an authentication error too."""
    await semy.account()
    semysms.faults.reject_key = True
    with pytest.raises(GatewayAuthenticationError):
        await semy.send(SendRequest((NUMBER,), "x"))


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        ({"code": 7, "error": "Неверный токен"}, GatewayAuthenticationError, "Неверный токен"),
        ({"code": "12", "error": "Limit"}, GatewayApiError, "Limit"),
        ({"code": 3}, GatewayApiError, "Unknown SemySMS error"),
        ({"error": "Something"}, GatewayApiError, "Something"),
        ({"code": "x", "error": "Odd"}, GatewayApiError, "Odd"),
        ([1, 2], GatewayResponseError, "not a JSON object"),
        ("not json", GatewayResponseError, "something that is not JSON"),
        ("<html></html>", GatewayResponseError, "an HTML page"),
    ],
)
async def test_error_answers(
    session: aiohttp.ClientSession,
    canned_semysms: CannedSemySms,
    answer: Any,
    error: type[SmsBridgeError],
    text: str,
) -> None:
    """Any non-zero code is an API error with its text; unreadable answers are response errors."""
    canned_semysms.answer("user.php", answer)
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    with pytest.raises(error) as err:
        await client.account()
    assert str(err.value) == (text if error is not GatewayResponseError else str(err.value))
    assert text in str(err.value)


async def test_api_error_keeps_its_code(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """The code is kept as a number, whether the service wrote it as text or number."""
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    for code in ("12", 12):
        canned_semysms.answer("user.php", {"code": code, "error": "Limit"})
        with pytest.raises(GatewayApiError) as err:
            await client.account()
        assert err.value.code == 12
    canned_semysms.answer("user.php", {"code": "x", "error": "Odd"})
    with pytest.raises(GatewayApiError) as err:
        await client.account()
    assert err.value.code is None


async def test_an_error_quoting_the_token_hides_it(
    session: aiohttp.ClientSession, canned_semysms: CannedSemySms
) -> None:
    """Should the service quote the request, the token is masked in the error."""
    canned_semysms.answer("user.php", {"code": 9, "error": f"Bad request token={TOKEN}"})
    client = SemySmsClient(session, TOKEN, url=canned_semysms.url)
    with pytest.raises(GatewayAuthenticationError) as err:
        await client.account()
    assert str(err.value) == "Bad request token=***"


async def test_rate_limited(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """HTTP 429 is a rate-limit error carrying the wait asked for."""
    semysms.faults.rate_limit = 30
    with pytest.raises(GatewayRateLimitedError) as err:
        await semy.phones()
    assert err.value.retry_after == 30.0


async def test_http_500(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """HTTP 500 with an error page is a response error that quotes no page."""
    semysms.faults.http_500 = True
    with pytest.raises(GatewayResponseError) as err:
        await semy.account()
    assert str(err.value) == "SemySMS answered HTTP 500"


async def test_html_error_page(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """An HTML page with HTTP 200 is a response error."""
    semysms.faults.html_error = True
    with pytest.raises(GatewayResponseError) as err:
        await semy.messages(MessageQuery())
    assert str(err.value) == "SemySMS answered an HTML page"


async def test_latency_and_healthy_calls(semy: SemySmsClient, semysms: SemySmsSimulator) -> None:
    """A slow answer still arrives; faults apply after the healthy calls run out."""
    semysms.faults.latency = 0.05
    assert (await semy.account()).credits == 4998
    semysms.faults.reset()
    semysms.faults.healthy_calls = 1
    semysms.faults.http_500 = True
    await semy.account()
    with pytest.raises(GatewayResponseError):
        await semy.account()


async def test_timeout_after_sending(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """The service got the request but never answered: it may have been sent."""
    slow = SemySmsClient(session, TOKEN, url=semysms.url, timeout=0.2)
    semysms.faults.hang = True
    try:
        with pytest.raises(GatewayConnectionError) as err:
            await slow.send(SendRequest((NUMBER,), "x"))
    finally:
        semysms.faults.reset()
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.TIMEOUT
    assert TOKEN not in str(err.value)


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """Nothing listening: a connection error that certainly sent nothing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = SemySmsClient(session, TOKEN, url=f"http://127.0.0.1:{port}/api/3")
    with pytest.raises(GatewayConnectionError) as err:
        await unreachable.send(SendRequest((NUMBER,), "x"))
    assert err.value.request_sent is False
    assert err.value.kind is ConnectionErrorKind.REFUSED
    assert str(err.value) == "Cannot connect to SemySMS: connection refused"


async def test_connection_dropped(session: aiohttp.ClientSession) -> None:
    """A server closing the connection without an answer: the request may have arrived."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        port = server.getsockname()[1]
        client = SemySmsClient(session, TOKEN, url=f"http://127.0.0.1:{port}/api/3")

        async def close_on_accept() -> None:
            loop = asyncio.get_running_loop()
            connection, _ = await loop.sock_accept(server)
            await loop.sock_recv(connection, 65536)
            connection.close()

        closer = asyncio.ensure_future(close_on_accept())
        with pytest.raises(GatewayConnectionError) as err:
            await client.account()
        await closer
    assert err.value.request_sent is True
    assert err.value.kind is ConnectionErrorKind.DROPPED


async def test_https_certificate_refused(
    session: aiohttp.ClientSession, certificate: tuple[Any, Any]
) -> None:
    """A self-signed certificate is a certificate error: nothing was sent."""
    sim = SemySmsSimulator(token=TOKEN)
    await sim.start(ssl_context=server_context(*certificate))
    try:
        client = SemySmsClient(session, TOKEN, url=sim.url)
        with pytest.raises(GatewayCertificateError):
            await client.account()
    finally:
        await sim.stop()
    assert sim.requests == []


async def test_errors_never_contain_the_token(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """No error text, repr or argument carries the token."""
    errors: list[SmsBridgeError] = []
    for token, fault in [
        ("wrong-" + TOKEN, None),
        (TOKEN, "http_500"),
        (TOKEN, "html_error"),
        (TOKEN, "reject_key"),
        (TOKEN, "rate_limit"),
    ]:
        semysms.faults.reset()
        if fault:
            setattr(semysms.faults, fault, 5 if fault == "rate_limit" else True)
        client = SemySmsClient(session, token, url=semysms.url)
        for call in (
            lambda c=client: c.send(SendRequest((NUMBER,), "x")),
            lambda c=client: c.send(SendRequest((NUMBER, "+2"), "x")),
        ):
            with pytest.raises(SmsBridgeError) as err:
                await call()
            errors.append(err.value)
    for error in errors:
        for text in (str(error), repr(error), *map(str, error.args)):
            assert TOKEN not in text


# -- configuration --------------------------------------------------------------------------


def test_from_config(session: aiohttp.ClientSession) -> None:
    """The factory reads the token and the optional keys; bad zones fall back to UTC."""
    client = from_config(
        session,
        {
            CONF_API_KEY: TOKEN,
            CONF_URL: "https://proxy.example/api/3/sms.php",
            CONF_TIMEZONE: "Europe/Kyiv",
            CONF_USER_ID: 42,
            CONF_PHONE_IDS: [351, "352"],
        },
    )
    assert client.account_id == "https://proxy.example/api/3#user-42"
    assert client.phone_ids == frozenset({"351", "352"})
    plain = from_config(session, {CONF_API_KEY: TOKEN, CONF_TIMEZONE: "Nowhere/Else"})
    assert plain.account_id.startswith(DEFAULT_URL + "#")
    assert TOKEN not in plain.account_id
    assert plain.phone_ids == frozenset()


def test_normalize_url() -> None:
    """A trailing slash or a pasted script is dropped; scheme and host are lower-cased."""
    assert normalize_url("HTTPS://SemySMS.net/api/3/") == "https://semysms.net/api/3"
    assert normalize_url(" https://semysms.net/api/3/user.php ") == "https://semysms.net/api/3"


def test_capabilities() -> None:
    """The client declares what it implements, cancel included; the base refuses cancel."""
    assert Capability.CANCEL in SemySmsClient.capabilities
    assert Capability.BATTERY in SemySmsClient.capabilities
    assert Capability.MMS not in SemySmsClient.capabilities
    assert Capability.SIM_SELECT not in SemySmsClient.capabilities
    assert SemySmsClient.webhook_methods == frozenset({"POST"})


async def test_gateway_base_refuses_cancel() -> None:
    """A provider without the cancel capability refuses it."""
    with pytest.raises(CapabilityNotSupportedError, match="cancel"):
        await Gateway().cancel("1")


async def test_ussd_query_by_slot_matches_nothing(semy: SemySmsClient) -> None:
    """The service has no SIM slots: a query by slot finds nothing."""
    assert await semy.ussd_requests(UssdQuery(sim_slot=0)) == []


# -- the simulator's own checks and automatic mode --------------------------------------------


async def test_simulator_refusals(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """Missing or malformed parameters are refused with the simulator's codes."""
    base = semysms.url

    async def error_of(script: str, **fields: str) -> Any:
        return (await raw(session, f"{base}/{script}", token=TOKEN, **fields)).get("error")

    assert await error_of("sms.php", device="351", phone=NUMBER) == (
        "Required parameter is missing: msg"
    )
    assert await error_of("sms.php", device="351", phone=NUMBER, msg="x", priority="high") == (
        "Invalid request: priority"
    )
    assert await error_of("outbox_sms.php", start_id="x") == "Invalid request: start_id"
    assert await error_of("outbox_sms.php", date_start="yesterday") == "Invalid request: date_start"
    assert await error_of("inbox_sms.php", date_end="2024-02-30") == "Invalid request: date_end"
    assert await error_of("cancel_sms.php") == "Required parameter is missing: device"
    # The vendor names no `id_sms`: ignored, unless the knob reads it.
    assert await error_of("cancel_sms.php", id_sms="1") == "Required parameter is missing: device"
    for body in (
        "{",
        json.dumps({"token": TOKEN, "data": []}),
        json.dumps({"token": TOKEN, "data": [1]}),
    ):
        async with session.post(f"{base}/sms_more.php", data=body) as response:
            assert "error" in json.loads(await response.text())
    async with session.get(f"{base}/nothing.php") as response:
        assert response.status == 404


async def test_simulator_list_filters(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """Ids, phone, device and dates filter the lists; a cancel by phone cancels its messages."""
    for number in ("+1", "+2", "+3"):
        await raw(
            session, f"{semysms.url}/sms.php", token=TOKEN, device="351", phone=number, msg="x"
        )
    first = FIRST_OUTBOX_ID
    listed = await raw(
        session,
        f"{semysms.url}/outbox_sms.php",
        token=TOKEN,
        start_id=str(first),
        end_id=str(first + 1),
    )
    assert [row["id"] for row in listed["data"]] == [first, first + 1]
    by_phone = await raw(session, f"{semysms.url}/outbox_sms.php", token=TOKEN, phone="+3")
    assert [row["phone"] for row in by_phone["data"]] == ["+3"]
    by_device = await raw(session, f"{semysms.url}/outbox_sms.php", token=TOKEN, device="352")
    assert by_device["data"] == []
    future = await raw(session, f"{semysms.url}/outbox_sms.php", token=TOKEN, date_start="2999-1-1")
    assert future["data"] == []
    devices = await raw(session, f"{semysms.url}/devices.php", token=TOKEN, list_id="352")
    assert [device["id"] for device in devices["data"]] == [352]
    await raw(session, f"{semysms.url}/cancel_sms.php", token=TOKEN, device="351")
    assert all(row["is_cancel"] == 1 for row in semysms.outbox.values())
    semysms.outbox[first]["date"] = "2020-01-01 00:00:00.000000"
    today = await raw(session, f"{semysms.url}/outbox_sms.php", token=TOKEN)
    assert first not in [row["id"] for row in today["data"]]


async def test_simulator_automatic_mode(
    session: aiohttp.ClientSession, catcher: WebhookCatcher
) -> None:
    """With an interval, messages move and batteries change on their own; webhooks follow."""
    sim = SemySmsSimulator(token=TOKEN, status_interval=0.05, webhook_url=catcher.url)
    await sim.start()
    try:
        assert sim.webhook_url == catcher.url
        client = SemySmsClient(session, TOKEN, url=sim.url)
        (message,) = await client.send(SendRequest((NUMBER,), "x", senders=(Sender("352"),)))
        for _ in range(100):
            if sim.outbox[int(message.id)]["is_delivered"]:
                break
            await asyncio.sleep(0.05)
        (read,) = await client.messages(MessageQuery(message_id=message.id))
        assert read.status is MessageStatus.DELIVERED
        assert sim.phones[352].battery < 90
        assert len(catcher.caught) == 2
    finally:
        await sim.stop()
    with pytest.raises(RuntimeError):
        _ = sim.url


async def test_simulator_stops_hung_requests(
    session: aiohttp.ClientSession, semysms: SemySmsSimulator
) -> None:
    """Stopping answers a hung request with HTTP 503."""
    semysms.faults.hang = True
    client = SemySmsClient(session, TOKEN, url=semysms.url)
    pending = asyncio.ensure_future(client.account())
    while not semysms.requests:  # noqa: ASYNC110 - the simulator signals nothing
        await asyncio.sleep(0.01)
    await semysms.stop()
    with pytest.raises(SmsBridgeError):
        await pending
